//! The bot process: started from `bot.toml`'s `command`, watched while the run lasts, and
//! stopped at the end with nothing of it left behind.
//!
//! The bot runs in its own process group, so one signal reaches it and everything it started
//! (a shell's children, a dev server's workers). Its stdout and stderr go into small in-memory
//! tails, with secrets replaced, for the messages that say why it failed.
//!
//! Starting the bot is Unix-only (process groups, signals, the subreaper and the watchdog have
//! no like-for-like Windows form here): on Windows a `command` in bot.toml is refused at start
//! with what to do instead; a bot started by hand takes the same path as everywhere else.
// On Windows the starting half is not built, so its helpers (tails, secrets, spawn messages)
// and the never-constructed group go unused there.
#![cfg_attr(not(unix), allow(dead_code))]

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
#[cfg(unix)]
use tokio::sync::oneshot;
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::{is_secret_name, BotConfig, ReadyProbe};
use crate::display_path;

/// How long `stop` lets the bot shut down after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the exit after SIGKILL (only a process stuck in the kernel takes longer).
const KILL_WAIT: Duration = Duration::from_secs(5);
/// After the bot exits, how long its pipes may take to deliver their last lines. A grandchild
/// can keep them open for ever, so this does not wait for the end of the pipes.
const LAST_OUTPUT_WAIT: Duration = Duration::from_millis(200);
/// The readiness probe's first pause, and its longest.
const PROBE_FIRST_PAUSE: Duration = Duration::from_millis(5);
const PROBE_MAX_PAUSE: Duration = Duration::from_millis(100);
/// The longest a single readiness `GET` may take (a hung server is retried).
const PROBE_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// What an output tail keeps: the last lines, at most this many and this many bytes.
const TAIL_LINES: usize = 40;
const TAIL_BYTES: usize = 8 * 1024;
/// Values shorter than this are not treated as secrets in the tails (`DISABLE_TOKEN_CHECK=1`
/// is a switch, and replacing every "1" would make the tail useless).
const MIN_SECRET_LEN: usize = 4;
const REDACTED: &str = "[redacted]";

/// Why `command` in bot.toml is refused on Windows.
#[cfg(not(unix))]
const WINDOWS_NO_COMMAND: &str = "starting the bot from bot.toml is supported on Linux and macOS; \
     on Windows start the bot yourself and leave `command` out of bot.toml (callspec then prints \
     the environment to give it)";

/// The running bot under test (or, for a bot started by hand, just its readiness check).
///
/// Dropping it (an early return, a panic) kills the bot's whole process group at once; [`stop`]
/// is the graceful way. For Ctrl-C, either drop it or keep a [`BotKiller`] (from
/// [`killer`](BotProcess::killer)) where the signal is handled.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use callspec::bot::{BotConfig, BotProcess};
///
/// let config = BotConfig::load("examples/ivr-bot/bot.toml".as_ref())?;
/// let mut env = vec![("CALLSPEC_CALLBACK_URL".to_owned(), config.webhook.clone())];
/// env.extend(config.env.iter().cloned());
/// let bot = BotProcess::start(&config, env).await?; // returns once the bot is ready
/// let mut exited = bot.exited();
/// tokio::select! {
///     Ok(exit) = exited.wait_for(Option::is_some) => eprintln!("{}", exit.as_ref().unwrap()),
///     _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {} // run the scenarios
/// }
/// if let Some(exit) = bot.stop().await {
///     eprintln!("{exit}");
/// }
/// # Ok(())
/// # }
/// ```
///
/// [`stop`]: BotProcess::stop
pub struct BotProcess {
    /// `None` for a bot started by hand.
    child: Option<Child>,
    exited: watch::Receiver<Option<BotExit>>,
    /// For a bot started by hand: keeps `exited` open (and never changing) while `self` lives.
    _never: Option<watch::Sender<Option<BotExit>>>,
    stdout: Arc<Mutex<Tail>>,
    stderr: Arc<Mutex<Tail>>,
}

/// The started command's side of a [`BotProcess`].
struct Child {
    killer: BotKiller,
    /// Dropping it ends the thread the bot was forked from (see `spawn_on_own_thread`).
    _hold: std::sync::mpsc::Sender<()>,
}

/// Kills the bot's process group from anywhere, synchronously: for a Ctrl-C handler or a path
/// that exits without dropping the [`BotProcess`]. Cheap to clone; does nothing for a bot
/// started by hand, or once the bot was stopped.
#[derive(Clone)]
pub struct BotKiller {
    group: Option<Arc<Group>>,
}

