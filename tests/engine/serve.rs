//! `callspec serve` end to end: a served stand-in on 127.0.0.1, a bot's inbox, real HTTP, real
//! (scaled) time. Waits are on the inbox's arrivals with a wall deadline; nothing polls.

use std::time::Duration;

use callspec::auth::{verify_notification_token, SigningKey};
use callspec::{request_token, Inbox, ServeError, ServeOptions, Server, StandIn, StandInConfig};
use serde_json::json;
use tokio::time::Instant;

use crate::common::serve::{client, create, get, p2p, post, server, states_of, DEADLINE, FAST};

async fn wait_for_states(inbox: &Inbox, call_id: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + DEADLINE;
    let arrived = inbox
        .log()
        .wait_until(|all| states_of(all, call_id).len() >= count, deadline)
        .await;
    let states = states_of(&inbox.log().all(), call_id);
    assert!(arrived, "only {states:?} arrived for call {call_id}");
    states
}

#[tokio::test]
async fn a_created_call_is_establishing_then_established_with_a_signed_token() {
    let server = server(FAST).await;
    let inbox = Inbox::start().await;
    let app_id = ServeOptions::default().app.app_id;
    let token = request_token(server.uri(), None, &["Calls.Initiate.All".to_owned()])
        .await
        .expect("a token");

    let call_id = create(&server, &token, p2p(&inbox.callback_uri())).await;

    let states = wait_for_states(&inbox, &call_id, 2).await;
    assert_eq!(states, ["establishing", "established"]);
    for r in inbox.log().for_call(&call_id) {
        assert_eq!(r.path, "/callback");
        let token = r.bearer_token().expect("a bearer token");
        let claims = verify_notification_token(token, &app_id, SigningKey::for_run())
            .expect("the notification token verifies for the app");
        assert_eq!(claims.iss, "https://api.botframework.com");
    }
    let (status, jwks) = get(format!("{}/v1/.well-known/keys", server.uri())).await;
    assert_eq!(status, 200);
    assert_eq!(
        jwks,
        SigningKey::for_run().jwks(),
        "the served keys sign them"
    );
    server.shutdown();
}

#[tokio::test]
async fn an_unanswered_call_ends_at_the_scaled_ringing_timeout() {
    let server = server(FAST).await;
    let inbox = Inbox::start().await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let (status, _) = post(
        format!("{}/_callspec/script", server.uri()),
        None,
        json!({"callee": {"answer": "no-answer"}}),
    )
    .await;
    assert_eq!(status, 200);

    let mut body = p2p(&inbox.callback_uri());
    body["ringingTimeoutInSeconds"] = json!(60);
    let started = Instant::now();
    let call_id = create(&server, &token, body).await;

    let states = wait_for_states(&inbox, &call_id, 2).await;
    let took = started.elapsed();
    assert_eq!(states, ["establishing", "terminated"]);
    let end = inbox.log().for_call(&call_id)[1].item().clone();
    assert_eq!(end["changeType"], "deleted");
    assert_eq!(end["resourceData"]["resultInfo"]["code"], 408);
    assert_eq!(end["resourceData"]["resultInfo"]["subcode"], 10057);
    // 60 simulated seconds at 0.01: about 0.6 s of wall time, so the scale is applied.
    assert!(took >= Duration::from_millis(300), "took only {took:?}");
    server.shutdown();
}

