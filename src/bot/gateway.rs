//! The bot gateway: the one https server a bot under test talks to instead of Microsoft.
//!
//! It plays the identity platform (token endpoint and OpenID metadata, [`super::identity`]),
//! serves the notification signing keys, and fronts the calling API: a request for a call goes
//! to the stand-in of the scenario whose [`BotLink`] owns the call, handled in-process by that
//! stand-in exactly as if it had come to the stand-in's own URL, and is logged in the link. One
//! bot serves many scenarios at once; each sees only its own calls.
//!
//! What nobody owns is a stray: a Graph error envelope for the bot, and an entry in
//! [`BotGateway::strays`] for the run.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::identity::{self, Identity};
use super::tls::{self, TlsError};
use crate::hosting::{Handler, Host, Limits, Space, WireReply};
use crate::standin::{
    authenticate, authorize, graph_refusal, is_app_hosted_media, AccessClaims, AppIdentity,
    CallKind, GraphError, SigningKey, StandIn, ALL_CALLING_ROLES, MAX_BODY_BYTES,
    NOTIFICATION_ISSUER,
};

/// Stray requests kept for the report (the oldest go first): a bot stuck in a loop must not
/// fill the memory.
const MAX_STRAYS: usize = 1_000;

/// How to run the gateway.
#[derive(Clone)]
pub struct GatewaySettings {
    /// The bot's app registration: its id is the token's `appid` and the notifications'
    /// audience, its tenant the authority's.
    pub app: AppIdentity,
    /// The client secret the bot authenticates with (never shown: `Debug` hides it).
    pub client_secret: String,
    /// The loopback port to listen on; 0 takes a free one.
    pub port: u16,
    /// Where callspec's test CA is kept (`ca.pem`, `ca-key.pem`); made there when missing.
    pub ca_dir: PathBuf,
}

impl std::fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySettings")
            .field("app", &self.app)
            .field("client_secret", &"[redacted]")
            .field("port", &self.port)
            .field("ca_dir", &self.ca_dir)
            .finish()
    }
}

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// [`BotGateway::start`] was called outside a Tokio runtime.
    #[error("the bot gateway needs a Tokio runtime to run in")]
    NoRuntime,
    /// An app id, tenant id or secret the gateway cannot serve.
    #[error("bad gateway settings: {0}")]
    Settings(String),
    /// The port is taken (or not ours to take).
    /// (The OS error is in the message, not a `source`: chained printers would say it twice.)
    #[error("cannot listen on 127.0.0.1:{port} for the bot gateway: {cause}")]
    Listen { port: u16, cause: std::io::Error },
    /// The CA folder or the certificates.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// One request the bot made to the calling API, as the gateway saw and answered it. Never holds
/// a token: headers are not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct BotRequest {
    /// Wall time of its arrival since the scenario was attached (for strays: since the gateway
    /// started).
    pub at: Duration,
    /// `GET`, `POST`, `DELETE`, ...
    pub method: String,
    /// The path as sent, with the query if any, e.g. `/v1.0/communications/calls/ID/answer`.
    pub path: String,
    /// The body as JSON; a body that is not JSON is kept as a JSON string; `None` when empty.
    pub body: Option<Value>,
    /// The status the bot got (the stand-in's, or the gateway's for a stray).
    pub status: u16,
    /// The response body as JSON (`None` when empty).
    pub response: Option<Value>,
    /// The call it was about: the id in the path, or for a create the new call's id.
    pub call_id: Option<String>,
}

/// One attached scenario: its stand-in's handler and its log.
struct Link {
    handler: Arc<dyn Handler>,
    attached: Instant,
    /// Held while the stand-in handles a request and it is logged, so the log's order is the
    /// order the stand-in saw.
    log: Mutex<Vec<BotRequest>>,
    /// How many requests were logged, for waiters.
    logged: tokio::sync::watch::Sender<usize>,
}

