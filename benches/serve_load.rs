//! `callspec serve` under a long load: `cargo bench --bench serve_load`.
//!
//! A bounded loopback tool. It starts `callspec serve` with a low open-file limit, then for
//! `CALLSPEC_LOAD_SECONDS` (default 600) runs `CALLSPEC_LOAD_CALLERS` (default 200) callers,
//! each creating a call (the callee answers after 1 s and hangs up 2 s later, simulated) and
//! waiting, at most 30 s, for its three notifications at a local callback before the next.
//! Every 10 s it prints the server's RSS. At the end it counts the notifications lost, reads
//! the journal, resets the server, and throws a descriptor storm at it (more idle connections
//! than its limit allows) to check it still accepts afterwards. `CALLSPEC_LOAD_TIME_SCALE`
//! (default 1.0) and `CALLSPEC_LOAD_SERVE_ARGS` (more `callspec serve` options) vary the run.
//!
//! Run it in a fresh network namespace so nothing else on the machine shares loopback:
//! `unshare -n sh -c 'ip link set lo up && cargo bench --bench serve_load'`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;

/// Notifications each call gets: establishing, established, terminated.
const PER_CALL: u32 = 3;
/// Wall-time bound on waiting for one call's notifications.
const CALL_DEADLINE: Duration = Duration::from_secs(30);
/// The server's open-file limit, and how many idle connections the storm opens.
const SERVER_FD_LIMIT: u32 = 1024;
const STORM: usize = 1100;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Per call: notifications seen, and who waits for the last one.
#[derive(Default)]
struct Calls {
    seen: HashMap<String, (u32, bool, Option<oneshot::Sender<u32>>)>,
}

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Calls>>,
    total: Arc<AtomicU64>,
}

impl Receiver {
    fn note(&self, call_id: &str, ended: bool) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut calls = self.calls.lock().unwrap();
        let entry = calls.seen.entry(call_id.to_owned()).or_default();
        entry.0 += 1;
        if ended {
            entry.1 = true;
            if let Some(waiter) = entry.2.take() {
                let _ = waiter.send(entry.0);
            }
        }
    }

    /// Resolves with the call's count once its last notification is in.
    fn wait_for(&self, call_id: &str) -> oneshot::Receiver<u32> {
        let (tx, rx) = oneshot::channel();
        let mut calls = self.calls.lock().unwrap();
        let entry = calls.seen.entry(call_id.to_owned()).or_default();
        if entry.1 {
            let _ = tx.send(entry.0);
        } else {
            entry.2 = Some(tx);
        }
        rx
    }

    fn forget(&self, call_id: &str) -> u32 {
        let mut calls = self.calls.lock().unwrap();
        calls.seen.remove(call_id).map_or(0, |e| e.0)
    }
}

impl Receiver {
    fn count_envelope(&self, body: &[u8]) {
        let envelope: Value = serde_json::from_slice(body).unwrap_or_default();
        for item in envelope["value"].as_array().into_iter().flatten() {
            let url = item["resourceUrl"].as_str().unwrap_or_default();
            let id = url.rsplit('/').next().unwrap_or_default();
            self.note(id, item["resourceData"]["state"] == "terminated");
        }
    }
}

/// One keep-alive connection of the callback: reads each request (headers, then a
/// `Content-Length` body), counts its notifications, answers 200. Nothing is kept.
async fn callback_connection(mut stream: tokio::net::TcpStream, receiver: Receiver) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let head_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        receiver.count_envelope(&buffer[head_end..head_end + length]);
        buffer.drain(..head_end + length);
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        if stream.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// The bot's callback: 200 to every POST, counting notifications per call. Hand-written
/// rather than wiremock, which keeps a copy of every request it matched.
async fn serve_callbacks(receiver: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/callback", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(callback_connection(stream, receiver.clone()));
        }
    });
    uri
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn start_server(time_scale: f64) -> (Child, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {SERVER_FD_LIMIT} && exec '{}' serve --port 0 --time-scale {time_scale} {}",
            env!("CARGO_BIN_EXE_callspec"),
            // More options for the server, e.g. `--retention 86400` to compare.
            std::env::var("CALLSPEC_LOAD_SERVE_ARGS").unwrap_or_default()
        ))
        .stdout(Stdio::piped())
        .spawn()
        .expect("callspec serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    // Keep reading what the server prints: a closed pipe would fail its next print.
    std::thread::spawn(move || {
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
    });
    let uri = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the banner names the server's URL")
        .to_owned();
    (child, uri)
}

