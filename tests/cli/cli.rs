//! The `callspec` command line: `callspec steps` (the step catalog, proven against the step
//! definitions), and `callspec run`'s options: filters, shards, exit codes, JUnit and Cucumber
//! JSON reports.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::exec as callspec;

const FIXTURES: &str = "tests/report-fixtures";

/// A fresh folder for one test's report files.
pub fn scratch(name: &str) -> PathBuf {
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
    // A filter that matches nothing is a mistake (a typo in CI must not go green on zero tests).
    assert_eq!(none.code, Some(2), "{}", none.output());
    assert!(
        none.stderr.contains(
            "nothing to run: --name \"established already\" with --tags \"@answered\" matches \
             none of the 2 scenario(s)"
        ),
        "{}",
        none.output()
    );
    assert_eq!(none.summary(), None, "{}", none.output());
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
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit XML parses back");
    assert_eq!(
        (report.tests, report.failures, report.errors),
        (2, 1, 0),
        "{xml}"
    );
    assert!(report.time.is_some(), "the run's time on the root: {xml}");
    assert_eq!(
        report.test_suites.len(),
        1,
        "a suite per feature file: {xml}"
    );
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "Report fixtures");
    assert_eq!((suite.tests, suite.failures), (2, 1), "{xml}");
    for case in &suite.test_cases {
        assert_eq!(
            case.classname.as_ref().map(|c| c.as_str()),
            Some("Report fixtures"),
            "classname is the feature: {xml}"
        );
        assert_eq!(
            case.extra.get("file").map(|f| f.as_str()),
            Some("tests/report-fixtures/report.feature")
        );
        let out = case.system_out.as_ref().map(|o| o.as_str()).unwrap_or("");
        assert!(
            out.contains("When the bot creates the call"),
            "steps in system-out: {xml}"
        );
    }
    let failed = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "The new call is expected to be established already")
        .expect("the failing scenario by name");
    match &failed.status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            message,
            description,
            ..
        } => {
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or("");
            // The message the console shows under the step, expected and got included.
            assert!(
                message.contains("does not match the docstring")
                    && message.contains("$.state: expected"),
                "{message:?}"
            );
            let body = description.as_ref().map(|d| d.as_str()).unwrap_or("");
            assert!(
                body.contains("$.state: expected"),
                "the full failure: {body}"
            );
            assert!(
                body.contains("at tests/report-fixtures/report.feature:28:5"),
                "{body}"
            );
            assert!(!body.contains("Step panicked"), "{body}");
        }
        other => panic!("not a failure: {other:?}"),
    }
    assert!(xml.contains(" line=\"21\""), "{xml}");

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

/// Writes a feature file into a scratch folder.
fn feature(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("a scratch feature file");
    path
}

const PASSING: &str = "Feature: Scratch
  Scenario: a call is created
    Given a call request from template \"v1/p2p-voip-service-hosted\"
    When the bot creates the call
    Then the response status is 201
";

