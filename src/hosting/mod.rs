//! Hosting: the HTTP front every callspec server runs on (the stand-in, the bot's inbox,
//! `callspec serve`). One server per run serves every scenario: each scenario opens a
//! [`Space`] on it, reached under its own key (`http://127.0.0.1:PORT/s/17/...`), so scenarios
//! keep their own state without a port (and a `bind`, and TIME_WAIT sockets) each.
//!
//! The front is our own accept loop on hyper, in place of wiremock's: wiremock 0.6 stops
//! accepting for good on the first accept error (file descriptors run out), panics on request
//! targets its URL parser refuses, and buffers whole bodies before anyone can refuse them.
//! Handlers see our own [`Request`]; wiremock serves what stands in from outside: the bot's
//! other services under `--bot` (`bot::services`), and in tests Graph or a token endpoint and
//! the benchmark floor. Here:
//! - accept errors back off and the loop goes on; connections are capped below the file
//!   descriptor limit, which [`raise_fd_limit`] lifts to the hard limit at start;
//! - a connection idle (or sending its headers) longer than `idle_timeout` is closed, and a
//!   body must arrive within `body_timeout` (slowloris);
//! - malformed requests get a 400 (or a closed connection for a broken frame), never a panic;
//! - a body is refused with 413 as soon as it passes `max_body`, before it is buffered;
//! - the port only exists once the routes do: the caller builds its handler first;
//! - a TLS server ([`Host::serve_tls`], the bot gateway) runs the same loop under the same
//!   limits: the handshake must finish within `idle_timeout`, a failed one just closes the
//!   connection, and plain HTTP sent to it gets a plain 400 that says to use https.
//!
//! # Layout
//!
//! As wiremock's `src/mock_server/mod.rs` says which sub-module does what (the front-end
//! users drive, the hyper server in the background, the pool), each part here owns one job:
//! - this module: the API the servers use: [`Host`] and its [`Space`]s, the [`Handler`] trait,
//!   [`WireReply`], [`Limits`], and the routing of a path to its space;
//! - `accept`: the accept loop, its connection cap and its back-off;
//! - `tls`: the handshake of a TLS port, and the 400 for plain HTTP sent to it;
//! - `connection`: hyper on one connection, every request checked (framing, target, body
//!   size and time) and answered;
//! - `request`: the [`Request`] a handler sees, and the checks of a request target.

mod accept;
mod connection;
mod request;
mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use accept::accept_loop;
pub use request::Request;

/// What a handler answers.
#[derive(Debug, Clone)]
pub struct WireReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Wall time to wait before answering (a late answer, for fault specs).
    pub delay: Option<Duration>,
}

impl WireReply {
    pub fn new(status: u16) -> Self {
        WireReply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: None,
        }
    }

    /// A JSON body (and its content type).
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        WireReply::new(status)
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default())
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
}

/// Serves the requests of one space (or of a whole server). Called on the runtime's workers:
/// quick and synchronous.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: Request) -> WireReply;
}

/// How a server answers what no handler sees: unknown spaces, malformed requests, bodies over
/// the limit (the stand-in answers them with Graph error envelopes).
pub type Refusal = fn(status: u16, code: &str, message: &str) -> WireReply;

/// A plain JSON refusal, `{"error": {"code", "message"}}`.
pub fn plain_refusal(status: u16, code: &str, message: &str) -> WireReply {
    WireReply::json(
        status,
        &serde_json::json!({"error": {"code": code, "message": message}}),
    )
}

/// The bounds a server holds its clients to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body; a longer one gets 413 as soon as it is known to be longer.
    pub max_body: usize,
    /// A connection that sends no complete request head for this long is closed (idle
    /// keep-alive connections and slowloris headers alike).
    pub idle_timeout: Duration,
    /// A request body must arrive within this.
    pub body_timeout: Duration,
    /// Most connections open at once; more wait in the listen backlog. `None`: from the file
    /// descriptor limit.
    pub max_connections: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 4 * 1024 * 1024,
            idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: None,
        }
    }
}

/// Raises the soft limit on open files to the hard limit (once per process); returns the soft
/// limit now in force. A server holds one descriptor per connection.
pub fn raise_fd_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        #[cfg(unix)]
        {
            // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
            unsafe {
                let mut limit: libc::rlimit = std::mem::zeroed();
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                    return 1024;
                }
                if limit.rlim_cur < limit.rlim_max {
                    let raised = libc::rlimit {
                        rlim_cur: limit.rlim_max,
                        rlim_max: limit.rlim_max,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                        limit.rlim_cur = limit.rlim_max;
                    }
                }
                #[allow(clippy::useless_conversion)] // rlim_t is not u64 everywhere
                u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX)
            }
        }
        #[cfg(not(unix))]
        {
            u64::MAX
        }
    })
}

/// Connections one server may hold: a share of the descriptor limit, leaving room for the
/// process's other files and sockets (two servers and the clients talking to them).
fn connection_cap(limits: &Limits) -> usize {
    if let Some(cap) = limits.max_connections {
        return cap.max(1);
    }
    let fds = raise_fd_limit().min(1 << 20);
    usize::try_from(fds.saturating_sub(64) / 4)
        .unwrap_or(1 << 18)
        .max(16)
}

