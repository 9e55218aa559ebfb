//! Policy-based (compliance) recording: Teams invites a recording bot into the call of a user
//! its recording policy covers, and the bot reports what it records with
//! `updateRecordingStatus`.
//!
//! The invite is an incoming call (`created`, state `incoming`) whose source is the recorded
//! user and whose `incomingContext` names the recorded (observed) participant, as in the real
//! invites quoted in comms-samples #596 and #667 and msteams-docs #9159 and #9170. A recorded
//! meeting's invite also carries the meeting's chat and a `tokenMeetingInfo` (msteams-docs
//! #9159).

use std::time::Duration;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{CallRecord, CallState};
use super::lifecycle::{ends, CallEvent};
use super::reply::Reply;
use super::script::ResultInfo;
use super::timeline::Timeline;
use super::GraphError;

/// How long a bot under a strict policy has, after its leg is established, to report that it
/// records before the policy ends the call. Graph documents no such time: the stand-in's choice.
pub const STATUS_WINDOW: Duration = Duration::from_secs(10);

/// The statuses `updateRecordingStatus` takes (call-updaterecordingstatus.md).
pub const STATUSES: [&str; 3] = ["notRecording", "recording", "failed"];

/// The documented limit of `clientContext` (call-updaterecordingstatus.md: "Max limit is 256
/// chars").
const MAX_CLIENT_CONTEXT: usize = 256;

/// Stand-in's own: a strict policy ended the call because the bot did not report `recording`
/// in time, or reported `failed` (the cmdlet pages say such calls are cancelled; Graph's code
/// for it is not documented).
pub const POLICY_ENDED: ResultInfo = ResultInfo {
    code: 403,
    subcode: 0,
    message: "The recording policy ended the call: the recording bot did not report that it \
              records. DiagCode: 403#0.@",
};

pub use super::state::PolicyRecording as Recording;

/// What a policy-recording invite is about.
#[derive(Debug, Clone)]
pub struct Invite {
    /// The recorded user (a Teams user identity set).
    pub recorded: Value,
    /// Whom the recorded user calls (a peer-to-peer call), or `None` for a meeting.
    pub other: Option<Value>,
    pub strict: bool,
}

/// Makes the incoming call `call` (as `CallRegistry::incoming` registered it) a
/// policy-recording invite: the recorded user's participant as source, the `incomingContext`
/// and, for a meeting, its chat and token.
pub fn make_invite(call: &mut CallRecord, invite: &Invite) {
    let participant_id = call.resource["source"]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let tenant = call.resource["tenantId"].clone();
    call.resource["incomingContext"] = json!({
        "@odata.type": "#microsoft.graph.incomingContext",
        "sourceParticipantId": participant_id,
        "observedParticipantId": participant_id,
        "onBehalfOf": invite.recorded,
    });
    let meeting = invite.other.is_none();
    if meeting {
        call.resource["chatInfo"] = json!({
            "@odata.type": "#microsoft.graph.chatInfo",
            "threadId": format!("19:meeting_{}@thread.v2", Uuid::new_v4().simple()),
            "messageId": "0",
        });
        call.resource["meetingInfo"] = json!({
            "@odata.type": "#microsoft.graph.tokenMeetingInfo",
            "token": format!("callspec-meeting-token-{}", Uuid::new_v4().simple()),
        });
    }
    // What the real invites carry for the bot (comms-samples #667, msteams-docs #9170).
    let mut bot_data = json!({
        "callId": call.chain_id(),
        "user": {
            "participationMethod": if meeting { "Participant" } else { "Caller" },
            "policyHolderId": format!(
                "8:orgid:{}",
                invite.recorded["user"]["id"].as_str().unwrap_or_default()
            ),
            "policyHolderTenantId": tenant,
        },
        "inviteReasons": ["ComplianceRecording"],
        "policyIdentifier": "TeamsComplianceRecordingPolicy=Tenant:callspec",
        "otherRecorders": [],
        "pairedRecorders": [],
        "isMultiParty": meeting,
    });
    if let Some(other) = &invite.other {
        bot_data["otherSideUser"] = json!({
            "id": other["user"]["id"],
            "participantId": Uuid::new_v4().to_string(),
            "tenantId": tenant,
            "participationMethod": "Callee",
        });
    }
    call.resource["applicationMetadata"] = json!({ "botData": bot_data });
    call.recording = Some(Recording {
        strict: invite.strict,
        reported: Vec::new(),
        answered: false,
    });
}

