//! `callspec run --record DIR`: each scenario's exchanges written as a HAR 1.2 file (the
//! format is `callspec::Recording`'s). Called from the `after` hook, while the scenario's
//! stand-in and inbox still run.
//!
//! Times: in live mode, wall-clock times as sent and received; in mock mode, the scenario's
//! start plus the stand-in's simulated time, so that a replay paces the requests as the
//! scenario did.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, SystemTime};

use callspec::har::{EntryKind, RecordedExchange, RecordingInfo};
use callspec::{display_path, Recording};
use cucumber::gherkin::{Feature, Scenario};

use crate::world::{CallWorld, Mode};

/// Writes the scenario's recording, if recording is on. A file that cannot be written is
/// reported and the run goes on.
pub fn record(dir: &Path, feature: &Feature, scenario: &Scenario, world: &CallWorld) {
    let recording = recording_of(feature, scenario, world);
    let secrets: Vec<&str> = world
        .live()
        .into_iter()
        .map(|live| live.config.client_secret.expose())
        .collect();
    if let Err(e) = recording.write(dir, &secrets) {
        eprintln!("callspec: {e}");
    }
}

fn recording_of(feature: &Feature, scenario: &Scenario, world: &CallWorld) -> Recording {
    let info = RecordingInfo {
        feature: display_path(feature.path.as_deref().unwrap_or(std::path::Path::new(""))),
        line: scenario.position.line,
        scenario: scenario.name.clone(),
        target: if world.live().is_some() {
            "live"
        } else {
            "mock"
        }
        .to_owned(),
        script: world.mock_env().map(|env| env.standin.script_json()),
        callback: world.callback_uri().ok(),
        // Live mode: the app's real grants, which the World does not know.
        roles: world.mock_env().map(|_| world.roles.clone()),
        duration_seconds: None,
    };
    // Mock mode: the scenario began at simulated time 0; bot mode: when it was attached.
    let started = match world.bot_scenario() {
        Some(bot) => SystemTime::now() - bot.link.age(),
        None => world
            .history
            .first()
            .map(|a| a.sent_at - a.simulated_at.unwrap_or_default())
            .unwrap_or_else(SystemTime::now),
    };
    let at = |wall: SystemTime, simulated: Option<Duration>| match (world.live(), simulated) {
        (None, Some(sim)) => started + sim,
        _ => wall,
    };
    let mut entries: Vec<(SystemTime, usize, RecordedExchange)> = Vec::new();
    for answer in &world.history {
        let exchange = RecordedExchange {
            kind: EntryKind::Request,
            at: at(answer.sent_at, answer.simulated_at),
            method: answer.method.clone(),
            url: world.graph_url(&answer.url),
            request_headers: answer.request_headers.clone(),
            request_body: answer.request_body.clone(),
            status: answer.status,
            response_headers: answer.headers.clone(),
            response_body: Some(answer.text.clone()),
            elapsed: answer.elapsed,
        };
        // In mock mode the request goes after the notification POSTs made before it.
        let rank = answer.deliveries_before.unwrap_or_default();
        entries.push((exchange.at, rank * 2, exchange));
    }
    for (rank, exchange) in notifications(world, &at) {
        entries.push((exchange.at, rank * 2 + 1, exchange));
    }
    entries.extend(crate::bot::recorded(world, started));
    if world.live().is_some() || world.has_bot() {
        entries.sort_by_key(|(time, rank, _)| (*time, *rank));
    } else {
        entries.sort_by_key(|(time, rank, _)| (*rank, *time));
    }
    let started = started.min(entries.first().map_or(started, |e| e.0));
    let mut info = info;
    let ended = match world.mock_env() {
        Some(env) => started + env.standin.now(),
        None => SystemTime::now(),
    };
    info.duration_seconds = ended
        .duration_since(started)
        .ok()
        .map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0);
    Recording {
        info,
        started,
        entries: entries.into_iter().map(|(_, _, e)| e).collect(),
    }
}

/// The notification POSTs the bot received, one entry each, with the stand-in's delivery index
/// (mock mode) for ordering.
fn notifications(
    world: &CallWorld,
    at: &dyn Fn(SystemTime, Option<Duration>) -> SystemTime,
) -> Vec<(usize, RecordedExchange)> {
    let Ok(log) = world.inbox_log() else {
        return Vec::new();
    };
    // A live run shares one inbox: keep this scenario's calls only.
    let mine: Option<HashSet<String>> = world.live().map(|_| {
        world
            .history
            .iter()
            .filter_map(|a| a.body["id"].as_str().map(str::to_owned))
            .chain(world.call_id.clone())
            .chain(
                world
                    .named_calls
                    .values()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned)),
            )
            .collect()
    });
    let mut posts: BTreeMap<usize, Vec<callspec::Received>> = BTreeMap::new();
    for received in log.all() {
        if let Some(mine) = &mine {
            if !received
                .call_id
                .as_ref()
                .is_some_and(|id| mine.contains(id))
            {
                continue;
            }
        }
        posts.entry(received.delivery).or_default().push(received);
    }
    let base = match &world.mode {
        // The run's inbox server, without the scenario's key (the path is the bot's own).
        Mode::Mock(env) | Mode::Bot { env, .. } => url::Url::parse(env.inbox.uri())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
        Mode::Live(live) => url::Url::parse(&live.config.callback_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
        Mode::Idle => String::new(),
    };
    // Mock mode: the stand-in's deliveries, matched by body, give simulated time and index.
    let deliveries = world
        .mock_env()
        .map(|env| env.standin.deliveries())
        .unwrap_or_default();
    let mut used = vec![false; deliveries.len()];
    let mut out = Vec::new();
    for (_, items) in posts {
        let first = &items[0];
        let matched = deliveries
            .iter()
            .enumerate()
            .find(|(k, d)| !used[*k] && d.body == *first.envelope)
            .map(|(k, d)| (k, d.at));
        if let Some((k, _)) = matched {
            used[k] = true;
        }
        let mut headers: Vec<(String, String)> = first.headers.to_vec();
        if let Some(auth) = first.header("authorization") {
            headers.push(("authorization".to_owned(), auth));
        }
        let rank = matched.map_or(usize::MAX / 4, |(k, _)| k);
        out.push((
            rank,
            RecordedExchange {
                kind: EntryKind::Notification,
                at: at(first.arrived, matched.map(|(_, sim)| sim)),
                method: "POST".to_owned(),
                url: format!("{base}{}", first.path),
                request_headers: headers,
                request_body: Some(first.envelope.to_string()),
                status: 202,
                response_headers: Vec::new(),
                response_body: Some(String::new()),
                elapsed: Duration::ZERO,
            },
        ));
    }
    out
}
