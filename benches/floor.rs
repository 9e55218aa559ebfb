//! The bare floor: what the same exchanges cost with the same crates and nothing else
//! (cucumber + wiremock + reqwest), against which callspec's throughput is measured.
//!
//! It runs the very feature files the benchmark generates, with steps of its own: one pooled
//! wiremock server plays Graph (answers the create with 201 and the call), one pooled wiremock
//! server plays the bot's inbox (records notifications per callback path); the `When` step
//! creates the call and POSTs its two notifications (establishing, established) with a bearer
//! token; the `Then` steps check the status, the response's fields and the notifications'
//! order. No templates, no matching language, no simulated clock, no token signing per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cucumber::{given, then, when, World as _};
use serde_json::{json, Value};
use wiremock::{matchers::any, Mock, MockServer, Request, Respond, ResponseTemplate};

type Log = Arc<Mutex<HashMap<String, Vec<Value>>>>;

struct Servers {
    graph: MockServer,
    inbox: MockServer,
    log: Log,
    client: reqwest::Client,
}

static SERVERS: OnceLock<Servers> = OnceLock::new();

fn servers() -> &'static Servers {
    SERVERS
        .get()
        .expect("the floor's servers start before the run")
}

struct Graph;

impl Respond for Graph {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let id = uuid::Uuid::new_v4().to_string();
        ResponseTemplate::new(201)
            .insert_header(
                "Location",
                format!("/v1.0/communications/calls/{id}").as_str(),
            )
            .set_body_json(json!({
                "@odata.type": "#microsoft.graph.call",
                "id": id,
                "state": "establishing",
                "direction": "outgoing",
                "callbackUri": body["callbackUri"],
                "targets": body["targets"],
                "requestedModalities": body["requestedModalities"],
                "mediaConfig": body["mediaConfig"],
            }))
    }
}

struct Inbox {
    log: Log,
}

impl Respond for Inbox {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let mut log = self.log.lock().unwrap();
        let entries = log.entry(request.url.path().to_owned()).or_default();
        if let Some(items) = body["value"].as_array() {
            entries.extend(items.iter().cloned());
        }
        ResponseTemplate::new(202)
    }
}

#[derive(Debug, Default, cucumber::World)]
struct FloorWorld {
    status: u16,
    response: Value,
    call_id: String,
}

#[given(regex = r#"^a call request from template "(.+)"$"#)]
fn template(_world: &mut FloorWorld, _name: String) {}

#[when("the bot creates the call")]
async fn create(world: &mut FloorWorld) {
    let s = servers();
    let body = json!({
        "@odata.type": "#microsoft.graph.call",
        "callbackUri": "https://bot.contoso.com/callback",
        "targets": [{"@odata.type": "#microsoft.graph.invitationParticipantInfo",
                     "identity": {"user": {"displayName": "John",
                                           "id": "112f7296-5fa4-42ca-bae8-6a692b15d4b8"}}}],
        "requestedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    });
    let response = s
        .client
        .post(format!("{}/v1.0/communications/calls", s.graph.uri()))
        .bearer_auth("floor-token")
        .json(&body)
        .send()
        .await
        .expect("the floor's Graph answers");
    world.status = response.status().as_u16();
    world.response = response.json().await.expect("a JSON call");
    world.call_id = world.response["id"].as_str().unwrap_or_default().to_owned();
    for state in ["establishing", "established"] {
        let notification = json!({"value": [{
            "changeType": "updated",
            "resourceUrl": format!("/communications/calls/{}", world.call_id),
            "resourceData": {"@odata.type": "#microsoft.graph.call", "state": state},
        }]});
        s.client
            .post(format!("{}/cb/{}", s.inbox.uri(), world.call_id))
            .bearer_auth("floor-notification-token")
            .json(&notification)
            .send()
            .await
            .expect("the floor's inbox answers");
    }
}

#[then(expr = "the response status is {int}")]
fn status(world: &mut FloorWorld, expected: u16) {
    assert_eq!(world.status, expected);
}

#[then("the response has:")]
fn response_has(world: &mut FloorWorld, step: &cucumber::gherkin::Step) {
    let table = step.table.as_ref().expect("a table");
    for row in table.rows.iter().skip(1) {
        let field = row[0].split(['.', '[']).next().unwrap_or_default();
        assert!(!world.response[field].is_null(), "{field} is missing");
    }
}

#[then("the bot receives notifications in order:")]
fn in_order(world: &mut FloorWorld, step: &cucumber::gherkin::Step) {
    let table = step.table.as_ref().expect("a table");
    let log = servers().log.lock().unwrap();
    let got = log
        .get(&format!("/cb/{}", world.call_id))
        .cloned()
        .unwrap_or_default();
    assert_eq!(got.len(), table.rows.len() - 1);
    for (item, row) in got.iter().zip(table.rows.iter().skip(1)) {
        assert_eq!(
            item["resourceData"]["state"].as_str(),
            row.last().map(|s| s.as_str())
        );
    }
}

/// Runs the floor on the features under `dir` with `concurrency` scenarios at once.
pub fn run(dir: &str, concurrency: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let graph = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let inbox = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let log = Log::default();
        Mock::given(any()).respond_with(Graph).mount(&graph).await;
        Mock::given(any())
            .respond_with(Inbox { log: log.clone() })
            .mount(&inbox)
            .await;
        let _ = SERVERS.set(Servers {
            graph,
            inbox,
            log,
            client: reqwest::Client::new(),
        });
        let opts = cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty> {
            re_filter: None,
            tags_filter: None,
            parser: Default::default(),
            runner: cucumber::runner::basic::Cli {
                concurrency: Some(concurrency),
                ..Default::default()
            },
            writer: Default::default(),
            custom: cucumber::cli::Empty,
        };
        let summary = FloorWorld::cucumber()
            .with_cli(opts)
            .fail_on_skipped()
            .run(dir)
            .await;
        let scenarios = summary.scenarios_stats();
        println!("{} passed, {} failed", scenarios.passed, scenarios.failed);
    });
}
