//! The Graph stand-in: a server (on [`crate::hosting`]'s front) that answers the calling API
//! the way Graph does and sends the notifications Graph would send, in simulated time.
//!
//! ```no_run
//! # async fn demo() {
//! use callspec::{StandIn, StandInConfig};
//! let standin = StandIn::start(StandInConfig::default()).await;
//! println!("POST {}/v1.0/communications/calls", standin.uri());
//! standin.shutdown();
//! # }
//! ```
//!
//! # Layers
//!
//! Each module imports only modules below it (`src/import_circles.rs` checks there is no
//! circle). From the bottom:
//!
//! 1. data: `graph_error`, `reply`, `script`, `state` (what a call keeps for its operations),
//!    `calls` (the call registry), `journal`, `faults`, `delivery`, `realtime`.
//! 2. `notifications`, `event`, `timeline`: the notifications built, the events planned.
//! 3. `lifecycle`: a call's own state, roster and tones as events arrive.
//! 4. `context`: what every operation works on and the helpers they share.
//! 5. the operations: `operations`, `media`, `participants`, `audio_routing`, `recording`.
//! 6. `apply` (an event to its call: media, recording or lifecycle) and `surface` (routes a
//!    call's sub-paths to the operations).
//! 7. `auth`, `validation`, `admin` (the test-control endpoints), then `router` on top:
//!    every request comes in there.
//!
//! # State
//!
//! A stand-in's mutable data (registry, timeline, script, quirks, faults, deliveries, journal,
//! clock, ...) is one `State` behind one std `Mutex` in `Shared`, as in tokio mini-redis's
//! `db.rs`; `Shared` says why. The guard is taken once per operation and handed down as
//! `&mut State` (or its fields): nothing that locks runs while it is held, and it is never
//! held across an `.await`. (The `state` module is something else: what one call record keeps
//! for its operations.)

mod admin;
mod apply;
mod audio_routing;
mod auth;
mod calls;
mod context;
mod delivery;
mod event;
mod faults;
mod graph_error;
mod journal;
mod lifecycle;
mod media;
mod notifications;
mod operations;
mod participants;
mod realtime;
mod recording;
mod reply;
mod router;
mod script;
mod state;
mod surface;
mod timeline;
mod validation;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::hosting::{Host, Limits, Space};

pub(crate) use admin::prompt_purge;
pub use auth::{
    authenticate, authorize, notification_token, verify_notification_token, AccessClaims,
    NotificationClaims, NotificationToken, SigningKey, GRAPH_AUDIENCE, NOTIFICATION_ISSUER,
};
pub(crate) use calls::is_app_hosted_media;
pub use calls::{
    ApiVersion, AppIdentity, CallKind, CallState, Profile, ResourceStyle, ALL_CALLING_ROLES,
    DEFAULT_APP_ID, DEFAULT_APP_NAME, DEFAULT_TENANT_ID,
};
pub use delivery::{Hold, Kind as NotificationKind, STATES as NOTIFIED_STATES};
pub use faults::{Fault, RateLimit, GRAPH_RATE_LIMIT};
pub use graph_error::GraphError;
pub use journal::DEFAULT_JOURNAL_SIZE;
pub use lifecycle::names_of;
pub use recording::{STATUSES as RECORDING_STATUSES, STATUS_WINDOW as RECORDING_STATUS_WINDOW};
pub(crate) use router::graph_refusal;
pub use script::{
    codes, Answer, Callee, Lobby, MeetingChange, RemoteScript, ResultInfo, DEFAULT_RINGING_TIMEOUT,
    INCOMING_ANSWER_WINDOW, LOBBY_TIMEOUT, OPERATION_DELAY, REFUSAL_DELAY,
};
pub use timeline::MAX_DURATION;
pub use validation::{validate_create, CallbackPolicy, MAX_BODY_BYTES, MAX_GROUP_TARGETS};

use calls::CallRegistry;
use lifecycle::CallEvent;
use timeline::Timeline;

/// How long after the create the callee answers (or the meeting lets the bot in), simulated.
pub const DEFAULT_ANSWER_DELAY: Duration = Duration::from_secs(1);

/// How a stand-in behaves.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// Where notifications for non-loopback callback URLs go instead (the scenario's inbox):
    /// the documented `https://bot.contoso.com/...` callbacks run unchanged in mock mode.
    pub route_callbacks_to: Option<String>,
    pub callback_policy: CallbackPolicy,
    pub answer_delay: Duration,
    /// Serves the admin API under `/_callspec/` (the `callspec serve` server); specs' stand-ins
    /// do not expose it.
    pub admin: bool,
    /// The app the admin API's tokens and incoming calls are for, by default the "Calling Bot"
    /// of the Graph docs.
    pub app: AppIdentity,
    /// How many API requests, and how many notification POSTs, are kept (the oldest go
    /// first); `None` keeps all (specs' stand-ins: their steps count every delivery).
    pub journal_size: Option<usize>,
    /// How long (simulated) an ended call is kept before it is forgotten, with a real-time
    /// driver; `None` keeps ended calls.
    pub retention: Option<Duration>,
    /// How many calls one app may have going at once (`callspec serve`: one client cannot make
    /// the stand-in hold unbounded memory); `None`: no limit (specs' stand-ins).
    pub max_live_calls_per_app: Option<usize>,
}

