//! How fast a large suite runs: `cargo bench --bench suite`.
//!
//! Copies the example features N times into a temporary folder (each copy a distinct feature
//! file, so every scenario gets its own stand-in and inbox), runs the `callspec` binary on it
//! with concurrency 64, and prints wall time and scenarios per second. Speed goals live here,
//! not in timed tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn copy_features(from: &Path, to: &Path, copy: usize, count: &mut usize) {
    for entry in std::fs::read_dir(from).expect("features/ is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            copy_features(&path, to, copy, count);
        } else if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path).expect("a readable feature");
            // Distinct scenario names per copy keep reports readable.
            let text = text.replace("Scenario: ", &format!("Scenario: [{copy}] "));
            let name = format!("{copy}-{}", path.file_name().unwrap().to_string_lossy());
            std::fs::write(to.join(name), text).expect("a writable temp dir");
            *count += text_scenarios(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn text_scenarios(text: &str) -> usize {
    text.lines()
        .filter(|l| l.trim_start().starts_with("Scenario:"))
        .count()
}

fn main() {
    let copies: usize = std::env::var("CALLSPEC_BENCH_COPIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("callspec-bench-{}", std::process::id()));
    let features = dir.join("features");
    std::fs::create_dir_all(&features).unwrap();
    let mut scenarios = 0;
    for copy in 0..copies {
        copy_features(
            &root.join("features/create_call"),
            &features,
            copy,
            &mut scenarios,
        );
        copy_features(
            &root.join("features/lifecycle"),
            &features,
            copy,
            &mut scenarios,
        );
    }
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(["run", features.to_str().unwrap(), "--concurrency", "64"])
        .current_dir(&root)
        .output()
        .expect("the callspec binary runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or("?");
    println!(
        "{copies} copies of the create_call and lifecycle specs ({scenarios} scenario headings): \
         {summary}; {:.2} s wall, {:.0} scenarios/s",
        elapsed.as_secs_f64(),
        scenarios as f64 / elapsed.as_secs_f64(),
    );
    std::fs::remove_dir_all(&dir).ok();
}
