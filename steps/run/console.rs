//! The console: each scenario with its steps; a failed step with its `file:line:col`, its table
//! or docstring, and the failure message, no panic or step-definition noise. `-v` adds the
//! scenario's requests, responses and notifications as indented JSON; `-vv` timings too.
//!
//! It also keeps each scenario's outcome ([`Outcome`]) for the summary line and the JUnit
//! report. Must see normalized events.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use callspec::display_path;
use callspec::html::format_at;
use cucumber::event::{self, Cucumber, HookType, StepError};
use cucumber::gherkin::{Feature, Rule, Scenario, Step};
use cucumber::{cli, parser, writer, Event, Writer};

use super::html;
use crate::world::CallWorld;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

/// One scenario's result, for the summary and the JUnit report.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub feature_path: String,
    pub feature_name: String,
    pub rule: Option<String>,
    /// The scenario's name, with its example row for an outline's scenario.
    pub name: String,
    pub line: usize,
    pub status: Status,
    /// The failure's message, as the console shows it under the step (JUnit's `message`).
    pub summary: Option<String>,
    /// The whole failure: the step, its position, the message.
    pub failure: Option<String>,
    /// The steps as they ran, one line each.
    pub steps: Vec<String>,
    pub duration: Option<Duration>,
}

/// Every scenario's outcome, shared with `run` (which reads it when the run is over).
pub type Outcomes = Arc<Mutex<Vec<Outcome>>>;

struct Running {
    outcome: Outcome,
    started: SystemTime,
    step_started: SystemTime,
    out: String,
}

pub struct Console {
    verbose: u8,
    keep_steps: bool,
    color: bool,
    outcomes: Outcomes,
    running: Option<Running>,
    feature_shown: Option<PathBuf>,
    /// What the after hook kept of each scenario (for `-v`), when collected.
    collector: Option<Arc<html::Collector>>,
}

