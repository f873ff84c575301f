//! Flow JSON checks before a flow is uploaded or published (the "flow health check"):
//! version, screens, terminal screens, routing model consistency, `data_api_version` with an
//! endpoint, and component basics. Every problem names its JSON path (`$.screens[1].id`).
//!
//! These are the structural rules of Meta's Flow JSON reference that can be checked offline;
//! Meta's own validation (`validationErrors` of CreateWhatsAppFlow) remains the authority.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Flow JSON versions this checker knows; another version is a warning, not an error.
pub const KNOWN_VERSIONS: &[&str] =
    &["2.1", "3.0", "3.1", "4.0", "5.0", "5.1", "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2", "7.3"];
/// The `data_api_version` values accepted for a flow with an endpoint; any other is an error.
pub const DATA_API_VERSIONS: &[&str] = &["3.0", "4.0"];
/// Meta limits the branches leaving one screen in the routing model.
pub const MAX_ROUTES_PER_SCREEN: usize = 10;

#[rustfmt::skip]
const COMPONENTS: &[&str] = &[
    "TextHeading", "TextSubheading", "TextBody", "TextCaption", "RichText", "TextInput", "TextArea", "CheckboxGroup",
    "RadioButtonsGroup", "Dropdown", "ChipsSelector", "DatePicker", "CalendarPicker", "OptIn", "Footer",
    "EmbeddedLink", "Image", "ImageCarousel", "Form", "If", "Switch", "NavigationList", "PhotoPicker",
    "DocumentPicker",
];
#[rustfmt::skip]
const INPUTS: &[&str] = &[
    "TextInput", "TextArea", "CheckboxGroup", "RadioButtonsGroup", "Dropdown", "ChipsSelector", "DatePicker",
    "CalendarPicker", "OptIn", "PhotoPicker", "DocumentPicker",
];
const TEXTS: &[&str] = &["TextHeading", "TextSubheading", "TextBody", "TextCaption", "RichText"];
const WITH_OPTIONS: &[&str] = &["CheckboxGroup", "RadioButtonsGroup", "Dropdown", "ChipsSelector"];
const ACTION_KEYS: &[&str] = &["on-click-action", "on-select-action", "on-unselect-action"];
const ACTIONS: &[&str] = &["navigate", "data_exchange", "complete", "update_data", "open_url"];

/// How serious a [`Problem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Breaks a structural rule of Flow JSON; [`has_errors`] reports it.
    Error,
    /// Worth a look but not disqualifying (e.g. a Flow JSON version this checker does not know).
    Warning,
}

/// One finding of the Flow JSON check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Whether it is an error or a warning.
    pub severity: Severity,
    /// JSON path of the value concerned (`$` is the document).
    pub path: String,
    /// What is wrong, for people.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}: {}", self.path, self.message)
    }
}

/// What the checker knows besides the document.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The flow's endpoint (`endpointUri`), when known; with `data_api_version` it must be https.
    pub endpoint_uri: Option<String>,
}

/// True when any problem is an error.
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// Check a Flow JSON text.
pub fn validate_text(text: &str, opts: &Options) -> Vec<Problem> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => validate(&v, opts),
        Err(e) => vec![Problem { severity: Severity::Error, path: "$".into(), message: format!("not JSON: {e}") }],
    }
}

struct Checker<'a> {
    problems: Vec<Problem>,
    screen_ids: BTreeSet<&'a str>,
    terminal: BTreeSet<&'a str>,
    routes: Option<BTreeMap<&'a str, Vec<&'a str>>>,
    has_data_api: bool,
}

impl<'a> Checker<'a> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem { severity: Severity::Error, path: path.into(), message: message.into() });
    }
    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem { severity: Severity::Warning, path: path.into(), message: message.into() });
    }
}

