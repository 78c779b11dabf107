//! The house rules the compiler cannot check, on the source itself: no file has more than 400 shipped lines
//! (its test module aside), in `shared/`, `functions/` and `tools/` alike; no two modules of a crate import
//! each other, directly or round a circle; and stored attribute names are written only in the store's
//! records module. Which crate may use which is the compiler's to hold (README.md, "Architecture").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// What a path into the crate root's own items resolves to.
const ROOT: &str = "<the crate root>";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// Every crate of the workspace whose code ships: the layers, the functions, the tools.
fn crates() -> Vec<PathBuf> {
    let mut crates = Vec::new();
    for folder in ["shared", "functions", "tools"] {
        for entry in std::fs::read_dir(workspace().join(folder)).expect("a readable folder").flatten() {
            if entry.path().join("Cargo.toml").exists() {
                crates.push(entry.path());
            }
        }
    }
    crates.sort();
    crates
}

/// The sources of one crate, by module path (test-only files left out: they do not ship).
fn sources(krate: &Path) -> Vec<Source> {
    let root = krate.join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .filter(|path| !is_test_file(&root, path))
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source { module, path, text }
        })
        .collect()
}

/// A file only tests compile: `tests.rs` beside a module, or anything under a `tests/` module folder.
fn is_test_file(root: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap();
    relative.file_name().is_some_and(|n| n == "tests.rs") || relative.iter().any(|part| part == "tests")
}

struct Source {
    /// The module path, `store::records::reward` (a `mod.rs` is its folder's module).
    module: Vec<String>,
    path: PathBuf,
    text: String,
}

fn rust_files(folder: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The file without its test module: the rules are for the code that ships.
fn shipped(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod ").map_or(text, |at| &text[..at])
}

/// Every module path the file names, `crate::…` or `super::…`, resolved to the modules that exist.
fn uses(source: &Source, modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let text = shipped(&source.text);
    let mut found = BTreeSet::new();
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).collect();
    // A path names something: `crate::x` or `super::x`, not `pub(crate)`.
    for word in words.into_iter().filter(|w| w.contains("::")) {
        let mut parts: Vec<&str> = word.split("::").filter(|p| !p.is_empty()).collect();
        let mut base: Vec<String> = match parts.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") => source.module.clone(),
            _ => continue,
        };
        while parts.first() == Some(&"super") {
            base.pop();
            parts.remove(0);
        }
        if parts.first() == Some(&"crate") {
            parts.remove(0);
        }
        base.extend(parts.iter().map(|p| p.to_string()));
        // The longest prefix that is a module: `crate::domain::reward::Reward` uses `domain::reward`.
        while !base.is_empty() && !modules.contains(&base) {
            base.pop();
        }
        // The crate root's re-exports (`crate::Deps`) are for the crate's users, not its own layers.
        if base.is_empty() {
            base.push(ROOT.into());
        }
        found.insert(base);
    }
    // Brace groups: `use super::{keys, Store}` names `keys`, a sibling module.
    for group in text.split("use ").skip(1) {
        let statement = group.split(';').next().unwrap_or("");
        let Some((head, rest)) = statement.split_once("::{") else { continue };
        let head: Vec<&str> = head.trim().split("::").collect();
        let mut base: Vec<String> = match head.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") => source.module.clone(),
            _ => continue,
        };
        for part in &head {
            match *part {
                "super" => {
                    base.pop();
                }
                "crate" => {}
                name => base.push(name.to_string()),
            }
        }
        for name in rest.split([',', '{', '}']).map(|n| n.trim().split("::").next().unwrap_or("").trim()) {
            let mut candidate = base.clone();
            candidate.push(name.to_string());
            if modules.contains(&candidate) {
                found.insert(candidate);
            }
        }
    }
    found
}

fn is_ancestor(a: &[String], b: &[String]) -> bool {
    a.len() <= b.len() && b[..a.len()] == *a
}

/// Whether a literal reads as a DynamoDB expression (a condition, an update, a key condition).
fn is_expression(literal: &str) -> bool {
    ["#", "attribute_", "begins_with", " = ", " IN (", "SET ", "REMOVE ", "ADD ", "BETWEEN"]
        .iter()
        .any(|m| literal.contains(m))
}

/// The contents of the string literals of some Rust source (comments aside).
fn string_literals(text: &str) -> Vec<String> {
    let mut literals = Vec::new();
    for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '"' {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        other => literal.push(other),
                    }
                }
                literals.push(literal);
            }
        }
    }
    literals
}

fn graph(sources: &[Source]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    sources
        .iter()
        .map(|s| {
            let used = uses(s, &modules);
            // A module and its own parent share items by design (`impl Writes` in `store::commit`).
            let related = |m: &Vec<String>| is_ancestor(m, &s.module) || is_ancestor(&s.module, m);
            let used =
                used.into_iter().filter(|m| !related(m) && m.first().map(String::as_str) != Some(ROOT)).collect();
            (s.module.clone(), used)
        })
        .collect()
}

/// A circle of imports in the graph, if there is one.
fn circle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle: Vec<String> = stack[at..].iter().map(|m| m.join("::")).collect();
            circle.push(node.join("::"));
            return Some(circle);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_modules_import_each_other_round_a_circle() {
    for krate in crates() {
        if let Some(circle) = circle(&graph(&sources(&krate))) {
            panic!("an import circle in {}: {}", krate.display(), circle.join(" → "));
        }
    }
}

#[test]
fn a_circle_is_found_where_there_is_one() {
    let source = |module: &str, text: &str| Source {
        module: vec![module.to_string()],
        path: PathBuf::from(module),
        text: text.to_string(),
    };
    let circular = [source("a", "use crate::b::X;"), source("b", "use super::a::Y;")];
    assert!(circle(&graph(&circular)).is_some());
    let straight = [source("a", "use crate::b::X;"), source("b", "")];
    assert!(circle(&graph(&straight)).is_none());
}

#[test]
fn no_file_ships_more_than_400_lines() {
    let mut long = Vec::new();
    for krate in crates() {
        for source in sources(&krate) {
            let lines = shipped(&source.text).lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} has {lines} shipped lines", source.path.display()));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn stored_attribute_names_are_written_only_in_the_records_module() {
    let store = sources(&workspace().join("shared/store"));
    let is_records = |s: &Source| s.module.first().is_some_and(|m| m == "records");
    let mut names = BTreeSet::new();
    for source in store.iter().filter(|s| is_records(s)) {
        for piece in source.text.split("Attribute(\"").skip(1) {
            names.insert(piece.split('"').next().unwrap().to_string());
        }
    }
    assert!(names.contains("status") && names.contains("availablePoints"), "the attribute constants are found");
    // The store outside its records, and the use cases, are where a stored name could be spelled by mistake.
    let app = sources(&workspace().join("shared/app"));
    for source in store.iter().filter(|s| !is_records(s)).chain(&app) {
        for literal in string_literals(shipped(&source.text)) {
            let path = source.path.display();
            assert!(!names.contains(literal.as_str()), "{path} spells the stored attribute {literal:?}");
            if !is_expression(&literal) {
                continue;
            }
            let words = literal.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#' || c == ':'));
            for word in words.filter(|w| !w.starts_with(['#', ':'])) {
                assert!(!names.contains(word), "{path} spells the stored attribute {word} in {literal:?}");
            }
        }
    }
}
