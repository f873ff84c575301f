use serde_json::json;

use super::*;

const EXAMPLE: &str = include_str!("../../../../flows/appointment.flow.json");

fn opts() -> Options {
    Options { endpoint_uri: Some("https://flows.example.com/flow".into()) }
}

fn errors(doc: &Value) -> Vec<String> {
    validate(doc, &opts()).into_iter().filter(|p| p.severity == Severity::Error).map(|p| p.to_string()).collect()
}

fn warnings(doc: &Value) -> Vec<String> {
    validate(doc, &opts()).into_iter().filter(|p| p.severity == Severity::Warning).map(|p| p.to_string()).collect()
}

fn has(list: &[String], path: &str, words: &str) -> bool {
    list.iter().any(|p| p.contains(&format!("{path}:")) && p.contains(words))
}

#[test]
fn the_shipped_example_is_clean() {
    let problems = validate_text(EXAMPLE, &opts());
    assert!(problems.is_empty(), "{problems:#?}");
    // Without a known endpoint it only warns.
    let problems = validate_text(EXAMPLE, &Options::default());
    assert!(!has_errors(&problems), "{problems:#?}");
    assert!(problems.iter().any(|p| p.path == "$.data_api_version"));
}

#[test]
fn document_level_problems_are_reported_with_their_paths() {
    assert!(has_errors(&validate_text("{", &opts())));
    assert!(has(&errors(&json!([])), "$", "object"));
    let e = errors(&json!({"screens": []}));
    assert!(has(&e, "$.version", "required"), "{e:?}");
    assert!(has(&e, "$.screens", "at least one"), "{e:?}");
    let e = errors(&json!({"version": "7.2", "data_api_version": "9.9", "data_channel_uri": "https://x", "screens": [
        {"id": "A", "terminal": true, "layout": {"type": "SingleColumnLayout", "children": [
            {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}]}}]}));
    assert!(has(&e, "$.data_api_version", "expected one of"), "{e:?}");
    assert!(has(&e, "$.data_channel_uri", "not allowed"), "{e:?}");
    assert!(has(&e, "$.routing_model", "required with data_api_version"), "{e:?}");
    let http = Options { endpoint_uri: Some("http://insecure".into()) };
    let doc: Value = serde_json::from_str(EXAMPLE).unwrap();
    assert!(validate(&doc, &http).iter().any(|p| p.severity == Severity::Error && p.message.contains("https")));
}

#[test]
fn screens_need_ids_a_terminal_and_footers() {
    let e = errors(&json!({"version": "7.2", "screens": [
        {"id": "SUCCESS", "layout": {"type": "SingleColumnLayout", "children": []}},
        {"id": "A B", "layout": {"type": "Other", "children": []}},
        {"id": "A B", "layout": {"type": "SingleColumnLayout"}},
        {"title": "no id"}
    ]}));
    assert!(has(&e, "$.screens[0].id", "reserved"), "{e:?}");
    assert!(has(&e, "$.screens[1].id", "letters"), "{e:?}");
    assert!(has(&e, "$.screens[2].id", "duplicate"), "{e:?}");
    assert!(has(&e, "$.screens[3].id", "required"), "{e:?}");
    assert!(has(&e, "$.screens", "no terminal screen"), "{e:?}");
    assert!(has(&e, "$.screens[1].layout.type", "SingleColumnLayout"), "{e:?}");
    assert!(has(&e, "$.screens[2].layout.children", "required"), "{e:?}");
    let e = errors(&json!({"version": "7.2", "screens": [
        {"id": "END", "terminal": true, "layout": {"type": "SingleColumnLayout", "children": [{"type": "TextBody", "text": "x"}]}}]}));
    assert!(has(&e, "$.screens[0].layout", "needs a Footer"), "{e:?}");
}