/// When the bot answers a strict policy's invite: the policy ends the call if the bot has not
/// reported `recording` within [`STATUS_WINDOW`] of its leg being established
/// (`established_after` from now).
pub fn on_answered(call: &mut CallRecord, timeline: &mut Timeline, established_after: Duration) {
    let Some(recording) = call.recording.as_mut() else {
        return;
    };
    recording.answered = true;
    if recording.strict {
        timeline.schedule(
            established_after.saturating_add(STATUS_WINDOW),
            CallEvent::RecordingDeadline {
                call_id: call.id.clone(),
            },
        );
    }
}

/// The strict policy's deadline: the call ends unless the bot has reported `recording`.
pub fn deadline(call: &CallRecord) -> Option<CallEvent> {
    let recording = call.recording.as_ref()?;
    let records = recording.reported.last().is_some_and(|s| s == "recording");
    (recording.strict && !records).then(|| ends(&call.id, POLICY_ENDED))
}

/// `POST .../calls/{id}/updateRecordingStatus` (call-updaterecordingstatus.md): 200 with a
/// completed `updateRecordingStatusOperation` and its `Location`; no notification follows (the
/// page shows none).
pub fn update_status(
    body: &Map<String, Value>,
    call: &mut CallRecord,
    timeline: &mut Timeline,
    api_base: &str,
) -> Result<Reply, GraphError> {
    let status = match body.get("status") {
        Some(Value::String(s)) if STATUSES.contains(&s.as_str()) => s.clone(),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return Err(GraphError::bad_request(format!(
                "'{shown}' is not a recording status: use notRecording, recording or failed."
            )));
        }
        None => {
            return Err(GraphError::bad_request(
                "updateRecordingStatus needs a status: notRecording, recording or failed.",
            ))
        }
    };
    match body.get("clientContext") {
        None | Some(Value::Null) => {}
        Some(Value::String(c)) if c.chars().count() <= MAX_CLIENT_CONTEXT => {}
        Some(Value::String(_)) => {
            return Err(GraphError::bad_request(format!(
                "clientContext is longer than {MAX_CLIENT_CONTEXT} characters."
            )))
        }
        Some(_) => return Err(GraphError::bad_request("clientContext must be a string.")),
    }
    let Some(recording) = call.recording.as_mut() else {
        // The error real bots get outside a policy's call (comms-samples #444, #489, #515); its
        // HTTP status is not quoted there: 403 is the stand-in's.
        return Err(GraphError::new(
            403,
            "8506",
            "API call not allowed for non-Compliance Recording call",
        ));
    };
    let live = matches!(call.state, CallState::Establishing | CallState::Established);
    if !(live || call.state == CallState::Incoming && recording.answered) {
        return Err(GraphError::bad_request(format!(
            "Cannot update the recording status of a call in state {}.",
            call.state.as_str()
        )));
    }
    recording.reported.push(status.clone());
    let strict = recording.strict;
    let id = Uuid::new_v4().to_string();
    // The page's example, in its order.
    let op = json!({
        "@odata.type": "#microsoft.graph.updateRecordingStatusOperation",
        "clientContext": body.get("clientContext").cloned().unwrap_or(Value::Null),
        "id": id,
        "resultInfo": null,
        "status": "completed",
    });
    if strict && status == "failed" {
        // A recorder that fails under a strict policy is as good as gone: the call is cancelled
        // (RequiredDuringCall). The stand-in ends it at once.
        call.closing = true;
        timeline.cancel_call(&call.id);
        timeline.schedule(Duration::ZERO, ends(&call.id, POLICY_ENDED));
    }
    let location = format!(
        "{api_base}/communications/calls/{}/operations/{id}",
        call.id
    );
    Ok(Reply::json(200, op).with_header("Location", location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::calls::{ApiVersion, AppIdentity, CallRegistry, Profile, ResourceStyle};

    fn invite(strict: bool, other: Option<Value>) -> (CallRegistry, String) {
        let app = AppIdentity {
            app_id: "a".into(),
            tenant_id: "t".into(),
            display_name: "Recorder".into(),
        };
        let profile = Profile {
            version: ApiVersion::V1,
            style: ResourceStyle::Communications,
        };
        let recorded = json!({"user": {"id": "john-id", "displayName": "John"}});
        let mut registry = CallRegistry::default();
        let id = registry
            .incoming(&recorded, "https://bot/cb", profile, &app, "http://g")
            .id
            .clone();
        let call = registry.get_mut(&id).unwrap();
        make_invite(
            call,
            &Invite {
                recorded,
                other,
                strict,
            },
        );
        (registry, id)
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn an_invite_names_the_recorded_participant_and_a_meeting_its_chat() {
        let (registry, id) = invite(false, None);
        let call = registry.get(&id).unwrap();
        let context = &call.resource["incomingContext"];
        assert_eq!(
            context["sourceParticipantId"],
            call.resource["source"]["id"]
        );
        assert_eq!(
            context["observedParticipantId"],
            call.resource["source"]["id"]
        );
        assert_eq!(context["onBehalfOf"]["user"]["displayName"], "John");
        assert_eq!(
            call.resource["meetingInfo"]["@odata.type"],
            "#microsoft.graph.tokenMeetingInfo"
        );
        assert_eq!(
            call.resource["applicationMetadata"]["botData"]["inviteReasons"],
            json!(["ComplianceRecording"])
        );
        let (registry, id) = invite(false, Some(json!({"user": {"id": "alice"}})));
        let call = registry.get(&id).unwrap();
        assert!(call.resource["meetingInfo"].is_null());
        assert_eq!(
            call.resource["applicationMetadata"]["botData"]["otherSideUser"]["id"],
            "alice"
        );
    }

    #[test]
    fn the_status_is_checked_and_kept_and_the_operation_is_the_pages() {
        let (mut registry, id) = invite(false, None);
        let call = registry.get_mut(&id).unwrap();
        let mut t = Timeline::default();
        let err = update_status(
            &body(json!({"status": "recording"})),
            call,
            &mut t,
            "http://g",
        )
        .err()
        .expect("an unanswered invite cannot record yet");
        assert_eq!(err.status, 400);
        // Answered: it may report before Graph moves the call on.
        on_answered(call, &mut t, Duration::from_secs(1));
        let err = update_status(
            &body(json!({"status": "started"})),
            call,
            &mut t,
            "http://g",
        )
        .err()
        .unwrap();
        assert_eq!(err.status, 400);
        let long = "x".repeat(257);
        let err = update_status(
            &body(json!({"status": "recording", "clientContext": long})),
            call,
            &mut t,
            "http://g",
        )
        .err()
        .unwrap();
        assert_eq!(err.status, 400);
        update_status(
            &body(json!({"status": "recording", "clientContext": "c"})),
            call,
            &mut t,
            "http://g",
        )
        .expect("a valid report");
        assert_eq!(call.recording.as_ref().unwrap().reported, ["recording"]);
        assert!(deadline(call).is_none());
    }

    #[test]
    fn only_policy_calls_may_report_and_strict_ones_end_without_recording() {
        let (mut registry, id) = invite(true, None);
        let call = registry.get_mut(&id).unwrap();
        call.set_state(CallState::Established);
        assert!(deadline(call).is_some(), "nothing reported yet");
        call.recording = None;
        let mut t = Timeline::default();
        let err = update_status(
            &body(json!({"status": "recording"})),
            call,
            &mut t,
            "http://g",
        )
        .err()
        .unwrap();
        assert_eq!((err.status, err.code.as_str()), (403, "8506"));
    }
}
