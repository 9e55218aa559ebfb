//! Editor support: the Cucumber language service (what the official VS Code extension runs)
//! finds a definition for every step used in `features/`, reading the Rust step files as
//! written, with the globs of the checked-in `.vscode/settings.json`.
//!
//! It needs node and `tools/editor/node_modules` (`cd tools/editor && npm ci`), which a fresh
//! machine lacks: the test is `#[ignore]`d with the reason, and `.ci/run` (which installs them)
//! runs it with `--include-ignored`. Run so, it fails without them, naming what is missing.

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs node and npm packages: cd tools/editor && npm ci (.ci/run does it)"]
fn the_language_service_finds_a_definition_for_every_step_in_features() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tool = root.join("tools/editor");
    let node = Command::new("node").arg("--version").output();
    let installed = tool
        .join("node_modules/@cucumber/language-service")
        .is_dir();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the editor test needs node (20 or newer) on the PATH"
    );
    assert!(
        installed,
        "the editor test needs tools/editor/node_modules: cd tools/editor && npm ci"
    );
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
