//! Live contract mode, tested against local servers: `callspec serve` plays Graph (and
//! publishes the notification keys), a wiremock server plays the identity platform's token
//! endpoint, and the `callspec` binary runs the example specs with `--target live`.

use std::path::PathBuf;

use crate::common::live::{env_file, env_lines, graph, live_args, APP_ID};
use crate::common::{callspec_off_runtime as run, summary, Run};
use callspec::Server;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "test-client-secret-do-not-print";

/// One live test at a time: each picks a free port for the callback inbox that the `callspec`
/// process binds a moment later, and a parallel test's server must not take it meanwhile.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Graph (a served stand-in, a hundred times faster than real time) and a token
/// endpoint that hands out a token the stand-in accepts, for the client credentials only.
struct LocalCloud {
    graph: Server,
    identity: MockServer,
}

impl LocalCloud {
    async fn start() -> LocalCloud {
        let (graph, token) = graph().await;
        let identity = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains(format!("client_id={APP_ID}")))
            .and(body_string_contains(format!("client_secret={SECRET}")))
            .and(body_string_contains("scope="))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_type": "Bearer", "expires_in": 3599, "access_token": token,
            })))
            .mount(&identity)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            })))
            .mount(&identity)
            .await;
        LocalCloud { graph, identity }
    }

    /// An env file for this cloud; `extra` lines override.
    fn env_file(&self, name: &str, extra: &[&str]) -> PathBuf {
        let token_url = format!("{}/token", self.identity.uri());
        let lines = env_lines(self.graph.uri(), &token_url, SECRET, extra);
        env_file(&format!("live-{name}"), &lines)
    }
}

