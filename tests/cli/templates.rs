//! Where templates come from, end to end: `--scenarios`, `CALLSPEC_SCENARIOS`, the not-found
//! message, and templates that link out of the scenario folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::Run;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("templates-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// `callspec run <args>` from the package root, with `CALLSPEC_SCENARIOS` as given.
fn run(args: &[&str], scenarios_env: Option<&Path>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callspec"));
    command
        .arg("run")
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CALLSPEC_SCENARIOS");
    if let Some(folders) = scenarios_env {
        command.env("CALLSPEC_SCENARIOS", folders);
    }
    let out = command.output().expect("the callspec binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn scenario_folders_can_be_given_on_the_command_line_or_in_the_environment() {
    let dir = scratch("folders");
    let library = dir.join("library");
    fs::create_dir_all(library.join("requests")).unwrap();
    fs::copy(
        root().join("scenarios/requests/v1/p2p-voip-service-hosted.yaml"),
        library.join("requests/only-here.yaml"),
    )
    .unwrap();
    let feature = dir.join("specs/only_here.feature");
    fs::create_dir_all(feature.parent().unwrap()).unwrap();
    fs::write(
        &feature,
        "Feature: A template from a folder given to the run\n\
         \x20 Scenario: It is found there\n\
         \x20   Given a call request from template \"only-here\"\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n",
    )
    .unwrap();
    let feature = feature.to_str().unwrap();
    let library_arg = library.to_str().unwrap();

    // Not given: the search up from the feature ends in ./scenarios, and every file looked for
    // is named as a path that can be pasted.
    let missing = run(&[feature], None);
    assert_eq!(missing.code, Some(1), "{}", missing.output());
    assert!(
        missing.stdout.contains(
            "template \"only-here\" not found; looked for scenarios/requests/only-here.yaml"
        ),
        "{}",
        missing.output()
    );

    let given = run(&[feature, "--scenarios", library_arg], None);
    assert_eq!(given.code, Some(0), "{}", given.output());
    let from_env = run(&[feature], Some(&library));
    assert_eq!(from_env.code, Some(0), "{}", from_env.output());
    // The command line wins over the environment.
    let both = run(
        &[feature, "--scenarios", library_arg],
        Some(&dir.join("nowhere")),
    );
    assert_eq!(both.code, Some(0), "{}", both.output());

    let bad = run(&[feature, "--scenarios", "no/such/folder"], None);
    assert_eq!(bad.code, Some(2), "{}", bad.output());
    assert!(
        bad.stderr
            .contains("--scenarios: no/such/folder is not a folder"),
        "{}",
        bad.output()
    );
    let bad_env = run(&[feature], Some(&dir.join("nowhere")));
    assert_eq!(bad_env.code, Some(2), "{}", bad_env.output());
    assert!(
        bad_env.stderr.contains("CALLSPEC_SCENARIOS: "),
        "{}",
        bad_env.output()
    );
}

#[test]
fn a_template_linked_out_of_the_scenario_folders_leaks_nothing_into_reports() {
    let dir = scratch("linked");
    let junit = dir.join("report.xml");
    let html = dir.join("report.html");
    let linked = run(
        &[
            "tests/must-fail/linked_template.feature",
            "--junit",
            junit.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(linked.code, Some(1), "{}", linked.output());
    let secret = "FakeSecretThatMustNeverBePrinted";
    assert!(!linked.output().contains(secret), "{}", linked.output());
    for report in [&junit, &html] {
        let text = fs::read_to_string(report).expect("the report is written");
        assert!(text.contains("refused"), "{}: {text}", report.display());
        assert!(!text.contains(secret), "{}: {text}", report.display());
    }
}
