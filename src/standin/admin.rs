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

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::hosting::Request;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::calls::{AppIdentity, ALL_CALLING_ROLES};
use super::journal;
pub(super) use super::journal::JournalEntry;
use super::reply::Reply;
use super::script::{Answer, Callee, Lobby, MeetingChange, RemoteScript};
use super::timeline::{Timeline, MAX_DURATION};
use super::{
    AccessClaims, DeliveryQuirks, GraphError, RemoteAction, Shared, StandIn, MAX_BODY_BYTES,
};

/// Where the admin API lives.
pub const ADMIN_PREFIX: &str = "/_callspec";
/// Lifetime of the tokens `POST /_callspec/token` hands out.
const TOKEN_LIFETIME_SECS: u64 = 3600;

/// Whether `path` is for the admin API (and this stand-in serves it).
pub(super) fn is_admin_path(shared: &Shared, path: &str) -> bool {
    shared.config.admin
        && path
            .strip_prefix(ADMIN_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl StandIn {
    /// What `GET /_callspec/journal` answers: `{"requests": [...], "notifications": [...],
    /// "next": null}`, the API requests answered (method, path, status, bodies, simulated `at`
    /// in ms) and the notification POSTs made, oldest first, the first page. Never a token.
    pub fn journal(&self) -> Value {
        journal::page(&self.shared, 0, journal::MAX_PAGE)
    }

    /// What `GET /_callspec/script` answers: the other side of the next calls and the delivery
    /// quirks, every field present (what `callspec run --record` keeps of a mock scenario).
    pub fn script_json(&self) -> Value {
        let state = self.shared.lock();
        script_to_json(&state.script, &state.quirks)
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
        ("GET", ["journal"]) => {
            let (after, limit) = page_query(request)?;
            Ok(Reply::json(200, journal::page(shared, after, limit)))
        }
        ("GET", ["script"]) => {
            let state = shared.lock();
            Ok(Reply::json(
                200,
                script_to_json(&state.script, &state.quirks),
            ))
        }
        ("POST", ["script"]) => {
            let body: ScriptBody = parse_body(request)?;
            let (script, delivery) = body.into_script(shared.config.answer_delay);
            let mut state = shared.lock();
            state.script = script;
            let quirks = &mut state.quirks;
            quirks.out_of_order = delivery.out_of_order;
            quirks.duplicate = delivery.duplicate;
            Ok(Reply::json(
                200,
                script_to_json(&state.script, &state.quirks),
            ))
        }
        ("POST", ["token"]) => token(shared, parse_body(request)?),
        ("POST", ["calls", "incoming"]) => incoming(shared, parse_body(request)?),
        ("POST", ["calls", id, "remote"]) => remote(shared, id, parse_body(request)?),
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

/// `?after=SEQ&limit=N` of a journal request: entries numbered after SEQ (default 0, the
/// oldest kept), at most N (default and at most [`journal::MAX_PAGE`]).
fn page_query(request: &Request) -> Result<(u64, usize), GraphError> {
    let (mut after, mut limit) = (0, journal::MAX_PAGE);
    for (key, value) in request.url.query_pairs() {
        let bad = |what: &str| {
            GraphError::bad_request(format!(
                "Query parameter '{key}' must be {what}; the journal pages with \
                 ?after=<seq>&limit=<1..={}>.",
                journal::MAX_PAGE
            ))
        };
        match key.as_ref() {
            "after" => after = value.parse().map_err(|_| bad("a whole number"))?,
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=journal::MAX_PAGE).contains(n))
                    .ok_or_else(|| bad(&format!("from 1 to {}", journal::MAX_PAGE)))?
            }
            _ => return Err(bad("one of after, limit")),
        }
    }
    Ok((after, limit))
}

/// The body read into `T` (an empty body is `{}`); a refusal names the field at fault by its
/// JSON path (`callee.answer.afterSeconds`), with a "did you mean" for a misspelt one.
fn parse_body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, GraphError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(GraphError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    let body: &[u8] = if request.body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &request.body
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| GraphError::bad_request(format!("Invalid JSON in the request body: {e}.")))?;
    if !value.is_object() {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| GraphError::bad_request(field_error(&e)))
}

