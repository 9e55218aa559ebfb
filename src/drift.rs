//! `callspec drift`: replays recorded scenarios against the embedded stand-in and reports where
//! what the stand-in answers and sends differs from what Graph did.
//!
//! The story the stand-in replays is the recording itself: the bot's recorded requests, in
//! order and at their recorded times (simulated, so a minute-long call replays at once), with
//! the stand-in's URL, the replay's callback inbox and the stand-in's ids in place of the
//! recorded ones; plus the recording's `log._callspec.script` (the other side: who answers,
//! who hangs up), the stand-in's default when there is none; the token's roles when recorded
//! (`log._callspec.roles`), every calling role otherwise. The feature steps are not
//! re-run: they can script things real Graph cannot be told, and the requests are what Graph
//! really saw. After the last request the clock runs to the recording's end
//! (`log._callspec.durationSeconds`, else its last entry) plus an optional settle window:
//! what Graph would have sent after the scenario ended was never recorded.
//!
//! Not replayed (a mock recording of such a scenario drifts): what a mock scenario made the
//! other side do mid-scenario (`When the callee hangs up`, `When "John" calls the bot`),
//! injected faults and made-up tokens.
//!
//! Compared per response (paired in order) and per notification item (paired by change type,
//! resource and state, then by resource alone): key paths, the values of `@odata.type`,
//! `state`, `status`, `code`, `subcode` and `changeType` keys, HTTP status, roster sizes, and
//! the order of the notifications.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::inbox::Inbox;
use crate::record::{EntryKind, RecordError, RecordedExchange, Recording};
use crate::standin::{AccessClaims, AppIdentity, StandIn, StandInConfig, ALL_CALLING_ROLES};

/// How long the clock runs past the recording's end, by default: none (the stand-in is not
/// slower than Graph; `--settle` allows for it where it is).
pub const DEFAULT_SETTLE: Duration = Duration::ZERO;

/// Keys whose values are compared, not just their presence.
const COMPARED_VALUES: [&str; 6] = [
    "@odata.type",
    "state",
    "status",
    "code",
    "subcode",
    "changeType",
];

/// Bad input: recordings that cannot be read or replayed.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} holds no .har recording")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Recording(#[from] RecordError),
    #[error(
        "{file}: the stand-in refuses the recording's script (log._callspec.script): {message}"
    )]
    Script { file: PathBuf, message: String },
    #[error("{file}: replaying entry {entry} ({what}) failed: {message}")]
    Replay {
        file: PathBuf,
        entry: usize,
        what: String,
        message: String,
    },
}

/// One difference, about one response or notification (or the order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `response 1 POST /v1.0/communications/calls`,
    /// `notification 3 updated calls/{id} state=established`, `order`.
    pub subject: String,
    pub lines: Vec<String>,
}

/// What drift found in one recording.
#[derive(Debug, Clone)]
pub struct FileDrift {
    pub file: PathBuf,
    pub recording: Recording,
    pub responses: usize,
    pub notifications: usize,
    pub findings: Vec<Finding>,
}

