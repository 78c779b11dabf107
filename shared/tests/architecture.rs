//! The house rules, checked on the source itself: each layer uses only the layers below it, no two modules
//! import each other (directly or round a circle), no file is over 400 lines, and stored attribute names
//! are written only in the records module. README.md ("Architecture") explains the rules; this keeps them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// What each layer may use, besides itself.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("store", &["domain"]),
    ("shopify", &["domain"]),
    ("app", &["domain", "store", "shopify"]),
    ("api", &["domain", "app"]),
    ("config", &["app", "store", "shopify"]),
];

/// Crates the pure domain must not touch: I/O, AWS, HTTP and storage.
const NOT_IN_DOMAIN: &[&str] =
    &["aws_sdk_dynamodb", "serde_dynamo", "lambda_http", "reqwest", "tokio", "hmac", "serde_json::Value"];

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

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source { module, path, text }
        })
        .collect()
}

/// The file without its tests: the rules are for the code that ships.
fn shipped(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// Every module path the file names, `crate::…` or `super::…`, resolved to the modules that exist.
fn uses(source: &Source, modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let text = shipped(&source.text);
    let mut found = BTreeSet::new();
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).collect();
    for word in words {
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

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    sources
        .iter()
        .map(|s| {
            let used = uses(s, &modules);
            // A module and its own parent share items by design (`impl Store` in `store::rewards`).
            let used = used.into_iter().filter(|m| !is_ancestor(m, &s.module) && !is_ancestor(&s.module, m)).collect();
            (s.module.clone(), used)
        })
        .collect()
}

#[test]
fn each_layer_uses_only_the_layers_beneath_it() {
    let mut wrong = Vec::new();
    for (module, used) in graph() {
        let Some(layer) = module.first() else { continue };
        let Some((_, allowed)) = ALLOWED.iter().find(|(l, _)| l == layer) else { continue };
        for other in used {
            let Some(other_layer) = other.first() else { continue };
            if other_layer != layer && !allowed.contains(&other_layer.as_str()) {
                wrong.push(format!("{} uses {}", module.join("::"), other.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "layers used out of order:\n{}", wrong.join("\n"));
}

#[test]
fn the_domain_touches_no_io_aws_http_or_storage() {
    for source in sources().iter().filter(|s| s.module.first().map(String::as_str) == Some("domain")) {
        for name in NOT_IN_DOMAIN {
            assert!(!shipped(&source.text).contains(name), "{} uses {name}", source.path.display());
        }
    }
}

#[test]
fn no_modules_import_each_other_round_a_circle() {
    let graph = graph();
    // Depth-first search; a node met again while on the stack closes a circle.
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
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("an import circle: {}", circle.join(" → "));
        }
    }
}

#[test]
fn no_file_is_over_400_lines() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    rust_files(&workspace.join("shared"), &mut files);
    rust_files(&workspace.join("functions"), &mut files);
    for file in files {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= MAX_LINES, "{} has {lines} lines", file.display());
    }
}

/// Where a string could only name a stored attribute. The API glue, the Shopify client and the functions
/// write wire names (`customerId` is a query parameter as well as an attribute), and are left out.
const STORAGE_SIDE: &[&str] = &["domain", "app", "store", "config"];

#[test]
fn stored_attribute_names_are_written_only_in_the_records_module() {
    let sources = sources();
    let is_records = |s: &Source| s.module.starts_with(&["store".to_string(), "records".to_string()]);
    let mut names = BTreeSet::new();
    for source in sources.iter().filter(|s| is_records(s)) {
        for piece in source.text.split("Attribute(\"").skip(1) {
            names.insert(piece.split('"').next().unwrap().to_string());
        }
    }
    assert!(names.contains("status") && names.contains("availablePoints"), "the attribute constants are found");
    let storage_side = |s: &&Source| s.module.first().is_some_and(|layer| STORAGE_SIDE.contains(&layer.as_str()));
    for source in sources.iter().filter(|s| !is_records(s)).filter(storage_side) {
        for name in &names {
            let literal = format!("\"{name}\"");
            let text = shipped(&source.text);
            assert!(!text.contains(&literal), "{} spells the stored attribute {literal}", source.path.display());
        }
    }
}
