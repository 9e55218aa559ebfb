//! Hostile or absurd input to `callspec run`: every one is refused with a clear message or
//! bounded, and none aborts the run.

use std::path::Path;
use std::process::Command;

use crate::common::{callspec, Run};

#[test]
fn an_absurd_scenario_timeout_is_refused_before_the_run() {
    let run = callspec(&[
        "features/create_call",
        "--scenario-timeout",
        "18446744073709551615",
    ]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("--scenario-timeout") && run.stderr.contains("1..=86400"),
        "{}",
        run.output()
    );
    let run = callspec(&[
        "features/errors/faults.feature",
        "--scenario-timeout",
        "86400",
    ]);
    assert_eq!(run.code, Some(0), "a day is allowed:\n{}", run.output());
}

/// Runs `callspec run <args>` with the open-file limit (soft and hard) at `limit`.
fn with_fd_limit(limit: u32, args: &str) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {limit} && exec '{}' run {args}",
            env!("CARGO_BIN_EXE_callspec")
        ))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn concurrency_is_capped_by_the_open_file_limit_and_says_so() {
    let run = with_fd_limit(
        256,
        "features/create_call features/lifecycle --concurrency 100000",
    );
    assert!(
        run.stderr
            .contains("--concurrency 100000 needs more open files than the limit of 256"),
        "{}",
        run.output()
    );
    assert!(
        run.stderr.contains("running 24 scenarios at a time"),
        "{}",
        run.output()
    );
    let (passed, failed) = run.summary().unwrap_or_else(|| panic!("{}", run.output()));
    assert!(passed > 24, "{}", run.output());
    assert_eq!(failed, 0, "{}", run.output());
    assert!(
        !run.output().contains("Too many open files"),
        "{}",
        run.output()
    );
}
