//! One [`ScenarioRecord`] per scenario, built once from cucumber's events ([`Recorder`]): what
//! the console, JUnit, HTML and Cucumber JSON reports render. They agree by construction, and
//! an interrupted run still has every record it finished, plus the rest marked interrupted.
//!
//! The after hook's exchanges and notifications ([`html::Collector`]) are joined to the record
//! when its scenario finishes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use callspec::display_path;
use callspec::html::{ExchangeReport, NotificationEvent};
use cucumber::event::{self, Cucumber, HookType, StepError};
use cucumber::gherkin::{Feature, Rule, Scenario, Step};
use cucumber::{parser, Event};

use super::html;
use super::select::{scenarios_of, ScenarioKey};
use crate::world::CallWorld;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// A signal stopped the run before this scenario ended.
    Interrupted,
    /// `--fail-fast` stopped the run before this scenario ran.
    NotRun,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Not run (yet): after a failed step, or the run stopped first.
    NotRun,
    Passed,
    Failed,
    Skipped,
}

/// One step of a scenario (background steps first), as written and as it ran.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// `Given`, `And`, … as written.
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub col: usize,
    /// A step of a `Background`.
    pub background: bool,
    pub table: Option<Vec<Vec<String>>>,
    pub docstring: Option<String>,
    pub status: StepStatus,
    /// Why it failed, in words (no panic or step-definition noise).
    pub failure: Option<String>,
    /// No step definition matches it (Cucumber JSON's `undefined`).
    pub undefined: bool,
    pub duration: Option<Duration>,
    /// What a passed step measured, shown under it (a burst's answer times: `steps/load.rs`).
    pub note: Option<String>,
}

impl StepRecord {
    fn new(step: &Step, background: bool) -> Self {
        StepRecord {
            keyword: step.keyword.clone(),
            text: step.value.clone(),
            line: step.position.line,
            col: step.position.col,
            background,
            table: step.table.as_ref().map(|t| t.rows.clone()),
            docstring: step.docstring.clone(),
            status: StepStatus::NotRun,
            failure: None,
            undefined: false,
            duration: None,
            note: None,
        }
    }

    /// `Given the callee answers`.
    pub fn shown(&self) -> String {
        format!("{} {}", self.keyword.trim(), self.text)
    }
}

/// A scenario hook that failed.
#[derive(Debug, Clone)]
pub struct HookFailure {
    /// `before` or `after`.
    pub when: &'static str,
    pub message: String,
    /// How many steps had ended when it failed (where the console shows it).
    pub after_steps: usize,
}

/// One scenario (one row of an outline's examples is a scenario of its own).
#[derive(Debug, Clone)]
pub struct ScenarioRecord {
    /// The feature file as cucumber names it, and the scenario's line: the run's key.
    pub key: ScenarioKey,
    /// The feature file as the user reads it (`features/x.feature`).
    pub feature_path: String,
    pub feature_keyword: String,
    pub feature_name: String,
    pub feature_tags: Vec<String>,
    pub rule: Option<String>,
    /// `Scenario`, `Scenario Outline`, … as written.
    pub keyword: String,
    /// The name as written.
    pub written_name: String,
    /// The name with its example row, when the name does not show it.
    pub name: String,
    pub line: usize,
    /// The scenario's own tags and its rule's.
    pub tags: Vec<String>,
    pub steps: Vec<StepRecord>,
    pub hook_failures: Vec<HookFailure>,
    pub status: Status,
    pub duration: Option<Duration>,
    /// The requests sent and their answers (`-v`, the HTML report).
    pub exchanges: Vec<ExchangeReport>,
    /// The notifications sent (`-v`, the HTML report).
    pub notifications: Vec<NotificationEvent>,
    /// Why it was interrupted (`interrupted by SIGTERM`), for an interrupted scenario.
    pub interrupted: Option<String>,
}

