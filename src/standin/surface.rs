//! The call's children beyond the first ten operations: what lives under
//! `/communications/calls/{id}/...` (operations, participants, audio routing groups, content
//! sharing sessions, the media actions), the per-call state they keep, and the helpers every
//! operation shares. Each area has its module (media, participants, audio_routing); this one
//! routes to them.

use serde_json::Value;

use super::context::{body_object, not_found, Context};
use super::media;
use super::operations;
use super::reply::Reply;
use super::GraphError;

/// Runs `method` on `rest` (the path after `calls/{id}`, OData-qualified names already made
/// plain). `None`: no such resource.
pub fn dispatch(
    method: &str,
    rest: &[&str],
    body: &[u8],
    cx: Context<'_>,
) -> Option<Result<Reply, GraphError>> {
    use super::{audio_routing, participants};
    let parsed = || body_object(body);
    let result = match (method, rest) {
        ("POST", [action]) if operations::ACTIONS.contains(action) => {
            operations::run(action, body, cx)
        }
        ("POST", ["participants", "invite"]) => operations::run("participants/invite", body, cx),
        ("POST", ["recordResponse"]) => parsed().and_then(|b| media::record_response(&b, cx)),
        ("POST", ["cancelMediaProcessing"]) => {
            parsed().and_then(|b| media::cancel_media_processing(&b, cx))
        }
        ("POST", ["sendDtmfTones"]) => parsed().and_then(|b| media::send_dtmf_tones(&b, cx)),
        ("POST", ["changeScreenSharingRole"]) => {
            parsed().and_then(|b| participants::change_screen_sharing_role(&b, cx))
        }
        ("POST", ["addLargeGalleryView"]) => {
            parsed().and_then(|b| participants::add_large_gallery_view(&b, cx))
        }
        ("GET", ["operations", op]) => get_operation(op, &cx),
        ("GET", ["participants"]) => Ok(participants::list(&cx)),
        ("GET", ["participants", who]) => participants::get(who, &cx),
        ("DELETE", ["participants", who]) => participants::delete(who, cx),
        ("POST", ["participants", who, "mute"]) => {
            parsed().and_then(|b| participants::mute(who, &b, cx))
        }
        ("POST", ["participants", who, "startHoldMusic"]) => {
            parsed().and_then(|b| participants::start_hold_music(who, &b, cx))
        }
        ("POST", ["participants", who, "stopHoldMusic"]) => {
            parsed().and_then(|b| participants::stop_hold_music(who, &b, cx))
        }
        ("GET", ["contentSharingSessions"]) => Ok(participants::list_sharing(&cx)),
        ("GET", ["contentSharingSessions", session]) => participants::get_sharing(session, &cx),
        ("POST", ["audioRoutingGroups"]) => parsed().and_then(|b| audio_routing::create(b, cx)),
        ("GET", ["audioRoutingGroups"]) => Ok(audio_routing::list(&cx)),
        ("GET", ["audioRoutingGroups", group]) => audio_routing::get(group, &cx),
        ("PATCH", ["audioRoutingGroups", group]) => {
            parsed().and_then(|b| audio_routing::update(group, b, cx))
        }
        ("DELETE", ["audioRoutingGroups", group]) => audio_routing::delete(group, cx),
        _ => return None,
    };
    Some(result)
}

/// Whether `dispatch` has a resource for `method` on `rest` (the path is refused with 400
/// before the call is looked up otherwise, as Graph refuses an unknown segment).
pub fn known(method: &str, rest: &[&str]) -> bool {
    matches!(
        (method, rest),
        ("GET" | "DELETE", [])
            | ("POST", ["participants", "invite"])
            | (
                "POST",
                ["recordResponse"
                    | "cancelMediaProcessing"
                    | "sendDtmfTones"
                    | "changeScreenSharingRole"
                    | "addLargeGalleryView"
                    | "audioRoutingGroups"]
            )
            | ("GET", ["operations", _])
            | (
                "GET",
                ["participants" | "contentSharingSessions" | "audioRoutingGroups"]
            )
            | (
                "GET",
                [
                    "participants" | "contentSharingSessions" | "audioRoutingGroups",
                    _
                ]
            )
            | ("DELETE", ["participants" | "audioRoutingGroups", _])
            | ("PATCH", ["audioRoutingGroups", _])
            | (
                "POST",
                [
                    "participants",
                    _,
                    "mute" | "startHoldMusic" | "stopHoldMusic"
                ]
            )
    ) || matches!((method, rest), ("POST", [action]) if operations::ACTIONS.contains(action))
}

fn get_operation(id: &str, cx: &Context<'_>) -> Result<Reply, GraphError> {
    cx.call
        .extras
        .operations
        .iter()
        .find(|o| o["id"].as_str() == Some(id))
        .map(|op| Reply::json(200, op.clone()))
        .ok_or_else(|| not_found("Operation", id))
}

/// `segment` without the OData namespace the .NET SDK puts on action names
/// (`microsoft.graph.answer` → `answer`; captures in comms-samples #571, msteams-docs #9170).
pub fn plain_segment(segment: &str) -> &str {
    segment.strip_prefix("microsoft.graph.").unwrap_or(segment)
}

/// `POST /communications/calls/logTeleconferenceDeviceQuality`: a CVI bot's quality report
/// for its own media leg (call-logteleconferencedevicequality.md): 200, no body.
pub fn log_device_quality(body: &[u8]) -> Result<Reply, GraphError> {
    let body = body_object(body)?;
    let quality = body
        .get("quality")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            GraphError::bad_request("quality is required: a teleconferenceDeviceQuality object.")
        })?;
    for key in ["callChainId", "participantId", "mediaLegId"] {
        if !quality.get(key).is_some_and(Value::is_string) {
            return Err(GraphError::bad_request(format!(
                "quality.{key} is required (a string)."
            )));
        }
    }
    if let Some(list) = quality.get("mediaQualityList") {
        let Some(list) = list.as_array() else {
            return Err(GraphError::bad_request(
                "quality.mediaQualityList must be a collection of teleconferenceDeviceMediaQuality.",
            ));
        };
        for (i, item) in list.iter().enumerate() {
            if !item.is_object() {
                return Err(GraphError::bad_request(format!(
                    "quality.mediaQualityList[{i}] must be an object."
                )));
            }
        }
    }
    Ok(Reply::empty(200))
}
