//! The JUnit XML report (`--junit FILE`), shaped for CI viewers (GitHub test reporters,
//! GitLab): a suite per feature file; each scenario a test case with `classname` the feature,
//! `name` the scenario and its example row, `file` and `line`; a failure with the message the
//! console shows under the failed step as `message` (expected and got included), and the step,
//! its position and that message in its body; the steps in `system-out`; totals on the root.
//! Feature files that could not be read are `error` cases named by `file:line:col`.
//! quick-junit drops characters XML cannot hold (`\x01`, colour codes).

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::features::Problem;
use super::record::{ScenarioRecord, Status, StepStatus};

pub fn render(
    outcomes: &[ScenarioRecord],
    problems: &[Problem],
    wall_time: Duration,
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("callspec");
    report.set_time(wall_time);
    let mut suites: Vec<TestSuite> = Vec::new();
    let mut suite_paths: Vec<&str> = Vec::new();
    for outcome in outcomes {
        let at = match suite_paths.iter().position(|p| *p == outcome.feature_path) {
            Some(at) => at,
            None => {
                let mut suite = TestSuite::new(if outcome.feature_name.is_empty() {
                    outcome.feature_path.as_str()
                } else {
                    outcome.feature_name.as_str()
                });
                suite
                    .extra
                    .insert("file".into(), outcome.feature_path.as_str().into());
                suites.push(suite);
                suite_paths.push(&outcome.feature_path);
                suites.len() - 1
            }
        };
        let status = match outcome.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => {
                let mut status = TestCaseStatus::skipped();
                status.set_message("a step was skipped");
                status
            }
            Status::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(
                    outcome
                        .summary()
                        .as_deref()
                        .unwrap_or("the scenario failed"),
                );
                if let Some(failure) = outcome.failure_text() {
                    status.set_description(failure);
                }
                status
            }
            // A signal stopped the run: an error, so that no CI reads it as passed.
            Status::Interrupted => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(outcome.summary().unwrap_or_default());
                status
            }
            Status::NotRun => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(outcome.summary().unwrap_or_default());
                status
            }
        };
        let name = match &outcome.rule {
            Some(rule) if !rule.is_empty() => format!("{rule}: {}", outcome.name),
            _ => outcome.name.clone(),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(if outcome.feature_name.is_empty() {
            outcome.feature_path.as_str()
        } else {
            outcome.feature_name.as_str()
        });
        case.extra
            .insert("file".into(), outcome.feature_path.as_str().into());
        case.extra
            .insert("line".into(), outcome.line.to_string().into());
        if let Some(duration) = outcome.duration {
            case.set_time(duration);
        }
        let steps: Vec<String> = outcome
            .steps
            .iter()
            .filter_map(|step| {
                let mark = match step.status {
                    StepStatus::NotRun => return None,
                    StepStatus::Passed => "✔",
                    StepStatus::Failed => "✘",
                    StepStatus::Skipped => "?",
                };
                Some(format!("{mark} {}", step.shown()))
            })
            .collect();
        case.set_system_out(steps.join("\n"));
        suites[at].add_test_case(case);
    }
    if !problems.is_empty() {
        let mut suite = TestSuite::new("feature files");
        for problem in problems {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(problem.message.as_str());
            status.set_description(problem.to_string());
            let mut case = TestCase::new(
                format!("{}:{}:{}", problem.file, problem.line, problem.col),
                status,
            );
            case.set_classname(problem.file.as_str());
            case.extra
                .insert("file".into(), problem.file.as_str().into());
            case.extra
                .insert("line".into(), problem.line.to_string().into());
            suite.add_test_case(case);
        }
        suites.push(suite);
    }
    report.add_test_suites(suites);
    report.to_string()
}