impl Default for StandInConfig {
    fn default() -> Self {
        StandInConfig {
            route_callbacks_to: None,
            callback_policy: CallbackPolicy::AllowLoopbackHttp,
            answer_delay: DEFAULT_ANSWER_DELAY,
            admin: false,
            app: AppIdentity::calling_bot(),
            journal_size: None,
            retention: None,
            max_live_calls_per_app: None,
        }
    }
}

impl StandInConfig {
    pub fn route_callbacks_to(mut self, base_url: impl Into<String>) -> Self {
        self.route_callbacks_to = Some(base_url.into());
        self
    }
}

/// How the stand-in delivers notifications: Graph warns they "may arrive out of order", and a
/// retried delivery arrives twice. Deterministic: the same spec gives the same order every run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryQuirks {
    /// Swap each pair of consecutive notifications (2, 1, 4, 3, ...); with a real-time driver
    /// a held-back one waits in wall time for the next due within 2 s.
    pub out_of_order: bool,
    /// Send every notification twice.
    pub duplicate: bool,
    /// The token notifications carry (a forged or expired one, for bots that must refuse it).
    pub token: NotificationToken,
    /// The token the next notification alone carries, then `token` again: a forgery in the
    /// middle of a real call.
    pub next_token: Option<NotificationToken>,
    /// Send notifications to an address where nothing listens (the delivery fails).
    pub callback_unreachable: bool,
    /// Send a call's notifications due at the same moment in one POST (several items in the
    /// envelope's `value`, as real Graph may).
    pub batch: bool,
    /// Hold one notification back until another has been delivered (in wall time with a
    /// real-time driver): `established` before `establishing`, a key press after the hang-up.
    pub hold: Option<Hold>,
    /// Send the next notification twice, then each once again.
    pub next_twice: bool,
}

/// Something the other side does to a running call, scripted by a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteAction {
    /// The remote party presses a key (`"5"`, `"#"`, `"*"`), sent as `tone5`, `pound`, `star`.
    PressesKey(String),
    /// The remote party hangs up (200/5002).
    HangsUp,
    /// Someone joins the meeting or call.
    Joins(String),
    /// Someone leaves it (by display name or id).
    Leaves(String),
    /// The other side speaks for this long (a recording hears it), then is silent.
    Speaks(Duration),
    /// The other side says nothing (a recording times out on its initial silence).
    StaysSilent,
    /// Someone (by display name or participant id) shares their screen.
    SharesScreen(String),
    /// Someone (by display name or participant id) stops sharing their screen.
    StopsSharingScreen(String),
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
    /// Wall time from sending the POST to the bot's answer, or to the failure (zero for a
    /// notification never sent): Graph wants webhooks to answer at once.
    pub elapsed: Duration,
    /// The token it carried (forged ones are what a bot must refuse).
    pub token: NotificationToken,
}

/// State shared by the server's responder and the harness (the model: tokio mini-redis's
/// `db.rs`, `Shared { state: Mutex<State>, .. }`).
///
/// All the stand-in's mutable data is one [`State`] behind one lock, not a lock per part: an
/// operation touches several parts at once (a create fills the registry and plans on the
/// timeline; a reset clears the registry, timeline and deliveries together), and one lock
/// makes each operation one consistent step with no lock order to keep. Critical sections are
/// short (no I/O, no signing of tokens) and the guard is never held across an `.await`, which
/// is also why it is std's `Mutex` and not tokio's. What must be read or signalled without
/// the lock stays outside it: the reset `epoch`, the `recorded` count, the `in_flight` count
/// and the `wake` signal (atomics, a watch channel and a Notify are lock-free: waiting for a
/// delivery, counting those under way or checking a delivery's epoch never takes the lock).
#[derive(Debug)]
struct Shared {
    config: StandInConfig,
    base_url: String,
    key: &'static SigningKey,
    state: Mutex<State>,
    /// Bumped by a reset (under the state lock): deliveries begun before it are not recorded
    /// after it.
    epoch: AtomicU64,
    /// How many deliveries were recorded so far, never reset: to wait for them.
    recorded: tokio::sync::watch::Sender<u64>,
    /// Notification POSTs under way (sent, not yet answered): what "every notification was
    /// acknowledged" must wait for.
    in_flight: AtomicU64,
    /// Signalled whenever events are scheduled, to wake the real-time driver.
    wake: tokio::sync::Notify,
}

