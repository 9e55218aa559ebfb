//! The admin API of a served stand-in (`callspec serve`), under `/_callspec/`: what a spec's
//! steps do to the stand-in, over HTTP, for a bot's own test suite in any language. Served only
//! when [`StandInConfig::admin`](super::StandInConfig) is set; specs' stand-ins do not expose it.
//!
//! | request | does |
//! | --- | --- |
//! | `GET /_callspec/info` | the Graph base URL, the app, the JWKS URL |
//! | `GET /_callspec/journal` | the API requests answered and the notifications sent |
//! | `POST /_callspec/script`, `GET /_callspec/script` | the other side of the next calls |
//! | `POST /_callspec/token` | an app-only access token the stand-in accepts |
//! | `POST /_callspec/calls/incoming` | someone calls the bot |
//! | `POST /_callspec/calls/{id}/remote` | the other side acts on a call |
//! | `POST /_callspec/reset` | forgets calls, journal, script and deliveries |
//!
//! Every refusal is a Graph error envelope. The journal never holds a token: headers are not
//! recorded, and anything shaped like a JWT in a body is replaced by `<redacted>`.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Map, Value};
use wiremock::Request;

use super::calls::AppIdentity;
use super::router::Reply;
use super::script::{Answer, Callee, Lobby, MeetingChange, RemoteScript};
use super::timeline::Timeline;
use super::{
    lock, AccessClaims, DeliveryQuirks, GraphError, RemoteAction, Shared, StandIn, MAX_BODY_BYTES,
};

/// Where the admin API lives.
pub const ADMIN_PREFIX: &str = "/_callspec";
/// How many API requests the journal keeps (the oldest go first).
const JOURNAL_CAPACITY: usize = 10_000;
/// How much of a body that is not JSON the journal keeps.
const TEXT_BODY_LIMIT: usize = 2048;
/// Lifetime of the tokens `POST /_callspec/token` hands out.
const TOKEN_LIFETIME_SECS: u64 = 3600;
/// The roles a token gets when the request names none: every calling permission.
const ALL_CALLING_ROLES: &[&str] = &[
    "Calls.Initiate.All",
    "Calls.InitiateGroupCall.All",
    "Calls.JoinGroupCall.All",
    "Calls.JoinGroupCallAsGuest.All",
    "Calls.AccessMedia.All",
];

