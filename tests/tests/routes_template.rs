//! One routing truth: core/src/domain/routes.rs `ROUTES` says which domain events reach which wapipe
//! consumer. This checks that infra/template.yaml's EventBridge rules say the same for every
//! consumer the stack deploys (and nothing more), and that local mode routes through the same
//! table (`routes::consumers_of`) rather than a copy of it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_yaml_ng::Value;
use wapipe_core::domain::events::EventType;
use wapipe_core::domain::routes::{consumers_of, Consumer, ROUTES};

/// Every consumer some route names.
fn routed_consumers() -> BTreeSet<Consumer> {
    ROUTES.iter().map(|r| r.consumer).collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The template, with CloudFormation's short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`)
/// kept as tagged values.
fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).expect("infra/template.yaml");
    serde_yaml_ng::from_str(&text).expect("infra/template.yaml is YAML")
}

fn resources(t: &Value) -> Vec<(String, &Value)> {
    t.get("Resources")
        .and_then(Value::as_mapping)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v))).collect())
        .unwrap_or_default()
}

fn kind(r: &Value) -> &str {
    r.get("Type").and_then(Value::as_str).unwrap_or_default()
}

/// `!Tag value` or `{ "Fn::Tag": value }` → (tag, value).
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_string(), &t.value)),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            let k = k.as_str()?;
            Some((k.strip_prefix("Fn::").unwrap_or(k).to_string(), v))
        }
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `status-tracker` → `StatusTracker`: the logical-id stem of a function's resources.
fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The functions the template deploys, by the name in `FunctionName: !Sub wapipe-${Stage}-<name>`.
fn deployed_functions(t: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (id, r) in resources(t) {
        if kind(r) != "AWS::Serverless::Function" {
            continue;
        }
        let name = r.get("Properties").and_then(|p| p.get("FunctionName"));
        let sub = name.and_then(intrinsic).filter(|(tag, _)| tag == "Sub").and_then(|(_, v)| v.as_str());
        let Some(f) = sub.and_then(|s| s.strip_prefix("wapipe-${Stage}-")) else {
            panic!("{id}: FunctionName must be !Sub wapipe-${{Stage}}-<crate name>");
        };
        assert_eq!(id, format!("{}Function", pascal(f)), "logical id of function {f}");
        out.insert(f.to_string());
    }
    out
}

struct Rule {
    detail_types: BTreeSet<String>,
    /// The content filter: `detail: {field: [values]}`.
    detail: BTreeMap<String, BTreeSet<String>>,
    target_queue: String,
}

