//! The example specs in `features/` all pass against the embedded stand-in.

use crate::common::{callspec, summary};

#[test]
fn every_example_spec_passes() {
    let run = callspec(&["features"]);
    let (passed, failed) =
        summary(&run).unwrap_or_else(|| panic!("no summary line:\n{}", run.output()));
    assert_eq!(failed, 0, "{}", run.output());
    assert!(
        passed >= 20,
        "expected at least 20 scenarios, {passed} passed"
    );
    assert_eq!(run.code, Some(0), "{}", run.output());
}

#[test]
fn no_token_text_appears_in_the_output() {
    // Bearer tokens are JWTs ("eyJ..."): none may leak into what a run prints.
    let run = callspec(&["features", "--verbose"]);
    assert!(
        !run.output().contains("eyJ"),
        "a token leaked:\n{}",
        run.output()
    );
    let run = callspec(&["tests/must-fail", "-vv"]);
    assert!(
        !run.output().contains("eyJ"),
        "a token leaked:\n{}",
        run.output()
    );
}

#[test]
fn a_malformed_feature_is_named_with_its_position_and_the_others_still_run() {
    let run = callspec(&["tests/bad-input"]);
    assert_eq!(run.code, Some(2), "bad input exits 2:\n{}", run.output());
    assert!(
        run.stderr.contains(
            "tests/bad-input/broken.feature:4:3: `Scenariooo broken line` is not a Gherkin \
             keyword: did you mean `Scenario:`?"
        ),
        "{}",
        run.output()
    );
    // Parse errors are not scenarios: the good file's two scenarios pass, nothing "failed".
    assert_eq!(summary(&run), Some((2, 0)), "{}", run.output());
    assert!(
        run.stdout
            .contains("problem(s) in feature files: see above"),
        "{}",
        run.output()
    );
}

#[test]
fn a_missing_path_is_bad_input() {
    let run = callspec(&["features/does-not-exist"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("features/does-not-exist does not exist"),
        "{}",
        run.output()
    );
}