struct Group {
    pgid: Pid,
    /// Set once the group was killed and its leader reaped: from then on the id may belong to
    /// someone else, so no signal goes to it any more.
    done: AtomicBool,
    /// The bot's tree: every process that inherited `CALLSPEC_BOT_RUN={run_id}`, in the group
    /// or not (a daemon that called setsid, a double fork reparented to callspec).
    run_id: String,
    /// The watchdog that sweeps the tree if callspec dies without stopping the bot.
    watchdog: Mutex<Option<std::process::Child>>,
    /// Told the names of what was still running at the end and had to be killed.
    on_left_behind: Mutex<Option<LeftBehind>>,
    /// Processes of the tree found outside the bot's group when it was signalled.
    escaped: Mutex<Vec<String>>,
}

type LeftBehind = Box<dyn Fn(&[String]) + Send + Sync>;

/// The variable that marks the bot's process tree.
pub const RUN_MARKER: &str = "CALLSPEC_BOT_RUN";

/// What the watchdog runs (`sh -c`, `$1` the bot's group, `$2` the run id): it waits on a pipe
/// from callspec. `ok` means callspec stopped the bot itself; end of file without it means
/// callspec died (`kill -9`), and the watchdog kills the group and every process carrying the
/// run's marker, twice (a fork in flight during the first sweep is caught by the second).
const WATCHDOG: &str = r#"read line
[ "$line" = ok ] && exit 0
for round in 1 2; do
  kill -KILL -- "-$1" 2>/dev/null
  for p in /proc/[0-9]*; do
    if grep -qxz "CALLSPEC_BOT_RUN=$2" "$p/environ" 2>/dev/null; then kill -KILL "${p#/proc/}" 2>/dev/null; fi
  done
done"#;

/// A process of the bot's tree: pid, parent, group, and a name for messages (`1234 (sleep)`).
type Member = (Pid, Pid, Pid, String);

#[cfg(unix)]
type Pid = libc::pid_t;
#[cfg(not(unix))]
type Pid = i32;

/// The signals `stop` and `kill` send (Windows: never sent, as no group exists there).
#[cfg(unix)]
const SIGTERM: i32 = libc::SIGTERM;
#[cfg(unix)]
const SIGKILL: i32 = libc::SIGKILL;
#[cfg(not(unix))]
const SIGTERM: i32 = 15;
#[cfg(not(unix))]
const SIGKILL: i32 = 9;

/// The live (not zombie) processes that carry the run's marker, but callspec itself.
fn tree_of(run_id: &str) -> Vec<Member> {
    let marker = format!("{RUN_MARKER}={run_id}");
    let me = std::process::id() as Pid;
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<Pid>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let (Some(open), Some((head, rest))) = (stat.find('('), stat.rsplit_once(") ")) else {
            continue;
        };
        let comm = head.get(open + 1..).unwrap_or_default();
        let mut fields = rest.split_whitespace();
        if fields.next() == Some("Z") {
            continue;
        }
        let mut number = || fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let ppid = number();
        let pgrp = number();
        found.push((pid, ppid, pgrp, format!("{pid} ({comm})")));
    }
    found
}

/// Makes callspec the reaper of the bot's orphans (Linux): a process the bot starts that
/// outlives its parent (a double fork, a daemon) is reparented to callspec instead of init, so
/// it stays in reach and its exit is collected here.
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl with an integer argument changes only this process's attribute.
            unsafe {
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
            }
        });
    }
}

/// Starts the watchdog for the bot's group and run (see [`WATCHDOG`]); `None` without `sh`.
#[cfg(unix)]
fn start_watchdog(pgid: Pid, run_id: &str) -> Option<std::process::Child> {
    use std::os::unix::process::CommandExt as _;
    std::process::Command::new("sh")
        .args([
            "-c",
            WATCHDOG,
            "callspec-watchdog",
            &pgid.to_string(),
            run_id,
        ])
        .env_remove(RUN_MARKER)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Its own group: Ctrl-C in the terminal and the bot's group kill leave it alone.
        .process_group(0)
        .spawn()
        .ok()
}

impl fmt::Debug for BotKiller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotKiller")
            .field("pgid", &self.group.as_ref().map(|g| g.pgid))
            .finish()
    }
}

impl BotKiller {
    /// SIGKILL to the bot and everything it started, in its group or not.
    pub fn kill(&self) {
        self.signal(SIGKILL);
    }

    /// `signal` to the bot's group and to every process of its tree outside it.
    fn signal(&self, signal: i32) {
        if let Some(group) = &self.group {
            if !group.done.load(Ordering::SeqCst) {
                signal_group(group.pgid, signal);
            }
            for (pid, _, pgrp, name) in tree_of(&group.run_id) {
                if pgrp != group.pgid {
                    // Escaped the group (setsid, its own group): named at the end.
                    if let Ok(mut escaped) = group.escaped.lock() {
                        if !escaped.contains(&name) {
                            escaped.push(name);
                        }
                    }
                }
                signal_process(pid, signal);
            }
        }
    }

