//! Hosting: the HTTP front every callspec server runs on (the stand-in, the bot's inbox,
//! `callspec serve`). One server per run serves every scenario: each scenario opens a
//! [`Space`] on it, reached under its own key (`http://127.0.0.1:PORT/s/17/...`), so scenarios
//! keep their own state without a port (and a `bind`, and TIME_WAIT sockets) each.
//!
//! The front is our own accept loop on hyper, in place of wiremock's: wiremock 0.6 stops
//! accepting for good on the first accept error (file descriptors run out), panics on request
//! targets its URL parser refuses, and buffers whole bodies before anyone can refuse them.
//! Handlers still see wiremock's [`Request`](wiremock::Request). Here:
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

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio_rustls::TlsAcceptor;

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
    fn handle(&self, request: wiremock::Request) -> WireReply;
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

/// Accept errors that concern one connection only (the client gave up): take the next.
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

async fn accept_loop(
    listener: TcpListener,
    routes: Arc<Routes>,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(connection_cap(&limits)));
    // Signalled whenever a connection closes: its descriptor is free again.
    let closed = Arc::new(Notify::new());
    let mut backoff = Duration::from_millis(5);
    let mut reported = false;
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = stop.changed() => return,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = Duration::from_millis(5);
                reported = false;
                stream
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of descriptors (or kernel memory): the backlog keeps the clients; go on
                // as soon as one of our connections closes, or after a growing pause when the
                // descriptors are held elsewhere in the process.
                if !reported {
                    eprintln!(
                        "callspec: cannot accept connections on {} ({e}); retrying",
                        listener
                            .local_addr()
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    );
                    reported = true;
                }
                drop(permit);
                tokio::select! {
                    _ = closed.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let routes = routes.clone();
        let stop = stop.clone();
        let closed = closed.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, routes, limits, stop).await,
                Some(tls) => {
                    if let Some(stream) = handshake(stream, &tls, &limits, stop.clone()).await {
                        serve_connection(stream, routes, limits, stop).await;
                    }
                }
            }
            drop(permit);
            closed.notify_waiters();
        });
    }
}

/// What a client that speaks plain HTTP to a TLS port gets: a TLS handshake starts with a
/// handshake record (0x16); a request line starts with a letter.
const PLAIN_HTTP_TO_TLS: &str = "this port serves https only: use an https:// URL";

/// The TLS handshake of a new connection, within `idle_timeout`; `None` when it failed (the
/// connection is closed), or when the client spoke plain HTTP (it got a plain 400 first).
async fn handshake(
    stream: TcpStream,
    tls: &TlsAcceptor,
    limits: &Limits,
    mut stop: watch::Receiver<()>,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let deadline = tokio::time::Instant::now() + limits.idle_timeout;
    let mut first = [0u8; 1];
    let peeked = tokio::select! {
        peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)) => peeked,
        _ = stop.changed() => return None,
    };
    match peeked {
        Ok(Ok(1)) if first[0].is_ascii_alphabetic() => {
            refuse_plain_http(stream, deadline).await;
            return None;
        }
        Ok(Ok(1)) => {}
        // Closed, reset or silent: nothing to serve.
        _ => return None,
    }
    tokio::select! {
        accepted = tokio::time::timeout_at(deadline, tls.accept(stream)) => match accepted {
            Ok(Ok(stream)) => Some(stream),
            // A client that does not trust the certificate, or sends garbage: just close.
            _ => None,
        },
        _ = stop.changed() => None,
    }
}