/// Check a parsed Flow JSON document; problems in document order, errors and warnings.
pub fn validate(doc: &Value, opts: &Options) -> Vec<Problem> {
    let Some(root) = doc.as_object() else {
        return vec![Problem { severity: Severity::Error, path: "$".into(), message: "expected an object".into() }];
    };
    let mut c = Checker {
        problems: Vec::new(),
        screen_ids: BTreeSet::new(),
        terminal: BTreeSet::new(),
        routes: None,
        has_data_api: root.contains_key("data_api_version"),
    };
    check_versions(&mut c, root, opts);
    let screens = match root.get("screens") {
        Some(Value::Array(s)) if !s.is_empty() => s.as_slice(),
        Some(Value::Array(_)) => {
            c.error("$.screens", "at least one screen is required");
            &[]
        }
        Some(_) => {
            c.error("$.screens", "expected an array of screens");
            &[]
        }
        None => {
            c.error("$.screens", "required");
            &[]
        }
    };
    for (i, s) in screens.iter().enumerate() {
        let path = format!("$.screens[{i}]");
        let Some(id) = s.get("id").and_then(Value::as_str) else {
            c.error(&format!("{path}.id"), "required: a string");
            continue;
        };
        if id == "SUCCESS" {
            c.error(&format!("{path}.id"), "`SUCCESS` is reserved (it closes the flow)");
        } else if id.is_empty() || !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            c.error(&format!("{path}.id"), format!("`{id}`: use letters, digits and underscores"));
        }
        if !c.screen_ids.insert(id) {
            c.error(&format!("{path}.id"), format!("duplicate screen id `{id}`"));
        }
        if s.get("terminal").and_then(Value::as_bool) == Some(true) {
            c.terminal.insert(id);
        }
    }
    if !screens.is_empty() && c.terminal.is_empty() {
        c.error("$.screens", "no terminal screen (`\"terminal\": true`): the flow can never complete");
    }
    check_routing_model(&mut c, root);
    for (i, s) in screens.iter().enumerate() {
        check_screen(&mut c, s, &format!("$.screens[{i}]"));
    }
    c.problems
}

fn check_versions(c: &mut Checker<'_>, root: &Map<String, Value>, opts: &Options) {
    match root.get("version").and_then(Value::as_str) {
        None => c.error("$.version", "required: a string such as \"7.2\""),
        Some(v) if !KNOWN_VERSIONS.contains(&v) => {
            c.warn("$.version", format!("`{v}` is not a version this check knows"))
        }
        Some(_) => {}
    }
    let major = root.get("version").and_then(Value::as_str).and_then(|v| v.split('.').next()?.parse::<u32>().ok());
    match root.get("data_api_version") {
        None => {}
        Some(Value::String(d)) if DATA_API_VERSIONS.contains(&d.as_str()) => {}
        Some(d) => c.error("$.data_api_version", format!("expected one of {DATA_API_VERSIONS:?}, got {d}")),
    }
    if let Some(uri) = root.get("data_channel_uri") {
        if major.is_some_and(|m| m >= 3) {
            c.error("$.data_channel_uri", "not allowed from Flow JSON 3.0: set the flow's endpoint_uri instead");
        } else if !uri.as_str().is_some_and(|u| u.starts_with("https://")) {
            c.error("$.data_channel_uri", "must be an https:// URL");
        }
    }
    if c.has_data_api {
        match opts.endpoint_uri.as_deref() {
            Some(u) if !u.starts_with("https://") => {
                c.error("$.data_api_version", "the endpoint must be an https:// URL")
            }
            Some(_) => {}
            None if root.contains_key("data_channel_uri") => {}
            None => c.warn(
                "$.data_api_version",
                "the flow exchanges data: make sure its endpoint_uri is set (CreateWhatsAppFlow endpointUri)",
            ),
        }
        if !root.contains_key("routing_model") {
            c.error("$.routing_model", "required with data_api_version (the screens the endpoint may route to)");
        }
    } else if root.contains_key("routing_model") {
        c.warn("$.routing_model", "only used by flows with an endpoint (data_api_version)");
    }
}

