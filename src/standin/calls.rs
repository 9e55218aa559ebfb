//! Calls: the API profiles, the kinds of call, and the registry that creates and tracks them.
//! Pure: no I/O. The router turns requests into calls to this module.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::GraphError;

/// Graph API version a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// Which path created a call: `/communications/calls` or the old beta `/app/calls` (such calls
/// are also reachable there). Notifications are the same for both: real items carry both
/// `resource` and `resourceUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceStyle {
    Communications,
    App,
}

/// The API profile a call was created on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    pub version: ApiVersion,
    pub style: ResourceStyle,
}

/// What a create-call request asks for; decides the permission and the notification sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    PeerToPeer,
    Group,
    Meeting,
    /// A meeting join whose source is a guest identity: waits in the lobby.
    GuestMeeting,
}

impl CallKind {
    pub fn classify(body: &Value) -> CallKind {
        if body.get("meetingInfo").is_some_and(|m| !m.is_null()) {
            if is_guest_source(body) {
                CallKind::GuestMeeting
            } else {
                CallKind::Meeting
            }
        } else if body["targets"].as_array().is_some_and(|t| t.len() > 1) {
            CallKind::Group
        } else {
            CallKind::PeerToPeer
        }
    }

    /// The application permission Graph requires for this kind of call (real, singular names).
    pub fn required_role(self) -> &'static str {
        match self {
            CallKind::PeerToPeer => "Calls.Initiate.All",
            CallKind::Group => "Calls.InitiateGroupCall.All",
            CallKind::Meeting => "Calls.JoinGroupCall.All",
            CallKind::GuestMeeting => "Calls.JoinGroupCallAsGuest.All",
        }
    }

    pub fn is_meeting(self) -> bool {
        matches!(self, CallKind::Meeting | CallKind::GuestMeeting)
    }
}

/// A guest join names the bot either as `source.identity.guest` or, in the older form, as a
/// `source.identity.user` with `identityProvider: None`.
fn is_guest_source(body: &Value) -> bool {
    let identity = &body["source"]["identity"];
    identity.get("guest").is_some_and(|g| g.is_object())
        || identity["user"]["identityProvider"].as_str() == Some("None")
}

/// Whether the request asks for app-hosted media (which also needs `Calls.AccessMedia.All`).
pub fn is_app_hosted_media(body: &Value) -> bool {
    body["mediaConfig"]["@odata.type"].as_str() == Some("#microsoft.graph.appHostedMediaConfig")
}

/// The application a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIdentity {
    pub app_id: String,
    pub tenant_id: String,
    pub display_name: String,
}

/// The app id of the "Calling Bot" of the Graph docs, the app a scenario is by default.
pub const DEFAULT_APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";
/// Its tenant.
pub const DEFAULT_TENANT_ID: &str = "aa67bd4c-8475-432d-bd41-39f255720e0a";
/// Its display name.
pub const DEFAULT_APP_NAME: &str = "Calling Bot";
/// Every calling permission: what a scenario (or an admin token, or a replay) that names no
/// permissions has.
pub const ALL_CALLING_ROLES: &[&str] = &[
    "Calls.Initiate.All",
    "Calls.InitiateGroupCall.All",
    "Calls.JoinGroupCall.All",
    "Calls.JoinGroupCallAsGuest.All",
    "Calls.AccessMedia.All",
];

impl AppIdentity {
    /// The "Calling Bot" of the Graph docs, the one place its identity is written.
    pub fn calling_bot() -> Self {
        AppIdentity {
            app_id: DEFAULT_APP_ID.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            display_name: DEFAULT_APP_NAME.into(),
        }
    }
}

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// An incoming call waiting for the bot to answer, reject or redirect it.
    Incoming,
    Establishing,
    Established,
    Transferring,
    TransferAccepted,
    Terminating,
    Terminated,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Incoming => "incoming",
            CallState::Establishing => "establishing",
            CallState::Established => "established",
            CallState::Transferring => "transferring",
            CallState::TransferAccepted => "transferAccepted",
            CallState::Terminating => "terminating",
            CallState::Terminated => "terminated",
        }
    }
}

