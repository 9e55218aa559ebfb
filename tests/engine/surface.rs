//! The whole v1.0 call surface on the stand-in (issue 18, sections 1 and 2): every endpoint
//! beyond the first ten, each with its documented status, body, `Location` and notifications,
//! and at least one of the rules its page states; the .NET SDK's OData-qualified action names;
//! the `/app/calls` paths. Simulated time: nothing here waits on the wall clock.

use std::time::Duration;

use callspec::auth::AccessClaims;
use callspec::graph::RemoteAction;
use callspec::{AppIdentity, StandIn, StandInConfig};
use serde_json::{json, Value};

fn app() -> AppIdentity {
    AppIdentity {
        app_id: "2891555a-92ff-42e6-80fa-6e1300c6b5c6".into(),
        tenant_id: "aa67bd4c-8475-432d-bd41-39f255720e0a".into(),
        display_name: "Calling Bot".into(),
    }
}

const ALL_ROLES: &[&str] = &[
    "Calls.Initiate.All",
    "Calls.InitiateGroupCall.All",
    "Calls.JoinGroupCall.All",
    "Calls.AccessMedia.All",
];

/// A stand-in, a token, and the answers of one test's requests.
struct Bench {
    standin: StandIn,
    client: reqwest::Client,
    token: String,
    call_id: String,
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: Value,
}

impl Bench {
    async fn start() -> Bench {
        Self::with_roles(ALL_ROLES).await
    }

    async fn with_roles(roles: &[&str]) -> Bench {
        let standin = StandIn::start(StandInConfig::default()).await;
        // The bodies are what matter: a refused connection costs no time.
        standin.update_delivery(|q| q.callback_unreachable = true);
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let token = standin.token(&AccessClaims::app_only(&app(), &roles));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a client");
        Bench {
            standin,
            client,
            token,
            call_id: String::new(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.standin.uri())
        };
        let mut request = self.client.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the stand-in answers");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            location,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// `POST .../calls/{id}/{action}` on the current call.
    async fn act(&self, action: &str, body: Value) -> Answer {
        self.post(&self.call_path(action), body).await
    }

    fn call_path(&self, rest: &str) -> String {
        format!("/v1.0/communications/calls/{}/{rest}", self.call_id)
    }

    async fn create(&mut self, body: Value) -> Answer {
        let answer = self.post("/v1.0/communications/calls", body).await;
        assert_eq!(answer.status, 201, "create: {}", answer.body);
        self.call_id = answer.body["id"].as_str().expect("an id").to_owned();
        answer
    }

    /// A peer-to-peer call, established.
    async fn p2p(&mut self, media: Value) {
        self.create(json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "targets": [user("John")],
            "requestedModalities": ["audio"],
            "mediaConfig": media,
        }))
        .await;
        self.advance(2).await;
    }

    /// A group call with Alice and Bob, both answered.
    async fn group(&mut self, media: Value) {
        self.create(json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "targets": [user("Alice"), user("Bob")],
            "requestedModalities": ["audio", "videoBasedScreenSharing"],
            "mediaConfig": media,
        }))
        .await;
        self.advance(2).await;
    }

    async fn advance(&self, seconds: u64) {
        self.standin.advance(Duration::from_secs(seconds)).await;
    }

    fn remote(&self, action: RemoteAction) {
        self.standin
            .remote(&self.call_id, Duration::ZERO, action)
            .expect("the call is live");
    }

    /// Notification items sent so far, on resources ending in `suffix`.
    fn items(&self, suffix: &str) -> Vec<Value> {
        self.standin
            .deliveries()
            .into_iter()
            .flat_map(|d| d.body["value"].as_array().cloned().unwrap_or_default())
            .filter(|i| {
                i["resourceUrl"]
                    .as_str()
                    .is_some_and(|url| url.ends_with(suffix))
            })
            .collect()
    }

    /// The completion notification of operation `id`.
    fn completion(&self, id: &str) -> Value {
        let items = self.items(&format!("/operations/{id}"));
        assert_eq!(items.len(), 1, "one completion of {id}: {items:#?}");
        assert_eq!(items[0]["changeType"], "deleted");
        items[0]["resourceData"].clone()
    }

    /// The last roster the bot got.
    fn last_roster(&self) -> Vec<Value> {
        let rosters = self.items("/participants");
        rosters
            .last()
            .and_then(|r| r["resourceData"].as_array().cloned())
            .expect("a roster")
    }

    fn participant_named(&self, name: &str) -> String {
        self.last_roster()
            .iter()
            .find(|p| p["info"]["identity"]["user"]["displayName"] == name)
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("{name} in the roster"))
            .to_owned()
    }
}