/// Answers a plain HTTP request on a TLS port with a plain 400, then closes.
async fn refuse_plain_http(mut stream: TcpStream, deadline: tokio::time::Instant) {
    // Read the request head first: closing with unread bytes would reset the connection
    // before the client reads the answer.
    let mut head = vec![0u8; 16 * 1024];
    let mut read = 0;
    while read < head.len() && !head[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut head[read..])).await {
            Ok(Ok(n)) if n > 0 => read += n,
            _ => break,
        }
    }
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{PLAIN_HTTP_TO_TLS}\n",
        PLAIN_HTTP_TO_TLS.len() + 1
    );
    let _ = tokio::time::timeout_at(deadline, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

async fn serve_connection<S>(
    stream: S,
    routes: Arc<Routes>,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (stream, framing) = Sniffer::new(stream);
    let service = hyper::service::service_fn(move |request| {
        let routes = routes.clone();
        let framing = framing.clone();
        async move { Ok::<_, Infallible>(answer(request, &routes, &limits, &framing).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        // Errors here are the client's (a broken frame, a reset): the connection just ends.
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.idle_timeout, connection).await;
        }
    }
}

fn to_response(reply: WireReply, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Why a body was not read.
enum BodyError {
    TooLarge,
    /// Cut short, malformed, or too slow: the frame is broken.
    Broken(String),
}

/// Reads a body up to `limit` bytes, refusing it the moment it passes the limit.
async fn read_body(body: Incoming, limits: &Limits) -> Result<Vec<u8>, BodyError> {
    let deadline = tokio::time::Instant::now() + limits.body_timeout;
    let mut body = body;
    let mut bytes = Vec::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::Broken("the body did not arrive in time".into())),
            Ok(None) => return Ok(bytes),
            Ok(Some(Err(e))) => return Err(BodyError::Broken(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limits.max_body {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    routes: &Routes,
    limits: &Limits,
    framing: &AtomicBool,
) -> hyper::Response<Full<Bytes>> {
    let refuse = |status: u16, code: &str, message: &str| {
        // A refused request may leave unread bytes behind: the connection cannot go on.
        to_response((routes.refusal)(status, code, message), true)
    };
    let (parts, body) = request.into_parts();
    if parts.method == Method::CONNECT {
        return refuse(400, "BadRequest", "CONNECT is not supported");
    }
    // Both framings at once is how requests are smuggled past proxies (RFC 9112 6.3); hyper
    // drops the Content-Length before we see the headers, so the connection's bytes tell.
    if framing.load(Ordering::Relaxed) {
        return refuse(
            400,
            "BadRequest",
            "a request cannot have both Content-Length and Transfer-Encoding",
        );
    }
    // An absolute-form target whose authority does not parse (`http://x:99999/`).
    if let Some(authority) = parts.uri.authority() {
        if authority.port().is_some() && authority.port_u16().is_none() {
            return refuse(400, "BadRequest", "the request target's port is not valid");
        }
    }
    // Only the path and query count; an absolute-form target's authority is ignored.
    let Some(target) = parts.uri.path_and_query().map(|p| p.as_str().to_owned()) else {
        return refuse(400, "BadRequest", "the request target has no path");
    };
    if !target.starts_with('/') {
        return refuse(400, "BadRequest", "the request target must start with /");
    }
    let path = target.split('?').next().unwrap_or_default();
    let Some((handler, rest)) = routes.resolve(path) else {
        return refuse(
            404,
            "itemNotFound",
            "no scenario or resource is served at this path",
        );
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        refuse(
            413,
            "RequestEntityTooLarge",
            &format!(
                "the request body is larger than the limit of {} bytes",
                limits.max_body
            ),
        )
    };
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large();
    }
    let body = match read_body(body, limits).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken(why)) => {
            return refuse(
                400,
                "BadRequest",
                &format!("the request body is broken: {why}"),
            )
        }
    };
    let query = target[path.len()..].to_owned();
    let rest = if rest.is_empty() { "/" } else { rest };
    let Ok(url) = url::Url::parse(&format!("http://localhost{rest}{query}")) else {
        return refuse(400, "BadRequest", "the request target is not a valid path");
    };
    let request = wiremock::Request {
        url,
        method: parts.method,
        headers: parts.headers,
        body,
    };
    let reply = handler.handle(request);
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    to_response(reply, false)
}

/// Watches the bytes a client sends for request heads with both `Content-Length` and
/// `Transfer-Encoding` (hyper quietly keeps the latter); raises `framing` when it sees one.
struct Sniffer<S> {
    inner: S,
    framing: Arc<AtomicBool>,
    /// The first bytes of the current line (enough for the header names that matter).
    start: [u8; 24],
    /// How many bytes of the current line have been seen.
    len: usize,
    /// The last bytes of the current line (a request line ends in ` HTTP/1.x\r`).
    tail: [u8; 10],
    in_head: bool,
    content_length: bool,
    transfer_encoding: bool,
}

impl<S> Sniffer<S> {
    fn new(inner: S) -> (Sniffer<S>, Arc<AtomicBool>) {
        let framing = Arc::new(AtomicBool::new(false));
        let sniffer = Sniffer {
            inner,
            framing: framing.clone(),
            start: [0; 24],
            len: 0,
            tail: [0; 10],
            in_head: false,
            content_length: false,
            transfer_encoding: false,
        };
        (sniffer, framing)
    }

    fn scan(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // memchr: bodies pass through here too, a byte-by-byte search cost 5% of a run's
            // servers' thread.
            match memchr::memchr(b'\n', bytes) {
                Some(end) => {
                    self.extend(&bytes[..end]);
                    self.end_line();
                    bytes = &bytes[end + 1..];
                }
                None => {
                    self.extend(bytes);
                    bytes = &[];
                }
            }
        }
    }

    /// More bytes of the current line.
    fn extend(&mut self, segment: &[u8]) {
        if self.len < self.start.len() {
            let n = (self.start.len() - self.len).min(segment.len());
            for (slot, b) in self.start[self.len..self.len + n].iter_mut().zip(segment) {
                *slot = b.to_ascii_lowercase();
            }
        }
        let tail = self.tail.len();
        if segment.len() >= tail {
            self.tail.copy_from_slice(&segment[segment.len() - tail..]);
        } else {
            self.tail.copy_within(segment.len().., 0);
            self.tail[tail - segment.len()..].copy_from_slice(segment);
        }
        self.len += segment.len();
    }

    fn end_line(&mut self) {
        let start = &self.start[..self.len.min(self.start.len())];
        if self.len <= 1 {
            // The empty line that ends a head.
            if self.in_head && self.content_length && self.transfer_encoding {
                self.framing.store(true, Ordering::Relaxed);
            }
            self.in_head = false;
        } else if self.len >= 10 && self.tail[..8] == *b" HTTP/1." {
            self.in_head = true;
            self.content_length = false;
            self.transfer_encoding = false;
        } else if self.in_head {
            self.content_length |= start.starts_with(b"content-length:");
            self.transfer_encoding |= start.starts_with(b"transfer-encoding:");
        }
        self.len = 0;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffer<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let this = &mut *self;
            this.scan(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffer<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sniffer_sees_both_framings_in_one_head_only() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let (mut sniffer, framing) = Sniffer::new(TcpStream::from_std(server).unwrap());
        sniffer.scan(b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        sniffer.scan(b"GET /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(!framing.load(Ordering::Relaxed));
        // A body line that merely names the headers is not a head.
        sniffer.scan(b"content-length: 1\r\ntransfer-encoding: chunked\r\n\r\n");
        assert!(!framing.load(Ordering::Relaxed));
        sniffer.scan(b"POST /c HTTP/1.1\r\nContent-Length: 5\r\nTransfer-");
        sniffer.scan(b"Encoding: chunked\r\n\r\n0\r\n\r\n");
        assert!(framing.load(Ordering::Relaxed));
        drop(client);
    }
}