/// A serde refusal as a sentence naming the JSON path of the field at fault.
fn field_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = e.inner().to_string();
    // serde_json adds "at line 1 column 9": the body was re-read from a value, so it means nothing.
    let inner = inner.split(" at line ").next().unwrap_or_default();
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let best = expected
            .iter()
            .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        // The path ends at the unknown key itself.
        let suggestion = best
            .map(|(_, c)| format!(" Did you mean '{}'?", join_path(parent(&path, name), c)))
            .unwrap_or_default();
        return format!(
            "Unknown field '{path}'; expected {}.{suggestion}",
            expected.join(", ")
        );
    }
    if let Some(rest) = inner.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return format!("'{}' is required.", join_path(&path, name));
    }
    let what = if path.is_empty() { "The body" } else { &path };
    format!("'{what}': {inner}.")
}

/// `path` without its last segment `name` (`callee.answr` → `callee`).
fn parent<'p>(path: &'p str, name: &str) -> &'p str {
    path.strip_suffix(name)
        .map(|p| p.trim_end_matches('.'))
        .unwrap_or(path)
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A number of seconds: 0 or more, finite, at most [`MAX_DURATION`] (a larger one would
/// overflow the simulated clock when added to others).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seconds(Duration);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let max = MAX_DURATION.as_secs();
        let expected = || format!("a number of seconds from 0 to {max} (365 days)");
        let secs = f64::deserialize(deserializer)
            .map_err(|_| de::Error::custom(format!("must be {}", expected())))?;
        if !(secs.is_finite() && (0.0..=max as f64).contains(&secs)) {
            return Err(de::Error::custom(format!(
                "must be {}, not {secs}",
                expected()
            )));
        }
        Duration::try_from_secs_f64(secs)
            .map(Seconds)
            .map_err(|_| de::Error::custom(format!("must be {}", expected())))
    }
}

/// A string with something in it.
#[derive(Debug, Clone)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde's own error for a missing field or a wrong type passes through: it names them.
        let s = String::deserialize(deserializer)?;
        if s.trim().is_empty() {
            return Err(de::Error::custom("must be a non-empty string"));
        }
        Ok(Text(s))
    }
}

/// Present and `null` (`Some(None)`) differs from absent (`None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
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

/// A script as `POST /_callspec/script` takes it: every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScriptBody {
    callee: Option<CalleeBody>,
    #[serde(default)]
    parties: BTreeMap<String, CalleeBody>,
    lobby: Option<LobbyBody>,
    #[serde(default)]
    meeting: Vec<MeetingBody>,
    transfer_accepted: Option<bool>,
    #[serde(default)]
    delivery: DeliveryScript,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CalleeBody {
    answer: Option<AnswerBody>,
    #[serde(default, deserialize_with = "nullable")]
    hangs_up_after_seconds: Option<Option<Seconds>>,
}

/// `"declines"` and the other names, or `{"afterSeconds": n}` (`"answers"` is after the
/// stand-in's answer delay).
#[derive(Debug)]
enum AnswerBody {
    Named(Answer),
    Default,
    After(Seconds),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AfterBody {
    after_seconds: Seconds,
}

impl<'de> Deserialize<'de> for AnswerBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnswerVisitor;
        impl<'de> Visitor<'de> for AnswerVisitor {
            type Value = AnswerBody;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "one of {}, or {{\"afterSeconds\": n}}",
                    ANSWERS.join(", ")
                )
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<AnswerBody, E> {
                Ok(match name {
                    "answers" => AnswerBody::Default,
                    "declines" => AnswerBody::Named(Answer::Declines),
                    "busy" => AnswerBody::Named(Answer::IsBusy),
                    "no-answer" => AnswerBody::Named(Answer::DoesNotAnswer),
                    "not-found" => AnswerBody::Named(Answer::CannotBeFound),
                    "unreachable" => AnswerBody::Named(Answer::CannotBeReached),
                    other => return Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                })
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<AnswerBody, M::Error> {
                let after = AfterBody::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(AnswerBody::After(after.after_seconds))
            }
        }
        deserializer.deserialize_any(AnswerVisitor)
    }
}

