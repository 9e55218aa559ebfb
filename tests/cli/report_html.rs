//! `callspec run --html FILE` in a real browser: headless Chromium loads the report from disk,
//! and the DOM it builds must hold the sequence diagram and the failure message. The
//! screenshot stays in `target/test-output/report.png` for a look.
//!
//! Chromium is found on the PATH (`chromium`, `chromium-browser`) or at `CALLSPEC_CHROMIUM`.
//! A fresh machine lacks it: the browser test is `#[ignore]`d with the reason (`cargo test`
//! counts it as ignored); `.ci/run` installs Chromium (`apt-get install chromium`) and runs it
//! with `--include-ignored`, and run so it fails without a working Chromium. The report's own
//! checks (no browser) always run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The fixtures folder, spelt with `//`, `.` and a trailing `/`: the report shows it one way.
const FIXTURES: &str = "./tests//report-fixtures/";

/// A Chromium that starts, or why there is none.
fn find_chromium() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os("CALLSPEC_CHROMIUM") {
        Some(path) => vec![PathBuf::from(path)],
        None => std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .chain([PathBuf::from("/usr/bin/chromium")])
            .collect(),
    };
    let Some(found) = candidates.into_iter().find(|p| p.is_file()) else {
        return Err("Chromium is not installed".to_owned());
    };
    match Command::new(&found)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => Ok(found),
        Ok(out) => Err(format!(
            "{} cannot run ({}): {}",
            found.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("{} cannot run: {e}", found.display())),
    }
}

/// The browser to test with: an ignored test that was asked for fails without one.
fn chromium_or_fail() -> PathBuf {
    find_chromium().unwrap_or_else(|why| {
        panic!("{why}: install it with `apt-get install -y chromium` (.ci/run does), or set CALLSPEC_CHROMIUM")
    })
}

/// `target/test-output/`, next to the build's `tmp/`.
fn output_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("test-output");
    fs::create_dir_all(&dir).expect("target/test-output can be created");
    dir
}

/// Runs Chromium headless on `page` with `args`, killing it after two minutes.
fn chromium(browser: &Path, page: &Path, args: &[String]) -> Output {
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "chromium-profile-{}-{}",
        std::process::id(),
        args.len()
    ));
    let _ = fs::remove_dir_all(&profile);
    fs::create_dir_all(&profile).expect("a fresh Chromium profile folder");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Chromium starts");
    // Read the output on threads so a full pipe cannot stall Chromium.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for Chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = fs::remove_dir_all(&profile);
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Runs the fixtures with `--html` and checks the report's text; returns the report's path.
fn write_report(test: &str) -> PathBuf {
    // Per process and test: the tests run beside each other, and in a child process.
    let report = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-{test}-{}.html", std::process::id()));
    let _ = fs::remove_file(&report);
    let run = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(["run", FIXTURES, "--html"])
        .arg(&report)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the callspec binary runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "one scenario fails:\n{stdout}");
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");

    let html = fs::read_to_string(&report).expect("the report was written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no script, no external stylesheet, image or font.
    for needle in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!html.contains(needle), "the report refers to {needle}");
    }
    assert!(!html.contains("eyJ"), "a token leaked into the report");
    assert!(html.contains("tests/report-fixtures/report.feature"));
    for bad in ["tests//", "fixtures//", "/./", "./tests"] {
        assert!(!html.contains(bad), "a path with {bad:?}");
    }
    // The run's wall time in the header; failures first; a row per feature with its counts.
    assert!(html.contains(" of wall time</div>"), "{html}");
    assert!(!html.contains("of scenario time"));
    let first_row = html.find("<tr class=\"failed\">").expect("a failed row");
    assert!(first_row < html.find("<tr class=\"passed\">").expect("a passed row"));
    assert!(
        html.contains("<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>"),
        "per-feature counts: {html}"
    );

    report
}

#[test]
fn the_html_report_is_self_contained_with_failures_first() {
    let report = write_report("text");
    let _ = fs::remove_file(&report);
}