/// Whether `path` is for the admin API (and this stand-in serves it).
pub(super) fn is_admin_path(shared: &Shared, path: &str) -> bool {
    shared.config.admin
        && path
            .strip_prefix(ADMIN_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

// ---------------------------------------------------------------------------------------------
// The journal

/// API requests the stand-in answered, oldest first.
#[derive(Debug, Default)]
pub(super) struct Journal {
    entries: VecDeque<JournalEntry>,
}

/// One API request and its answer. Never a header (so never the `Authorization` token).
#[derive(Debug, Clone)]
pub(super) struct JournalEntry {
    method: String,
    path: String,
    status: u16,
    request_body: Value,
    response_body: Value,
    /// Simulated time it was answered at.
    at: Duration,
}

impl JournalEntry {
    /// The request's part, before it is answered.
    pub(super) fn begin(shared: &Shared, request: &Request) -> Self {
        JournalEntry {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            status: 0,
            request_body: body_value(&request.body),
            response_body: Value::Null,
            at: lock(&shared.timeline).now(),
        }
    }

    pub(super) fn answered(&mut self, status: u16, body: Option<&Value>) {
        self.status = status;
        self.response_body = body.map(redacted).unwrap_or(Value::Null);
    }

    pub(super) fn record(self, shared: &Shared) {
        let mut journal = lock(&shared.journal);
        if journal.entries.len() >= JOURNAL_CAPACITY {
            journal.entries.pop_front();
        }
        journal.entries.push_back(self);
    }

    fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "requestBody": self.request_body,
            "responseBody": self.response_body,
            "at": millis(self.at),
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A request body as the journal keeps it: JSON as JSON, other text cut short, empty as null.
fn body_value(body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => redacted(&v),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.chars().take(TEXT_BODY_LIMIT).collect();
            Value::String(redact_text(&cut))
        }
    }
}

/// `value` with every JWT-shaped string replaced by `<redacted>`.
fn redacted(value: &Value) -> Value {
    match value {
        Value::String(s) if s.contains("eyJ") => Value::String(redact_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redacted(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn redact_text(text: &str) -> String {
    static JWT: OnceLock<regex::Regex> = OnceLock::new();
    let jwt = JWT.get_or_init(|| {
        regex::Regex::new(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?")
            .expect("a valid regex")
    });
    jwt.replace_all(text, "<redacted>").into_owned()
}

fn journal_json(shared: &Shared) -> Value {
    let requests: Vec<Value> = lock(&shared.journal)
        .entries
        .iter()
        .map(JournalEntry::to_json)
        .collect();
    let notifications: Vec<Value> = lock(&shared.deliveries)
        .iter()
        .map(|d| {
            let mut entry = json!({
                "callId": d.call_id,
                "at": millis(d.at),
                "sentTo": d.sent_to,
            });
            match &d.outcome {
                Ok(status) => entry["status"] = json!(status),
                Err(why) => entry["error"] = json!(why),
            }
            entry["body"] = redacted(&d.body);
            entry
        })
        .collect();
    json!({ "requests": requests, "notifications": notifications })
}

impl StandIn {
    /// What `GET /_callspec/journal` answers: `{"requests": [...], "notifications": [...]}`,
    /// the API requests answered (method, path, status, bodies, simulated `at` in ms) and the
    /// notification POSTs made. Never a token.
    pub fn journal(&self) -> Value {
        journal_json(&self.shared)
    }

    /// What `GET /_callspec/script` answers: the other side of the next calls and the delivery
    /// quirks, every field present (what `callspec run --record` keeps of a mock scenario).
    pub fn script_json(&self) -> Value {
        let script = lock(&self.shared.script).clone();
        let quirks = *lock(&self.shared.quirks);
        script_to_json(&script, &quirks)
    }
}

// ---------------------------------------------------------------------------------------------
// Routing

/// Answers an admin request.
pub(super) fn handle(shared: &Shared, request: &Request) -> Result<Reply, GraphError> {
    let path = request.url.path();
    let rest = path
        .strip_prefix(ADMIN_PREFIX)
        .unwrap_or_default()
        .trim_matches('/');
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", [] | ["info"]) => Ok(Reply::json(200, info(shared))),
        ("GET", ["journal"]) => Ok(Reply::json(200, journal_json(shared))),
        ("GET", ["script"]) => {
            let script = lock(&shared.script).clone();
            let quirks = *lock(&shared.quirks);
            Ok(Reply::json(200, script_to_json(&script, &quirks)))
        }
        ("POST", ["script"]) => {
            let body = json_body(request)?;
            let (script, delivery) = script_from_json(&body, shared.config.answer_delay)?;
            *lock(&shared.script) = script.clone();
            let mut quirks = lock(&shared.quirks);
            quirks.out_of_order = delivery.out_of_order;
            quirks.duplicate = delivery.duplicate;
            Ok(Reply::json(200, script_to_json(&script, &quirks)))
        }
        ("POST", ["token"]) => token(shared, &json_body(request)?),
        ("POST", ["calls", "incoming"]) => incoming(shared, &json_body(request)?),
        ("POST", ["calls", id, "remote"]) => remote(shared, id, &json_body(request)?),
        ("POST", ["reset"]) => {
            reset(shared);
            Ok(Reply::empty(204))
        }
        (method, _) => Err(GraphError::new(
            404,
            "itemNotFound",
            format!(
                "There is no admin endpoint {method} {path}. There are: GET {ADMIN_PREFIX}/info, \
                 GET {ADMIN_PREFIX}/journal, GET and POST {ADMIN_PREFIX}/script, \
                 POST {ADMIN_PREFIX}/token, POST {ADMIN_PREFIX}/calls/incoming, \
                 POST {ADMIN_PREFIX}/calls/{{id}}/remote, POST {ADMIN_PREFIX}/reset."
            ),
        )),
    }
}

/// The body as JSON; an empty body is `{}`.
fn json_body(request: &Request) -> Result<Value, GraphError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(GraphError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(&request.body)
        .map_err(|e| GraphError::bad_request(format!("Invalid JSON in the request body: {e}.")))?;
    if !value.is_object() {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    Ok(value)
}

/// Refuses fields of `object` (at `path`, "" for the top) not in `allowed`.
fn only_fields(
    object: &Map<String, Value>,
    path: &str,
    allowed: &[&str],
) -> Result<(), GraphError> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(GraphError::bad_request(format!(
            "Unknown field '{}'; expected {}.",
            join_path(path, unknown),
            allowed.join(", ")
        ))),
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, GraphError> {
    value
        .as_object()
        .ok_or_else(|| GraphError::bad_request(format!("'{path}' must be an object.")))
}

fn string<'v>(value: &'v Value, path: &str) -> Result<&'v str, GraphError> {
    value
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| GraphError::bad_request(format!("'{path}' must be a non-empty string.")))
}

fn boolean(value: &Value, path: &str) -> Result<bool, GraphError> {
    value
        .as_bool()
        .ok_or_else(|| GraphError::bad_request(format!("'{path}' must be true or false.")))
}

fn seconds(value: &Value, path: &str) -> Result<Duration, GraphError> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            GraphError::bad_request(format!("'{path}' must be a number of seconds, 0 or more."))
        })
}