/// Where and why a scenario failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The failed step, as shown (none for a hook's failure).
    pub step: Option<String>,
    /// `features/x.feature:12:5`.
    pub at: Option<String>,
    /// The message, as the console shows it under the step (expected and got included).
    pub message: String,
}

impl ScenarioRecord {
    /// A scenario that has not ended yet: its steps, none run.
    pub fn new(feature: &Feature, rule: Option<&Rule>, scenario: &Scenario) -> Self {
        let background = feature
            .background
            .iter()
            .chain(rule.iter().flat_map(|r| r.background.iter()))
            .flat_map(|b| &b.steps)
            .map(|s| StepRecord::new(s, true));
        let steps = background
            .chain(scenario.steps.iter().map(|s| StepRecord::new(s, false)))
            .collect();
        let path = feature.path.clone().unwrap_or_default();
        ScenarioRecord {
            feature_path: display_path(&path),
            key: (path, scenario.position.line),
            feature_keyword: feature.keyword.clone(),
            feature_name: feature.name.clone(),
            feature_tags: feature.tags.clone(),
            rule: rule.map(|r| r.name.clone()),
            keyword: scenario.keyword.clone(),
            written_name: scenario.name.clone(),
            name: scenario_name(scenario),
            line: scenario.position.line,
            tags: rule
                .iter()
                .flat_map(|r| &r.tags)
                .chain(&scenario.tags)
                .cloned()
                .collect(),
            steps,
            hook_failures: Vec::new(),
            status: Status::Passed,
            duration: None,
            exchanges: Vec::new(),
            notifications: Vec::new(),
            interrupted: None,
        }
    }

    /// `features/x.feature:12:5`, a step's place.
    pub fn at(&self, step: &StepRecord) -> String {
        format!("{}:{}:{}", self.feature_path, step.line, step.col)
    }

    /// The first failure: a failed step's, else a hook's.
    pub fn failure(&self) -> Option<Failure> {
        if let Some(step) = self.steps.iter().find(|s| s.status == StepStatus::Failed) {
            let message = step.failure.clone().unwrap_or_default();
            return Some(Failure {
                step: Some(step.shown()),
                at: Some(self.at(step)),
                message,
            });
        }
        self.hook_failures.first().map(|hook| Failure {
            step: None,
            at: None,
            message: format!("the scenario's {} hook failed: {}", hook.when, hook.message),
        })
    }

    /// The failure's message as the console shows it under the step (JUnit's `message`).
    pub fn summary(&self) -> Option<String> {
        if let Some(why) = &self.interrupted {
            return Some(why.clone());
        }
        self.failure().map(|f| {
            let trimmed = f.message.trim();
            if trimmed.is_empty() {
                "the step failed".to_owned()
            } else {
                trimmed.to_owned()
            }
        })
    }

    /// The whole failure: the step, its position, the message (JUnit's body).
    pub fn failure_text(&self) -> Option<String> {
        self.failure().map(|f| match (f.step, f.at) {
            (Some(step), Some(at)) => format!("{step}\nat {at}\n{}", f.message),
            _ => f.message,
        })
    }

    /// Marks the scenario stopped before its end (`why`: `interrupted by SIGTERM`), as
    /// `Interrupted` or `NotRun`.
    pub fn interrupt(&mut self, status: Status, why: &str) {
        self.status = status;
        self.interrupted = Some(why.to_owned());
    }

    /// The status its steps and hooks give it.
    fn settle(&mut self) {
        self.status = if !self.hook_failures.is_empty()
            || self.steps.iter().any(|s| s.status == StepStatus::Failed)
        {
            Status::Failed
        } else if self.steps.iter().any(|s| s.status == StepStatus::Skipped) {
            Status::Skipped
        } else {
            Status::Passed
        };
    }
}