/// One call the stand-in knows.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub id: String,
    /// The path and version that created the call (every path reaches it now; kept for the
    /// journal's and future rules' sake).
    #[allow(dead_code)]
    pub profile: Profile,
    pub kind: CallKind,
    pub state: CallState,
    /// The call resource as Graph returns it (updated as the state changes).
    pub resource: Value,
    /// The app that created the call: its notifications are signed for it.
    pub app: AppIdentity,
    /// The roster the bot is told about: the bot first, then the others.
    pub participants: Vec<Participant>,
    /// Set when the call's end is scheduled: from then on operations on it are "not found".
    pub closing: bool,
    /// Whether the bot subscribed to tones (`subscribeToTone`).
    pub tone_subscribed: bool,
    /// Tones sent so far, for `toneInfo.sequenceId`.
    pub tones: u32,
    /// Simulated time the call became established.
    pub established_at: Option<std::time::Duration>,
    /// Whether anyone on the other side has joined (a group call ends when only the bot is
    /// left, but not before anyone came).
    pub answered: bool,
    /// The `tokenMeetingInfo` Graph gives a call it hosts as a meeting of its own (group calls,
    /// peer-to-peer calls with a Teams user); ended calls carry it (capture GroupCallEnd.json).
    pub graph_meeting: Option<Value>,
    /// The next media stream `sourceId` to hand out (distinct within a call, as Graph's are).
    pub next_source_id: u32,
    /// What the operations beyond the first ten keep (operations, media queue, recordings,
    /// hold, audio routing groups, content sharing).
    pub extras: super::state::Extras,
    /// Set when Teams invited the bot to record the call (policy-based recording).
    pub recording: Option<super::state::PolicyRecording>,
}

/// What sort of endpoint a participant is: decides its media streams and client fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The bot itself: the streams it asked for.
    Bot,
    /// A Teams client: audio, video, screen sharing and data streams.
    TeamsUser,
    /// A phone or another endpoint: audio only.
    Other,
    /// The large gallery view addLargeGalleryView added: receives audio, sends the gallery's
    /// video (concepts/cloud-communications-identifylargegalleryview.md).
    LargeGallery,
}

/// A participant in a call's roster.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub id: String,
    pub identity: Value,
    pub is_in_lobby: bool,
    pub is_muted: bool,
    pub endpoint: Endpoint,
    pub endpoint_id: String,
    /// Media streams (`@odata.type`, `mediaType`, `label`, `sourceId`, ...), set when the
    /// participant enters a call.
    pub media_streams: Vec<Value>,
}

impl CallRecord {
    pub fn callback_uri(&self) -> &str {
        self.resource["callbackUri"].as_str().unwrap_or_default()
    }

    pub fn chain_id(&self) -> &str {
        self.resource["callChainId"].as_str().unwrap_or_default()
    }

    pub fn my_participant_id(&self) -> &str {
        self.resource["myParticipantId"]
            .as_str()
            .unwrap_or_default()
    }

    /// Adds someone to the roster, giving their media streams the call's next source ids.
    /// Others come before the bot, which real rosters list last (captures
    /// GroupCallUserJoin.json, P2PTest2Event6UserJoin.json).
    pub fn admit(&mut self, mut participant: Participant) {
        participant.media_streams = self.streams_for(participant.endpoint);
        if participant.endpoint == Endpoint::Bot {
            self.participants.push(participant);
            return;
        }
        self.answered = true;
        let bot = self.my_participant_id().to_owned();
        let at = self
            .participants
            .iter()
            .position(|p| p.id == bot)
            .unwrap_or(self.participants.len());
        self.participants.insert(at, participant);
    }