impl FileDrift {
    pub fn drifted(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The report of this recording, as `callspec drift` prints it.
    pub fn render(&self) -> String {
        let info = &self.recording.info;
        let mut out = format!(
            "{}: {}:{} \"{}\" ({} recording, {} response(s), {} notification(s))\n",
            self.file.display(),
            info.feature,
            info.line,
            info.scenario,
            info.target,
            self.responses,
            self.notifications
        );
        if self.findings.is_empty() {
            out.push_str("  no drift\n");
        }
        for finding in &self.findings {
            out.push_str(&format!("  {}\n", finding.subject));
            for line in &finding.lines {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out
    }
}

/// The whole run's result.
#[derive(Debug, Clone)]
pub struct DriftReport {
    pub files: Vec<FileDrift>,
}

impl DriftReport {
    pub fn drifted(&self) -> bool {
        self.files.iter().any(FileDrift::drifted)
    }

    /// The closing line: `drift: 1 of 2 recording(s) drifted, 5 difference(s) (...)`.
    pub fn summary(&self) -> String {
        let drifted = self.files.iter().filter(|f| f.drifted()).count();
        let differences: usize = self.files.iter().map(|f| f.findings.len()).sum();
        let responses: usize = self.files.iter().map(|f| f.responses).sum();
        let notifications: usize = self.files.iter().map(|f| f.notifications).sum();
        let compared =
            format!("{responses} response(s) and {notifications} notification(s) compared");
        if drifted == 0 {
            format!(
                "drift: none in {} recording(s) ({compared})",
                self.files.len()
            )
        } else {
            format!(
                "drift: {drifted} of {} recording(s) drifted, {differences} difference(s) ({compared})",
                self.files.len()
            )
        }
    }
}

/// The `.har` files at `path` (a file, or a folder searched recursively), sorted.
pub fn recordings_in(path: &Path) -> Result<Vec<PathBuf>, DriftError> {
    if !path.exists() {
        return Err(DriftError::Missing {
            path: path.to_owned(),
        });
    }
    if !path.is_dir() {
        // A file, or something that is not one (a FIFO): `read` says which.
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| RecordError::Unreadable {
            file: folder.clone(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                folders.push(p);
            } else if p.extension().is_some_and(|e| e == "har") {
                found.push(p);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(DriftError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(found)
}

/// Reads every recording at `path` first (a broken one is bad input, nothing is replayed),
/// then replays and compares each.
pub async fn drift(path: &Path, settle: Duration) -> Result<DriftReport, DriftError> {
    let files = recordings_in(path)?;
    let mut recordings = Vec::new();
    for file in files {
        let recording = Recording::read(&file)?;
        if recording.entries.is_empty() {
            // Nothing recorded compares equal to anything: "no drift" would be false comfort.
            return Err(DriftError::Recording(RecordError::Content {
                file,
                message: "the recording has no entries: nothing was recorded, so there is \
                          nothing to compare (record again with `callspec run --record DIR`)"
                    .into(),
            }));
        }
        recordings.push((file, recording));
    }
    let mut report = DriftReport { files: Vec::new() };
    for (file, recording) in recordings {
        let replay = replay(&file, &recording, settle).await?;
        report.files.push(compare(file, recording, replay));
    }
    Ok(report)
}

/// What the stand-in answered and sent on replay.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Per recorded request, in order: status and body text.
    pub responses: Vec<(u16, String)>,
    /// Notification items, in arrival order.
    pub notifications: Vec<Value>,
}

/// Recorded ids and the replay's ids for the same things, longest first when applied.
#[derive(Debug, Default)]
struct IdMap(Vec<(String, String)>);

impl IdMap {
    fn add(&mut self, recorded: String, replayed: String) {
        if recorded != replayed && !self.0.iter().any(|(r, _)| *r == recorded) {
            self.0.push((recorded, replayed));
            // Longest first: an id that contains another is replaced whole.
            self.0.sort_by_key(|(r, _)| std::cmp::Reverse(r.len()));
        }
    }

    fn learn(&mut self, recorded: &Value, replayed: &Value, key: &str) {
        match (recorded, replayed) {
            // Short values named ...Id are codes, not ids worth replacing in paths.
            (Value::String(a), Value::String(b))
                if a.len() >= 4 && (key == "id" || key.ends_with("Id")) =>
            {
                self.add(a.clone(), b.clone());
            }
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    if let Some(w) = b.get(k) {
                        self.learn(v, w, k);
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for (v, w) in a.iter().zip(b) {
                    self.learn(v, w, key);
                }
            }
            _ => {}
        }
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (recorded, replayed) in &self.0 {
            out = out.replace(recorded, replayed);
        }
        out
    }

    /// Maps ids in every string; a `callbackUri` on `callback.0`'s origin becomes `callback.1`.
    fn apply_json(&self, value: &mut Value, callback: &(Option<String>, String)) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let recorded_inbox = match (&callback.0, v.as_str()) {
                        (Some(origin), Some(uri)) => origin_of(uri).as_ref() == Some(origin),
                        _ => false,
                    };
                    if k == "callbackUri" && recorded_inbox {
                        *v = Value::String(callback.1.clone());
                    } else {
                        self.apply_json(v, callback);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply_json(v, callback)),
            Value::String(s) => *s = self.apply(s),
            _ => {}
        }
    }
}

fn origin_of(uri: &str) -> Option<String> {
    url::Url::parse(uri)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// The path and query of a recorded URL (the recorded host is Graph's, or a recorded stand-in's).
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// Replays `recording`'s requests against a fresh stand-in (see the module docs).
pub async fn replay(
    file: &Path,
    recording: &Recording,
    settle: Duration,
) -> Result<Replay, DriftError> {
    let inbox = Inbox::start().await;
    let mut config = StandInConfig::default().route_callbacks_to(inbox.uri());
    config.admin = true;
    let app = AppIdentity {
        app_id: config.app.app_id.clone(),
        tenant_id: config.app.tenant_id.clone(),
        display_name: config.app.display_name.clone(),
    };
    let standin = StandIn::start(config).await;
    let result = drive(file, recording, settle, &standin, &inbox, &app).await;
    standin.shutdown();
    inbox.shutdown();
    result
}

async fn drive(
    file: &Path,
    recording: &Recording,
    settle: Duration,
    standin: &StandIn,
    inbox: &Inbox,
    app: &AppIdentity,
) -> Result<Replay, DriftError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client with a timeout builds");
    if let Some(script) = &recording.info.script {
        let refused = |message: String| DriftError::Script {
            file: file.to_owned(),
            message,
        };
        let answer = client
            .post(format!("{}/_callspec/script", standin.uri()))
            .json(script)
            .send()
            .await
            .map_err(|e| refused(e.without_url().to_string()))?;
        if !answer.status().is_success() {
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            return Err(refused(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("refused")
                    .to_owned(),
            ));
        }
    }
    let roles: Vec<String> = match &recording.info.roles {
        Some(roles) => roles.clone(),
        // Every calling permission: the replay may make any request the recording made.
        None => ALL_CALLING_ROLES.iter().map(|r| r.to_string()).collect(),
    };
    let token = standin.token(&AccessClaims::app_only(app, &roles));
    let callback = (
        recording.info.callback.as_deref().and_then(origin_of),
        inbox.callback_uri(),
    );
    let mut ids = IdMap::default();
    let mut replay = Replay::default();
    let offset = |e: &RecordedExchange| e.at.duration_since(recording.started).unwrap_or_default();
    for (index, entry) in recording.entries.iter().enumerate() {
        if entry.kind != EntryKind::Request {
            continue;
        }
        let due = offset(entry);
        if due > standin.now() {
            standin.advance(due - standin.now()).await;
        }
        let path = ids.apply(&path_of(&entry.url));
        let method = reqwest::Method::from_bytes(entry.method.as_bytes()).map_err(|_| {
            DriftError::Replay {
                file: file.to_owned(),
                entry: index,
                what: format!("{} {path}", entry.method),
                message: "not an HTTP method".into(),
            }
        })?;
        let mut request = client.request(method, format!("{}{path}", standin.uri()));
        // A request recorded without a token goes without one.
        if entry.request_header("authorization").is_some() {
            request = request.bearer_auth(&token);
        }
        for (name, value) in &entry.request_headers {
            let skipped = ["authorization", "host", "content-length", "cookie"];
            if !skipped.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        if let Some(text) = &entry.request_body {
            let body = match serde_json::from_str::<Value>(text) {
                Ok(mut json) => {
                    ids.apply_json(&mut json, &callback);
                    json.to_string()
                }
                Err(_) => ids.apply(text),
            };
            request = request.body(body);
        }
        let answer = request.send().await.map_err(|e| DriftError::Replay {
            file: file.to_owned(),
            entry: index,
            what: format!("{} {path}", entry.method),
            message: e.without_url().to_string(),
        })?;
        let status = answer.status().as_u16();
        let location = answer
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(path_of);
        let text = answer.text().await.unwrap_or_default();
        if let (Some(recorded), Ok(replayed)) =
            (entry.response_json(), serde_json::from_str::<Value>(&text))
        {
            ids.learn(&recorded, &replayed, "");
        }
        if let (Some(recorded), Some(replayed)) =
            (entry.response_header("location").map(path_of), location)
        {
            ids.add(recorded, replayed);
        }
        replay.responses.push((status, text));
    }
    let last = recording
        .entries
        .iter()
        .map(offset)
        .max()
        .unwrap_or_default();
    let end = recording
        .info
        .duration_seconds
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(last, Duration::from_secs_f64)
        .max(last)
        + settle;
    // What falls due exactly at the end was sent within the recording only if the recording
    // holds a notification from that moment (a scenario that stopped right after its last
    // request never saw what it made due).
    let inclusive = recording
        .entries
        .iter()
        .any(|e| e.kind == EntryKind::Notification && offset(e) >= end);
    let now = standin.now();
    if inclusive && end >= now {
        standin.advance(end - now).await;
    } else if !inclusive && end > now + Duration::from_millis(1) {
        standin.advance(end - now - Duration::from_millis(1)).await;
    }
    replay.notifications = inbox
        .log()
        .all()
        .into_iter()
        .map(|r| r.item().clone())
        .collect();
    Ok(replay)
}

// ---------------------------------------------------------------------------------------------
// Comparing

type KeyPath = Vec<String>;

fn render_path(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if segment == "[]" {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// Every key path in `value` (objects' keys; array elements all under `[]`), and the values
/// of the compared keys at each path.
fn shape(value: &Value) -> (BTreeSet<KeyPath>, BTreeMap<KeyPath, BTreeSet<String>>) {
    fn walk(
        value: &Value,
        path: &mut KeyPath,
        paths: &mut BTreeSet<KeyPath>,
        values: &mut BTreeMap<KeyPath, BTreeSet<String>>,
    ) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    paths.insert(path.clone());
                    if COMPARED_VALUES.contains(&key.as_str()) && !child.is_object() {
                        let shown = match child {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        values.entry(path.clone()).or_default().insert(shown);
                    }
                    walk(child, path, paths, values);
                    path.pop();
                }
            }
            Value::Array(items) => {
                path.push("[]".into());
                for item in items {
                    walk(item, path, paths, values);
                }
                path.pop();
            }
            _ => {}
        }
    }
    let (mut paths, mut values) = (BTreeSet::new(), BTreeMap::new());
    walk(value, &mut Vec::new(), &mut paths, &mut values);
    (paths, values)
}

/// Paths in `a` not in `b`, leaving out those under a path already listed.
fn only_in(a: &BTreeSet<KeyPath>, b: &BTreeSet<KeyPath>) -> Vec<String> {
    let missing: BTreeSet<&KeyPath> = a.difference(b).collect();
    missing
        .iter()
        .filter(|p| !(1..p.len()).any(|n| missing.contains(&p[..n].to_vec())))
        .map(|p| render_path(p))
        .collect()
}

/// The differences between what Graph sent (`graph`) and what the stand-in sent.
fn body_differences(graph: &Value, standin: &Value) -> Vec<String> {
    let (graph_paths, graph_values) = shape(graph);
    let (standin_paths, standin_values) = shape(standin);
    let mut lines = Vec::new();
    let missing = only_in(&graph_paths, &standin_paths);
    if !missing.is_empty() {
        lines.push(format!(
            "Graph sends, the stand-in does not: {}",
            missing.join(", ")
        ));
    }
    let added = only_in(&standin_paths, &graph_paths);
    if !added.is_empty() {
        lines.push(format!(
            "the stand-in adds, Graph does not send: {}",
            added.join(", ")
        ));
    }
    for (path, values) in &graph_values {
        if let Some(theirs) = standin_values.get(path) {
            if values != theirs {
                let list = |v: &BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>().join(", ");
                lines.push(format!(
                    "{}: Graph {}, the stand-in {}",
                    render_path(path),
                    list(values),
                    list(theirs)
                ));
            }
        }
    }
    lines
}

/// `calls/{id}`, `calls/{id}/participants`, `calls/{id}/operations/{id}`: a notification's
/// resource without ids or the `/app` or `/communications` prefix.
fn resource_kind(item: &Value) -> String {
    let resource = item["resourceUrl"]
        .as_str()
        .or_else(|| item["resource"].as_str())
        .unwrap_or("?");
    let mut out = Vec::new();
    let mut segments = resource.split('/').skip_while(|s| *s != "calls").peekable();
    while let Some(segment) = segments.next() {
        out.push(segment.to_owned());
        if matches!(segment, "calls" | "operations" | "participants") && segments.peek().is_some() {
            segments.next();
            out.push("{id}".to_owned());
        }
    }
    if out.is_empty() {
        resource.to_owned()
    } else {
        out.join("/")
    }
}

fn item_state(item: &Value) -> String {
    crate::inbox::resource_data_in_words(item, true)
}

fn label(item: &Value) -> String {
    format!(
        "{} {} {}",
        item["changeType"].as_str().unwrap_or("?"),
        resource_kind(item),
        item_state(item)
    )
    .trim_end()
    .to_owned()
}

/// Pairs Graph's items with the stand-in's: first those alike in change type, resource and
/// state (in order), then the rest by resource alone.
fn pair(graph: &[Value], standin: &[Value]) -> Vec<(usize, Option<usize>)> {
    let mut taken = vec![false; standin.len()];
    let mut pairs: Vec<(usize, Option<usize>)> = (0..graph.len()).map(|i| (i, None)).collect();
    let strict = |v: &Value| {
        let roster = v["resourceData"].is_array();
        (
            v["changeType"].clone(),
            resource_kind(v),
            if roster { String::new() } else { item_state(v) },
        )
    };
    let loose = |v: &Value| resource_kind(v);
    for (i, g) in graph.iter().enumerate() {
        if let Some(j) = (0..standin.len()).find(|&j| !taken[j] && strict(&standin[j]) == strict(g))
        {
            taken[j] = true;
            pairs[i].1 = Some(j);
        }
    }
    for (i, g) in graph.iter().enumerate() {
        if pairs[i].1.is_some() {
            continue;
        }
        if let Some(j) = (0..standin.len()).find(|&j| !taken[j] && loose(&standin[j]) == loose(g)) {
            taken[j] = true;
            pairs[i].1 = Some(j);
        }
    }
    pairs
}

/// Compares a recording with its replay.
pub fn compare(file: PathBuf, recording: Recording, replay: Replay) -> FileDrift {
    let mut findings = Vec::new();
    let requests: Vec<&RecordedExchange> = recording
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Request)
        .collect();
    for (n, (graph, (status, text))) in requests.iter().zip(&replay.responses).enumerate() {
        let mut lines = Vec::new();
        if graph.status != *status {
            lines.push(format!(
                "status: Graph {}, the stand-in {status}",
                graph.status
            ));
        }
        if let Some(graph_text) = &graph.response_body {
            let parse = |t: &str| {
                if t.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(t).unwrap_or(Value::Null)
                }
            };
            lines.extend(body_differences(&parse(graph_text), &parse(text)));
        }
        if !lines.is_empty() {
            findings.push(Finding {
                subject: format!(
                    "response {} {} {}",
                    n + 1,
                    graph.method,
                    path_of(&graph.url)
                ),
                lines,
            });
        }
    }
    let graph_items: Vec<Value> = recording
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Notification)
        .flat_map(|e| {
            e.request_json()
                .and_then(|envelope| envelope["value"].as_array().cloned())
                .unwrap_or_default()
        })
        .collect();
    let standin_items = &replay.notifications;
    let pairs = pair(&graph_items, standin_items);
    for (i, j) in &pairs {
        let graph = &graph_items[*i];
        let subject = format!("notification {} {}", i + 1, label(graph));
        match j {
            None => findings.push(Finding {
                subject,
                lines: vec!["Graph sent it; the stand-in sends nothing like it".into()],
            }),
            Some(j) => {
                let mut lines = body_differences(graph, &standin_items[*j]);
                // A roster's size is part of what Graph said.
                if let (Value::Array(ours), Value::Array(theirs)) =
                    (&graph["resourceData"], &standin_items[*j]["resourceData"])
                {
                    if ours.len() != theirs.len() {
                        lines.push(format!(
                            "resourceData: Graph {}, the stand-in {}",
                            crate::inbox::resource_data_in_words(graph, true),
                            theirs.len()
                        ));
                    }
                }
                if !lines.is_empty() {
                    findings.push(Finding { subject, lines });
                }
            }
        }
    }
    let paired: BTreeSet<usize> = pairs.iter().filter_map(|(_, j)| *j).collect();
    for (j, item) in standin_items.iter().enumerate() {
        if !paired.contains(&j) {
            findings.push(Finding {
                subject: format!("stand-in notification {} {}", j + 1, label(item)),
                lines: vec!["the stand-in sends it; Graph sent nothing like it".into()],
            });
        }
    }
    // Order: the paired items, in Graph's order, must come in the same order from the stand-in.
    let order: Vec<(usize, usize)> = pairs
        .iter()
        .filter_map(|(i, j)| j.map(|j| (*i, j)))
        .collect();
    if order.windows(2).any(|w| w[0].1 > w[1].1) {
        let graph_order: Vec<String> = order.iter().map(|(i, _)| (i + 1).to_string()).collect();
        let mut by_standin = order.clone();
        by_standin.sort_by_key(|(_, j)| *j);
        let standin_order: Vec<String> = by_standin
            .iter()
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        findings.push(Finding {
            subject: "order".into(),
            lines: vec![format!(
                "Graph sent notifications {}; the stand-in sends them as {}",
                graph_order.join(", "),
                standin_order.join(", ")
            )],
        });
    }
    FileDrift {
        file,
        responses: requests.len(),
        notifications: graph_items.len(),
        recording,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_paths_name_the_topmost_missing_key() {
        let graph = json!({"resourceData": {"state": "established",
            "mediaState": {"audio": "active"}, "participants": [{"id": "a", "x": 1}]}});
        let standin = json!({"resourceData": {"state": "establishing", "extra": true,
            "participants": [{"id": "b"}]}});
        let lines = body_differences(&graph, &standin);
        assert_eq!(
            lines,
            vec![
                "Graph sends, the stand-in does not: resourceData.mediaState, resourceData.participants[].x",
                "the stand-in adds, Graph does not send: resourceData.extra",
                "resourceData.state: Graph established, the stand-in establishing",
            ]
        );
        assert!(body_differences(&graph, &graph).is_empty());
    }

    #[test]
    fn resources_lose_their_ids_and_prefix() {
        let item = |r: &str| json!({"resource": r});
        assert_eq!(resource_kind(&item("/app/calls/x-1")), "calls/{id}");
        assert_eq!(
            resource_kind(&item("/communications/calls/x/operations/y")),
            "calls/{id}/operations/{id}"
        );
        assert_eq!(
            resource_kind(&item("/communications/calls/x/participants")),
            "calls/{id}/participants"
        );
    }

    #[test]
    fn items_pair_by_kind_and_state_then_by_resource() {
        let n = |change: &str, state: &str| {
            json!({"changeType": change, "resourceUrl": "/communications/calls/c",
                   "resourceData": {"state": state}})
        };
        let graph = [
            n("updated", "establishing"),
            n("updated", "established"),
            n("deleted", "terminated"),
        ];
        let standin = [n("updated", "established"), n("updated", "establishing")];
        assert_eq!(
            pair(&graph, &standin),
            vec![(0, Some(1)), (1, Some(0)), (2, None)]
        );
        let other = [n("updated", "established"), n("updated", "established")];
        assert_eq!(
            pair(&graph, &other),
            vec![(0, Some(1)), (1, Some(0)), (2, None)]
        );
    }

    #[test]
    fn ids_map_from_responses_into_later_requests() {
        let mut ids = IdMap::default();
        ids.learn(
            &json!({"id": "recorded-call", "myParticipantId": "participant-1", "state": "establishing"}),
            &json!({"id": "replayed-call", "myParticipantId": "participant-2", "state": "establishing"}),
            "",
        );
        assert_eq!(
            ids.apply("/v1.0/communications/calls/recorded-call/playPrompt"),
            "/v1.0/communications/calls/replayed-call/playPrompt"
        );
        let mut body =
            json!({"callbackUri": "https://tunnel/cb", "participantId": "participant-1"});
        let callback = (
            Some("https://tunnel".to_owned()),
            "http://127.0.0.1:1/callback".to_owned(),
        );
        ids.apply_json(&mut body, &callback);
        assert_eq!(
            body,
            json!({"callbackUri": "http://127.0.0.1:1/callback", "participantId": "participant-2"})
        );
        // A callback elsewhere (the subject of the request) is sent as recorded.
        let mut other = json!({"callbackUri": "http://localhost:8080/callback"});
        ids.apply_json(&mut other, &callback);
        assert_eq!(other["callbackUri"], "http://localhost:8080/callback");
    }
}