#[test]
#[ignore = "needs Chromium: apt-get install -y chromium, or CALLSPEC_CHROMIUM (.ci/run installs it)"]
fn the_html_report_shows_steps_failures_and_the_sequence_in_a_browser() {
    let dir = output_dir();
    let browser = chromium_or_fail();
    let report = write_report("browser");

    // The DOM Chromium builds from the file.
    let dumped = chromium(&browser, &report, &["--dump-dom".to_owned()]);
    let dom = String::from_utf8_lossy(&dumped.stdout);
    assert!(
        dumped.status.success() && dom.contains("</html>"),
        "Chromium could not load the report: {}\n{}",
        dumped.status,
        String::from_utf8_lossy(&dumped.stderr)
    );
    // A row per scenario, with its status.
    assert!(
        dom.contains("A call that is answered, then hung up"),
        "{dom}"
    );
    assert!(dom.contains("The new call is expected to be established already"));
    assert_eq!(dom.matches("<tr class=\"passed\">").count(), 1);
    assert_eq!(dom.matches("<tr class=\"failed\">").count(), 1);
    // The sequence diagram: an inline SVG with the lifelines and labelled arrows.
    assert!(
        dom.contains("<svg class=\"sequence\""),
        "no diagram:\n{dom}"
    );
    for lifeline in [">Bot</text>", ">Graph</text>", ">+12345678901</text>"] {
        assert!(dom.contains(lifeline), "no lifeline {lifeline}");
    }
    assert!(dom.contains("POST /v1.0/communications/calls → 201"));
    assert!(dom.contains(">updated state=established</text>"));
    assert!(dom.contains(">+1.000 s</text>"));
    assert!(dom.contains(">deleted state=terminated</text>"));
    // The failure message and its diff, escaped into text.
    assert!(
        dom.contains("$.state: expected \"established\", got \"establishing\"")
            || dom.contains(
                "$.state: expected &quot;established&quot;, got &quot;establishing&quot;"
            ),
        "no failure message:\n{dom}"
    );
    assert!(dom.contains("class=\"diff-del\""));
    assert!(dom.contains("<table class=\"features\">"), "{dom}");
    assert!(dom.contains("Scenarios (failures first)"));
    assert!(!dom.contains("eyJ"));

    // A screenshot to look at.
    let png = dir.join("report.png");
    let _ = fs::remove_file(&png);
    let shot = chromium(
        &browser,
        &report,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".to_owned(),
        ],
    );
    let image = fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}\n{}",
            shot.status,
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(image.len() > 20_000, "a suspiciously small screenshot");
    let _ = fs::copy(&report, dir.join("report.html"));
    let _ = fs::remove_file(&report);
}

/// Runs this file's browser test in a child test process with Chromium hidden.
fn browser_test_without_chromium(extra: &[&str]) -> Output {
    // The test's name in this binary: its module path without the crate's name.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let test =
        format!("{module}::the_html_report_shows_steps_failures_and_the_sequence_in_a_browser");
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([test.as_str(), "--exact", "--test-threads=1"])
        .args(extra)
        .env("CALLSPEC_CHROMIUM", "/nonexistent/chromium")
        .output()
        .expect("the test binary runs")
}

#[test]
fn the_browser_test_is_ignored_with_its_reason_and_fails_without_chromium_when_run() {
    let ignored = browser_test_without_chromium(&[]);
    let stdout = String::from_utf8_lossy(&ignored.stdout);
    assert!(ignored.status.success(), "{stdout}");
    assert!(stdout.contains("ignored, needs Chromium"), "{stdout}");
    assert!(stdout.contains("1 ignored"), "{stdout}");

    let run = browser_test_without_chromium(&["--include-ignored"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "{stdout}");
    assert!(
        stdout.contains("Chromium is not installed")
            && stdout.contains("apt-get install -y chromium"),
        "{stdout}"
    );
}
