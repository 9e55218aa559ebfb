//! `callspec serve` against hostile clients and long runs: a silent callback stalls nobody
//! else, absurd scripts are refused by field, the journal is a bounded ring that pages.

use std::time::Duration;

use callspec::{request_token, Inbox, ServeOptions};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::common::serve::{create, p2p, send, server_with, states_of, DEADLINE, FAST};

async fn call(method: reqwest::Method, url: String, token: &str, body: Value) -> (u16, Value) {
    send(method, url, Some(token), Some(body)).await
}

#[tokio::test]
async fn a_callback_that_never_answers_does_not_delay_another_calls_notifications() {
    let server = server_with(FAST, ServeOptions::default()).await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    // Accepts connections and never answers: each POST to it hangs until the 5 s timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_uri = format!("http://{}/callback", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            kept.push(socket);
        }
    });
    let stuck = create(&server, &token, p2p(&silent_uri)).await;
    let inbox = Inbox::start().await;
    let fine = create(&server, &token, p2p(&inbox.callback_uri())).await;
    let arrived = inbox
        .log()
        .wait_until(
            |all| states_of(all, &fine) == ["establishing", "established"],
            Instant::now() + DEADLINE,
        )
        .await;
    assert!(arrived, "{:?}", states_of(&inbox.log().all(), &fine));
    // Causal, not timed: the other call's notifications all arrived while the silent
    // callback's first POST was still under way (it has no recorded outcome yet).
    let stuck_deliveries = server
        .standin()
        .deliveries()
        .into_iter()
        .filter(|d| d.call_id == stuck)
        .count();
    assert_eq!(
        stuck_deliveries, 0,
        "the silent callback's POST already ended"
    );
    held.abort();
}

