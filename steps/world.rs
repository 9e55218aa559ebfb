//! The World: everything one scenario owns. Small on purpose: the engine lives in `src/`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use callspec::auth::{redact_authorization, AccessClaims, SigningKey, TokenKeys, TokenVerifier};
use callspec::bot::{BotExit, BotGateway, BotLink};
use callspec::templating::{interpolate, remove_path, set_path};
use callspec::{
    AppIdentity, Inbox, InboxServer, LiveConfig, NotificationLog, Received, RequestTemplate,
    StandIn, StandInConfig, StandInServer, TemplateStore, TokenSource, Vars,
};
use serde_json::{json, Value};

use crate::run::context::{RunContext, RunKind};
use crate::support::TextAt;

// The app the scenario's bot is, by default the "Calling Bot" of the Graph docs
// (`AppIdentity::calling_bot`); a scenario that does not name its permissions has them all.
use callspec::auth::ALL_CALLING_ROLES;
/// How long a notification step waits by default (simulated time in mock mode).
pub const DEFAULT_NOTIFICATION_WAIT: Duration = Duration::from_secs(30);

/// Wall-time bound on one HTTP request to the stand-in (or Graph, or a bot).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A scenario's wall-time limit until the run hands the World its own (`--scenario-timeout`).
const DEFAULT_SCENARIO_TIME_LIMIT: Duration = Duration::from_secs(120);

/// One HTTP client for the whole run.
///
/// A static, not part of the run context: a client is a connection pool meant to be shared,
/// and step functions (`steps/bot.rs`) reach it without a World at hand.
pub fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client with a timeout builds")
    })
}

/// The run's two servers in mock mode: every scenario's stand-in on one, every scenario's inbox
/// on the other, each under its own key.
#[derive(Debug)]
pub struct MockServers {
    pub standin: StandInServer,
    pub inbox: InboxServer,
}

impl MockServers {
    /// Starts the run's servers (before any scenario starts) on a runtime of their own.
    pub fn start() -> std::io::Result<MockServers> {
        let runtime = server_runtime()?;
        let _entered = runtime.enter();
        Ok(MockServers {
            standin: StandInServer::start()?,
            inbox: InboxServer::start()?,
        })
    }
}

/// How many tasks the servers' runtime polls between two looks for new connections and requests
/// (tokio's default: 61). With 61, a request that arrived waited behind the tasks already
/// ready while the scenarios' thread waited for its answer: 1,000 scenarios took 0.163 s
/// against 0.150 s with 8 (medians of 21 interleaved runs; 1, 2, 4, 16 and 32 within noise of
/// 8, 256 took 0.264 s).
const SERVERS_EVENT_INTERVAL: u32 = 8;

/// A runtime on a thread of its own for the run's servers: the stand-in's and the inbox's side
/// of every exchange, and the notifications' POSTs ([`StandIn::deliver_next`] hands them
/// there), use the second core while this thread runs the scenarios (1,000 scenarios: 0.45 s →
/// 0.24 s when it was introduced).
fn server_runtime() -> std::io::Result<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .event_interval(SERVERS_EVENT_INTERVAL)
        .enable_all()
        .build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("callspec-servers".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}

/// The Graph side and the bot side of one scenario.
#[derive(Debug)]
pub struct MockEnv {
    /// Shared with the real-time driver when a bot is under test.
    pub standin: std::sync::Arc<StandIn>,
    pub inbox: Inbox,
}

/// What a run with a bot under test (`--bot`) shares between its scenarios: the gateway the bot
/// talks to, where the bot listens, and whether it is still running.
#[derive(Debug)]
pub struct BotRun {
    pub gateway: BotGateway,
    /// The bot's calling webhook (notifications for incoming calls go there).
    pub webhook: String,
    /// Base URL of the bot's own endpoints (`When the bot is asked to ...`).
    pub trigger: Option<String>,
    /// Wall seconds per simulated second.
    pub time_scale: f64,
    /// `Some` once the bot process exited.
    pub exited: tokio::sync::watch::Receiver<Option<BotExit>>,
    /// The bot's other services (`[services.NAME]` in bot.toml).
    pub services: callspec::bot::Services,
}

