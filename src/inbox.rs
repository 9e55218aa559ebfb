//! The bot side: a callback receiver that records every notification and wakes whoever waits.
//!
//! ```no_run
//! # async fn demo() {
//! use callspec::Inbox;
//! let inbox = Inbox::start().await;
//! println!("callbackUri: {}", inbox.callback_uri());
//! let log = inbox.log();
//! let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
//! let arrived = log.wait_until(|all| all.len() >= 2, deadline).await;
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::hosting::Request;
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::hosting::{plain_refusal, Handler, Host, Limits, Space, WireReply};
use crate::standin::{verify_notification_token, SigningKey};
use crate::target::Jwks;

/// The keys notification tokens must be signed with.
#[derive(Debug, Clone)]
pub enum TokenKeys {
    /// The embedded stand-in's key (mock mode).
    StandIn(&'static SigningKey),
    /// Keys published by an OpenID configuration: Microsoft's for live Graph.
    Published(Arc<Jwks>),
}

/// How an inbox checks notification tokens: issued for this app, signed by one of `keys`.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    pub app_id: String,
    pub keys: TokenKeys,
}

impl TokenVerifier {
    fn check(&self, authorization: Option<&str>) -> Result<String, String> {
        let token = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .ok_or("no bearer token")?;
        let claims = match &self.keys {
            TokenKeys::StandIn(key) => verify_notification_token(token, &self.app_id, key),
            TokenKeys::Published(jwks) => jwks.verify(token, &self.app_id),
        };
        claims.map(|c| c.iss)
    }
}

/// One commsNotification as the bot received it.
#[derive(Clone, PartialEq)]
pub struct Received {
    /// Arrival order across the whole inbox, from 0.
    pub seq: usize,
    /// Index of the POST that carried it (a POST may carry several notifications).
    pub delivery: usize,
    /// Request path the notification was POSTed to.
    pub path: String,
    /// The POST's headers, lower-case names; `authorization` is kept apart and never shown.
    /// Shared by the POST's items and by every copy.
    pub headers: std::sync::Arc<[(String, String)]>,
    authorization: Option<String>,
    /// Which element of the envelope's `value` it is.
    index: usize,
    /// The envelope the item came in (shared by its items and by every copy: copying the
    /// notification log is part of every wait).
    pub envelope: std::sync::Arc<Value>,
    /// The call it is about, from `resourceUrl` or `resource`.
    pub call_id: Option<String>,
    /// The inbox's check of the bearer token, when it verifies tokens: the claims' issuer, or
    /// why the token is not valid.
    pub token_check: Option<Result<String, String>>,
    /// When the POST arrived (wall clock), for recordings.
    pub arrived: std::time::SystemTime,
    /// When the POST that carried it was recorded (monotonic clock), for time-to-verdict
    /// figures.
    pub recorded_at: std::time::Instant,
}

impl Received {
    /// The commsNotification item (an element of the envelope's `value`).
    pub fn item(&self) -> &Value {
        &self.envelope["value"][self.index]
    }

    /// The bearer token the notification carried, if any. Never print it.
    pub fn bearer_token(&self) -> Option<&str> {
        self.authorization.as_deref()?.strip_prefix("Bearer ")
    }

    /// A header's value; `authorization` is shown redacted.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        if name == "authorization" {
            return self.authorization.as_deref().map(redact_authorization);
        }
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    /// The unredacted `Authorization` header, for matching only.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// One line for messages: `updated /communications/calls/x state=established`.
    pub fn summary(&self) -> String {
        let change = self.item()["changeType"].as_str().unwrap_or("?");
        let resource = self.item()["resourceUrl"]
            .as_str()
            .or_else(|| self.item()["resource"].as_str())
            .unwrap_or("?");
        let detail = resource_data_in_words(self.item(), false);
        format!("{change} {resource} {detail}")
            .trim_end()
            .to_owned()
    }
}

/// `Bearer eyJ...` becomes `Bearer <redacted>`.
pub fn redact_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} <redacted>"),
        None => "<redacted>".to_owned(),
    }
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received")
            .field("seq", &self.seq)
            .field("path", &self.path)
            .field(
                "authorization",
                &self.authorization.as_deref().map(redact_authorization),
            )
            .field("item", self.item())
            .finish_non_exhaustive()
    }
}

/// The call id in `/communications/calls/{id}[/...]` or `/app/calls/{id}[/...]`.
pub fn call_id_of(resource: &str) -> Option<String> {
    let mut parts = resource.split('/').skip_while(|p| *p != "calls");
    parts.next()?;
    parts.next().filter(|id| !id.is_empty()).map(str::to_owned)
}

