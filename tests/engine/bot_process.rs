//! The bot under test as a process: `bot.toml` loading, start and readiness, exits, stop, and
//! what is left behind. The bots are small fakes (sh and python3) in a temp folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use callspec::bot::{BotConfig, BotConfigError, BotError, BotProcess, ReadyProbe};

/// A fake bot: serves GET on 127.0.0.1:argv[1] (200, or exits with status 7 on `/die`), after
/// printing what the tests look for. `BOT_FORK=1` also starts a grandchild (`sleep`).
const BOT_PY: &str = r#"
import http.server, os, subprocess, sys
port = int(sys.argv[1])
print("stdout: greeting=" + os.environ.get("GREETING", ""), flush=True)
print("stderr: secret=" + os.environ.get("BOT_CLIENT_SECRET", "") + " done", file=sys.stderr, flush=True)
with open("env.txt", "w") as f:
    f.write(os.environ.get("GREETING", "") + "|" + os.environ.get("CALLSPEC_BOT_PORT", ""))
if os.environ.get("BOT_FORK"):
    child = subprocess.Popen(["sleep", "300"])
    with open("grandchild.pid", "w") as f:
        f.write(str(child.pid))
if os.environ.get("BOT_DETACH"):
    # A daemon: its own session, ignoring SIGTERM, holding a port.
    child = subprocess.Popen(["python3", "-c",
        "import signal, socket, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "open('detached.port', 'w').write(str(s.getsockname()[1])); time.sleep(300)"],
        start_new_session=True)
    with open("detached.pid", "w") as f:
        f.write(str(child.pid))
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/die":
            print("dying on request", file=sys.stderr, flush=True)
            os._exit(7)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"#;

const SECRET: &str = "s3cr3t-VALUE-4242";

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("callspec-botproc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bot.py"), BOT_PY).unwrap();
        TempDir(dir)
    }

    fn config(&self, toml: &str) -> BotConfig {
        let file = self.0.join("bot.toml");
        std::fs::write(&file, toml).unwrap();
        BotConfig::load(&file).unwrap_or_else(|e| panic!("{e}"))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The python bot on `${port}`, ready when `/` answers, with `extra` appended to the toml.
fn python_bot(extra: &str) -> String {
    format!(
        r#"
command = ["python3", "bot.py", "${{port}}"]
webhook = "http://127.0.0.1:${{port}}/api/calls"

[env]
GREETING = "hello on ${{port}}"
BOT_CLIENT_SECRET = "{SECRET}"
{extra}

[ready]
url = "http://127.0.0.1:${{port}}/"
timeout_seconds = 20
"#
    )
}

fn bot_env(config: &BotConfig) -> Vec<(String, String)> {
    vec![
        (
            "CALLSPEC_BOT_PORT".to_owned(),
            config.port.unwrap().to_string(),
        ),
        ("CALLSPEC_CALLBACK_URL".to_owned(), config.webhook.clone()),
    ]
}

/// The processes of group `pgid` that have not exited (zombies of reparented grandchildren
/// do not count: they are dead, waiting for init).
fn live_members(pgid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its `)`.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            found.push(pid);
        }
    }
    found
}

