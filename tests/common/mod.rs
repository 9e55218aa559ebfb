//! Running the `callspec` binary from tests.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// What one run printed and how it ended.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything the run said, for assertion messages.
    pub fn output(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// The closing `N passed, N failed` line's numbers.
    pub fn summary(&self) -> Option<(usize, usize)> {
        summary(self)
    }
}

/// Runs `callspec run <args>` from the package root.
pub fn callspec(args: &[&str]) -> Run {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    exec(&all)
}

/// Runs `callspec <args>` (any subcommand) from the package root.
pub fn exec(args: &[&str]) -> Run {
    exec_with_env(args, &[])
}

/// Runs `callspec <args>` from the package root with extra environment.
pub fn exec_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("the callspec binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `N passed, N failed` line's numbers.
pub fn summary(run: &Run) -> Option<(usize, usize)> {
    let line = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, ") && l.contains(" failed"))?;
    let mut numbers = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// Runs `callspec run <args>` off the async runtime, which keeps serving (Graph, a token
/// endpoint) meanwhile.
pub async fn callspec_off_runtime(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        callspec(&args)
    })
    .await
    .expect("the run finishes")
}

/// The text after `marker` on each line of a spec that has it (`# expect:` lines and the like).
pub fn marked(spec: &Path, marker: &str) -> Vec<String> {
    std::fs::read_to_string(spec)
        .expect("readable spec")
        .lines()
        .filter_map(|l| l.trim().strip_prefix(marker))
        .map(|e| e.trim().to_owned())
        .collect()
}

pub mod live;
pub mod serve;

/// The tests that drive example bots through whole suites take this first, so that the Python
/// and the Node bots' suites and must-fail runs do not start their bots beside each other: the
/// steps wait in wall time ("answers the call within 5 seconds") and CI has two cores. When
/// each test file was a binary of its own, cargo ran them one after another.
#[allow(dead_code)] // tests/engine drives no bot
pub fn bot_suite_alone() -> std::sync::MutexGuard<'static, ()> {
    static RUNS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    RUNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
