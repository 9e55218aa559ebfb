//! Collecting the HTML report (`callspec run --html FILE`) and the optional report writers.
//!
//! Two sources are joined by (feature file, scenario line):
//! - the `after` hook ([`record`]) keeps what the World saw: the exchanges, and the
//!   notifications the stand-in sent (with their simulated time and delivery outcome);
//! - [`HtmlWriter`], a cucumber `Writer` placed after `Normalize`, keeps each scenario's steps,
//!   their outcome and failure message, and its duration.
//!
//! Only what the report shows is kept, bodies capped at [`MAX_BODY`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use callspec::display_path;
use callspec::html::{
    render_html, ExchangeReport, HtmlReport, NotificationEvent, ReportStatus, ScenarioReport,
    StepReport,
};
use cucumber::event::{self, Cucumber, HookType};
use cucumber::gherkin::{Feature, Rule, Scenario, Step};
use cucumber::{cli, parser, writer, Event, Writer};

use super::console::{panic_text, scenario_name, step_error};
use crate::world::CallWorld;

/// The longest body the report keeps (request, response or notification).
pub const MAX_BODY: usize = 64 * 1024;

/// A scenario: its feature file (as cucumber names it) and its line.
type Key = (PathBuf, usize);

/// What the `after` hook kept of one scenario.
#[derive(Clone)]
pub struct Collected {
    pub exchanges: Vec<ExchangeReport>,
    pub notifications: Vec<NotificationEvent>,
}

/// What the after hook keeps of each scenario, until the console and the HTML report have
/// used it.
#[derive(Default)]
pub struct Collector {
    kept: Mutex<HashMap<Key, Collected>>,
    /// Whether the HTML report takes what was kept (else the console releases it once shown).
    for_html: bool,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("for_html", &self.for_html)
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// Collection for the HTML report (`for_html`), or for the console's `-v` only.
    pub fn new(for_html: bool) -> Self {
        Collector {
            kept: Mutex::default(),
            for_html,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Collected>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of what was kept of a scenario.
    pub fn peek(&self, key: &Key) -> Option<Collected> {
        self.kept().get(key).cloned()
    }

    /// Forgets a scenario once the console has shown it, unless the HTML report needs it.
    pub fn release(&self, key: &Key) {
        if !self.for_html {
            self.kept().remove(key);
        }
    }

    fn take(&self, key: &Key) -> Option<Collected> {
        self.kept().remove(key)
    }

    /// Keeps what the report shows of a finished scenario (call it before `world.finish()`).
    pub fn record(&self, feature: &Feature, scenario: &Scenario, world: &CallWorld) {
        record(&mut self.kept(), feature, scenario, world);
    }
}

fn capped(text: &str) -> String {
    if text.len() <= MAX_BODY {
        return text.to_owned();
    }
    let mut end = MAX_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… ({} more bytes not shown)",
        &text[..end],
        text.len() - end
    )
}

fn record(
    sink: &mut HashMap<Key, Collected>,
    feature: &Feature,
    scenario: &Scenario,
    world: &CallWorld,
) {
    let deliveries = world
        .mock_env()
        .map(|env| env.standin.deliveries())
        .unwrap_or_default();
    // Notification items in the first `n` deliveries: where a request sent after them goes.
    let items_in = |n: usize| -> usize {
        deliveries[..n.min(deliveries.len())]
            .iter()
            .map(|d| d.body["value"].as_array().map_or(1, Vec::len))
            .sum()
    };
    let mut exchanges: Vec<ExchangeReport> = world
        .history
        .iter()
        .map(|answer| ExchangeReport {
            method: answer.method.clone(),
            url: world.graph_url(&answer.url),
            request_body: answer.request_body.as_deref().map(capped),
            status: answer.status,
            response_body: capped(&answer.text),
            after_notifications: answer.deliveries_before.map(items_in),
        })
        .collect();
    if let Some(bot) = world.bot_scenario() {
        // The bot's own requests, placed among the notifications by time: a request comes
        // after the deliveries made before it (the stand-in's clock follows the wall clock,
        // scaled, from about when the scenario attached to the gateway).
        let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| capped(&v.to_string()));
        for request in bot.link.requests() {
            let simulated = request.at.div_f64(bot.run.time_scale);
            let before = deliveries.iter().take_while(|d| d.at <= simulated).count();
            exchanges.push(ExchangeReport {
                method: request.method.clone(),
                url: format!("{}{}", bot.run.gateway.uri(), request.path),
                request_body: show(&request.body),
                status: request.status,
                response_body: show(&request.response).unwrap_or_default(),
                after_notifications: Some(items_in(before)),
            });
        }
    }
    let mut notifications = Vec::new();
    if let Some(env) = world.mock_env() {
        for delivery in &deliveries {
            let failure = match &delivery.outcome {
                Ok(status) if (200..300).contains(status) => None,
                Ok(status) => Some(format!("the bot answered {status}")),
                Err(why) => Some(why.clone()),
            };
            let items = match delivery.body["value"].as_array() {
                Some(items) => items.clone(),
                None => vec![delivery.body.clone()],
            };
            for item in &items {
                let mut event =
                    NotificationEvent::from_item(item, Some(delivery.at), failure.clone());
                event.body = capped(&event.body);
                notifications.push(event);
            }
        }
        if deliveries.is_empty() {
            // Notifications that reached the inbox some other way (no simulated time).
            for received in env.inbox.log().all() {
                let mut event = NotificationEvent::from_item(received.item(), None, None);
                event.body = capped(&event.body);
                notifications.push(event);
            }
        }
    }
    let key = (
        feature.path.clone().unwrap_or_default(),
        scenario.position.line,
    );
    sink.insert(
        key,
        Collected {
            exchanges,
            notifications,
        },
    );
}