fn user(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        "identity": {
            "@odata.type": "#microsoft.graph.identitySet",
            "user": {"@odata.type": "#microsoft.graph.identity", "displayName": name, "id": name}
        }
    })
}

fn service_hosted() -> Value {
    json!({"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"})
}

fn app_hosted() -> Value {
    json!({"@odata.type": "#microsoft.graph.appHostedMediaConfig", "blob": "<media config>"})
}

fn assert_error(answer: &Answer, status: u16, words: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(words),
        "the message says '{words}': {}",
        answer.body
    );
}

/// The operation's `Location`: under the path the bot used, naming the operation.
fn assert_located(answer: &Answer, bench: &Bench, prefix: &str) -> String {
    let id = answer.body["id"]
        .as_str()
        .expect("an operation id")
        .to_owned();
    assert_eq!(
        answer.location.as_deref(),
        Some(
            format!(
                "{}{prefix}/{}/operations/{id}",
                bench.standin.uri(),
                bench.call_id
            )
            .as_str()
        ),
        "Location"
    );
    id
}

const V1: &str = "/v1.0/communications/calls";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_hears_the_caller_and_is_served_only_with_its_token() {
    let mut bench = Bench::start().await;
    bench.p2p(service_hosted()).await;
    bench.remote(RemoteAction::Speaks(Duration::from_secs(3)));
    let answer = bench
        .act(
            "recordResponse",
            json!({
                "clientContext": "d45324c1-fcb5-430a-902c-f20af696537c",
                "prompts": [{"@odata.type": "#microsoft.graph.mediaPrompt",
                             "mediaInfo": {"uri": "https://cdn.contoso.com/beep.wav"}}],
                "maxRecordDurationInSeconds": 10,
                "initialSilenceTimeoutInSeconds": 5,
                "maxSilenceTimeoutInSeconds": 2,
                "playBeep": true,
                "stopTones": ["#", "1", "*"],
            }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["@odata.type"],
        "#microsoft.graph.recordOperation"
    );
    assert_eq!(answer.body["status"], "running");
    assert_eq!(answer.body["recordingLocation"], Value::Null);
    let id = assert_located(&answer, &bench, V1);
    bench.advance(20).await;
    let done = bench.completion(&id);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["completionReason"], "maxSilenceTimeout");
    assert_eq!(
        done["clientContext"],
        "d45324c1-fcb5-430a-902c-f20af696537c"
    );
    let location = done["recordingLocation"].as_str().expect("a location");
    let token = done["recordingAccessToken"].as_str().expect("a token");
    assert!(location.starts_with(bench.standin.uri()), "{location}");

    let download = |auth: Option<String>| {
        let mut request = bench.client.get(location);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let refused = download(None).await.expect("an answer");
    assert_eq!(refused.status().as_u16(), 401);
    let wrong = download(Some(format!("Bearer {}", bench.token)))
        .await
        .expect("an answer");
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "the Graph token is not the recording's"
    );
    let file = download(Some(format!("Bearer {token}")))
        .await
        .expect("an answer");
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(
        file.headers()["content-type"].to_str().unwrap(),
        "application/octet-stream"
    );
    let bytes = file.bytes().await.expect("the file");
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert!(
        bytes.len() > 44 + 8000,
        "seconds of audio: {} bytes",
        bytes.len()
    );

    // The operation reads back in its final state.
    let read = bench
        .get(&bench.call_path(&format!("operations/{id}")))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["status"], "completed");
    assert_eq!(read.body["completionReason"], "maxSilenceTimeout");
    let unknown = bench.get(&bench.call_path("operations/nope")).await;
    assert_error(&unknown, 404, "nope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_ends_on_silence_length_or_a_stop_tone() {
    let mut bench = Bench::start().await;
    bench.p2p(service_hosted()).await;
    bench.remote(RemoteAction::StaysSilent);
    let silent = bench
        .act(
            "recordResponse",
            json!({"initialSilenceTimeoutInSeconds": 3, "playBeep": false}),
        )
        .await;
    let silent_id = silent.body["id"].as_str().unwrap().to_owned();
    let started = bench.standin.now();
    bench.advance(10).await;
    let done = bench.completion(&silent_id);
    assert_eq!(done["completionReason"], "initialSilenceTimeout");
    assert_eq!(done["recordingLocation"], "");
    let at = bench
        .standin
        .deliveries()
        .iter()
        .find(|d| d.body.to_string().contains(&silent_id))
        .map(|d| d.at)
        .unwrap();
    assert_eq!(at - started, Duration::from_secs(3));

    bench.remote(RemoteAction::Speaks(Duration::from_secs(60)));
    let long = bench
        .act(
            "recordResponse",
            json!({"maxRecordDurationInSeconds": 4, "playBeep": false}),
        )
        .await;
    let long_id = long.body["id"].as_str().unwrap().to_owned();
    bench.advance(10).await;
    let done = bench.completion(&long_id);
    assert_eq!(done["completionReason"], "maxRecordDurationReached");
    assert_eq!(done["resultInfo"]["subcode"], 8515);

    let stopped = bench
        .act(
            "recordResponse",
            json!({"maxRecordDurationInSeconds": 30, "stopTones": ["#"], "playBeep": false}),
        )
        .await;
    let stopped_id = stopped.body["id"].as_str().unwrap().to_owned();
    bench
        .standin
        .remote(
            &bench.call_id,
            Duration::from_secs(2),
            RemoteAction::PressesKey("#".into()),
        )
        .unwrap();
    bench.advance(5).await;
    let done = bench.completion(&stopped_id);
    assert_eq!(done["completionReason"], "stopToneDetected");
    assert!(done["recordingLocation"]
        .as_str()
        .unwrap()
        .contains("/recordings/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_response_refuses_what_its_page_rules_out() {
    let mut bench = Bench::start().await;
    bench
        .create(json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "targets": [user("John")],
            "requestedModalities": ["audio"],
            "mediaConfig": service_hosted(),
        }))
        .await;
    let early = bench.act("recordResponse", json!({})).await;
    assert_error(&early, 400, "establishing");
    bench.advance(2).await;
    let prompt = json!({"mediaInfo": {"uri": "https://cdn.contoso.com/a.wav"}});
    let two = bench
        .act("recordResponse", json!({"prompts": [prompt, prompt]}))
        .await;
    assert_error(
        &two,
        400,
        "maximum supported mediaPrompt collection size is 1",
    );
    let long = bench
        .act("recordResponse", json!({"maxRecordDurationInSeconds": 121}))
        .await;
    assert_error(&long, 400, "maxRecordDurationInSeconds");
    let zero = bench
        .act(
            "recordResponse",
            json!({"initialSilenceTimeoutInSeconds": 0}),
        )
        .await;
    assert_error(&zero, 400, "from 1 to 120");
    let tone = bench
        .act("recordResponse", json!({"stopTones": ["X"]}))
        .await;
    assert_error(&tone, 400, "stopTones");
    let context = bench
        .act("recordResponse", json!({"clientContext": "x".repeat(257)}))
        .await;
    assert_error(&context, 400, "256 characters");

    let mut hosted = Bench::start().await;
    hosted.p2p(app_hosted()).await;
    let refused = hosted.act("recordResponse", json!({})).await;
    assert_error(&refused, 400, "serviceHostedMediaConfig");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_media_processing_fails_the_running_and_queued_media_operations() {
    let mut bench = Bench::start().await;
    bench.p2p(service_hosted()).await;
    let prompt = bench
        .act(
            "playPrompt",
            json!({"prompts": [{"mediaInfo": {"uri": "https://cdn.contoso.com/a.wav"}}]}),
        )
        .await;
    let prompt_id = prompt.body["id"].as_str().unwrap().to_owned();
    let record = bench.act("recordResponse", json!({})).await;
    let record_id = record.body["id"].as_str().unwrap().to_owned();
    let cancel = bench
        .act("cancelMediaProcessing", json!({"clientContext": "c-1"}))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(
        cancel.body["@odata.type"],
        "#microsoft.graph.cancelMediaProcessingOperation"
    );
    assert_eq!(cancel.body["status"], "completed");
    assert_located(&cancel, &bench, V1);
    bench.advance(30).await;
    let prompt_done = bench.completion(&prompt_id);
    assert_eq!(prompt_done["status"], "failed");
    assert_eq!(prompt_done["completionReason"], "mediaOperationCanceled");
    let record_done = bench.completion(&record_id);
    assert_eq!(record_done["status"], "failed");
    assert_eq!(record_done["completionReason"], "operationCanceled");
    assert_eq!(record_done["resultInfo"]["code"], 400);
    assert_eq!(record_done["resultInfo"]["subcode"], 8508);
    assert_eq!(record_done["recordingLocation"], "");

    let too_long = bench
        .act(
            "cancelMediaProcessing",
            json!({"clientContext": "x".repeat(300)}),
        )
        .await;
    assert_error(&too_long, 400, "256 characters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_dtmf_tones_runs_then_completes() {
    let mut bench = Bench::start().await;
    bench.p2p(service_hosted()).await;
    let answer = bench
        .act(
            "sendDtmfTones",
            json!({"tones": ["tone1", "tone2", "pound"], "delayBetweenTonesMs": 1000,
                   "clientContext": "e0be71f1"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["@odata.type"],
        "#microsoft.graph.sendDtmfTonesOperation"
    );
    assert_eq!(answer.body["status"], "running");
    let id = assert_located(&answer, &bench, V1);
    bench.advance(5).await;
    let done = bench.completion(&id);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["completionReason"], "completedSuccessfully");
    let bad = bench
        .act("sendDtmfTones", json!({"tones": ["tone12"]}))
        .await;
    assert_error(&bad, 400, "tones[0]");
    let none = bench.act("sendDtmfTones", json!({})).await;
    assert_error(&none, 400, "at least one tone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_list_get_mute_and_delete_follow_the_roster() {
    let mut bench = Bench::start().await;
    bench.group(service_hosted()).await;
    let list = bench.get(&bench.call_path("participants")).await;
    assert_eq!(list.status, 200);
    let people = list.body["value"].as_array().expect("a list");
    assert_eq!(people.len(), 3, "Alice, Bob and the bot: {people:#?}");
    assert!(list.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/participants"));
    let alice = bench.participant_named("Alice");
    let one = bench
        .get(&bench.call_path(&format!("participants/{alice}")))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["@odata.type"], "#microsoft.graph.participant");
    assert_eq!(one.body["id"], alice.as_str());
    assert_error(
        &bench.get(&bench.call_path("participants/nobody")).await,
        404,
        "nobody",
    );

    let mute = bench
        .act(
            &format!("participants/{alice}/mute"),
            json!({"clientContext": "m"}),
        )
        .await;
    assert_eq!(mute.status, 200, "{}", mute.body);
    assert_eq!(
        mute.body["@odata.type"],
        "#microsoft.graph.muteParticipantOperation"
    );
    assert_eq!(mute.body["status"], "completed");
    assert_located(&mute, &bench, V1);
    bench.advance(1).await;
    let muted = bench
        .last_roster()
        .into_iter()
        .find(|p| p["id"] == alice.as_str())
        .unwrap();
    assert_eq!(muted["isMuted"], true);
    assert_eq!(muted["mediaStreams"][0]["serverMuted"], true);
    let later = bench
        .get(&bench.call_path(&format!("participants/{alice}")))
        .await;
    assert_eq!(later.body["isMuted"], true, "muted in later rosters too");

    let removed = bench
        .send(
            reqwest::Method::DELETE,
            &bench.call_path(&format!("participants/{alice}")),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    bench.advance(1).await;
    let roster = bench.last_roster();
    assert_eq!(roster.len(), 2, "Alice left: {roster:#?}");
    assert!(roster.iter().all(|p| p["id"] != alice.as_str()));

    // Removing the last other participant ends the group call, as her hanging up would.
    let bob = bench.participant_named("Bob");
    let removed = bench
        .send(
            reqwest::Method::DELETE,
            &bench.call_path(&format!("participants/{bob}")),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    bench.advance(1).await;
    let ends = bench.items(&bench.call_id);
    let last = ends.last().expect("a call notification");
    assert_eq!(last["changeType"], "deleted");
    assert_eq!(last["resourceData"]["resultInfo"]["subcode"], 5010);

    let mut p2p = Bench::start().await;
    p2p.p2p(service_hosted()).await;
    // A peer-to-peer call gets no roster notifications: read the roster.
    let roster = p2p.get(&p2p.call_path("participants")).await;
    let john = roster.body["value"][0]["id"]
        .as_str()
        .expect("John")
        .to_owned();
    let refused = p2p
        .act(&format!("participants/{john}/mute"), json!({}))
        .await;
    assert_error(&refused, 400, "only supported for group calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_music_holds_one_participant_at_a_time() {
    let mut bench = Bench::start().await;
    bench.group(service_hosted()).await;
    let alice = bench.participant_named("Alice");
    let bob = bench.participant_named("Bob");
    let start = bench
        .act(
            &format!("participants/{alice}/startHoldMusic"),
            json!({
                "customPrompt": {"@odata.type": "#microsoft.graph.mediaPrompt",
                                 "mediaInfo": {"@odata.type": "#microsoft.graph.mediaInfo",
                                               "uri": "https://bot.contoso.com/onHold.wav"}},
                "clientContext": "d45324c1",
            }),
        )
        .await;
    assert_eq!(start.status, 202, "{}", start.body);
    assert_eq!(
        start.body["@odata.type"],
        "#microsoft.graph.startHoldMusicOperation"
    );
    assert_eq!(start.body["status"], "running");
    let id = assert_located(&start, &bench, V1);
    let second = bench
        .act(&format!("participants/{bob}/startHoldMusic"), json!({}))
        .await;
    assert_error(&second, 400, "Only one participant can be placed on hold");
    bench.advance(2).await;
    assert_eq!(bench.completion(&id)["status"], "completed");

    let stop = bench
        .act(&format!("participants/{alice}/stopHoldMusic"), json!({}))
        .await;
    assert_eq!(stop.status, 202);
    assert_eq!(
        stop.body["@odata.type"],
        "#microsoft.graph.stopHoldMusicOperation"
    );
    let stop_id = assert_located(&stop, &bench, V1);
    bench.advance(2).await;
    assert_eq!(bench.completion(&stop_id)["status"], "completed");
    let again = bench
        .act(&format!("participants/{alice}/stopHoldMusic"), json!({}))
        .await;
    assert_error(&again, 400, "not on hold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screen_sharing_role_gallery_view_and_content_sharing_sessions() {
    let mut bench = Bench::start().await;
    bench.group(app_hosted()).await;
    let answer = bench
        .act("changeScreenSharingRole", json!({"role": "sharer"}))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body, Value::Null, "no body");
    bench.advance(1).await;
    let bot = bench
        .last_roster()
        .into_iter()
        .find(|p| p["info"]["identity"]["application"].is_object())
        .expect("the bot in the roster");
    let sharing = bot["mediaStreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["mediaType"] == "videoBasedScreenSharing")
        .cloned()
        .expect("a screen sharing stream");
    assert_eq!(sharing["direction"], "sendOnly");
    let bad = bench
        .act("changeScreenSharingRole", json!({"role": "presenter"}))
        .await;
    assert_error(&bad, 400, "viewer and sharer");

    let gallery = bench
        .act("addLargeGalleryView", json!({"clientContext": "785f4929"}))
        .await;
    assert_eq!(gallery.status, 202);
    assert_eq!(
        gallery.body["@odata.type"],
        "#microsoft.graph.addLargeGalleryViewOperation"
    );
    assert_eq!(gallery.body["status"], "running");
    let id = assert_located(&gallery, &bench, V1);
    bench.advance(2).await;
    assert_eq!(bench.completion(&id)["status"], "completed");
    // The large gallery view joins the roster (cloud-communications-identifylargegalleryview.md).
    let view = bench
        .last_roster()
        .into_iter()
        .find(|p| p["info"]["identity"]["application"]["ApplicationType"] == "LargeGallery-V2")
        .expect("the large gallery view in the roster");
    assert!(view["metadata"]
        .as_str()
        .is_some_and(|m| m.contains("\"audienceView\"")));

    // Alice shares her screen: a session starts, and her stream sends.
    bench.remote(RemoteAction::SharesScreen("Alice".into()));
    bench.advance(1).await;
    let sessions = bench.get(&bench.call_path("contentSharingSessions")).await;
    assert_eq!(sessions.status, 200);
    let list = sessions.body["value"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "the bot's and Alice's: {list:#?}");
    let session = list[1]["id"].as_str().unwrap();
    let one = bench
        .get(&bench.call_path(&format!("contentSharingSessions/{session}")))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(
        one.body["@odata.type"],
        "#microsoft.graph.contentSharingSession"
    );
    assert_error(
        &bench
            .get(&bench.call_path("contentSharingSessions/none"))
            .await,
        404,
        "none",
    );
    let alice = bench
        .last_roster()
        .into_iter()
        .find(|p| p["info"]["identity"]["user"]["displayName"] == "Alice")
        .unwrap();
    assert!(alice["mediaStreams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["mediaType"] == "videoBasedScreenSharing" && s["direction"] == "sendOnly"));

    let mut p2p = Bench::start().await;
    p2p.p2p(service_hosted()).await;
    let refused = p2p
        .act("changeScreenSharingRole", json!({"role": "viewer"}))
        .await;
    assert_error(&refused, 400, "group calls that use app-hosted media");
    let refused = p2p.act("addLargeGalleryView", json!({})).await;
    assert_error(&refused, 400, "group calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_routing_groups_are_created_listed_read_updated_and_deleted() {
    let mut bench = Bench::start().await;
    bench.group(app_hosted()).await;
    let alice = bench.participant_named("Alice");
    let bob = bench.participant_named("Bob");
    let created = bench
        .act(
            "audioRoutingGroups",
            json!({"id": "oneToOne", "routingMode": "oneToOne",
                   "sources": [alice], "receivers": [bob]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["id"], "oneToOne");
    assert_eq!(created.body["routingMode"], "oneToOne");
    let again = bench
        .act(
            "audioRoutingGroups",
            json!({"id": "oneToOne", "routingMode": "oneToOne",
                   "sources": [alice], "receivers": [bob]}),
        )
        .await;
    assert_eq!(again.status, 409);
    let bad = bench
        .act(
            "audioRoutingGroups",
            json!({"routingMode": "broadcast", "sources": [alice], "receivers": [bob]}),
        )
        .await;
    assert_error(&bad, 400, "oneToOne and multicast");
    let stranger = bench
        .act(
            "audioRoutingGroups",
            json!({"routingMode": "multicast", "sources": [alice], "receivers": ["nobody"]}),
        )
        .await;
    assert_error(&stranger, 400, "not a participant");

    let list = bench.get(&bench.call_path("audioRoutingGroups")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let one = bench
        .get(&bench.call_path("audioRoutingGroups/oneToOne"))
        .await;
    assert_eq!(one.body["sources"], json!([alice]));
    let updated = bench
        .send(
            reqwest::Method::PATCH,
            &bench.call_path("audioRoutingGroups/oneToOne"),
            Some(json!({"routingMode": "multicast", "receivers": [bob, bench.last_roster()[2]["id"]]})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["routingMode"], "multicast");
    assert_eq!(updated.body["receivers"].as_array().unwrap().len(), 2);
    let deleted = bench
        .send(
            reqwest::Method::DELETE,
            &bench.call_path("audioRoutingGroups/oneToOne"),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = bench
        .get(&bench.call_path("audioRoutingGroups/oneToOne"))
        .await;
    assert_error(&gone, 404, "oneToOne");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_teleconference_device_quality_takes_a_quality_report() {
    let quality = json!({"quality": {
        "@odata.type": "#microsoft.graph.teleconferenceDeviceQuality",
        "callChainId": "0622673d-9f69-49b3-9d4f-5ec64f42ecce",
        "participantId": "ea078406-b5d4-4d3c-b85e-90103dcec7f6",
        "mediaLegId": "bd9ee398-4b9d-42c7-8b8d-4e8efad9435f",
        "deviceName": "TestAgent",
        "mediaQualityList": [{"@odata.type": "#microsoft.graph.teleconferenceDeviceAudioQuality",
                              "channelIndex": 1, "mediaDuration": "PT20M"}],
    }});
    let bench = Bench::start().await;
    let path = format!("{V1}/logTeleconferenceDeviceQuality");
    let answer = bench.post(&path, quality.clone()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, Value::Null, "no body");
    let qualified = bench
        .post(
            &format!("{V1}/microsoft.graph.logTeleconferenceDeviceQuality"),
            quality.clone(),
        )
        .await;
    assert_eq!(qualified.status, 200);
    let missing = bench
        .post(&path, json!({"quality": {"callChainId": "c"}}))
        .await;
    assert_error(&missing, 400, "participantId");
    let unprivileged = Bench::with_roles(&["Calls.Initiate.All"]).await;
    let refused = unprivileged.post(&path, quality).await;
    assert_eq!(refused.status, 403, "Calls.AccessMedia.All is required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dotnet_sdks_qualified_names_and_the_app_calls_paths_answer() {
    // An incoming call answered as the .NET SDK does (comms-samples #571, msteams-docs #9170).
    let mut bench = Bench::start().await;
    let call = bench.standin.incoming_call(
        json!({"user": {"id": "u-1", "displayName": "John"}}),
        "https://bot.contoso.com/callback",
        &app(),
    );
    bench.call_id = call["id"].as_str().unwrap().to_owned();
    let answered = bench
        .act(
            "microsoft.graph.answer",
            json!({"callbackUri": "https://bot.contoso.com/callback",
                   "acceptedModalities": ["audio"],
                   "mediaConfig": service_hosted()}),
        )
        .await;
    assert_eq!(answered.status, 202, "{}", answered.body);
    assert_eq!(answered.body, Value::Null, "an empty body");
    bench.advance(2).await;

    // Every path under /app/calls too, with Location under the path the bot used.
    let app_path = format!(
        "/v1.0/app/calls/{}/microsoft.graph.playPrompt",
        bench.call_id
    );
    let prompt = bench
        .post(
            &app_path,
            json!({"prompts": [{"mediaInfo": {"uri": "https://cdn.contoso.com/a.wav",
                                               "resourceId": "r-1"}}]}),
        )
        .await;
    assert_eq!(prompt.status, 200, "{}", prompt.body);
    assert_located(&prompt, &bench, "/v1.0/app/calls");
    // Graph types an untyped prompt and dates the operation (comms-samples #58).
    assert_eq!(
        prompt.body["prompts"][0]["@odata.type"],
        "#microsoft.graph.mediaPrompt"
    );
    assert_eq!(
        prompt.body["prompts"][0]["mediaInfo"]["@odata.type"],
        "#microsoft.graph.mediaInfo"
    );
    assert!(prompt.body["createdDateTime"]
        .as_str()
        .is_some_and(|d| d.ends_with('Z')));
    let read = bench
        .get(&format!("/v1.0/app/calls/{}/participants", bench.call_id))
        .await;
    assert_eq!(read.status, 200);
    let tones = bench
        .post(
            &format!(
                "/beta/app/calls/{}/microsoft.graph.sendDtmfTones",
                bench.call_id
            ),
            json!({"tones": ["tone1"]}),
        )
        .await;
    assert_eq!(tones.status, 200);
    assert_located(&tones, &bench, "/beta/app/calls");

    // A create on /beta/app/calls is located there (the beta create page).
    let created = bench
        .post(
            "/beta/app/calls",
            json!({"callbackUri": "https://bot.contoso.com/callback",
                   "targets": [user("Alice"), user("Bob")],
                   "requestedModalities": ["audio"],
                   "mediaConfig": service_hosted()}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        created.location.as_deref(),
        Some(format!("{}/beta/app/calls/{id}", bench.standin.uri()).as_str())
    );
    bench.call_id = id.to_owned();
    bench.advance(2).await;
    let invite = bench
        .post(
            &format!("/beta/app/calls/{id}/participants/microsoft.graph.invite"),
            json!({"participants": [user("Carol")]}),
        )
        .await;
    assert_eq!(invite.status, 200, "{}", invite.body);
    assert_located(&invite, &bench, "/beta/app/calls");
    let unknown = bench.act("microsoft.graph.dance", json!({})).await;
    assert_error(&unknown, 400, "microsoft.graph.dance");
}

/// Every endpoint through the official Python `msgraph-sdk` (the example bot's venv, which
/// `.ci/run` creates) against `callspec serve`: tests/fixtures/sdk_surface.py.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the example bot's Python venv (examples/ivr-bot/.venv; .ci/run makes it)"]
async fn the_python_msgraph_sdk_drives_every_endpoint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("examples/ivr-bot/.venv/bin/python");
    assert!(
        python.exists(),
        "the msgraph-sdk test needs the example bot's venv: `python3 -m venv \
         examples/ivr-bot/.venv && examples/ivr-bot/.venv/bin/pip install -r \
         examples/ivr-bot/requirements.txt` (.ci/run does it)"
    );
    let server = callspec::Server::start(callspec::ServeOptions {
        port: 0,
        // Twenty times real time: a recording of seconds takes a fraction of one.
        time_scale: 0.05,
        ..callspec::ServeOptions::default()
    })
    .await
    .expect("the server starts");
    let mut driver = tokio::process::Command::new(&python);
    driver
        .arg(root.join("tests/fixtures/sdk_surface.py"))
        .env("CALLSPEC_GRAPH", server.uri())
        .kill_on_drop(true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let run = tokio::time::timeout(Duration::from_secs(120), driver.output())
        .await
        .expect("the SDK driver finishes within 120 s")
        .expect("the SDK driver runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the SDK driver failed:\n{stderr}\n{stdout}"
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the driver's report ({e}): {stdout}"));
    let covered: Vec<&str> = report["covered"]
        .as_array()
        .expect("covered")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for endpoint in [
        "create",
        "get",
        "delete",
        "answer",
        "reject",
        "redirect",
        "transfer",
        "keepAlive",
        "mute",
        "unmute",
        "playPrompt",
        "recordResponse",
        "cancelMediaProcessing",
        "subscribeToTone",
        "sendDtmfTones",
        "changeScreenSharingRole",
        "addLargeGalleryView",
        "operations/get",
        "participants/list",
        "participants/get",
        "participants/invite",
        "participants/mute",
        "participants/delete",
        "participants/startHoldMusic",
        "participants/stopHoldMusic",
        "audioRoutingGroups/create",
        "audioRoutingGroups/list",
        "audioRoutingGroups/get",
        "audioRoutingGroups/update",
        "audioRoutingGroups/delete",
        "contentSharingSessions/list",
        "contentSharingSessions/get",
        "logTeleconferenceDeviceQuality",
    ] {
        assert!(
            covered.contains(&endpoint),
            "the SDK did not drive {endpoint}: {covered:?}"
        );
    }
    server.shutdown();
}