impl Console {
    /// `steps`: keep each scenario's steps in its outcome (for the JUnit report; a run of
    /// 100,000 scenarios should not hold them otherwise).
    pub fn new(
        verbose: u8,
        outcomes: Outcomes,
        steps: bool,
        collector: Option<Arc<html::Collector>>,
    ) -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Console {
            verbose,
            keep_steps: steps,
            color,
            outcomes,
            running: None,
            feature_shown: None,
            collector,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn scenario(
        &mut self,
        feature: &Feature,
        rule: Option<&Rule>,
        scenario: &Scenario,
        event: event::Scenario<CallWorld>,
        at: SystemTime,
    ) {
        match event {
            event::Scenario::Started => {
                let path = feature.path.clone().unwrap_or_default();
                let mut out = String::new();
                if self.feature_shown.as_ref() != Some(&path) {
                    out.push_str(&format!(
                        "{}: {}  ({})\n",
                        feature.keyword,
                        feature.name,
                        display_path(&path)
                    ));
                    self.feature_shown = Some(path);
                }
                let name = scenario_name(scenario);
                out.push_str(&format!("  {}: {name}\n", scenario.keyword));
                self.running = Some(Running {
                    outcome: Outcome {
                        feature_path: display_path(
                            feature.path.as_deref().unwrap_or(std::path::Path::new("")),
                        ),
                        feature_name: feature.name.clone(),
                        rule: rule.map(|r| r.name.clone()),
                        name,
                        line: scenario.position.line,
                        status: Status::Passed,
                        summary: None,
                        failure: None,
                        steps: Vec::new(),
                        duration: None,
                    },
                    started: at,
                    step_started: at,
                    out,
                });
            }
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                self.step(feature, &step, ev, at);
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                let when = match kind {
                    HookType::Before => "before",
                    HookType::After => "after",
                };
                let text = format!("the scenario's {when} hook failed: {}", panic_text(&info));
                let line = self.paint("31", &indent(&text, 6));
                if let Some(running) = &mut self.running {
                    running.out.push_str(&line);
                    running.out.push('\n');
                    running.outcome.status = Status::Failed;
                    running.outcome.summary.get_or_insert(text.clone());
                    running.outcome.failure.get_or_insert(text);
                }
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
            event::Scenario::Finished => {
                let Some(mut running) = self.running.take() else {
                    return;
                };
                running.outcome.duration = at.duration_since(running.started).ok();
                let key = (
                    feature.path.clone().unwrap_or_default(),
                    scenario.position.line,
                );
                if running.outcome.status == Status::Failed && self.verbose > 0 {
                    if let Some(collected) = self.collector.as_ref().and_then(|c| c.peek(&key)) {
                        running
                            .out
                            .push_str(&exchanges_text(&collected, self.verbose > 1));
                    }
                }
                if let Some(collector) = &self.collector {
                    collector.release(&key);
                }
                if self.verbose > 1 {
                    if let Some(d) = running.outcome.duration {
                        running
                            .out
                            .push_str(&format!("    ({} ms of wall time)\n", d.as_millis()));
                    }
                }
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(callspec::redact::redact(&running.out).as_bytes());
                let _ = stdout.flush();
                self.outcomes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(running.outcome);
            }
        }
    }

    fn step(
        &mut self,
        feature: &Feature,
        step: &Step,
        event: event::Step<CallWorld>,
        at: SystemTime,
    ) {
        let verbose = self.verbose;
        let keep_steps = self.keep_steps;
        let (passed, failed, skipped) = (
            self.paint("32", "✔"),
            self.paint("31", "✘"),
            self.paint("33", "?"),
        );
        let Some(running) = &mut self.running else {
            return;
        };
        let text = format!("{} {}", step.keyword.trim(), step.value);
        let took = |running: &Running| {
            if verbose > 1 {
                at.duration_since(running.step_started)
                    .map(|d| format!("  ({} ms)", d.as_millis()))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        match event {
            event::Step::Started => running.step_started = at,
            event::Step::Passed(..) => {
                let took = took(running);
                running
                    .out
                    .push_str(&format!("   {passed}  {text}{took}\n"));
                // What the step measured (a burst's answer times: `steps/load.rs`).
                let file = feature.path.as_deref().unwrap_or(std::path::Path::new(""));
                if let Some(note) =
                    crate::load::take_note(crate::load::Reader::Console, file, step.position.line)
                {
                    running.out.push_str(&indent(&note, 6));
                    running.out.push('\n');
                }
                if keep_steps {
                    running.outcome.steps.push(format!("✔ {text}"));
                }
            }
            event::Step::Skipped => {
                running.out.push_str(&format!("   {skipped}  {text}\n"));
                if keep_steps {
                    running.outcome.steps.push(format!("? {text}"));
                }
                if running.outcome.status == Status::Passed {
                    running.outcome.status = Status::Skipped;
                }
            }
            event::Step::Failed(_, _, _, error) => {
                let took = took(running);
                let at_line = format!(
                    "{}:{}:{}",
                    display_path(feature.path.as_deref().unwrap_or(std::path::Path::new(""))),
                    step.position.line,
                    step.position.col
                );
                let message = step_error(&error);
                let mut out = format!("   {failed}  {text}{took}\n");
                if let Some(table) = &step.table {
                    out.push_str(&indent(&table_text(&table.rows), 7));
                    out.push('\n');
                }
                if let Some(doc) = &step.docstring {
                    out.push_str(&indent(
                        &format!("\"\"\"\n{}\n\"\"\"", doc.trim_matches('\n')),
                        7,
                    ));
                    out.push('\n');
                }
                out.push_str(&format!("      at {at_line}\n"));
                out.push_str(&indent(&message, 6));
                out.push('\n');
                running.out.push_str(&out);
                if keep_steps {
                    running.outcome.steps.push(format!("✘ {text}"));
                }
                running.outcome.status = Status::Failed;
                // The whole message, as the console shows it: a first line alone drops the
                // expected and got values that follow it.
                let trimmed = message.trim();
                running.outcome.summary = Some(if trimmed.is_empty() {
                    "the step failed".to_owned()
                } else {
                    trimmed.to_owned()
                });
                running.outcome.failure = Some(format!("{text}\nat {at_line}\n{message}"));
            }
        }
    }
}

impl Writer<CallWorld> for Console {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<CallWorld>>>,
        _: &cli::Empty,
    ) {
        let Ok(event) = event else {
            // Feature files are read (and their errors reported) before the run.
            return;
        };
        let (event, meta) = event.split();
        match event {
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, ev)) => {
                self.scenario(&feature, None, &scenario, ev.event, meta.at);
            }
            Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Scenario(scenario, ev)),
            ) => {
                self.scenario(&feature, Some(&rule), &scenario, ev.event, meta.at);
            }
            _ => {}
        }
    }
}

impl writer::NonTransforming for Console {}

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

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn table_text(rows: &[Vec<String>]) -> String {
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

/// JSON text pretty-printed (other text as it is), indented.
fn body_text(text: &str, by: usize) -> String {
    let pretty = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned());
    indent(&pretty, by)
}

/// `-v`: the scenario's requests and answers, then its notifications.
fn exchanges_text(collected: &html::Collected, timings: bool) -> String {
    let mut out = String::new();
    if !collected.exchanges.is_empty() {
        out.push_str("    requests:\n");
    }
    for (i, exchange) in collected.exchanges.iter().enumerate() {
        out.push_str(&format!(
            "      {}. {} {}\n",
            i + 1,
            exchange.method,
            callspec::html::path_of(&exchange.url)
        ));
        if let Some(body) = &exchange.request_body {
            out.push_str(&body_text(body, 9));
            out.push('\n');
        }
        out.push_str(&format!("         → {}\n", exchange.status));
        if !exchange.response_body.trim().is_empty() {
            out.push_str(&body_text(&exchange.response_body, 9));
            out.push('\n');
        }
    }
    if !collected.notifications.is_empty() {
        out.push_str("    notifications:\n");
    }
    for (i, notification) in collected.notifications.iter().enumerate() {
        let at = match notification.at {
            Some(at) if timings => format!(" at {} (simulated)", format_at(at)),
            _ => String::new(),
        };
        let failed = notification
            .failure
            .as_deref()
            .map(|f| format!(" (delivery failed: {f})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "      {}. {}{at}{failed}\n",
            i + 1,
            notification.label
        ));
        out.push_str(&body_text(&notification.body, 9));
        out.push('\n');
    }
    out
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
