//! One connection: hyper serving it under the limits, each request checked (framing, target,
//! body size and time) before a handler sees it as a [`Request`], and the reply written.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

use super::request::{check_target, Request};
use super::{Limits, Routes, WireReply};

pub(super) async fn serve_connection<S>(
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

pub(super) fn to_response(reply: WireReply, close: bool) -> hyper::Response<Full<Bytes>> {
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
pub(super) enum BodyError {
    TooLarge,
    /// Cut short, malformed, or too slow: the frame is broken.
    Broken(String),
}

/// Reads a body up to `limit` bytes, refusing it the moment it passes the limit.
pub(super) async fn read_body(body: Incoming, limits: &Limits) -> Result<Vec<u8>, BodyError> {
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

pub(super) async fn answer(
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
    let target = match check_target(&parts.uri) {
        Ok(target) => target,
        Err(why) => return refuse(400, "BadRequest", why),
    };
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
    let request = Request {
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
pub(super) struct Sniffer<S> {
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
    use tokio::net::TcpStream;

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

    struct Answers200;

    impl crate::hosting::Handler for Answers200 {
        fn handle(&self, _: Request) -> WireReply {
            WireReply::new(200)
        }
    }

    /// Issue 22: `serve` answered `GET http://x:99999/_callspec/info` with 200.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_absolute_form_target_with_an_invalid_port_gets_400() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let space = crate::hosting::Host::serve(
            listener,
            Arc::new(Answers200),
            Limits::default(),
            crate::hosting::plain_refusal,
        )
        .unwrap();
        let status = |raw: &'static [u8]| async move {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(raw).await.unwrap();
            let mut answer = Vec::new();
            let read = stream.read_to_end(&mut answer);
            tokio::time::timeout(std::time::Duration::from_secs(5), read)
                .await
                .expect("the server answers and closes")
                .unwrap();
            String::from_utf8_lossy(&answer).into_owned()
        };
        let refused = status(
            b"GET http://x:99999/_callspec/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
        assert!(refused.contains("port is not valid"), "{refused}");
        let served = status(
            b"GET http://x:8080/_callspec/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(served.starts_with("HTTP/1.1 200"), "{served}");
        drop(space);
    }
}