/// What routes requests: the attached scenarios, the calls they own and the ids they claim.
struct Routing {
    links: Mutex<Links>,
    next_link: AtomicU64,
    started: Instant,
    strays: Mutex<std::collections::VecDeque<BotRequest>>,
}

#[derive(Default)]
struct Links {
    by_id: HashMap<u64, Arc<Link>>,
    /// Call id → the link that owns it.
    calls: HashMap<String, u64>,
    /// Claimed id → the links that claimed it.
    claims: HashMap<String, HashSet<u64>>,
    /// Calls of scenarios that have ended (the last [`MAX_ENDED_CALLS`]): the bot's late
    /// requests for them are no running scenario's business.
    ended: HashSet<String>,
    ended_order: std::collections::VecDeque<String>,
}

/// Ended scenarios' calls remembered, so that their strays are told apart.
const MAX_ENDED_CALLS: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Inner {
    uri: String,
    ca_file: PathBuf,
    ca_pem: String,
    app: AppIdentity,
    client_secret: String,
    routing: Arc<Routing>,
    /// What the user should fix, though the gateway runs (see [`BotGateway::warnings`]).
    warnings: Vec<String>,
    /// The server; it stops when the last handle to the gateway is dropped.
    _space: Space,
}

/// The https front the bot under test talks to (see the module docs). Cloning shares it; it
/// stops when the last clone is dropped.
#[derive(Clone)]
pub struct BotGateway {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BotGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotGateway")
            .field("uri", &self.inner.uri)
            .field("app", &self.inner.app)
            .finish_non_exhaustive()
    }
}

/// Ids go into URLs and the environment: keep them to what a URL segment holds unescaped.
fn check_id(what: &str, value: &str) -> Result<(), GatewayError> {
    let fine = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if fine {
        Ok(())
    } else {
        Err(GatewayError::Settings(format!(
            "the {what} '{value}' must be letters, digits, '-', '.' or '_' (a GUID, as in Entra ID)"
        )))
    }
}