fn seconds_json(d: Duration) -> Value {
    if d.subsec_nanos() == 0 {
        json!(d.as_secs())
    } else {
        json!(d.as_secs_f64())
    }
}

fn info(shared: &Shared) -> Value {
    let app = &shared.config.app;
    json!({
        "graph": shared.base_url,
        "appId": app.app_id,
        "tenantId": app.tenant_id,
        "appDisplayName": app.display_name,
        "openidConfiguration": format!("{}/v1/.well-known/openidconfiguration", shared.base_url),
        "jwksUri": format!("{}/v1/.well-known/keys", shared.base_url),
    })
}

// ---------------------------------------------------------------------------------------------
// The script

/// Answers a script's `answer` may give, besides `{"afterSeconds": n}`.
const ANSWERS: &[&str] = &[
    "answers",
    "declines",
    "busy",
    "no-answer",
    "not-found",
    "unreachable",
];

/// The delivery part of a script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DeliveryScript {
    out_of_order: bool,
    duplicate: bool,
}

/// Reads a script in the admin API's shape; what it leaves out is the default (everyone
/// answers after the answer delay, the lobby waits, transfers are accepted, in-order delivery).
fn script_from_json(
    value: &Value,
    answer_delay: Duration,
) -> Result<(RemoteScript, DeliveryScript), GraphError> {
    let top = object(value, "script")?;
    only_fields(
        top,
        "",
        &[
            "callee",
            "parties",
            "lobby",
            "meeting",
            "transferAccepted",
            "delivery",
        ],
    )?;
    let mut script = RemoteScript::new(answer_delay);
    if let Some(callee) = top.get("callee") {
        script.callee = callee_from_json(callee, "callee", script.callee, answer_delay)?;
    }
    if let Some(parties) = top.get("parties") {
        for (name, party) in object(parties, "parties")? {
            let path = join_path("parties", name);
            let callee = callee_from_json(party, &path, script.callee, answer_delay)?;
            script.named.push((name.clone(), callee));
        }
    }
    if let Some(lobby) = top.get("lobby") {
        script.lobby = lobby_from_json(lobby)?;
    }
    if let Some(meeting) = top.get("meeting") {
        let changes = meeting
            .as_array()
            .ok_or_else(|| GraphError::bad_request("'meeting' must be a list."))?;
        for (i, change) in changes.iter().enumerate() {
            let path = format!("meeting[{i}]");
            let fields = object(change, &path)?;
            only_fields(fields, &path, &["who", "joins", "atSeconds"])?;
            let who = string(
                fields.get("who").unwrap_or(&Value::Null),
                &format!("{path}.who"),
            )?;
            let joins = match fields.get("joins") {
                Some(v) => boolean(v, &format!("{path}.joins"))?,
                None => true,
            };
            let at = match fields.get("atSeconds") {
                Some(v) => seconds(v, &format!("{path}.atSeconds"))?,
                None => Duration::ZERO,
            };
            script.meeting.push(MeetingChange {
                at,
                who: who.to_owned(),
                joins,
            });
        }
    }
    if let Some(accepted) = top.get("transferAccepted") {
        script.transfer_accepted = boolean(accepted, "transferAccepted")?;
    }
    let mut delivery = DeliveryScript::default();
    if let Some(d) = top.get("delivery") {
        let fields = object(d, "delivery")?;
        only_fields(fields, "delivery", &["outOfOrder", "duplicate"])?;
        if let Some(v) = fields.get("outOfOrder") {
            delivery.out_of_order = boolean(v, "delivery.outOfOrder")?;
        }
        if let Some(v) = fields.get("duplicate") {
            delivery.duplicate = boolean(v, "delivery.duplicate")?;
        }
    }
    Ok((script, delivery))
}

