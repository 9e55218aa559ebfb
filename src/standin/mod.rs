//! The Graph stand-in: a wiremock server that answers the calling API the way Graph does and
//! sends the notifications Graph would send, in simulated time.
//!
//! ```no_run
//! # async fn demo() {
//! use callspec::{StandIn, StandInConfig};
//! let standin = StandIn::start(StandInConfig::default()).await;
//! println!("POST {}/v1.0/communications/calls", standin.uri());
//! standin.shutdown();
//! # }
//! ```

mod auth;
mod calls;
mod graph_error;
mod notifications;
mod router;
mod timeline;
mod validation;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use wiremock::{matchers::any, Mock, MockServer};

pub use auth::{
    authenticate, authorize, verify_notification_token, AccessClaims, NotificationClaims,
    SigningKey, GRAPH_AUDIENCE, NOTIFICATION_ISSUER,
};
pub use calls::{ApiVersion, AppIdentity, CallKind, CallState, Profile, ResourceStyle};
pub use graph_error::GraphError;
pub use timeline::ResultInfo;
pub use validation::{validate_create, CallbackPolicy, MAX_BODY_BYTES, MAX_GROUP_TARGETS};

use calls::CallRegistry;
use timeline::{CallEvent, Timeline};

/// How long after the create the callee answers (or the meeting lets the bot in), simulated.
pub const DEFAULT_ANSWER_DELAY: Duration = Duration::from_secs(1);
/// Wall-time bound on one notification POST to a bot.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// How a stand-in behaves.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// Where notifications for non-loopback callback URLs go instead (the scenario's inbox):
    /// the documented `https://bot.contoso.com/...` callbacks run unchanged in mock mode.
    pub route_callbacks_to: Option<String>,
    pub callback_policy: CallbackPolicy,
    pub answer_delay: Duration,
}

impl Default for StandInConfig {
    fn default() -> Self {
        StandInConfig {
            route_callbacks_to: None,
            callback_policy: CallbackPolicy::AllowLoopbackHttp,
            answer_delay: DEFAULT_ANSWER_DELAY,
        }
    }
}

impl StandInConfig {
    pub fn route_callbacks_to(mut self, base_url: impl Into<String>) -> Self {
        self.route_callbacks_to = Some(base_url.into());
        self
    }
}

/// One notification POST the stand-in made.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub call_id: String,
    /// Simulated time the notification was sent at.
    pub at: Duration,
    /// The callback URL as the call named it.
    pub callback_uri: String,
    /// Where it was actually sent (differs when routed to the inbox).
    pub sent_to: String,
    pub body: serde_json::Value,
    /// The bot's HTTP status, or why there was none.
    pub outcome: Result<u16, String>,
}

/// State shared by the server's responder and the harness.
#[derive(Debug)]
struct Shared {
    config: StandInConfig,
    base_url: String,
    key: &'static SigningKey,
    registry: Mutex<CallRegistry>,
    timeline: Mutex<Timeline>,
    deliveries: Mutex<Vec<Delivery>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking holder cannot leave these structures half-updated in a way that matters more
    // than losing the whole scenario, so carry on with the data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running Graph stand-in.
#[derive(Debug)]
pub struct StandIn {
    server: Option<MockServer>,
    shared: Arc<Shared>,
    client: reqwest::Client,
}

impl StandIn {
    pub async fn start(config: StandInConfig) -> StandIn {
        let server = MockServer::builder().start().await;
        let shared = Arc::new(Shared {
            config,
            base_url: server.uri(),
            key: SigningKey::for_run(),
            registry: Mutex::default(),
            timeline: Mutex::default(),
            deliveries: Mutex::default(),
        });
        Mock::given(any())
            .respond_with(router::GraphRouter::new(shared.clone()))
            .mount(&server)
            .await;
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .expect("an HTTP client with a timeout builds");
        StandIn {
            server: Some(server),
            shared,
            client,
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (the `${graph}` of specs).
    pub fn uri(&self) -> &str {
        &self.shared.base_url
    }

    /// An access token this stand-in accepts (if the claims are valid).
    pub fn token(&self, claims: &AccessClaims) -> String {
        claims.token(self.shared.key)
    }

    /// The key notifications are signed with.
    pub fn signing_key(&self) -> &'static SigningKey {
        self.shared.key
    }

    /// Simulated time now.
    pub fn now(&self) -> Duration {
        lock(&self.shared.timeline).now()
    }

    /// When the next scheduled event is due, if any.
    pub fn next_due(&self) -> Option<Duration> {
        lock(&self.shared.timeline).next_due()
    }

    /// The state of a call, if the stand-in knows it.
    pub fn call_state(&self, id: &str) -> Option<CallState> {
        lock(&self.shared.registry).get(id).map(|c| c.state)
    }

    /// Every notification POST so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.deliveries).clone()
    }