/// One scenario's view of the bot under test: its link on the gateway (the bot's requests for
/// the scenario's calls) and the stand-in's real-time driver.
#[derive(Debug)]
pub struct BotScenario {
    pub run: Arc<BotRun>,
    pub link: BotLink,
    driver: tokio::task::JoinHandle<()>,
    /// Indexes of the bot's requests that steps have already matched.
    pub consumed: std::collections::BTreeSet<usize>,
    /// When the current call came in (or was created), for "within" limits.
    pub call_started: tokio::time::Instant,
    /// The stand-in's deliveries before this index are not the forged notification a
    /// refusal step judges (a forging step moves it; a refusal step moves it past the one
    /// it judged).
    pub notifications_judged: usize,
}

impl Drop for BotScenario {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// What a live run (`--target live`) shares between its scenarios: real Graph, the app's
/// token, and one inbox on the callback port (scenarios tell their calls apart by call id).
#[derive(Debug)]
pub struct LiveRun {
    pub config: LiveConfig,
    pub tokens: TokenSource,
    pub inbox: Inbox,
}

/// Steps that script the stand-in cannot run against real Graph.
const MOCK_ONLY: &str = "this step scripts the embedded stand-in, so it runs in mock mode only: \
                         tag the scenario @mock-only to skip it in live runs";

/// Notification steps read the scenario's inbox; with a bot under test the notifications go to
/// the bot instead.
const BOT_GETS_NOTIFICATIONS: &str = "with a bot under test (--bot) the notifications go to \
     the bot, not to the spec: check what the bot does with them (\"Then the bot answers the \
     call\", \"Then the bot's next request matches:\", ...)";

/// A change a step makes to the templated request, applied when the request is sent.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Set the value (read as YAML, `${...}` filled in at send time) at a path.
    Set {
        path: String,
        value: Value,
        /// Where the value is written in the feature file, and its text: errors point there.
        at: Option<(TextAt, String)>,
    },
    Remove {
        path: String,
    },
}

/// The request being built: a template and the edits steps made to it. Rendered when it is
/// sent, so variables given after the template step still count.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// Shared with the run's cache of parsed templates.
    pub template: Arc<RequestTemplate>,
    pub edits: Vec<Edit>,
}

impl PendingRequest {
    /// The request body: the template rendered with `vars`, then the edits in order.
    pub fn render(&self, vars: &Vars) -> Result<Value> {
        let mut body = self.template.render(vars)?;
        for edit in &self.edits {
            match edit {
                Edit::Set { path, value, at } => {
                    let value = match at {
                        Some((cell, raw)) => cell.interpolate(value, raw, vars)?,
                        None => interpolate(value, vars)?,
                    };
                    set_path(&mut body, path, value)?;
                }
                Edit::Remove { path } => {
                    remove_path(&mut body, path)?;
                }
            }
        }
        Ok(body)
    }
}

/// An HTTP answer the bot got.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub method: String,
    pub url: String,
    /// The request body as sent (never the token: headers are not kept).
    pub request_body: Option<String>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when empty or not JSON; `text` keeps it as sent).
    pub body: Value,
    pub text: String,
    /// Wall time from sending the request to reading the whole answer.
    pub elapsed: Duration,
    /// How many notification POSTs the stand-in had made when the request went out (mock
    /// mode): places the request among the notifications in reports.
    pub deliveries_before: Option<usize>,
    /// When the request went out: wall clock, and the stand-in's simulated time (mock mode).
    pub sent_at: std::time::SystemTime,
    pub simulated_at: Option<Duration>,
    /// The headers the bot set (`Authorization` redacted), for recordings.
    pub request_headers: Vec<(String, String)>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a token looks like, for specs about authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Valid,
    Missing,
    Expired,
    Delegated,
}

