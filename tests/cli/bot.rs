//! The bot under test (`callspec run --bot bot.toml`): the example IVR bot's suite passes, each
//! broken variant of it fails the spec written for its bug with the stated message, and the
//! bot's process is handled (does not start, exits early, never ready, crashes mid-run,
//! Ctrl-C) with clear messages and no process left behind.
//!
//! The example bot is Python with Microsoft's libraries, installed by `.ci/run` into
//! `examples/ivr-bot/.venv`. A fresh machine lacks it: the example tests are `#[ignore]`d with
//! the reason (`cargo test` counts them as ignored); `.ci/run` runs them with
//! `--include-ignored`, and run so they fail without the venv, naming the command that makes it.
//! The process tests need only `python3` and `sh`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{callspec, exec_with_env, marked, Run};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reason the example bot's tests are ignored by default (`cargo test -- --include-ignored`
/// runs them).
const NEEDS_VENV: &str = "needs the example bot's Python venv: python3 -m venv \
     examples/ivr-bot/.venv && examples/ivr-bot/.venv/bin/pip install -r \
     examples/ivr-bot/requirements.txt (.ci/run does it)";

/// An ignored test that was asked for fails without the example bot's environment.
fn require_example_bot(test: &str) {
    let python = root().join("examples/ivr-bot/.venv/bin/python");
    assert!(
        python.exists(),
        "{test} {NEEDS_VENV}; examples/ivr-bot/.venv/bin/python does not exist"
    );
}

/// One line on the terminal: the test harness would swallow an `eprintln!`.
fn skip(what: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {what}");
}

fn has_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `callspec run <args>` with extra environment (the broken bot's switch).
fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    exec_with_env(&all, env)
}

const EXAMPLE_BOT: &str = "examples/ivr-bot/bot.toml";

/// How many must-fail runs (each a callspec and a Python bot) go at once.
const MUST_FAIL_AT_ONCE: usize = 4;