    /// The end: whatever of the bot's tree still runs is killed (and named to the
    /// `on_left_behind` listener), orphans reparented to callspec are reaped, the watchdog is
    /// told all is done, and no more signals go to this group id.
    fn finish(&self) {
        let Some(group) = &self.group else {
            return;
        };
        let left = tree_of(&group.run_id);
        self.kill();
        group.done.store(true, Ordering::SeqCst);
        let me = std::process::id() as Pid;
        for (pid, ppid, _, _) in &left {
            // The leader is Tokio's to reap; the rest, reparented here, are ours.
            if *ppid == me && *pid != group.pgid {
                reap(*pid);
            }
        }
        if let Some(mut watchdog) = group.watchdog.lock().ok().and_then(|mut w| w.take()) {
            use std::io::Write as _;
            if let Some(mut stdin) = watchdog.stdin.take() {
                let _ = stdin.write_all(b"ok\n");
            }
            let _ = watchdog.wait();
        }
        let mut names = group.escaped.lock().map(|e| e.clone()).unwrap_or_default();
        for (_, _, _, name) in left {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if !names.is_empty() {
            if let Some(tell) = group.on_left_behind.lock().ok().and_then(|mut t| t.take()) {
                tell(&names);
            }
        }
    }
}

/// Sends `signal` to the process group `pgid`.
#[cfg(unix)]
fn signal_group(pgid: Pid, signal: i32) {
    // SAFETY: killpg only sends a signal; an already empty group gives ESRCH.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Sends `signal` to one process of the bot's tree.
#[cfg(unix)]
fn signal_process(pid: Pid, signal: i32) {
    // SAFETY: kill only sends a signal to a process that carries the run's marker.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Collects the exit of an orphan of the bot's tree reparented to callspec.
#[cfg(unix)]
fn reap(pid: Pid) {
    // SAFETY: waits for one SIGKILLed child of ours; it cannot block for long.
    unsafe {
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

// Windows: callspec never starts the bot there (see the module's doc), so no group exists and
// these are never reached; they only keep `BotKiller` one type on every platform.
#[cfg(not(unix))]
fn signal_group(_pgid: Pid, _signal: i32) {}
#[cfg(not(unix))]
fn signal_process(_pid: Pid, _signal: i32) {}
#[cfg(not(unix))]
fn reap(_pid: Pid) {}

/// How the bot process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotExit {
    /// The exit status, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// The last lines of its stderr, secrets replaced by `[redacted]`.
    pub stderr_tail: String,
}

impl BotExit {
    fn new(status: io::Result<std::process::ExitStatus>, stderr_tail: String) -> BotExit {
        let (code, signal) = match status {
            #[cfg(unix)]
            Ok(s) => {
                use std::os::unix::process::ExitStatusExt;
                (s.code(), s.signal())
            }
            #[cfg(not(unix))]
            Ok(s) => (s.code(), None),
            Err(_) => (None, None),
        };
        BotExit {
            code,
            signal,
            stderr_tail,
        }
    }

    /// "status 3", "signal 9 (SIGKILL)".
    pub fn status(&self) -> String {
        match (self.code, self.signal) {
            (Some(code), _) => format!("status {code}"),
            (None, Some(signal)) => format!("signal {signal} ({})", signal_name(signal)),
            (None, None) => "an unknown status".to_owned(),
        }
    }
}

impl BotExit {
    /// "the bot exited with status 3", "the bot was killed by signal 9 (SIGKILL)".
    fn headline(&self) -> String {
        match (self.code, self.signal) {
            (None, Some(_)) => format!("the bot was killed by {}", self.status()),
            _ => format!("the bot exited with {}", self.status()),
        }
    }
}

impl fmt::Display for BotExit {
    /// `the bot exited with status 3; the end of its stderr:` and the tail, indented.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        f.write_str(&tail_text(&self.stderr_tail))
    }
}

/// "; the end of its stderr:" and the tail indented, or "; its stderr was empty".
fn tail_text(tail: &str) -> String {
    if tail.trim().is_empty() {
        return "; its stderr was empty".to_owned();
    }
    let mut out = "; the end of its stderr:".to_owned();
    for line in tail.lines() {
        out.push_str("\n    ");
        out.push_str(line);
    }
    out
}

#[cfg(not(unix))]
fn signal_name(_signal: i32) -> &'static str {
    "a signal"
}

#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Why the bot could not be started.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The command could not be run at all.
    #[error("cannot start the bot ({command}): {message}")]
    Spawn { command: String, message: String },
    /// It ran, but exited before it was ready.
    #[error(
        "{} before it was ready ({command}){}",
        .exit.headline(),
        tail_text(&.exit.stderr_tail)
    )]
    Exited { command: String, exit: BotExit },
    /// It did not become ready in time (or, started by hand, is not running).
    #[error(
        "the bot was not ready after {}: {probe} never succeeded (last attempt: {last}){}",
        humantime::format_duration(*.waited),
        .stderr_tail.as_deref().map(tail_text).unwrap_or_default()
    )]
    NotReady {
        /// The readiness check, e.g. `GET http://127.0.0.1:8400/health`.
        probe: String,
        waited: Duration,
        /// What the last attempt got, e.g. `connection refused`, `HTTP 503`.
        last: String,
        /// `None` for a bot started by hand.
        stderr_tail: Option<String>,
    },
}

