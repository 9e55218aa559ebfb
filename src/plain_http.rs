//! A client for plain `http://` exchanges on hyper's pooled connections, one for the whole
//! process. A run's own exchanges (a scenario's requests to the stand-in, the stand-in's
//! notifications to the inbox or a bot on loopback) go through it: reqwest's layers on top of
//! the same hyper client (its redirect policy, proxy matching, and parsing every URL again for
//! the answer) cost a fifth of a run (callgrind, 1,000 scenarios). Redirects are not followed.
//! `https://` stays with reqwest, for TLS.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// Below the servers' idle timeout, so a pooled connection is not one the server is closing.
const POOL_IDLE: Duration = Duration::from_secs(5);

/// What the other side answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Header names in lower case, values as sent (lossily decoded).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// Why an exchange has no answer.
#[derive(Debug, thiserror::Error)]
pub enum PlainHttpError {
    #[error("builder error: {0}")]
    Request(String),
    #[error("error sending request: {0}")]
    Send(String),
    #[error("error reading the answer's body: {0}")]
    Body(String),
}

/// Sends `method url` with `headers` (plus `accept: */*`) and `body`, reading at most
/// `max_answer` bytes of the answer's body (a longer one is an error).
pub async fn exchange(
    method: hyper::Method,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
    max_answer: usize,
) -> Result<Answer, PlainHttpError> {
    static CLIENT: OnceLock<Client<HttpConnector, Full<Bytes>>> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build_http()
    });
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("accept", "*/*");
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| PlainHttpError::Request(e.to_string()))?;
    let answer = client
        .request(request)
        .await
        .map_err(|e| PlainHttpError::Send(with_causes(&e)))?;
    let status = answer.status().as_u16();
    let headers = header_pairs(answer.headers());
    // Read to its end: the connection goes back to the pool.
    let body = http_body_util::Limited::new(answer.into_body(), max_answer)
        .collect()
        .await
        .map_err(|e| PlainHttpError::Body(e.to_string()))?
        .to_bytes();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Headers as name and text pairs: names in lower case (as `http` keeps them), values as
/// sent, lossily decoded (visible ASCII, as values nearly always are, is taken as it is).
pub fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = match value.to_str() {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// `e: its cause: its cause's cause` (hyper's own message is only "client error (Connect)").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