/// A party's script; what it leaves out comes from `base` (the default callee).
fn callee_from_json(
    value: &Value,
    path: &str,
    base: Callee,
    answer_delay: Duration,
) -> Result<Callee, GraphError> {
    let fields = object(value, path)?;
    only_fields(fields, path, &["answer", "hangsUpAfterSeconds"])?;
    let mut callee = base;
    if let Some(answer) = fields.get("answer") {
        let answer_path = join_path(path, "answer");
        callee.answer = match answer {
            Value::String(s) => match s.as_str() {
                "answers" => Answer::After(answer_delay),
                "declines" => Answer::Declines,
                "busy" => Answer::IsBusy,
                "no-answer" => Answer::DoesNotAnswer,
                "not-found" => Answer::CannotBeFound,
                "unreachable" => Answer::CannotBeReached,
                other => {
                    return Err(GraphError::bad_request(format!(
                    "'{answer_path}' is '{other}'; expected one of {}, or {{\"afterSeconds\": n}}.",
                    ANSWERS.join(", ")
                )))
                }
            },
            Value::Object(after) => {
                only_fields(after, &answer_path, &["afterSeconds"])?;
                let secs = after.get("afterSeconds").ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "'{answer_path}' needs 'afterSeconds' when it is an object."
                    ))
                })?;
                Answer::After(seconds(secs, &join_path(&answer_path, "afterSeconds"))?)
            }
            _ => {
                return Err(GraphError::bad_request(format!(
                    "'{answer_path}' must be one of {}, or {{\"afterSeconds\": n}}.",
                    ANSWERS.join(", ")
                )))
            }
        };
    }
    if let Some(hang_up) = fields.get("hangsUpAfterSeconds") {
        callee.hangs_up_after = match hang_up {
            Value::Null => None,
            v => Some(seconds(v, &join_path(path, "hangsUpAfterSeconds"))?),
        };
    }
    Ok(callee)
}

fn lobby_from_json(value: &Value) -> Result<Lobby, GraphError> {
    let expected =
        "'lobby' must be \"waits\", {\"admitsAfterSeconds\": n} or {\"deniesAfterSeconds\": n}.";
    match value {
        Value::String(s) if s == "waits" => Ok(Lobby::Waits),
        Value::Object(fields) => {
            only_fields(
                fields,
                "lobby",
                &["admitsAfterSeconds", "deniesAfterSeconds"],
            )?;
            match (
                fields.get("admitsAfterSeconds"),
                fields.get("deniesAfterSeconds"),
            ) {
                (Some(v), None) => Ok(Lobby::AdmitsAfter(seconds(v, "lobby.admitsAfterSeconds")?)),
                (None, Some(v)) => Ok(Lobby::DeniesAfter(seconds(v, "lobby.deniesAfterSeconds")?)),
                _ => Err(GraphError::bad_request(expected)),
            }
        }
        _ => Err(GraphError::bad_request(expected)),
    }
}

