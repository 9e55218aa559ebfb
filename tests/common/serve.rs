//! A served stand-in (`callspec serve` in-process) and a client for it: the setup the serve,
//! front and live tests share.

use std::time::Duration;

use callspec::{Received, ServeOptions, Server};
use serde_json::{json, Value};

/// Wall-time bound on anything a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// Hundred times faster than real time.
pub const FAST: f64 = 0.01;

/// A served stand-in on a free port at `time_scale`.
pub async fn server(time_scale: f64) -> Server {
    server_with(time_scale, ServeOptions::default()).await
}

/// A served stand-in on a free port at `time_scale`, with `options`' other settings.
pub async fn server_with(time_scale: f64, options: ServeOptions) -> Server {
    Server::start(ServeOptions {
        port: 0,
        time_scale,
        ..options
    })
    .await
    .expect("the server starts on a free port")
}

/// A port nobody listens on at the moment.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("a client builds")
}

/// A peer-to-peer call to John with service-hosted media, as the docs' example creates it.
pub fn p2p(callback_uri: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.call",
        "callbackUri": callback_uri,
        "targets": [{
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            "identity": {
                "@odata.type": "#microsoft.graph.identitySet",
                "user": {
                    "@odata.type": "#microsoft.graph.identity",
                    "displayName": "John",
                    "id": "112f7296-5fa4-42ca-bae8-6a692b15d4b8",
                }
            }
        }],
        "requestedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    })
}

/// One request; the status and the JSON body (`null` when there is none).
pub async fn send(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn post(url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    send(reqwest::Method::POST, url, token, Some(body)).await
}

pub async fn get(url: String) -> (u16, Value) {
    send(reqwest::Method::GET, url, None, None).await
}

/// Creates a call as a bot does; returns its id.
pub async fn create(server: &Server, token: &str, body: Value) -> String {
    let url = format!("{}/v1.0/communications/calls", server.uri());
    let (status, call) = post(url, Some(token), body).await;
    assert_eq!(status, 201, "create answered {call}");
    call["id"].as_str().expect("the call has an id").to_owned()
}

/// A notification's call state (`?` when it has none).
pub fn state(r: &Received) -> String {
    r.item()["resourceData"]["state"]
        .as_str()
        .unwrap_or("?")
        .to_owned()
}

/// The states notified for one call, in arrival order.
pub fn states_of(all: &[Received], call_id: &str) -> Vec<String> {
    all.iter()
        .filter(|r| r.call_id.as_deref() == Some(call_id))
        .map(state)
        .collect()
}
