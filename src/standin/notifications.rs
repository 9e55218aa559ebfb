//! The notification payloads Graph sends to a bot's callback, in the shape of each API profile.
//! Pure: builds JSON only.

use serde_json::{json, Value};

use super::calls::{CallRecord, CallState, Endpoint, Participant};

/// `changeType` of a commsNotification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Created,
    Updated,
    Deleted,
}

impl ChangeType {
    fn as_str(self) -> &'static str {
        match self {
            ChangeType::Created => "created",
            ChangeType::Updated => "updated",
            ChangeType::Deleted => "deleted",
        }
    }
}

/// Adds what real identities carry (captures): `tenantId` and `identityProvider` on AAD
/// identities (users, applications, application instances).
fn enrich_identity(identity: &Value, tenant_id: &str) -> Value {
    let mut identity = identity.clone();
    if let Some(kinds) = identity.as_object_mut() {
        for (kind, who) in kinds.iter_mut() {
            let aad = matches!(
                kind.as_str(),
                "user" | "application" | "applicationInstance"
            );
            if let (true, Some(who)) = (aad, who.as_object_mut()) {
                who.entry("tenantId").or_insert_with(|| json!(tenant_id));
                who.entry("identityProvider")
                    .or_insert_with(|| json!("AAD"));
            }
        }
    }
    identity
}

impl Participant {
    /// The participant as a roster item, with the keys (and in the order) the captures show.
    pub(super) fn to_json(&self, call: &CallRecord) -> Value {
        let tenant = call.resource["tenantId"]
            .as_str()
            .unwrap_or(&call.app.tenant_id);
        let replacement = format!(
            "https://callspec.invalid/cc/v1/callParticipant/{}/replacement?rt={}",
            call.id, self.id
        );
        let mut info = json!({
            "@odata.type": "#microsoft.graph.participantInfo",
            "identity": enrich_identity(&self.identity, tenant),
            "endpointType": "default",
            "endpointId": self.endpoint_id,
        });
        let client_version = match self.endpoint {
            Endpoint::Bot => Some(format!("callspec stand-in bot (appid:{})", call.app.app_id)),
            Endpoint::TeamsUser => {
                info["languageId"] = json!("en-US");
                Some("SkypeSpaces/1415/callspec-stand-in".to_owned())
            }
            Endpoint::Other => Some("callspec stand-in endpoint".to_owned()),
            // The gallery's info has no client version (the roster example of
            // cloud-communications-identifylargegalleryview.md).
            Endpoint::LargeGallery => None,
        };
        if let Some(version) = client_version {
            info["clientVersion"] = json!(version);
        }
        info["participantId"] = json!(self.id);
        info["replacementLink"] = json!(replacement);
        let mut participant = json!({
            "@odata.type": "#microsoft.graph.participant",
            "info": info,
            "mediaStreams": self.media_streams,
            "isMuted": self.is_muted,
            "isInLobby": self.is_in_lobby,
            "publishedStates": [],
            "meetingRole": "none",
            "replacementLink": replacement,
            "isIdentityAnonymized": false,
            "id": self.id,
        });
        if self.endpoint == Endpoint::LargeGallery {
            // The paging details a bot reads to subscribe to the gallery's video, as a JSON
            // string (the same page's participant data example).
            let metadata = json!({
                "__platform": {"ui": {"hidden": true}},
                "audienceView": {
                    "id": format!("{}/1", self.endpoint_id),
                    "page": 1,
                    "status": "active",
                    "type": "lg",
                    "aspectRatio": "widescreen",
                },
            });
            participant["metadata"] = json!(metadata.to_string());
        }
        participant
    }
}

/// Wraps items in a `commsNotifications` envelope.
fn envelope(item: Value) -> Value {
    object([
        ("@odata.type", json!("#microsoft.graph.commsNotifications")),
        ("value", Value::Array(vec![item])),
    ])
}

/// A JSON object of `fields`, moved in: `json!` copies every value it is given (it serializes
/// each one again), which was most of the cost of building a notification.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

