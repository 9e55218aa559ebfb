//! Golden outputs of the `callspec` binary: the console, JUnit XML and HTML report of a run over
//! `features/`, and the console (plus reports) of a few must-fail specs. They pin what a run
//! prints, so that moving the runner's code around changes no output by accident.
//!
//! What differs between two runs of the same specs is normalised away before comparing: wall
//! times, the stand-in's port, generated ids, tokens, clock readings and absolute paths. After a
//! deliberate change of output: `cargo insta review` (or `INSTA_UPDATE=always cargo test --test
//! cli snapshots`), and read the diff before committing it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use regex::Regex;

/// The package root: runs start there, as the README's commands do.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for one test's report files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callspec-snap-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Output {
    /// The console as a reader sees it: exit code, stdout, stderr.
    fn console(&self) -> String {
        normalise(&format!(
            "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        ))
    }
}

fn callspec(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CALLSPEC_SCENARIOS")
        .output()
        .expect("the callspec binary runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn read(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the report {} was written: {e}", path.display()));
    normalise(&text)
}

/// Replaces what changes from run to run with a fixed placeholder.
fn normalise(text: &str) -> String {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            // Compact JWTs (bearer tokens, signed notifications).
            (
                r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*",
                "<jwt>",
            ),
            (
                r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "<uuid>",
            ),
            (r"(127\.0\.0\.1|localhost):\d+", "$1:<port>"),
            // Ids the diagrams shorten, meeting thread ids, and opaque contexts built from ids.
            (r"\b[0-9a-f]{8}…", "<id>…"),
            (r"[0-9a-f]{32}\b", "<hex>"),
            (r"aHR0c[A-Za-z0-9+/=_-]{20,}", "<base64>"),
            (
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?",
                "<datetime>",
            ),
            // JUnit's time and timestamp attributes.
            (r#"time="[0-9.]+""#, r#"time="<t>""#),
            (r#"timestamp="[^"]*""#, r#"timestamp="<datetime>""#),
            // Wall times in the console and the HTML report.
            // (whole numbers are left alone: they are the specs' own "within 500 ms").
            (r"\b\d+\.\d+ (s|ms|µs)\b", "<t> $1"),
        ]
        .into_iter()
        .map(|(re, to)| (Regex::new(re).expect("a valid pattern"), to))
        .collect()
    });
    let root = root().display().to_string();
    let tmp = std::env::temp_dir().display().to_string();
    let mut text = text.replace(&root, "<root>").replace(&tmp, "<tmp>");
    for (re, to) in rules {
        text = re.replace_all(&text, *to).into_owned();
    }
    text
}

/// Compares against `tests/cli/snapshots/NAME.snap`, wherever this file moves.
fn check(name: &str, value: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/cli/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, value));
}

#[test]
fn a_run_over_features_prints_and_reports_the_same_as_before() {
    let dir = scratch("features");
    let junit = dir.join("report.xml");
    let html = dir.join("report.html");
    // Pinned to the full output: above 100 scenarios the default is one line per scenario.
    let run = callspec(&[
        "run",
        "features",
        "--format",
        "pretty",
        "--junit",
        junit.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.console());
    check("features_console", &run.console());
    check("features_junit", &read(&junit));
    check("features_html", &read(&html));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Must-fail specs whose console output shows each kind of failure text: a sequence in any
/// order, an exact match's extra keys, a malformed template, a notification that never came.
#[test]
fn must_fail_specs_print_the_same_failures_as_before() {
    for spec in [
        "any_order_mismatch",
        "exact_extra_key",
        "malformed_yaml",
        "missing_notification",
    ] {
        let run = callspec(&["run", &format!("tests/must-fail/{spec}.feature")]);
        assert_eq!(run.code, Some(1), "{}", run.console());
        check(&format!("must_fail_{spec}"), &run.console());
    }
}

/// Failures in every output at once (and -v's exchanges on the console): what the console shows
/// of a failure, the JUnit and HTML reports show too.
#[test]
fn failures_are_reported_the_same_as_before() {
    let dir = scratch("failures");
    let junit = dir.join("report.xml");
    let html = dir.join("report.html");
    let run = callspec(&[
        "run",
        "-v",
        "tests/must-fail/missing_notification.feature",
        "tests/must-fail/malformed_yaml.feature",
        "--junit",
        junit.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.console());
    check("failures_console", &run.console());
    check("failures_junit", &read(&junit));
    check("failures_html", &read(&html));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One passing and two failing scenarios, run one at a time (the order is the files').
const MIXED: [&str; 5] = [
    "run",
    "tests/must-fail/missing_notification.feature",
    "tests/report-fixtures",
    "--concurrency",
    "1",
];

/// What a reader sees in each `--format`. `pretty` is pinned by the snapshots above.
#[test]
fn each_format_prints_the_same_as_before() {
    for format in ["compact", "progress", "summary"] {
        let run = callspec(&[&MIXED[..], &["--format", format]].concat());
        assert_eq!(run.code, Some(1), "{}", run.console());
        check(&format!("format_{format}"), &run.console());
    }
}

/// Above 100 scenarios a run without `--format` prints one line per scenario.
#[test]
fn a_large_run_is_compact_by_default() {
    let run = callspec(&["run", "features"]);
    assert_eq!(run.code, Some(0), "{}", run.console());
    check("features_compact", &run.console());
}

/// `--fail-fast`: the first failure stops the run; the rest are not run, in every report.
#[test]
fn fail_fast_stops_after_the_first_failure() {
    let dir = scratch("fail-fast");
    let junit = dir.join("report.xml");
    let run = callspec(
        &[
            &MIXED[..],
            &["--fail-fast", "--junit", junit.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(run.code, Some(1), "{}", run.console());
    check("fail_fast_console", &run.console());
    check("fail_fast_junit", &read(&junit));
    let _ = std::fs::remove_dir_all(&dir);
}
