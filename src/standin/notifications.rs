//! The notification payloads Graph sends to a bot's callback, in the shape of each API profile.
//! Pure: builds JSON only.

use serde_json::{json, Value};

use super::calls::{CallRecord, CallState, Participant, ResourceStyle};

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

impl Participant {
    fn to_json(&self) -> Value {
        json!({
            "@odata.type": "#microsoft.graph.participant",
            "info": {
                "@odata.type": "#microsoft.graph.participantInfo",
                "identity": self.identity,
            },
            "mediaStreams": [{
                "@odata.type": "#microsoft.graph.mediaStream",
                "mediaType": "audio",
                "sourceId": "1",
                "direction": "sendReceive",
                "serverMuted": false,
            }],
            "isMuted": self.is_muted,
            "isInLobby": self.is_in_lobby,
            "id": self.id,
        })
    }
}

/// Wraps items in a `commsNotifications` envelope (the old beta shape has no `@odata.type`s).
fn envelope(style: ResourceStyle, item: Value) -> Value {
    match style {
        ResourceStyle::Communications => json!({
            "@odata.type": "#microsoft.graph.commsNotifications",
            "value": [item],
        }),
        ResourceStyle::App => json!({ "value": [item] }),
    }
}

fn item(call: &CallRecord, change: ChangeType, resource: String, data: Value) -> Value {
    match call.profile.style {
        ResourceStyle::Communications => json!({
            "@odata.type": "#microsoft.graph.commsNotification",
            "changeType": change.as_str(),
            "resourceUrl": resource,
            "callbackUri": call.callback_uri(),
            "resourceData": data,
        }),
        ResourceStyle::App => json!({
            "changeType": change.as_str(),
            "resource": resource,
            "resourceData": data,
        }),
    }
}

/// A call-state notification: the call's current state (and `resultInfo` once it has one).
pub fn call_state(call: &CallRecord, change: ChangeType) -> Value {
    call_notification(call, change, None)
}

/// A call notification that also carries one extra property (e.g. `toneInfo`).
pub fn call_with(call: &CallRecord, change: ChangeType, key: &str, value: Value) -> Value {
    call_notification(call, change, Some((key, value)))
}

/// An operation's notification (on `.../operations/{id}`), e.g. a prompt that finished.
pub fn operation(call: &CallRecord, operation: &Value) -> Value {
    let op_id = operation["id"].as_str().unwrap_or_default();
    let resource = format!(
        "{}/operations/{op_id}",
        call.profile.call_resource(&call.id)
    );
    envelope(
        call.profile.style,
        item(call, ChangeType::Deleted, resource, operation.clone()),
    )
}

fn call_notification(call: &CallRecord, change: ChangeType, extra: Option<(&str, Value)>) -> Value {
    let resource = call.profile.call_resource(&call.id);
    let mut data = json!({
        "@odata.type": "#microsoft.graph.call",
        "state": call.state.as_str(),
        "direction": call.resource["direction"],
    });
    match call.profile.style {
        ResourceStyle::Communications => data["id"] = json!(call.id),
        ResourceStyle::App => {
            data["@odata.id"] = json!(resource);
            if call.state != CallState::Establishing {
                data["@odata.etag"] = json!(format!("W/\"{}\"", call.etag));
            }
        }
    }
    if call.kind.is_meeting() {
        for key in ["chatInfo", "meetingInfo"] {
            data[key] = call.resource[key].clone();
        }
    }
    if call.resource["direction"] == "incoming" {
        // An incoming call's first notification is the whole call: who calls, and whom.
        for key in [
            "source",
            "targets",
            "callChainId",
            "callbackUri",
            "requestedModalities",
        ] {
            data[key] = call.resource[key].clone();
        }
    }
    if !call.resource["resultInfo"].is_null() {
        data["resultInfo"] = call.resource["resultInfo"].clone();
    }
    if let Some((key, value)) = extra {
        data[key] = value;
    }
    envelope(call.profile.style, item(call, change, resource, data))
}

/// A roster notification on the call's participants collection.
pub fn roster(call: &CallRecord, participants: &[Participant]) -> Value {
    let resource = format!("{}/participants", call.profile.call_resource(&call.id));
    let data = Value::Array(participants.iter().map(Participant::to_json).collect());
    envelope(
        call.profile.style,
        item(call, ChangeType::Updated, resource, data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::calls::{ApiVersion, AppIdentity, CallRegistry, Profile};

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
            .create(body.as_object().unwrap(), profile, &app, "http://g")
            .clone()
    }

    #[test]
    fn communications_shape_uses_resource_url_and_echoes_callback() {
        let c = call(
            ResourceStyle::Communications,
            json!({"callbackUri": "https://bot/cb"}),
        );
        let n = call_state(&c, ChangeType::Updated);
        assert_eq!(n["@odata.type"], "#microsoft.graph.commsNotifications");
        let item = &n["value"][0];
        assert_eq!(
            item["resourceUrl"],
            format!("/communications/calls/{}", c.id)
        );
        assert_eq!(item["callbackUri"], "https://bot/cb");
        assert_eq!(item["resourceData"]["state"], "establishing");
        assert_eq!(item["resourceData"]["id"], c.id.as_str());
    }

    #[test]
    fn app_shape_uses_resource_and_odata_id() {
        let mut c = call(ResourceStyle::App, json!({}));
        c.set_state(CallState::Established);
        let item = &call_state(&c, ChangeType::Updated)["value"][0];
        assert_eq!(item["resource"], format!("/app/calls/{}", c.id));
        assert_eq!(
            item["resourceData"]["@odata.id"],
            format!("/app/calls/{}", c.id)
        );
        assert_eq!(item["resourceData"]["@odata.etag"], "W/\"2\"");
        assert!(item.get("resourceUrl").is_none());
    }

    #[test]
    fn meeting_state_echoes_chat_and_meeting_info_and_roster_lists_participants() {
        let c = call(
            ResourceStyle::Communications,
            json!({"chatInfo": {"threadId": "t"}, "meetingInfo": {"organizer": {}}}),
        );
        let data = &call_state(&c, ChangeType::Updated)["value"][0]["resourceData"];
        assert_eq!(data["chatInfo"]["threadId"], "t");
        let bot = Participant {
            id: "p".into(),
            identity: json!({"application": {"id": "a"}}),
            is_in_lobby: true,
            is_muted: false,
        };
        let r = &roster(&c, &[bot])["value"][0];
        assert!(r["resourceUrl"]
            .as_str()
            .unwrap()
            .ends_with("/participants"));
        assert_eq!(r["resourceData"][0]["isInLobby"], true);
        assert_eq!(
            r["resourceData"][0]["info"]["identity"]["application"]["id"],
            "a"
        );
    }
}