/// The stand-in's mutable data, under [`Shared::state`].
#[derive(Debug)]
struct State {
    /// The base URL the bot reaches this stand-in at when another server fronts it (the bot
    /// gateway): `Location` headers and `@odata.context` point there.
    public_url: Option<String>,
    registry: CallRegistry,
    timeline: Timeline,
    script: RemoteScript,
    quirks: DeliveryQuirks,
    faults: faults::Faults,
    /// A notification held back to be sent after the next one (out-of-order delivery).
    held: Option<(Outgoing, Duration)>,
    /// The last callback a notification went to, and where it was sent.
    last_route: Option<Route>,
    deliveries: journal::DeliveryLog,
    /// The API requests answered, for the admin API's journal (never a token).
    journal: journal::Journal,
    /// Set when a real-time driver runs: simulated time follows the wall clock.
    clock: Option<realtime::RealClock>,
}

impl Shared {
    /// The state, locked. std's `Mutex` is not reentrant: nothing that locks may be called
    /// while the guard is held (helpers take `&mut State` instead). Debug builds check it: a
    /// second `lock()` on the same thread panics instead of hanging.
    fn lock(&self) -> StateGuard<'_> {
        #[cfg(debug_assertions)]
        let held = Held::mark(&self.state);
        // A panicking holder cannot leave these structures half-updated in a way that matters
        // more than losing the whole scenario, so carry on with the data.
        let guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        StateGuard {
            guard,
            #[cfg(debug_assertions)]
            _held: held,
        }
    }
}

/// [`Shared::lock`]'s guard.
struct StateGuard<'a> {
    guard: MutexGuard<'a, State>,
    /// Dropped after `guard`: the thread is marked as holding the lock while it does.
    #[cfg(debug_assertions)]
    _held: Held,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.guard
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

#[cfg(debug_assertions)]
thread_local! {
    /// The state locks this thread holds (their addresses).
    static HELD: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// This thread holds the state lock at this address while it lives.
#[cfg(debug_assertions)]
struct Held(usize);

#[cfg(debug_assertions)]
impl Held {
    /// Marks the lock as held by this thread, before it is taken: taken twice, it panics.
    fn mark(state: &Mutex<State>) -> Held {
        let address = state as *const Mutex<State> as usize;
        HELD.with_borrow_mut(|held| {
            assert!(
                !held.contains(&address),
                "the stand-in's state is locked twice on one thread (std's Mutex would \
                 deadlock): hand the guard's `&mut State` down instead of locking again"
            );
            held.push(address);
        });
        Held(address)
    }
}

#[cfg(debug_assertions)]
impl Drop for Held {
    fn drop(&mut self) {
        let _ = HELD.try_with(|held| {
            let mut held = held.borrow_mut();
            if let Some(i) = held.iter().rposition(|a| *a == self.0) {
                held.swap_remove(i);
            }
        });
    }
}

/// A running Graph stand-in: one scenario's space on a shared [`StandInServer`], or a server of
/// its own.
#[derive(Debug)]
pub struct StandIn {
    /// Where the stand-in is served; dropping it takes the stand-in off the server.
    space: Space,
    shared: Arc<Shared>,
}

/// One HTTP server for the stand-ins of a whole run: each scenario's stand-in is reached under
/// its own key (`${graph}` is `http://127.0.0.1:PORT/s/KEY`), with its own calls, clock, script,
/// faults, quirks and deliveries.
#[derive(Debug, Clone)]
pub struct StandInServer {
    host: Host,
}

/// The front's limits for a stand-in: bodies no larger than Graph's create accepts.
fn standin_limits() -> Limits {
    Limits {
        max_body: MAX_BODY_BYTES,
        ..Limits::default()
    }
}

impl StandInServer {
    /// Starts the server on a free loopback port (needs a Tokio runtime).
    pub fn start() -> std::io::Result<StandInServer> {
        Ok(StandInServer {
            host: Host::start(standin_limits(), router::graph_refusal)?,
        })
    }

    /// Base URL of the server (each stand-in has its own under it).
    pub fn uri(&self) -> &str {
        self.host.uri()
    }

    /// The runtime the server runs on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.host.runtime()
    }

    /// A new stand-in on this server.
    pub fn open(&self, config: StandInConfig) -> StandIn {
        let mut shared = None;
        let space = self.host.open_with(|base_url| {
            let made = Arc::new(Shared::new(config, base_url.to_owned()));
            shared = Some(made.clone());
            Arc::new(router::GraphRouter::new(made))
        });
        StandIn {
            space,
            shared: shared.expect("open_with calls the closure"),
        }
    }

    /// How many stand-ins are open on the server.
    pub fn open_count(&self) -> usize {
        self.host.open_spaces()
    }
}