/// What an inbox has received, in arrival order; waiters are woken on every arrival.
#[derive(Debug)]
pub struct NotificationLog {
    entries: Mutex<Entries>,
    verifier: Mutex<Option<TokenVerifier>>,
    /// When set, the bot "fails": POSTs are answered with this status and not recorded.
    failing: Mutex<Option<u16>>,
    deliveries: Mutex<usize>,
    rejected: Mutex<Vec<String>>,
    arrivals: watch::Sender<usize>,
}

/// What arrived, kept per call so that a waiter looks at its call's notifications in place
/// (no copy of the log on each wake-up).
#[derive(Debug, Default)]
struct Entries {
    /// By call id (`None`: notifications about no call).
    by_call: HashMap<Option<String>, Vec<Received>>,
    /// Arrival order: the call of each notification and its index there.
    order: Vec<(Option<String>, usize)>,
}

impl Entries {
    fn len(&self) -> usize {
        self.order.len()
    }

    fn push(&mut self, received: Received) {
        let bucket = self.by_call.entry(received.call_id.clone()).or_default();
        self.order.push((received.call_id.clone(), bucket.len()));
        bucket.push(received);
    }

    fn all(&self) -> Vec<Received> {
        self.order
            .iter()
            .map(|(call, i)| self.by_call[call][*i].clone())
            .collect()
    }

