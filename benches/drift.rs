//! What recording costs and how fast drift replays: `cargo bench --bench drift`.
//!
//! Runs the example features (`features/create_call`, `features/lifecycle`) with and without
//! `--record`, then replays the recordings with `callspec drift`, and prints wall times, the
//! recordings replayed per second and the simulated time they span (which costs no wall time).
//! Run it in a fresh network namespace (`unshare -n`, then `ip link set lo up`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn callspec(args: &[&str]) -> (Duration, std::process::Output) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the callspec binary runs");
    (started.elapsed(), output)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("callspec-drift-bench-{}", std::process::id()));
    let recordings = dir.join("recordings");
    let features = ["features/create_call", "features/lifecycle"];
    let (plain, _) = callspec(&["run", features[0], features[1]]);
    let record_dir = recordings.display().to_string();
    let (recorded, output) = callspec(&["run", features[0], features[1], "--record", &record_dir]);
    assert!(output.status.success(), "the example specs pass");
    let files: Vec<PathBuf> = std::fs::read_dir(&recordings)
        .expect("recordings were written")
        .map(|e| e.unwrap().path())
        .collect();
    let bytes: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    let simulated: f64 = files
        .iter()
        .map(|f| {
            let har: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            har["log"]["_callspec"]["durationSeconds"]
                .as_f64()
                .unwrap_or_default()
        })
        .sum();
    let (replayed, output) = callspec(&["drift", &record_dir]);
    let summary = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    println!("run without --record: {:.2} s", plain.as_secs_f64());
    println!(
        "run with --record:    {:.2} s ({} recordings, {} KiB)",
        recorded.as_secs_f64(),
        files.len(),
        bytes / 1024
    );
    println!(
        "drift:                {:.2} s, {:.0} recordings/s, {simulated:.0} s of simulated calls",
        replayed.as_secs_f64(),
        files.len() as f64 / replayed.as_secs_f64()
    );
    println!("{summary}");
    std::fs::remove_dir_all(&dir).ok();
}
