//! The bot gateway over real https: a client trusting callspec's test CA gets a token the way a
//! bot does, and its calling-API requests reach the stand-in of the scenario that owns the call.

use std::path::PathBuf;
use std::time::Duration;

use callspec::bot::{BotGateway, BotLink, GatewaySettings};
use callspec::{AppIdentity, StandIn, StandInConfig, StandInServer};
use serde_json::{json, Value};

const SECRET: &str = "test-secret-of-the-gateway";

fn app() -> AppIdentity {
    StandInConfig::default().app
}

/// A CA folder of its own for each test (removed at the end of the test).
struct CaDir(PathBuf);

impl CaDir {
    fn new(name: &str) -> CaDir {
        let dir = std::env::temp_dir().join(format!(
            "callspec-gateway-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        CaDir(dir)
    }
}

impl Drop for CaDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(ca: &CaDir) -> BotGateway {
    BotGateway::start(GatewaySettings {
        app: app(),
        client_secret: SECRET.into(),
        port: 0,
        ca_dir: ca.0.clone(),
    })
    .expect("the gateway starts")
}

/// An HTTP client that trusts the gateway's CA (and nothing of the system's).
fn client(gateway: &BotGateway) -> reqwest::Client {
    let pem = std::fs::read(gateway.ca_file()).expect("the CA file exists");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("the CA parses"))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn env_of(gateway: &BotGateway, name: &str) -> String {
    gateway
        .env()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is in the bot's environment"))
        .1
}

/// Client credentials, as MSAL sends them.
async fn token_request(
    client: &reqwest::Client,
    gateway: &BotGateway,
    secret: &str,
) -> (u16, Value) {
    let app_id = app().app_id;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app_id.as_str()),
        ("client_secret", secret),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    let response = client
        .post(env_of(gateway, "CALLSPEC_TOKEN_URL"))
        .form(&form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn token(client: &reqwest::Client, gateway: &BotGateway) -> String {
    let (status, body) = token_request(client, gateway, SECRET).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// The bot's request to the gateway's calling API: status, `Location`, JSON body.
async fn graph(
    client: &reqwest::Client,
    gateway: &BotGateway,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut request = client
        .request(method, format!("{}{path}", gateway.uri()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the gateway answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, location, body)
}

fn answer_body(callback: &str) -> Value {
    json!({
        "callbackUri": callback,
        "acceptedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    })
}

fn soon() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(5)
}

/// An incoming call from John on `standin`, owned by `link`; returns its id.
fn john_calls(standin: &StandIn, link: &BotLink, callback: &str) -> String {
    let call = standin.incoming_call(
        json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "user": {"id": uuid::Uuid::new_v4().to_string(), "displayName": "John"},
        }),
        callback,
        &app(),
    );
    let id = call["id"].as_str().unwrap().to_owned();
    link.own_call(&id);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_gets_a_token_and_answers_an_incoming_call_through_the_gateway() {
    let ca = CaDir::new("answer");
    let server = StandInServer::start().unwrap();
    let standin = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let link = gateway.attach(&standin);
    let client = client(&gateway);
    let token = token(&client, &gateway).await;

    // A webhook that takes its time, to see the delivery's wall time.
    let webhook = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(202).set_delay(Duration::from_millis(300)))
        .mount(&webhook)
        .await;
    let callback = format!("{}/api/calls", webhook.uri());
    let call_id = john_calls(&standin, &link, &callback);

    // A waiter already waiting wakes when the answer is logged.
    let answer_path = format!("/v1.0/communications/calls/{call_id}/answer");
    let answer = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        &answer_path,
        Some(answer_body(&callback)),
    );
    let (logged, (status, _, body)) = tokio::join!(link.wait_requests(1, soon()), answer);
    assert_eq!(status, 202, "{body}");
    assert!(logged);
    standin.advance(Duration::from_secs(5)).await;

    let (status, location, op) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        &format!("/v1.0/communications/calls/{call_id}/playPrompt"),
        Some(json!({"prompts": [{
            "@odata.type": "#microsoft.graph.mediaPrompt",
            "mediaInfo": {"@odata.type": "#microsoft.graph.mediaInfo", "uri": "https://example.com/welcome.wav"},
        }]})),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    // The operation's URL is the gateway's, the one the bot knows.
    let location = location.expect("a running operation has a Location");
    assert!(
        location.starts_with(&format!(
            "{}/v1.0/communications/calls/{call_id}/operations/",
            gateway.uri()
        )),
        "{location}"
    );
    let (status, _, resource) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::GET,
        &format!("/v1.0/communications/calls/{call_id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, resource["state"].as_str()),
        (200, Some("established")),
        "{resource}"
    );
    assert!(resource["@odata.context"]
        .as_str()
        .unwrap()
        .starts_with(gateway.uri()));

    assert!(link.wait_requests(3, soon()).await);
    let requests = link.requests();
    assert_eq!(link.request_count(), 3);
    let seen: Vec<(&str, &str, u16)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    let base = format!("/v1.0/communications/calls/{call_id}");
    assert_eq!(
        seen,
        [
            ("POST", format!("{base}/answer").as_str(), 202),
            ("POST", format!("{base}/playPrompt").as_str(), 200),
            ("GET", base.as_str(), 200),
        ]
    );
    assert!(requests
        .iter()
        .all(|r| r.call_id.as_deref() == Some(call_id.as_str())));
    assert_eq!(requests[0].body, Some(answer_body(&callback)));
    assert_eq!(requests[1].response.as_ref().unwrap()["status"], "running");
    assert!(requests[0].at <= requests[1].at && requests[1].at <= requests[2].at);
    // Never a token in what is kept.
    assert!(!format!("{requests:?}").contains(&token));
    assert!(gateway.strays().is_empty(), "{:?}", gateway.strays());

    // Each notification POST records how long the bot took to answer it.
    let deliveries = standin.deliveries();
    assert!(!deliveries.is_empty());
    for delivery in &deliveries {
        assert_eq!(delivery.outcome, Ok(202));
        assert!(
            delivery.elapsed >= Duration::from_millis(300)
                && delivery.elapsed < Duration::from_secs(5),
            "{:?}",
            delivery.elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_as_the_identity_platform_does() {
    let ca = CaDir::new("secret");
    let gateway = start(&ca);
    let client = client(&gateway);
    let (status, body) = token_request(&client, &gateway, "not-the-secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    assert_eq!(body["error_codes"], json!([7000215]));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("AADSTS7000215: Invalid client secret provided."),
        "{description}"
    );
    assert!(!body.to_string().contains(SECRET));
    // The tenant's metadata leads MSAL to the token endpoint.
    let metadata: Value = client
        .get(format!(
            "{}/v2.0/.well-known/openid-configuration",
            env_of(&gateway, "CALLSPEC_AUTHORITY")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["token_endpoint"].as_str().unwrap(),
        env_of(&gateway, "CALLSPEC_TOKEN_URL")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notification_keys_are_the_ones_the_stand_ins_sign_with() {
    let ca = CaDir::new("keys");
    let server = StandInServer::start().unwrap();
    let standin = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let client = client(&gateway);
    let config: Value = client
        .get(env_of(&gateway, "CALLSPEC_NOTIFICATION_OPENID_CONFIG"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["issuer"],
        env_of(&gateway, "CALLSPEC_NOTIFICATION_ISSUER")
    );
    let keys: Value = client
        .get(config["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys, standin.signing_key().jwks());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_no_scenario_owns_gets_a_graph_404_and_is_a_stray() {
    let ca = CaDir::new("stray");
    let server = StandInServer::start().unwrap();
    let standin = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let link = gateway.attach(&standin);
    let client = client(&gateway);
    let token = token(&client, &gateway).await;
    let path = "/v1.0/communications/calls/no-such-call/answer";
    let (status, _, body) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        path,
        Some(answer_body("https://bot.example/cb")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("8522")),
        "{body}"
    );
    assert!(
        body["error"]["innerError"]["request-id"].is_string(),
        "{body}"
    );
    let strays = gateway.strays();
    assert_eq!(strays.len(), 1);
    assert_eq!(
        (
            strays[0].method.as_str(),
            strays[0].path.as_str(),
            strays[0].status
        ),
        ("POST", path, 404)
    );
    assert_eq!(strays[0].call_id.as_deref(), Some("no-such-call"));
    assert_eq!(link.request_count(), 0);
    assert!(
        !link
            .wait_requests(1, tokio::time::Instant::now() + Duration::from_millis(50))
            .await
    );

    // A detached scenario's calls are nobody's.
    let call_id = john_calls(&standin, &link, "https://bot.example/cb");
    drop(link);
    let (status, _, _) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::DELETE,
        &format!("/v1.0/communications/calls/{call_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(gateway.strays().len(), 2);
}

/// A scenario's failure lists only the strays that could be its own: not those that came before
/// it began, nor those for a call of a scenario that has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_sees_only_the_strays_that_could_be_its_own() {
    let ca = CaDir::new("own-strays");
    let server = StandInServer::start().unwrap();
    let first = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let client = client(&gateway);
    let token = token(&client, &gateway).await;
    let delete = |call: String| {
        let (client, gateway, token) = (&client, &gateway, &token);
        async move {
            graph(
                client,
                gateway,
                token,
                reqwest::Method::DELETE,
                &format!("/v1.0/communications/calls/{call}"),
                None,
            )
            .await
            .0
        }
    };
    // Before the second scenario begins: a stray for a call nobody ever had.
    assert_eq!(delete("before-it-began".to_owned()).await, 404);
    let ended = gateway.attach(&first);
    let ended_call = john_calls(&first, &ended, "https://bot.example/cb");
    drop(ended);
    let second_standin = server.open(StandInConfig::default());
    let second = gateway.attach(&second_standin);
    // After it began: the ended scenario's call, and a call nobody had.
    assert_eq!(delete(ended_call.clone()).await, 404);
    assert_eq!(delete("unknown-call".to_owned()).await, 404);
    assert_eq!(gateway.strays().len(), 3);
    let own: Vec<Option<String>> = second.strays().into_iter().map(|r| r.call_id).collect();
    assert_eq!(own, vec![Some("unknown-call".to_owned())]);
}

fn create_body(user_id: &str, callback: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.call",
        "callbackUri": callback,
        "targets": [{
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            "identity": {
                "@odata.type": "#microsoft.graph.identitySet",
                "user": {"@odata.type": "#microsoft.graph.identity", "id": user_id, "displayName": "Alice"},
            },
        }],
        "requestedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_goes_to_the_scenario_that_claimed_an_id_in_it() {
    let ca = CaDir::new("create");
    let server = StandInServer::start().unwrap();
    let first = server.open(StandInConfig::default());
    let second = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let first_link = gateway.attach(&first);
    let second_link = gateway.attach(&second);
    let client = client(&gateway);
    let token = token(&client, &gateway).await;
    let alice = uuid::Uuid::new_v4().to_string();
    second_link.claim(&alice);
    let callback = "https://bot.example/api/calls";

    let (status, location, call) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        "/v1.0/communications/calls",
        Some(create_body(&alice, callback)),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    let call_id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location.as_deref(),
        Some(format!("{}/v1.0/communications/calls/{call_id}", gateway.uri()).as_str())
    );
    assert_eq!(second.call_count(), 1);
    assert_eq!(first.call_count(), 0);
    let created = second_link.requests();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].call_id.as_deref(), Some(call_id.as_str()));
    assert_eq!(first_link.request_count(), 0);
    // The new call is the claiming scenario's from now on.
    let (status, _, _) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::GET,
        &format!("/v1.0/communications/calls/{call_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(second_link.request_count(), 2);

    // Nobody claimed Bob, and two scenarios run: the gateway cannot tell.
    let (status, _, body) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        "/v1.0/communications/calls",
        Some(create_body("bob-id", callback)),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot tell which scenario"), "{message}");
    assert_eq!(gateway.strays().len(), 1);

    // With one scenario left, it takes any create.
    drop(first_link);
    let (status, _, call) = graph(
        &client,
        &gateway,
        &token,
        reqwest::Method::POST,
        "/v1.0/communications/calls",
        Some(create_body("bob-id", callback)),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(second.call_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scenarios_at_once_see_only_their_own_calls() {
    let ca = CaDir::new("isolated");
    let server = StandInServer::start().unwrap();
    let gateway = start(&ca);
    let client = client(&gateway);
    let token = token(&client, &gateway).await;
    let scenarios: Vec<(StandIn, BotLink)> = (0..2)
        .map(|_| {
            let standin = server.open(StandInConfig::default());
            let link = gateway.attach(&standin);
            (standin, link)
        })
        .collect();
    let callback = "https://bot.example/api/calls";
    let calls: Vec<String> = scenarios
        .iter()
        .map(|(standin, link)| john_calls(standin, link, callback))
        .collect();
    // Both answered at once.
    let paths: Vec<String> = calls
        .iter()
        .map(|id| format!("/v1.0/communications/calls/{id}/answer"))
        .collect();
    let answers = paths.iter().map(|path| {
        graph(
            &client,
            &gateway,
            &token,
            reqwest::Method::POST,
            path,
            Some(answer_body(callback)),
        )
    });
    for (status, _, body) in futures::future::join_all(answers).await {
        assert_eq!(status, 202, "{body}");
    }
    for ((standin, link), id) in scenarios.iter().zip(&calls) {
        let requests = link.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].call_id.as_ref(), Some(id));
        assert_eq!(standin.call_count(), 1);
    }
    // Each stand-in knows only its own call.
    assert!(scenarios[0].0.call_state(&calls[1]).is_none());
    assert!(scenarios[1].0.call_state(&calls[0]).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_is_kept_and_reused_by_the_next_start() {
    let ca = CaDir::new("reuse");
    let first = start(&ca);
    let trusting_the_first = client(&first);
    let pem = std::fs::read_to_string(first.ca_file()).unwrap();
    assert_eq!(first.ca_file(), ca.0.join("ca.pem"));
    assert!(pem.contains("callspec's test CA"), "{pem}");
    drop(first);
    let second = start(&ca);
    assert_eq!(std::fs::read_to_string(second.ca_file()).unwrap(), pem);
    // A bot that trusted the first run's CA trusts the second run's certificate.
    let (status, _) = token_request(&trusting_the_first, &second, SECRET).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_and_untrusting_clients_are_refused_and_the_gateway_goes_on() {
    let ca = CaDir::new("plain");
    let gateway = start(&ca);
    let plain = format!(
        "http://127.0.0.1:{}/v1.0/communications/calls",
        gateway.port()
    );
    let response = reqwest::Client::new()
        .get(&plain)
        .send()
        .await
        .expect("a plain answer");
    assert_eq!(response.status().as_u16(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("https"), "{text}");
    // A client that does not trust the CA fails its handshake.
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(untrusting.get(gateway.uri()).send().await.is_err());
    // Raw garbage, then a silent close.
    {
        use tokio::io::AsyncWriteExt as _;
        let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", gateway.port()))
            .await
            .unwrap();
        raw.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0])
            .await
            .unwrap();
        drop(raw);
    }
    let (status, _) = token_request(&client(&gateway), &gateway, SECRET).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_points_the_bot_at_the_gateway() {
    let ca = CaDir::new("env");
    let gateway = start(&ca);
    let uri = gateway.uri().to_owned();
    let tenant = app().tenant_id;
    let ca_file = gateway.ca_file().display().to_string();
    let expected = [
        ("CALLSPEC_GRAPH_URL", format!("{uri}/v1.0")),
        ("CALLSPEC_AUTHORITY_HOST", uri.clone()),
        ("AZURE_AUTHORITY_HOST", uri.clone()),
        ("CALLSPEC_AUTHORITY", format!("{uri}/{tenant}")),
        (
            "CALLSPEC_TOKEN_URL",
            format!("{uri}/{tenant}/oauth2/v2.0/token"),
        ),
        ("CALLSPEC_TENANT_ID", tenant.clone()),
        ("AZURE_TENANT_ID", tenant.clone()),
        ("CALLSPEC_CLIENT_ID", app().app_id),
        ("AZURE_CLIENT_ID", app().app_id),
        ("CALLSPEC_CLIENT_SECRET", SECRET.to_owned()),
        ("AZURE_CLIENT_SECRET", SECRET.to_owned()),
        (
            "CALLSPEC_NOTIFICATION_OPENID_CONFIG",
            format!("{uri}/v1/.well-known/openidconfiguration"),
        ),
        (
            "CALLSPEC_NOTIFICATION_ISSUER",
            "https://api.botframework.com".to_owned(),
        ),
        ("CALLSPEC_CA_FILE", ca_file.clone()),
        ("SSL_CERT_FILE", ca_file.clone()),
        ("REQUESTS_CA_BUNDLE", ca_file.clone()),
        ("NODE_EXTRA_CA_CERTS", ca_file),
    ];
    let env = gateway.env();
    for (name, value) in expected {
        assert!(
            env.iter().any(|(n, v)| n == name && *v == value),
            "{name}={value} in {:?}",
            env.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
    }
    assert!(uri.starts_with("https://127.0.0.1:"));
    // The secret never shows in the gateway's Debug.
    assert!(!format!("{gateway:?}").contains(SECRET));
}

#[test]
fn starting_outside_a_runtime_is_an_error_not_a_panic() {
    let ca = CaDir::new("runtime");
    let error = BotGateway::start(GatewaySettings {
        app: app(),
        client_secret: SECRET.into(),
        port: 0,
        ca_dir: ca.0.clone(),
    })
    .unwrap_err();
    assert!(error.to_string().contains("Tokio runtime"), "{error}");
}

/// A token signed with the run's key (as `callspec serve` mints them) for `app` with `roles`.
fn minted(app: &AppIdentity, roles: &[&str]) -> callspec::auth::AccessClaims {
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    callspec::auth::AccessClaims::app_only(app, &roles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_for_another_app_or_tenant_expired_or_without_roles_are_refused_as_graph_does() {
    let ca = CaDir::new("foreign");
    let server = StandInServer::start().unwrap();
    let standin = server.open(StandInConfig::default());
    let gateway = start(&ca);
    let link = gateway.attach(&standin);
    let client = client(&gateway);
    let call_id = john_calls(&standin, &link, "https://bot.example/cb");
    let key = callspec::auth::SigningKey::for_run();
    let all = [
        "Calls.Initiate.All",
        "Calls.InitiateGroupCall.All",
        "Calls.JoinGroupCall.All",
        "Calls.AccessMedia.All",
    ];
    let other_app = AppIdentity {
        app_id: "0f0f0f0f-1111-4222-8333-444444444444".into(),
        ..app()
    };
    let other_tenant = AppIdentity {
        tenant_id: "99999999-8888-4777-8666-555555555555".into(),
        ..app()
    };
    let cases = [
        (
            "another app",
            minted(&other_app, &all).token(key),
            403,
            "7503",
        ),
        (
            "another tenant",
            minted(&other_tenant, &all).token(key),
            401,
            "InvalidAuthenticationToken",
        ),
        (
            "expired",
            minted(&app(), &all).expired().token(key),
            401,
            "InvalidAuthenticationToken",
        ),
        (
            "no calling role",
            minted(&app(), &["User.Read.All"]).token(key),
            403,
            "7504",
        ),
        (
            "delegated",
            minted(&app(), &all).delegated().token(key),
            403,
            "7504",
        ),
        (
            "another key",
            callspec::auth::SigningKey::forger().sign(&minted(&app(), &all)),
            401,
            "InvalidAuthenticationToken",
        ),
    ];
    let prompt = json!({"prompts": [{
        "@odata.type": "#microsoft.graph.mediaPrompt",
        "mediaInfo": {"@odata.type": "#microsoft.graph.mediaInfo", "uri": "https://example.com/a.wav"},
    }]});
    for (what, token, status, code) in &cases {
        let requests = [
            (
                reqwest::Method::GET,
                format!("/v1.0/communications/calls/{call_id}"),
                None,
            ),
            (
                reqwest::Method::POST,
                format!("/v1.0/communications/calls/{call_id}/playPrompt"),
                Some(prompt.clone()),
            ),
            // Graph refuses the token before it looks for the call.
            (
                reqwest::Method::GET,
                "/v1.0/communications/calls/no-such-call".to_owned(),
                None,
            ),
            (
                reqwest::Method::POST,
                "/v1.0/communications/calls".to_owned(),
                Some(create_body("someone", "https://bot.example/cb")),
            ),
        ];
        for (method, path, body) in requests {
            let (got, _, answer) =
                graph(&client, &gateway, token, method.clone(), &path, body).await;
            assert_eq!(
                (got, answer["error"]["code"].as_str()),
                (*status, Some(*code)),
                "{what}: {method} {path}: {answer}"
            );
            assert!(answer["error"]["message"].is_string(), "{answer}");
        }
    }
    // The scenario saw the refusals of its call and of the create (the only scenario running
    // takes creates); the unknown call's are strays.
    let logged = link.requests();
    assert_eq!(logged.len(), 3 * cases.len());
    assert!(logged.iter().all(|r| r.status == 401 || r.status == 403));
    assert_eq!(gateway.strays().len(), cases.len());
    // The gateway's own token still works.
    let good = token(&client, &gateway).await;
    let (status, _, body) = graph(
        &client,
        &gateway,
        &good,
        reqwest::Method::GET,
        &format!("/v1.0/communications/calls/{call_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