    fn for_call(&self, call_id: &str) -> &[Received] {
        self.by_call
            .get(&Some(call_id.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether `done` holds for the notifications of `call` (all of them when `None`).
    fn holds(&self, call: Option<&str>, done: &impl Fn(&[Received]) -> bool) -> bool {
        match call {
            Some(id) => done(self.for_call(id)),
            None => done(&self.all()),
        }
    }
}

impl Default for NotificationLog {
    fn default() -> Self {
        NotificationLog {
            entries: Mutex::default(),
            verifier: Mutex::default(),
            failing: Mutex::default(),
            deliveries: Mutex::default(),
            rejected: Mutex::default(),
            arrivals: watch::Sender::new(0),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl NotificationLog {
    /// Records one POST. A body that is not a commsNotifications envelope is refused (and
    /// remembered, so a spec can say what went wrong).
    pub fn record(
        &self,
        path: &str,
        headers: Vec<(String, String)>,
        body: &[u8],
    ) -> Result<usize, String> {
        let envelope: Value = serde_json::from_slice(body).map_err(|e| {
            let why = format!("a POST to {path} was not JSON: {e}");
            lock(&self.rejected).push(why.clone());
            why
        })?;
        let Some(count) = envelope["value"].as_array().map(Vec::len) else {
            let why = format!("a POST to {path} had no `value` array of notifications");
            lock(&self.rejected).push(why.clone());
            return Err(why);
        };
        let envelope = std::sync::Arc::new(envelope);
        let (authorization, headers): (Vec<_>, Vec<_>) =
            headers.into_iter().partition(|(n, _)| n == "authorization");
        let headers: std::sync::Arc<[(String, String)]> = headers.into();
        let authorization = authorization.into_iter().next().map(|(_, v)| v);
        let token_check = lock(&self.verifier)
            .as_ref()
            .map(|v| v.check(authorization.as_deref()));
        let arrived = std::time::SystemTime::now();
        let delivery = {
            let mut d = lock(&self.deliveries);
            *d += 1;
            *d - 1
        };
        let recorded_at = std::time::Instant::now();
        let mut entries = lock(&self.entries);
        for index in 0..count {
            let item = &envelope["value"][index];
            let resource = item["resourceUrl"]
                .as_str()
                .or_else(|| item["resource"].as_str())
                .unwrap_or_default();
            let seq = entries.len();
            entries.push(Received {
                seq,
                delivery,
                path: path.to_owned(),
                headers: headers.clone(),
                authorization: authorization.clone(),
                call_id: call_id_of(resource),
                token_check: token_check.clone(),
                arrived,
                recorded_at,
                index,
                envelope: std::sync::Arc::clone(&envelope),
            });
        }
        let count = entries.len();
        drop(entries);
        self.arrivals.send_replace(count);
        Ok(count)
    }

    /// Checks every notification's token from now on.
    pub fn verify_tokens(&self, verifier: TokenVerifier) {
        *lock(&self.verifier) = Some(verifier);
    }

    /// Makes the bot answer every notification with `status` (and drop it); `None` heals it.
    pub fn fail_with(&self, status: Option<u16>) {
        *lock(&self.failing) = status;
    }

    pub fn all(&self) -> Vec<Received> {
        lock(&self.entries).all()
    }

    pub fn for_call(&self, call_id: &str) -> Vec<Received> {
        lock(&self.entries).for_call(call_id).to_vec()
    }

    /// When the last notification about `call` (any call when `None`) arrived.
    pub fn last_arrival(&self, call: Option<&str>) -> Option<std::time::Instant> {
        let entries = lock(&self.entries);
        match call {
            Some(id) => entries.for_call(id).last().map(|r| r.recorded_at),
            None => entries
                .order
                .last()
                .map(|(call, i)| entries.by_call[call][*i].recorded_at),
        }
    }

    /// Whether `done` holds for what has arrived about `call` (everything when `None`), looked
    /// at in place.
    pub fn holds(&self, call: Option<&str>, done: impl Fn(&[Received]) -> bool) -> bool {
        lock(&self.entries).holds(call, &done)
    }

    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// POSTs the inbox refused, and why.
    pub fn rejected(&self) -> Vec<String> {
        lock(&self.rejected).clone()
    }

    /// Waits until `done` holds for what has arrived, or `deadline` passes; returns whether it
    /// held. Woken by arrivals, never polls.
    pub async fn wait_until(&self, done: impl Fn(&[Received]) -> bool, deadline: Instant) -> bool {
        self.wait_for_call(None, done, deadline).await
    }

    /// Waits until `done` holds for what has arrived about `call` (everything when `None`), or
    /// `deadline` passes; returns whether it held. Woken by arrivals, never polls.
    pub async fn wait_for_call(
        &self,
        call: Option<&str>,
        done: impl Fn(&[Received]) -> bool,
        deadline: Instant,
    ) -> bool {
        let mut arrivals = self.arrivals.subscribe();
        loop {
            if self.holds(call, &done) {
                return true;
            }
            match tokio::time::timeout_at(deadline, arrivals.changed()).await {
                Ok(Ok(())) => continue,
                // Deadline passed, or the log is gone: one last look.
                _ => return self.holds(call, &done),
            }
        }
    }
}

/// A running callback receiver: one scenario's space on a shared [`InboxServer`], or a server
/// of its own.
#[derive(Debug)]
pub struct Inbox {
    /// Where the inbox is served; dropping it takes the inbox off the server.
    space: Space,
    log: Arc<NotificationLog>,
}

/// One HTTP server for the inboxes of a whole run, each under its own key
/// (`${callback_uri}` is `http://127.0.0.1:PORT/s/KEY/callback`).
#[derive(Debug, Clone)]
pub struct InboxServer {
    host: Host,
}

impl InboxServer {
    /// Starts the server on a free loopback port (needs a Tokio runtime).
    pub fn start() -> std::io::Result<InboxServer> {
        Ok(InboxServer {
            host: Host::start(inbox_limits(), plain_refusal)?,
        })
    }

    /// A new inbox on this server.
    pub fn open(&self) -> Inbox {
        let log = Arc::new(NotificationLog::default());
        let space = self.host.open(Arc::new(Recorder { log: log.clone() }));
        Inbox { space, log }
    }

    /// How many inboxes are open on the server.
    pub fn open_count(&self) -> usize {
        self.host.open_spaces()
    }
}

/// Notification POSTs are small; a megabyte is far beyond any.
fn inbox_limits() -> Limits {
    Limits {
        max_body: 1024 * 1024,
        ..Limits::default()
    }
}

struct Recorder {
    log: Arc<NotificationLog>,
}

impl Handler for Recorder {
    fn handle(&self, request: Request) -> WireReply {
        if request.method.as_str() != "POST" {
            return WireReply::new(405);
        }
        if let Some(status) = *lock(&self.log.failing) {
            return WireReply::new(status);
        }
        let headers = crate::plain_http::header_pairs(&request.headers);
        match self.log.record(request.url.path(), headers, &request.body) {
            // Graph expects a quick 202 Accepted from a bot.
            Ok(_) => WireReply::new(202),
            Err(_) => WireReply::new(400),
        }
    }
}

impl Inbox {
    /// An inbox on a server of its own, on a free loopback port.
    pub async fn start() -> Inbox {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .expect("a free loopback port to serve the inbox on");
        Inbox::serve(listener).expect("a bound listener can be served")
    }

    /// An inbox on a given loopback port (live mode: a tunnel forwards its public URL there).
    pub async fn start_on(port: u16) -> std::io::Result<Inbox> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        Inbox::serve(listener)
    }

    fn serve(listener: std::net::TcpListener) -> std::io::Result<Inbox> {
        let log = Arc::new(NotificationLog::default());
        let recorder = Arc::new(Recorder { log: log.clone() });
        let space = Host::serve(listener, recorder, inbox_limits(), plain_refusal)?;
        Ok(Inbox { space, log })
    }

    /// Base URL of the receiver.
    pub fn uri(&self) -> &str {
        self.space.uri()
    }

    /// A callback URL on this inbox (the `${callback_uri}` of specs).
    pub fn callback_uri(&self) -> String {
        format!("{}/callback", self.space.uri())
    }

    pub fn log(&self) -> &Arc<NotificationLog> {
        &self.log
    }

    /// Takes the inbox off its server (dropping it does the same).
    pub fn shutdown(self) {
        drop(self);
    }
}

/// A notification's `resourceData` in a few words, for messages and reports: `state=established`
/// for a call (with `status`: also an operation's `status=completed`), or a collection counted
/// by what it holds (`2 participant(s)`, `1 content sharing session(s)`), named after the
/// `resourceUrl`'s last segment.
pub fn resource_data_in_words(item: &Value, with_status: bool) -> String {
    let data = &item["resourceData"];
    if let Value::Array(list) = data {
        let url = item["resourceUrl"]
            .as_str()
            .or_else(|| item["resource"].as_str())
            .unwrap_or_default();
        let kind = match url.rsplit('/').next().unwrap_or_default() {
            s if s.eq_ignore_ascii_case("contentsharingsessions") => "content sharing session(s)",
            s if s.eq_ignore_ascii_case("audioroutinggroups") => "audio routing group(s)",
            s if s.eq_ignore_ascii_case("operations") => "operation(s)",
            _ => "participant(s)",
        };
        return format!("{} {kind}", list.len());
    }
    data["state"]
        .as_str()
        .map(|s| format!("state={s}"))
        .or_else(|| {
            with_status
                .then(|| data["status"].as_str().map(|s| format!("status={s}")))
                .flatten()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_data_in_words_names_what_a_collection_holds() {
        let call = json!({"resourceUrl": "/communications/calls/c1",
                          "resourceData": {"state": "established"}});
        let roster = json!({"resourceUrl": "/communications/calls/c1/participants",
                            "resourceData": [{}, {}]});
        let sharing = json!({"resourceUrl": "/communications/calls/c1/contentsharingsessions",
                             "resourceData": [{"id": "s1"}]});
        let operation = json!({"resourceUrl": "/communications/calls/c1/operations/o1",
                               "resourceData": {"status": "completed"}});
        assert_eq!(resource_data_in_words(&call, false), "state=established");
        assert_eq!(resource_data_in_words(&roster, false), "2 participant(s)");
        assert_eq!(
            resource_data_in_words(&sharing, false),
            "1 content sharing session(s)"
        );
        assert_eq!(resource_data_in_words(&operation, false), "");
        assert_eq!(resource_data_in_words(&operation, true), "status=completed");
    }

    fn post(log: &NotificationLog, items: Value) -> Result<usize, String> {
        let body = json!({ "value": items }).to_string();
        let headers = vec![("authorization".to_owned(), "Bearer secret-token".to_owned())];
        log.record("/callback", headers, body.as_bytes())
    }

    #[test]
    fn call_ids_come_from_either_resource_form() {
        assert_eq!(
            call_id_of("/communications/calls/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            call_id_of("/app/calls/abc/participants").as_deref(),
            Some("abc")
        );
        assert_eq!(call_id_of("/communications/calls/"), None);
        assert_eq!(call_id_of("/nothing"), None);
    }

    #[test]
    fn records_items_per_call_and_hides_the_token() {
        let log = NotificationLog::default();
        post(
            &log,
            json!([{"resourceUrl": "/communications/calls/a", "changeType": "updated"},
                          {"resource": "/app/calls/b", "changeType": "deleted"}]),
        )
        .unwrap();
        assert_eq!(log.len(), 2);
        let a = log.for_call("a");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].bearer_token(), Some("secret-token"));
        assert_eq!(
            a[0].header("Authorization").as_deref(),
            Some("Bearer <redacted>")
        );
        assert!(!format!("{:?}", a[0]).contains("secret-token"));
        assert_eq!(log.for_call("b")[0].delivery, 0);
        assert!(post(&log, json!({"not": "a list"})).is_err());
        assert!(log.record("/cb", vec![], b"nope").is_err());
        assert_eq!(log.rejected().len(), 2);
    }

    #[tokio::test]
    async fn waiters_wake_on_arrival_and_give_up_at_the_deadline() {
        let log = Arc::new(NotificationLog::default());
        let writer = log.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            post(&writer, json!([{"resourceUrl": "/communications/calls/a"}])).unwrap();
        });
        let far = Instant::now() + std::time::Duration::from_secs(10);
        assert!(log.wait_until(|all| all.len() == 1, far).await);
        let soon = Instant::now() + std::time::Duration::from_millis(20);
        assert!(!log.wait_until(|all| all.len() == 2, soon).await);
    }
}