impl BotProcess {
    /// Starts `config.command` (no shell) in `config.workdir`, with `env` and then the config's
    /// `[env]` added to callspec's own environment (passing `[env]` in `env` too does no harm),
    /// and returns once the bot is ready ([`BotConfig::ready`], within
    /// [`BotConfig::ready_timeout`]). Without a command (a bot started by hand), only checks
    /// that it is ready.
    ///
    /// Must be called inside a Tokio runtime; the bot is watched by a task on it.
    pub async fn start(
        config: &BotConfig,
        env: Vec<(String, String)>,
    ) -> Result<BotProcess, BotError> {
        let tails = || Arc::new(Mutex::new(Tail::new(Vec::new())));
        let Some(argv) = &config.command else {
            let (never, exited) = watch::channel(None);
            let bot = BotProcess {
                child: None,
                exited,
                _never: Some(never),
                stdout: tails(),
                stderr: tails(),
            };
            bot.wait_ready(config, None).await?;
            return Ok(bot);
        };
        #[cfg(unix)]
        {
            BotProcess::start_command(config, env, argv).await
        }
        #[cfg(not(unix))]
        {
            let _ = env;
            Err(BotError::Spawn {
                command: shown_command(argv),
                message: WINDOWS_NO_COMMAND.to_owned(),
            })
        }
    }

    /// [`start`](BotProcess::start) with a command: spawns it in its own process group, with
    /// the watchdog, and waits until it is ready.
    #[cfg(unix)]
    async fn start_command(
        config: &BotConfig,
        env: Vec<(String, String)>,
        argv: &[String],
    ) -> Result<BotProcess, BotError> {
        let mut env = env;
        env.extend(config.env.iter().cloned());
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        env.push((RUN_MARKER.to_owned(), run_id.clone()));
        become_subreaper();
        let secrets = secrets_of(config, &env);
        let stdout = Arc::new(Mutex::new(Tail::new(secrets.clone())));
        let stderr = Arc::new(Mutex::new(Tail::new(secrets)));
        let shown = shown_command(argv);
        let spawn_error = |message: String| BotError::Spawn {
            command: shown.clone(),
            message,
        };

        if !config.workdir.is_dir() {
            return Err(spawn_error(format!(
                "its workdir {} is not a folder",
                display_path(&config.workdir)
            )));
        }
        let program = program_path(&argv[0], &config.workdir);
        let mut command = tokio::process::Command::new(&program);
        command
            .args(&argv[1..])
            .current_dir(&config.workdir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            // Its own group: one killpg reaches everything it starts, and Ctrl-C in the
            // terminal (SIGINT to the foreground group) does not hit it behind our back.
            .process_group(0);
        let path_var = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var("PATH").ok())
            .unwrap_or_default();

        let (mut child, hold) = spawn_on_own_thread(command)
            .await
            .map_err(|e| spawn_error(spawn_message(&e, &argv[0], &program, &path_var)))?;
        let pgid = child.id().map_or(0, |id| id as Pid);
        let killer = BotKiller {
            group: (pgid > 0).then(|| {
                Arc::new(Group {
                    pgid,
                    done: AtomicBool::new(false),
                    watchdog: Mutex::new(start_watchdog(pgid, &run_id)),
                    run_id,
                    on_left_behind: Mutex::new(None),
                    escaped: Mutex::default(),
                })
            }),
        };
        let stdout_task = child
            .stdout
            .take()
            .map(|pipe| tokio::spawn(pump(pipe, stdout.clone())));
        let stderr_task = child
            .stderr
            .take()
            .map(|pipe| tokio::spawn(pump(pipe, stderr.clone())));
        let (exit_tx, exited) = watch::channel(None);
        let stderr_for_exit = stderr.clone();
        // Waits for the exit whenever it comes: an event, so `exited()` fires at once.
        tokio::spawn(async move {
            let status = child.wait().await;
            for task in [stderr_task, stdout_task].into_iter().flatten() {
                let _ = tokio::time::timeout(LAST_OUTPUT_WAIT, task).await;
            }
            let tail = stderr_for_exit.lock().map(|t| t.text()).unwrap_or_default();
            exit_tx.send_replace(Some(BotExit::new(status, tail)));
        });

        let bot = BotProcess {
            child: Some(Child {
                killer,
                _hold: hold,
            }),
            exited,
            _never: None,
            stdout,
            stderr,
        };
        // On an error `bot` is dropped here, which kills what was started.
        bot.wait_ready(config, Some(&shown)).await?;
        Ok(bot)
    }

