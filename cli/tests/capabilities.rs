//! `wapipe capabilities`: every row of the source documents' matrices (`docs/coverage-matrix.md`)
//! is in the registry, and every gap answers with its runbook.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn wapipe(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wapipe")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first column of every markdown table whose header's first cell is `Feature`, and the
/// names of the capability flags (`"name": True|False,`).
fn seed_rows() -> (Vec<String>, Vec<String>) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/coverage-matrix.md")).unwrap();
    let mut features = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if !line.trim_start().starts_with('|') {
            in_table = false;
            continue;
        }
        if cells.first() == Some(&"Feature") {
            in_table = true;
            continue;
        }
        if in_table && !cells[0].starts_with("---") {
            features.push(cells[0].to_string());
        }
    }
    let flags = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split_once("\":"))
        .filter(|(_, rest)| rest.contains("True") || rest.contains("False"))
        .map(|(name, _)| name.to_string())
        .collect();
    (features, flags)
}

#[test]
fn every_seed_matrix_row_and_flag_is_in_the_registry() {
    let (features, flags) = seed_rows();
    assert!(features.len() > 100, "the matrices have over a hundred rows: {}", features.len());
    assert_eq!(flags.len(), 13, "{flags:?}");
    let (code, out, _) = wapipe(&["capabilities", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let rows = v["capabilities"].as_array().unwrap();
    assert_eq!(v["count"].as_u64().unwrap() as usize, rows.len());
    let names: BTreeSet<String> = rows.iter().map(|r| r["feature"].as_str().unwrap().to_ascii_lowercase()).collect();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let missing: Vec<&String> = features.iter().filter(|f| !names.contains(&f.to_ascii_lowercase())).collect();
    assert!(missing.is_empty(), "matrix rows not in the registry: {missing:?}");
    let missing: Vec<&String> = flags.iter().filter(|f| !ids.contains(f.as_str())).collect();
    assert!(missing.is_empty(), "capability flags not in the registry: {missing:?}");
    for r in rows {
        match r["state"].as_str().unwrap() {
            "eum" => assert!(!r["operations"].as_array().unwrap().is_empty(), "{r}"),
            "stack" => assert!(r["component"].is_string(), "{r}"),
            "local_only" | "not_supported" => {
                let rb = &r["runbook"];
                assert!(!rb["steps"].as_array().unwrap().is_empty() && rb["console"].is_string(), "{r}");
            }
            other => panic!("unknown state {other}"),
        }
    }
    let (code, only, _) = wapipe(&["capabilities", "--only", "not-supported", "--json"]);
    assert_eq!(code, 0);
    let only: Value = serde_json::from_str(&only).unwrap();
    assert_eq!(only["count"], v["totals"]["not_supported"]);
    assert!(only["capabilities"].as_array().unwrap().iter().all(|r| r["state"] == "not_supported"));
}

#[test]
fn show_prints_a_runbook_and_unknown_ids_exit_4() {
    let (code, out, _) = wapipe(&["capabilities", "show", "Request Display Name Change"]);
    assert_eq!(code, 0);
    assert!(out.contains("phone_display_name") && out.contains("1. Open WhatsApp Manager"), "{out}");
    assert!(out.contains("acknowledge with: wapipe phones runbook display-name --done"), "{out}");
    let (code, out, _) = wapipe(&["capabilities", "show", "payment_lookup", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["runbook"]["doc"], "docs/runbooks/payments.md");
    // WhatsApp has no refund API, but wapipe refunds through the gateway: the stack does it.
    let (code, out, _) = wapipe(&["capabilities", "show", "payment_refund", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["state"].as_str(), v["component"].as_str()), (Some("stack"), Some("functions/payment-processor")));
    let (code, _, err) = wapipe(&["capabilities", "show", "teleportation"]);
    assert_eq!(code, 4);
    assert!(err.contains("wapipe capabilities"), "{err}");
}