fn check_routing_model<'a>(c: &mut Checker<'a>, root: &'a Map<String, Value>) {
    let Some(model) = root.get("routing_model") else { return };
    let Some(model) = model.as_object() else {
        c.error("$.routing_model", "expected an object: screen id → [screen ids]");
        return;
    };
    let mut routes: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
    for (from, to) in model {
        let path = format!("$.routing_model.{from}");
        if !c.screen_ids.contains(from.as_str()) {
            c.error(&path, format!("`{from}` is not a screen"));
        }
        let Some(list) = to.as_array() else {
            c.error(&path, "expected an array of screen ids");
            continue;
        };
        if list.len() > MAX_ROUTES_PER_SCREEN {
            c.error(&path, format!("{} routes; at most {MAX_ROUTES_PER_SCREEN}", list.len()));
        }
        let mut targets = Vec::new();
        for (j, t) in list.iter().enumerate() {
            let tpath = format!("{path}[{j}]");
            match t.as_str() {
                Some(t) if t == from => c.error(&tpath, "a screen cannot route to itself"),
                Some(t) if !c.screen_ids.contains(t) => c.error(&tpath, format!("`{t}` is not a screen")),
                Some(t) => targets.push(t),
                None => c.error(&tpath, "expected a screen id"),
            }
        }
        if c.terminal.contains(from.as_str()) && !targets.is_empty() {
            c.warn(&path, "a terminal screen routes onwards");
        }
        routes.insert(from.as_str(), targets);
    }
    let ids: Vec<&'a str> = c.screen_ids.iter().copied().collect();
    // Meta's own examples name only some screens, or none (`{}`): a warning, not a refusal.
    for id in &ids {
        if !routes.contains_key(id) && !routes.is_empty() {
            c.warn("$.routing_model", format!("screen `{id}` has no entry (give it [] if it routes nowhere)"));
        }
    }
    if routes.is_empty() && !ids.is_empty() {
        c.warn("$.routing_model", "empty: Meta derives the routes, and may ask for them when the flow is published");
        return;
    }
    let targeted: BTreeSet<&str> = routes.values().flatten().copied().collect();
    let entries: Vec<&str> = ids.iter().copied().filter(|id| !targeted.contains(id)).collect();
    if entries.is_empty() && !ids.is_empty() {
        c.error("$.routing_model", "no entry screen: every screen is the target of a route");
    }
    // Every screen reachable from an entry should be able to reach a terminal screen.
    for id in &ids {
        // A terms screen opened from a form and closed with back is published by Meta itself.
        if !c.terminal.contains(id) && !reaches(&routes, id, &c.terminal) {
            c.warn(&format!("$.routing_model.{id}"), "no route from this screen leads to a terminal screen");
        }
    }
    c.routes = Some(routes);
}

fn reaches(routes: &BTreeMap<&str, Vec<&str>>, from: &str, goals: &BTreeSet<&str>) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if !seen.insert(s) {
            continue;
        }
        for t in routes.get(s).into_iter().flatten() {
            if goals.contains(t) {
                return true;
            }
            stack.push(t);
        }
    }
    false
}

fn check_screen(c: &mut Checker<'_>, s: &Value, path: &str) {
    let id = s.get("id").and_then(Value::as_str).unwrap_or_default();
    let terminal = s.get("terminal").and_then(Value::as_bool) == Some(true);
    if let Some(t) = s.get("terminal").filter(|t| !t.is_boolean()) {
        c.error(&format!("{path}.terminal"), format!("expected true or false, got {t}"));
    }
    if let Some(data) = s.get("data") {
        match data.as_object() {
            None => c.error(&format!("{path}.data"), "expected an object declaring the screen's data"),
            Some(props) => {
                for (name, spec) in props {
                    let p = format!("{path}.data.{name}");
                    if spec.get("type").and_then(Value::as_str).is_none() {
                        c.error(&p, "each data field needs a `type`");
                    }
                    if spec.get("__example__").is_none() {
                        c.error(&p, "each data field needs an `__example__`");
                    }
                }
            }
        }
    }
    let Some(layout) = s.get("layout") else {
        c.error(&format!("{path}.layout"), "required");
        return;
    };
    if layout.get("type").and_then(Value::as_str) != Some("SingleColumnLayout") {
        c.error(&format!("{path}.layout.type"), "expected \"SingleColumnLayout\"");
    }
    let Some(children) = layout.get("children").and_then(Value::as_array) else {
        c.error(&format!("{path}.layout.children"), "required: an array of components");
        return;
    };
    let mut scan = Scan { screen: id, terminal, names: BTreeSet::new(), footers: 0 };
    check_components(c, &mut scan, children, &format!("{path}.layout.children"));
    if scan.footers > 1 {
        c.error(&format!("{path}.layout"), format!("{} Footers; a screen has at most one", scan.footers));
    }
    if terminal && scan.footers == 0 {
        c.error(&format!("{path}.layout"), "a terminal screen needs a Footer");
    }
}

