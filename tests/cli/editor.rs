//! Editor support: the Cucumber language service (what the official VS Code extension runs)
//! finds a definition for every step used in `features/`, reading the Rust step files as
//! written, with the globs of the checked-in `.vscode/settings.json`.
//!
//! It needs node and `tools/editor/node_modules` (`cd tools/editor && npm ci`). Outside CI,
//! without them, the test says so on one line and passes as skipped; in CI (`CI=true`, which
//! `.ci/run` installs them for) they are required.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

#[test]
fn the_language_service_finds_a_definition_for_every_step_in_features() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tool = root.join("tools/editor");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let node = Command::new("node").arg("--version").output();
    let installed = tool
        .join("node_modules/@cucumber/language-service")
        .is_dir();
    if !(node.as_ref().is_ok_and(|o| o.status.success()) && installed) {
        let why = if installed {
            "node is not installed"
        } else {
            "tools/editor/node_modules is missing (cd tools/editor && npm ci)"
        };
        assert!(
            !in_ci,
            "CI=true: the editor test needs node and npm packages: {why}"
        );
        // Straight to stderr: the test harness would swallow a println!.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the editor support test ({why})"
        );
        return;
    }
    let out = Command::new("node")
        .arg(tool.join("check-definitions.mjs"))
        .arg(root)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the language service misses step definitions:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains("each has its definition"),
        "unexpected output:\n{stdout}{stderr}"
    );
}