fn callee_to_json(callee: &Callee) -> Value {
    let answer = match callee.answer {
        Answer::After(d) => json!({ "afterSeconds": seconds_json(d) }),
        Answer::Declines => json!("declines"),
        Answer::IsBusy => json!("busy"),
        Answer::DoesNotAnswer => json!("no-answer"),
        Answer::CannotBeFound => json!("not-found"),
        Answer::CannotBeReached => json!("unreachable"),
    };
    json!({
        "answer": answer,
        "hangsUpAfterSeconds": callee.hangs_up_after.map(seconds_json),
    })
}

/// The script in the admin API's shape, every field present.
fn script_to_json(script: &RemoteScript, quirks: &DeliveryQuirks) -> Value {
    let parties: Map<String, Value> = script
        .named
        .iter()
        .map(|(name, callee)| (name.clone(), callee_to_json(callee)))
        .collect();
    let lobby = match script.lobby {
        Lobby::Waits => json!("waits"),
        Lobby::AdmitsAfter(d) => json!({ "admitsAfterSeconds": seconds_json(d) }),
        Lobby::DeniesAfter(d) => json!({ "deniesAfterSeconds": seconds_json(d) }),
    };
    let meeting: Vec<Value> = script
        .meeting
        .iter()
        .map(|m| json!({ "who": m.who, "joins": m.joins, "atSeconds": seconds_json(m.at) }))
        .collect();
    json!({
        "callee": callee_to_json(&script.callee),
        "parties": parties,
        "lobby": lobby,
        "meeting": meeting,
        "transferAccepted": script.transfer_accepted,
        "delivery": { "outOfOrder": quirks.out_of_order, "duplicate": quirks.duplicate },
    })
}

// ---------------------------------------------------------------------------------------------
// Tokens, calls, reset

fn token(shared: &Shared, body: &Value) -> Result<Reply, GraphError> {
    let fields = object(body, "body")?;
    only_fields(fields, "", &["appId", "tenantId", "roles"])?;
    let mut app: AppIdentity = shared.config.app.clone();
    if let Some(id) = fields.get("appId") {
        app.app_id = string(id, "appId")?.to_owned();
    }
    if let Some(id) = fields.get("tenantId") {
        app.tenant_id = string(id, "tenantId")?.to_owned();
    }
    let roles: Vec<String> = match fields.get("roles") {
        None | Some(Value::Null) => ALL_CALLING_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        Some(Value::Array(roles)) => roles
            .iter()
            .enumerate()
            .map(|(i, r)| string(r, &format!("roles[{i}]")).map(str::to_owned))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(GraphError::bad_request(
                "'roles' must be a list of role names.",
            ))
        }
    };
    let token = AccessClaims::app_only(&app, &roles).token(shared.key);
    Ok(Reply::json(
        200,
        json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
        }),
    ))
}

/// The identity set of a caller: a phone number (`+...`), a Teams user by name, or an identity
/// set as given.
fn caller_identity(caller: &Value) -> Result<Value, GraphError> {
    match caller {
        Value::String(s) if s.starts_with('+') => Ok(json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "phone": { "@odata.type": "#microsoft.graph.identity", "id": s },
        })),
        Value::String(s) if !s.trim().is_empty() => Ok(json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "user": {
                "@odata.type": "#microsoft.graph.identity",
                "displayName": s,
                "id": uuid::Uuid::new_v4().to_string(),
            },
        })),
        Value::Object(_) => Ok(caller.clone()),
        _ => Err(GraphError::bad_request(
            "'caller' must be a name, a phone number (+12345678901) or an identity set.",
        )),
    }
}