fn rules(t: &Value) -> BTreeMap<String, Rule> {
    let mut out = BTreeMap::new();
    for (id, r) in resources(t) {
        if kind(r) != "AWS::Events::Rule" {
            continue;
        }
        let p = r.get("Properties").unwrap_or_else(|| panic!("{id}: no Properties"));
        // The one rule on the default bus: EUM's own events, as routes::EUM_EVENTS declares it.
        if p.get("EventBusName").is_none() {
            let want = &wapipe_core::domain::routes::EUM_EVENTS;
            assert_eq!(id, want.rule, "{id}: only {} may use the default bus", want.rule);
            let pattern = p.get("EventPattern").unwrap_or_else(|| panic!("{id}: no EventPattern"));
            assert_eq!(strings(pattern.get("source")), BTreeSet::from([want.source.to_string()]), "{id}: source");
            let types: BTreeSet<String> = want.detail_types.iter().map(|t| t.to_string()).collect();
            assert_eq!(strings(pattern.get("detail-type")), types, "{id}: detail-types");
            let target =
                p.get("Targets").and_then(Value::as_sequence).and_then(|t| t.first()).and_then(|t| t.get("Arn"));
            assert!(
                matches!(target.and_then(intrinsic), Some((ref tag, Value::String(ref a))) if tag == "GetAtt" && *a == format!("{}.Arn", want.queue)),
                "{id}: target must be !GetAtt {}.Arn",
                want.queue
            );
            continue;
        }
        let bus = p.get("EventBusName").and_then(intrinsic);
        assert!(
            matches!(bus, Some((ref tag, v)) if tag == "Ref" && v.as_str() == Some("EventBus")),
            "{id}: EventBusName must be !Ref EventBus"
        );
        let pattern = p.get("EventPattern").unwrap_or_else(|| panic!("{id}: no EventPattern"));
        assert_eq!(strings(pattern.get("source")), BTreeSet::from(["wapipe".to_string()]), "{id}: source");
        let targets = p.get("Targets").and_then(Value::as_sequence).cloned().unwrap_or_default();
        assert_eq!(targets.len(), 1, "{id}: one target, its consumer's queue");
        let arn = targets[0].get("Arn").and_then(intrinsic);
        let queue = match arn {
            Some((tag, v)) if tag == "GetAtt" => match v {
                Value::String(s) => s.strip_suffix(".Arn").map(str::to_string),
                Value::Sequence(s) => s.first().and_then(Value::as_str).map(str::to_string),
                _ => None,
            },
            _ => None,
        };
        let target_queue = queue.unwrap_or_else(|| panic!("{id}: target Arn must be !GetAtt <Consumer>Queue.Arn"));
        let detail = match pattern.get("detail") {
            Some(Value::Mapping(m)) => m
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_else(|| panic!("{id}: detail key")).to_string(), strings(Some(v))))
                .collect(),
            Some(other) => panic!("{id}: detail must be a mapping of field to values, got {other:?}"),
            None => BTreeMap::new(),
        };
        out.insert(id, Rule { detail_types: strings(pattern.get("detail-type")), detail, target_queue });
    }
    out
}

/// Function crates in the workspace that the template does not deploy yet, and why. Adding a
/// function's block to the template means removing it here (the test below insists).
const NOT_YET_IN_THE_STACK: &[(&str, &str)] = &[];