#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct CallWorld {
    /// The feature file the scenario comes from: templates are looked up from there.
    pub feature: Option<PathBuf>,
    pub templates: TemplateStore,
    /// Where the scenario's requests go: set by the before hook, emptied by the after hook.
    pub mode: Mode,
    pub vars: Vars,
    pub app: AppIdentity,
    pub roles: Vec<String>,
    pub token: TokenKind,
    /// An audience other than Graph's for the bot's token (a token for another API).
    pub token_audience: Option<String>,
    pub request: Option<PendingRequest>,
    pub response: Option<std::sync::Arc<HttpAnswer>>,
    /// The call the scenario talks about (the last one created).
    pub call_id: Option<String>,
    /// How many of each call's notifications earlier steps have already matched, by call id
    /// ("" before any call exists).
    pub matched: HashMap<String, usize>,
    /// Calls the scenario named (`When the bot creates the call as "first"`), name → call.
    pub named_calls: HashMap<String, Value>,
    /// Extra headers on every request the bot sends (`Given the request header ...`).
    pub request_headers: Vec<(String, String)>,
    /// Every request the bot sent and its answer, in order (for reports).
    pub history: Vec<std::sync::Arc<HttpAnswer>>,
    /// In live mode, the callback URL a request named and the public one it was sent with
    /// instead (real Graph can only reach the bot there).
    pub callback_alias: Option<(String, String)>,
    /// Wall-time limit of the whole scenario: every wait ends by then.
    pub deadline: tokio::time::Instant,
    /// What the whole run shares, handed over by the before hook (`None` before it).
    pub run: Option<Arc<RunContext>>,
    /// The bot's other services, once a step used them (`steps/services.rs`).
    pub services: Option<callspec::bot::ServiceTurn>,
    /// The calls of a burst (`When 50 callers call the bot within 10 seconds`, `steps/load.rs`).
    pub burst: Option<crate::load::Burst>,
}

/// Where a scenario's requests go, and what plays the bot: one of three kinds of run, so no
/// step can see a live run with a stand-in or a bot without one.
#[derive(Debug, Default)]
pub enum Mode {
    /// Before the before hook (cucumber builds the World first) and after the after hook.
    #[default]
    Idle,
    /// The scenario's own stand-in and inbox; the spec plays the bot.
    Mock(MockEnv),
    /// Real Graph (`--target live`); the spec plays the bot.
    Live(Arc<LiveRun>),
    /// A bot under test (`--bot`): the stand-in plays Graph for it, and steps about the bot
    /// check what it does.
    Bot { env: MockEnv, bot: BotScenario },
}

/// A request body: JSON (sent as `application/json`) or raw text, sent as written.
#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    Raw(String),
}

/// Signs the tokens a scenario uses unless it asks for others (the access token of the
/// default app with every calling role, and the notification token to that app) into the run
/// key's cache. Each RSA signature costs ~25 M instructions: the first scenarios would all wait
/// for it, with the other thread idle.
pub fn sign_default_tokens() {
    let world = CallWorld::new();
    let key = callspec::auth::SigningKey::for_run();
    AccessClaims::app_only(&world.app, &world.roles).token(key);
    callspec::auth::notification_token(&world.app, key);
}

impl CallWorld {
    fn new() -> Self {
        CallWorld {
            feature: None,
            templates: TemplateStore::new([PathBuf::from("scenarios")]),
            mode: Mode::Idle,
            vars: Vars::new(),
            app: AppIdentity::calling_bot(),
            roles: ALL_CALLING_ROLES.iter().map(|r| r.to_string()).collect(),
            token: TokenKind::Valid,
            token_audience: None,
            request: None,
            response: None,
            call_id: None,
            matched: HashMap::new(),
            named_calls: HashMap::new(),
            request_headers: Vec::new(),
            history: Vec::new(),
            callback_alias: None,
            deadline: tokio::time::Instant::now() + DEFAULT_SCENARIO_TIME_LIMIT,
            run: None,
            services: None,
            burst: None,
        }
    }

