//! The stand-in's HTTP face: routes a request, runs it against the call registry, and answers
//! with the call or a Graph error envelope. Runs inside wiremock's responder: quick and
//! synchronous, it only schedules notification work on the timeline.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Value};
use uuid::Uuid;
use wiremock::Request;

use crate::hosting::{Handler, WireReply};

use super::auth::{authenticate, authorize, AccessClaims};
use super::calls::{is_app_hosted_media, ApiVersion, CallKind, CallState, Profile, ResourceStyle};
use super::lifecycle::{ends, initial_roster, plan_outgoing, CallEvent};
use super::notifications::ChangeType;
use super::operations;
use super::script::codes;
use super::validation::validate_create;
use super::{lock, GraphError, Shared};

/// The stand-in's responder.
pub(super) struct GraphRouter {
    shared: Arc<Shared>,
}

impl GraphRouter {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        GraphRouter { shared }
    }
}

/// What a request asks for.
#[derive(Debug, PartialEq)]
enum Route {
    Create(Profile),
    Get(Profile, String),
    Delete(Profile, String),
    /// `POST .../calls/{id}/{action}`, e.g. `playPrompt` or `participants/invite`.
    Operation(Profile, String, String),
    OpenIdConfiguration,
    Jwks,
    Unknown,
}

fn route(method: &str, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let communications = |version| Profile {
        version,
        style: ResourceStyle::Communications,
    };
    let app = Profile {
        version: ApiVersion::Beta,
        style: ResourceStyle::App,
    };
    let version = |s: &str| match s {
        "v1.0" => Some(ApiVersion::V1),
        "beta" => Some(ApiVersion::Beta),
        _ => None,
    };
    let (profile, id) = match segments.as_slice() {
        ["v1", ".well-known", "openidconfiguration"] if method == "GET" => {
            return Route::OpenIdConfiguration
        }
        ["v1", ".well-known", "keys"] if method == "GET" => return Route::Jwks,
        [v, "communications", "calls", rest @ ..] => match version(v) {
            Some(v) => (communications(v), rest),
            None => return Route::Unknown,
        },
        ["beta", "app", "calls", rest @ ..] => (app, rest),
        ["beta", "applications", _, "calls", rest @ ..] => (app, rest),
        _ => return Route::Unknown,
    };
    match (method, id) {
        ("POST", []) => Route::Create(profile),
        ("GET", [id]) => Route::Get(profile, (*id).to_owned()),
        ("DELETE", [id]) => Route::Delete(profile, (*id).to_owned()),
        ("POST", [id, action @ ..]) if operations::ACTIONS.contains(&action.join("/").as_str()) => {
            Route::Operation(profile, (*id).to_owned(), action.join("/"))
        }
        _ => Route::Unknown,
    }
}

/// The first segment of `path` the stand-in has no resource for (Graph names it in its error).
fn unknown_segment(path: &str) -> &str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let expected: &[&[&str]] = match segments.first() {
        Some(&"v1.0") => &[&["v1.0"], &["communications"], &["calls"]],
        Some(&"beta") => match segments.get(1) {
            Some(&"app") => &[&["beta"], &["app"], &["calls"]],
            Some(&"applications") => &[&["beta"], &["applications"], &[], &["calls"]],
            _ => &[
                &["beta"],
                &["communications", "app", "applications"],
                &["calls"],
            ],
        },
        _ => &[&["v1.0", "beta"]],
    };
    for (i, segment) in segments.iter().enumerate() {
        match expected.get(i) {
            Some(allowed) if allowed.is_empty() || allowed.contains(segment) => continue,
            Some(_) => return segment,
            // Past the collection: the call id, then an operation that does not exist.
            None => {
                if i > expected.len() {
                    return segment;
                }
            }
        }
    }
    segments.last().copied().unwrap_or_default()
}

/// A successful answer.
pub(super) struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<ReplyBody>,
}

/// A JSON body, as a value or already encoded.
enum ReplyBody {
    Json(Value),
    /// Encoded where the value is kept (a call's resource): copying it out first costs more
    /// than encoding it.
    Encoded(Vec<u8>),
}

impl Reply {
    pub(super) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(ReplyBody::Json(body)),
        }
    }

    /// `body` encoded now, in place.
    pub(super) fn encoded(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            // Encoding a `Value` cannot fail.
            body: Some(ReplyBody::Encoded(
                serde_json::to_vec(body).expect("a JSON value encodes"),
            )),
        }
    }

    pub(super) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(super) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A refusal from the front (unknown scenario, malformed request, body over the limit), as a