/// A scenario being reported: the steps as cucumber announced them.
struct Running {
    report: ScenarioReport,
    /// Each step's line, to find it when its events come.
    lines: Vec<usize>,
    started: SystemTime,
}

/// Records per-scenario step events; at the end joins them with what the `after` hook kept
/// and renders the HTML report into `page` (the run writes it to its file). Must see
/// normalized events.
pub struct HtmlWriter {
    page: Arc<Mutex<Option<String>>>,
    collector: Arc<Collector>,
    running: HashMap<Key, Running>,
    done: Vec<(Key, ScenarioReport)>,
    problems: Vec<String>,
    started: Option<SystemTime>,
}

impl HtmlWriter {
    /// `problems`: the feature files' errors, found before the run.
    pub fn new(
        page: Arc<Mutex<Option<String>>>,
        collector: Arc<Collector>,
        problems: Vec<String>,
    ) -> Self {
        HtmlWriter {
            page,
            collector,
            running: HashMap::new(),
            done: Vec::new(),
            problems,
            started: None,
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
        let key = (
            feature.path.clone().unwrap_or_default(),
            scenario.position.line,
        );
        match event {
            event::Scenario::Started => {
                let steps: Vec<&Step> = feature
                    .background
                    .iter()
                    .flat_map(|b| &b.steps)
                    .chain(
                        rule.iter()
                            .flat_map(|r| r.background.iter().flat_map(|b| &b.steps)),
                    )
                    .chain(&scenario.steps)
                    .collect();
                let report = ScenarioReport {
                    feature_path: feature
                        .path
                        .as_deref()
                        .map(display_path)
                        .unwrap_or_default(),
                    feature_name: feature.name.clone(),
                    rule: rule.map(|r| r.name.clone()),
                    name: scenario_name(scenario),
                    line: scenario.position.line,
                    steps: steps.iter().map(|s| step_report(s)).collect(),
                    ..Default::default()
                };
                let lines = steps.iter().map(|s| s.position.line).collect();
                self.running.insert(
                    key,
                    Running {
                        report,
                        lines,
                        started: at,
                    },
                );
            }
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                let Some(running) = self.running.get_mut(&key) else {
                    return;
                };
                let Some(i) = running.lines.iter().position(|l| *l == step.position.line) else {
                    return;
                };
                let report = &mut running.report.steps[i];
                match ev {
                    event::Step::Started => {}
                    event::Step::Passed(..) => {
                        report.status = ReportStatus::Passed;
                        measured(report, feature, step.position.line);
                    }
                    event::Step::Skipped => report.status = ReportStatus::Skipped,
                    event::Step::Failed(_, _, _, error) => {
                        report.status = ReportStatus::Failed;
                        report.failure = Some(step_error(&error));
                    }
                }
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                if let Some(running) = self.running.get_mut(&key) {
                    let when = match kind {
                        HookType::Before => "before",
                        HookType::After => "after",
                    };
                    running
                        .report
                        .errors
                        .push(format!("the {when} hook failed: {}", panic_text(&info)));
                }
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
            event::Scenario::Finished => {
                let Some(mut running) = self.running.remove(&key) else {
                    return;
                };
                let report = &mut running.report;
                report.duration = at.duration_since(running.started).ok();
                let steps = &report.steps;
                report.status = if !report.errors.is_empty()
                    || steps.iter().any(|s| s.status == ReportStatus::Failed)
                {
                    ReportStatus::Failed
                } else if steps.iter().any(|s| s.status != ReportStatus::Passed) {
                    ReportStatus::Skipped
                } else {
                    ReportStatus::Passed
                };
                self.done.push((key, running.report));
            }
        }
    }

    fn finish(&mut self, at: SystemTime) {
        let wall_time = self.started.and_then(|s| at.duration_since(s).ok());
        let scenarios = std::mem::take(&mut self.done)
            .into_iter()
            .map(|(key, mut report)| {
                if let Some(collected) = self.collector.take(&key) {
                    report.exchanges = collected.exchanges;
                    report.notifications = collected.notifications;
                }
                report
            })
            .collect();
        let html = render_html(&HtmlReport {
            title: "callspec report".into(),
            scenarios,
            problems: std::mem::take(&mut self.problems),
            wall_time,
        });
        *self.page.lock().unwrap_or_else(|e| e.into_inner()) = Some(html);
    }
}

impl Writer<CallWorld> for HtmlWriter {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<CallWorld>>>,
        _: &cli::Empty,
    ) {
        let Ok(event) = event else {
            // Feature files are read (and their errors collected) before the run.
            return;
        };
        let (event, meta) = event.split();
        match event {
            Cucumber::Started => self.started = Some(meta.at),
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, ev)) => {
                self.scenario(&feature, None, &scenario, ev.event, meta.at);
            }
            Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Scenario(scenario, ev)),
            ) => {
                self.scenario(&feature, Some(&rule), &scenario, ev.event, meta.at);
            }
            Cucumber::Finished => self.finish(meta.at),
            _ => {}
        }
    }
}