/// One commsNotification. Real items carry both `resource` (`/app/calls/...`) and
/// `resourceUrl` (`/communications/calls/...`) whichever path created the call, and no
/// `callbackUri` (captures; the doc pages show `resourceUrl` and `callbackUri`).
fn item(change: ChangeType, call_id: &str, suffix: &str, data: Value) -> Value {
    object([
        ("@odata.type", json!("#microsoft.graph.commsNotification")),
        ("changeType", json!(change.as_str())),
        ("resource", json!(format!("/app/calls/{call_id}{suffix}"))),
        (
            "resourceUrl",
            json!(format!("/communications/calls/{call_id}{suffix}")),
        ),
        ("resourceData", data),
    ])
}

/// A call-state notification: the call's current state (and `resultInfo` once it has one).
pub fn call_state(call: &CallRecord, change: ChangeType) -> Value {
    call_notification(call, change, &[])
}

/// A call-state notification that also carries extra properties (`mediaState`, `chatInfo`,
/// ...), placed where the captures have them.
pub fn call_with(call: &CallRecord, change: ChangeType, extra: &[(&str, Value)]) -> Value {
    call_notification(call, change, extra)
}

/// A tone: real tone items carry only the state and `toneInfo` (capture
/// P2PTest1Event4TonePress.json).
pub fn tone(call: &CallRecord, tone_info: Value) -> Value {
    let data = json!({
        "@odata.type": "#microsoft.graph.call",
        "state": call.state.as_str(),
        "toneInfo": tone_info,
    });
    envelope(item(ChangeType::Updated, &call.id, "", data))
}

/// An operation's notification (on `.../operations/{id}`), e.g. a prompt that finished.
pub fn operation(call: &CallRecord, operation: &Value) -> Value {
    let op_id = operation["id"].as_str().unwrap_or_default();
    envelope(item(
        ChangeType::Deleted,
        &call.id,
        &format!("/operations/{op_id}"),
        operation.clone(),
    ))
}

/// What a meeting-bearing update says about the meeting: no capabilities, no co-organizers.
pub fn meeting_capability() -> Value {
    json!({"@odata.type": "#microsoft.graph.meetingCapability"})
}

fn call_notification(call: &CallRecord, change: ChangeType, extra: &[(&str, Value)]) -> Value {
    let mut data = json!({
        "@odata.type": "#microsoft.graph.call",
        "state": call.state.as_str(),
    });
    let incoming = call.resource["direction"] == "incoming";
    // Real items name the direction only when the call becomes established (captures).
    if call.state == CallState::Established && change == ChangeType::Updated && extra.is_empty() {
        data["direction"] = call.resource["direction"].clone();
    }
    if incoming && call.state == CallState::Incoming {
        // An incoming call's first notification is the whole call: who calls, and whom.
        for key in [
            "direction",
            "source",
            "targets",
            "callbackUri",
            "requestedModalities",
        ] {
            data[key] = call.resource[key].clone();
        }
        if call.recording.is_some() {
            // A policy-recording invite also says whom it records, and in which meeting.
            for key in super::state::INVITE_KEYS {
                if !call.resource[key].is_null() {
                    data[key] = call.resource[key].clone();
                }
            }
        }
    }
    if !call.resource["resultInfo"].is_null() {
        data["resultInfo"] = call.resource["resultInfo"].clone();
    }
    for (key, value) in extra {
        data[*key] = value.clone();
    }
    if change == ChangeType::Deleted {
        // Ended calls say what the meeting could do (captures FailedP2P/CallDeleted.json,
        // GroupCalls/GroupCallEnd.json, P2PTest1Event6HangUp.json).
        if let Some(meeting) = call.graph_meeting.as_ref() {
            data["meetingInfo"] = meeting.clone();
        }
        data["meetingCapability"] = meeting_capability();
        data["coOrganizers"] = json!([]);
    }
    data["callChainId"] = json!(call.chain_id());
    if let Some(context) = extra.iter().find(|(k, _)| *k == "replacesContext") {
        // Last, as in the captures.
        let value = context.1.clone();
        if let Some(map) = data.as_object_mut() {
            map.remove("replacesContext");
            map.insert("replacesContext".into(), value);
        }
    }
    envelope(item(change, &call.id, "", data))
}

/// A content sharing session started (`created`) or ended (`deleted`): an item on the call's
/// `contentsharingsessions` collection (lower case, as the pages write it) whose `resourceData`
/// is the one session (application-post-calls.md example 1, "Notification - content sharing
/// started" / "ended").
pub fn content_sharing(call: &CallRecord, change: ChangeType, session: Value) -> Value {
    envelope(item(
        change,
        &call.id,
        "/contentsharingsessions",
        Value::Array(vec![session]),
    ))
}