    /// The media streams an endpoint has: `(mediaType, label, direction)` as the captures show.
    fn streams_for(&mut self, endpoint: Endpoint) -> Vec<Value> {
        let kinds: Vec<(&str, &str, &str)> = match endpoint {
            Endpoint::TeamsUser => vec![
                ("audio", "main-audio", "sendReceive"),
                ("video", "main-video", "receiveOnly"),
                (
                    "videoBasedScreenSharing",
                    "applicationsharing-video",
                    "receiveOnly",
                ),
                ("data", "data", "sendReceive"),
            ],
            Endpoint::Other => vec![("audio", "main-audio", "sendReceive")],
            Endpoint::LargeGallery => vec![
                ("audio", "main-audio", "receiveOnly"),
                ("video", "main-video", "sendReceive"),
            ],
            Endpoint::Bot => {
                let asked = self.resource["requestedModalities"]
                    .as_array()
                    .filter(|m| !m.is_empty())
                    .cloned()
                    .unwrap_or_else(|| vec![json!("audio")]);
                asked
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(|m| match m {
                        "audio" => Some(("audio", "main-audio", "sendReceive")),
                        "video" => Some(("video", "main-video", "sendReceive")),
                        "videoBasedScreenSharing" => Some((
                            "videoBasedScreenSharing",
                            "applicationsharing-video",
                            "sendReceive",
                        )),
                        "data" => Some(("data", "data", "sendReceive")),
                        _ => None,
                    })
                    .collect()
            }
        };
        kinds
            .into_iter()
            .map(|(media_type, label, direction)| {
                self.next_source_id += 1;
                json!({
                    "@odata.type": "#microsoft.graph.mediaStream",
                    "mediaType": media_type,
                    "label": label,
                    "sourceId": self.next_source_id.to_string(),
                    "direction": direction,
                    "serverMuted": false,
                })
            })
            .collect()
    }

    pub fn set_state(&mut self, state: CallState) {
        self.state = state;
        self.resource["state"] = json!(state.as_str());
    }
}

/// Fields Graph generates; values a request sends for them are ignored.
const SERVER_GENERATED: &[&str] = &[
    "id",
    "state",
    "direction",
    "callChainId",
    "myParticipantId",
    "@odata.context",
    "resultInfo",
    "answeredBy",
    "mediaState",
    "toneInfo",
    "transcription",
    // Read-only in the current call resource page; Graph ignores them in a create.
    "incomingContext",
    "callRoutes",
    "activeModalities",
    "terminationReason",
    "meetingCapability",
];

/// Properties the documented responses show as null when the request did not set them (the
/// current v1.0 page adds `terminationReason` and `meetingCapability`).
const NULL_EXTRAS: &[&str] = &[
    "terminationReason",
    "meetingCapability",
    "subject",
    "ringingTimeoutInSeconds",
    "mediaState",
    "resultInfo",
    "answeredBy",
    "chatInfo",
    "meetingInfo",
    "transcription",
    "toneInfo",
];

/// Every call one stand-in has created, by id.
#[derive(Debug, Default)]
pub struct CallRegistry {
    calls: HashMap<String, CallRecord>,
}