#[tokio::main]
async fn main() {
    let seconds = setting("CALLSPEC_LOAD_SECONDS", 600);
    let callers = setting("CALLSPEC_LOAD_CALLERS", 200);
    let time_scale: f64 = std::env::var("CALLSPEC_LOAD_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let (mut child, uri) = start_server(time_scale);
    let pid = child.id();
    println!(
        "serve_load: {callers} callers for {seconds} s against {uri} (time scale {time_scale}, \
         server fd limit {SERVER_FD_LIMIT})"
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(callers as usize)
        .build()
        .unwrap();
    let token = callspec::request_token(&uri, None, &[]).await.unwrap();
    let script = client
        .post(format!("{uri}/_callspec/script"))
        .json(&json!({"callee": {"answer": {"afterSeconds": 1}, "hangsUpAfterSeconds": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    let receiver = Receiver::default();
    let callback = serve_callbacks(receiver.clone()).await;

    let calls_done = Arc::new(AtomicU64::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let failed_creates = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..callers {
        let (client, uri, token, callback, receiver) = (
            client.clone(),
            uri.clone(),
            token.clone(),
            callback.clone(),
            receiver.clone(),
        );
        let (calls_done, lost, failed_creates) =
            (calls_done.clone(), lost.clone(), failed_creates.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < until {
                let body = json!({
                    "@odata.type": "#microsoft.graph.call",
                    "callbackUri": callback,
                    "subject": "load",
                    "targets": [{"@odata.type": "#microsoft.graph.invitationParticipantInfo",
                                 "identity": {"user": {"id": "112f7296-5fa4-42ca-bae8-6a692b15d4b8",
                                                       "displayName": "John"}}}],
                    "requestedModalities": ["audio"],
                    "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
                });
                let response = client
                    .post(format!("{uri}/v1.0/communications/calls"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let id = match response {
                    Ok(r) if r.status() == 201 => {
                        let call: Value = r.json().await.unwrap_or_default();
                        call["id"].as_str().unwrap_or_default().to_owned()
                    }
                    _ => {
                        failed_creates.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let got = tokio::time::timeout(CALL_DEADLINE, receiver.wait_for(&id)).await;
                let count = match got {
                    Ok(Ok(count)) => count,
                    _ => receiver.forget(&id),
                };
                receiver.forget(&id);
                lost.fetch_add(u64::from(PER_CALL.saturating_sub(count)), Ordering::Relaxed);
                calls_done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut peak = 0;
    let mut samples = Vec::new();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(10).min(until - Instant::now())).await;
        let rss = rss_kib(pid);
        peak = peak.max(rss);
        let t = started.elapsed().as_secs();
        samples.push((t, rss));
        println!(
            "t={t:>4}s rss={:>6.1} MB calls={} notifications={}",
            rss as f64 / 1024.0,
            calls_done.load(Ordering::Relaxed),
            receiver.total.load(Ordering::Relaxed)
        );
    }
    for w in workers {
        let _ = w.await;
    }
    let calls = calls_done.load(Ordering::Relaxed);
    println!(
        "load: {calls} calls, {} notifications, {} lost, {} creates refused, peak RSS {:.1} MB",
        receiver.total.load(Ordering::Relaxed),
        lost.load(Ordering::Relaxed),
        failed_creates.load(Ordering::Relaxed),
        peak as f64 / 1024.0
    );

    let t = Instant::now();
    let journal = client
        .get(format!("{uri}/_callspec/journal"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    println!(
        "journal: first page {} KB in {} ms",
        journal.len() / 1024,
        t.elapsed().as_millis()
    );
    let before = rss_kib(pid);
    let reset = client
        .post(format!("{uri}/_callspec/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "reset: RSS {:.1} MB before, {:.1} MB after",
        before as f64 / 1024.0,
        rss_kib(pid) as f64 / 1024.0
    );

    // The storm: more idle connections than the server may hold, then let go of them.
    let address = uri.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..STORM {
        match tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(&address),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            _ => refused += 1,
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = held.len();
    drop(held);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("{uri}/_callspec/info"))
        .send()
        .await;
    println!(
        "storm: {connected} idle connections held, {refused} not made; accepting afterwards: {}",
        match after {
            Ok(r) => format!("yes ({})", r.status()),
            Err(e) => format!("NO ({})", e.without_url()),
        }
    );
    println!(
        "rss samples (s, MB): {}",
        samples
            .iter()
            .map(|(t, r)| format!("{t}:{:.0}", *r as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = child.kill();
    let _ = child.wait();
}