impl writer::NonTransforming for HtmlWriter {}

/// What a passed step measured (a burst's answer times: `steps/load.rs`), under its table or
/// docstring.
fn measured(report: &mut StepReport, feature: &Feature, line: usize) {
    let file = feature.path.as_deref().unwrap_or(std::path::Path::new(""));
    if let Some(note) = crate::load::take_note(crate::load::Reader::Html, file, line) {
        report.attachment = Some(match report.attachment.take() {
            Some(before) => format!("{before}\n{note}"),
            None => note,
        });
    }
}

/// A step with its table or docstring as text.
fn step_report(step: &Step) -> StepReport {
    let attachment = match (&step.table, &step.docstring) {
        (Some(table), _) => {
            let widths: Vec<usize> = (0..table.row_width())
                .map(|c| {
                    table
                        .rows
                        .iter()
                        .map(|r| r.get(c).map_or(0, |v| v.chars().count()))
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            Some(
                table
                    .rows
                    .iter()
                    .map(|row| {
                        let cells: Vec<String> = row
                            .iter()
                            .zip(&widths)
                            .map(|(v, w)| format!("{v:<w$}"))
                            .collect();
                        format!("| {} |", cells.join(" | "))
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        (None, Some(doc)) => Some(doc.clone()),
        (None, None) => None,
    };
    StepReport {
        keyword: step.keyword.trim().to_owned(),
        text: step.value.clone(),
        status: ReportStatus::NotRun,
        attachment,
        failure: None,
    }
}