impl CallRegistry {
    /// Creates a call from a (validated) request body and returns its record.
    ///
    /// `graph_base` is the stand-in's base URL, used in `@odata.context`.
    pub fn create(
        &mut self,
        request: Map<String, Value>,
        profile: Profile,
        app: &AppIdentity,
        graph_base: &str,
    ) -> &CallRecord {
        let id = Uuid::new_v4().to_string();
        let mut call = Map::new();
        call.insert("@odata.type".into(), json!("#microsoft.graph.call"));
        for (key, value) in request {
            if !SERVER_GENERATED.contains(&key.as_str()) {
                call.insert(key, value);
            }
        }
        call.insert("state".into(), json!(CallState::Establishing.as_str()));
        call.insert("direction".into(), json!("outgoing"));
        call.insert("callChainId".into(), json!(Uuid::new_v4().to_string()));
        if !call.contains_key("source") {
            call.insert("source".into(), default_source(app));
        }
        if let Some(targets) = call.get_mut("targets").and_then(Value::as_array_mut) {
            for target in targets.iter_mut().filter_map(Value::as_object_mut) {
                for key in ["endpointType", "replacesCallId", "region", "languageId"] {
                    target.entry(key).or_insert(Value::Null);
                }
            }
        } else {
            call.insert("targets".into(), json!([]));
        }
        // Collections the current docs' responses show empty.
        call.insert("callRoutes".into(), json!([]));
        call.insert("activeModalities".into(), json!([]));
        call.entry("routingPolicies").or_insert_with(|| json!([]));
        if call.get("meetingInfo").is_some_and(Value::is_object) {
            // A join by joinMeetingId or token sends no chatInfo; Graph answers with the
            // meeting's (current v1.0 page, examples 7 and 8).
            let chat = call.entry("chatInfo").or_insert(Value::Null);
            if !chat.is_object() {
                *chat = json!({
                    "@odata.type": "#microsoft.graph.chatInfo",
                    "threadId": format!("19:meeting_{}@thread.v2", Uuid::new_v4().simple()),
                    "messageId": "0",
                });
            }
            if let Some(chat) = chat.as_object_mut() {
                chat.entry("replyChainMessageId").or_insert(Value::Null);
            }
        }
        call.entry("tenantId")
            .or_insert_with(|| json!(app.tenant_id));
        call.insert("myParticipantId".into(), json!(Uuid::new_v4().to_string()));
        call.insert("id".into(), json!(id));
        call.insert(
            "@odata.context".into(),
            json!(format!(
                "{graph_base}/{}/$metadata#app/calls/$entity",
                profile.version.segment()
            )),
        );
        for key in NULL_EXTRAS {
            call.entry(*key).or_insert(Value::Null);
        }
        let resource = Value::Object(call);
        let record = CallRecord {
            id: id.clone(),
            profile,
            kind: CallKind::classify(&resource),
            state: CallState::Establishing,
            resource,
            app: app.clone(),
            participants: Vec::new(),
            closing: false,
            tone_subscribed: false,
            tones: 0,
            established_at: None,
            answered: false,
            graph_meeting: None,
            // The bot's streams start at 201, as in the captures (others follow on).
            next_source_id: 200,
            extras: Default::default(),
            recording: None,
        };
        self.calls.entry(id).or_insert(record)
    }

    pub fn get(&self, id: &str) -> Option<&CallRecord> {
        self.calls.get(id)
    }

    /// A call that has not ended (nor is about to); ended and unknown calls are both "not
    /// found" to Graph.
    pub fn live_mut(&mut self, id: &str) -> Result<&mut CallRecord, GraphError> {
        match self.calls.get_mut(id) {
            Some(call) if call.state != CallState::Terminated && !call.closing => Ok(call),
            _ => Err(GraphError::call_not_found()),
        }
    }

    /// A live call addressed through `style`'s paths: every call is under both
    /// `/communications/calls` and the older `/app/calls` (the pages of each operation list
    /// both paths; the .NET SDK still uses `/app/calls`).
    pub fn live_on(
        &mut self,
        id: &str,
        _style: ResourceStyle,
    ) -> Result<&mut CallRecord, GraphError> {
        self.live_mut(id)
    }

    /// Registers a call someone places to the bot: state `incoming`, direction `incoming`.
    pub fn incoming(
        &mut self,
        caller: &Value,
        callback_uri: &str,
        profile: Profile,
        app: &AppIdentity,
        graph_base: &str,
    ) -> &CallRecord {
        let request = json!({
            "callbackUri": callback_uri,
            // Real created items name the caller's participant id (comms-samples #596).
            "source": {
                "@odata.type": "#microsoft.graph.participantInfo",
                "id": Uuid::new_v4().to_string(),
                "identity": caller,
            },
            "targets": [{
                "@odata.type": "#microsoft.graph.invitationParticipantInfo",
                "identity": app_identity(app),
            }],
            "requestedModalities": ["audio"],
        });
        let id = self
            .create(
                match request {
                    Value::Object(fields) => fields,
                    _ => unreachable!("the request is built as an object"),
                },
                profile,
                app,
                graph_base,
            )
            .id
            .clone();
        let call = self.calls.get_mut(&id).expect("just created");
        call.resource["direction"] = json!("incoming");
        call.set_state(CallState::Incoming);
        call
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut CallRecord> {
        self.calls.get_mut(id)
    }

    /// Ids of the calls that have ended.
    pub fn ended(&self) -> impl Iterator<Item = &str> {
        self.calls
            .values()
            .filter(|c| c.state == CallState::Terminated)
            .map(|c| c.id.as_str())
    }

    /// Forgets a call (an ended one, past its retention).
    pub fn remove(&mut self, id: &str) -> Option<CallRecord> {
        self.calls.remove(id)
    }

    /// How many calls it knows, ended ones included.
    pub fn count(&self) -> usize {
        self.calls.len()
    }

    /// How many calls of `app_id` have not ended.
    pub fn live_count_of(&self, app_id: &str) -> usize {
        self.calls
            .values()
            .filter(|c| c.state != CallState::Terminated && c.app.app_id == app_id)
            .count()
    }
}

/// The identity set that names the bot's app.
fn app_identity(app: &AppIdentity) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "application": {
            "@odata.type": "#microsoft.graph.identity",
            "displayName": app.display_name,
            "id": app.app_id,
        }
    })
}

