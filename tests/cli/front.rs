//! The HTTP front of `callspec serve` (and of the run's stand-in and inbox) against hostile
//! clients: descriptor storms, slowloris, malformed HTTP, huge bodies, the start-up race.
//! Each test reproduces an item of the hardening issue with raw TCP.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use callspec::{ServeOptions, Server};

use crate::common::serve::{free_port, server_with, FAST};

async fn server(idle: Duration) -> Server {
    let options = ServeOptions {
        idle_timeout: idle,
        ..Default::default()
    };
    server_with(FAST, options).await
}

fn address(uri: &str) -> String {
    uri.trim_start_matches("http://").to_owned()
}

/// Sends `raw` and reads the answer until the server closes the connection or `wait` passes;
/// returns the status line's code (None when the server closed without answering).
fn exchange(address: &str, raw: &[u8], wait: Duration) -> (Option<u16>, String) {
    let mut stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(raw).expect("writes");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && !answer.is_empty() {
            // Headers are in: give the body a moment, then stop at the connection's end.
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    (status, text)
}

/// A request any stand-in answers 200 (when it is ready).
const OPENID: &[u8] =
    b"GET /v1/.well-known/openidconfiguration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_or_a_closed_connection_never_a_panic() {
    let server = server(Duration::from_secs(2)).await;
    let at = address(server.uri());
    let cases: &[(&str, &[u8])] = &[
        (
            "an absolute-form target with port 99999",
            b"GET http://x:99999/v1.0/communications/calls HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "CONNECT",
            b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
        ),
        (
            "Content-Length with Transfer-Encoding",
            b"POST /v1.0/communications/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
              Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        (
            "a request line that is not HTTP",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        ),
    ];
    let at2 = at.clone();
    let results = tokio::task::spawn_blocking(move || {
        cases
            .iter()
            .map(|(what, raw)| (*what, exchange(&at2, raw, Duration::from_secs(5))))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (what, (status, text)) in results {
        assert!(
            status.is_none() || status == Some(400),
            "{what}: expected 400 or a closed connection, got:\n{text}"
        );
    }
    // A body cut short: the client stops sending and half-closes.
    let at3 = at.clone();
    let (status, text) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&at3).unwrap();
        stream
            .write_all(
                b"POST /v1.0/communications/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\
                  Content-Type: application/json\r\n\r\n{\"a\":",
            )
            .unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer.get(9..12).and_then(|c| c.parse::<u16>().ok());
        (status, answer)
    })
    .await
    .unwrap();
    assert!(
        status.is_none() || status == Some(400),
        "a short body: expected 400 or a closed connection, got:\n{text}"
    );
    // And the server still answers.
    let (status, _) =
        tokio::task::spawn_blocking(move || exchange(&at, OPENID, Duration::from_secs(5)))
            .await
            .unwrap();
    assert_eq!(status, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let server = server(Duration::from_secs(5)).await;
    let at = address(server.uri());
    tokio::task::spawn_blocking(move || {
        // Declared: refused at once, with a Graph envelope, before any body byte is sent.
        let (status, text) = exchange(
            &at,
            b"POST /v1.0/communications/calls HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
            Duration::from_secs(5),
        );
        assert_eq!(status, Some(413), "{text}");
        assert!(text.contains("\"RequestEntityTooLarge\""), "{text}");

        // Chunked: the answer comes while the client is still sending, long before 100 MB.
        let mut stream = TcpStream::connect(&at).unwrap();
        stream
            .write_all(
                b"POST /v1.0/communications/calls HTTP/1.1\r\nHost: x\r\n\
                  Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
        let mut sent = 0usize;
        for _ in 0..6400 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                break; // the server answered and closed
            }
            sent += 16 * 1024;
        }
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "chunked: {answer}");
        assert!(
            sent < 50 * 1024 * 1024,
            "the server let the client send {sent} bytes before refusing"
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_by_the_idle_timeout() {
    let idle = Duration::from_millis(500);
    let server = server(idle).await;
    let at = address(server.uri());
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut slow = Vec::new();
        for i in 0..50 {
            let mut stream = TcpStream::connect(&at).unwrap();
            // Half a request head, or a head and half a body, then nothing.
            let partial: &[u8] = if i % 2 == 0 {
                b"GET /v1/.well-known/keys HTTP/1.1\r\nHost: x\r\nX-Slow: "
            } else {
                b"POST /v1.0/communications/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"
            };
            stream.write_all(partial).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            slow.push(stream);
        }
        for mut stream in slow {
            let mut rest = Vec::new();
            // Ends when the server closes the connection (after an optional 400/408).
            let _ = stream.read_to_end(&mut rest);
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(8),
            "slow connections were held {took:?} (idle timeout {idle:?})"
        );
        // Meanwhile and after, the server answers.
        assert_eq!(exchange(&at, OPENID, Duration::from_secs(5)).0, Some(200));
    })
    .await
    .unwrap();
}

/// `callspec serve` in a child process, with `prlimit` holding it to `files` descriptors.
fn serve_limited(files: u32, port: u16) -> Option<Child> {
    Command::new("prlimit")
        .arg(format!("--nofile={files}:{files}"))
        .arg(env!("CARGO_BIN_EXE_callspec"))
        .args(["serve", "--port", &port.to_string(), "--idle-timeout", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()
}

/// Connects until the port opens (at most 10 s).
fn connect_when_open(at: &str) -> TcpStream {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(at) {
            Ok(stream) => return stream,
            Err(e) if Instant::now() > until => panic!("{at} never opened: {e}"),
            // The child is starting: the port exists only once it listens.
            Err(_) => std::thread::yield_now(),
        }
    }
}

#[test]
fn the_port_opens_only_when_the_routes_answer() {
    for _ in 0..10 {
        let port = free_port();
        let Some(mut child) = serve_limited(4096, port) else {
            eprintln!("prlimit is not available: skipped");
            return;
        };
        let at = format!("127.0.0.1:{port}");
        let mut stream = connect_when_open(&at);
        stream.write_all(OPENID).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        child.kill().ok();
        child.wait().ok();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "the first request after the port opened got:\n{answer}"
        );
    }
}

#[test]
fn a_descriptor_storm_does_not_stop_the_listener() {
    let port = free_port();
    // 64 descriptors for the whole process, and 100 clients that hold their connections.
    let Some(mut child) = serve_limited(64, port) else {
        eprintln!("prlimit is not available: skipped");
        return;
    };
    let at = format!("127.0.0.1:{port}");
    drop(connect_when_open(&at));
    let mut held = Vec::new();
    for _ in 0..100 {
        if let Ok(stream) = TcpStream::connect(&at) {
            held.push(stream);
        }
    }
    // While they are held (idle: the server closes them after its 1 s idle timeout), a new
    // client is answered.
    let (status, text) = exchange(&at, OPENID, Duration::from_secs(15));
    assert_eq!(status, Some(200), "during the storm: {text}");
    drop(held);
    // After the storm, every new client is answered.
    for _ in 0..20 {
        let (status, text) = exchange(&at, OPENID, Duration::from_secs(5));
        assert_eq!(status, Some(200), "after the storm: {text}");
    }
    child.kill().ok();
    let output = child.wait_with_output().expect("the server's output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