impl BotGateway {
    /// Starts the gateway on `127.0.0.1:{port}`, with callspec's test CA from `ca_dir` (made
    /// there when missing) and a fresh server certificate. Call it inside a Tokio runtime.
    pub fn start(settings: GatewaySettings) -> Result<BotGateway, GatewayError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GatewayError::NoRuntime);
        }
        check_id("app id", &settings.app.app_id)?;
        check_id("tenant id", &settings.app.tenant_id)?;
        if settings.client_secret.is_empty() {
            return Err(GatewayError::Settings(
                "the client secret is empty: the bot could get a token without one".into(),
            ));
        }
        crate::redact::register_secret(&settings.client_secret);
        let tls = tls::setup(&settings.ca_dir)?;
        let listener = TcpListener::bind(("127.0.0.1", settings.port)).map_err(|cause| {
            GatewayError::Listen {
                port: settings.port,
                cause,
            }
        })?;
        let port = listener
            .local_addr()
            .map_err(|cause| GatewayError::Listen {
                port: settings.port,
                cause,
            })?
            .port();
        let uri = format!("https://127.0.0.1:{port}");
        let routing = Arc::new(Routing {
            links: Mutex::default(),
            next_link: AtomicU64::new(1),
            started: Instant::now(),
            strays: Mutex::default(),
        });
        let handler = Arc::new(GatewayHandler {
            identity: Identity {
                base: uri.clone(),
                app: settings.app.clone(),
                client_secret: settings.client_secret.clone(),
                key: SigningKey::for_run(),
            },
            routing: routing.clone(),
            base: uri.clone(),
            app: settings.app.clone(),
        });
        let limits = Limits {
            max_body: MAX_BODY_BYTES,
            ..Limits::default()
        };
        let space = Host::serve_tls(listener, handler, limits, graph_refusal, tls.server)
            .map_err(|cause| GatewayError::Listen { port, cause })?;
        Ok(BotGateway {
            inner: Arc::new(Inner {
                uri,
                ca_file: tls.ca_file,
                ca_pem: tls.ca_pem,
                app: settings.app,
                client_secret: settings.client_secret,
                routing,
                warnings: tls.warnings,
                _space: space,
            }),
        })
    }

    /// Base URL, `https://127.0.0.1:P` (no trailing slash).
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// The port the gateway listens on.
    pub fn port(&self) -> u16 {
        self.inner
            .uri
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default()
    }

    /// Things the user should fix though the gateway runs (a CA key other users can read).
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The CA's PEM file: what the bot is told to trust (`SSL_CERT_FILE` and friends).
    pub fn ca_file(&self) -> &Path {
        &self.inner.ca_file
    }

    /// The CA's certificate, PEM (for an HTTP client in this process).
    pub fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }

    /// The environment that points a bot at the gateway instead of Microsoft (the README's
    /// table): Graph's URL, the authority, the app's ids and secret, the notification keys'
    /// metadata and the CA file. Holds the secret: never print it as is.
    pub fn env(&self) -> Vec<(String, String)> {
        let uri = &self.inner.uri;
        let app = &self.inner.app;
        let tenant = &app.tenant_id;
        let ca = self.inner.ca_file.display().to_string();
        let pairs = [
            ("CALLSPEC_GRAPH_URL", format!("{uri}/v1.0")),
            ("CALLSPEC_AUTHORITY_HOST", uri.clone()),
            ("AZURE_AUTHORITY_HOST", uri.clone()),
            ("CALLSPEC_AUTHORITY", format!("{uri}/{tenant}")),
            (
                "CALLSPEC_TOKEN_URL",
                format!("{uri}/{tenant}/oauth2/v2.0/token"),
            ),
            ("CALLSPEC_TENANT_ID", tenant.clone()),
            ("AZURE_TENANT_ID", tenant.clone()),
            ("CALLSPEC_CLIENT_ID", app.app_id.clone()),
            ("AZURE_CLIENT_ID", app.app_id.clone()),
            ("CALLSPEC_CLIENT_SECRET", self.inner.client_secret.clone()),
            ("AZURE_CLIENT_SECRET", self.inner.client_secret.clone()),
            (
                "CALLSPEC_NOTIFICATION_OPENID_CONFIG",
                format!("{uri}/v1/.well-known/openidconfiguration"),
            ),
            (
                "CALLSPEC_NOTIFICATION_ISSUER",
                NOTIFICATION_ISSUER.to_owned(),
            ),
            ("CALLSPEC_CA_FILE", ca.clone()),
            ("SSL_CERT_FILE", ca.clone()),
            ("REQUESTS_CA_BUNDLE", ca.clone()),
            ("NODE_EXTRA_CA_CERTS", ca),
        ];
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    }

    /// Attaches a scenario's stand-in: from now on the bot's requests for the calls the link
    /// owns go to it. The stand-in's `Location` headers and `@odata.context` then name the
    /// gateway, the URL the bot knows. Dropping the link detaches the scenario.
    pub fn attach(&self, standin: &StandIn) -> BotLink {
        // Every stand-in signs with the run's key, the one the gateway publishes.
        debug_assert!(std::ptr::eq(standin.signing_key(), SigningKey::for_run()));
        standin.set_public_url(&self.inner.uri);
        let routing = &self.inner.routing;
        let id = routing.next_link.fetch_add(1, Ordering::Relaxed);
        let link = Arc::new(Link {
            handler: standin.handler(),
            attached: Instant::now(),
            log: Mutex::default(),
            logged: tokio::sync::watch::Sender::new(0),
        });
        lock(&routing.links).by_id.insert(id, link.clone());
        BotLink {
            id,
            link,
            routing: routing.clone(),
        }
    }

    /// The requests no scenario owned, in arrival order (the last 1,000).
    pub fn strays(&self) -> Vec<BotRequest> {
        lock(&self.inner.routing.strays).iter().cloned().collect()
    }
}

/// A scenario attached to the gateway: the calls it owns and the bot's requests for them.
/// Dropping it detaches the scenario and forgets its calls and claims.
pub struct BotLink {
    id: u64,
    link: Arc<Link>,
    routing: Arc<Routing>,
}