fn default_source(app: &AppIdentity) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.participantInfo",
        "identity": app_identity(app),
        "countryCode": null,
        "endpointType": null,
        "region": null,
        "languageId": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppIdentity {
        AppIdentity {
            app_id: "app-1".into(),
            tenant_id: "tenant-1".into(),
            display_name: "Calling Bot".into(),
        }
    }

    const V1: Profile = Profile {
        version: ApiVersion::V1,
        style: ResourceStyle::Communications,
    };

    #[test]
    fn classifies_the_documented_shapes() {
        let p2p = json!({"targets": [{"identity": {"user": {"id": "u"}}}]});
        let group = json!({"targets": [{}, {}], "chatInfo": {"threadId": "t"}});
        let meeting = json!({"meetingInfo": {"organizer": {}}, "chatInfo": {}});
        let guest = json!({"meetingInfo": {}, "source": {"identity": {"guest": {"id": "g"}}}});
        let old_guest = json!({"meetingInfo": {}, "source": {"identity": {"user": {"identityProvider": "None"}}}});
        assert_eq!(CallKind::classify(&p2p), CallKind::PeerToPeer);
        assert_eq!(CallKind::classify(&group), CallKind::Group);
        assert_eq!(CallKind::classify(&meeting), CallKind::Meeting);
        assert_eq!(CallKind::classify(&guest), CallKind::GuestMeeting);
        assert_eq!(CallKind::classify(&old_guest), CallKind::GuestMeeting);
        assert_eq!(
            CallKind::GuestMeeting.required_role(),
            "Calls.JoinGroupCallAsGuest.All"
        );
    }

    #[test]
    fn create_adds_server_fields_and_ignores_sent_ones() {
        let mut registry = CallRegistry::default();
        let request = json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "id": "client-chosen",
            "state": "established",
            "targets": [{"identity": {"user": {"id": "u"}}}],
        });
        let call = registry.create(request.as_object().unwrap().clone(), V1, &app(), "http://g");
        let body = &call.resource;
        assert_ne!(body["id"], "client-chosen");
        assert!(Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
        assert_eq!(body["state"], "establishing");
        assert_eq!(body["direction"], "outgoing");
        assert_eq!(body["@odata.type"], "#microsoft.graph.call");
        assert_eq!(
            body["@odata.context"],
            "http://g/v1.0/$metadata#app/calls/$entity"
        );
        assert_eq!(body["source"]["identity"]["application"]["id"], "app-1");
        assert_eq!(body["tenantId"], "tenant-1");
        assert_eq!(body["targets"][0]["endpointType"], Value::Null);
        assert!(body.get("toneInfo").unwrap().is_null());
        let id = body["id"].as_str().unwrap().to_owned();
        assert_eq!(registry.get(&id).unwrap().kind, CallKind::PeerToPeer);
    }

    #[test]
    fn ended_calls_are_not_found() {
        let mut registry = CallRegistry::default();
        let id = registry
            .create(Map::new(), V1, &app(), "http://g")
            .id
            .clone();
        registry
            .live_mut(&id)
            .unwrap()
            .set_state(CallState::Terminated);
        assert_eq!(
            registry.live_mut(&id).unwrap_err(),
            GraphError::call_not_found()
        );
        assert!(registry.live_mut("nope").is_err());
    }
}
