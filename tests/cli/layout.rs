//! The test tree's shape: two integration-test binaries, `tests/cli/` and `tests/engine/`.
//! A new `tests/*.rs` file would be a third binary, built and linked on its own by every
//! `cargo test` (the build-time cost that merging them removed; see benches/README.md).

use std::path::Path;

#[test]
fn integration_tests_are_modules_of_the_two_test_binaries() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut top_level: Vec<String> = std::fs::read_dir(&tests)
        .expect("tests/ is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let is_rust = path.extension().is_some_and(|e| e == "rs");
            let is_binary = path.is_dir() && path.join("main.rs").is_file();
            if !(is_rust || is_binary) {
                return None;
            }
            Some(path.file_name()?.to_string_lossy().into_owned())
        })
        .collect();
    top_level.sort();
    assert_eq!(
        top_level,
        ["cli", "engine"],
        "each of these is an integration-test binary of its own; make a new test file a module \
         of tests/cli/ (runs the callspec binary) or tests/engine/ (in-process) instead"
    );
}