impl std::fmt::Debug for BotLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotLink")
            .field("id", &self.id)
            .field("requests", &self.request_count())
            .finish()
    }
}

impl BotLink {
    /// The bot's requests for `call_id` go to this scenario from now on.
    pub fn own_call(&self, call_id: &str) {
        lock(&self.routing.links)
            .calls
            .insert(call_id.to_owned(), self.id);
    }

    /// A call the bot creates goes to this scenario when `id` (a user id, a phone number,
    /// anything unique to it) appears in the request body.
    pub fn claim(&self, id: &str) {
        lock(&self.routing.links)
            .claims
            .entry(id.to_owned())
            .or_default()
            .insert(self.id);
    }

    /// The strays that could be this scenario's: those that came after it was attached and are
    /// not for a call of a scenario that has ended, in arrival order (their `at` is since the
    /// gateway started).
    pub fn strays(&self) -> Vec<BotRequest> {
        let since = self.link.attached.duration_since(self.routing.started);
        let ended = lock(&self.routing.links).ended.clone();
        lock(&self.routing.strays)
            .iter()
            .filter(|r| r.at >= since)
            .filter(|r| r.call_id.as_ref().is_none_or(|call| !ended.contains(call)))
            .cloned()
            .collect()
    }

    /// The bot's requests for this scenario's calls, in arrival order.
    pub fn requests(&self) -> Vec<BotRequest> {
        lock(&self.link.log).clone()
    }

    /// How long ago the scenario was attached (what [`BotRequest::at`] counts from).
    pub fn age(&self) -> Duration {
        self.link.attached.elapsed()
    }

    /// How many requests were logged.
    pub fn request_count(&self) -> usize {
        *self.link.logged.borrow()
    }