/// What the accept loop dispatches on.
struct Routes {
    /// Serves every request (a server of one: `callspec serve`, a standalone stand-in).
    root: Option<Arc<dyn Handler>>,
    /// Spaces by key, reached under `/s/{key}`.
    spaces: Mutex<HashMap<u64, Arc<dyn Handler>>>,
    refusal: Refusal,
}

impl Routes {
    /// The handler for `path` and the path it sees.
    fn resolve<'p>(&self, path: &'p str) -> Option<(Arc<dyn Handler>, &'p str)> {
        if let Some(root) = &self.root {
            return Some((root.clone(), path));
        }
        let rest = path.strip_prefix("/s/")?;
        let (key, rest) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let key: u64 = key.parse().ok()?;
        let handler = self
            .spaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()?;
        Some((handler, rest))
    }
}

struct Inner {
    uri: String,
    routes: Arc<Routes>,
    /// The runtime the server runs on.
    runtime: tokio::runtime::Handle,
    next_key: AtomicU64,
    /// Dropped with the last handle: the accept loop and every connection stop.
    _stop: watch::Sender<()>,
}

/// A running server. Cloning shares it; it stops when the last clone and the last space on it
/// are gone.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("uri", &self.inner.uri)
            .finish_non_exhaustive()
    }
}

/// One scenario's part of a server, reached under its key; it is gone when this is dropped.
pub struct Space {
    inner: Arc<Inner>,
    key: Option<u64>,
    uri: String,
}

impl std::fmt::Debug for Space {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Space").field("uri", &self.uri).finish()
    }
}

impl Space {
    /// Base URL of the space, e.g. `http://127.0.0.1:41234/s/17` (no trailing slash).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The runtime its server runs on (a run's servers have a thread of their own).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.inner.runtime
    }
}

impl Drop for Space {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.inner
                .routes
                .spaces
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
        }
    }
}

impl Host {
    /// A server for spaces on a free loopback port. Needs a Tokio runtime.
    pub fn start(limits: Limits, refusal: Refusal) -> std::io::Result<Host> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        Host::start_with(listener, None, limits, refusal, None)
    }

    /// A server whose every request goes to `handler`, on `listener` (bound by the caller once
    /// the handler is ready, so no request ever finds the routes missing).
    pub fn serve(
        listener: std::net::TcpListener,
        handler: Arc<dyn Handler>,
        limits: Limits,
        refusal: Refusal,
    ) -> std::io::Result<Space> {
        let host = Host::start_with(listener, Some(handler), limits, refusal, None)?;
        Ok(Space {
            uri: host.inner.uri.clone(),
            inner: host.inner,
            key: None,
        })
    }

    /// Like [`Host::serve`], over TLS with `tls` (the space's URL is `https://...`).
    pub fn serve_tls(
        listener: std::net::TcpListener,
        handler: Arc<dyn Handler>,
        limits: Limits,
        refusal: Refusal,
        tls: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Space> {
        let host = Host::start_with(
            listener,
            Some(handler),
            limits,
            refusal,
            Some(TlsAcceptor::from(tls)),
        )?;
        Ok(Space {
            uri: host.inner.uri.clone(),
            inner: host.inner,
            key: None,
        })
    }

    fn start_with(
        listener: std::net::TcpListener,
        root: Option<Arc<dyn Handler>>,
        limits: Limits,
        refusal: Refusal,
        tls: Option<TlsAcceptor>,
    ) -> std::io::Result<Host> {
        raise_fd_limit();
        let address = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let routes = Arc::new(Routes {
            root,
            spaces: Mutex::default(),
            refusal,
        });
        let (stop, stopped) = watch::channel(());
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(accept_loop(listener, routes.clone(), limits, tls, stopped));
        Ok(Host {
            inner: Arc::new(Inner {
                uri: format!("{scheme}://{address}"),
                routes,
                runtime: tokio::runtime::Handle::current(),
                next_key: AtomicU64::new(1),
                _stop: stop,
            }),
        })
    }

    /// Base URL of the server.
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// The runtime the server runs on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.inner.runtime
    }

    /// Opens a space served by `handler`, with a key no other space of this server had.
    pub fn open(&self, handler: Arc<dyn Handler>) -> Space {
        self.open_with(|_| handler)
    }

    /// Opens a space served by the handler `make` builds from the space's base URL.
    pub fn open_with(&self, make: impl FnOnce(&str) -> Arc<dyn Handler>) -> Space {
        let key = self.inner.next_key.fetch_add(1, Ordering::Relaxed);
        let uri = format!("{}/s/{key}", self.inner.uri);
        let handler = make(&uri);
        self.inner
            .routes
            .spaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, handler);
        Space {
            uri,
            inner: self.inner.clone(),
            key: Some(key),
        }
    }

    /// How many spaces are open (a finished scenario leaves none behind).
    pub fn open_spaces(&self) -> usize {
        self.inner
            .routes
            .spaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}