#[tokio::test]
async fn the_journal_lists_requests_and_notifications_and_no_token() {
    let server = server(FAST).await;
    let inbox = Inbox::start().await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let call_id = create(&server, &token, p2p(&inbox.callback_uri())).await;
    // establishing, established, the media update
    wait_for_states(&inbox, &call_id, 3).await;
    let recorded = server
        .standin()
        .wait_for_deliveries(3, Instant::now() + DEADLINE)
        .await;
    assert!(recorded, "the stand-in recorded its deliveries");
    let (status, _) = get(format!(
        "{}/v1.0/communications/calls/{call_id}",
        server.uri()
    ))
    .await;
    assert_eq!(status, 401, "no token, no call");

    let (status, journal) = get(format!("{}/_callspec/journal", server.uri())).await;
    assert_eq!(status, 200);
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(
        requests.len(),
        2,
        "admin requests are not journaled: {journal}"
    );
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(requests[0]["path"], "/v1.0/communications/calls");
    assert_eq!(requests[0]["status"], 201);
    assert_eq!(
        requests[0]["requestBody"]["callbackUri"],
        inbox.callback_uri()
    );
    assert_eq!(requests[0]["responseBody"]["id"], call_id.as_str());
    assert!(requests[0]["at"].is_u64());
    assert_eq!(requests[1]["status"], 401);
    assert_eq!(
        requests[1]["responseBody"]["error"]["code"],
        "InvalidAuthenticationToken"
    );

    let notifications = journal["notifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 3);
    assert_eq!(notifications[0]["callId"], call_id.as_str());
    assert_eq!(notifications[0]["sentTo"], inbox.callback_uri());
    assert_eq!(notifications[0]["status"], 202);
    assert_eq!(
        notifications[1]["body"]["value"][0]["resourceData"]["state"],
        "established"
    );
    assert!(notifications[1]["at"].as_u64() >= notifications[0]["at"].as_u64());
    assert!(!journal.to_string().contains("eyJ"), "a token leaked");
    server.shutdown();
}

#[tokio::test]
async fn unknown_admin_fields_get_a_graph_error_naming_them() {
    let server = server(FAST).await;
    let admin = |path: &str| format!("{}/_callspec/{path}", server.uri());
    let (status, body) = post(admin("script"), None, json!({"callee": {"answr": "busy"}})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'callee.answr'"),
        "{body}"
    );
    assert!(body["error"]["innerError"]["request-id"].is_string());
    let (status, body) = post(admin("token"), None, json!({"scopes": ["x"]})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("BadRequest"))
    );
    let (status, body) = get(admin("nothing-here")).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("itemNotFound"))
    );
    let (status, body) = post(
        admin("calls/no-such-call/remote"),
        None,
        json!({"action": "hangsUp"}),
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("8522")));
    server.shutdown();
}

#[tokio::test]
async fn a_spec_stand_in_has_no_admin_api() {
    let standin = StandIn::start(StandInConfig::default()).await;
    let (status, body) = get(format!("{}/_callspec/journal", standin.uri())).await;
    assert!(status == 400 || status == 404, "answered {status} {body}");
    assert!(body["error"]["code"].is_string(), "a Graph error: {body}");
    let (status, _) = post(
        format!("{}/_callspec/token", standin.uri()),
        None,
        json!({}),
    )
    .await;
    assert!(status == 400 || status == 404);
    standin.shutdown();
}