    /// Waits (woken by each logged request, never polling) until at least `count` requests
    /// were logged, or until `deadline`; says whether they were.
    pub async fn wait_requests(&self, count: usize, deadline: tokio::time::Instant) -> bool {
        let mut logged = self.link.logged.subscribe();
        tokio::time::timeout_at(deadline, logged.wait_for(|n| *n >= count))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Drop for BotLink {
    fn drop(&mut self) {
        let mut links = lock(&self.routing.links);
        links.by_id.remove(&self.id);
        let mine: Vec<String> = links
            .calls
            .iter()
            .filter(|(_, owner)| **owner == self.id)
            .map(|(call, _)| call.clone())
            .collect();
        for call in mine {
            links.calls.remove(&call);
            if links.ended.insert(call.clone()) {
                links.ended_order.push_back(call);
            }
        }
        while links.ended_order.len() > MAX_ENDED_CALLS {
            if let Some(old) = links.ended_order.pop_front() {
                links.ended.remove(&old);
            }
        }
        links.claims.retain(|_, owners| {
            owners.remove(&self.id);
            !owners.is_empty()
        });
    }
}

/// The server's handler: identity routes, notification keys, and the calling API.
struct GatewayHandler {
    identity: Identity,
    routing: Arc<Routing>,
    base: String,
    /// The one app registered here: Graph serves a token of another app or tenant nothing.
    app: AppIdentity,
}

/// What Graph checks on every calling-API request before it looks at the call: a valid token
/// (signature, audience, expiry), issued in the bot's tenant to the bot's app, with an
/// application permission for the request (for a create, the call kind's, as the stand-in
/// checks). A refusal is Graph's error envelope, whatever the call id.
fn check_token(
    app: &AppIdentity,
    authorization: Option<&str>,
    target: Option<&CallTarget>,
    body: Option<&Value>,
) -> Result<AccessClaims, GraphError> {
    let claims = authenticate(authorization, SigningKey::for_run())?;
    let v1_issuer = format!("https://sts.windows.net/{}/", app.tenant_id);
    let v2_issuer = format!("https://login.microsoftonline.com/{}/v2.0", app.tenant_id);
    if !claims.tid.eq_ignore_ascii_case(&app.tenant_id)
        || !(claims.iss.eq_ignore_ascii_case(&v1_issuer)
            || claims.iss.eq_ignore_ascii_case(&v2_issuer))
    {
        return Err(GraphError::new(
            401,
            "InvalidAuthenticationToken",
            format!(
                "Access token validation failure. The token was issued in tenant '{}' by '{}'; \
                 this bot's tenant is '{}'.",
                claims.tid, claims.iss, app.tenant_id
            ),
        ));
    }
    if !claims.appid.eq_ignore_ascii_case(&app.app_id) {
        // What Graph's calling API answers an app that is not a registered calling bot
        // (microsoft-graph-comms-samples#432, microsoft-graph-docs#10845).
        return Err(GraphError::new(
            403,
            "7503",
            format!(
                "Application is not registered in our store. (The token is for app '{}'; the \
                 bot under test is app '{}'.)",
                claims.appid, app.app_id
            ),
        ));
    }
    match (target, body) {
        (Some(CallTarget::Create), Some(body)) => authorize(
            &claims,
            CallKind::classify(body).required_role(),
            is_app_hosted_media(body),
        )?,
        _ => {
            // Any calling permission lets the app reach its own calls; a delegated token or
            // one without a calling role is refused as Graph refuses it.
            let any = ALL_CALLING_ROLES.iter().find(|role| {
                claims
                    .roles
                    .as_deref()
                    .is_some_and(|r| r.iter().any(|x| x == *role))
            });
            authorize(&claims, any.copied().unwrap_or(ALL_CALLING_ROLES[0]), false)?;
        }
    }
    Ok(claims)
}

/// Where a calling-API request goes.
#[derive(Debug, PartialEq)]
enum CallTarget {
    /// `POST .../calls`: a new call.
    Create,
    /// Anything under `.../calls/{id}`.
    Call(String),
}

/// The calling-API request `path` is, if it is one: `/{v1.0|beta}/communications/calls...` or
/// the old `/{v1.0|beta}/app/calls...`; or a recording's download (`/recordings/{call}/{id}`,
/// the `recordingLocation` of a recordResponse), which belongs to its call.
fn call_target(method: &str, path: &str) -> Option<CallTarget> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segments.as_slice() {
        ["v1.0" | "beta", "communications", "calls", rest @ ..] => rest,
        ["v1.0" | "beta", "app", "calls", rest @ ..] => rest,
        ["recordings", call, _] if method == "GET" => {
            return Some(CallTarget::Call((*call).to_owned()))
        }
        _ => return None,
    };
    match rest {
        [] if method == "POST" => Some(CallTarget::Create),
        [id, ..] if !id.is_empty() => Some(CallTarget::Call((*id).to_owned())),
        _ => None,
    }
}

/// Every string in a create body, the targets' and the source's first, then the rest in order.
fn strings_of(body: &Value) -> Vec<&str> {
    fn walk<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&body["targets"], &mut out);
    walk(&body["source"], &mut out);
    walk(body, &mut out);
    out
}