/// Checks a callback URL the way a create does: https, or http on loopback when allowed.
fn check_callback(shared: &Shared, uri: &str) -> Result<(), GraphError> {
    let url = url::Url::parse(uri).map_err(|_| {
        GraphError::bad_request(format!("callbackUri '{uri}' is not an absolute URL."))
    })?;
    let allowed = match url.scheme() {
        "https" => true,
        "http" => {
            shared.config.callback_policy == super::CallbackPolicy::AllowLoopbackHttp
                && super::is_loopback(&url)
        }
        _ => false,
    };
    if !allowed {
        return Err(GraphError::bad_request(format!(
            "callbackUri '{uri}' must be https (http only on loopback)."
        )));
    }
    Ok(())
}

fn incoming(shared: &Shared, body: &Value) -> Result<Reply, GraphError> {
    let fields = object(body, "body")?;
    only_fields(fields, "", &["caller", "callbackUri"])?;
    let caller = caller_identity(fields.get("caller").unwrap_or(&Value::Null))?;
    let callback_uri = string(
        fields.get("callbackUri").unwrap_or(&Value::Null),
        "callbackUri",
    )?;
    check_callback(shared, callback_uri)?;
    let call = shared.incoming_call(caller, callback_uri, &shared.config.app);
    let location = format!(
        "{}/v1.0/communications/calls/{}",
        shared.base_url,
        call["id"].as_str().unwrap_or_default()
    );
    Ok(Reply::json(201, call).with_header("Location", location))
}

const ACTIONS: &str = "pressesKey (with key), hangsUp, joins (with who), leaves (with who)";

fn remote(shared: &Shared, call_id: &str, body: &Value) -> Result<Reply, GraphError> {
    let fields = object(body, "body")?;
    only_fields(fields, "", &["action", "key", "who", "afterSeconds"])?;
    let action_name = string(fields.get("action").unwrap_or(&Value::Null), "action")?;
    let field = |name: &str| string(fields.get(name).unwrap_or(&Value::Null), name);
    let action = match action_name {
        "pressesKey" => RemoteAction::PressesKey(field("key")?.to_owned()),
        "hangsUp" => RemoteAction::HangsUp,
        "joins" => RemoteAction::Joins(field("who")?.to_owned()),
        "leaves" => RemoteAction::Leaves(field("who")?.to_owned()),
        other => {
            return Err(GraphError::bad_request(format!(
                "'action' is '{other}'; expected one of {ACTIONS}."
            )))
        }
    };
    let after = match fields.get("afterSeconds") {
        Some(v) => seconds(v, "afterSeconds")?,
        None => Duration::ZERO,
    };
    shared.remote(call_id, after, action)?;
    Ok(Reply::json(
        202,
        json!({
            "callId": call_id,
            "action": action_name,
            "afterSeconds": seconds_json(after),
        }),
    ))
}