impl Shared {
    fn new(config: StandInConfig, base_url: String) -> Shared {
        let journal_size = config.journal_size;
        Shared {
            state: Mutex::new(State {
                public_url: None,
                registry: CallRegistry::default(),
                timeline: Timeline::default(),
                script: RemoteScript::new(config.answer_delay),
                quirks: DeliveryQuirks::default(),
                faults: faults::Faults::default(),
                held: None,
                last_route: None,
                deliveries: journal::Ring::with_capacity(journal_size),
                journal: journal::Ring::with_capacity(journal_size),
                clock: None,
            }),
            key: SigningKey::for_run(),
            config,
            base_url,
            epoch: AtomicU64::new(0),
            recorded: tokio::sync::watch::Sender::new(0),
            in_flight: AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Shared {
    /// The base URL the bot uses for this stand-in: the front's when one is set.
    fn public_base(&self) -> String {
        self.public_base_in(&self.lock())
    }

    /// [`Shared::public_base`], for a caller that holds the lock.
    fn public_base_in(&self, state: &State) -> String {
        state
            .public_url
            .clone()
            .unwrap_or_else(|| self.base_url.clone())
    }
}

impl StandIn {
    /// The stand-in's request handler, to call in-process (the bot gateway routes the bot's
    /// requests to it as if they had come to the stand-in's own URL).
    pub(crate) fn handler(&self) -> Arc<dyn crate::hosting::Handler> {
        Arc::new(router::GraphRouter::new(self.shared.clone()))
    }

    /// Has the stand-in name `base_url` in the URLs it hands out (`Location`,
    /// `@odata.context`): the bot reaches it through that front.
    pub(crate) fn set_public_url(&self, base_url: &str) {
        self.shared.lock().public_url = Some(base_url.trim_end_matches('/').to_owned());
    }

    /// A stand-in on a server of its own, on a free loopback port.
    pub async fn start(config: StandInConfig) -> StandIn {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .expect("a free loopback port to serve the stand-in on");
        Self::start_on(config, listener).await
    }

    /// A stand-in on a server of its own, on `listener` (a fixed port). Requests are only
    /// accepted once the stand-in is ready to answer them.
    pub async fn start_on(config: StandInConfig, listener: std::net::TcpListener) -> StandIn {
        Self::serve_on(config, listener, Duration::from_secs(10))
            .expect("a bound listener can be served")
    }

    /// A stand-in on a server of its own, on `listener`, closing connections idle for longer
    /// than `idle_timeout` (`callspec serve`).
    pub fn serve_on(
        config: StandInConfig,
        listener: std::net::TcpListener,
        idle_timeout: Duration,
    ) -> std::io::Result<StandIn> {
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, format!("http://{address}")));
        let handler = Arc::new(router::GraphRouter::new(shared.clone()));
        let limits = Limits {
            idle_timeout,
            body_timeout: idle_timeout,
            ..standin_limits()
        };
        let space = Host::serve(listener, handler, limits, router::graph_refusal)?;
        Ok(StandIn { space, shared })
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
        self.shared.lock().timeline.now()
    }

    /// When the next scheduled event is due, if any.
    pub fn next_due(&self) -> Option<Duration> {
        self.shared.lock().timeline.next_due()
    }

    /// The state of a call, if the stand-in knows it.
    pub fn call_state(&self, id: &str) -> Option<CallState> {
        self.shared.lock().registry.get(id).map(|c| c.state)
    }

    /// How many calls the stand-in knows (live, and ended ones not yet forgotten).
    pub fn call_count(&self) -> usize {
        self.shared.lock().registry.count()
    }

    /// How many notification POSTs the stand-in has made so far.
    pub fn delivery_count(&self) -> usize {
        self.shared.lock().deliveries.len()
    }

    /// Every notification POST so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.to_vec()
    }

    /// Changes what the other side does for calls created from now on (`change` runs under the
    /// stand-in's lock: it must not call the stand-in).
    pub fn update_script(&self, change: impl FnOnce(&mut RemoteScript)) {
        change(&mut self.shared.lock().script);
    }

    /// The next `times` API requests get `fault`.
    pub fn inject(&self, fault: Fault, times: u64) {
        self.shared.lock().faults.push(fault, times);
    }

    /// The bot's next POST of `action` (`playPrompt`, `answer`, ...) gets `fault`.
    pub fn inject_for(&self, action: &str, fault: Fault) {
        self.shared.lock().faults.push_for(action, fault);
    }

