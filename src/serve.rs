//! `callspec serve`: the Graph stand-in as a standalone server on 127.0.0.1, for a bot written in
//! any language. Same paths and call lifecycle as in specs; notifications go to each call's
//! `callbackUri` in real time (scaled), and an admin API under `/_callspec/` does what specs'
//! steps do (script the other side, place incoming calls, hand out tokens, show the journal).
//!
//! ```no_run
//! # async fn demo() -> Result<(), callspec::ServeError> {
//! use callspec::{Server, ServeOptions};
//! let server = Server::start(ServeOptions { port: 0, time_scale: 0.1, ..Default::default() }).await?;
//! let token = callspec::request_token(server.uri(), None, &[]).await?;
//! println!("POST {}/v1.0/communications/calls with Bearer {}...", server.uri(), &token[..8]);
//! server.wait().await;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::standin::{AppIdentity, StandIn, StandInConfig};

/// How a served stand-in runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Port on 127.0.0.1; 0 takes any free one.
    pub port: u16,
    /// Wall seconds per simulated second: 1.0 is real time, 0.1 ten times faster (a 60 s ringing
    /// timeout takes 6 s).
    pub time_scale: f64,
    /// The app tokens and incoming calls are for by default.
    pub app: AppIdentity,
    /// A connection that sends no complete request for this long is closed (idle keep-alive
    /// connections, slowloris clients); a request body must arrive within it too.
    pub idle_timeout: Duration,
    /// How many API requests, and how many notification POSTs, the journal keeps.
    pub journal_size: usize,
    /// How long (simulated) an ended call is kept before it is forgotten.
    pub retention: Duration,
    /// How many calls one app may have going at once (a create beyond it gets 429).
    pub max_live_calls_per_app: usize,
}

/// How many calls one app may have going at once by default: with request bodies of at most
/// 64 KiB, about 64 MiB of call resources at most per app.
pub const DEFAULT_MAX_LIVE_CALLS_PER_APP: usize = 1_000;

/// How long an ended call is kept by default: a minute (simulated).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(60);

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            port: 0,
            time_scale: 1.0,
            app: StandInConfig::default().app,
            idle_timeout: Duration::from_secs(10),
            journal_size: crate::standin::DEFAULT_JOURNAL_SIZE,
            retention: DEFAULT_RETENTION,
            max_live_calls_per_app: DEFAULT_MAX_LIVE_CALLS_PER_APP,
        }
    }
}

/// Why a server did not start, or a token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Bind { port: u16, reason: String },
    #[error(
        "the time scale must be a positive number (1.0 is real time, 0.1 ten times faster), \
         not {0}"
    )]
    TimeScale(f64),
    #[error("the idle timeout must be longer than zero")]
    IdleTimeout,
    #[error("cannot reach the stand-in at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("the stand-in at {server} answered {status} {code}: {message}")]
    Refused {
        server: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the stand-in at {server} gave no token: {reason}")]
    BadAnswer { server: String, reason: String },
}

/// A running served stand-in. Dropping it stops it.
#[derive(Debug)]
pub struct Server {
    standin: Arc<StandIn>,
    driver: tokio::task::JoinHandle<()>,
    time_scale: f64,
}

impl Server {
    /// Binds 127.0.0.1:`port` and starts the stand-in with its admin API and a real-time
    /// delivery driver.
    pub async fn start(opts: ServeOptions) -> Result<Server, ServeError> {
        if !(opts.time_scale.is_finite() && opts.time_scale > 0.0) {
            return Err(ServeError::TimeScale(opts.time_scale));
        }
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port)).map_err(|e| {
            let reason = if e.kind() == std::io::ErrorKind::AddrInUse {
                format!(
                    "port {} is already in use (another `callspec serve`?); choose another \
                     with --port, or --port 0 for any free port",
                    opts.port
                )
            } else {
                e.to_string()
            };
            ServeError::Bind {
                port: opts.port,
                reason,
            }
        })?;
        let config = StandInConfig {
            admin: true,
            app: opts.app,
            journal_size: Some(opts.journal_size),
            retention: Some(opts.retention),
            max_live_calls_per_app: Some(opts.max_live_calls_per_app),
            ..StandInConfig::default()
        };
        if opts.idle_timeout.is_zero() {
            return Err(ServeError::IdleTimeout);
        }
        crate::standin::prompt_purge();
        let standin = Arc::new(
            StandIn::serve_on(config, listener, opts.idle_timeout).map_err(|e| {
                ServeError::Bind {
                    port: opts.port,
                    reason: e.to_string(),
                }
            })?,
        );
        let driving = standin.clone();
        let time_scale = opts.time_scale;
        let driver = tokio::spawn(async move { driving.run_realtime(time_scale).await });
        Ok(Server {
            standin,
            driver,
            time_scale,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:4040`.
    pub fn uri(&self) -> &str {
        self.standin.uri()
    }

    /// The stand-in itself (its journal, deliveries, script).
    pub fn standin(&self) -> &StandIn {
        &self.standin
    }

    /// What to print when the server is up: where the API, the admin API and the keys are.
    pub fn banner(&self) -> String {
        let uri = self.uri();
        format!(
            "Graph stand-in listening on {uri} (time scale {scale})\n\
             \x20 calls:  POST {uri}/v1.0/communications/calls (also /beta, /beta/app/calls)\n\
             \x20 token:  POST {uri}/_callspec/token  (or `callspec token --server {uri}`)\n\
             \x20 admin:  {uri}/_callspec/ journal, script, calls/incoming, calls/{{id}}/remote, reset\n\
             \x20 keys:   {uri}/v1/.well-known/openidconfiguration\n\
             Stop with Ctrl-C.",
            scale = self.time_scale,
        )
    }

    /// Runs until Ctrl-C (or until the delivery driver dies), then stops the server.
    pub async fn wait(mut self) {
        tokio::select! {
            outcome = &mut self.driver => {
                if let Err(e) = outcome {
                    eprintln!("callspec serve: the notification driver stopped: {e}");
                }
            }
            _ = tokio::signal::ctrl_c() => {}
        }
        self.shutdown();
    }

    /// Stops the server.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The driver holds the other reference to the stand-in: once it is gone the stand-in is
        // dropped and its server released.
        self.driver.abort();
    }
}

/// Asks a `callspec serve` server at `server` for an app-only access token: for `app_id` (the
/// server's app when `None`) with `roles` (every calling permission when empty).
pub async fn request_token(
    server: &str,
    app_id: Option<&str>,
    roles: &[String],
) -> Result<String, ServeError> {
    let server = server.trim_end_matches('/').to_owned();
    let mut body = json!({});
    if let Some(app_id) = app_id {
        body["appId"] = json!(app_id);
    }
    if !roles.is_empty() {
        body["roles"] = json!(roles);
    }
    let unreachable = |e: reqwest::Error| ServeError::Unreachable {
        server: server.clone(),
        reason: e.without_url().to_string(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(unreachable)?;
    let response = client
        .post(format!("{server}/_callspec/token"))
        .json(&body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let mut message = text(&answer["error"]["message"]);
        if status == 400 || status == 404 {
            message.push_str(" (is it a `callspec serve` server?)");
        }
        return Err(ServeError::Refused {
            server,
            status,
            code: text(&answer["error"]["code"]),
            message,
        });
    }
    answer["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ServeError::BadAnswer {
            server,
            reason: "the answer has no access_token".into(),
        })
}
