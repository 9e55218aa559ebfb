//! The stand-in's HTTP face: routes a request, runs it against the call registry, and answers
//! with the call or a Graph error envelope. Runs as the hosting front's handler: quick and
//! synchronous, it only schedules notification work on the timeline.

use std::sync::Arc;
use std::time::SystemTime;

use crate::hosting::Request;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::hosting::{Handler, WireReply};

use super::auth::{authenticate, authorize, AccessClaims};
use super::calls::{is_app_hosted_media, ApiVersion, CallKind, CallState, Profile, ResourceStyle};
use super::context;
use super::lifecycle::{ends, initial_roster, plan_outgoing, CallEvent};
use super::notifications::ChangeType;
pub(super) use super::reply::{Reply, ReplyBody};
use super::script::codes;
use super::surface;
use super::validation::validate_create;
use super::{GraphError, Shared};

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
    /// `POST` on a calls collection, as the bot addressed it (`/v1.0/communications/calls`).
    Create(Profile, String),
    /// Anything under `calls/{id}`: the collection's path, the id, and the rest of the path
    /// with OData-qualified names made plain (`microsoft.graph.answer` → `answer`).
    Call(Profile, String, String, Vec<String>),
    /// `POST .../calls/logTeleconferenceDeviceQuality`.
    LogQuality,
    /// `GET /recordings/{call}/{recording}`: a recordResponse's file.
    Recording(String, String),
    OpenIdConfiguration,
    Jwks,
    Unknown,
}

fn route(method: &str, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let version = |s: &str| match s {
        "v1.0" => Some(ApiVersion::V1),
        "beta" => Some(ApiVersion::Beta),
        _ => None,
    };
    let profile = |version, style| Profile { version, style };
    let (profile, collection, rest) = match segments.as_slice() {
        ["v1", ".well-known", "openidconfiguration"] if method == "GET" => {
            return Route::OpenIdConfiguration
        }
        ["v1", ".well-known", "keys"] if method == "GET" => return Route::Jwks,
        ["recordings", call, recording] if method == "GET" => {
            return Route::Recording((*call).to_owned(), (*recording).to_owned())
        }
        [v, "communications", "calls", rest @ ..] => match version(v) {
            Some(v) => (profile(v, ResourceStyle::Communications), 3, rest),
            None => return Route::Unknown,
        },
        // The older `/app/calls` path, which every operation page still lists (v1.0 creates a
        // call on `/communications/calls` only: its create page lists no other path).
        [v, "app", "calls", rest @ ..] => match version(v) {
            Some(ApiVersion::V1) if rest.is_empty() => return Route::Unknown,
            Some(v) => (profile(v, ResourceStyle::App), 3, rest),
            None => return Route::Unknown,
        },
        ["beta", "applications", _, "calls", rest @ ..] => {
            (profile(ApiVersion::Beta, ResourceStyle::App), 4, rest)
        }
        _ => return Route::Unknown,
    };
    let collection = format!("/{}", segments[..collection].join("/"));
    match (method, rest) {
        ("POST", []) => Route::Create(profile, collection),
        ("POST", [action])
            if surface::plain_segment(action) == "logTeleconferenceDeviceQuality" =>
        {
            Route::LogQuality
        }
        (_, [id, rest @ ..]) if !id.is_empty() => Route::Call(
            profile,
            collection,
            (*id).to_owned(),
            rest.iter()
                .map(|s| surface::plain_segment(s).to_owned())
                .collect(),
        ),
        _ => Route::Unknown,
    }
}