    /// Starts the scenario's own stand-in and inbox (before its first step).
    pub async fn begin(&mut self, feature: Option<PathBuf>, run: Arc<RunContext>) {
        if let Some(path) = &feature {
            self.templates = run.store_for(path);
        }
        self.feature = feature;
        self.deadline = tokio::time::Instant::now() + run.scenario_time_limit;
        self.run = Some(run.clone());
        let (servers, bot) = match &run.kind {
            RunKind::Live(live) => {
                self.app.app_id = live.config.client_id.clone();
                self.app.tenant_id = live.config.tenant_id.clone();
                self.vars
                    .insert("graph".into(), json!(live.config.graph_url));
                self.vars
                    .insert("callback_uri".into(), json!(live.config.callback_url));
                self.vars.insert("app_id".into(), json!(self.app.app_id));
                self.vars
                    .insert("tenant_id".into(), json!(self.app.tenant_id));
                for (name, value) in &live.config.vars {
                    self.vars
                        .insert(name.clone(), callspec::templating::parse_scalar(value));
                }
                self.mode = Mode::Live(live.clone());
                return;
            }
            RunKind::Mock(servers) => (servers, None),
            RunKind::Bot { servers, bot } => (servers, Some(bot.clone())),
        };
        let inbox = servers.inbox.open();
        inbox.log().verify_tokens(TokenVerifier {
            app_id: self.app.app_id.clone(),
            keys: TokenKeys::StandIn(SigningKey::for_run()),
        });
        let Some(bot) = bot else {
            let standin = servers
                .standin
                .open(StandInConfig::default().route_callbacks_to(inbox.uri()));
            self.vars.insert("graph".into(), json!(standin.uri()));
            self.vars
                .insert("callback_uri".into(), json!(inbox.callback_uri()));
            self.vars.insert("app_id".into(), json!(self.app.app_id));
            self.vars
                .insert("tenant_id".into(), json!(self.app.tenant_id));
            self.mode = Mode::Mock(MockEnv {
                standin: std::sync::Arc::new(standin),
                inbox,
            });
            return;
        };
        // The bot runs on real clocks: the stand-in follows the wall clock and sends each
        // notification to the bot's webhook when it is due.
        let standin = std::sync::Arc::new(servers.standin.open(StandInConfig::default()));
        let link = bot.gateway.attach(&standin);
        let driving = standin.clone();
        let time_scale = bot.time_scale;
        let driver = tokio::spawn(async move { driving.run_realtime(time_scale).await });
        self.vars
            .insert("graph".into(), json!(format!("{}", bot.gateway.uri())));
        self.vars.insert("callback_uri".into(), json!(bot.webhook));
        self.vars.insert("app_id".into(), json!(self.app.app_id));
        self.vars
            .insert("tenant_id".into(), json!(self.app.tenant_id));
        self.mode = Mode::Bot {
            env: MockEnv { standin, inbox },
            bot: BotScenario {
                run: bot,
                link,
                driver,
                consumed: Default::default(),
                call_started: tokio::time::Instant::now(),
                notifications_judged: 0,
            },
        };
    }

    /// `url` as Graph would name it: without the scenario's key on the run's stand-in server
    /// (`http://127.0.0.1:PORT/s/KEY/v1.0/...` is `http://127.0.0.1:PORT/v1.0/...`).
    pub fn graph_url(&self, url: &str) -> String {
        let (Some(env), Ok(base)) = (
            self.mock_env(),
            url::Url::parse(self.vars["graph"].as_str().unwrap_or_default()),
        ) else {
            return url.to_owned();
        };
        match url.strip_prefix(env.standin.uri()) {
            Some(rest) => format!("{}{rest}", base.origin().ascii_serialization()),
            None => url.to_owned(),
        }
    }

    /// The request template `name`, parsed once per run (templates do not change during a run).
    pub fn request_template(&self, name: &str) -> Result<Arc<RequestTemplate>> {
        match &self.run {
            Some(run) => run.request_template(&self.templates, name),
            None => Ok(Arc::new(self.templates.request(name)?)),
        }
    }