/// Graph error envelope.
pub(crate) fn graph_refusal(status: u16, code: &str, message: &str) -> WireReply {
    let now = SystemTime::now();
    let error = GraphError::new(status, code, message);
    let body = error.body(
        &graph_date(now),
        &Uuid::new_v4().to_string(),
        &Uuid::new_v4().to_string(),
    );
    WireReply::json(status, &body).header("Date", httpdate::fmt_http_date(now))
}

/// `innerError.date` as Graph writes it: RFC 3339 seconds, no zone letter.
fn graph_date(now: SystemTime) -> String {
    let date = humantime::format_rfc3339_seconds(now).to_string();
    date.trim_end_matches('Z').to_owned()
}

impl Handler for GraphRouter {
    fn handle(&self, request: Request) -> WireReply {
        let request = &request;
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = header(request, "client-request-id")
            .map(str::to_owned)
            .unwrap_or_else(|| Uuid::new_v4().to_string());
        let now = SystemTime::now();
        let is_admin = super::admin::is_admin_path(&self.shared, request.url.path());
        let is_api = !request.url.path().starts_with("/v1/.well-known/") && !is_admin;
        self.shared.sync_clock();
        let fault = if is_api {
            lock(&self.shared.faults).for_request(std::time::Instant::now())
        } else {
            None
        };
        let outcome = match fault.and_then(super::Fault::error) {
            Some(error) => Err(error),
            None if is_admin => super::admin::handle(&self.shared, request),
            None => self.serve_api(request),
        };
        // Only the admin API reads the journal: specs' stand-ins keep none.
        let mut journal = (is_api && self.shared.config.admin)
            .then(|| super::admin::JournalEntry::begin(&self.shared, request));
        let mut response = match outcome {
            Ok(reply) => {
                if let Some(entry) = &mut journal {
                    match &reply.body {
                        Some(ReplyBody::Json(body)) => entry.answered(reply.status, Some(body)),
                        Some(ReplyBody::Encoded(bytes)) => {
                            let body = serde_json::from_slice(bytes).ok();
                            entry.answered(reply.status, body.as_ref());
                        }
                        None => entry.answered(reply.status, None),
                    }
                }
                let mut r = match reply.body {
                    Some(ReplyBody::Json(body)) => WireReply::json(reply.status, &body),
                    Some(ReplyBody::Encoded(bytes)) => WireReply::new(reply.status)
                        .header("Content-Type", "application/json")
                        .body(bytes),
                    None => WireReply::new(reply.status),
                };
                for (name, value) in reply.headers {
                    r = r.header(name, value);
                }
                r
            }
            Err(error) => {
                let body = error.body(&graph_date(now), &request_id, &client_request_id);
                if let Some(entry) = &mut journal {
                    entry.answered(error.status, Some(&body));
                }
                let mut r = WireReply::json(error.status, &body);
                for (name, value) in error.headers {
                    r = r.header(name, value);
                }
                r
            }
        };
        response = response
            .header("request-id", request_id)
            .header("client-request-id", client_request_id)
            .header("Date", httpdate::fmt_http_date(now));
        if let Some(super::Fault::Late(delay)) = fault {
            response.delay = Some(delay);
        }
        if let Some(entry) = journal {
            entry.record(&self.shared);
        }
        // Whatever the request scheduled, a real-time driver delivers it.
        self.shared.wake.notify_one();
        response
    }
}

impl GraphRouter {
    fn serve_api(&self, request: &Request) -> Result<Reply, GraphError> {
        match route(request.method.as_str(), request.url.path()) {
            Route::Create(profile) => self.create(request, profile),
            Route::Get(profile, id) => {
                self.authenticate(request)?;
                let mut registry = lock(&self.shared.registry);
                let call = registry.live_on(&id, profile.style)?;
                Ok(Reply::encoded(200, &call.resource))
            }
            Route::Delete(profile, id) => {
                self.authenticate(request)?;
                self.hang_up(&id, profile.style)?;
                Ok(Reply::empty(204))
            }
            Route::Operation(profile, id, action) => {
                self.authenticate(request)?;
                let mut registry = lock(&self.shared.registry);
                let call = registry.live_on(&id, profile.style)?;
                let mut timeline = lock(&self.shared.timeline);
                let script = lock(&self.shared.script);
                let cx = operations::Context {
                    call,
                    timeline: &mut timeline,
                    script: &script,
                    api_base: format!(
                        "{}/{}",
                        self.shared.public_base(),
                        profile.version.segment()
                    ),
                    answer_delay: self.shared.config.answer_delay,
                };
                operations::run(&action, &request.body, cx)
            }
            Route::OpenIdConfiguration => Ok(Reply::json(
                200,
                json!({
                    "issuer": super::NOTIFICATION_ISSUER,
                    "jwks_uri": format!("{}/v1/.well-known/keys", self.shared.public_base()),
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                }),
            )),
            Route::Jwks => Ok(Reply::json(200, self.shared.key.jwks())),
            Route::Unknown => Err(GraphError::bad_request(format!(
                "Resource not found for the segment '{}'.",
                unknown_segment(request.url.path())
            ))),
        }
    }