#[test]
#[ignore = "needs the example bot's Python venv (examples/ivr-bot/.venv; .ci/run makes it)"]
fn the_example_bot_passes_its_whole_suite() {
    require_example_bot("the example bot's suite");
    let _alone = crate::common::bot_suite_alone();
    let html = std::env::temp_dir().join(format!("callspec-bot-{}.html", std::process::id()));
    let run = callspec(&[
        "features/bot",
        "--bot",
        EXAMPLE_BOT,
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    // The report's timeline holds the bot's own requests beside the notifications.
    let page = fs::read_to_string(&html).expect("the HTML report");
    for expected in [
        "/answer",
        "/playPrompt",
        "/subscribeToTone",
        "/transfer",
        "/recordResponse",
        "/recordings/",
        "reminder.wav",
    ] {
        assert!(page.contains(expected), "the HTML report lacks {expected}");
    }
    assert!(!page.contains("eyJ"), "a token in the HTML report");
    // A burst's answer times, under the step, in the console and the report.
    for out in [&run.stdout, &page] {
        assert!(
            out.contains("50 calls: answer time p50 "),
            "no distribution\n{}",
            run.output()
        );
    }
    let (passed, failed) = run.summary().expect("a summary line");
    assert_eq!(failed, 0, "{}", run.output());
    assert!(
        passed >= 14,
        "only {passed} bot scenarios ran\n{}",
        run.output()
    );
    // The client secret of the run never shows.
    assert!(!run.stderr.contains("CLIENT_SECRET="), "{}", run.output());
}

// In a must-fail bot spec, `# broken:` names the bug the spec is written for (`none`: the bot is
// right, the spec is wrong); `# expect:` lines must all appear in the output.

#[test]
#[ignore = "needs the example bot's Python venv (examples/ivr-bot/.venv; .ci/run makes it)"]
fn every_must_fail_bot_spec_fails_for_its_stated_reason() {
    require_example_bot("the must-fail specs against the broken bot");
    let _alone = crate::common::bot_suite_alone();
    let dir = root().join("tests/must-fail-bot");
    let mut specs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/must-fail-bot exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 6, "only {} must-fail bot specs", specs.len());
    let broken_variants: Vec<String> = specs
        .iter()
        .flat_map(|s| marked(s, "# broken:"))
        .filter(|b| b != "none")
        .collect();
    for variant in [
        "no-token-check",
        "slow-answer",
        "double-prompt",
        "wrong-transfer",
        "deleted-500",
        "records-without-limit",
        "no-voicemail-beep",
        "download-without-token",
        "removes-the-caller",
        "no-crm-lookup",
        "slow-tail",
        "ignores-retry-after",
        "needs-establishing",
        "early-hang-up",
        "acts-after-hang-up",
        "no-tone-subscription",
    ] {
        assert!(
            broken_variants.iter().any(|b| b == variant),
            "no must-fail spec for the broken bot's {variant}"
        );
    }
    // A few at a time: each spec starts a Python bot of its own, and a dozen importing the
    // Graph SDK at once on a small machine miss their 30 s readiness limit.
    let results: Vec<(PathBuf, Run)> = specs
        .chunks(MUST_FAIL_AT_ONCE)
        .flat_map(run_broken)
        .collect();
    let mut problems = Vec::new();
    for (spec, run) in results {
        let name = spec.file_name().unwrap().to_string_lossy().into_owned();
        if run.code != Some(1) {
            problems.push(format!("{name}: expected exit 1\n{}", run.output()));
            continue;
        }
        for expected in marked(&spec, "# expect:") {
            if !run.stdout.contains(&expected) {
                problems.push(format!(
                    "{name}: the output lacks {expected:?}\n{}",
                    run.output()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Runs must-fail bot specs, each against the broken variant its `# broken:` names, all at once.
fn run_broken(specs: &[PathBuf]) -> Vec<(PathBuf, Run)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                scope.spawn(move || {
                    let broken = marked(spec, "# broken:").pop().unwrap_or_default();
                    let name = spec.strip_prefix(root()).unwrap().to_string_lossy();
                    let env: &[(&str, &str)] = if broken == "none" {
                        &[]
                    } else {
                        &[("IVR_BROKEN", broken.as_str())]
                    };
                    let run = run_with_env(&[&name, "--bot", EXAMPLE_BOT], env);
                    (spec.clone(), run)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// A folder of its own for a test's bot config and feature.
fn workspace(test: &str, toml: &str, feature: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callspec-bot-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("bot.toml"), toml).unwrap();
    fs::write(dir.join("bot.feature"), feature).unwrap();
    dir
}

const ONE_CALL: &str = "@bot\nFeature: one call\n\n  Scenario: John calls\n    When \"John\" calls the bot\n    Then the bot answers the call within 30 seconds\n";

fn run_in(dir: &Path) -> Run {
    let feature = dir.join("bot.feature");
    let toml = dir.join("bot.toml");
    callspec(&[feature.to_str().unwrap(), "--bot", toml.to_str().unwrap()])
}

#[test]
fn a_bot_that_cannot_be_started_is_bad_input() {
    let dir = workspace(
        "missing",
        "command = [\"no-such-bot-7f3a\"]\nwebhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        ONE_CALL,
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("no-such-bot-7f3a"), "{}", run.output());
}

#[test]
fn a_bot_that_exits_before_it_is_ready_shows_its_status_and_stderr() {
    let dir = workspace(
        "dies",
        "command = [\"sh\", \"-c\", \"echo 'boom: cannot load settings' >&2; exit 3\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        ONE_CALL,
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains('3'), "{}", run.output());
    assert!(
        run.stderr.contains("boom: cannot load settings"),
        "{}",
        run.output()
    );
}

#[test]
fn a_bot_never_ready_times_out_clearly() {
    let dir = workspace(
        "never-ready",
        "command = [\"sh\", \"-c\", \"exec sleep 30\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n\
         [ready]\ntimeout_seconds = 1\n",
        ONE_CALL,
    );
    let started = Instant::now();
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("ready"), "{}", run.output());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{}",
        run.output()
    );
}

#[test]
fn a_bot_that_crashes_mid_run_fails_the_waiting_scenario_with_its_exit() {
    if !has_python() {
        skip("the mid-run crash test needs python3 (its fake bot is http.server)");
        return;
    }
    let dir = workspace(
        "crash",
        "command = [\"sh\", \"-c\", \"python3 -m http.server $CALLSPEC_BOT_PORT --bind 127.0.0.1 \
         >/dev/null 2>&1 & sleep 2; kill $!; echo 'crashed: out of memory' >&2; exit 7\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        ONE_CALL,
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(run.stdout.contains("7"), "{}", run.output());
    assert!(
        run.stdout.contains("crashed: out of memory"),
        "{}",
        run.output()
    );
    assert!(
        run.stdout.contains("0 passed, 1 failed"),
        "{}",
        run.output()
    );
}

#[test]
fn a_bot_that_answers_notifications_with_an_error_fails_the_acknowledgement_step() {
    if !has_python() {
        skip("the acknowledgement test needs python3 (its fake bot is http.server)");
        return;
    }
    // http.server answers every POST with 501.
    let dir = workspace(
        "ack",
        "command = [\"python3\", \"-m\", \"http.server\", \"${port}\", \"--bind\", \"127.0.0.1\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        "@bot\nFeature: acks\n\n  Scenario: John calls\n    When \"John\" calls the bot\n    \
         Then the bot acknowledged every notification with 2xx within 3 seconds\n",
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.stdout
            .contains("expected every notification acknowledged with 2xx within 3.0 s"),
        "{}",
        run.output()
    );
    assert!(
        run.stdout.contains("created notification for call"),
        "{}",
        run.output()
    );
    assert!(run.stdout.contains("answered 501"), "{}", run.output());
}

#[test]
fn a_request_the_stand_in_refuses_fails_with_graphs_error_and_the_request() {
    if !has_python() {
        skip("the refused-request test needs python3 (its bot is standard Python)");
        return;
    }
    let bot = root().join("tests/fixtures/bots/bad_answer.py");
    let dir = workspace(
        "refused",
        &format!(
            "command = [\"python3\", \"{}\"]\nwebhook = \"http://127.0.0.1:${{port}}/api/calls\"\n",
            bot.display()
        ),
        ONE_CALL,
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(1), "{}", run.output());
    for expected in [
        "the stand-in refused the bot's request with 400, as Graph would",
        "acceptedModalities is required to answer a call",
        "\"code\": \"BadRequest\"",
        "the request: POST /v1.0/communications/calls/",
        "\"callbackUri\"",
    ] {
        assert!(
            run.stdout.contains(expected),
            "no {expected:?}\n{}",
            run.output()
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_bot_started_by_hand_is_given_its_environment_without_the_secret() {
    if !has_python() {
        skip("the hand-started bot test needs python3 (its fake bot is http.server)");
        return;
    }
    let port = free_port();
    let mut bot = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = workspace(
        "by-hand",
        &format!(
            "webhook = \"http://127.0.0.1:{port}/api/calls\"\ngateway_port = {}\n\
             client_secret = \"hand-secret-4d2f9\"\n[env]\nAPI_TOKEN = \"tok-61e0a9\"\n\
             DB_PASSWORD = \"pw-7c1b2e\"\nSPEECH_KEY = \"sk-90aa4f\"\nMY_SECRET = \"ms-33d8e1\"\n\
             GREETING = \"hello-there\"\n",
            free_port()
        ),
        "@bot\nFeature: by hand\n\n  Scenario: John calls\n    When \"John\" calls the bot\n    \
         Then the bot makes no further requests within 1 second\n",
    );
    let run = run_in(&dir);
    let _ = bot.kill();
    let _ = bot.wait();
    assert_eq!(run.code, Some(0), "{}", run.output());
    for expected in [
        "started by hand",
        "CALLSPEC_GRAPH_URL=https://127.0.0.1:",
        "CALLSPEC_TOKEN_URL=https://127.0.0.1:",
        "CALLSPEC_CLIENT_SECRET=(the client_secret of your bot config)",
        &format!("CALLSPEC_CALLBACK_URL=http://127.0.0.1:{port}/api/calls"),
        "API_TOKEN=<set>",
        "DB_PASSWORD=<set>",
        "SPEECH_KEY=<set>",
        "MY_SECRET=<set>",
        "GREETING=hello-there",
    ] {
        assert!(
            run.stderr.contains(expected),
            "no {expected:?}\n{}",
            run.output()
        );
    }
    for secret in [
        "hand-secret-4d2f9",
        "tok-61e0a9",
        "pw-7c1b2e",
        "sk-90aa4f",
        "ms-33d8e1",
    ] {
        assert!(!run.output().contains(secret), "{secret}\n{}", run.output());
    }
    // Without a fixed port and secret, a hand-started bot could not be given stable settings.
    fs::write(
        dir.join("bot.toml"),
        format!("webhook = \"http://127.0.0.1:{port}/x\"\n"),
    )
    .unwrap();
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("gateway_port"), "{}", run.output());
}

fn alive(pid: i32) -> bool {
    // Signal 0 checks the process exists; a zombie is gone for our purpose.
    let status = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = status.rsplit(')').next().unwrap_or("").trim_start();
    !status.is_empty() && !state.starts_with('Z')
}

#[test]
fn ctrl_c_stops_the_bot_and_leaves_no_process_behind() {
    a_signal_stops_the_bot("ctrl-c", libc::SIGINT, 130);
}

/// A CI runner cancelling a job sends SIGTERM: the bot is stopped too, and the exit is 143.
#[test]
fn sigterm_stops_the_bot_and_exits_143() {
    a_signal_stops_the_bot("sigterm", libc::SIGTERM, 143);
}

fn a_signal_stops_the_bot(name: &str, signal: i32, code: i32) {
    if !has_python() {
        skip("the signal tests need python3 (their fake bot is http.server)");
        return;
    }
    let dir = workspace(
        name,
        "command = [\"sh\", \"-c\", \"echo $$ > bot.pid; exec python3 -m http.server \
         $CALLSPEC_BOT_PORT --bind 127.0.0.1\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        ONE_CALL,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(["run", "bot.feature", "--bot", "bot.toml"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = dir.join("bot.pid");
    let started = Instant::now();
    let bot_pid = loop {
        if let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the bot never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Give the run a moment to be inside the scenario's wait.
    std::thread::sleep(Duration::from_millis(800));
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code));
    let gone_by = Instant::now() + Duration::from_secs(10);
    while alive(bot_pid) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(bot_pid), "the bot (pid {bot_pid}) outlived callspec");
}

#[test]
fn bot_specs_need_a_bot_and_a_bot_run_runs_only_bot_specs() {
    let run = callspec(&["features/bot"]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("--bot FILE"), "{}", run.output());
    let run = callspec(&["features/lifecycle/callee.feature"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
}

/// A token signed as callspec's tokens are, for an app and tenant that are not the bot's.
fn foreign_token(app_id: &str, tenant_id: &str) -> String {
    let app = callspec::AppIdentity {
        app_id: app_id.into(),
        tenant_id: tenant_id.into(),
        display_name: "Someone else's bot".into(),
    };
    let roles = vec![
        "Calls.Initiate.All".to_owned(),
        "Calls.AccessMedia.All".to_owned(),
    ];
    callspec::auth::AccessClaims::app_only(&app, &roles)
        .token(callspec::auth::SigningKey::for_run())
}

const BOT_APP: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";
const BOT_TENANT: &str = "aa67bd4c-8475-432d-bd41-39f255720e0a";

#[test]
fn a_bot_with_another_apps_or_tenants_credentials_fails_with_graphs_refusal() {
    if !has_python() {
        skip("the foreign-credentials test needs python3 (its bot is standard Python)");
        return;
    }
    let bot = root().join("tests/fixtures/bots/foreign_token.py");
    let cases = [
        (
            "app",
            foreign_token("0f0f0f0f-1111-4222-8333-444444444444", BOT_TENANT),
            ["refused the bot's request with 403", "\"code\": \"7503\""],
        ),
        (
            "tenant",
            foreign_token(BOT_APP, "99999999-8888-4777-8666-555555555555"),
            [
                "refused the bot's request with 401",
                "\"code\": \"InvalidAuthenticationToken\"",
            ],
        ),
    ];
    for (what, token, expected) in cases {
        let dir = workspace(
            &format!("foreign-{what}"),
            &format!(
                "command = [\"python3\", \"{}\"]\nwebhook = \"http://127.0.0.1:${{port}}/api/calls\"\n\
                 [env]\nFOREIGN_TOKEN = \"{token}\"\n",
                bot.display()
            ),
            ONE_CALL,
        );
        let run = run_in(&dir);
        assert_eq!(run.code, Some(1), "{what}: {}", run.output());
        for expected in expected {
            assert!(
                run.stdout.contains(expected),
                "{what}: no {expected:?}\n{}",
                run.output()
            );
        }
        assert!(!run.output().contains(&token), "{what}: {}", run.output());
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_bot_that_prints_its_token_and_secret_and_dies_leaks_them_into_no_output() {
    use base64::Engine as _;
    if !has_python() {
        skip("the leak test needs python3 (its bot is standard Python)");
        return;
    }
    let bot = root().join("tests/fixtures/bots/foreign_token.py");
    let token = foreign_token("0f0f0f0f-1111-4222-8333-444444444444", BOT_TENANT);
    let secret = "Zq8~leaky-client-Secret.42";
    let dir = workspace(
        "leak",
        &format!(
            "command = [\"python3\", \"{}\"]\nwebhook = \"http://127.0.0.1:${{port}}/api/calls\"\n\
             client_secret = \"{secret}\"\n[env]\nFOREIGN_TOKEN = \"{token}\"\nLEAK = \"1\"\n",
            bot.display()
        ),
        ONE_CALL,
    );
    let reports = ["junit.xml", "cucumber.json", "report.html"].map(|f| dir.join(f));
    let feature = dir.join("bot.feature");
    let toml = dir.join("bot.toml");
    let run = callspec(&[
        feature.to_str().unwrap(),
        "--bot",
        toml.to_str().unwrap(),
        "--junit",
        reports[0].to_str().unwrap(),
        "--cucumber-json",
        reports[1].to_str().unwrap(),
        "--html",
        reports[2].to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.output().contains("[redacted]") || run.output().contains("<redacted>"),
        "{}",
        run.output()
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let forms = [
        token.clone(),
        token[..40].to_owned(),
        secret.to_owned(),
        secret.to_uppercase(),
        b64[..20].to_owned(),
        secret[7..].to_owned(),
    ];
    let mut outputs = vec![("console".to_owned(), run.output())];
    for report in &reports {
        let text = fs::read_to_string(report).expect("the report is written");
        assert!(!text.is_empty());
        outputs.push((report.display().to_string(), text));
    }
    for (name, text) in &outputs {
        for form in &forms {
            assert!(!text.contains(form.as_str()), "{form:?} in {name}:\n{text}");
        }
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_fifo_as_bot_toml_and_an_env_overriding_callspecs_variables_are_bad_input() {
    let dir = workspace("fifo", "", ONE_CALL);
    let toml = dir.join("bot.toml");
    fs::remove_file(&toml).unwrap();
    let name = std::ffi::CString::new(toml.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; mkfifo touches nothing else.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let started = Instant::now();
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("bot.toml") && run.stderr.contains("a FIFO"),
        "{}",
        run.output()
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    fs::remove_file(&toml).unwrap();

    for (text, expected) in [
        (
            "command = [\"true\"]\nwebhook = \"http://127.0.0.1:${port}/api/calls\"\n\
             [env]\nCALLSPEC_GRAPH_URL = \"https://graph.microsoft.com/v1.0\"\n",
            "bot.toml:4:1: `CALLSPEC_GRAPH_URL` is set by callspec",
        ),
        (
            "command = [\"true\"]\nwebhook = \"http://127.0.0.1:${port}/api/calls\"\n\
             time_scale = 1e-300\n",
            "bot.toml:3:14: `time_scale` is",
        ),
    ] {
        fs::write(&toml, text).unwrap();
        let run = run_in(&dir);
        assert_eq!(run.code, Some(2), "{}", run.output());
        assert!(
            run.stderr.contains(expected),
            "no {expected:?}\n{}",
            run.output()
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn record_in_bot_mode_keeps_the_bots_requests_graphs_answers_and_the_notifications() {
    if !has_python() {
        skip("the bot recording test needs python3 (its bot is standard Python)");
        return;
    }
    let bot = root().join("tests/fixtures/bots/bad_answer.py");
    let dir = workspace(
        "record",
        &format!(
            "command = [\"python3\", \"{}\"]\nwebhook = \"http://127.0.0.1:${{port}}/api/calls\"\n\
             client_secret = \"rec-secret-5e7a1c\"\n",
            bot.display()
        ),
        ONE_CALL,
    );
    let recordings = dir.join("recordings");
    let feature = dir.join("bot.feature");
    let toml = dir.join("bot.toml");
    let run = callspec(&[
        feature.to_str().unwrap(),
        "--bot",
        toml.to_str().unwrap(),
        "--record",
        recordings.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.output());
    let file = fs::read_dir(&recordings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "har"))
        .expect("a recording");
    let text = fs::read_to_string(&file).unwrap();
    let har: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["_callspec"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"notification"), "{kinds:?}\n{text}");
    let answer = entries
        .iter()
        .find(|e| e["_callspec"]["kind"] == "request")
        .expect("the bot's request");
    assert!(
        answer["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/answer"),
        "{answer}"
    );
    assert_eq!(answer["response"]["status"], 400, "{answer}");
    assert!(
        answer["response"]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("acceptedModalities"),
        "{answer}"
    );
    assert!(
        !text.contains("rec-secret-5e7a1c") && !text.contains("eyJ"),
        "{text}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_bot_whose_venv_is_missing_is_told_how_to_make_it() {
    let dir = workspace(
        "venv",
        "command = [\".venv/bin/python\", \"bot.py\"]\nwebhook = \"http://127.0.0.1:${port}/api/calls\"\n",
        ONE_CALL,
    );
    fs::write(dir.join("requirements.txt"), "msal\n").unwrap();
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("/.venv/bin/python does not exist")
            && run.stderr.contains("python3 -m venv ")
            && run.stderr.contains(".venv/bin/pip install -r ")
            && run.stderr.contains("requirements.txt"),
        "{}",
        run.output()
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A bot's other services without the example bot: a fake bot (http.server) that writes the
/// URL it was given and never calls it. A mistyped service gets the bot.toml keys; a check of a
/// request never made lists what the service received; a bad `[services]` entry is bad input.
#[test]
fn a_bots_other_services_are_named_checked_and_their_config_is_checked() {
    if !has_python() {
        skip("the services test needs python3 (its fake bot is http.server)");
        return;
    }
    let feature = "@bot\nFeature: services\n\n  Scenario: a typo\n    \
         Given the CRMM answers \"GET /customers/+1\" with 404\n\n  Scenario: never asked\n    \
         Given the CRM answers \"GET /customers/+1\" with:\n      \"\"\"\n      name: Ada\n      \
         \"\"\"\n    Then the bot asked the crm for \"GET /customers/+1\" within 1 second\n\n  \
         Scenario: a check before a stub\n    \
         Then the bot asked the CRM for \"GET /customers/+1\" within 1 second\n";
    let dir = workspace(
        "services",
        "command = [\"sh\", \"-c\", \"echo \\\"$CRM_URL\\\" > crm-url.txt; exec python3 -m \
         http.server $CALLSPEC_BOT_PORT --bind 127.0.0.1\"]\n\
         webhook = \"http://127.0.0.1:${port}/api/calls\"\n\
         [services.crm]\nenv = \"CRM_URL\"\n",
        feature,
    );
    let run = run_in(&dir);
    assert_eq!(run.code, Some(1), "{}", run.output());
    for expected in [
        "the bot's config names no service \"CRMM\": did you mean \"crm\"? its services are \"crm\"",
        "at ",
        "bot.feature:5:5",
        "the bot did not ask the crm for GET /customers/+1 within 1.0 s",
        "what the crm received since the scenario's first service step:\n        (none)",
        "this scenario has not stubbed the CRM yet",
        "0 passed, 3 failed",
    ] {
        assert!(run.stdout.contains(expected), "no {expected:?}\n{}", run.output());
    }
    let url = fs::read_to_string(dir.join("crm-url.txt")).expect("the bot wrote CRM_URL");
    assert!(url.starts_with("http://127.0.0.1:"), "CRM_URL={url}");

    fs::write(
        dir.join("bot.toml"),
        "command = [\"true\"]\nwebhook = \"http://127.0.0.1:${port}/api/calls\"\n\
         [services.crm]\nenvv = \"CRM_URL\"\n",
    )
    .unwrap();
    let run = run_in(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr
            .contains("bot.toml:4:1: unknown field `envv`, expected `env`"),
        "{}",
        run.output()
    );
    let _ = fs::remove_dir_all(&dir);
}