/// Waits (bounded) until no process of the group is alive: SIGKILL is delivered
/// asynchronously, so the kernel may take a moment to finish the processes off.
fn assert_group_gone(pgid: u32) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive = live_members(pgid);
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes of the bot's group still alive: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid as i32, 0) } == 0;
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
        .unwrap_or(true);
    exists && !zombie
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_by_url_with_port_and_env_passed() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot(""));
    let port = config.port.unwrap();
    assert_eq!(
        config.ready,
        ReadyProbe::Url(format!("http://127.0.0.1:{port}/"))
    );
    let started = Instant::now();
    let bot = BotProcess::start(&config, bot_env(&config)).await.unwrap();
    eprintln!("ready by URL after {:?}", started.elapsed());
    // Ready means it answers now.
    let body = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");
    let seen = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    assert_eq!(seen, format!("hello on {port}|{port}"));
    assert!(bot.exited().borrow().is_none());
    let pid = bot.id().unwrap();
    let exit = bot.stop().await.expect("the bot's exit");
    assert_eq!(exit.signal, Some(libc::SIGTERM), "{exit}");
    assert_group_gone(pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_by_port_by_default() {
    let dir = TempDir::new();
    let config = dir.config(
        r#"
command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "${port}"]
webhook = "http://127.0.0.1:${port}/api/calls"
"#,
    );
    let port = config.port.unwrap();
    assert_eq!(config.ready, ReadyProbe::Port(port));
    let started = Instant::now();
    let bot = BotProcess::start(&config, vec![]).await.unwrap();
    eprintln!("ready by port after {:?}", started.elapsed());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_does_not_exist() {
    let dir = TempDir::new();
    let config = dir
        .config("command = [\"no-such-bot-xyz\", \"--serve\"]\nwebhook = \"http://127.0.0.1:1/\"");
    let e = BotProcess::start(&config, vec![]).await.unwrap_err();
    assert!(matches!(e, BotError::Spawn { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.starts_with(
            "cannot start the bot (no-such-bot-xyz --serve): `no-such-bot-xyz` was not found on \
             the PATH ("
        ),
        "{e}"
    );

    let config = dir.config("command = [\"./missing.sh\"]\nwebhook = \"http://127.0.0.1:1/\"");
    let e = BotProcess::start(&config, vec![])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.sh does not exist"), "{e}");

    std::fs::write(dir.path().join("plain.sh"), "echo hi\n").unwrap();
    let config = dir.config("command = [\"./plain.sh\"]\nwebhook = \"http://127.0.0.1:1/\"");
    let e = BotProcess::start(&config, vec![])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plain.sh cannot be run (is it executable?"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_exits_before_ready_shows_its_status_and_stderr() {
    let dir = TempDir::new();
    let config = dir.config(
        r#"
command = ["sh", "-c", "echo starting; echo 'fatal: no IVR_TRANSFER_TO_NAME' >&2; exit 3"]
webhook = "http://127.0.0.1:${port}/api/calls"
"#,
    );
    let started = Instant::now();
    let e = BotProcess::start(&config, vec![]).await.unwrap_err();
    let elapsed = started.elapsed();
    let BotError::Exited { exit, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(exit.code, Some(3));
    assert_eq!(exit.stderr_tail, "fatal: no IVR_TRANSFER_TO_NAME");
    assert_eq!(
        e.to_string(),
        "the bot exited with status 3 before it was ready (sh -c \"echo starting; echo 'fatal: \
         no IVR_TRANSFER_TO_NAME' >&2; exit 3\"); the end of its stderr:\n    fatal: no \
         IVR_TRANSFER_TO_NAME"
    );
    // The exit is an event: no waiting for the 30 s timeout.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    eprintln!("exit before ready reported after {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_never_ready_times_out() {
    let dir = TempDir::new();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let config = dir.config(&format!(
        r#"
command = ["sh", "-c", "echo 'loading models' >&2; echo $$ > leader.pid; exec sleep 300"]
webhook = "http://127.0.0.1:{port}/api/calls"
[ready]
timeout_seconds = 1
"#
    ));
    let started = Instant::now();
    let e = BotProcess::start(&config, vec![]).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(e, BotError::NotReady { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "the bot was not ready after 1s: a connection to port {port} never succeeded (last \
             attempt: connection refused); the end of its stderr:\n    loading models"
        )
    );
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    // The bot that was not ready was killed.
    let pid: u32 = std::fs::read_to_string(dir.path().join("leader.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_group_gone(pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_answering_an_error_is_not_ready() {
    let dir = TempDir::new();
    let config = dir.config(
        r#"
command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "${port}"]
webhook = "http://127.0.0.1:${port}/api/calls"
[ready]
url = "http://127.0.0.1:${port}/no-such-page"
timeout_seconds = 3
"#,
    );
    let e = BotProcess::start(&config, vec![])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("(last attempt: HTTP 404 Not Found)"), "{e}");
    assert!(e.contains("/no-such-page never succeeded"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exited_fires_when_the_bot_dies_mid_run() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot(""));
    let port = config.port.unwrap();
    let bot = BotProcess::start(&config, bot_env(&config)).await.unwrap();
    let mut exited = bot.exited();
    assert!(exited.borrow().is_none());
    let asked = Instant::now();
    // The bot exits while answering: the request fails.
    let _ = reqwest::get(format!("http://127.0.0.1:{port}/die")).await;
    let exit = tokio::time::timeout(Duration::from_secs(10), exited.wait_for(Option::is_some))
        .await
        .expect("exited() fires")
        .unwrap()
        .clone()
        .unwrap();
    eprintln!(
        "exited() fired {:?} after the fatal request",
        asked.elapsed()
    );
    assert_eq!(exit.code, Some(7));
    assert!(exit.stderr_tail.ends_with("dying on request"), "{exit}");
    assert!(exit
        .to_string()
        .starts_with("the bot exited with status 7; the end of its stderr:"));
    // Stopping a bot that already exited gives its exit.
    assert_eq!(bot.stop().await, Some(exit));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_kills_a_bot_that_ignores_sigterm_and_its_grandchild() {
    let dir = TempDir::new();
    // `trap '' TERM` is inherited through exec and fork: the bot and its grandchild ignore it.
    let config = dir.config(
        r#"
command = ["sh", "-c", "trap '' TERM; exec python3 bot.py $0", "${port}"]
webhook = "http://127.0.0.1:${port}/api/calls"
[env]
BOT_FORK = "1"
[ready]
url = "http://127.0.0.1:${port}/"
timeout_seconds = 20
"#,
    );
    let bot = BotProcess::start(&config, vec![]).await.unwrap();
    let pid = bot.id().unwrap();
    let grandchild: u32 = std::fs::read_to_string(dir.path().join("grandchild.pid"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(alive(grandchild));
    assert_eq!(live_members(pid).len(), 2, "the bot and its grandchild");
    let started = Instant::now();
    let exit = bot.stop().await.expect("the bot's exit");
    let took = started.elapsed();
    eprintln!("stop of a bot ignoring SIGTERM took {took:?}");
    assert_eq!(exit.signal, Some(libc::SIGKILL), "{exit}");
    assert!(
        took >= Duration::from_millis(4900) && took < Duration::from_secs(7),
        "{took:?}"
    );
    assert_group_gone(pid);
    assert!(!alive(grandchild));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_bot_leaves_no_orphan() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot("BOT_FORK = \"1\""));
    let bot = BotProcess::start(&config, bot_env(&config)).await.unwrap();
    let pid = bot.id().unwrap();
    let grandchild: u32 = std::fs::read_to_string(dir.path().join("grandchild.pid"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(alive(pid) && alive(grandchild));
    drop(bot);
    assert_group_gone(pid);
    assert!(!alive(grandchild));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_killer_handle_kills_the_group() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot("BOT_FORK = \"1\""));
    let bot = BotProcess::start(&config, bot_env(&config)).await.unwrap();
    let pid = bot.id().unwrap();
    let killer = bot.killer();
    let mut exited = bot.exited();
    // As a Ctrl-C handler would, from another thread.
    std::thread::spawn(move || killer.kill()).join().unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(10), exited.wait_for(Option::is_some))
        .await
        .unwrap()
        .unwrap()
        .clone()
        .unwrap();
    assert_eq!(exit.signal, Some(libc::SIGKILL));
    assert_group_gone(pid);
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_outlives_the_task_and_thread_that_started_it() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot(""));
    let env = bot_env(&config);
    let started = {
        let config = config.clone();
        tokio::spawn(async move { BotProcess::start(&config, env).await })
    };
    let bot = started.await.unwrap().unwrap();
    // Blocking-pool threads come and go; the bot's parent-death signal is tied to its own
    // thread, not to them.
    tokio::task::spawn_blocking(|| ()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(alive(bot.id().unwrap()));
    assert!(bot.exited().borrow().is_none());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_the_tails() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot(""));
    let mut env = bot_env(&config);
    env.push((
        "CALLSPEC_CLIENT_SECRET".into(),
        "gateway-secret-9876".into(),
    ));
    let bot = BotProcess::start(&config, env).await.unwrap();
    let (stdout, stderr) = (bot.stdout_tail(), bot.stderr_tail());
    assert_eq!(stderr, "stderr: secret=[redacted] done");
    assert!(stdout.starts_with("stdout: greeting=hello on "), "{stdout}");
    assert!(!format!("{bot:?}").contains(SECRET));
    assert!(!format!("{config:?}").contains(SECRET));
    let exit = bot.stop().await.unwrap();
    assert!(!exit.to_string().contains(SECRET), "{exit}");
    assert!(exit.stderr_tail.contains("[redacted]"), "{exit}");

    // The same for a bot that prints the secret and exits before it is ready.
    let config = dir.config(
        r#"
command = ["sh", "-c", "echo \"token is $API_TOKEN\" >&2; echo \"gw $CALLSPEC_CLIENT_SECRET\" >&2; exit 1"]
webhook = "http://127.0.0.1:1/"
[env]
API_TOKEN = "tok-1234567890"
"#,
    );
    let env = vec![(
        "CALLSPEC_CLIENT_SECRET".into(),
        "gateway-secret-9876".into(),
    )];
    let e = BotProcess::start(&config, env)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !e.contains("tok-1234567890") && !e.contains("gateway-secret"),
        "{e}"
    );
    assert!(e.ends_with("token is [redacted]\n    gw [redacted]"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_started_by_hand_is_only_checked() {
    let dir = TempDir::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = dir.config(&format!("webhook = \"http://127.0.0.1:{port}/api/calls\""));
    assert_eq!(config.command, None);
    let bot = BotProcess::start(&config, vec![]).await.unwrap();
    assert_eq!(bot.id(), None);
    let mut exited = bot.exited();
    let never = tokio::time::timeout(Duration::from_millis(200), exited.changed()).await;
    assert!(
        never.is_err(),
        "exited() never fires for a bot started by hand"
    );
    bot.killer().kill(); // does nothing
    assert_eq!(bot.stop().await, None);
    // It is still there.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(listener);

    let config = dir.config(&format!(
        "webhook = \"http://127.0.0.1:{port}/api/calls\"\n[ready]\ntimeout_seconds = 1"
    ));
    let e = BotProcess::start(&config, vec![])
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "the bot was not ready after 1s: a connection to port {port} never succeeded (last \
             attempt: connection refused)"
        )
    );
}

#[test]
fn config_errors_name_the_file_line_and_column() {
    let dir = TempDir::new();
    let file = dir.path().join("bot.toml");
    let error = |toml: &str| {
        std::fs::write(&file, toml).unwrap();
        let e = BotConfig::load(&file).unwrap_err();
        assert!(matches!(e, BotConfigError::Invalid { .. }), "{e:?}");
        let text = e.to_string();
        let at = format!("{}:", file.display());
        text.strip_prefix(&at)
            .unwrap_or_else(|| panic!("{text} does not start with {at}"))
            .to_owned()
    };
    let e = error("command = [\"x\"]\nwebhok = \"http://h/\"");
    assert!(
        e.starts_with("2:1: unknown field `webhok`, expected one of `command`"),
        "{e}"
    );
    assert!(e.ends_with("; did you mean `webhook`?"), "{e}");
    assert!(error("webhook = \"localhost:80\"")
        .starts_with("1:11: `webhook` must be an http:// or https:// URL, not localhost:"),);
    assert!(error("webhook = \"http://127.0.0.1:${port}/\"")
        .starts_with("1:29: `${port}` in `webhook` needs `command`"));
    assert!(
        error("command = [\"x\"]\nwebhook = \"http://127.0.0.1:${prot}/\"")
            .starts_with("2:29: unknown placeholder `${prot}`")
    );
    let e = error("workdir = \"gone\"\nwebhook = \"http://h/\"");
    assert!(e.starts_with("1:11: the workdir "), "{e}");
    assert!(
        e.ends_with("gone cannot be used: No such file or directory"),
        "{e}"
    );
}

/// Waits (bounded, for a file the bot writes as it starts) until `file` holds a number.
fn wait_for_number(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(n) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (bounded) until `pid` is gone: SIGKILL is delivered asynchronously.
fn assert_gone(pid: u32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < deadline, "{what} ({pid}) survived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_detaches_into_its_own_session_is_stopped_and_named() {
    let dir = TempDir::new();
    let config = dir.config(&python_bot("BOT_DETACH = \"1\""));
    let bot = BotProcess::start(&config, bot_env(&config)).await.unwrap();
    let pid = bot.id().unwrap();
    let detached = wait_for_number(&dir.path().join("detached.pid"));
    wait_for_number(&dir.path().join("detached.port"));
    assert!(alive(detached));
    assert_eq!(
        live_members(pid).len(),
        1,
        "the daemon left the bot's group"
    );
    let named = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = named.clone();
    bot.on_left_behind(move |names| sink.lock().unwrap().extend_from_slice(names));
    bot.stop().await.expect("the bot's exit");
    assert_group_gone(pid);
    assert_gone(detached, "the detached daemon");
    let named = named.lock().unwrap().clone();
    assert!(
        named
            .iter()
            .any(|n| n.starts_with(&format!("{detached} ("))),
        "{named:?}"
    );
}

#[test]
fn kill_9_of_callspec_leaves_no_process_of_the_bot_holding_its_port() {
    let has_python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_python {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "skipped: needs python3 for its fake bot");
        return;
    }
    let dir = TempDir::new();
    let toml = dir.path().join("bot.toml");
    std::fs::write(&toml, python_bot("BOT_FORK = \"1\"\nBOT_DETACH = \"1\"")).unwrap();
    let feature = dir.path().join("wait.feature");
    std::fs::write(
        &feature,
        "@bot\nFeature: wait\n\n  Scenario: nothing happens for a while\n    \
         When \"John\" calls the bot\n    Then the bot makes no further requests within 60 seconds\n",
    )
    .unwrap();
    let mut callspec = std::process::Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args([
            "run",
            feature.to_str().unwrap(),
            "--bot",
            toml.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let grandchild = wait_for_number(&dir.path().join("grandchild.pid"));
    let detached = wait_for_number(&dir.path().join("detached.pid"));
    let port = wait_for_number(&dir.path().join("detached.port"));
    callspec.kill().unwrap(); // SIGKILL: no destructor, no signal handler runs
    callspec.wait().unwrap();
    assert_gone(grandchild, "the bot's child in its group");
    assert_gone(detached, "the bot's child in its own session");
    // The port is free again.
    assert_eq!(
        std::net::TcpListener::bind(("127.0.0.1", port as u16))
            .map(|_| ())
            .map_err(|e| e.kind()),
        Ok(())
    );
}
