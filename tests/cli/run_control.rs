//! How a run is steered: SIGINT and SIGTERM mid-run (every report written with what finished,
//! the rest marked interrupted; exit 130 or 143), `--format`, `--fail-fast` and `--dry-run`.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::scratch;
use crate::common::exec as callspec;

/// Sends `signal` (`TERM`, `INT`) to process `pid`.
fn send(signal: &str, pid: u32) {
    let sent = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -s {signal} {pid}");
}

const QUICK: &str = "Feature: Quick
  Scenario: a call is created
    Given a call request from template \"v1/p2p-voip-service-hosted\"
    When the bot creates the call
    Then the response status is 201
";

/// Graph's answer is 9 s of real time late (the longest a spec may ask for): the run is still
/// on it when the signal comes; the second scenario never starts.
const SLOW: &str = "Feature: Slow
  Background:
    Given a call request from template \"v1/p2p-voip-service-hosted\"

  Scenario: Graph answers late
    And Graph answers the next request 9 seconds late
    When the bot creates the call
    Then the response status is 201

  Scenario: never started
    When the bot creates the call
    Then the response status is 201
";

/// Runs a quick feature then a slow one, one scenario at a time, with every report; sends
/// `signal` once the quick scenario's last step is printed. The exit code, stdout and the
/// reports' folder.
fn stop_mid_run(name: &str, signal: &str) -> (Option<i32>, String, String, PathBuf) {
    let dir = scratch(name);
    let features = dir.join("features");
    fs::create_dir_all(&features).unwrap();
    fs::write(features.join("a_quick.feature"), QUICK).unwrap();
    fs::write(features.join("b_slow.feature"), SLOW).unwrap();
    let reports = dir.join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("CALLSPEC_SCENARIOS")
        .arg("run")
        .arg(&features)
        .args(["--concurrency", "1", "--format", "pretty"])
        .arg("--junit")
        .arg(reports.join("junit.xml"))
        .arg("--cucumber-json")
        .arg(reports.join("cucumber.json"))
        .arg("--html")
        .arg(reports.join("report.html"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("callspec starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, seen) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Waits for the quick scenario to be shown (bounded: a build-loaded machine is slow).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match seen.recv_timeout(left) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
                if line.contains("✔  Then the response status is 201") {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the quick scenario was never shown:\n{out}");
            }
        }
    }
    send(signal, child.id());
    // Bounded by the slow scenario itself: without the signal it ends in 9 s, exit 1.
    let status = child.wait().expect("callspec ends");
    reader.join().expect("the reader ends");
    out.extend(seen.try_iter().map(|l| l + "\n"));
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        use std::io::Read as _;
        let _ = err.read_to_string(&mut stderr);
    }
    (status.code(), out, stderr, reports)
}

fn check_reports(reports: &Path, why: &str) {
    let read = |name: &str| {
        let text = fs::read_to_string(reports.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
        assert!(!text.is_empty(), "{name} is empty");
        text
    };
    // JUnit: the finished scenario passed; the others are errors saying why.
    let xml = read("junit.xml");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit XML parses");
    assert_eq!(
        (report.tests, report.failures, report.errors),
        (3, 0, 2),
        "{xml}"
    );
    let cases: Vec<_> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .unwrap_or_else(|| panic!("no case {name}: {xml}"))
    };
    assert!(
        matches!(
            case("a call is created").status,
            quick_junit::TestCaseStatus::Success { .. }
        ),
        "{xml}"
    );
    for name in ["Graph answers late", "never started"] {
        match &case(name).status {
            quick_junit::TestCaseStatus::NonSuccess { kind, message, .. } => {
                assert_eq!(*kind, quick_junit::NonSuccessKind::Error, "{xml}");
                assert_eq!(message.as_deref(), Some(why), "{xml}");
            }
            other => panic!("{name} is not marked interrupted: {other:?}"),
        }
    }

    // Cucumber JSON: every scenario; the stopped ones tagged, their first step not run says why.
    let json: Value = serde_json::from_str(&read("cucumber.json")).expect("Cucumber JSON parses");
    let scenarios: Vec<&Value> = json
        .as_array()
        .expect("a list of features")
        .iter()
        .flat_map(|f| f["elements"].as_array().unwrap())
        .filter(|e| e["type"] == "scenario")
        .collect();
    assert_eq!(scenarios.len(), 3, "{json:#}");
    for scenario in &scenarios {
        let tagged = scenario["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "interrupted");
        assert_eq!(tagged, scenario["name"] != "a call is created", "{json:#}");
    }
    let reasons = json
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["elements"].as_array().unwrap())
        .flat_map(|e| e["steps"].as_array().unwrap())
        .filter(|s| s["result"]["error_message"] == why)
        .count();
    assert_eq!(reasons, 2, "{json:#}");

    // HTML: the whole page, each stopped scenario saying why.
    let html = read("report.html");
    assert!(html.trim_end().ends_with("</html>"), "a whole page");
    assert_eq!(html.matches(why).count(), 2, "{html}");
    for name in ["a call is created", "Graph answers late", "never started"] {
        assert!(html.contains(name), "{name} in the HTML report");
    }
}