fn assert_no_secrets(run: &Run) {
    let output = run.output();
    assert!(
        !output.contains(SECRET),
        "the client secret leaked:\n{output}"
    );
    assert!(!output.contains("eyJ"), "a token leaked:\n{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_specs_pass_against_live_graph() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cloud = LocalCloud::start().await;
    let env = cloud.env_file("examples", &[]);
    let run = run(live_args(
        &env,
        &[
            "features/create_call/p2p_voip.feature",
            "features/create_call/join_meeting.feature",
            "features/beta",
            // Checks each notification's token against the published keys.
            "features/auth/notification_tokens.feature",
        ],
    ))
    .await;
    assert_no_secrets(&run);
    let (passed, failed) = summary(&run).unwrap_or_else(|| panic!("no summary:\n{}", run.output()));
    assert_eq!(failed, 0, "{}", run.output());
    assert!(passed >= 10, "{passed} passed:\n{}", run.output());
    assert_eq!(run.code, Some(0));
    // The requests reached the served stand-in with the public callback in place of the docs'.
    let journal = cloud.graph.standin().journal();
    let creates: Vec<&serde_json::Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == 201)
        .collect();
    assert!(creates.len() >= 10, "{journal}");
    assert!(creates.iter().all(|r| r["requestBody"]["callbackUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://127.0.0.1:"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_only_scenarios_are_skipped() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cloud = LocalCloud::start().await;
    let env = cloud.env_file("mock-only", &[]);
    let run = run(live_args(&env, &["features/lifecycle"])).await;
    assert_eq!(summary(&run), Some((0, 0)), "{}", run.output());
    assert_eq!(run.code, Some(0), "{}", run.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_refuses_a_tenant_not_named_staging() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cloud = LocalCloud::start().await;
    let env = cloud.env_file("production", &["CALLSPEC_TENANT_KIND=production"]);
    let refused = run(live_args(&env, &["features/create_call/p2p_voip.feature"])).await;
    assert_eq!(refused.code, Some(2), "{}", refused.output());
    assert!(
        refused.stderr.contains("refusing to run against tenant"),
        "{}",
        refused.output()
    );
    let mut allowed = live_args(&env, &["features/create_call/p2p_voip.feature"]);
    allowed.push("--allow-production".into());
    let allowed = run(allowed).await;
    assert_eq!(allowed.code, Some(0), "{}", allowed.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_missing_settings_are_bad_input_and_never_printed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cloud = LocalCloud::start().await;
    let env = cloud.env_file("bad-secret", &["CALLSPEC_CLIENT_SECRET=wrong-secret"]);
    let run_bad = run(live_args(&env, &["features/create_call/p2p_voip.feature"])).await;
    assert_eq!(run_bad.code, Some(2), "{}", run_bad.output());
    assert!(
        run_bad.stderr.contains("Invalid client secret provided"),
        "{}",
        run_bad.output()
    );
    assert!(
        !run_bad.output().contains("wrong-secret"),
        "{}",
        run_bad.output()
    );

    let env = cloud.env_file("no-port", &["CALLSPEC_CALLBACK_PORT="]);
    let missing = run(live_args(&env, &["features/create_call/p2p_voip.feature"])).await;
    assert_eq!(missing.code, Some(2), "{}", missing.output());
    assert!(
        missing.stderr.contains("CALLSPEC_CALLBACK_PORT"),
        "{}",
        missing.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_tokens_are_checked_against_the_published_keys() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Keys published somewhere else than where the notifications were signed: the inbox must
    // refuse every token, so the "signed for the app" step fails.
    let cloud = LocalCloud::start().await;
    let other_keys = callspec::auth::SigningKey::forger().jwks();
    Mock::given(method("GET"))
        .and(path("/openid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": callspec::auth::NOTIFICATION_ISSUER,
            "jwks_uri": format!("{}/keys", cloud.identity.uri()),
        })))
        .mount(&cloud.identity)
        .await;
    Mock::given(method("GET"))
        .and(path("/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(other_keys))
        .mount(&cloud.identity)
        .await;
    let openid = format!("CALLSPEC_OPENID_URL={}/openid", cloud.identity.uri());
    let env = cloud.env_file("other-keys", &[&openid]);
    let run = run(live_args(
        &env,
        &["features/auth/notification_tokens.feature"],
    ))
    .await;
    assert_eq!(summary(&run), Some((0, 1)), "{}", run.output());
    assert!(
        run.output().contains("its token is not valid for app"),
        "{}",
        run.output()
    );
    assert_no_secrets(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_recording_holds_no_secret_and_replays_against_the_embedded_stand_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cloud = LocalCloud::start().await;
    let env = cloud.env_file("record", &[]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("live-record-{}", uuid::Uuid::new_v4().simple()));
    let mut args = live_args(
        &env,
        &[
            "features/create_call/p2p_voip.feature",
            "features/create_call/join_meeting.feature",
        ],
    );
    args.extend(["--record".into(), dir.display().to_string()]);
    let recorded = run(args).await;
    assert_eq!(recorded.code, Some(0), "{}", recorded.output());
    let mut notifications = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(SECRET), "the client secret was recorded");
        assert!(!text.contains("eyJ"), "a token was recorded:\n{text}");
        let har: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(har["log"]["_callspec"]["target"], "live");
        notifications += har["log"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["_callspec"]["kind"] == "notification")
            .count();
    }
    assert!(
        notifications >= 10,
        "{notifications} notifications recorded"
    );
    // The served stand-in played Graph: the embedded one replays it without drift (the
    // recorded ids, callback and wall times are mapped onto the replay's). That "Graph" ran a
    // hundred times faster than real time, so the replay's clock runs on past the recording's
    // end, as it must for any stand-in slower than Graph.
    let replayed = tokio::task::spawn_blocking(move || {
        crate::common::exec(&["drift", &dir.display().to_string(), "--settle", "5"])
    })
    .await
    .unwrap();
    assert_eq!(replayed.code, Some(0), "{}", replayed.output());
    assert!(
        replayed
            .stdout
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("drift: none in "),
        "{}",
        replayed.output()
    );
}