/// Forgets calls, scheduled events, the journal, deliveries, the script, delivery quirks and
/// injected faults. The simulated clock keeps running.
fn reset(shared: &Shared) {
    let mut registry = lock(&shared.registry);
    *registry = Default::default();
    {
        let mut timeline = lock(&shared.timeline);
        let now = timeline.now();
        *timeline = Timeline::default();
        timeline.advance_to(now);
    }
    drop(registry);
    *lock(&shared.held) = None;
    *lock(&shared.script) = RemoteScript::new(shared.config.answer_delay);
    *lock(&shared.quirks) = DeliveryQuirks::default();
    *lock(&shared.faults) = Default::default();
    {
        let mut deliveries = lock(&shared.deliveries);
        shared
            .epoch
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        deliveries.clear();
    }
    lock(&shared.journal).entries.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<(RemoteScript, DeliveryScript), GraphError> {
        script_from_json(&v, Duration::from_secs(1))
    }

    #[test]
    fn a_script_reads_every_documented_field_and_round_trips() {
        let (script, delivery) = parse(json!({
            "callee": {"answer": {"afterSeconds": 2}, "hangsUpAfterSeconds": 10},
            "parties": {"user2": {"answer": "busy"}, "Bob": {"answer": "no-answer"}},
            "lobby": {"admitsAfterSeconds": 5},
            "meeting": [{"who": "Alice", "joins": true, "atSeconds": 3.5}],
            "transferAccepted": false,
            "delivery": {"outOfOrder": true, "duplicate": false},
        }))
        .unwrap();
        assert_eq!(script.callee.answer, Answer::After(Duration::from_secs(2)));
        let user2 = script.callee_named(&["user2"]);
        assert_eq!(user2.answer, Answer::IsBusy);
        assert_eq!(
            user2.hangs_up_after,
            Some(Duration::from_secs(10)),
            "a party keeps the default callee's other settings"
        );
        assert_eq!(script.lobby, Lobby::AdmitsAfter(Duration::from_secs(5)));
        assert_eq!(script.meeting[0].at, Duration::from_millis(3500));
        assert!(!script.transfer_accepted);
        assert!(delivery.out_of_order && !delivery.duplicate);

        let quirks = DeliveryQuirks {
            out_of_order: true,
            ..Default::default()
        };
        let shown = script_to_json(&script, &quirks);
        assert_eq!(shown["callee"]["answer"], json!({"afterSeconds": 2}));
        assert_eq!(shown["parties"]["Bob"]["answer"], "no-answer");
        assert_eq!(shown["meeting"][0]["atSeconds"], 3.5);
        let (again, again_delivery) = parse(shown.clone()).unwrap();
        assert_eq!(script_to_json(&again, &quirks), shown);
        assert_eq!(again_delivery, delivery);
    }

    #[test]
    fn an_empty_script_is_the_default_one() {
        let (script, delivery) = parse(json!({})).unwrap();
        let default = RemoteScript::new(Duration::from_secs(1));
        assert_eq!(script.callee, default.callee);
        assert_eq!(script.lobby, Lobby::Waits);
        assert!(script.transfer_accepted && script.named.is_empty());
        assert_eq!(delivery, DeliveryScript::default());
        let (script, _) =
            parse(json!({"lobby": "waits", "callee": {"answer": "answers"}})).unwrap();
        assert_eq!(script.callee, default.callee);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let message = |v: Value| {
            let e = parse(v).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "BadRequest"));
            e.message
        };
        assert!(message(json!({"calee": {}})).contains("'calee'"));
        assert!(message(json!({"callee": {"answr": "busy"}})).contains("'callee.answr'"));
        assert!(
            message(json!({"parties": {"x": {"answer": "maybe"}}})).contains("parties.x.answer")
        );
        assert!(message(json!({"delivery": {"late": true}})).contains("'delivery.late'"));
        assert!(message(json!({"meeting": [{"who": "A", "when": 1}]})).contains("meeting[0].when"));
        assert!(message(json!({"meeting": [{"joins": true}]})).contains("meeting[0].who"));
        assert!(message(json!({"lobby": {"admitsAfterSeconds": -1}}))
            .contains("lobby.admitsAfterSeconds"));
        assert!(message(json!({"lobby": "opens"})).contains("lobby"));
        assert!(message(json!({"transferAccepted": "no"})).contains("transferAccepted"));
        assert!(message(json!([])).contains("script"));
    }

    #[test]
    fn jwts_never_reach_the_journal() {
        let body =
            json!({"a": ["Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", 3], "b": "eyJ"});
        let shown = redacted(&body).to_string();
        assert!(!shown.contains("eyJhbGci"), "{shown}");
        assert!(shown.contains("Bearer <redacted>"));
        assert_eq!(body_value(b""), Value::Null);
        assert_eq!(body_value(b"x=eyJa.b.c"), json!("x=<redacted>"));
        assert_eq!(body_value(br#"{"k": 1}"#), json!({"k": 1}));
    }

    #[test]
    fn callers_are_phone_numbers_names_or_identity_sets() {
        let phone = caller_identity(&json!("+12345678901")).unwrap();
        assert_eq!(phone["phone"]["id"], "+12345678901");
        let user = caller_identity(&json!("John")).unwrap();
        assert_eq!(user["user"]["displayName"], "John");
        let set = json!({"user": {"id": "u"}});
        assert_eq!(caller_identity(&set).unwrap(), set);
        assert!(caller_identity(&json!(5)).is_err());
    }
}