#[test]
fn an_empty_shard_of_a_real_selection_is_a_note_not_an_error() {
    let run = callspec(&["run", FIXTURES, "--tags", "@answered", "--shard", "2/2"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert_eq!(run.summary(), Some((0, 0)), "{}", run.output());
    assert!(
        run.stderr
            .contains("note: this shard is empty: the selection has 1 scenario(s) for 2 shards"),
        "{}",
        run.output()
    );
}

#[test]
fn bad_feature_files_are_errors_with_file_line_col_and_warnings_lose_nothing() {
    for (file, code, message) in [
        (
            "broken.feature",
            2,
            "tests/bad-input/broken.feature:4:3: `Scenariooo broken line` is not a Gherkin keyword: did you mean `Scenario:`?",
        ),
        (
            "examples_without_colon.feature",
            2,
            "tests/bad-input/examples_without_colon.feature:5:5: `Examples`: the keyword needs its colon: `Examples:`",
        ),
        (
            "misspelt_keyword.feature",
            2,
            "tests/bad-input/misspelt_keyword.feature:3:3: `Szenario:` is not a Gherkin keyword (did you mean `Scenario:`?): what follows is read as description text and never runs",
        ),
        (
            "misspelt_keyword_with_steps.feature",
            2,
            "tests/bad-input/misspelt_keyword_with_steps.feature:6:3: `Senario: lost to a typo` is not a Gherkin keyword: did you mean `Scenario:`?",
        ),
        (
            "outline_without_examples.feature",
            2,
            "tests/bad-input/outline_without_examples.feature:3:3: `Scenario Outline: a template per row` has no Examples",
        ),
        (
            "wide_table_row.feature",
            2,
            "tests/bad-input/wide_table_row.feature:6:7: this table row has 3 cell(s), its header 2",
        ),
        (
            "no_scenarios.feature",
            2,
            "warning: tests/bad-input/no_scenarios.feature:2:1: the feature `Bad input - no scenarios` has no scenarios",
        ),
    ] {
        let path = format!("tests/bad-input/{file}");
        let run = callspec(&["run", &path]);
        assert_eq!(run.code, Some(code), "{file}: {}", run.output());
        assert!(run.stderr.contains(message), "{file}: {}", run.output());
        assert!(!run.stderr.contains("Unknown keyword"), "{file}: {}", run.output());
        // Nothing runs from a file with an error (nor from one without scenarios), and a
        // parse error is not a failed scenario.
        assert!(
            matches!(run.summary(), None | Some((0, 0))),
            "{file}: {}",
            run.output()
        );
    }

    let dir = scratch("bad-input");
    // In the JUnit report, parse errors are error cases that keep their line and column.
    let junit = dir.join("junit.xml");
    let run = callspec(&["run", "tests/bad-input", "--junit", junit.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    let report = quick_junit::Report::deserialize_from_str(&text(&junit)).expect("valid JUnit");
    let errors: Vec<&str> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| {
            matches!(
                c.status,
                quick_junit::TestCaseStatus::NonSuccess {
                    kind: quick_junit::NonSuccessKind::Error,
                    ..
                }
            )
        })
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        errors.contains(&"tests/bad-input/broken.feature:4:3"),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"tests/bad-input/wide_table_row.feature:6:7"),
        "{errors:?}"
    );
    assert_eq!(report.errors, errors.len());
    assert_eq!((report.tests - report.errors, report.failures), (2, 0));

    // A run of nothing but a broken file still writes its report.
    let alone = dir.join("alone.xml");
    let run = callspec(&[
        "run",
        "tests/bad-input/broken.feature",
        "--junit",
        alone.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        text(&alone).contains("name=\"tests/bad-input/broken.feature:4:3\""),
        "{}",
        text(&alone)
    );

    let empty = dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let run = callspec(&["run", empty.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("this folder holds no .feature file"),
        "{}",
        run.output()
    );
}

#[test]
fn only_regular_files_are_read_each_once_and_none_too_big() {
    let dir = scratch("files");
    let good = feature(&dir, "good.feature", PASSING);
    // A FIFO named like a feature file: reading it would block for ever.
    let fifo = dir.join("pipe.feature");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let run = callspec(&["run", dir.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert_eq!(run.summary(), Some((1, 0)), "{}", run.output());
    assert!(
        run.stderr.contains("pipe.feature: not a regular file"),
        "{}",
        run.output()
    );
    let run = callspec(&["run", fifo.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    fs::remove_file(&fifo).unwrap();

    // The same file named twice (and through its folder) runs once.
    let good_path = good.to_str().unwrap();
    let run = callspec(&["run", good_path, good_path, dir.to_str().unwrap()]);
    assert_eq!(run.summary(), Some((1, 0)), "{}", run.output());
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert!(
        run.stderr.contains("named more than once; it runs once"),
        "{}",
        run.output()
    );

    // Over the size limit: refused at once, with the limit in the message.
    let big = dir.join("big.feature");
    let mut text = String::from(PASSING);
    while text.len() <= 256 * 1024 {
        text.push_str("    # padding padding padding padding padding padding padding padding\n");
    }
    fs::write(&big, text).unwrap();
    let run = callspec(&["run", big.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr
            .contains("feature files above 256 KiB are refused"),
        "{}",
        run.output()
    );
}

#[test]
fn reports_that_cannot_be_written_or_share_a_file_exit_2() {
    let dir = scratch("report-files");
    let same = dir.join("report.xml");
    let run = callspec(&[
        "run",
        FIXTURES,
        "--junit",
        same.to_str().unwrap(),
        "--html",
        &format!("{}/./report.xml", dir.display()),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("--junit and --html both name")
            && run.stderr.contains("give each report its own file"),
        "{}",
        run.output()
    );
    assert_eq!(
        run.summary(),
        None,
        "refused before the run: {}",
        run.output()
    );

    if Path::new("/dev/full").exists() {
        for option in ["--html", "--junit", "--cucumber-json"] {
            let run = callspec(&["run", FIXTURES, "--tags", "@answered", option, "/dev/full"]);
            assert_eq!(run.code, Some(2), "{option}: {}", run.output());
            assert!(
                run.stderr.contains("cannot write the") && run.stderr.contains("/dev/full"),
                "{option}: {}",
                run.output()
            );
        }
    }
}

#[test]
fn junit_stays_valid_xml_with_control_characters_in_names() {
    let dir = scratch("control");
    let path = feature(
        &dir,
        "control.feature",
        &PASSING.replace("a call is created", "a call \u{1} is created & <checked>"),
    );
    let junit = dir.join("junit.xml");
    let run = callspec(&[
        "run",
        path.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let xml = text(&junit);
    assert!(!xml.contains('\u{1}'), "{xml:?}");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    let case = &report.test_suites[0].test_cases[0];
    assert_eq!(case.name.as_str(), "a call  is created & <checked>");
    // The feature file as every message names it: relative to the working directory.
    let file = case.extra.get("file").map(|f| f.as_str()).unwrap_or("");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = match path.strip_prefix(root) {
        Ok(relative) => relative.display().to_string(),
        Err(_) => path.display().to_string(),
    };
    assert_eq!(file, expected);
    assert!(!file.contains("//") && !file.contains("/./"), "{file}");
}

#[test]
fn failures_show_the_step_place_and_message_and_v_adds_bodies_vv_timings() {
    let plain = callspec(&["run", FIXTURES]);
    assert_eq!(plain.code, Some(1), "{}", plain.output());
    let out = &plain.stdout;
    assert!(out.contains("✘  And the response matches:"), "{out}");
    assert!(
        out.contains("      at tests/report-fixtures/report.feature:28:5\n"),
        "{out}"
    );
    assert!(out.contains("$.state: expected \"established\", got \"establishing\""));
    for noise in [
        "Step panicked",
        "Captured output",
        "Matched:",
        "Defined:",
        "CallWorld {",
        "Some(",
    ] {
        assert!(!out.contains(noise), "{noise}: {out}");
    }
    assert!(!out.contains("requests:"), "bodies only with -v: {out}");

    let verbose = callspec(&["run", FIXTURES, "-v"]);
    let out = &verbose.stdout;
    assert!(
        out.contains("    requests:\n      1. POST /v1.0/communications/calls\n"),
        "{out}"
    );
    assert!(out.contains("         → 201\n"), "{out}");
    assert!(
        out.contains("    notifications:\n      1. updated state=establishing\n"),
        "{out}"
    );
    assert!(
        out.contains("           \"changeType\": \"updated\","),
        "indented JSON: {out}"
    );
    assert!(!out.contains(" ms)"), "timings only with -vv: {out}");
    for noise in ["CallWorld {", "Some(", "eyJ"] {
        assert!(!out.contains(noise), "{noise}: {out}");
    }

    let timed = callspec(&["run", FIXTURES, "-vv"]);
    let out = &timed.stdout;
    assert!(
        out.contains("      1. updated state=establishing at +0.000 s (simulated)"),
        "{out}"
    );
    assert!(out.contains(" ms of wall time)"), "{out}");
    assert!(!out.contains("CallWorld {"), "{out}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_not_the_run() {
    // `callspec run | head -1`: the pipe closes after one line; the rest of the output must be
    // dropped quietly (no panic, no exit 101) and the run's own exit code kept.
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for args in [
        &["run", "features/lifecycle", "--format", "pretty"][..],
        &["steps"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callspec"))
            .args(args)
            .current_dir(root)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the callspec binary runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .expect("a first line");
        // The reader is dropped here: every later write meets a closed pipe.
        let out = child.wait_with_output().expect("callspec ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty(), "{args:?}: no first line");
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}:\n{stderr}");
    }
}
