//! The Cucumber JSON report (`--cucumber-json FILE`), rendered from the run's records in the
//! shape cucumber-rs's own writer gives it (the cucumber-json-schema): a feature per file, a
//! `background` element before each scenario that has one, the steps that ran with their
//! status, duration in nanoseconds and error message. The message is the one the console
//! shows, with the step's `at file:line:col`. A scenario the run was stopped before the end of
//! lists its remaining steps as `skipped`, the first with the reason (`interrupted by
//! SIGTERM`), and carries the tag `interrupted`.

use serde_json::{json, Value};

use super::record::{ScenarioRecord, Status, StepRecord, StepStatus};

pub fn render(records: &[ScenarioRecord]) -> String {
    let mut features: Vec<(String, Value)> = Vec::new();
    for record in records {
        let at = match features.iter().position(|(p, _)| *p == record.feature_path) {
            Some(at) => at,
            None => {
                let tags: Vec<Value> = record
                    .feature_tags
                    .iter()
                    .map(|t| json!({"name": t, "line": 1}))
                    .collect();
                features.push((
                    record.feature_path.clone(),
                    json!({
                        "uri": record.feature_path,
                        "keyword": record.feature_keyword,
                        "name": record.feature_name,
                        "tags": tags,
                        "elements": [],
                    }),
                ));
                features.len() - 1
            }
        };
        let elements = features[at].1["elements"]
            .as_array_mut()
            .expect("elements is a list");
        elements.extend(elements_of(record));
    }
    let list: Vec<Value> = features.into_iter().map(|(_, f)| f).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// The scenario's elements: its background's (when one of its steps is listed), then its own.
fn elements_of(record: &ScenarioRecord) -> Vec<Value> {
    let stopped = matches!(record.status, Status::Interrupted | Status::NotRun);
    let mut reason = record.interrupted.clone();
    let mut step_json = |step: &StepRecord| -> Option<Value> {
        let (status, error) = match step.status {
            StepStatus::NotRun if stopped => ("skipped", reason.take()),
            StepStatus::NotRun => return None,
            StepStatus::Passed => ("passed", None),
            StepStatus::Skipped => ("skipped", None),
            StepStatus::Failed if step.undefined => ("undefined", None),
            StepStatus::Failed => (
                "failed",
                Some(format!(
                    "at {}\n{}",
                    record.at(step),
                    step.failure.as_deref().unwrap_or_default()
                )),
            ),
        };
        let mut result = json!({
            "status": status,
            "duration": step.duration.map_or(0, |d| d.as_nanos()),
        });
        if let Some(error) = error {
            result["error_message"] = Value::String(error);
        }
        Some(json!({
            "keyword": step.keyword,
            "line": step.line,
            "name": step.text,
            "result": result,
        }))
    };
    let background: Vec<Value> = record
        .steps
        .iter()
        .filter(|s| s.background)
        .filter_map(&mut step_json)
        .collect();
    let own: Vec<Value> = record
        .steps
        .iter()
        .filter(|s| !s.background)
        .filter_map(&mut step_json)
        .collect();
    let name = match &record.rule {
        Some(rule) => format!("{rule} {}", record.written_name),
        None => record.written_name.clone(),
    };
    let id = format!(
        "{}{}/{}",
        kebab(&record.feature_name),
        record
            .rule
            .as_deref()
            .map(|r| format!("/{}", kebab(r)))
            .unwrap_or_default(),
        kebab(&record.written_name)
    );
    let mut tags: Vec<Value> = record
        .tags
        .iter()
        .map(|t| json!({"name": t, "line": record.line}))
        .collect();
    if stopped {
        tags.push(json!({"name": "interrupted", "line": record.line}));
    }
    let element = |kind: &str, keyword: &str, steps: Vec<Value>| {
        json!({
            "keyword": keyword,
            "type": kind,
            "id": id,
            "line": record.line,
            "name": name,
            "tags": tags,
            "steps": steps,
        })
    };
    let mut elements = Vec::new();
    if !background.is_empty() {
        elements.push(element("background", "Background", background));
    }
    elements.push(element("scenario", &record.keyword, own));
    elements
}

/// `Some Name` → `some-name`.
fn kebab(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