    fn authenticate(&self, request: &Request) -> Result<AccessClaims, GraphError> {
        authenticate(header(request, "authorization"), self.shared.key)
    }

    fn create(&self, request: &Request, profile: Profile) -> Result<Reply, GraphError> {
        let claims = self.authenticate(request)?;
        let call = validate_create(
            header(request, "content-type"),
            &request.body,
            self.shared.config.callback_policy,
        )?;
        let body = Value::Object(call);
        let kind = CallKind::classify(&body);
        authorize(&claims, kind.required_role(), is_app_hosted_media(&body))?;
        let Value::Object(call) = body else {
            unreachable!("validate_create returns an object")
        };

        let public_base = self.shared.public_base();
        let mut registry = lock(&self.shared.registry);
        if let Some(max) = self.shared.config.max_live_calls_per_app {
            if registry.live_count_of(&claims.appid) >= max {
                // Graph documents request rates, not a count of live calls: the limit is
                // callspec serve's, answered in Graph's throttling shape.
                return Err(GraphError::new(
                    429,
                    "TooManyRequests",
                    format!(
                        "This app has {max} calls going, the most callspec serve keeps for one \
                         app; hang some up (DELETE) or POST /_callspec/reset."
                    ),
                ));
            }
        }
        let id = registry
            .create(call, profile, &claims.app(), &public_base)
            .id
            .clone();
        let record = registry.get_mut(&id).expect("just created");
        record.participants = initial_roster(record);
        debug_assert_eq!(kind, CallKind::classify(&record.resource));
        // The answer is the resource as created, before anything is planned for it.
        let mut reply = Reply::encoded(201, &record.resource);
        let script = lock(&self.shared.script).clone();
        plan_outgoing(
            record,
            &script,
            self.shared.config.answer_delay,
            &mut lock(&self.shared.timeline),
        );
        drop(registry);

        let location = format!(
            "{public_base}/{}/communications/calls/{id}",
            profile.version.segment()
        );
        reply.headers.push(("Location", location));
        Ok(reply)
    }

    /// DELETE: the call ends now; its future events are dropped.
    fn hang_up(&self, call_id: &str, style: ResourceStyle) -> Result<(), GraphError> {
        let mut registry = lock(&self.shared.registry);
        registry.live_on(call_id, style)?.closing = true;
        let mut timeline = lock(&self.shared.timeline);
        timeline.cancel_call(call_id);
        let now = std::time::Duration::ZERO;
        timeline.schedule(
            now,
            CallEvent::State {
                call_id: call_id.to_owned(),
                state: CallState::Terminating,
                change: ChangeType::Updated,
                result: None,
            },
        );
        timeline.schedule(now, ends(call_id, codes::BOT_HUNG_UP));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_documented_path() {
        let v1 = Profile {
            version: ApiVersion::V1,
            style: ResourceStyle::Communications,
        };
        let app = Profile {
            version: ApiVersion::Beta,
            style: ResourceStyle::App,
        };
        assert_eq!(
            route("POST", "/v1.0/communications/calls"),
            Route::Create(v1)
        );
        assert_eq!(route("POST", "/beta/app/calls"), Route::Create(app));
        assert_eq!(
            route("POST", "/beta/applications/abc/calls"),
            Route::Create(app)
        );
        assert_eq!(
            route("GET", "/v1.0/communications/calls/x"),
            Route::Get(v1, "x".into())
        );
        assert_eq!(
            route("DELETE", "/beta/app/calls/x"),
            Route::Delete(app, "x".into())
        );
        assert_eq!(route("POST", "/v2.0/communications/calls"), Route::Unknown);
        assert_eq!(route("PUT", "/v1.0/communications/calls"), Route::Unknown);
        assert_eq!(route("GET", "/v1/.well-known/keys"), Route::Jwks);
        assert_eq!(
            route("POST", "/v1.0/communications/calls/x/participants/invite"),
            Route::Operation(v1, "x".into(), "participants/invite".into())
        );
        assert_eq!(
            route("POST", "/beta/app/calls/x/playPrompt"),
            Route::Operation(app, "x".into(), "playPrompt".into())
        );
        assert_eq!(
            route("POST", "/v1.0/communications/calls/x/dance"),
            Route::Unknown
        );
    }
}