/// The first segment of `path` the stand-in has no resource for (Graph names it in its error).
fn unknown_segment(path: &str) -> &str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let expected: &[&[&str]] = match segments.first() {
        Some(&"v1.0") => &[&["v1.0"], &["communications", "app"], &["calls"]],
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
        if let Route::Recording(call_id, recording) =
            route(request.method.as_str(), request.url.path())
        {
            return self.recording(request, &call_id, &recording);
        }
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = header(request, "client-request-id")
            .map(str::to_owned)
            .unwrap_or_else(|| Uuid::new_v4().to_string());
        let now = SystemTime::now();
        let is_admin = super::admin::is_admin_path(&self.shared, request.url.path());
        let is_api = !request.url.path().starts_with("/v1/.well-known/") && !is_admin;
        let fault = {
            let mut state = self.shared.lock();
            state.sync_clock();
            if is_api {
                state.faults.for_request_to(
                    std::time::Instant::now(),
                    request.method.as_str(),
                    request.url.path(),
                )
            } else {
                None
            }
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
    /// A recording's file, for its access token only (call-record.md, example 2).
    fn recording(&self, request: &Request, call_id: &str, recording: &str) -> WireReply {
        let token = header(request, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        let state = self.shared.lock();
        let Some(call) = state
            .registry
            .get(call_id)
            .filter(|c| super::media::has_recording(c, recording))
        else {
            return graph_refusal(404, "itemNotFound", "There is no such recording.");
        };
        match super::media::recording_file(call, recording, token) {
            Some(file) => WireReply::new(200)
                .header("Content-Type", "application/octet-stream")
                .body(file),
            None => graph_refusal(
                401,
                "InvalidAuthenticationToken",
                "A recording is served with 'Authorization: Bearer {recordingAccessToken}' \
                 from the completed recordOperation.",
            ),
        }
    }

    fn serve_api(&self, request: &Request) -> Result<Reply, GraphError> {
        match route(request.method.as_str(), request.url.path()) {
            Route::Create(profile, collection) => self.create(request, profile, &collection),
            Route::Call(profile, collection, id, rest) => {
                self.authenticate(request)?;
                let method = request.method.as_str();
                let segments: Vec<&str> = rest.iter().map(String::as_str).collect();
                if !surface::known(method, &segments) {
                    return Err(GraphError::bad_request(format!(
                        "Resource not found for the segment '{}'.",
                        unknown_segment(request.url.path())
                    )));
                }
                match (method, rest.as_slice()) {
                    ("GET", []) => {
                        let mut state = self.shared.lock();
                        let call = state.registry.live_on(&id, profile.style)?;
                        return Ok(Reply::encoded(200, &call.resource));
                    }
                    ("DELETE", []) => {
                        self.hang_up(&id, profile.style)?;
                        return Ok(Reply::empty(204));
                    }
                    _ => {}
                }
                // One guard for the whole operation: the call, its timeline and the script.
                let mut guard = self.shared.lock();
                let state = &mut *guard;
                let public_base = self.shared.public_base_in(state);
                let call = state.registry.live_on(&id, profile.style)?;
                let cx = context::Context {
                    call,
                    timeline: &mut state.timeline,
                    script: &state.script,
                    api_base: format!("{public_base}/{}", profile.version.segment()),
                    calls_url: format!("{public_base}{collection}"),
                    public_base,
                    answer_delay: self.shared.config.answer_delay,
                };
                let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
                match surface::dispatch(method, &rest, &request.body, cx) {
                    Some(Ok(reply)) => {
                        // Every operation handed out can be read back (GET operations/{id}).
                        if let Some(ReplyBody::Json(op)) = &reply.body {
                            let is_operation = op["@odata.type"]
                                .as_str()
                                .is_some_and(|t| t.ends_with("Operation"));
                            if is_operation {
                                if let Ok(call) = state.registry.live_mut(&id) {
                                    call.extras.remember(op);
                                }
                            }
                        }
                        Ok(reply)
                    }
                    Some(Err(error)) => Err(error),
                    None => Err(GraphError::bad_request(format!(
                        "Resource not found for the segment '{}'.",
                        unknown_segment(request.url.path())
                    ))),
                }
            }
            Route::LogQuality => {
                let claims = self.authenticate(request)?;
                authorize(&claims, "Calls.AccessMedia.All", false)?;
                surface::log_device_quality(&request.body)
            }
            Route::Recording(..) => Err(GraphError::bad_request(
                "Recordings are served outside the API.",
            )),
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

    fn create(
        &self,
        request: &Request,
        profile: Profile,
        collection: &str,
    ) -> Result<Reply, GraphError> {
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
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let registry = &mut state.registry;
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
        plan_outgoing(
            record,
            &state.script,
            self.shared.config.answer_delay,
            &mut state.timeline,
        );
        drop(guard);

        // Under the path the bot used (`/beta/app/calls/{id}` for a create on `/beta/app/calls`,
        // as the beta create page shows).
        let location = format!("{public_base}{collection}/{id}");
        reply.headers.push(("Location", location));
        Ok(reply)
    }

    /// DELETE: the call ends now; its future events are dropped.
    fn hang_up(&self, call_id: &str, style: ResourceStyle) -> Result<(), GraphError> {
        let mut state = self.shared.lock();
        state.registry.live_on(call_id, style)?.closing = true;
        let timeline = &mut state.timeline;
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
        let call = |profile, collection: &str, rest: &[&str]| {
            Route::Call(
                profile,
                collection.into(),
                "x".into(),
                rest.iter().map(|s| s.to_string()).collect(),
            )
        };
        assert_eq!(
            route("POST", "/v1.0/communications/calls"),
            Route::Create(v1, "/v1.0/communications/calls".into())
        );
        assert_eq!(
            route("POST", "/beta/app/calls"),
            Route::Create(app, "/beta/app/calls".into())
        );
        assert_eq!(
            route("POST", "/beta/applications/abc/calls"),
            Route::Create(app, "/beta/applications/abc/calls".into())
        );
        assert_eq!(
            route("GET", "/v1.0/communications/calls/x"),
            call(v1, "/v1.0/communications/calls", &[])
        );
        assert_eq!(
            route("DELETE", "/beta/app/calls/x"),
            call(app, "/beta/app/calls", &[])
        );
        assert_eq!(route("POST", "/v2.0/communications/calls"), Route::Unknown);
        assert_eq!(route("PUT", "/v1.0/communications/calls"), Route::Unknown);
        assert_eq!(route("GET", "/v1/.well-known/keys"), Route::Jwks);
        assert_eq!(
            route("POST", "/v1.0/communications/calls/x/participants/invite"),
            call(
                v1,
                "/v1.0/communications/calls",
                &["participants", "invite"]
            )
        );
        // The .NET SDK's OData-qualified names (comms-samples #571, msteams-docs #9170).
        assert_eq!(
            route(
                "POST",
                "/v1.0/communications/calls/x/participants/microsoft.graph.invite"
            ),
            call(
                v1,
                "/v1.0/communications/calls",
                &["participants", "invite"]
            )
        );
        assert_eq!(
            route(
                "POST",
                "/v1.0/communications/calls/x/microsoft.graph.answer"
            ),
            call(v1, "/v1.0/communications/calls", &["answer"])
        );
        assert_eq!(
            route("POST", "/beta/app/calls/x/playPrompt"),
            call(app, "/beta/app/calls", &["playPrompt"])
        );
        let v1_app = Profile {
            version: ApiVersion::V1,
            style: ResourceStyle::App,
        };
        assert_eq!(
            route("POST", "/v1.0/app/calls/x/sendDtmfTones"),
            call(v1_app, "/v1.0/app/calls", &["sendDtmfTones"])
        );
        assert_eq!(
            route(
                "POST",
                "/v1.0/communications/calls/microsoft.graph.logTeleconferenceDeviceQuality"
            ),
            Route::LogQuality
        );
        assert_eq!(
            route("GET", "/recordings/c/r"),
            Route::Recording("c".into(), "r".into())
        );
        // The .NET SDK's OData-qualified action name (comms-samples #414 shows the form).
        assert_eq!(
            route(
                "POST",
                "/v1.0/communications/calls/x/microsoft.graph.updateRecordingStatus"
            ),
            call(v1, "/v1.0/communications/calls", &["updateRecordingStatus"])
        );
    }
}
