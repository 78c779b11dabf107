//! The house rules, checked on the source itself: each layer uses only the layers below it, no two modules
//! import each other (directly or round a circle), no file is over 400 lines, and stored attribute names
//! are written only in the records module. README.md ("Architecture") explains the rules; this keeps them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// What a path into the crate root's own items resolves to.
const ROOT: &str = "<the crate root>";

/// What each layer may use, besides itself.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("store", &["domain"]),
    ("shopify", &["domain"]),
    ("app", &["domain", "store", "shopify"]),
    ("api", &["domain", "app"]),
    ("config", &["app", "store", "shopify"]),
];

/// What each layer must not touch: the domain no I/O, clock, AWS, HTTP or storage; below the API glue no
/// HTTP request; each adapter not the other's world.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "aws_sdk_dynamodb",
            "serde_dynamo",
            "lambda_http",
            "reqwest",
            "tokio",
            "hmac",
            "serde_json",
            "now_utc",
            "SystemTime",
            "Instant",
        ],
    ),
    ("app", &["lambda_http", "aws_sdk_dynamodb", "serde_dynamo", "reqwest", "serde_json"]),
    ("store", &["lambda_http", "reqwest"]),
    ("shopify", &["lambda_http", "aws_sdk_dynamodb", "serde_dynamo"]),
];

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

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    sources
        .iter()
        .map(|s| {
            let used = uses(s, &modules);
            // A module and its own parent share items by design (`impl Store` in `store::rewards`).
            let related = |m: &Vec<String>| is_ancestor(m, &s.module) || is_ancestor(&s.module, m);
            let used = used.into_iter().filter(|m| !related(m)).collect();
            (s.module.clone(), used)
        })
        .collect()
}

#[test]
fn each_layer_uses_only_the_layers_beneath_it() {
    let mut wrong = Vec::new();
    for (module, used) in graph() {
        let Some(layer) = module.first() else { continue };
        if used.iter().any(|m| m.first().map(String::as_str) == Some(ROOT)) {
            wrong.push(format!("{} uses the crate root's re-exports", module.join("::")));
        }
        let Some((_, allowed)) = ALLOWED.iter().find(|(l, _)| l == layer) else { continue };
        for other in used {
            let Some(other_layer) = other.first() else { continue };
            if other_layer != layer && other_layer != ROOT && !allowed.contains(&other_layer.as_str()) {
                wrong.push(format!("{} uses {}", module.join("::"), other.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "layers used out of order:\n{}", wrong.join("\n"));
}

#[test]
fn no_layer_touches_what_is_not_its_own() {
    for source in sources() {
        let Some(layer) = source.module.first() else { continue };
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(l, _)| l == layer) else { continue };
        let words: BTreeSet<&str> = shipped(&source.text).split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
        for name in *forbidden {
            assert!(!words.contains(name), "{} uses {name}", source.path.display());
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

/// Where a string could only name a stored attribute. The API glue, the Shopify client, the functions and
/// the domain's messages to clients write wire names (`customerId` is a query parameter as well as an
/// attribute), and are left out.
const STORAGE_SIDE: &[&str] = &["app", "store", "config"];

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
        for literal in string_literals(shipped(&source.text)) {
            let path = source.path.display();
            // A name given on its own: an attribute passed where a placeholder is bound, say.
            assert!(!names.contains(literal.as_str()), "{path} spells the stored attribute {literal:?}");
            // A name written into an expression; `#status` and `:status` are placeholders, bound to constants.
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
