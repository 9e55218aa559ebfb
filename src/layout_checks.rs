//! Checks of the crate's layout, read from the sources: every module is listed in the crate
//! doc's `# Layout`, and no two modules of `src/` import each other, directly or round a
//! longer circle.
//!
//! The circle check reads the sources: every `crate::` / `super::` path outside the `#[cfg(test)]` part of
//! a file (in `use` lines, brace groups included, and inline) is an edge from the file's module
//! to the deepest module the path names. Edges to a module's own ancestors or descendants do
//! not count (a parent declares and re-exports its children). An edge between modules in
//! different branches counts between the two siblings that hold them, so a circle between
//! `standin::router` and `hosting` shows as `standin` and `hosting` importing each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Module = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a readable source");
            out.insert(module, text);
        }
    }
    out
}

/// The code of a file without its tests and comment lines.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::...` / `super::...` path of `code`, brace groups of `use` lines expanded.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let use_group = regex::Regex::new(r"\buse\s+((?:crate|super)(?:::\w+)*)::\{").unwrap();
    for m in use_group.captures_iter(code) {
        let start = m.get(0).unwrap().end();
        let mut depth = 1;
        let mut end = start;
        for (i, c) in code[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        expand(&m[1], &code[start..end], &mut out);
    }
    let inline = regex::Regex::new(r"\b(?:crate|super)(?:::\w+)+").unwrap();
    out.extend(inline.find_iter(code).map(|m| m.as_str().to_owned()));
    out
}

fn expand(prefix: &str, group: &str, out: &mut Vec<String>) {
    let mut items = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        match item.split_once('{') {
            Some((head, rest)) => {
                let inner = rest.rsplit_once('}').map_or(rest, |(inner, _)| inner);
                let head = head.trim().trim_end_matches("::");
                expand(&format!("{prefix}::{head}"), inner, out);
            }
            None => out.push(format!("{prefix}::{}", item.split(" as ").next().unwrap())),
        }
    }
}

/// The deepest module `path` (written in `from`) names.
fn resolve(from: &Module, path: &str, known: &BTreeMap<Module, String>) -> Module {
    let mut segments = path.split("::").peekable();
    let mut at = if segments.peek() == Some(&"crate") {
        segments.next();
        Vec::new()
    } else {
        let mut at = from.clone();
        while segments.next_if_eq(&"super").is_some() {
            at.pop();
        }
        at
    };
    for s in segments {
        at.push(s.to_owned());
        if !known.contains_key(&at) {
            at.pop();
            break;
        }
    }
    at
}

/// `(from, to)` edges between sibling modules.
fn edges(known: &BTreeMap<Module, String>) -> BTreeMap<(Module, Module), (Module, Module)> {
    let mut out = BTreeMap::new();
    for (from, text) in known {
        for path in paths(&code(text)) {
            let to = resolve(from, &path, known);
            if to.starts_with(from) || from.starts_with(&to) {
                continue;
            }
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            let key = (from[..=common].to_vec(), to[..=common].to_vec());
            out.entry(key).or_insert((from.clone(), to.clone()));
        }
    }
    out
}

/// The circles of the graph: its strongly connected parts of more than one module.
fn circles(edges: &BTreeSet<(Module, Module)>) -> Vec<Vec<Module>> {
    let nodes: BTreeSet<&Module> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reaches = |start: &Module| {
        let mut seen = BTreeSet::from([start.clone()]);
        let mut todo = vec![start.clone()];
        while let Some(n) = todo.pop() {
            for (_, b) in edges.iter().filter(|(a, _)| *a == n) {
                if seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&Module, BTreeSet<Module>> =
        nodes.iter().map(|n| (*n, reaches(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &nodes {
        if done.contains(*n) {
            continue;
        }
        let part: Vec<Module> = reach[n]
            .iter()
            .filter(|m| reach[m].contains(*n))
            .cloned()
            .collect();
        done.extend(part.iter().cloned());
        if part.len() > 1 {
            out.push(part);
        }
    }
    out
}

#[test]
fn no_module_of_src_imports_one_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    assert!(known.len() > 40, "only {} modules read", known.len());
    let edges = edges(&known);
    let found = circles(&edges.keys().cloned().collect());
    let show = |m: &Module| m.join("::");
    let report: Vec<String> = found
        .iter()
        .map(|part| {
            let via: Vec<String> = edges
                .iter()
                .filter(|((a, b), _)| part.contains(a) && part.contains(b))
                .map(|(_, (from, to))| format!("{} uses {}", show(from), show(to)))
                .collect();
            format!(
                "{} import each other: {}",
                part.iter().map(show).collect::<Vec<_>>().join(", "),
                via.join("; ")
            )
        })
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_check_finds_a_circle() {
    let known: BTreeMap<Module, String> = [
        (vec![], String::new()),
        (vec!["a".into()], String::new()),
        (
            vec!["a".into(), "x".into()],
            "use super::y::{Y, z::{self}};".into(),
        ),
        (
            vec!["a".into(), "y".into()],
            "fn f() { crate::a::x::f() }".into(),
        ),
        (
            vec!["a".into(), "y".into(), "z".into()],
            "use super::super::Q;".into(),
        ),
        (
            vec!["b".into()],
            "use crate::a::x;\n#[cfg(test)]\nuse crate::c;".into(),
        ),
        (vec!["c".into()], "// use crate::b;\nuse crate::a;".into()),
    ]
    .into_iter()
    .collect();
    let edges = edges(&known);
    let found = circles(&edges.keys().cloned().collect());
    assert_eq!(
        found,
        vec![vec![
            vec!["a".to_owned(), "x".into()],
            vec!["a".into(), "y".into()]
        ]]
    );
}

#[test]
fn the_crate_doc_lists_every_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layout: String = lib
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .skip_while(|l| *l != "//! # Layout")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!layout.is_empty(), "lib.rs has no `# Layout` section");
    let missing: Vec<String> = modules(&src)
        .keys()
        .filter_map(|m| m.last())
        .filter(|name| *name != "tests")
        .filter(|name| !layout.contains(&format!("`{name}`")))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "the crate doc's `# Layout` (src/lib.rs) does not name: {}",
        missing.join(", ")
    );
}
