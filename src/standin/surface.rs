//! The call's children beyond the first ten operations: what lives under
//! `/communications/calls/{id}/...` (operations, participants, audio routing groups, content
//! sharing sessions, the media actions), the per-call state they keep, and the helpers every
//! operation shares. Each area has its module (media, participants, audio_routing); this one
//! routes to them.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{CallRecord, CallState};
use super::media;
use super::operations::{self, Context};
use super::reply::Reply;
use super::GraphError;

/// `clientContext` as the pages limit it: a string of at most 256 characters.
pub fn client_context(body: &Map<String, Value>) -> Result<Value, GraphError> {
    match body.get("clientContext") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) if s.chars().count() <= 256 => Ok(json!(s)),
        Some(Value::String(s)) => Err(GraphError::bad_request(format!(
            "clientContext can have a maximum of 256 characters; it has {}.",
            s.chars().count()
        ))),
        Some(other) => Err(GraphError::bad_request(format!(
            "clientContext must be a string, not {other}."
        ))),
    }
}

/// A new operation resource of `kind` (e.g. `recordOperation`).
pub fn new_operation(
    kind: &str,
    body: &Map<String, Value>,
    status: &str,
) -> Result<Value, GraphError> {
    Ok(json!({
        "@odata.type": format!("#microsoft.graph.{kind}"),
        "id": Uuid::new_v4().to_string(),
        "status": status,
        "clientContext": client_context(body)?,
        "resultInfo": null,
    }))
}

/// The answer that hands out an operation: `status`, the operation, and its `Location` under
/// the path the bot used.
pub fn located(cx: &Context<'_>, status: u16, op: &Value) -> Reply {
    let location = format!(
        "{}/{}/operations/{}",
        cx.calls_url,
        cx.call.id,
        op["id"].as_str().unwrap_or_default()
    );
    Reply::json(status, op.clone()).with_header("Location", location)
}

/// Operations that need the call connected: Graph cannot play to, record or route a call that
/// is not established.
pub fn require_established(call: &CallRecord, action: &str) -> Result<(), GraphError> {
    if call.state == CallState::Established {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "Cannot {action} a call in state {}: the call must be established.",
        call.state.as_str()
    )))
}

/// 404 for a child of a call that does not exist.
pub fn not_found(what: &str, id: &str) -> GraphError {
    GraphError::new(
        404,
        "itemNotFound",
        format!("{what} '{id}' was not found in the call."),
    )
}

/// `{"@odata.context", "value"}`, as Graph lists a collection.
pub fn collection(cx: &Context<'_>, name: &str, items: Vec<Value>) -> Reply {
    Reply::json(
        200,
        json!({
            "@odata.context": format!(
                "{}/$metadata#communications/calls('{}')/{name}",
                cx.api_base, cx.call.id
            ),
            "value": items,
        }),
    )
}

/// Runs `method` on `rest` (the path after `calls/{id}`, OData-qualified names already made
/// plain). `None`: no such resource.
pub fn dispatch(
    method: &str,
    rest: &[&str],
    body: &[u8],
    cx: Context<'_>,
) -> Option<Result<Reply, GraphError>> {
    use super::{audio_routing, participants};
    let parsed = || operations::body_object(body);
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
    let body = operations::body_object(body)?;
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