    /// Sends the next notification due at or before simulated time `limit`, moving the clock to
    /// it. Returns `None` when nothing is due by then.
    pub async fn deliver_next(&self, limit: Duration) -> Option<Delivery> {
        loop {
            let (at, event) = lock(&self.shared.timeline).pop_due(limit)?;
            let Some(outgoing) = self.shared.fire(event) else {
                continue; // the event no longer applies (its call ended)
            };
            let delivery = self.post(outgoing, at).await;
            lock(&self.shared.deliveries).push(delivery.clone());
            return Some(delivery);
        }
    }

    /// Sends everything due within `window` of simulated time, then moves the clock to its end.
    pub async fn advance(&self, window: Duration) -> Vec<Delivery> {
        let until = self.now() + window;
        let mut sent = Vec::new();
        while let Some(d) = self.deliver_next(until).await {
            sent.push(d);
        }
        lock(&self.shared.timeline).advance_to(until);
        sent
    }

    async fn post(&self, out: Outgoing, at: Duration) -> Delivery {
        let sent_to = self.delivery_url(&out.callback_uri);
        let token = auth::notification_token(&out.app, self.shared.key);
        let result = self
            .client
            .post(&sent_to)
            .bearer_auth(token)
            .header("User-Agent", "callspec-standin/Graph-notifications")
            .header("X-Microsoft-Skype-Chain-ID", &out.chain_id)
            .header(
                "X-Microsoft-Skype-Message-ID",
                uuid::Uuid::new_v4().to_string(),
            )
            .json(&out.body)
            .send()
            .await;
        Delivery {
            call_id: out.call_id,
            at,
            callback_uri: out.callback_uri,
            sent_to,
            body: out.body,
            outcome: result
                .map(|r| r.status().as_u16())
                .map_err(|e| e.without_url().to_string()),
        }
    }

    /// Loopback callbacks are sent as given; others go to the configured inbox, keeping the path.
    fn delivery_url(&self, callback_uri: &str) -> String {
        let Some(inbox) = &self.shared.config.route_callbacks_to else {
            return callback_uri.to_owned();
        };
        match url::Url::parse(callback_uri) {
            Ok(url) if is_loopback(&url) => callback_uri.to_owned(),
            Ok(url) => {
                let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{}{}{query}", inbox.trim_end_matches('/'), url.path())
            }
            Err(_) => inbox.clone(),
        }
    }

    /// Stops the server. wiremock's `MockServer` blocks the thread it is dropped on, so it is
    /// dropped on a blocking thread, never on the (shared) task that runs the scenarios.
    pub fn shutdown(mut self) {
        release(self.server.take());
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        release(self.server.take());
    }
}

/// Drops a wiremock server off the async runtime's worker threads.
pub(crate) fn release(server: Option<MockServer>) {
    let Some(server) = server else { return };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => drop(handle.spawn_blocking(move || drop(server))),
        Err(_) => drop(server),
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A notification ready to send.
struct Outgoing {
    call_id: String,
    callback_uri: String,
    chain_id: String,
    app: AppIdentity,
    body: serde_json::Value,
}

impl Shared {
    /// Applies an event to its call and builds the notification the bot gets for it.
    fn fire(&self, event: CallEvent) -> Option<Outgoing> {
        let mut registry = lock(&self.registry);
        let call = registry.get_mut(event.call_id())?;
        if call.state == CallState::Terminated {
            return None;
        }
        let body = match event {
            CallEvent::State {
                state,
                change,
                result,
                ..
            } => {
                if call.state != state {
                    call.set_state(state);
                }
                if let Some(r) = result {
                    call.resource["resultInfo"] = serde_json::json!({
                        "@odata.type": "#microsoft.graph.resultInfo",
                        "code": r.code,
                        "subcode": r.subcode,
                        "message": r.message,
                    });
                }
                notifications::call_state(call, change)
            }
            CallEvent::Roster { .. } => notifications::roster(call, &call.participants),
        };
        Some(Outgoing {
            call_id: call.id.clone(),
            callback_uri: call.callback_uri().to_owned(),
            chain_id: call.chain_id().to_owned(),
            app: call.app.clone(),
            body,
        })
    }
}
