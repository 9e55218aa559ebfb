//! Live mode with hostile settings: env-file typos never echo a value, a token URL holding
//! credentials is never printed (not even by `-vv`), and an absurd `expires_in` from the token
//! endpoint does not panic. Graph is a local `callspec serve`, the identity platform a wiremock
//! server.

use std::path::PathBuf;

use crate::common::callspec_off_runtime as run;
use crate::common::live::{self, env_lines, graph, live_args as live, TENANT};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "SuperSecretValue123";

fn env_file(name: &str, lines: &[String]) -> PathBuf {
    live::env_file(&format!("hardening-{name}"), lines)
}

#[tokio::test]
async fn env_file_typos_name_the_key_and_line_never_the_value() {
    let cases = [
        (
            "no-equals",
            vec![
                format!("CALLSPEC_TENANT_ID={TENANT}"),
                format!("CALLSPEC_CLIENT_SECRET {SECRET}"),
            ],
            ":2: cannot read this line (CALLSPEC_CLIENT_SECRET)",
        ),
        (
            "open-quote",
            vec![
                format!("CALLSPEC_TENANT_ID={TENANT}"),
                format!("CALLSPEC_CLIENT_SECRET=\"{SECRET}"),
                "CALLSPEC_CLIENT_ID=AnotherValue456".to_owned(),
            ],
            ":2: cannot read this line (CALLSPEC_CLIENT_SECRET)",
        ),
    ];
    for (name, lines, expected) in cases {
        let file = env_file(name, &lines);
        let out = run(live(&file, &["features/create_call/p2p_voip.feature"])).await;
        assert_eq!(out.code, Some(2), "{}", out.output());
        assert!(out.stderr.contains(expected), "{name}: {}", out.output());
        for value in [SECRET, "AnotherValue456"] {
            assert!(!out.output().contains(value), "{name}: {}", out.output());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_expires_in_and_a_token_url_with_credentials_are_harmless() {
    let (graph, token) = graph().await;
    let identity = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": u64::MAX, "access_token": token,
        })))
        .mount(&identity)
        .await;
    let token_url = identity
        .uri()
        .replace("http://", "http://bot:UrlPassword789@")
        + "/token?sig=QuerySecret012";
    let file = env_file("expires", &env_lines(graph.uri(), &token_url, SECRET, &[]));
    // A failing spec, so that -vv shows the scenario's exchanges.
    let out = run(live(
        &file,
        &["tests/must-fail/wrong_status.feature", "-vv"],
    ))
    .await;
    assert_eq!(
        out.code,
        Some(1),
        "no panic, the spec fails:\n{}",
        out.output()
    );
    assert!(
        out.stdout.contains("expected status 404, got 201"),
        "{}",
        out.output()
    );
    // -vv shows the requests and timings, never a Debug dump of the settings.
    assert!(
        out.stdout.contains("    requests:\n") && !out.stdout.contains("token_url"),
        "-vv shows the exchanges, not the settings:\n{}",
        out.output()
    );
    for secret in [SECRET, "UrlPassword789", "QuerySecret012", "eyJ"] {
        assert!(
            !out.output().contains(secret),
            "{secret}:\n{}",
            out.output()
        );
    }
}
