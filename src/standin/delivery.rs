//! How notifications are POSTed: with one client for the whole process, keeping connections
//! alive across scenarios (a client per stand-in opened new connections and left idle ones
//! behind). Plain `http://` callbacks (the inbox of every mock-mode scenario, a bot on
//! loopback) go through [`crate::plain_http`]; `https://` ones through reqwest, for TLS.
//! Neither follows redirects: a notification is POSTed to the callback it names.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;

/// How long a POST may take, from connecting to the end of the answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Below the servers' idle timeout, so a pooled connection is not one the server is closing.
const POOL_IDLE: Duration = Duration::from_secs(5);

/// The most of a bot's answer body that is read (and dropped, once the connection can go back
/// to the pool); a longer one fails the delivery. Bots answer with an empty body.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// One notification POST: where, with which headers, and the JSON body.
pub(super) struct Post {
    pub url: reqwest::Url,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// Sends `post`; the answer's status, or why there is none.
pub(super) async fn send(post: Post) -> Result<u16, String> {
    if post.url.scheme() == "http" {
        match tokio::time::timeout(DELIVERY_TIMEOUT, send_plain(post)).await {
            Ok(result) => result,
            Err(_) => Err("error sending request: operation timed out".to_owned()),
        }
    } else {
        send_tls(post).await
    }
}

async fn send_plain(post: Post) -> Result<u16, String> {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(post.headers.into_iter().map(|(n, v)| (n.to_owned(), v)));
    crate::plain_http::exchange(
        hyper::Method::POST,
        post.url.as_str(),
        &headers,
        post.body,
        MAX_ANSWER_BYTES,
    )
    .await
    .map(|answer| answer.status)
    .map_err(|e| e.to_string())
}

async fn send_tls(post: Post) -> Result<u16, String> {
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
        .post(post.url)
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

/// A notification held back until another has been delivered (and answered): real Graph's
/// "notifications may arrive out of order", aimed at one pair. One-shot: the first notification
/// of a call that `held` matches waits until one of the same call that `until` matches has been
/// sent; then both go, that one first, and delivery is in order again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub held: Kind,
    pub until: Kind,
}

/// What a notification is about, for a [`Hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The call's state (`establishing`, `established`, ...), not a tone.
    State(&'static str),
    /// A key press (`toneInfo`).
    Tone,
    /// The call's end: state `terminated`, or a `deleted` notification.
    HangUp,
}

/// The call states a notification can name.
pub const STATES: [&str; 5] = [
    "incoming",
    "establishing",
    "established",
    "terminating",
    "terminated",
];

impl Kind {
    /// Whether a notification body (a `commsNotifications` envelope) has an item of this kind.
    pub fn matches(self, body: &serde_json::Value) -> bool {
        let Some(items) = body["value"].as_array() else {
            return false;
        };
        items.iter().any(|item| {
            let data = &item["resourceData"];
            let is_call = data["@odata.type"].as_str() == Some("#microsoft.graph.call");
            let tone = !data["toneInfo"].is_null();
            match self {
                Kind::State(state) => is_call && !tone && data["state"].as_str() == Some(state),
                Kind::Tone => tone,
                Kind::HangUp => {
                    item["changeType"].as_str() == Some("deleted")
                        || (is_call && data["state"].as_str() == Some("terminated"))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(change: &str, data: serde_json::Value) -> serde_json::Value {
        let mut data = data;
        data["@odata.type"] = json!("#microsoft.graph.call");
        json!({"value": [{"changeType": change, "resourceData": data}]})
    }

    #[test]
    fn kinds_tell_states_tones_and_the_end_apart() {
        let established = call("updated", json!({"state": "established"}));
        let tone = call(
            "updated",
            json!({"state": "established", "toneInfo": {"tone": "tone1"}}),
        );
        let deleted = call("deleted", json!({"state": "terminated"}));
        assert!(Kind::State("established").matches(&established));
        assert!(
            !Kind::State("established").matches(&tone),
            "a tone is not a state change"
        );
        assert!(!Kind::State("establishing").matches(&established));
        assert!(Kind::Tone.matches(&tone) && !Kind::Tone.matches(&established));
        assert!(Kind::HangUp.matches(&deleted) && !Kind::HangUp.matches(&tone));
        assert!(!Kind::HangUp.matches(&json!({"value": []})));
    }
}