/// A scenario's name, with its example row when the name does not already show the row's
/// values (two rows of an outline must not read the same).
pub fn scenario_name(scenario: &Scenario) -> String {
    let row = example_row(scenario);
    let values = scenario
        .examples
        .first()
        .and_then(|e| e.table.as_ref())
        .and_then(|t| t.rows.get(1));
    let shown = values.is_some_and(|v| {
        v.iter()
            .any(|v| !v.is_empty() && scenario.name.contains(v.as_str()))
    });
    if row.is_empty() || shown {
        scenario.name.clone()
    } else {
        format!("{} [{row}]", scenario.name)
    }
}

/// An outline's example row as `name=value` pairs (cucumber expands each row into a scenario).
pub fn example_row(scenario: &Scenario) -> String {
    let Some(table) = scenario.examples.first().and_then(|e| e.table.as_ref()) else {
        return String::new();
    };
    match (table.rows.first(), table.rows.get(1)) {
        (Some(header), Some(row)) => header
            .iter()
            .zip(row)
            .map(|(h, v)| format!("{h}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// A table as text, its columns aligned: `| a | b |`, one row a line.
pub fn table_text(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            format!("| {} |", cells.join(" | "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn panic_text(info: &event::Info) -> String {
    if let Some(text) = info.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = info.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "(a panic without a message)".to_owned()
    }
}

/// A step's failure in words (cucumber's own texts for a step that matches no definition, or
/// several).
pub fn step_error(error: &StepError) -> String {
    match error {
        StepError::Panic(info) => panic_text(info),
        StepError::NotFound => "no step definition matches this step".to_owned(),
        other => other.to_string(),
    }
}

/// What the run keeps of its scenarios: the finished records the reports need, the counts,
/// and the scenarios under way (for an interrupted run's reports).
#[derive(Debug, Default)]
pub struct Records {
    pub finished: Vec<ScenarioRecord>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Scenarios started and not yet finished, by key.
    pub running: HashMap<ScenarioKey, ScenarioRecord>,
    /// The keys of every finished scenario (kept or not).
    pub done: std::collections::HashSet<ScenarioKey>,
}

/// The records, shared between the writer that builds them and the run that reports them.
pub type SharedRecords = Arc<Mutex<Records>>;

/// What of a finished record is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// Every record (a report file was asked for); else only failed ones, when `failures` is
    /// set (a format that shows failures at the end).
    pub all: bool,
    pub failures: bool,
    /// The exchanges and notifications (the HTML report).
    pub exchanges: bool,
}

/// Builds the records from cucumber's (normalized) events.
pub struct Recorder {
    records: SharedRecords,
    collector: Option<Arc<html::Collector>>,
    keep: Keep,
    /// When the step under way started.
    step_started: SystemTime,
    started: HashMap<ScenarioKey, SystemTime>,
}

impl Recorder {
    pub fn new(
        records: SharedRecords,
        collector: Option<Arc<html::Collector>>,
        keep: Keep,
    ) -> Self {
        Recorder {
            records,
            collector,
            keep,
            step_started: SystemTime::UNIX_EPOCH,
            started: HashMap::new(),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one event; a scenario that just finished is returned (to be shown), then
    /// [`Recorder::keep`] it.
    pub fn event(
        &mut self,
        event: parser::Result<Event<Cucumber<CallWorld>>>,
    ) -> Option<ScenarioRecord> {
        let Ok(event) = event else {
            // Feature files are read (and their errors reported) before the run.
            return None;
        };
        let (event, meta) = event.split();
        match event {
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, ev)) => {
                self.scenario(&feature, None, &scenario, ev.event, meta.at)
            }
            Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Scenario(scenario, ev)),
            ) => self.scenario(&feature, Some(&rule), &scenario, ev.event, meta.at),
            _ => None,
        }
    }

    fn scenario(
        &mut self,
        feature: &Feature,
        rule: Option<&Rule>,
        scenario: &Scenario,
        event: event::Scenario<CallWorld>,
        at: SystemTime,
    ) -> Option<ScenarioRecord> {
        let key = (
            feature.path.clone().unwrap_or_default(),
            scenario.position.line,
        );
        match event {
            event::Scenario::Started => {
                let record = ScenarioRecord::new(feature, rule, scenario);
                self.started.insert(key.clone(), at);
                self.records().running.insert(key, record);
                None
            }
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                if matches!(ev, event::Step::Started) {
                    self.step_started = at;
                    return None;
                }
                let took = at.duration_since(self.step_started).ok();
                let mut records = self.records();
                let record = records.running.get_mut(&key)?;
                let i = record
                    .steps
                    .iter()
                    .position(|s| s.line == step.position.line)?;
                let one = &mut record.steps[i];
                one.duration = took;
                match ev {
                    event::Step::Started => {}
                    event::Step::Passed(..) => {
                        one.status = StepStatus::Passed;
                        // A passed step's event carries no World: what it measured waits in
                        // `load`'s notes, taken once here for every report.
                        one.note = crate::load::take_note(&key.0, one.line);
                    }
                    event::Step::Skipped => one.status = StepStatus::Skipped,
                    event::Step::Failed(_, _, _, error) => {
                        one.status = StepStatus::Failed;
                        one.undefined = matches!(error, StepError::NotFound);
                        one.failure = Some(step_error(&error));
                    }
                }
                None
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                let mut records = self.records();
                let record = records.running.get_mut(&key)?;
                let after_steps = record
                    .steps
                    .iter()
                    .filter(|s| s.status != StepStatus::NotRun)
                    .count();
                record.hook_failures.push(HookFailure {
                    when: match kind {
                        HookType::Before => "before",
                        HookType::After => "after",
                    },
                    message: panic_text(&info),
                    after_steps,
                });
                None
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => None,
            event::Scenario::Finished => {
                let mut record = self.records().running.remove(&key)?;
                record.duration = self
                    .started
                    .remove(&key)
                    .and_then(|s| at.duration_since(s).ok());
                record.settle();
                if let Some(collector) = &self.collector {
                    if let Some(collected) = collector.take(&key) {
                        record.exchanges = collected.exchanges;
                        record.notifications = collected.notifications;
                    }
                }
                Some(record)
            }
        }
    }

    /// Counts a finished scenario, and keeps what the reports need of it.
    pub fn keep(&mut self, mut record: ScenarioRecord) {
        let keep = self.keep;
        let mut records = self.records();
        match record.status {
            Status::Passed => records.passed += 1,
            Status::Failed => records.failed += 1,
            Status::Skipped => records.skipped += 1,
            // Only `interrupted` makes these, and it counts them.
            Status::Interrupted | Status::NotRun => {}
        }
        records.done.insert(record.key.clone());
        if keep.all || (keep.failures && record.status == Status::Failed) {
            if !keep.exchanges {
                record.exchanges = Vec::new();
                record.notifications = Vec::new();
            }
            records.finished.push(record);
        }
    }
}

/// After the run was stopped: the finished records, then every other selected scenario marked
/// interrupted (`why`), those under way with the steps they got through. The feature files are
/// read again for the scenarios that never started.
pub fn interrupted(
    records: &mut Records,
    files: &[PathBuf],
    selected: &std::collections::HashSet<ScenarioKey>,
    status: Status,
    why: &str,
) -> Vec<ScenarioRecord> {
    let mut all = std::mem::take(&mut records.finished);
    let mut running = std::mem::take(&mut records.running);
    for file in files {
        for feature in super::features::read_one(file).features {
            let path = feature.path.clone().unwrap_or_default();
            for (rule, scenario) in scenarios_of(&feature) {
                let key = (path.clone(), scenario.position.line);
                if !selected.contains(&key) || records.done.contains(&key) {
                    continue;
                }
                // Not run: a scenario `--fail-fast` cut short is reported as not run at all.
                let mut record = match running.remove(&key) {
                    Some(record) if status == Status::Interrupted => record,
                    _ => ScenarioRecord::new(&feature, rule, scenario),
                };
                record.interrupt(status, why);
                all.push(record);
            }
        }
    }
    all
}
