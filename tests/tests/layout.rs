//! The layout keeps its own rules (docs/ARCHITECTURE.md §6):
//! - the domain is pure: no `async`, no port, no adapter, no AWS or Lambda type;
//! - each port is one file with one trait, and says how it fails;
//! - no two files of one module import each other, directly or through others.
//!
//! Test code is left out: tests may drive the domain through the in-memory store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped part of a source file: everything before its first `#[cfg(test)]`.
fn shipped(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("tests.rs"))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Non-comment lines of shipped code, with their numbers.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    shipped(text).lines().enumerate().map(|(n, l)| (n + 1, l.trim())).filter(|(_, l)| !l.starts_with("//"))
}

#[test]
fn the_domain_is_pure() {
    const FORBIDDEN: &[&str] = &[
        "async fn",
        ".await",
        "crate::ports",
        "crate::app",
        "crate::aws",
        "crate::memory",
        "crate::lambda",
        "aws_sdk_",
        "aws_config",
        "aws_lambda_events",
        "lambda_runtime",
        "tokio",
    ];
    let domain = root().join("core/src/domain");
    let files: Vec<PathBuf> = rust_files(&domain).into_iter().filter(|p| !is_test_file(p)).collect();
    assert!(files.len() > 40, "read the domain at {}: {} files", domain.display(), files.len());
    let mut hits = Vec::new();
    for path in &files {
        let text = read(path);
        for (n, line) in code_lines(&text) {
            for word in FORBIDDEN {
                if line.contains(word) {
                    hits.push(format!("{}:{n}: `{word}` in {line}", path.display()));
                }
            }
        }
    }
    assert!(hits.is_empty(), "the domain must not do I/O or know the ports:\n{}", hits.join("\n"));
}

#[test]
fn each_port_is_one_file_with_one_trait_that_documents_its_errors() {
    let ports = root().join("core/src/ports");
    let expected = ["accounts", "admin", "bus", "clock", "conversions", "gateway", "messaging", "queue", "store"];
    for name in expected {
        let path = ports.join(format!("{name}.rs"));
        let text = read(&path);
        let traits: Vec<&str> = code_lines(&text).map(|(_, l)| l).filter(|l| l.starts_with("pub trait ")).collect();
        assert_eq!(traits.len(), 1, "{name}: one port trait per file, found {traits:?}");
        // The clock cannot fail; every other port says how it does.
        if name != "clock" {
            assert!(text.contains("# Errors"), "{name}: the trait documents its errors (`# Errors`)");
        }
    }
    let files: BTreeSet<String> = rust_files(&ports)
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .filter(|s| s != "mod")
        .collect();
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(files, expected, "one file per port, and nothing else in ports/");
}

/// The module path of the folder `dir` (relative to a crate's `src`): `crate::domain::normalize`.
fn module_path(src: &Path, dir: &Path) -> String {
    let rel = dir.strip_prefix(src).expect("under src");
    std::iter::once("crate".to_string())
        .chain(rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join("::")
}

/// The sibling files each file of one folder imports (by `super::x`, `crate::…::x` or, at a
/// crate root, `crate::x`). `mod.rs`, `lib.rs` and `main.rs` are the module itself, not a
/// sibling, and test files are left out.
fn sibling_imports(src: &Path, dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !is_test_file(p))
        .collect();
    let name = |p: &Path| p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
    let siblings: BTreeSet<String> =
        files.iter().map(|p| name(p)).filter(|n| !matches!(n.as_str(), "mod" | "lib" | "main")).collect();
    let module = module_path(src, dir);
    let mut graph = BTreeMap::new();
    for path in files.iter().filter(|p| siblings.contains(&name(p))) {
        let text = read(path);
        let code: String = code_lines(&text).map(|(_, l)| format!("{l}\n")).collect();
        let mut grouped = BTreeSet::new();
        for base in ["super", module.as_str()] {
            grouped.extend(grouped_names(&code, &format!("{base}::{{")));
        }
        let uses: BTreeSet<String> = siblings
            .iter()
            .filter(|s| **s != name(path))
            .filter(|s| {
                grouped.contains(*s)
                    || ["super", module.as_str()]
                        .iter()
                        .any(|base| code.contains(&format!("{base}::{s}::")) || code.contains(&format!("{base}::{s};")))
            })
            .cloned()
            .collect();
        graph.insert(name(path), uses);
    }
    graph
}

/// The names inside every `prefix…}` group of `code` (`use super::{a, b::C}` → a, b).
fn grouped_names(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        let group = rest.split('}').next().unwrap_or_default();
        for part in group.split(',') {
            let head = part.trim().split("::").next().unwrap_or_default().trim();
            if !head.is_empty() {
                out.insert(head.to_string());
            }
        }
    }
    out
}

/// A cycle in `graph`, if there is one, as the files along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_finder_finds_a_cycle_through_three_files() {
    let g = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(find_cycle(&g(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let cycle = find_cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])).expect("a cycle");
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    let names = grouped_names("use super::{fields, message::unit};\n", "super::{");
    assert_eq!(names, ["fields", "message"].iter().map(|s| s.to_string()).collect());
}

#[test]
fn no_two_files_of_one_module_import_each_other() {
    let mut crates: Vec<PathBuf> = vec![root().join("core/src"), root().join("cli/src")];
    for entry in std::fs::read_dir(root().join("functions")).expect("functions") {
        crates.push(entry.expect("entry").path().join("src"));
    }
    let mut cycles = Vec::new();
    let mut folders = 0;
    for src in &crates {
        let mut dirs = vec![src.clone()];
        while let Some(dir) = dirs.pop() {
            folders += 1;
            for entry in std::fs::read_dir(&dir).expect("folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                }
            }
            if let Some(cycle) = find_cycle(&sibling_imports(src, &dir)) {
                cycles.push(format!("{}: {}", dir.display(), cycle.join(" → ")));
            }
        }
    }
    assert!(folders > 20, "walked {folders} folders");
    assert!(cycles.is_empty(), "import cycles between files of one module:\n{}", cycles.join("\n"));
}
