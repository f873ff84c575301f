//! The repository stands on its own: no file points outside it, every "§" reference names a
//! section that exists in `docs/`, and no comment cites an internal issue number.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Folders that are built, installed or generated, never written by hand (and not committed).
const SKIPPED: &[&str] = &["target", ".git", ".venv", ".emulator", "bench-data", "node_modules"];

/// Every text file of the repository, with its path relative to the root.
fn text_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![root()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if path.is_dir() {
                if !SKIPPED.contains(&name.as_str()) {
                    dirs.push(path);
                }
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((relative(&path), text));
            }
        }
    }
    assert!(out.iter().any(|(p, _)| p == "README.md"), "walked the repository from {}", root().display());
    out
}

fn relative(path: &Path) -> String {
    let root = root().canonicalize().expect("root");
    let path = path.canonicalize().expect("path");
    path.strip_prefix(&root).unwrap_or(&path).to_string_lossy().replace('\\', "/")
}

#[test]
fn no_file_refers_to_the_handbook_outside_the_repository() {
    // Built at run time, so this file does not name it.
    let outside = format!("{}/{}", "..", "shared");
    let hits: Vec<String> = text_files()
        .into_iter()
        .flat_map(|(path, text)| {
            let outside = outside.clone();
            text.lines()
                .enumerate()
                .filter(move |(_, l)| l.contains(&outside))
                .map(move |(n, l)| format!("{path}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(hits.is_empty(), "files that point outside the repository:\n{}", hits.join("\n"));
}

/// Whether `doc` has section `number` ("2", "2.3"): a heading that starts with it, or a list
/// item labelled with it in bold.
fn has_section(doc: &str, number: &str) -> bool {
    doc.lines().any(|l| {
        let heading = l.trim_start_matches('#');
        let is_heading = heading.len() < l.len();
        let heading = heading.trim_start();
        (is_heading && (heading.starts_with(&format!("{number}.")) || heading.starts_with(&format!("{number} "))))
            || l.trim_start().starts_with(&format!("- **{number}**"))
    })
}

/// The section numbers cited as `docs/NAME §N` in `text`.
fn citations(text: &str, doc: &str) -> Vec<String> {
    let needle = format!("{doc} §");
    text.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &text[at + needle.len()..];
            let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            number.trim_end_matches('.').to_string()
        })
        .collect()
}

#[test]
fn every_section_reference_names_a_section_of_the_docs() {
    let files = text_files();
    let mut checked = 0;
    let mut missing = Vec::new();
    for doc in ["docs/PROTOCOL.md", "docs/ARCHITECTURE.md"] {
        let body = std::fs::read_to_string(root().join(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"));
        for (path, text) in &files {
            for number in citations(text, doc) {
                checked += 1;
                if number.is_empty() || !has_section(&body, &number) {
                    missing.push(format!("{path}: {doc} §{number}"));
                }
            }
        }
    }
    assert!(checked > 50, "the code cites the docs ({checked} references found)");
    assert!(missing.is_empty(), "references to sections that do not exist:\n{}", missing.join("\n"));
    // Every "§" in code and scripts says which document it is in (limits.rs names it once
    // for the whole file; this file names the sign itself).
    let bare: Vec<String> = files
        .iter()
        .filter(|(p, _)| !p.starts_with("docs/") && !p.ends_with("limits.rs") && !p.ends_with("tests/repository.rs"))
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    l.match_indices('§').any(|(at, _)| {
                        let before = &l[..at];
                        let named = before.ends_with("PROTOCOL.md ") || before.ends_with("ARCHITECTURE.md ");
                        let continued = before.trim_end().ends_with(['–', '-', ',']);
                        !named && !continued
                    })
                })
                .map(move |(n, l)| format!("{path}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(bare.is_empty(), "a § without its document:\n{}", bare.join("\n"));
}

#[test]
fn comments_do_not_cite_issue_numbers() {
    let code = [".rs", ".yaml", ".sh", ".py", ".toml"];
    let hits: Vec<String> = text_files()
        .into_iter()
        .filter(|(p, _)| code.iter().any(|ext| p.ends_with(ext)))
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    let lower = l.to_lowercase();
                    lower.match_indices("issue ").any(|(at, m)| {
                        lower[at + m.len()..].trim_start_matches('#').starts_with(|c: char| c.is_ascii_digit())
                    })
                })
                .map(move |(n, l)| format!("{path}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(hits.is_empty(), "comments citing issue numbers:\n{}", hits.join("\n"));
}
