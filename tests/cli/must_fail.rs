//! A harness that cannot fail is worthless: every spec in `tests/must-fail/` must fail, and
//! with the message its `# expect:` lines name (the JSON path, the step, what arrived).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{callspec, marked, summary};

fn must_fail_specs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/must-fail");
    let mut specs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/must-fail exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    specs.sort();
    specs
}

fn expectations(spec: &Path) -> Vec<String> {
    marked(spec, "# expect:")
}

/// `# never:` lines: text the output must not hold (e.g. a secret of a refused file).
fn forbidden(spec: &Path) -> Vec<String> {
    marked(spec, "# never:")
}

#[test]
fn every_must_fail_spec_fails_for_its_stated_reason() {
    let specs = must_fail_specs();
    assert!(specs.len() >= 15, "only {} must-fail specs", specs.len());
    // One process per spec, so each failure is its own; two at a time (the machine has 2 cores).
    let runs: Vec<_> = specs
        .chunks(specs.len().div_ceil(2))
        .map(<[PathBuf]>::to_vec)
        .collect::<Vec<_>>();
    let results: Vec<(String, Vec<String>, crate::common::Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|half| {
                scope.spawn(move || {
                    half.iter()
                        .map(|spec| {
                            let name = spec.file_name().unwrap().to_string_lossy().into_owned();
                            let run = callspec(&[&format!("tests/must-fail/{name}")]);
                            (name, expectations(spec), run)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("runner thread"))
            .collect()
    });
    let mut problems = Vec::new();
    for (name, expected, run) in results {
        if expected.is_empty() {
            problems.push(format!("{name}: has no `# expect:` line"));
            continue;
        }
        let output = run.output();
        if run.code != Some(1) {
            problems.push(format!("{name}: exit code {:?}, expected 1", run.code));
        }
        if summary(&run) != Some((0, 1)) {
            problems.push(format!(
                "{name}: summary {:?}, expected 0 passed, 1 failed",
                summary(&run)
            ));
        }
        // Failures read as the step, its place and the message: no panic or matcher noise.
        for noise in [
            "Step panicked",
            "Captured output",
            "Matched: steps/",
            "Defined: ",
        ] {
            if output.contains(noise) {
                problems.push(format!("{name}: the output has the noise {noise:?}"));
            }
        }
        if !run.stdout.contains(&format!("at tests/must-fail/{name}:")) {
            problems.push(format!(
                "{name}: the output does not give the failed step's file:line"
            ));
        }
        for text in expected {
            if !output.contains(&text) {
                problems.push(format!("{name}: the output lacks {text:?}"));
            }
        }
        for text in forbidden(&PathBuf::from("tests/must-fail").join(&name)) {
            if output.contains(&text) {
                problems.push(format!("{name}: the output holds {text:?}"));
            }
        }
        if !problems.is_empty() && problems.last().unwrap().starts_with(&name) {
            problems.push(format!("--- output of {name} ---\n{output}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