    /// Probes until ready, the bot exits, or the timeout.
    async fn wait_ready(&self, config: &BotConfig, command: Option<&str>) -> Result<(), BotError> {
        let started = Instant::now();
        let deadline = started + config.ready_timeout;
        let probe = Probe::new(&config.ready);
        let mut exited = self.exited.clone();
        let mut pause = PROBE_FIRST_PAUSE;
        let mut last: Option<String> = None;
        loop {
            let attempt = tokio::time::timeout_at(deadline, probe.attempt(deadline));
            let failed = tokio::select! {
                biased;
                Ok(exit) = exited.wait_for(Option::is_some) => {
                    return Err(self.exited_error(command, exit.clone()));
                }
                result = attempt => match result {
                    Ok(Ok(())) => return Ok(()),
                    Ok(Err(why)) => why,
                    Err(_) => "no answer within the time limit".to_owned(),
                }
            };
            // An attempt cut short by the deadline says less than the one before it (an
            // `HTTP 503` beats a timeout of the last try).
            if last.is_none() || Instant::now() < deadline {
                last = Some(failed);
            }
            if Instant::now() >= deadline {
                break;
            }
            // A readiness probe has no event to wait for (the bot does not tell us when it
            // listens), so this is the one place that polls: a short pause, doubling from 5 ms
            // to 100 ms, still cut short by the bot's exit and bounded by the deadline.
            tokio::select! {
                biased;
                Ok(exit) = exited.wait_for(Option::is_some) => {
                    return Err(self.exited_error(command, exit.clone()));
                }
                _ = tokio::time::sleep_until((Instant::now() + pause).min(deadline)) => {}
            }
            if Instant::now() >= deadline {
                break;
            }
            pause = (pause * 2).min(PROBE_MAX_PAUSE);
        }
        Err(BotError::NotReady {
            probe: config.ready.to_string(),
            waited: config.ready_timeout,
            last: last.unwrap_or_default(),
            stderr_tail: command.map(|_| self.stderr_tail()),
        })
    }

    fn exited_error(&self, command: Option<&str>, exit: Option<BotExit>) -> BotError {
        BotError::Exited {
            command: command.unwrap_or_default().to_owned(),
            exit: exit.unwrap_or(BotExit {
                code: None,
                signal: None,
                stderr_tail: self.stderr_tail(),
            }),
        }
    }

    /// `None` while the bot runs; `Some` once it exited, whenever that is. For a bot started by
    /// hand it stays `None` while this `BotProcess` lives.
    pub fn exited(&self) -> watch::Receiver<Option<BotExit>> {
        self.exited.clone()
    }

    /// The last lines the bot wrote to stderr, secrets replaced by `[redacted]`.
    pub fn stderr_tail(&self) -> String {
        self.stderr.lock().map(|t| t.text()).unwrap_or_default()
    }

    /// The last lines the bot wrote to stdout, secrets replaced by `[redacted]`.
    pub fn stdout_tail(&self) -> String {
        self.stdout.lock().map(|t| t.text()).unwrap_or_default()
    }

    /// The bot's process id (also its process group's), `None` for a bot started by hand.
    pub fn id(&self) -> Option<u32> {
        let group = self.child.as_ref()?.killer.group.as_ref()?;
        Some(group.pgid as u32)
    }

    /// `tell` is given the processes of the bot's tree that were still running when it was
    /// stopped and had to be killed (`1234 (sleep)`), once, if there were any.
    pub fn on_left_behind(&self, tell: impl Fn(&[String]) + Send + Sync + 'static) {
        if let Some(group) = self.child.as_ref().and_then(|c| c.killer.group.as_ref()) {
            if let Ok(mut slot) = group.on_left_behind.lock() {
                *slot = Some(Box::new(tell));
            }
        }
    }

    /// A handle that kills the bot synchronously, e.g. from a Ctrl-C handler.
    pub fn killer(&self) -> BotKiller {
        match &self.child {
            Some(child) => child.killer.clone(),
            None => BotKiller { group: None },
        }
    }