    /// Takes the scenario's stand-in and inbox off the run's servers.
    pub fn finish(&mut self) {
        // The services go to the next scenario that waits for them.
        self.services = None;
        let env = match std::mem::take(&mut self.mode) {
            Mode::Mock(env) => env,
            Mode::Bot { env, bot } => {
                // The driver holds the stand-in: stopped first, so the stand-in leaves the
                // server.
                drop(bot);
                env
            }
            Mode::Live(_) | Mode::Idle => return,
        };
        drop(env.standin);
        env.inbox.shutdown();
    }

    /// The scenario's stand-in and inbox (mock mode and bot mode).
    pub fn mock_env(&self) -> Option<&MockEnv> {
        match &self.mode {
            Mode::Mock(env) | Mode::Bot { env, .. } => Some(env),
            Mode::Live(_) | Mode::Idle => None,
        }
    }

    /// The live run (live mode).
    pub fn live(&self) -> Option<&LiveRun> {
        match &self.mode {
            Mode::Live(live) => Some(live),
            _ => None,
        }
    }

    /// The bot under test (bot mode).
    pub fn bot_scenario(&self) -> Option<&BotScenario> {
        match &self.mode {
            Mode::Bot { bot, .. } => Some(bot),
            _ => None,
        }
    }

    pub fn bot_scenario_mut(&mut self) -> Option<&mut BotScenario> {
        match &mut self.mode {
            Mode::Bot { bot, .. } => Some(bot),
            _ => None,
        }
    }

    /// A bot under test plays the bot (bot mode), not the spec.
    pub fn has_bot(&self) -> bool {
        matches!(self.mode, Mode::Bot { .. })
    }

    /// The scenario's stand-in (mock mode).
    pub fn standin(&self) -> Result<&StandIn> {
        match &self.mode {
            Mode::Mock(env) | Mode::Bot { env, .. } => Ok(&env.standin),
            Mode::Live(_) => bail!(MOCK_ONLY),
            Mode::Idle => bail!("the scenario's stand-in is not running"),
        }
    }

    /// What the bot's callback has received (this scenario's inbox, or the live run's).
    pub fn inbox_log(&self) -> Result<&std::sync::Arc<NotificationLog>> {
        match &self.mode {
            Mode::Mock(env) => Ok(env.inbox.log()),
            Mode::Live(live) => Ok(live.inbox.log()),
            Mode::Bot { .. } => bail!(BOT_GETS_NOTIFICATIONS),
            Mode::Idle => bail!("the scenario's inbox is not running"),
        }
    }

    /// The bot's callback URL (the `${callback_uri}` of specs).
    pub fn callback_uri(&self) -> Result<String> {
        match &self.mode {
            Mode::Bot { bot, .. } => Ok(bot.run.webhook.clone()),
            Mode::Mock(env) => Ok(env.inbox.callback_uri()),
            Mode::Live(live) => Ok(live.config.callback_url.clone()),
            Mode::Idle => bail!("the scenario's inbox is not running"),
        }
    }