fn json_of(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

impl Handler for GatewayHandler {
    fn handle(&self, request: crate::hosting::Request) -> WireReply {
        let path = request.url.path().to_owned();
        if let Some(route) = identity::route(&path) {
            return self.identity.handle(route, &request);
        }
        let method = request.method.as_str().to_owned();
        if method == "GET" {
            // The notification tokens' metadata (api.aps.skype.com's, whose path is
            // `/v1/.well-known/OpenIdConfiguration`) and keys.
            if path.eq_ignore_ascii_case("/v1/.well-known/openidconfiguration") {
                return WireReply::json(
                    200,
                    &serde_json::json!({
                        "issuer": NOTIFICATION_ISSUER,
                        "jwks_uri": format!("{}/v1/.well-known/keys", self.base),
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    }),
                );
            }
            if path.eq_ignore_ascii_case("/v1/.well-known/keys") {
                return WireReply::json(200, &SigningKey::for_run().jwks());
            }
        }
        let arrived = Instant::now();
        let target = call_target(&method, &path);
        let body = json_of(&request.body);
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        // Graph checks the token before anything else: a refusal does not depend on the call.
        // A recording's download carries the recording's own access token, not a Graph one:
        // the stand-in checks that (call-record.md).
        let download = method == "GET" && path.starts_with("/recordings/");
        let refused = if download {
            None
        } else {
            check_token(&self.app, authorization, target.as_ref(), body.as_ref()).err()
        };
        let link = match &target {
            Some(CallTarget::Call(id)) => self.owner_of(id).ok_or_else(|| {
                let e = GraphError::call_not_found();
                (e.status, e.code, e.message)
            }),
            Some(CallTarget::Create) => self.creator_of(body.as_ref()),
            None => Err((
                404,
                "itemNotFound".to_owned(),
                format!("callspec's bot gateway serves no Graph resource at {path}"),
            )),
        };
        let full_path = match request.url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        let link = match (link, refused) {
            (Ok(found), None) => Ok(found),
            (Ok((_, link)), Some(e)) => {
                // The scenario that owns the call sees the refusal among the bot's requests.
                let reply = graph_refusal(e.status, &e.code, &e.message);
                let mut log = lock(&link.log);
                log.push(BotRequest {
                    at: arrived.duration_since(link.attached),
                    method,
                    path: full_path,
                    body,
                    status: e.status,
                    response: json_of(&reply.body),
                    call_id: match target {
                        Some(CallTarget::Call(id)) => Some(id),
                        _ => None,
                    },
                });
                let count = log.len();
                drop(log);
                link.logged.send_replace(count);
                return reply;
            }
            (_, Some(e)) => Err((e.status, e.code, e.message)),
            (Err(e), None) => Err(e),
        };
        let (link_id, link) = match link {
            Ok(found) => found,
            Err((status, code, message)) => {
                let reply = graph_refusal(status, &code, &message);
                self.stray(BotRequest {
                    at: arrived.duration_since(self.routing.started),
                    method,
                    path: full_path,
                    body,
                    status,
                    response: json_of(&reply.body),
                    call_id: match target {
                        Some(CallTarget::Call(id)) => Some(id),
                        _ => None,
                    },
                });
                return reply;
            }
        };
        let mut log = lock(&link.log);
        let reply = link.handler.handle(request);
        let response = json_of(&reply.body);
        let call_id = match target {
            Some(CallTarget::Call(id)) => Some(id),
            Some(CallTarget::Create) => {
                let id = response
                    .as_ref()
                    .filter(|_| reply.status == 201)
                    .and_then(|r| r["id"].as_str())
                    .map(str::to_owned);
                if let Some(id) = &id {
                    lock(&self.routing.links).calls.insert(id.clone(), link_id);
                }
                id
            }
            None => None,
        };
        log.push(BotRequest {
            at: arrived.duration_since(link.attached),
            method,
            path: full_path,
            body,
            status: reply.status,
            response,
            call_id,
        });
        let count = log.len();
        drop(log);
        link.logged.send_replace(count);
        reply
    }
}

type Refused = (u16, String, String);

impl GatewayHandler {
    fn owner_of(&self, call_id: &str) -> Option<(u64, Arc<Link>)> {
        let links = lock(&self.routing.links);
        let id = *links.calls.get(call_id)?;
        links.by_id.get(&id).map(|link| (id, link.clone()))
    }

    /// The scenario a create is for: the one that claimed an id in its body, or the only one
    /// attached.
    fn creator_of(&self, body: Option<&Value>) -> Result<(u64, Arc<Link>), Refused> {
        let links = lock(&self.routing.links);
        let refuse = |message: String| (400, "BadRequest".to_owned(), message);
        if let Some(body) = body {
            for s in strings_of(body) {
                let Some(owners) = links.claims.get(s) else {
                    continue;
                };
                let mut owners = owners.iter();
                return match (owners.next(), owners.next()) {
                    (Some(id), None) => links
                        .by_id
                        .get(id)
                        .map(|link| (*id, link.clone()))
                        .ok_or_else(|| {
                            refuse(format!("the scenario that claimed '{s}' has ended"))
                        }),
                    _ => Err(refuse(format!(
                        "callspec's bot gateway cannot tell which scenario this call is for: \
                         more than one running scenario claimed '{s}'"
                    ))),
                };
            }
        }
        let mut attached = links.by_id.iter();
        match (attached.next(), attached.next()) {
            (Some((id, link)), None) => Ok((*id, link.clone())),
            (None, _) => Err(refuse(
                "callspec's bot gateway has no scenario running to take this call".to_owned(),
            )),
            _ => Err(refuse(format!(
                "callspec's bot gateway cannot tell which scenario this call is for: no running \
                 scenario claimed an id in the request body, and {} scenarios are running",
                links.by_id.len()
            ))),
        }
    }

    fn stray(&self, request: BotRequest) {
        let mut strays = lock(&self.routing.strays);
        if strays.len() >= MAX_STRAYS {
            strays.pop_front();
        }
        strays.push_back(request);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn calling_api_paths_name_their_call() {
        let create = Some(CallTarget::Create);
        let call = |id: &str| Some(CallTarget::Call(id.to_owned()));
        assert_eq!(call_target("POST", "/v1.0/communications/calls"), create);
        assert_eq!(call_target("POST", "/beta/communications/calls/"), create);
        assert_eq!(call_target("POST", "/beta/app/calls"), create);
        assert_eq!(
            call_target("POST", "/v1.0/communications/calls/abc/answer"),
            call("abc")
        );
        assert_eq!(
            call_target("DELETE", "/beta/communications/calls/abc"),
            call("abc")
        );
        assert_eq!(call_target("GET", "/v1.0/communications/calls"), None);
        assert_eq!(call_target("POST", "/v2.0/communications/calls"), None);
        assert_eq!(call_target("GET", "/v1.0/me"), None);
        assert_eq!(
            call_target("GET", "/recordings/abc/r-1"),
            Some(CallTarget::Call("abc".into()))
        );
    }

    #[test]
    fn a_creates_targets_come_first() {
        let body = json!({
            "callbackUri": "https://bot.example/cb",
            "source": {"identity": {"application": {"id": "app"}}},
            "targets": [{"identity": {"user": {"id": "alice-id", "displayName": "Alice"}}}],
        });
        let strings = strings_of(&body);
        assert_eq!(&strings[..3], ["alice-id", "Alice", "app"]);
        assert!(strings.contains(&"https://bot.example/cb"));
    }

    #[test]
    fn settings_never_show_the_secret() {
        let settings = GatewaySettings {
            app: AppIdentity {
                app_id: "a".into(),
                tenant_id: "t".into(),
                display_name: "Bot".into(),
            },
            client_secret: "hunter2".into(),
            port: 0,
            ca_dir: PathBuf::from("/tmp/ca"),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn env_cannot_override_what_the_gateway_gives_the_bot() {
        let dir = std::env::temp_dir().join(format!("callspec-env-{}", std::process::id()));
        let gateway = BotGateway::start(GatewaySettings {
            app: AppIdentity {
                app_id: "a".into(),
                tenant_id: "t".into(),
                display_name: "Bot".into(),
            },
            client_secret: "hunter2-hunter2".into(),
            port: 0,
            ca_dir: dir.clone(),
        })
        .unwrap();
        for (name, _) in gateway.env() {
            assert!(super::super::is_gateway_variable(&name), "{name}");
        }
        drop(gateway);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn ids_must_fit_in_a_url() {
        assert!(check_id("tenant id", "aa67bd4c-8475-432d-bd41-39f255720e0a").is_ok());
        let error = check_id("tenant id", "a/b").unwrap_err().to_string();
        assert!(error.contains("'a/b'"), "{error}");
        assert!(check_id("app id", "").is_err());
    }
}