/// The workspace's function crates: members under functions/ (from the root Cargo.toml).
fn workspace_functions() -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest.split("members").nth(1).and_then(|m| m.split(']').next()).unwrap_or_default();
    members
        .split('"')
        .filter_map(|m| m.strip_prefix("functions/"))
        .map(|f| f.trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn every_function_in_the_workspace_is_in_the_stack() {
    let deployed = deployed_functions(&template());
    for f in workspace_functions() {
        let pending = NOT_YET_IN_THE_STACK.iter().find(|(p, _)| *p == f);
        match (deployed.contains(&f), pending) {
            (true, None) | (false, Some(_)) => {}
            (true, Some(_)) => panic!("{f} is in the stack now: remove it from NOT_YET_IN_THE_STACK"),
            (false, None) => panic!(
                "functions/{f} is a workspace member but infra/template.yaml does not deploy it: \
                 copy the FUNCTION block there (see the template's header)"
            ),
        }
        assert!(root().join("functions").join(&f).join("Cargo.toml").is_file(), "functions/{f}/Cargo.toml");
    }
    for f in &deployed {
        assert!(workspace_functions().contains(f), "the template deploys {f}, which is not a workspace member");
    }
}

#[test]
fn the_template_rules_are_the_routes_of_the_consumers_it_deploys() {
    let t = template();
    let functions = deployed_functions(&t);
    assert!(functions.contains("webhook-ingest"), "webhook-ingest is in the stack: {functions:?}");
    let rules = rules(&t);
    let present = |c: Consumer| functions.contains(c.function());

    for route in ROUTES {
        let want: BTreeSet<String> = route.detail_types.iter().map(|d| d.to_string()).collect();
        match rules.get(route.rule) {
            Some(rule) => {
                assert!(
                    present(route.consumer),
                    "{}: rule for {} which the stack does not deploy",
                    route.rule,
                    route.consumer.function()
                );
                assert_eq!(
                    rule.detail_types, want,
                    "{}: detail-types differ from core/src/domain/routes.rs",
                    route.rule
                );
                let filter: BTreeMap<String, BTreeSet<String>> = route
                    .detail
                    .iter()
                    .map(|(f, vs)| (f.to_string(), vs.iter().map(|v| v.to_string()).collect()))
                    .collect();
                assert_eq!(
                    rule.detail, filter,
                    "{}: content filter differs from core/src/domain/routes.rs",
                    route.rule
                );
                assert_eq!(
                    rule.target_queue,
                    format!("{}Queue", pascal(route.consumer.function())),
                    "{}: target",
                    route.rule
                );
            }
            None => assert!(
                !present(route.consumer),
                "{} is deployed but its rule {} (ROUTES) is missing from the template",
                route.consumer.function(),
                route.rule
            ),
        }
    }
    for (id, rule) in &rules {
        let route = ROUTES.iter().find(|r| r.rule == id).unwrap_or_else(|| panic!("rule {id} is not in ROUTES"));
        // The same relation, read from the other side: each routed type reaches exactly the
        // deployed consumers `consumers_of` names.
        for d in &rule.detail_types {
            let t = EventType::ALL.iter().find(|t| t.to_string() == *d).unwrap_or_else(|| panic!("{id}: unknown {d}"));
            assert!(consumers_of(*t).contains(&route.consumer), "{id}: {d} does not route to {:?}", route.consumer);
        }
    }
    for c in &routed_consumers() {
        let deployed_via_rules: BTreeSet<&str> = rules
            .iter()
            .filter(|(_, r)| r.target_queue == format!("{}Queue", pascal(c.function())))
            .map(|(id, _)| id.as_str())
            .collect();
        let routed: BTreeSet<&str> = if present(*c) {
            ROUTES.iter().filter(|r| r.consumer == *c).map(|r| r.rule).collect()
        } else {
            BTreeSet::new()
        };
        assert_eq!(deployed_via_rules, routed, "rules targeting {}", c.function());
    }
}

/// The text of `fn <name>` in `source`, from its signature to its closing brace.
fn function_body<'a>(source: &'a str, signature: &str) -> Option<&'a str> {
    let start = source.find(signature)?;
    let open = start + source[start..].find('{')?;
    let mut depth = 0usize;
    for (i, ch) in source[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&source[start..=open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn local_mode_routes_through_the_same_table() {
    let source = std::fs::read_to_string(root().join("cli/src/local.rs")).expect("cli/src/local.rs");
    assert!(
        source.contains("use wapipe_core::domain::routes::{consumers_of_event"),
        "local mode imports routes::consumers_of_event (types and content filters)"
    );
    let route =
        function_body(&source, "async fn route(").expect("cli/src/local.rs: `async fn route` (local EventBridge)");
    assert!(
        route.contains("consumers_of_event(e)"),
        "local routing asks routes::consumers_of_event for each event:\n{route}"
    );
    // No second table: the routing code names no event type and no consumer itself.
    assert!(!route.contains("EventType::"), "local routing names an event type:\n{route}");
    assert!(!route.contains("Consumer::"), "local routing names a consumer:\n{route}");
    assert!(!route.contains("whatsapp."), "local routing names a detail-type:\n{route}");
}

#[test]
fn the_tag_tolerant_reader_understands_the_forms_the_template_uses() {
    let v: Value = serde_yaml_ng::from_str(
        "a: !Ref EventBus\nb: !GetAtt StatusTrackerQueue.Arn\nc: { Fn::GetAtt: [X, Arn] }\nd: !Sub wapipe-${Stage}-x",
    )
    .expect("yaml");
    assert_eq!(intrinsic(&v["a"]).map(|(t, v)| (t, v.as_str())), Some(("Ref".into(), Some("EventBus"))));
    assert_eq!(intrinsic(&v["b"]).map(|(t, _)| t), Some("GetAtt".into()));
    assert_eq!(intrinsic(&v["c"]).map(|(t, _)| t), Some("GetAtt".into()));
    assert_eq!(intrinsic(&v["d"]).and_then(|(_, v)| v.as_str().map(str::to_string)), Some("wapipe-${Stage}-x".into()));
    assert_eq!(pascal("quality-snapshotter"), "QualitySnapshotter");
}