    /// Live mode sends requests with the public callback URL in place of the one the template
    /// names; an expectation naming the template's URL means the public one.
    pub fn in_live_terms(&self, value: Value) -> Value {
        let Some((named, public)) = &self.callback_alias else {
            return value;
        };
        match value {
            Value::String(s) if &s == named => Value::String(public.clone()),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.in_live_terms(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, self.in_live_terms(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// In live mode, points the request's `callbackUri` at the public callback URL.
    pub fn route_callback(&mut self, body: &mut Value) {
        let Some(live) = self.live() else { return };
        let public = live.config.callback_url.clone();
        if let Some(named) = body["callbackUri"].as_str() {
            if named != public {
                self.callback_alias = Some((named.to_owned(), public.clone()));
                body["callbackUri"] = json!(public);
            }
        }
    }

    /// What the durations of notification steps are measured in.
    pub fn clock(&self) -> &'static str {
        match self.mode {
            Mode::Live(_) => "wall time",
            Mode::Mock(_) | Mode::Bot { .. } | Mode::Idle => "simulated time",
        }
    }

    /// Notifications of the current call (all of them before any call exists).
    pub fn received(&self) -> Result<Vec<Received>> {
        let log = self.inbox_log()?;
        Ok(match &self.call_id {
            Some(id) => log.for_call(id),
            None => log.all(),
        })
    }

    /// Waits until `done` holds for the current call's notifications, for at most `window`
    /// (simulated time in mock mode, where the stand-in's clock moves; wall time in live mode,
    /// woken by each arrival). Returns what arrived.
    pub async fn wait_for(
        &self,
        done: impl Fn(&[Received]) -> bool,
        window: Duration,
    ) -> Result<Vec<Received>> {
        let log = self.inbox_log()?;
        let call = self.call_id.as_deref();
        if let Some(env) = self.mock_env() {
            let limit = env.standin.now() + window;
            // Looked at in place on each turn; copied once, at the end.
            while !log.holds(call, &done) && tokio::time::Instant::now() < self.deadline {
                if env.standin.deliver_next(limit).await == 0 {
                    break;
                }
            }
            if let (Some(arrived), Some(run)) = (log.last_arrival(call), &self.run) {
                run.verdict(arrived.elapsed());
            }
            return self.received();
        }
        let until = (tokio::time::Instant::now() + window).min(self.deadline);
        log.wait_for_call(call, &done, until).await;
        self.received()
    }

    /// Lets `window` pass (moving the stand-in's clock in mock mode), or until `stop` holds.
    pub async fn let_time_pass(
        &self,
        window: Duration,
        stop: impl Fn(&[Received]) -> bool,
    ) -> Result<Vec<Received>> {
        match &self.mode {
            Mode::Bot { .. } => bail!(BOT_GETS_NOTIFICATIONS),
            Mode::Mock(env) => {
                env.standin.advance(window).await;
                self.received()
            }
            Mode::Live(_) | Mode::Idle => self.wait_for(stop, window).await,
        }
    }

    pub fn response(&self) -> Result<&HttpAnswer> {
        self.response.as_deref().ok_or_else(|| {
            anyhow!("no request has been sent yet: a \"When the bot ...\" step must come first")
        })
    }

    /// How many of the current call's notifications earlier steps matched.
    pub fn cursor(&self) -> usize {
        let key = self.call_id.as_deref().unwrap_or_default();
        self.matched.get(key).copied().unwrap_or_default()
    }

    pub fn set_cursor(&mut self, n: usize) {
        let key = self.call_id.clone().unwrap_or_default();
        self.matched.insert(key, n);
    }

    /// Makes `call` (a call resource, with `location` when known) the scenario's current call:
    /// `${call.*}` and the notification steps refer to it from now on.
    pub fn make_current(&mut self, mut call: Value) {
        if let Some(id) = call["id"].as_str().map(str::to_owned) {
            if call.get("location").is_none() {
                // An incoming call has no Location: its URL is the v1.0 resource.
                let location = format!(
                    "{}/v1.0/communications/calls/{id}",
                    self.vars["graph"].as_str().unwrap_or_default()
                );
                call["location"] = json!(location);
            }
            self.call_id = Some(id);
        }
        self.vars.insert("call".into(), call);
    }

    /// The current call's URL, from its `Location`.
    pub fn call_url(&self) -> Result<String> {
        let call = self.vars.get("call").ok_or_else(|| {
            anyhow!("no call has been created yet: \"When the bot creates the call\" must succeed first")
        })?;
        call["location"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the current call has no Location to send requests to"))
    }

    /// The `Authorization` header the bot sends, per the scenario's token settings.
    async fn authorization(&self) -> Result<Option<String>> {
        if let Mode::Live(live) = &self.mode {
            return match self.token {
                TokenKind::Missing => Ok(None),
                TokenKind::Valid if self.token_audience.is_none() => Ok(Some(format!(
                    "Bearer {}",
                    live.tokens.token().await?.expose()
                ))),
                _ => bail!("only the embedded stand-in accepts made-up tokens: {MOCK_ONLY}"),
            };
        }
        let standin = self.standin()?;
        let mut claims = AccessClaims::app_only(&self.app, &self.roles);
        if let Some(aud) = &self.token_audience {
            claims.aud = aud.clone();
        }
        let claims = match self.token {
            TokenKind::Missing => return Ok(None),
            TokenKind::Valid => claims,
            TokenKind::Expired => claims.expired(),
            TokenKind::Delegated => claims.delegated(),
        };
        Ok(Some(format!("Bearer {}", standin.token(&claims))))
    }

    /// Sends a request to the stand-in and keeps the answer as "the response".
    pub async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Body>,
    ) -> Result<()> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            if !path.starts_with('/') {
                bail!("the API path \"{path}\" must start with /");
            }
            let base = self.vars["graph"].as_str().unwrap_or_default().to_owned();
            format!("{base}{path}")
        };
        let explicit_auth = self
            .request_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        // What goes on the wire, and what the reports show (the token redacted).
        let mut wire_headers = Vec::new();
        let mut sent_headers = Vec::new();
        if !explicit_auth {
            if let Some(auth) = self.authorization().await? {
                sent_headers.push(("Authorization".to_owned(), redact_authorization(&auth)));
                wire_headers.push(("Authorization".to_owned(), auth));
            }
        }
        let explicit_type = self
            .request_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        let request_body = match body {
            // `to_string` goes through a `fmt::Formatter`: several times slower.
            Some(Body::Json(value)) => serde_json::to_string(&value).ok(),
            Some(Body::Raw(text)) => Some(text),
            None => None,
        };
        if request_body.is_some() && !explicit_type {
            sent_headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            wire_headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        for (name, value) in &self.request_headers {
            sent_headers.push((name.clone(), redact_authorization_of(name, value)));
            wire_headers.push((name.clone(), value.clone()));
        }
        let deliveries_before = self.mock_env().map(|e| e.standin.delivery_count());
        let simulated_at = self.mock_env().map(|e| e.standin.now());
        let sent_at = std::time::SystemTime::now();
        let started = std::time::Instant::now();
        let deadline = self
            .deadline
            .min(tokio::time::Instant::now() + REQUEST_TIMEOUT);
        let exchange = exchange(
            method.clone(),
            url.clone(),
            wire_headers,
            request_body.clone(),
        );
        let (status, headers, text) = tokio::time::timeout_at(deadline, exchange)
            .await
            .map_err(|_| {
                if deadline < self.deadline {
                    anyhow!("{method} {path} got no answer: operation timed out")
                } else {
                    anyhow!("{method} {path}: the scenario ran out of its time limit")
                }
            })?
            .with_context(|| format!("{method} {path} got no answer"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let answer = HttpAnswer {
            method: method.to_string(),
            url,
            request_body,
            elapsed: started.elapsed(),
            deliveries_before,
            sent_at,
            simulated_at,
            request_headers: sent_headers,
            status,
            headers,
            body,
            text,
        };
        let answer = std::sync::Arc::new(answer);
        self.history.push(answer.clone());
        self.response = Some(answer);
        Ok(())
    }
}

/// The most of an answer's body a step reads over plain http.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Sends one request and reads the whole answer: status, headers, body text. Plain `http://`
/// goes through [`callspec::plain_http`], on the scenarios' thread: the servers' thread has the
/// servers' side of every exchange and the notifications' client side, and measured busier
/// than this one when it had this side too; `https://` (real Graph) through reqwest.
async fn exchange(
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
) -> Result<(u16, Vec<(String, String)>, String)> {
    if url.starts_with("http://") {
        let body = body.map(bytes::Bytes::from).unwrap_or_default();
        // The caller bounds the wait.
        let answer =
            callspec::plain_http::exchange(method, &url, &headers, body, MAX_ANSWER_BYTES).await?;
        let text = match String::from_utf8(answer.body.into()) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        return Ok((answer.status, answer.headers, text));
    }
    let mut request = http().request(method, url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = callspec::plain_http::header_pairs(response.headers());
    let text = response.text().await.context("reading the answer")?;
    Ok((status, headers, text))
}

/// A header's value as recordings keep it: `Authorization` redacted.
fn redact_authorization_of(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        redact_authorization(value)
    } else {
        value.to_owned()
    }
}