#[test]
fn sigterm_mid_run_writes_every_report_and_exits_143() {
    let (code, out, err, reports) = stop_mid_run("run-sigterm", "TERM");
    assert_eq!(code, Some(143), "{out}{err}");
    assert!(out.contains("1 passed, 0 failed, 2 interrupted"), "{out}");
    assert!(err.contains("terminated (SIGTERM)"), "{err}");
    check_reports(&reports, "interrupted by SIGTERM");
}

#[test]
fn sigint_mid_run_writes_every_report_and_exits_130() {
    let (code, out, err, reports) = stop_mid_run("run-sigint", "INT");
    assert_eq!(code, Some(130), "{out}{err}");
    assert!(out.contains("1 passed, 0 failed, 2 interrupted"), "{out}");
    check_reports(&reports, "interrupted by SIGINT");
}

/// `--dry-run` reads and matches every scenario, `@bot` ones included, and starts nothing: a
/// bot config that does not exist is never read.
#[test]
fn a_dry_run_matches_every_step_and_starts_nothing() {
    let run = callspec(&["run", "--dry-run", "features", "--bot", "no-such-bot.toml"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert!(
        run.stdout.contains("every step matches a step definition"),
        "{}",
        run.output()
    );
    // features/bot holds @bot scenarios: they are read too.
    let all = callspec(&["run", "--dry-run", "features/bot"]);
    assert_eq!(all.code, Some(0), "{}", all.output());
    assert!(!all.stdout.contains(" 0 scenario(s)"), "{}", all.output());

    let dir = scratch("run-dry-run");
    fs::write(
        dir.join("typo.feature"),
        "Feature: A typo\n  @bot\n  Scenario: one\n    Given a call request from template \
         \"v1/p2p-voip-service-hosted\"\n    When the bot create the call\n",
    )
    .unwrap();
    let run = callspec(&["run", "--dry-run", dir.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains(
            "typo.feature:5:5: no step matches \"When the bot create the call\"; did you mean"
        ),
        "{}",
        run.output()
    );
    assert!(
        run.stdout.contains("1 step(s) match no step definition"),
        "{}",
        run.output()
    );
}

/// A signal while the bot under test is starting: the bot is stopped, and the reports still say
/// what happened (every scenario interrupted), never an empty file.
#[test]
fn a_signal_while_the_bot_starts_still_writes_the_reports() {
    let dir = scratch("run-bot-starting");
    // A bot that never listens: the run waits for it until the signal.
    fs::write(
        dir.join("bot.toml"),
        "command = [\"sh\", \"-c\", \"echo $$ > started; exec sleep 60\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n",
    )
    .unwrap();
    fs::write(
        dir.join("bot.feature"),
        "@bot\nFeature: one call\n\n  Scenario: John calls\n    When \"John\" calls the bot\n    \
         Then the bot answers the call within 30 seconds\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .current_dir(&dir)
        .args([
            "run",
            "bot.feature",
            "--bot",
            "bot.toml",
            "--junit",
            "junit.xml",
            "--cucumber-json",
            "cucumber.json",
            "--html",
            "report.html",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("callspec starts");
    // The bot writes its pid once started (bounded: a loaded machine is slow).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.join("started").exists() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the bot never started");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    send("TERM", child.id());
    let status = child.wait().expect("callspec ends");
    assert_eq!(status.code(), Some(143));
    // The bot was stopped with the run.
    let pid = fs::read_to_string(dir.join("started")).unwrap();
    let alive = || {
        Command::new("kill")
            .args(["-0", pid.trim()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let gone_by = Instant::now() + Duration::from_secs(10);
    while alive() && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(), "the bot (pid {pid}) outlived callspec");
    let xml = fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit XML parses");
    assert_eq!((report.tests, report.errors), (1, 1), "{xml}");
    assert!(xml.contains("interrupted by SIGTERM"), "{xml}");
    let json: Value = serde_json::from_str(&fs::read_to_string(dir.join("cucumber.json")).unwrap())
        .expect("Cucumber JSON parses");
    assert_eq!(json.as_array().map(Vec::len), Some(1), "{json:#}");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("interrupted by SIGTERM"),
        "the HTML report says why"
    );
}