#[test]
fn routing_model_must_match_the_screens_and_lead_to_a_terminal() {
    let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
    doc["routing_model"] =
        json!({"APPOINTMENT": ["NOWHERE", "APPOINTMENT"], "DETAILS": [], "GHOST": [], "SUMMARY": "x"});
    let e = errors(&doc);
    assert!(has(&e, "$.routing_model.APPOINTMENT[0]", "not a screen"), "{e:?}");
    assert!(has(&e, "$.routing_model.APPOINTMENT[1]", "itself"), "{e:?}");
    assert!(has(&e, "$.routing_model.GHOST", "not a screen"), "{e:?}");
    assert!(has(&e, "$.routing_model.SUMMARY", "array"), "{e:?}");
    // A screen from which no route leads to a terminal screen is Meta's own terms-screen pattern:
    // a warning, not a refusal.
    assert!(!has(&e, "$.routing_model.DETAILS", "terminal"), "{e:?}");
    assert!(has(&warnings(&doc), "$.routing_model.DETAILS", "terminal"));
    doc["routing_model"] = json!({"APPOINTMENT": ["DETAILS"], "DETAILS": ["SUMMARY"], "SUMMARY": ["APPOINTMENT"]});
    let e = errors(&doc);
    assert!(has(&e, "$.routing_model", "no entry screen"), "{e:?}");
    // A partial model (Meta's examples name only some screens) is a warning too.
    doc["routing_model"] = json!({"APPOINTMENT": ["DETAILS"], "DETAILS": ["SUMMARY"]});
    assert!(errors(&doc).is_empty(), "{:?}", errors(&doc));
    assert!(has(&warnings(&doc), "$.routing_model", "`SUMMARY` has no entry"));
}

#[test]
fn components_and_actions_are_checked() {
    let doc = json!({"version": "7.2", "routing_model": {"A": ["B"], "B": []}, "data_api_version": "3.0", "screens": [
        {"id": "A", "data": {"x": {"type": "string"}}, "layout": {"type": "SingleColumnLayout", "children": [
            {"type": "TextInput", "label": "no name"},
            {"type": "TextInput", "name": "n"},
            {"type": "Form", "name": "f", "children": [{"type": "TextArea", "name": "n"}, {"type": "Dropdown", "name": "d"}]},
            {"type": "TextBody"},
            {"label": "no type"},
            {"type": "Sparkles"},
            {"type": "EmbeddedLink", "text": "x", "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "A"}}},
            {"type": "Footer", "on-click-action": {"name": "complete"}},
            {"type": "Footer", "label": "x", "on-click-action": {"name": "teleport"}}
        ]}},
        {"id": "B", "terminal": true, "layout": {"type": "SingleColumnLayout", "children": [
            {"type": "Footer", "label": "Done", "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "Z"}}}]}}
    ]});
    let all = validate(&doc, &opts());
    let e = errors(&doc);
    let c = "$.screens[0].layout.children";
    assert!(has(&e, "$.screens[0].data.x", "__example__"), "{e:?}");
    assert!(has(&e, &format!("{c}[0].name"), "needs a `name`"), "{e:?}");
    assert!(has(&e, &format!("{c}[2].children[0].name"), "duplicate"), "{e:?}");
    assert!(has(&e, &format!("{c}[2].children[1].data-source"), "data-source"), "{e:?}");
    assert!(has(&e, &format!("{c}[3].text"), "needs `text`"), "{e:?}");
    assert!(has(&e, &format!("{c}[4].type"), "required"), "{e:?}");
    assert!(all.iter().any(|p| p.severity == Severity::Warning && p.path == format!("{c}[5].type")));
    assert!(has(&e, &format!("{c}[6].on-click-action.next.name"), "routing_model"), "{e:?}");
    assert!(has(&e, &format!("{c}[7].label"), "label"), "{e:?}");
    assert!(has(&e, &format!("{c}[7].on-click-action.name"), "terminal"), "{e:?}");
    assert!(has(&e, &format!("{c}[8].on-click-action.name"), "unknown action"), "{e:?}");
    assert!(has(&e, "$.screens[0].layout", "2 Footers"), "{e:?}");
    assert!(has(&e, "$.screens[1].layout.children[0].on-click-action.next.name", "not a screen"), "{e:?}");
    // data_exchange without data_api_version.
    let doc = json!({"version": "7.2", "screens": [{"id": "A", "terminal": true, "layout": {"type": "SingleColumnLayout",
        "children": [{"type": "Footer", "label": "x", "on-click-action": {"name": "data_exchange"}}]}}]});
    assert!(has(&errors(&doc), "$.screens[0].layout.children[0].on-click-action.name", "data_api_version"));
}

/// wapipe never refuses what Meta accepts: flows shaped after Meta's and pywa's published
/// examples (terminal screens routing onwards, a terms screen that routes nowhere, an empty
/// routing model) have no error; what a stricter reading would refuse is a warning.
#[test]
fn every_published_example_flow_has_no_error() {
    let fixtures = crate::domain::templates::tests::meta_fixtures("flows");
    assert!(fixtures.len() >= 3, "{} fixtures", fixtures.len());
    let mut warnings = 0;
    for (name, text) in fixtures {
        let problems = validate_text(&text, &opts());
        let errors: Vec<String> =
            problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        warnings += problems.len();
    }
    assert!(warnings >= 3, "the onward routes, the dead-end terms screen and the empty model are each warned about");
}