/// `"waits"`, `{"admitsAfterSeconds": n}` or `{"deniesAfterSeconds": n}`.
#[derive(Debug)]
struct LobbyBody(Lobby);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum LobbyAfter {
    AdmitsAfterSeconds(Seconds),
    DeniesAfterSeconds(Seconds),
}

impl<'de> Deserialize<'de> for LobbyBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LobbyVisitor;
        impl<'de> Visitor<'de> for LobbyVisitor {
            type Value = LobbyBody;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"waits\", {\"admitsAfterSeconds\": n} or {\"deniesAfterSeconds\": n}")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<LobbyBody, E> {
                match name {
                    "waits" => Ok(LobbyBody(Lobby::Waits)),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<LobbyBody, M::Error> {
                // An externally tagged enum: exactly one of the two keys.
                let after = LobbyAfter::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(LobbyBody(match after {
                    LobbyAfter::AdmitsAfterSeconds(s) => Lobby::AdmitsAfter(s.0),
                    LobbyAfter::DeniesAfterSeconds(s) => Lobby::DeniesAfter(s.0),
                }))
            }
        }
        deserializer.deserialize_any(LobbyVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MeetingBody {
    who: Text,
    joins: Option<bool>,
    at_seconds: Option<Seconds>,
}

/// The delivery part of a script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeliveryScript {
    #[serde(default)]
    out_of_order: bool,
    #[serde(default)]
    duplicate: bool,
}

impl CalleeBody {
    /// This party's script; what it leaves out comes from `base` (the default callee).
    fn apply(self, base: Callee, answer_delay: Duration) -> Callee {
        let mut callee = base;
        match self.answer {
            Some(AnswerBody::Named(answer)) => callee.answer = answer,
            Some(AnswerBody::Default) => callee.answer = Answer::After(answer_delay),
            Some(AnswerBody::After(s)) => callee.answer = Answer::After(s.0),
            None => {}
        }
        if let Some(hang_up) = self.hangs_up_after_seconds {
            callee.hangs_up_after = hang_up.map(|s| s.0);
        }
        callee
    }
}

impl ScriptBody {
    /// The script; what it leaves out is the default (everyone answers after the answer delay,
    /// the lobby waits, transfers are accepted, in-order delivery).
    fn into_script(self, answer_delay: Duration) -> (RemoteScript, DeliveryScript) {
        let mut script = RemoteScript::new(answer_delay);
        if let Some(callee) = self.callee {
            script.callee = callee.apply(script.callee, answer_delay);
        }
        for (name, party) in self.parties {
            let callee = party.apply(script.callee, answer_delay);
            script.named.push((name, callee));
        }
        if let Some(LobbyBody(lobby)) = self.lobby {
            script.lobby = lobby;
        }
        script.meeting = self
            .meeting
            .into_iter()
            .map(|m| MeetingChange {
                at: m.at_seconds.map_or(Duration::ZERO, |s| s.0),
                who: m.who.0,
                joins: m.joins.unwrap_or(true),
            })
            .collect();
        if let Some(accepted) = self.transfer_accepted {
            script.transfer_accepted = accepted;
        }
        (script, self.delivery)
    }
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TokenBody {
    app_id: Option<Text>,
    tenant_id: Option<Text>,
    roles: Option<Vec<Text>>,
}

fn token(shared: &Shared, body: TokenBody) -> Result<Reply, GraphError> {
    let mut app: AppIdentity = shared.config.app.clone();
    if let Some(Text(id)) = body.app_id {
        app.app_id = id;
    }
    if let Some(Text(id)) = body.tenant_id {
        app.tenant_id = id;
    }
    let roles: Vec<String> = match body.roles {
        None => ALL_CALLING_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        Some(roles) => roles.into_iter().map(|Text(r)| r).collect(),
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IncomingBody {
    caller: Value,
    callback_uri: Text,
}

fn incoming(shared: &Shared, body: IncomingBody) -> Result<Reply, GraphError> {
    let caller = caller_identity(&body.caller)?;
    let callback_uri = body.callback_uri.0;
    check_callback(shared, &callback_uri)?;
    let call = shared.incoming_call(caller, &callback_uri, &shared.config.app);
    let location = format!(
        "{}/v1.0/communications/calls/{}",
        shared.base_url,
        call["id"].as_str().unwrap_or_default()
    );
    Ok(Reply::json(201, call).with_header("Location", location))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ActionName {
    PressesKey,
    HangsUp,
    Joins,
    Leaves,
    /// The other side speaks for `forSeconds` (what a recordResponse hears).
    Speaks,
    StaysSilent,
    /// `who` shares their screen (a content sharing session starts).
    SharesScreen,
    /// `who` stops sharing their screen (their content sharing session ends).
    StopsSharingScreen,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RemoteBody {
    action: ActionName,
    key: Option<Text>,
    who: Option<Text>,
    after_seconds: Option<Seconds>,
    for_seconds: Option<Seconds>,
}

fn remote(shared: &Shared, call_id: &str, body: RemoteBody) -> Result<Reply, GraphError> {
    let needs = |field: Option<Text>, name: &str, action: &str| {
        field.map(|t| t.0).ok_or_else(|| {
            GraphError::bad_request(format!("'{name}' is required for the action '{action}'."))
        })
    };
    let (action, action_name) = match body.action {
        ActionName::PressesKey => (
            RemoteAction::PressesKey(needs(body.key, "key", "pressesKey")?),
            "pressesKey",
        ),
        ActionName::HangsUp => (RemoteAction::HangsUp, "hangsUp"),
        ActionName::Joins => (
            RemoteAction::Joins(needs(body.who, "who", "joins")?),
            "joins",
        ),
        ActionName::Leaves => (
            RemoteAction::Leaves(needs(body.who, "who", "leaves")?),
            "leaves",
        ),
        ActionName::Speaks => (
            RemoteAction::Speaks(body.for_seconds.map(|s| s.0).ok_or_else(|| {
                GraphError::bad_request("'forSeconds' is required for the action 'speaks'.")
            })?),
            "speaks",
        ),
        ActionName::StaysSilent => (RemoteAction::StaysSilent, "staysSilent"),
        ActionName::SharesScreen => (
            RemoteAction::SharesScreen(needs(body.who, "who", "sharesScreen")?),
            "sharesScreen",
        ),
        ActionName::StopsSharingScreen => (
            RemoteAction::StopsSharingScreen(needs(body.who, "who", "stopsSharingScreen")?),
            "stopsSharingScreen",
        ),
    };
    let after = body.after_seconds.map_or(Duration::ZERO, |s| s.0);
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
    // Fresh values, not cleared ones: a cleared map or queue keeps its memory.
    let mut state = shared.lock();
    state.registry = Default::default();
    {
        let timeline = &mut state.timeline;
        let now = timeline.now();
        *timeline = Timeline::default();
        timeline.advance_to(now);
    }
    state.held = None;
    state.script = RemoteScript::new(shared.config.answer_delay);
    state.quirks = DeliveryQuirks::default();
    state.faults = Default::default();
    shared
        .epoch
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    state.deliveries.clear();
    state.journal.clear();
    drop(state);
    give_back_memory();
}

/// Asks the allocators to hand freed memory back to the system before reset answers, so the
/// process's RSS falls at once. The `callspec` binary allocates with mimalloc: `mi_collect`
/// frees this thread's empty pages and purges them (with the purge delay [`prompt_purge`] sets,
/// the other threads' pages go as soon as they see their frees). glibc's `malloc_trim` covers a
/// program that links the library with the system allocator.
fn give_back_memory() {
    // SAFETY: both only release free heap memory; neither touches a live allocation.
    unsafe {
        mi_collect(true);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        libc::malloc_trim(0);
    }
}

// mimalloc's C API (linked by libmimalloc-sys, whatever allocator the program uses).
use libmimalloc_sys as _;
extern "C" {
    fn mi_collect(force: bool);
    fn mi_option_set(option: libc::c_int, value: libc::c_long);
}
/// `mi_option_purge_delay` in mimalloc v2 and v3's `mi_option_t`.
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;

/// Makes mimalloc return freed memory to the system at once instead of 10 ms (or, for memory
/// held in its arenas, seconds) later: a served stand-in's memory should follow its load.
pub fn prompt_purge() {
    // SAFETY: sets one of mimalloc's process-wide options; it is read atomically.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<(RemoteScript, DeliveryScript), GraphError> {
        let body: ScriptBody = serde_path_to_error::deserialize(v)
            .map_err(|e| GraphError::bad_request(field_error(&e)))?;
        Ok(body.into_script(Duration::from_secs(1)))
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
        let (script, _) = parse(json!({"callee": {"hangsUpAfterSeconds": null}})).unwrap();
        assert_eq!(script.callee.hangs_up_after, None);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let message = |v: Value| {
            let e = parse(v).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "BadRequest"));
            e.message
        };
        let calee = message(json!({"calee": {}}));
        assert!(calee.contains("'calee'"), "{calee}");
        assert!(calee.contains("Did you mean 'callee'?"), "{calee}");
        let answr = message(json!({"callee": {"answr": "busy"}}));
        assert!(answr.contains("'callee.answr'"), "{answr}");
        assert!(answr.contains("Did you mean 'callee.answer'?"), "{answr}");
        let maybe = message(json!({"parties": {"x": {"answer": "maybe"}}}));
        assert!(maybe.contains("'parties.x.answer'"), "{maybe}");
        assert!(maybe.contains("declines"), "{maybe}");
        assert!(message(json!({"delivery": {"late": true}})).contains("'delivery.late'"));
        assert!(message(json!({"meeting": [{"who": "A", "when": 1}]})).contains("meeting[0].when"));
        let who = message(json!({"meeting": [{"joins": true}]}));
        assert!(who.contains("'meeting[0].who' is required"), "{who}");
        assert!(message(json!({"meeting": [{"who": " "}]})).contains("meeting[0].who"));
        assert!(message(json!({"lobby": {"admitsAfterSeconds": -1}}))
            .contains("lobby.admitsAfterSeconds"));
        assert!(message(json!({"lobby": "opens"})).contains("'lobby'"));
        assert!(message(json!({"transferAccepted": "no"})).contains("transferAccepted"));
    }

    #[test]
    fn durations_that_would_overflow_the_clock_are_refused_by_name() {
        let message = |v: Value| parse(v).unwrap_err().message;
        let answer = message(json!({"callee": {"answer": {"afterSeconds": 1e19}}}));
        assert!(answer.contains("'callee.answer.afterSeconds'"), "{answer}");
        assert!(answer.contains("from 0 to 31536000"), "{answer}");
        let hang_up = message(json!({"callee": {"hangsUpAfterSeconds": 1e19}}));
        assert!(
            hang_up.contains("'callee.hangsUpAfterSeconds'"),
            "{hang_up}"
        );
        assert!(
            message(json!({"meeting": [{"who": "A", "atSeconds": f64::MAX}]}))
                .contains("meeting[0].atSeconds")
        );
        let (script, _) = parse(json!({"callee": {"answer": {"afterSeconds": 31536000},
                                                   "hangsUpAfterSeconds": 31536000}}))
        .expect("the longest duration is allowed");
        assert_eq!(script.callee.hangs_up_after, Some(MAX_DURATION));
    }

    #[test]
    fn token_and_remote_bodies_name_their_bad_fields() {
        let token = |v: Value| {
            serde_path_to_error::deserialize::<_, TokenBody>(v)
                .map_err(|e| field_error(&e))
                .unwrap_err()
        };
        assert!(token(json!({"roles": "x"})).contains("'roles'"));
        assert!(token(json!({"roles": ["a", ""]})).contains("'roles[1]'"));
        assert!(token(json!({"appID": "x"})).contains("Did you mean 'appId'?"));
        let remote = |v: Value| {
            serde_path_to_error::deserialize::<_, RemoteBody>(v)
                .map_err(|e| field_error(&e))
                .unwrap_err()
        };
        let action = remote(json!({"action": "dances"}));
        assert!(
            action.contains("'action'") && action.contains("pressesKey"),
            "{action}"
        );
        assert!(remote(json!({})).contains("'action' is required"));
        assert!(
            remote(json!({"action": "hangsUp", "afterSeconds": 1e300})).contains("'afterSeconds'")
        );
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