    /// Throttles API requests beyond `limit` (e.g. [`GRAPH_RATE_LIMIT`]); `None` lifts it.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.lock().faults.set_rate_limit(limit);
    }

    /// How notifications are delivered now.
    pub fn delivery(&self) -> DeliveryQuirks {
        self.shared.lock().quirks
    }

    /// Changes one aspect of how notifications are delivered, keeping the others (`change` runs
    /// under the stand-in's lock: it must not call the stand-in).
    pub fn update_delivery(&self, change: impl FnOnce(&mut DeliveryQuirks)) {
        change(&mut self.shared.lock().quirks);
    }

    /// Someone calls the bot: a `created` notification with state `incoming` goes to
    /// `callback_uri`; the bot has 15 s (simulated) to answer, reject or redirect. Returns the
    /// call as Graph describes it.
    pub fn incoming_call(
        &self,
        caller: serde_json::Value,
        callback_uri: &str,
        app: &AppIdentity,
    ) -> serde_json::Value {
        self.shared.incoming_call(caller, callback_uri, app)
    }

    /// A user whose Teams recording policy names the bot starts a call (`other`: whom they call)
    /// or joins a meeting (`other` is `None`): Teams invites the bot to record it, an incoming
    /// call with the recorded user as source and an `incomingContext`. Under a strict policy
    /// (the script's `strict_recording`) the call ends if the bot does not report that it
    /// records in time. Returns the call as Graph describes it.
    pub fn policy_recording_invite(
        &self,
        recorded: serde_json::Value,
        other: Option<serde_json::Value>,
        callback_uri: &str,
        app: &AppIdentity,
    ) -> serde_json::Value {
        let invite = recording::Invite {
            recorded: recorded.clone(),
            other,
            strict: self.shared.lock().script.strict_recording,
        };
        self.shared
            .incoming_with(recorded, callback_uri, app, |call| {
                recording::make_invite(call, &invite)
            })
    }

    /// The recording statuses the bot reported for a call, in order (`None`: the call is not
    /// one Teams invited the bot to record, or is unknown).
    pub fn reported_recording_statuses(&self, call_id: &str) -> Option<Vec<String>> {
        self.shared
            .lock()
            .registry
            .get(call_id)
            .and_then(|c| c.recording.as_ref())
            .map(|r| r.reported.clone())
    }

    /// Schedules something the other side does to a call, `after` from now (simulated).
    pub fn remote(
        &self,
        call_id: &str,
        after: Duration,
        action: RemoteAction,
    ) -> Result<(), GraphError> {
        self.shared.remote(call_id, after, action)
    }

    /// Sends the next notification(s) due at or before simulated time `limit`, moving the
    /// clock to them. Returns how many were sent: 0 when nothing is due by then.
    ///
    /// The notifications are built here and sent from the server's runtime: in a run, that is
    /// the servers' own thread, so the HTTP side of the delivery keeps the second core busy
    /// instead of the runner's.
    pub async fn deliver_next(&self, limit: Duration) -> usize {
        let due = self.shared.due_outgoing(limit);
        let sent = due.len();
        if sent == 0 {
            return 0;
        }
        // Built here, on the scenario's thread: the servers' thread only does the HTTP.
        let ready: Vec<Ready> = due
            .into_iter()
            .map(|(out, at)| self.shared.prepare(out, at))
            .collect();
        let shared = self.shared.clone();
        let task = self.space.runtime().spawn(async move {
            for ready in ready {
                shared.post_ready(ready).await;
            }
        });
        match task.await {
            Ok(()) => sent,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down: the process is ending.
            Err(_) => 0,
        }
    }

    /// Sends the bot a hang-up of `call_id` that Graph did not send: the `deleted` notification
    /// the other side's hang-up would bring (terminated, 200/5002), carrying `token` (a
    /// forgery), while the call itself goes on. Anyone who knows a bot's webhook can POST this;
    /// a bot must refuse it and keep the call.
    pub async fn send_forged_hang_up(
        &self,
        call_id: &str,
        token: NotificationToken,
    ) -> Result<(), GraphError> {
        let out = {
            let state = self.shared.lock();
            let call = state
                .registry
                .get(call_id)
                .ok_or_else(GraphError::call_not_found)?;
            let mut ended = call.clone();
            ended.state = calls::CallState::Terminated;
            ended.resource["state"] = serde_json::json!("terminated");
            ended.resource["resultInfo"] = lifecycle::result_json(codes::REMOTE_HUNG_UP);
            Outgoing {
                call_id: call.id.clone(),
                callback_uri: call.callback_uri().to_owned(),
                chain_id: call.chain_id().to_owned(),
                app: call.app.clone(),
                body: notifications::call_state(&ended, notifications::ChangeType::Deleted),
            }
        };
        let ready = self.shared.prepare_with(out, self.now(), Some(token));
        let shared = self.shared.clone();
        let task = self
            .space
            .runtime()
            .spawn(async move { shared.post_ready(ready).await });
        match task.await {
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            _ => Ok(()),
        }
    }

    /// Sends everything due within `window` of simulated time, then moves the clock to its end.
    /// Returns how many notifications were sent ([`StandIn::deliveries`] has them).
    pub async fn advance(&self, window: Duration) -> usize {
        let until = self.now().saturating_add(window);
        let mut sent = 0;
        loop {
            let batch = self.deliver_next(until).await;
            if batch == 0 {
                break;
            }
            sent += batch;
        }
        self.shared.lock().timeline.advance_to(until);
        sent
    }

    /// Waits until `count` notification POSTs have been recorded since the stand-in started
    /// (the bot may see a notification a moment before the stand-in records its answer), or
    /// until `deadline`; says whether they were.
    pub async fn wait_for_deliveries(&self, count: u64, deadline: tokio::time::Instant) -> bool {
        let mut recorded = self.shared.recorded.subscribe();
        tokio::time::timeout_at(deadline, recorded.wait_for(|n| *n >= count))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// How many notification POSTs are under way (sent, not yet answered or failed).
    pub fn deliveries_in_flight(&self) -> u64 {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// How many notification POSTs have been recorded since the stand-in started.
    pub fn recorded_count(&self) -> u64 {
        *self.shared.recorded.borrow()
    }

    /// Takes the stand-in off its server (dropping it does the same).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Shared {
    /// Sends one notification and records its delivery.
    pub(crate) async fn post(&self, out: Outgoing, at: Duration) {
        let ready = self.prepare(out, at);
        self.post_ready(ready).await;
    }

    /// Sends a prepared notification and records its delivery.
    async fn post_ready(&self, ready: Ready) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let delivery = Self::send(ready.post, ready.delivery).await;
        let mut state = self.lock();
        // A delivery that was under way when the stand-in was reset belongs to the old record.
        if self.epoch.load(Ordering::SeqCst) == ready.epoch {
            state.deliveries.push(delivery);
        }
        drop(state);
        self.recorded.send_modify(|n| *n += 1);
        // Only once it is recorded: a watcher never sees it neither under way nor recorded.
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Everything of a notification's POST but the HTTP: where it goes, its headers and token,
    /// and its body as bytes.
    fn prepare(&self, out: Outgoing, at: Duration) -> Ready {
        self.prepare_with(out, at, None)
    }

    /// [`Shared::prepare`], with `forged` as the token when given (the delivery quirks' tokens
    /// are then left for the notifications Graph sends).
    fn prepare_with(
        &self,
        out: Outgoing,
        at: Duration,
        forged: Option<NotificationToken>,
    ) -> Ready {
        let epoch = self.epoch.load(Ordering::SeqCst);
        let (token, (sent_to, target)) = {
            let mut state = self.lock();
            let quirks = &mut state.quirks;
            let token = match forged {
                Some(token) => token,
                None => quirks.next_token.take().unwrap_or(quirks.token),
            };
            let target = if quirks.callback_unreachable {
                // Port 0 can never be connected to; a port that was free a moment ago could be
                // taken by another scenario's server by now.
                let nowhere = "http://127.0.0.1:0/callback";
                (nowhere.to_owned(), reqwest::Url::parse(nowhere).ok())
            } else {
                self.delivery_target(&mut state.last_route, &out.callback_uri)
            };
            (token, target)
        };
        let post = target.map(|url| {
            let token = auth::notification_token_of(token, &out.app, self.key);
            let mut headers = Vec::with_capacity(4);
            if let Some(token) = token {
                headers.push(("authorization", format!("Bearer {token}")));
            }
            headers.push((
                "user-agent",
                "callspec-standin/Graph-notifications".to_owned(),
            ));
            headers.push(("x-microsoft-skype-chain-id", out.chain_id.clone()));
            headers.push((
                "x-microsoft-skype-message-id",
                uuid::Uuid::new_v4().to_string(),
            ));
            let body = serde_json::to_vec(&out.body).unwrap_or_default();
            delivery::Post {
                url,
                headers,
                body: body.into(),
            }
        });
        Ready {
            post,
            delivery: Delivery {
                call_id: out.call_id,
                at,
                callback_uri: out.callback_uri,
                sent_to,
                body: out.body,
                // Both completed by `send`.
                outcome: Ok(0),
                elapsed: Duration::ZERO,
                token,
            },
            epoch,
        }
    }

    /// POSTs `post` (none: the callback is not a URL) and completes `delivery` with the outcome.
    async fn send(post: Option<delivery::Post>, mut delivery: Delivery) -> Delivery {
        let started = std::time::Instant::now();
        delivery.outcome = match post {
            Some(post) => delivery::send(post).await,
            None => Err(format!(
                "builder error: `{}` is not a URL",
                delivery.sent_to
            )),
        };
        delivery.elapsed = started.elapsed();
        delivery
    }

    /// Where a notification for `callback_uri` is POSTed, and that URL parsed. A call's
    /// notifications all go to one callback: it is routed and parsed once (a domain's parse
    /// is the costliest part of a delivery's set-up).
    fn delivery_target(
        &self,
        last: &mut Option<Route>,
        callback_uri: &str,
    ) -> (String, Option<reqwest::Url>) {
        if let Some(route) = &*last {
            if route.callback == callback_uri {
                return (route.sent_to.clone(), route.url.clone());
            }
        }
        let (sent_to, url) = match &self.config.route_callbacks_to {
            Some(inbox) => Self::route(inbox, callback_uri),
            None => (
                callback_uri.to_owned(),
                reqwest::Url::parse(callback_uri).ok(),
            ),
        };
        *last = Some(Route {
            callback: callback_uri.to_owned(),
            sent_to: sent_to.clone(),
            url: url.clone(),
        });
        (sent_to, url)
    }

    /// Loopback callbacks are sent as given; others go to the configured inbox, keeping the
    /// path. With the URL it is sent to, parsed (once: a parse is most of a route's cost).
    fn route(inbox: &str, callback_uri: &str) -> (String, Option<reqwest::Url>) {
        let sent_to = match url::Url::parse(callback_uri) {
            Ok(url) if is_loopback(&url) => return (callback_uri.to_owned(), Some(url)),
            Ok(url) => {
                let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{}{}{query}", inbox.trim_end_matches('/'), url.path())
            }
            Err(_) => inbox.to_owned(),
        };
        let url = reqwest::Url::parse(&sent_to).ok();
        (sent_to, url)
    }
}

/// Where notifications for a callback are sent.
#[derive(Debug)]
struct Route {
    callback: String,
    sent_to: String,
    url: Option<reqwest::Url>,
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `5` → `tone5`, `#` → `pound`, `*` → `star`, `A` → `a` (DTMF names Graph uses in `toneInfo`).
fn tone_name(key: &str) -> Option<String> {
    Some(match key {
        "#" => "pound".to_owned(),
        "*" => "star".to_owned(),
        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => format!("tone{k}"),
        k if k.len() == 1 && "ABCDabcd".contains(k) => k.to_ascii_lowercase(),
        _ => return None,
    })
}

/// A notification prepared for its POST, with the record of its delivery to complete.
struct Ready {
    /// None when the callback is not a URL (the delivery fails without a POST).
    post: Option<delivery::Post>,
    delivery: Delivery,
    /// The reset epoch it was prepared in.
    epoch: u64,
}

/// A notification ready to send.
#[derive(Debug, Clone)]
struct Outgoing {
    call_id: String,
    callback_uri: String,
    chain_id: String,
    app: AppIdentity,
    body: serde_json::Value,
}

/// Merges consecutive notifications of the same call into one envelope.
fn batched(outgoing: Vec<Outgoing>) -> Vec<Outgoing> {
    let mut merged: Vec<Outgoing> = Vec::new();
    for out in outgoing {
        match merged.last_mut() {
            Some(last) if last.call_id == out.call_id => {
                let items = out.body["value"].as_array().cloned().unwrap_or_default();
                if let Some(value) = last.body["value"].as_array_mut() {
                    value.extend(items);
                }
            }
            _ => merged.push(out),
        }
    }
    merged
}

impl Shared {
    fn incoming_call(
        &self,
        caller: serde_json::Value,
        callback_uri: &str,
        app: &AppIdentity,
    ) -> serde_json::Value {
        self.incoming_with(caller, callback_uri, app, |_| {})
    }

    /// An incoming call, shaped by `shape` before it is announced.
    fn incoming_with(
        &self,
        caller: serde_json::Value,
        callback_uri: &str,
        app: &AppIdentity,
        shape: impl FnOnce(&mut calls::CallRecord),
    ) -> serde_json::Value {
        let profile = Profile {
            version: ApiVersion::V1,
            style: ResourceStyle::Communications,
        };
        let mut guard = self.lock();
        let state = &mut *guard;
        state.sync_clock();
        let public_base = self.public_base_in(state);
        let id = state
            .registry
            .incoming(&caller, callback_uri, profile, app, &public_base)
            .id
            .clone();
        let call = state.registry.get_mut(&id).expect("just created");
        shape(call);
        call.participants = lifecycle::initial_roster(call);
        lifecycle::plan_incoming(call, INCOMING_ANSWER_WINDOW, &mut state.timeline);
        let resource = call.resource.clone();
        drop(guard);
        self.wake.notify_one();
        resource
    }

    fn remote(
        &self,
        call_id: &str,
        after: Duration,
        action: RemoteAction,
    ) -> Result<(), GraphError> {
        self.lock().registry.live_mut(call_id)?;
        let call_id = call_id.to_owned();
        let voice = match action {
            RemoteAction::Speaks(length) => Some(Some(length)),
            RemoteAction::StaysSilent => Some(None),
            _ => None,
        };
        if let Some(speech) = voice {
            // The voice applies now (re-planning a running recording); `after` is when the
            // speech starts.
            let mut guard = self.lock();
            let state = &mut *guard;
            state.sync_clock();
            let call = state.registry.live_mut(&call_id)?;
            let voice = match speech {
                Some(length) => media::Voice::Speaks {
                    from: state.timeline.now().saturating_add(after),
                    length,
                },
                None => media::Voice::Silent,
            };
            media::set_voice(call, voice, &mut state.timeline);
            drop(guard);
            self.wake.notify_one();
            return Ok(());
        }
        let event = match action {
            RemoteAction::PressesKey(key) => CallEvent::Tone {
                call_id,
                tone: tone_name(&key).ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "'{key}' is not a key on a phone: use 0-9, *, # or A-D"
                    ))
                })?,
            },
            RemoteAction::HangsUp => lifecycle::ends(&call_id, codes::REMOTE_HUNG_UP),
            RemoteAction::Joins(name) => CallEvent::Joins {
                call_id,
                participant: lifecycle::named_user(&name),
            },
            RemoteAction::Leaves(who) => CallEvent::Leaves { call_id, who },
            RemoteAction::SharesScreen(who) => CallEvent::Media {
                call_id,
                event: media::MediaEvent::SharesScreen { who },
            },
            RemoteAction::StopsSharingScreen(who) => CallEvent::Media {
                call_id,
                event: media::MediaEvent::StopsSharingScreen { who },
            },
            // Applied above, as the voice of the call.
            RemoteAction::Speaks(_) | RemoteAction::StaysSilent => return Ok(()),
        };
        let mut state = self.lock();
        state.sync_clock();
        state.timeline.schedule(after, event);
        drop(state);
        self.wake.notify_one();
        Ok(())
    }

    /// The next notification(s) due at or before simulated time `limit`, in the order they are
    /// to be sent (after the delivery quirks: a pair swapped, each twice), moving the clock to
    /// them. Nothing when nothing is due by then. One critical section: the events are popped
    /// and applied as one step.
    fn due_outgoing(&self, limit: Duration) -> Vec<(Outgoing, Duration)> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let quirks = state.quirks;
        loop {
            let Some((at, event)) = state.timeline.pop_due(limit) else {
                // Nothing more is due: a held-back notification goes out now, unless it waits
                // for a notification of its own kind.
                if quirks.hold.is_some() || (quirks.out_of_order && state.out_of_order_waits(limit))
                {
                    return Vec::new();
                }
                return state.held.take().into_iter().collect();
            };
            let mut outgoing = Self::fire(&mut state.registry, event, at);
            if quirks.batch {
                // Everything of the call due at this same moment goes out in one envelope.
                loop {
                    let timeline = &mut state.timeline;
                    let next = match timeline.next_due() {
                        Some(due) if due == at => timeline.pop_due(at),
                        _ => None,
                    };
                    let Some((_, event)) = next else { break };
                    outgoing.extend(Self::fire(&mut state.registry, event, at));
                }
                outgoing = batched(outgoing);
            }
            let mut sending = Vec::new();
            for out in outgoing {
                // Read again: a release ends the hold, the first repeat ends `next_twice`.
                let hold = quirks.hold.and(state.quirks.hold);
                let Some(mut batch) = Self::hold_back(state, out, at, hold) else {
                    continue;
                };
                if quirks.next_twice && std::mem::take(&mut state.quirks.next_twice) {
                    sending.push(batch[0].clone());
                }
                if quirks.out_of_order {
                    let previous = state.held.take();
                    match previous {
                        None => {
                            state.held = batch.pop();
                            continue;
                        }
                        Some(prev) => batch.push(prev),
                    }
                }
                for (out, at) in batch.drain(..) {
                    if quirks.duplicate {
                        sending.push((out.clone(), at));
                    }
                    sending.push((out, at));
                }
            }
            if !sending.is_empty() {
                return sending;
            }
        }
    }

    /// A targeted hold (`hold`) on `out`: `None` when `out` is held back now; else what goes
    /// out, `out` first and the notification it releases after it (the hold then ends).
    fn hold_back(
        state: &mut State,
        out: Outgoing,
        at: Duration,
        hold: Option<Hold>,
    ) -> Option<Vec<(Outgoing, Duration)>> {
        let Some(hold) = hold else {
            return Some(vec![(out, at)]);
        };
        match state.held.take() {
            None if hold.held.matches(&out.body) => {
                state.held = Some((out, at));
                None
            }
            Some(waiting) if waiting.0.call_id == out.call_id && hold.until.matches(&out.body) => {
                state.quirks.hold = None;
                Some(vec![(out, at), waiting])
            }
            waiting => {
                state.held = waiting;
                Some(vec![(out, at)])
            }
        }
    }

    /// Applies an event to its call and builds the notifications the bot gets for it.
    fn fire(registry: &mut CallRegistry, event: CallEvent, at: Duration) -> Vec<Outgoing> {
        let Some(call) = registry.get_mut(event.call_id()) else {
            return Vec::new();
        };
        apply::fire(call, event, at)
            .into_iter()
            .map(|body| Outgoing {
                call_id: call.id.clone(),
                callback_uri: call.callback_uri().to_owned(),
                chain_id: call.chain_id().to_owned(),
                app: call.app.clone(),
                body,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_can_be_locked_again_once_the_guard_is_gone() {
        let shared = Shared::new(StandInConfig::default(), "http://127.0.0.1:1".to_owned());
        drop(shared.lock());
        assert_eq!(shared.public_base(), "http://127.0.0.1:1");
        let other = Shared::new(StandInConfig::default(), "http://127.0.0.1:2".to_owned());
        let _one = shared.lock();
        // Another stand-in's lock is another lock.
        assert_eq!(other.public_base(), "http://127.0.0.1:2");
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "locked twice on one thread")]
    fn locking_the_state_twice_on_one_thread_panics_instead_of_hanging() {
        let shared = Shared::new(StandInConfig::default(), "http://127.0.0.1:1".to_owned());
        let _held = shared.lock();
        shared.sync_clock();
    }
}