#[tokio::test]
async fn a_script_with_overflowing_durations_is_refused_and_creates_still_work() {
    let server = server_with(FAST, ServeOptions::default()).await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let script = format!("{}/_callspec/script", server.uri());
    let (status, body) = call(
        reqwest::Method::POST,
        script.clone(),
        &token,
        json!({"callee": {"answer": {"afterSeconds": 1e19}, "hangsUpAfterSeconds": 1e19}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "BadRequest");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'callee.answer.afterSeconds'"),
        "{message}"
    );
    // The longest allowed durations are accepted, and a create then neither panics nor hangs.
    let (status, body) = call(
        reqwest::Method::POST,
        script,
        &token,
        json!({"callee": {"answer": {"afterSeconds": 31536000}, "hangsUpAfterSeconds": 31536000}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let inbox = Inbox::start().await;
    let id = create(&server, &token, p2p(&inbox.callback_uri())).await;
    let url = format!("{}/v1.0/communications/calls/{id}", server.uri());
    let (status, body) = call(reqwest::Method::GET, url, &token, Value::Null).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("establishing"))
    );
}

#[tokio::test]
async fn the_journal_is_a_bounded_ring_and_pages() {
    let server = server_with(
        FAST,
        ServeOptions {
            journal_size: 3,
            ..ServeOptions::default()
        },
    )
    .await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let inbox = Inbox::start().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(create(&server, &token, p2p(&inbox.callback_uri())).await);
    }
    // Every notification there will be (per call to a Teams user: establishing, established,
    // the media update, the chat, the meeting, the roster) has arrived.
    let all_arrived = inbox
        .log()
        .wait_until(|all| all.len() >= 30, Instant::now() + DEADLINE)
        .await;
    assert!(all_arrived, "{} notifications arrived", inbox.log().len());
    let recorded = server
        .standin()
        .wait_for_deliveries(30, Instant::now() + DEADLINE)
        .await;
    assert!(recorded, "the stand-in recorded its deliveries");
    let journal_url = |query: &str| format!("{}/_callspec/journal{query}", server.uri());
    let (_, whole) = call(reqwest::Method::GET, journal_url(""), &token, Value::Null).await;
    let requests = whole["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "the ring keeps the newest 3: {whole}");
    let newest: Vec<&str> = requests
        .iter()
        .map(|r| r["responseBody"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        newest,
        ids[2..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(whole["notifications"].as_array().unwrap().len() <= 3);

    // Pages of 2 cover the same entries, in order, and the last says there is no next.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = call(
            reqwest::Method::GET,
            journal_url(&format!("?after={after}&limit=2")),
            &token,
            Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let mut entries: Vec<u64> = page["requests"]
            .as_array()
            .unwrap()
            .iter()
            .chain(page["notifications"].as_array().unwrap())
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert!(entries.len() <= 2);
        entries.sort();
        seen.extend(entries);
        match page["next"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let mut all: Vec<u64> = whole["requests"]
        .as_array()
        .unwrap()
        .iter()
        .chain(whole["notifications"].as_array().unwrap())
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    all.sort();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen, all, "the pages hold what the whole journal holds");
    let (status, body) = call(
        reqwest::Method::GET,
        journal_url("?limit=0"),
        &token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'limit'"));
}

#[tokio::test]
async fn a_callback_that_redirects_is_answered_with_its_redirect_and_not_followed() {
    let server = server_with(FAST, ServeOptions::default()).await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let inbox = Inbox::start().await;
    // Answers every request with a 307 to the inbox: following it would land there.
    let redirecting = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect_uri = format!("http://{}/callback", redirecting.local_addr().unwrap());
    let target = inbox.callback_uri();
    let answering = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut socket, _)) = redirecting.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0; 64 * 1024];
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    let answer = format!(
                        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\n\
                         Content-Length: 0\r\n\r\n"
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let call_id = create(&server, &token, p2p(&redirect_uri)).await;
    let standin = server.standin();
    assert!(
        standin
            .wait_for_deliveries(1, Instant::now() + DEADLINE)
            .await,
        "no notification was sent"
    );
    let first = standin
        .deliveries()
        .into_iter()
        .find(|d| d.call_id == call_id)
        .expect("the call's first delivery is recorded");
    assert_eq!(first.outcome, Ok(307), "{first:?}");
    assert_eq!(
        states_of(&inbox.log().all(), &call_id),
        Vec::<String>::new(),
        "the redirect was followed to the inbox"
    );
    answering.abort();
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_gives_the_memory_back_before_it_answers() {
    // The binary, for its allocator (mimalloc); this test process uses the system's.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callspec"))
        .args(["serve", "--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let until = Instant::now() + DEADLINE;
    let token = loop {
        match request_token(&base, None, &[]).await {
            Ok(token) => break token,
            Err(e) => {
                assert!(Instant::now() < until, "serve never answered: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let before = rss_kib(pid);
    let subject = "x".repeat(60_000);
    for _ in 0..600 {
        let mut body = p2p("http://127.0.0.1:1/cb");
        body["subject"] = json!(subject);
        let url = format!("{base}/v1.0/communications/calls");
        let (status, answer) = call(reqwest::Method::POST, url, &token, body).await;
        assert_eq!(status, 201, "{answer}");
    }
    let full = rss_kib(pid);
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{base}/_callspec/reset"),
        &token,
        json!({}),
    )
    .await;
    assert!(status < 300, "reset answered {status}");
    let after = rss_kib(pid);
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("RSS: {before} KiB at start, {full} KiB with 600 calls, {after} KiB after reset");
    assert!(
        full > before + 20_000,
        "the calls took no memory? {before} → {full}"
    );
    assert!(
        after < before + (full - before) / 2,
        "reset kept the memory: {before} → {full} → {after} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_cannot_hold_more_live_calls_than_the_limit() {
    let server = server_with(
        1.0,
        ServeOptions {
            max_live_calls_per_app: 3,
            ..ServeOptions::default()
        },
    )
    .await;
    let token = request_token(server.uri(), None, &[]).await.unwrap();
    let callback = "http://127.0.0.1:1/cb";
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&server, &token, p2p(callback)).await);
    }
    let url = format!("{}/v1.0/communications/calls", server.uri());
    let (status, body) = call(reqwest::Method::POST, url.clone(), &token, p2p(callback)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("TooManyRequests")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 calls going"),
        "{body}"
    );
    // A call hung up makes room.
    let (status, _) = call(
        reqwest::Method::DELETE,
        format!("{url}/{}", ids[0]),
        &token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    create(&server, &token, p2p(callback)).await;
}
