//! The `callspec` command line: `callspec steps` (the step catalog, proven against the step
//! definitions), and `callspec run`'s options: filters, shards, exit codes, JUnit and Cucumber
//! JSON reports.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::exec as callspec;

const FIXTURES: &str = "tests/report-fixtures";

/// A fresh folder for one test's report files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()))
}

/// Every step file (what build.rs embeds) and its step attributes, counted independently of
/// the catalog's parser.
fn step_files() -> Vec<(String, usize)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("steps");
    let mut files: Vec<(String, usize)> = fs::read_dir(&dir)
        .expect("steps/ exists")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| {
            let source = fs::read_to_string(&p).ok()?;
            // Attributes quoted in a file's tests are not steps (build.rs skips them too).
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            let count = source
                .lines()
                .map(str::trim_start)
                .filter(|l| {
                    l.starts_with("#[given(")
                        || l.starts_with("#[when(")
                        || l.starts_with("#[then(")
                })
                .count();
            (count > 0).then(|| (p.file_name().unwrap().to_string_lossy().into_owned(), count))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_step_has_a_doc_example_that_runs_that_very_step() {
    // `--check` pairs each step definition cucumber registered with its doc comment, and asks
    // cucumber's own matcher which step each example runs: it must be that one, unambiguously.
    let run = callspec(&["steps", "--check"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let total: usize = step_files().iter().map(|(_, n)| n).sum();
    assert!(
        run.stdout
            .contains(&format!("{total} steps, each with an example that runs it")),
        "{}",
        run.output()
    );
}

#[test]
fn the_catalog_lists_every_step_grouped_by_file() {
    let run = callspec(&["steps"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let files = step_files();
    assert!(files.len() >= 5, "{files:?}");
    for (file, _) in &files {
        assert!(
            run.stdout.contains(&format!("(steps/{file})")),
            "no group for steps/{file}:\n{}",
            run.stdout
        );
    }
    let examples = run
        .stdout
        .lines()
        .filter(|l| {
            ["  Given ", "  When ", "  Then ", "  And ", "  But "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .count();
    let total: usize = files.iter().map(|(_, n)| n).sum();
    assert_eq!(
        examples, total,
        "one example line per step:\n{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("  Given the app has the permissions \"Calls.Initiate.All, Calls.AccessMedia.All\"\n      the token's `roles` claim lists exactly these (in live mode"));
    assert!(!run.stdout.contains("(undocumented)"), "{}", run.stdout);
}

#[test]
fn the_catalog_as_markdown_is_one_table_per_file() {
    let run = callspec(&["steps", "--format", "markdown"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let files = step_files();
    let headers = run
        .stdout
        .matches("| step | what it does |\n| --- | --- |")
        .count();
    assert_eq!(headers, files.len(), "{}", run.stdout);
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    assert_eq!(rows.len(), files.iter().map(|(_, n)| n).sum::<usize>());
    // A pipe inside a cell is escaped, so every row has exactly two cells.
    for row in &rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 3, "{row}");
    }
    assert!(run.stdout.contains("| `When the bot creates the call` |"));
}

#[test]
fn exit_codes_say_passed_failed_or_bad_input() {
    let passing = callspec(&["run", FIXTURES, "--tags", "@answered"]);
    assert_eq!(passing.code, Some(0), "{}", passing.output());
    assert_eq!(passing.summary(), Some((1, 0)), "{}", passing.output());

    let failing = callspec(&["run", FIXTURES]);
    assert_eq!(failing.code, Some(1), "{}", failing.output());
    assert_eq!(failing.summary(), Some((1, 1)), "{}", failing.output());

    let missing = callspec(&["run", "tests/report-fixtures/nothing-here"]);
    assert_eq!(missing.code, Some(2), "{}", missing.output());

    for (args, message) in [
        (
            &["run", FIXTURES, "--shard", "0/3"][..],
            "K must be between 1 and 3",
        ),
        (
            &["run", FIXTURES, "--shard", "4/3"][..],
            "K must be between 1 and 3",
        ),
        (
            &["run", FIXTURES, "--shard", "1/0"][..],
            "N must be at least 1",
        ),
        (&["run", FIXTURES, "--shard", "two"][..], "expected K/N"),
        (
            &["run", FIXTURES, "--concurrency", "0"][..],
            "--concurrency",
        ),
        (&["run", FIXTURES, "--tags", "@a and"][..], "--tags"),
        (&["run", FIXTURES, "--name", "("][..], "--name"),
        (
            &["run", FIXTURES, "--no-such-option"][..],
            "--no-such-option",
        ),
        (&["steps", "--format", "html"][..], "--format"),
    ] {
        let run = callspec(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.output());
        assert!(run.stderr.contains(message), "{args:?}: {}", run.output());
        assert_eq!(
            run.summary(),
            None,
            "{args:?} ran scenarios: {}",
            run.output()
        );
    }

    // A report that cannot be written is bad input, found before anything runs.
    for option in ["--junit", "--cucumber-json", "--html"] {
        let run = callspec(&["run", FIXTURES, option, "Cargo.toml/report"]);
        assert_eq!(run.code, Some(2), "{option}: {}", run.output());
        assert!(
            run.stderr.contains("cannot create the") && run.stderr.contains("Cargo.toml/report"),
            "{option}: {}",
            run.output()
        );
        assert_eq!(run.summary(), None, "{option}: {}", run.output());
    }
}

#[test]
fn name_and_tags_filters_both_apply() {
    let both = callspec(&["run", FIXTURES, "--tags", "@answered", "--name", "hung up"]);
    assert_eq!(both.summary(), Some((1, 0)), "{}", both.output());
    let none = callspec(&[
        "run",
        FIXTURES,
        "--tags",
        "@answered",
        "--name",
        "established already",
    ]);
    assert_eq!(none.summary(), Some((0, 0)), "{}", none.output());
    assert_eq!(none.code, Some(0), "{}", none.output());
    let other = callspec(&["run", FIXTURES, "--tags", "not @answered"]);
    assert_eq!(other.summary(), Some((0, 1)), "{}", other.output());
}

/// A minimal well-formedness check: tags nest and close, attributes are quoted.
fn assert_well_formed_xml(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml.trim_start();
    assert!(
        rest.starts_with("<?xml"),
        "no XML declaration: {:?}",
        &rest[..rest.len().min(80)]
    );
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").expect("CDATA is closed");
            rest = &after[end + 3..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").expect("a comment is closed");
            rest = &after[end + 3..];
            continue;
        }
        let end = rest.find('>').expect("a tag is closed");
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().unwrap_or_default();
            assert_eq!(top, name.trim(), "mismatched closing tag");
        } else {
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default()
                .to_owned();
            assert!(
                tag.matches('"').count().is_multiple_of(2),
                "unbalanced quotes in <{tag}>"
            );
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].split('"').next()
}

#[test]
fn junit_and_cucumber_json_reports_are_written_and_well_formed() {
    let dir = scratch("reports");
    let junit = dir.join("nested/junit.xml");
    let json = dir.join("cucumber.json");
    let run = callspec(&[
        "run",
        FIXTURES,
        "--junit",
        junit.to_str().unwrap(),
        "--cucumber-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert_eq!(
        run.summary(),
        Some((1, 1)),
        "the console still reports: {}",
        run.output()
    );

    let xml = text(&junit);
    assert_well_formed_xml(&xml);
    assert_eq!(xml.matches("<testsuite ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    let suite = &xml[xml.find("<testsuite ").unwrap()..];
    let suite = &suite[..suite.find('>').unwrap()];
    assert_eq!(attribute(suite, "tests"), Some("2"), "{suite}");
    assert_eq!(attribute(suite, "failures"), Some("1"), "{suite}");
    let failure = &xml[xml.find("<failure").unwrap()..];
    let failure = &failure[..failure.find('>').unwrap()];
    assert!(
        attribute(failure, "message").is_some_and(|m| m.contains("$.state: expected")),
        "the failure says why: {xml}"
    );

    let parsed: Value = serde_json::from_str(&text(&json)).expect("Cucumber JSON parses");
    let features = parsed.as_array().expect("a list of features");
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["name"], "Report fixtures");
    let elements = features[0]["elements"].as_array().expect("scenarios");
    assert_eq!(elements.len(), 2);
    let failed: Vec<&Value> = elements
        .iter()
        .flat_map(|e| e["steps"].as_array().unwrap())
        .filter(|s| s["result"]["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{parsed:#}");
    assert!(failed[0]["result"]["error_message"]
        .as_str()
        .unwrap()
        .contains("$.state: expected"));

    for file in [&junit, &json] {
        assert!(
            !text(file).contains("eyJ"),
            "a token leaked into {}",
            file.display()
        );
    }
}

/// The scenarios a Cucumber JSON report holds: (feature file, line, name).
fn scenarios_in(json: &Path) -> BTreeSet<(String, u64, String)> {
    let parsed: Value = serde_json::from_str(&text(json)).expect("Cucumber JSON parses");
    parsed
        .as_array()
        .expect("a list of features")
        .iter()
        .flat_map(|f| {
            let uri = f["uri"].as_str().unwrap_or_default().to_owned();
            f["elements"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |e| {
                    (
                        uri.clone(),
                        e["line"].as_u64().unwrap_or_default(),
                        e["name"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect()
}

#[test]
fn shards_split_the_suite_into_disjoint_parts_that_add_up() {
    let dir = scratch("shards");
    let full_json = dir.join("full.json");
    let full = callspec(&[
        "run",
        "features",
        "--cucumber-json",
        full_json.to_str().unwrap(),
    ]);
    let all = scenarios_in(&full_json);
    let (passed, failed) = full.summary().expect("a summary line");
    assert_eq!(all.len(), passed + failed, "{}", full.output());
    assert!(all.len() >= 20, "{}", full.output());

    let mut union = BTreeSet::new();
    let mut counted = 0;
    for k in 1..=3 {
        let json = dir.join(format!("shard-{k}.json"));
        let run = callspec(&[
            "run",
            "features",
            "--shard",
            &format!("{k}/3"),
            "--cucumber-json",
            json.to_str().unwrap(),
        ]);
        let (p, f) = run.summary().expect("a summary line");
        let part = scenarios_in(&json);
        assert_eq!(part.len(), p + f, "{}", run.output());
        assert!(!part.is_empty(), "shard {k}/3 is empty");
        // Balanced: round-robin over the sorted scenarios.
        assert!(
            part.len().abs_diff(all.len() / 3) <= 1,
            "shard {k}/3 has {}",
            part.len()
        );
        assert!(
            union.is_disjoint(&part),
            "shard {k}/3 overlaps an earlier one"
        );
        counted += part.len();
        union.extend(part);
    }
    assert_eq!(counted, all.len());
    assert_eq!(union, all, "the shards together are the full run");

    // The same split however the path is spelled, run after run.
    let again = dir.join("again.json");
    callspec(&[
        "run",
        "./features/",
        "--shard",
        "2/3",
        "--cucumber-json",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        scenarios_in(&again),
        scenarios_in(&dir.join("shard-2.json"))
    );
}

#[test]
fn the_readme_shows_every_step_of_the_catalog() {
    // The README's step vocabulary is written for people; this keeps it from drifting from the
    // step definitions: every catalog example appears in it word for word.
    let run = callspec(&["steps"]);
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let examples: Vec<&str> = run
        .stdout
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            ["Given ", "When ", "Then "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    assert!(
        examples.len() >= 50,
        "only {} examples:\n{}",
        examples.len(),
        run.stdout
    );
    let missing: Vec<&&str> = examples.iter().filter(|e| !readme.contains(**e)).collect();
    assert!(
        missing.is_empty(),
        "steps missing from the README: {missing:#?}"
    );
}

#[test]
fn a_scenario_ends_at_its_time_limit() {
    let run = callspec(&["run", "tests/timeouts", "--scenario-timeout", "1"]);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.stdout
            .contains("the scenario ran out of its time limit"),
        "{}",
        run.output()
    );
    let run = callspec(&["run", "tests/timeouts", "--scenario-timeout", "0"]);
    assert_eq!(run.code, Some(2), "{}", run.output());
}