    /// Stops the bot: SIGTERM to its process group, up to 5 s for it to exit, then SIGKILL to
    /// the group (which also ends anything it started that is still there). Returns how it
    /// ended; `None` for a bot started by hand (left running) or one that did not even die of
    /// SIGKILL within 5 s.
    pub async fn stop(mut self) -> Option<BotExit> {
        let child = self.child.take()?;
        let mut exited = self.exited.clone();
        child.killer.signal(SIGTERM);
        let mut exit = tokio::time::timeout(STOP_GRACE, exited.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|e| e.clone()));
        if exit.is_none() {
            child.killer.kill();
            exit = tokio::time::timeout(KILL_WAIT, exited.wait_for(Option::is_some))
                .await
                .ok()
                .and_then(|r| r.ok().and_then(|e| e.clone()));
        }
        // The leader is gone; this ends whatever it left in its group.
        child.killer.finish();
        exit
    }
}

impl Drop for BotProcess {
    /// Kills the whole group synchronously, so an early return or a panic leaves no orphan.
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            child.killer.finish();
        }
    }
}

impl fmt::Debug for BotProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotProcess")
            .field("id", &self.id())
            .field("exited", &*self.exited.borrow())
            .finish()
    }
}

/// Spawns the bot from a thread of its own that lives until the bot is stopped (until the
/// returned sender is dropped).
///
/// Why a thread: the child asks the kernel for SIGKILL when its parent dies
/// (`PR_SET_PDEATHSIG`), so even a `kill -9` of callspec, which runs no destructor, does not
/// leave the bot running. But "parent" there means the *thread* that forked: forking from a
/// Tokio worker or blocking-pool thread would kill the bot as soon as that thread retires
/// (blocking-pool threads do after 10 s idle). (The signal reaches only the bot itself, not
/// what it started; `stop`, `Drop` and `BotKiller` cover the group.)
#[cfg(unix)]
async fn spawn_on_own_thread(
    mut command: tokio::process::Command,
) -> io::Result<(tokio::process::Child, std::sync::mpsc::Sender<()>)> {
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: runs in the forked child before exec; prctl, getppid and _exit are
        // async-signal-safe and nothing here allocates or takes a lock.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // callspec died between fork and prctl: the signal will never come.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    let runtime = tokio::runtime::Handle::current();
    let (spawned_tx, spawned_rx) = oneshot::channel();
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("callspec-bot".to_owned())
        .spawn(move || {
            // Tokio's child handling (reaping, the async `wait`) needs its runtime.
            let _runtime = runtime.enter();
            let _ = spawned_tx.send(command.spawn());
            // Returns when the sender is dropped: the bot was stopped.
            let _ = hold_rx.recv();
        })?;
    let child = spawned_rx
        .await
        .map_err(|_| io::Error::other("the thread starting the bot ended"))??;
    Ok((child, hold_tx))
}

/// The program to run: a relative path with a `/` (`.venv/bin/python`) is taken from the
/// workdir, as a shell in that folder would (std leaves it unspecified); a bare name is looked
/// up on the PATH.
fn program_path(program: &str, workdir: &Path) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && program.contains('/') {
        workdir.join(path)
    } else {
        path.to_owned()
    }
}

/// Why the spawn failed, with what to do about it.
fn spawn_message(error: &io::Error, program: &str, resolved: &Path, path_var: &str) -> String {
    let os = error.to_string();
    let os = os.split(" (os error").next().unwrap_or(&os).to_owned();
    match error.kind() {
        io::ErrorKind::NotFound if !program.contains('/') => format!(
            "`{program}` was not found on the PATH ({path_var}); install it, or give its path \
             (relative to the workdir, or absolute)"
        ),
        io::ErrorKind::NotFound if resolved.exists() => format!(
            "{} exists but its interpreter (the `#!` line) was not found: {os}",
            display_path(resolved)
        ),
        io::ErrorKind::NotFound => {
            format!(
                "{} does not exist: {os}{}",
                display_path(resolved),
                venv_hint(resolved)
            )
        }
        io::ErrorKind::PermissionDenied => format!(
            "{} cannot be run (is it executable? chmod +x): {os}",
            display_path(resolved)
        ),
        _ => os,
    }
}

/// For a missing interpreter in a Python virtual environment (`.venv/bin/python`): the
/// commands that create it, with the project's requirements when it has a requirements.txt.
fn venv_hint(resolved: &Path) -> String {
    let Some(bin) = resolved.parent().filter(|b| b.ends_with("bin")) else {
        return String::new();
    };
    let Some(venv) = bin.parent() else {
        return String::new();
    };
    let named_venv = venv
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("venv") || n == ".env");
    if !named_venv {
        return String::new();
    }
    let shown = display_path(venv);
    let requirements = venv
        .parent()
        .map(|project| project.join("requirements.txt"))
        .filter(|r| r.is_file());
    match requirements {
        Some(r) => format!(
            "; create the virtual environment first: python3 -m venv {shown} && {shown}/bin/pip \
             install -r {}",
            display_path(&r)
        ),
        None => format!("; create the virtual environment first: python3 -m venv {shown}"),
    }
}

