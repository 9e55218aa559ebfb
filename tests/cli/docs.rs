//! The book (docs/, mdBook) and the README, checked by a plain `cargo test` without mdbook:
//! the generated step reference is up to date, every relative link and anchor resolves, every
//! chapter is in SUMMARY.md, and every ```gherkin block parses with each of its steps matching a
//! step of the catalog (`callspec steps --match`, the runner's own reader and matching).
//! `.ci/run` also builds the book with mdbook when it can install it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn callspec(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the callspec binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every Markdown file the checks read: README.md and the book's sources.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .expect("a readable folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = vec![root().join("README.md")];
    walk(&root().join("docs/src"), &mut out);
    out
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A page's lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// A line without its inline code spans (a link inside backticks is an example, not a link).
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The anchors of a page's headings, as mdBook (and GitHub) make them: lower case, letters,
/// digits, `-` and `_` kept, spaces to `-`, the rest dropped; repeats get `-1`, `-2`, ...
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let id: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut unique = id.clone();
        let mut n = 1;
        while out.contains(&unique) {
            unique = format!("{id}-{n}");
            n += 1;
        }
        out.insert(unique);
    }
    out
}

/// The targets of a line's inline links and images: `[text](target "title")`.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code(line);
    let mut out = Vec::new();
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_matches(['<', '>']).to_owned());
        rest = &after[end..];
    }
    out
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_of_the_book_and_the_readme_resolves() {
    let book = root().join("docs/src");
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("a readable page");
        let dir = page.parent().expect("a folder");
        for (number, line) in prose_lines(&text) {
            // mdBook's includes name a file relative to the page.
            if let Some(include) = line.trim().strip_prefix("{{#include ") {
                let file = include.trim_end_matches("}}").trim();
                if !dir.join(file).is_file() {
                    problems.push(format!(
                        "{}:{number}: includes {file}, which does not exist",
                        shown(&page)
                    ));
                }
                continue;
            }
            for target in link_targets(line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (file, anchor) = match target.split_once('#') {
                    Some((file, anchor)) => (file, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let file = if file.is_empty() {
                    page.clone()
                } else {
                    normalize(&dir.join(file))
                };
                let at = format!("{}:{number}: link {target}", shown(&page));
                if page.starts_with(&book) && !file.starts_with(&book) {
                    // mdBook publishes docs/src only: such a link breaks in the built book.
                    problems.push(format!("{at} leaves docs/src (the book would 404)"));
                    continue;
                }
                if !file.exists() {
                    problems.push(format!("{at}: {} does not exist", shown(&file)));
                    continue;
                }
                if let Some(anchor) = anchor {
                    let target_text = fs::read_to_string(&file).unwrap_or_default();
                    if !anchors(&target_text).contains(anchor) {
                        problems.push(format!(
                            "{at}: no heading of {} has the anchor #{anchor}",
                            shown(&file)
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} links checked");
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_chapter_is_in_the_summary_and_the_summary_names_only_chapters_that_exist() {
    let src = root().join("docs/src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = prose_lines(&summary)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .map(|t| normalize(&src.join(t)))
        .collect();
    let pages: BTreeSet<PathBuf> = pages()
        .into_iter()
        .filter(|p| p.starts_with(&src) && !p.ends_with("SUMMARY.md"))
        .collect();
    let missing: Vec<String> = pages.difference(&listed).map(|p| shown(p)).collect();
    let absent: Vec<String> = listed.difference(&pages).map(|p| shown(p)).collect();
    assert!(
        missing.is_empty(),
        "pages SUMMARY.md does not list: {missing:?}"
    );
    assert!(
        absent.is_empty(),
        "SUMMARY.md lists pages that do not exist: {absent:?}"
    );
}

#[test]
fn every_gherkin_block_of_the_book_and_the_readme_parses_and_its_steps_match_the_catalog() {
    let dir = std::env::temp_dir().join(format!("callspec-book-gherkin-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temporary folder");
    let mut blocks = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("a readable page");
        let mut block: Option<(usize, Vec<&str>)> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            match &mut block {
                None if trimmed.starts_with("```gherkin") => block = Some((i + 1, Vec::new())),
                Some((start, lines)) if trimmed.starts_with("```") => {
                    // Named after its page and line, so a failure points at the book.
                    let name =
                        format!("{}-L{start}.feature", shown(&page).replace(['/', '.'], "_"));
                    let mut feature = lines.join("\n");
                    if !lines.iter().any(|l| l.trim_start().starts_with("Feature:")) {
                        feature = format!("Feature: {name}\n{feature}");
                    }
                    fs::write(dir.join(name), feature + "\n").expect("a written block");
                    blocks += 1;
                    block = None;
                }
                Some((_, lines)) => lines.push(line),
                None => {}
            }
        }
    }
    assert!(blocks >= 3, "only {blocks} gherkin blocks found");
    let (code, stdout, stderr) = callspec(&["steps", "--match", dir.to_str().unwrap()]);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(
        code,
        Some(0),
        "a gherkin block of the book (file named PAGE-LLINE) does not parse or uses an unknown \
         step:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains(&format!("in {blocks} feature file(s), each matching")),
        "{stdout}{stderr}"
    );
}

#[test]
fn steps_match_names_a_step_no_definition_has() {
    let dir = std::env::temp_dir().join(format!("callspec-steps-match-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temporary folder");
    fs::write(
        dir.join("typo.feature"),
        "Feature: A typo\n  Scenario: x\n    Given a call request from template \"v1/x\"\n    \
         When the bot creaets the call\n",
    )
    .unwrap();
    fs::write(dir.join("broken.feature"), "Feature: x\n  Szenario: y\n").unwrap();
    let (code, stdout, stderr) = callspec(&["steps", "--match", dir.to_str().unwrap()]);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "typo.feature:4:5: no step matches \"When the bot creaets the call\"; did you mean \
             \"When the bot creates the call\"?"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("broken.feature:2:"), "{stdout}");
}

#[test]
fn the_books_step_reference_is_generated_from_the_catalog_and_up_to_date() {
    let command = "cargo run -- steps --format book > docs/src/reference/steps.md";
    let (code, generated, stderr) = callspec(&["steps", "--format", "book"]);
    assert_eq!(code, Some(0), "{stderr}");
    let page = fs::read_to_string(root().join("docs/src/reference/steps.md"))
        .unwrap_or_else(|e| panic!("docs/src/reference/steps.md: {e}; write it with: {command}"));
    assert!(
        page == generated,
        "docs/src/reference/steps.md is stale (a step was added, changed or removed): \
         regenerate it with\n    {command}"
    );
    // Every example of the catalog is on the page word for word (what the README's step
    // tables had to show before the reference moved to the book).
    let (_, catalog, _) = callspec(&["steps"]);
    let examples: Vec<&str> = catalog
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            ["Given ", "When ", "Then "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    assert!(examples.len() >= 50, "only {} examples", examples.len());
    let missing: Vec<&&str> = examples
        .iter()
        .filter(|e| !page.contains(&e.replace('|', "\\|")))
        .collect();
    assert!(
        missing.is_empty(),
        "steps missing from the book: {missing:#?}"
    );
}