#[tokio::test]
async fn the_script_is_replaced_and_shown_in_the_same_shape() {
    let server = server(FAST).await;
    let url = format!("{}/_callspec/script", server.uri());
    let script = json!({
        "callee": {"answer": {"afterSeconds": 2}, "hangsUpAfterSeconds": 10},
        "parties": {"user2": {"answer": "declines", "hangsUpAfterSeconds": null}},
        "lobby": {"deniesAfterSeconds": 5},
        "meeting": [{"who": "Alice", "joins": true, "atSeconds": 3}],
        "transferAccepted": false,
        "delivery": {"outOfOrder": false, "duplicate": true},
    });
    let (status, shown) = post(url.clone(), None, script.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(shown, script);
    assert_eq!(get(url.clone()).await.1, script);
    let (_, replaced) = post(url.clone(), None, json!({"lobby": "waits"})).await;
    assert_eq!(replaced["callee"]["answer"], json!({"afterSeconds": 1}));
    assert_eq!(replaced["parties"], json!({}));
    assert_eq!(replaced["delivery"]["duplicate"], false);
    server.shutdown();
}

#[tokio::test]
async fn an_incoming_call_reaches_the_bot_and_the_other_side_hangs_up() {
    // The bot has 15 s (simulated) to answer: at 0.1 that is 1.5 s of wall time, room enough
    // for a loaded machine.
    let server = server(0.1).await;
    let inbox = Inbox::start().await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let (status, call) = post(
        format!("{}/_callspec/calls/incoming", server.uri()),
        None,
        json!({"caller": "+12345678901", "callbackUri": inbox.callback_uri()}),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["state"], "incoming");
    assert_eq!(call["source"]["identity"]["phone"]["id"], "+12345678901");
    let call_id = call["id"].as_str().unwrap().to_owned();

    assert_eq!(wait_for_states(&inbox, &call_id, 1).await, ["incoming"]);
    let created = inbox.log().for_call(&call_id)[0].item().clone();
    assert_eq!(created["changeType"], "created");
    assert_eq!(created["resourceData"]["direction"], "incoming");

    // The bot answers; then the caller hangs up.
    let answer = json!({
        "callbackUri": inbox.callback_uri(),
        "acceptedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    });
    let (status, body) = post(
        format!(
            "{}/v1.0/communications/calls/{call_id}/answer",
            server.uri()
        ),
        Some(&token),
        answer,
    )
    .await;
    assert!(status == 202 || status == 200, "answer: {status} {body}");
    let states = wait_for_states(&inbox, &call_id, 4).await;
    assert_eq!(
        states,
        ["incoming", "establishing", "established", "established"]
    );
    let (status, _) = post(
        format!("{}/_callspec/calls/{call_id}/remote", server.uri()),
        None,
        json!({"action": "hangsUp", "afterSeconds": 1}),
    )
    .await;
    assert_eq!(status, 202);
    let states = wait_for_states(&inbox, &call_id, 5).await;
    assert_eq!(states[4], "terminated");
    let end = inbox.log().for_call(&call_id)[4].item().clone();
    assert_eq!(end["resourceData"]["resultInfo"]["subcode"], 5002);
    server.shutdown();
}

#[tokio::test]
async fn reset_forgets_calls_and_the_journal() {
    let server = server(FAST).await;
    let inbox = Inbox::start().await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let call_id = create(&server, &token, p2p(&inbox.callback_uri())).await;
    // establishing, established and the media update: nothing left in flight
    wait_for_states(&inbox, &call_id, 3).await;
    let (status, _) = post(format!("{}/_callspec/reset", server.uri()), None, json!({})).await;
    assert_eq!(status, 204);
    let (_, journal) = get(format!("{}/_callspec/journal", server.uri())).await;
    assert_eq!(
        journal,
        json!({"requests": [], "notifications": [], "next": null})
    );
    let call_url = format!("{}/v1.0/communications/calls/{call_id}", server.uri());
    let response = client()
        .get(call_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404, "the call is forgotten");
    // And the server still delivers in real time after a reset.
    let again = create(&server, &token, p2p(&inbox.callback_uri())).await;
    assert_eq!(
        wait_for_states(&inbox, &again, 2).await,
        ["establishing", "established"]
    );
    server.shutdown();
}

#[tokio::test]
async fn tokens_are_for_the_app_and_roles_asked_for() {
    let server = server(FAST).await;
    let inbox = Inbox::start().await;
    let other = request_token(
        server.uri(),
        Some("another-app"),
        &["Calls.Initiate.All".into()],
    )
    .await
    .unwrap();
    let call_id = create(&server, &other, p2p(&inbox.callback_uri())).await;
    assert!(!call_id.is_empty());
    let no_group = request_token(server.uri(), None, &["Calls.Initiate.All".into()])
        .await
        .unwrap();
    let mut group = p2p(&inbox.callback_uri());
    let target = group["targets"][0].clone();
    group["targets"] = json!([target.clone(), target]);
    let (status, body) = post(
        format!("{}/v1.0/communications/calls", server.uri()),
        Some(&no_group),
        group,
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (403, &json!("7504")));
    server.shutdown();
}

#[tokio::test]
async fn a_taken_port_and_a_bad_scale_are_clear_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = Server::start(ServeOptions {
        port,
        ..ServeOptions::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(error, ServeError::Bind { .. }), "{error:?}");
    assert!(error.to_string().contains("already in use"), "{error}");
    let error = Server::start(ServeOptions {
        time_scale: 0.0,
        ..ServeOptions::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(error, ServeError::TimeScale(_)));
    // A token from a spec's stand-in (no admin API) is refused with a hint.
    let standin = StandIn::start(StandInConfig::default()).await;
    let error = request_token(standin.uri(), None, &[]).await.unwrap_err();
    assert!(error.to_string().contains("callspec serve"), "{error}");
    standin.shutdown();
}
