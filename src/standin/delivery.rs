//! The HTTP client notifications are POSTed with: one for the whole process, keeping
//! connections alive across scenarios (a client per stand-in opened new connections and left
//! idle ones behind).
//!
//! Plain `http://` callbacks (the inbox of every mock-mode scenario, a bot on loopback) go
//! through hyper's pooled client directly: reqwest's layers on top of it (its redirect policy,
//! proxy matching, and parsing each URL again for the response) were a fifth of the servers'
//! thread in a run (callgrind, 1,000 scenarios). `https://` callbacks go through reqwest, for
//! TLS. Neither follows redirects: a notification is POSTed to the callback it names.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// How long a POST may take, from connecting to the end of the answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Below the servers' idle timeout, so a pooled connection is not one the server is closing.
const POOL_IDLE: Duration = Duration::from_secs(5);

/// The most of an answer's body that is read (and dropped); a longer one ends the delivery.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One notification POST: where, with which headers, and the JSON body.
pub(super) struct Post<'a> {
    pub url: &'a reqwest::Url,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// Sends `post`; the answer's status, or why there is none.
pub(super) async fn send(post: Post<'_>) -> Result<u16, String> {
    if post.url.scheme() == "http" {
        match tokio::time::timeout(DELIVERY_TIMEOUT, send_plain(post)).await {
            Ok(result) => result,
            Err(_) => Err("error sending request: operation timed out".to_owned()),
        }
    } else {
        send_tls(post).await
    }
}

async fn send_plain(post: Post<'_>) -> Result<u16, String> {
    static PLAIN: OnceLock<Client<HttpConnector, Full<Bytes>>> = OnceLock::new();
    let client = PLAIN.get_or_init(|| {
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build_http()
    });
    let mut request = hyper::Request::post(post.url.as_str())
        .header("content-type", "application/json")
        .header("accept", "*/*");
    for (name, value) in &post.headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(post.body))
        .map_err(|e| format!("builder error: {e}"))?;
    let answer = client.request(request).await.map_err(|e| {
        let mut message = format!("error sending request: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        message
    })?;
    let status = answer.status().as_u16();
    // Read to its end so the connection goes back to the pool.
    let body = http_body_util::Limited::new(answer.into_body(), MAX_ANSWER_BYTES);
    body.collect()
        .await
        .map_err(|e| format!("error reading the answer's body: {e}"))?;
    Ok(status)
}

async fn send_tls(post: Post<'_>) -> Result<u16, String> {
    static TLS: OnceLock<reqwest::Client> = OnceLock::new();
    let client = TLS.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with a timeout builds")
    });
    let mut request = client
        .post(post.url.clone())
        .header("content-type", "application/json")
        .body(post.body);
    for (name, value) in post.headers {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.without_url().to_string())
}
