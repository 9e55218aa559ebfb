//! TLS on a server port: the handshake within the idle timeout, and a plain 400 for a client
//! that speaks plain HTTP to it.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::Limits;

/// What a client that speaks plain HTTP to a TLS port gets: a TLS handshake starts with a
/// handshake record (0x16); a request line starts with a letter.
pub(super) const PLAIN_HTTP_TO_TLS: &str = "this port serves https only: use an https:// URL";

/// The TLS handshake of a new connection, within `idle_timeout`; `None` when it failed (the
/// connection is closed), or when the client spoke plain HTTP (it got a plain 400 first).
pub(super) async fn handshake(
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
pub(super) async fn refuse_plain_http(mut stream: TcpStream, deadline: tokio::time::Instant) {
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