struct Scan<'s> {
    screen: &'s str,
    terminal: bool,
    names: BTreeSet<String>,
    footers: usize,
}

fn check_components(c: &mut Checker<'_>, scan: &mut Scan<'_>, list: &[Value], path: &str) {
    for (i, comp) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(kind) = comp.get("type").and_then(Value::as_str) else {
            c.error(&format!("{p}.type"), "required: the component type");
            continue;
        };
        let has = |k: &str| comp.get(k).is_some();
        if !COMPONENTS.contains(&kind) {
            c.warn(&format!("{p}.type"), format!("`{kind}` is not a component this check knows"));
        }
        if INPUTS.contains(&kind) {
            match comp.get("name").and_then(Value::as_str) {
                None => c.error(&format!("{p}.name"), format!("{kind} needs a `name`")),
                Some(n) if !scan.names.insert(n.to_string()) => {
                    c.error(&format!("{p}.name"), format!("duplicate input name `{n}` on this screen"))
                }
                Some(_) => {}
            }
        }
        if TEXTS.contains(&kind) && !has("text") {
            c.error(&format!("{p}.text"), format!("{kind} needs `text`"));
        }
        if WITH_OPTIONS.contains(&kind) && !has("data-source") {
            c.error(&format!("{p}.data-source"), format!("{kind} needs a `data-source`"));
        }
        if kind == "Footer" {
            scan.footers += 1;
            if !has("label") {
                c.error(&format!("{p}.label"), "Footer needs a `label`");
            }
            if !has("on-click-action") {
                c.error(&format!("{p}.on-click-action"), "Footer needs an `on-click-action`");
            }
        }
        if kind == "EmbeddedLink" && !has("on-click-action") {
            c.error(&format!("{p}.on-click-action"), "EmbeddedLink needs an `on-click-action`");
        }
        for key in ACTION_KEYS {
            if let Some(a) = comp.get(*key) {
                check_action(c, scan, a, &format!("{p}.{key}"));
            }
        }
        for nested in ["children", "then", "else"] {
            if let Some(list) = comp.get(nested).and_then(Value::as_array) {
                check_components(c, scan, list, &format!("{p}.{nested}"));
            }
        }
        if kind == "Form" && !has("children") {
            c.error(&format!("{p}.children"), "Form needs `children`");
        }
        if let Some(cases) = comp.get("cases").and_then(Value::as_object) {
            for (k, v) in cases {
                if let Some(list) = v.as_array() {
                    check_components(c, scan, list, &format!("{p}.cases.{k}"));
                }
            }
        }
    }
}

fn check_action(c: &mut Checker<'_>, scan: &Scan<'_>, a: &Value, path: &str) {
    let Some(name) = a.get("name").and_then(Value::as_str) else {
        c.error(&format!("{path}.name"), format!("required: one of {ACTIONS:?}"));
        return;
    };
    match name {
        "navigate" => {
            let next = a.pointer("/next/name").and_then(Value::as_str);
            match next {
                None => {
                    c.error(&format!("{path}.next.name"), "navigate needs `next: {\"type\": \"screen\", \"name\"}`")
                }
                Some(n) if !c.screen_ids.contains(n) => {
                    c.error(&format!("{path}.next.name"), format!("`{n}` is not a screen"))
                }
                Some(n) => {
                    // Checked against the screen's entry when the routing model gives it one.
                    let allowed = c.routes.as_ref().and_then(|r| r.get(scan.screen)).map(|t| t.contains(&n));
                    if allowed == Some(false) {
                        c.error(
                            &format!("{path}.next.name"),
                            format!("route {} → {n} is not in routing_model", scan.screen),
                        );
                    }
                }
            }
        }
        "complete" if !scan.terminal => {
            c.error(&format!("{path}.name"), "`complete` is only allowed on a terminal screen")
        }
        "data_exchange" if !c.has_data_api => {
            c.error(&format!("{path}.name"), "`data_exchange` needs data_api_version (and an endpoint)")
        }
        n if !ACTIONS.contains(&n) => c.error(&format!("{path}.name"), format!("unknown action `{n}`")),
        _ => {}
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