/// The command as messages show it: the argv joined by spaces, quoting parts with spaces.
fn shown_command(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("{a:?}")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every value the bot could print that must not appear in a tail: the variables with secret
/// names in the environment it gets (its own, callspec's inherited one, `[env]`) and the
/// configured client secret.
fn secrets_of(config: &BotConfig, env: &[(String, String)]) -> Vec<Vec<u8>> {
    let mut values: Vec<String> = env
        .iter()
        .cloned()
        .chain(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
        .filter(|(name, _)| is_secret_name(name))
        .map(|(_, value)| value)
        .chain(config.client_secret.clone())
        .collect();
    // A multi-line secret (a PEM key) is matched line by line, as the tail stores lines.
    values = values
        .iter()
        .flat_map(|v| v.lines().map(str::trim).map(str::to_owned))
        .filter(|v| v.len() >= MIN_SECRET_LEN)
        .collect();
    // Every other output of the run redacts them too, in every form.
    for value in &values {
        crate::redact::register_secret(value);
    }
    // The longest first, so a secret containing another is replaced whole.
    values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values.into_iter().map(String::into_bytes).collect()
}

/// Copies a pipe into its tail until the pipe closes.
async fn pump(mut pipe: impl AsyncRead + Unpin, tail: Arc<Mutex<Tail>>) {
    let mut buf = vec![0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut t) = tail.lock() {
                    t.push(&buf[..n]);
                }
            }
        }
    }
    if let Ok(mut t) = tail.lock() {
        t.finish();
    }
}

/// The last lines of an output stream, secrets replaced as each line completes.
struct Tail {
    secrets: Vec<Vec<u8>>,
    lines: VecDeque<String>,
    bytes: usize,
    /// The line being written (no newline yet).
    partial: Vec<u8>,
}

impl Tail {
    fn new(secrets: Vec<Vec<u8>>) -> Tail {
        Tail {
            secrets,
            lines: VecDeque::new(),
            bytes: 0,
            partial: Vec::new(),
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.partial.extend_from_slice(chunk);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.add(&line[..line.len() - 1]);
        }
        self.trim_partial();
    }

    /// The stream ended: its unfinished line is a line.
    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.add(&line);
        }
    }

    /// A line without a newline for a long time only keeps its end, cut where no secret is.
    fn trim_partial(&mut self) {
        let longest = self.secrets.first().map_or(0, Vec::len);
        if self.partial.len() <= TAIL_BYTES + longest {
            return;
        }
        let mut cut = self.partial.len() - TAIL_BYTES;
        for (start, end) in matches(&self.partial, &self.secrets) {
            if start < cut && cut < end {
                cut = start;
            }
        }
        self.partial.drain(..cut);
    }

    fn add(&mut self, line: &[u8]) {
        let line = redact(line, &self.secrets);
        let line = String::from_utf8_lossy(&line);
        // Tokens the bot prints, and the secrets' other forms.
        let mut line = crate::redact::redact_with(&line, REDACTED)
            .trim_end_matches('\r')
            .to_owned();
        if line.len() > TAIL_BYTES {
            let mut start = line.len() - TAIL_BYTES;
            while !line.is_char_boundary(start) {
                start += 1;
            }
            line = format!("…{}", &line[start..]);
        }
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.lines.len() > TAIL_LINES || (self.bytes > TAIL_BYTES && self.lines.len() > 1) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len() + 1;
            }
        }
    }

    /// The tail as text, a line each; an unfinished line is shown without any end of it that
    /// could be the start of a secret still being written.
    fn text(&self) -> String {
        let mut out: Vec<String> = self.lines.iter().cloned().collect();
        if !self.partial.is_empty() {
            let mut partial = self.partial.as_slice();
            for secret in &self.secrets {
                for len in (1..secret.len().min(partial.len() + 1)).rev() {
                    if partial.ends_with(&secret[..len]) {
                        partial = &partial[..partial.len() - len];
                        break;
                    }
                }
            }
            let redacted = redact(partial, &self.secrets);
            let redacted = String::from_utf8_lossy(&redacted);
            out.push(crate::redact::redact_with(&redacted, REDACTED).into_owned());
        }
        out.join("\n")
    }
}