/// A roster notification on the call's participants collection.
pub fn roster(call: &CallRecord, participants: &[Participant]) -> Value {
    let data = Value::Array(participants.iter().map(|p| p.to_json(call)).collect());
    envelope(item(ChangeType::Updated, &call.id, "/participants", data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::calls::{ApiVersion, AppIdentity, CallRegistry, Profile, ResourceStyle};
    use crate::standin::lifecycle::initial_roster;

    fn call(style: ResourceStyle, body: Value) -> CallRecord {
        let app = AppIdentity {
            app_id: "a".into(),
            tenant_id: "t".into(),
            display_name: "Bot".into(),
        };
        let profile = Profile {
            version: ApiVersion::Beta,
            style,
        };
        CallRegistry::default()
            .create(body.as_object().unwrap().clone(), profile, &app, "http://g")
            .clone()
    }

    #[test]
    fn items_carry_both_paths_and_no_callback_whichever_path_created_the_call() {
        for style in [ResourceStyle::Communications, ResourceStyle::App] {
            let c = call(style, json!({"callbackUri": "https://bot/cb"}));
            let n = call_state(&c, ChangeType::Updated);
            assert_eq!(n["@odata.type"], "#microsoft.graph.commsNotifications");
            let item = &n["value"][0];
            assert_eq!(item["@odata.type"], "#microsoft.graph.commsNotification");
            assert_eq!(item["resource"], format!("/app/calls/{}", c.id));
            assert_eq!(
                item["resourceUrl"],
                format!("/communications/calls/{}", c.id)
            );
            assert!(item.get("callbackUri").is_none());
            let data = &item["resourceData"];
            assert_eq!(data["state"], "establishing");
            assert!(data.get("id").is_none());
            assert!(data.get("direction").is_none());
            assert_eq!(data["callChainId"], c.chain_id());
        }
    }

    #[test]
    fn deleted_items_say_what_the_meeting_could_do_and_tones_say_little() {
        let mut c = call(ResourceStyle::Communications, json!({}));
        c.set_state(CallState::Terminated);
        let data = &call_state(&c, ChangeType::Deleted)["value"][0]["resourceData"];
        assert_eq!(
            data["meetingCapability"]["@odata.type"],
            "#microsoft.graph.meetingCapability"
        );
        assert_eq!(data["coOrganizers"], json!([]));
        let t = tone(&c, json!({}));
        let keys: Vec<&String> = t["value"][0]["resourceData"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["@odata.type", "state", "toneInfo"]);
    }

    #[test]
    fn roster_participants_have_the_fields_real_rosters_have() {
        let mut c = call(
            ResourceStyle::Communications,
            json!({
                "chatInfo": {"threadId": "t"},
                "meetingInfo": {"organizer": {"user": {"id": "o", "displayName": "Org"}}},
                "source": {"identity": {"application": {"id": "a", "displayName": "Bot"}}},
                "requestedModalities": ["audio", "video"],
            }),
        );
        let people = initial_roster(&mut c);
        let r = &roster(&c, &people)["value"][0];
        assert!(r["resourceUrl"]
            .as_str()
            .unwrap()
            .ends_with("/participants"));
        let organizer = &r["resourceData"][0];
        let user = &organizer["info"]["identity"]["user"];
        assert_eq!(
            (user["tenantId"].as_str(), user["identityProvider"].as_str()),
            (Some("t"), Some("AAD"))
        );
        assert_eq!(organizer["info"]["languageId"], "en-US");
        assert_eq!(organizer["mediaStreams"].as_array().unwrap().len(), 4);
        assert_eq!(organizer["meetingRole"], "none");
        let bot = &r["resourceData"][1];
        assert!(bot["info"].get("languageId").is_none());
        let labels: Vec<&str> = bot["mediaStreams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["main-audio", "main-video"]);
        let mut ids: Vec<&str> = r["resourceData"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["mediaStreams"].as_array().unwrap())
            .map(|s| s["sourceId"].as_str().unwrap())
            .collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "sourceIds are distinct");
    }
}
