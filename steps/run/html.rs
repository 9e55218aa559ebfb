//! The HTML report (`callspec run --html FILE`), rendered from the run's records ([`render`]),
//! and what the `after` hook keeps for them ([`Collector`]): the exchanges, and the
//! notifications the stand-in sent (with their simulated time and delivery outcome), joined
//! to each scenario's record by (feature file, scenario line) when it finishes.
//!
//! Only what the report shows is kept, bodies capped at [`MAX_BODY`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use callspec::html::{
    render_html, ExchangeReport, HtmlReport, NotificationEvent, ReportStatus, ScenarioReport,
    StepReport,
};
use cucumber::gherkin::{Feature, Scenario};

use super::record::{table_text, ScenarioRecord, Status, StepStatus};
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

/// What the after hook keeps of each scenario, until its record takes it.
#[derive(Default)]
pub struct Collector {
    kept: Mutex<HashMap<Key, Collected>>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").finish_non_exhaustive()
    }
}

impl Collector {
    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Collected>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What was kept of a scenario, handed to its record.
    pub fn take(&self, key: &Key) -> Option<Collected> {
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

/// The HTML page of the run's records (`problems`: the feature files' errors).
pub fn render(
    records: &[ScenarioRecord],
    problems: Vec<String>,
    wall_time: Option<Duration>,
) -> String {
    let scenarios = records.iter().map(scenario_report).collect();
    render_html(&HtmlReport {
        title: "callspec report".into(),
        scenarios,
        problems,
        wall_time,
    })
}

fn scenario_report(record: &ScenarioRecord) -> ScenarioReport {
    let status = |status| match status {
        StepStatus::NotRun => ReportStatus::NotRun,
        StepStatus::Passed => ReportStatus::Passed,
        StepStatus::Failed => ReportStatus::Failed,
        StepStatus::Skipped => ReportStatus::Skipped,
    };
    let steps = record
        .steps
        .iter()
        .map(|step| StepReport {
            keyword: step.keyword.trim().to_owned(),
            text: step.text.clone(),
            status: status(step.status),
            attachment: match (&step.table, &step.docstring, &step.note) {
                (Some(table), _, _) => Some(table_text(table)),
                (None, Some(doc), _) => Some(doc.clone()),
                // What a passed step measured (a burst's answer times).
                (None, None, note) => note.clone(),
            },
            failure: step.failure.clone(),
            at: (step.status == StepStatus::Failed).then(|| record.at(step)),
        })
        .collect();
    let mut errors: Vec<String> = record
        .hook_failures
        .iter()
        .map(|hook| format!("the {} hook failed: {}", hook.when, hook.message))
        .collect();
    errors.extend(record.interrupted.clone());
    ScenarioReport {
        feature_path: record.feature_path.clone(),
        feature_name: record.feature_name.clone(),
        rule: record.rule.clone(),
        name: record.name.clone(),
        line: record.line,
        status: match record.status {
            Status::Passed => ReportStatus::Passed,
            Status::Failed => ReportStatus::Failed,
            Status::Skipped | Status::Interrupted | Status::NotRun => ReportStatus::Skipped,
        },
        duration: record.duration,
        steps,
        errors,
        exchanges: record.exchanges.clone(),
        notifications: record.notifications.clone(),
        ..Default::default()
    }
}