/// Where the secrets occur in `text`, as byte ranges (the longest secret wins an overlap).
fn matches(text: &[u8], secrets: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let mut from = 0;
        while let Some(i) = find(&text[from..], secret) {
            let (start, end) = (from + i, from + i + secret.len());
            if !found.iter().any(|&(s, e)| start < e && s < end) {
                found.push((start, end));
            }
            from = start + 1;
        }
    }
    found.sort_unstable();
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn redact(text: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in matches(text, secrets) {
        out.extend_from_slice(&text[at..start]);
        out.extend_from_slice(REDACTED.as_bytes());
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// One readiness check.
enum Probe {
    Url {
        url: String,
        client: reqwest::Client,
    },
    Port(u16),
}

impl Probe {
    fn new(ready: &ReadyProbe) -> Probe {
        match ready {
            ReadyProbe::Url(url) => Probe::Url {
                url: url.clone(),
                // No proxy: an HTTP_PROXY meant for the internet must not swallow a loopback
                // probe. Any certificate: a local bot's https is usually self-signed, and this
                // only asks whether it answers.
                client: reqwest::Client::builder()
                    .no_proxy()
                    .danger_accept_invalid_certs(true)
                    .timeout(PROBE_REQUEST_TIMEOUT)
                    .build()
                    .unwrap_or_default(),
            },
            ReadyProbe::Port(port) => Probe::Port(*port),
        }
    }

    /// `Ok` when ready, else what happened.
    async fn attempt(&self, deadline: Instant) -> Result<(), String> {
        match self {
            Probe::Url { url, client } => {
                let left = deadline.saturating_duration_since(Instant::now());
                let response = client
                    .get(url)
                    .timeout(left.min(PROBE_REQUEST_TIMEOUT))
                    .send()
                    .await
                    .map_err(|e| root_cause(&e))?;
                let status = response.status();
                if status.is_success() {
                    Ok(())
                } else {
                    Err(format!("HTTP {status}"))
                }
            }
            Probe::Port(port) => {
                let v4 = tokio::net::TcpStream::connect(("127.0.0.1", *port)).await;
                match v4 {
                    Ok(_) => Ok(()),
                    Err(e) => match tokio::net::TcpStream::connect(("::1", *port)).await {
                        Ok(_) => Ok(()),
                        Err(_) => Err(root_cause(&e)),
                    },
                }
            }
        }
    }
}

/// The innermost cause of an error, which says what happened ("Connection refused").
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    text.split(" (os error")
        .next()
        .unwrap_or(&text)
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(secrets: &[&str]) -> Tail {
        Tail::new(secrets.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut t = tail(&[]);
        for i in 0..100 {
            t.push(format!("line {i}\n").as_bytes());
        }
        let text = t.text();
        assert_eq!(text.lines().count(), TAIL_LINES);
        assert!(text.starts_with("line 60\n"), "{text}");
        assert!(text.ends_with("line 99"), "{text}");
    }

    #[test]
    fn tail_keeps_at_most_8_kib() {
        let mut t = tail(&[]);
        let long = "x".repeat(1000);
        for _ in 0..20 {
            t.push(format!("{long}\n").as_bytes());
        }
        assert!(t.text().len() <= TAIL_BYTES, "{}", t.text().len());
        assert_eq!(t.text().lines().count(), 8);
    }

    #[test]
    fn secrets_are_replaced_also_across_chunks() {
        let mut t = tail(&["abcdefgh"]);
        t.push(b"token=abcd");
        assert_eq!(t.text(), "token=", "a secret's start is not shown");
        t.push(b"efgh and more\nnext abcdefgh\n");
        assert_eq!(t.text(), "token=[redacted] and more\nnext [redacted]");
    }

    #[test]
    fn a_long_line_without_newline_is_cut_outside_secrets() {
        let secret = "S".repeat(20);
        let mut t = tail(&[&secret]);
        let mut written = "a".repeat(TAIL_BYTES - 10);
        written.push_str(&secret);
        written.push_str(&"b".repeat(100));
        for chunk in written.as_bytes().chunks(7) {
            t.push(chunk);
        }
        t.finish();
        let text = t.text();
        assert!(!text.contains('S'), "{text}");
        assert!(text.contains(REDACTED), "{text}");
    }

    #[test]
    fn exit_messages() {
        let exit = BotExit {
            code: Some(3),
            signal: None,
            stderr_tail: "boom\nTraceback".into(),
        };
        assert_eq!(
            exit.to_string(),
            "the bot exited with status 3; the end of its stderr:\n    boom\n    Traceback"
        );
        let exit = BotExit {
            code: None,
            signal: Some(9),
            stderr_tail: String::new(),
        };
        assert_eq!(
            exit.to_string(),
            "the bot was killed by signal 9 (SIGKILL); its stderr was empty"
        );
    }

    #[test]
    fn programs_with_a_slash_are_taken_from_the_workdir() {
        let w = Path::new("/w");
        assert_eq!(
            program_path(".venv/bin/python", w),
            w.join(".venv/bin/python")
        );
        assert_eq!(program_path("python3", w), PathBuf::from("python3"));
        assert_eq!(
            program_path("/usr/bin/env", w),
            PathBuf::from("/usr/bin/env")
        );
    }
}
