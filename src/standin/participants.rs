//! The participants collection (list, get, mute, delete, hold music), screen sharing
//! (changeScreenSharingRole, content sharing sessions) and the large gallery view. Rosters are
//! the ones the stand-in already keeps and notifies.

use std::time::Duration;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{is_app_hosted_media, CallKind, CallRecord, CallState, Participant};
use super::context::Context;
use super::context::{collection, located, new_operation, not_found, require_established};
use super::lifecycle::{ends, names_of, CallEvent};
use super::notifications::{self, ChangeType};
use super::reply::Reply;
use super::script::{codes, OPERATION_DELAY};
use super::state::MediaEvent;
use super::GraphError;

fn find<'c>(call: &'c CallRecord, who: &str) -> Result<&'c Participant, GraphError> {
    call.participants
        .iter()
        .find(|p| p.id == who)
        .ok_or_else(|| not_found("Participant", who))
}

fn is_group(call: &CallRecord) -> bool {
    call.kind != CallKind::PeerToPeer
}

/// `GET participants`: the roster as the bot was last told it.
pub fn list(cx: &Context<'_>) -> Reply {
    let items = cx
        .call
        .participants
        .iter()
        .map(|p| p.to_json(cx.call))
        .collect();
    collection(cx, "participants", items)
}

/// `GET participants/{id}`.
pub fn get(who: &str, cx: &Context<'_>) -> Result<Reply, GraphError> {
    let participant = find(cx.call, who)?;
    let mut body = participant.to_json(cx.call);
    body["@odata.context"] = json!(format!(
        "{}/$metadata#communications/calls('{}')/participants/$entity",
        cx.api_base, cx.call.id
    ));
    Ok(Reply::json(200, body))
}

fn roster_now(cx: &mut Context<'_>) {
    cx.timeline.schedule(
        Duration::ZERO,
        CallEvent::Roster {
            call_id: cx.call.id.clone(),
        },
    );
}

/// participant-mute.md: a server mute, group calls only; 200 with a completed
/// muteParticipantOperation, then a roster where the participant is muted.
pub fn mute(
    who: &str,
    body: &Map<String, Value>,
    mut cx: Context<'_>,
) -> Result<Reply, GraphError> {
    if !is_group(cx.call) {
        return Err(GraphError::bad_request(
            "Muting a participant is only supported for group calls.",
        ));
    }
    find(cx.call, who)?;
    let mut op = new_operation("muteParticipantOperation", body, "completed")?;
    op["@odata.context"] = json!(format!(
        "{}/$metadata#muteParticipantOperation",
        cx.api_base
    ));
    for p in cx.call.participants.iter_mut().filter(|p| p.id == who) {
        p.is_muted = true;
        for stream in p.media_streams.iter_mut() {
            if stream["mediaType"] == "audio" {
                stream["serverMuted"] = json!(true);
            }
        }
    }
    roster_now(&mut cx);
    Ok(located(&cx, 200, &op))
}

/// participant-delete.md: 204; the participant leaves the roster at once. A group call left
/// with the bot alone ends (5010), as when someone hangs up; removing the bot ends its call.
pub fn delete(who: &str, cx: Context<'_>) -> Result<Reply, GraphError> {
    find(cx.call, who)?;
    let id = cx.call.id.clone();
    if who == cx.call.my_participant_id() {
        cx.call.closing = true;
        cx.timeline.cancel_call(&id);
        cx.timeline.schedule(
            Duration::ZERO,
            CallEvent::State {
                call_id: id.clone(),
                state: CallState::Terminating,
                change: ChangeType::Updated,
                result: None,
            },
        );
        cx.timeline
            .schedule(Duration::ZERO, ends(&id, codes::BOT_HUNG_UP));
        return Ok(Reply::empty(204));
    }
    if cx.call.extras.on_hold.as_deref() == Some(who) {
        cx.call.extras.on_hold = None;
    }
    cx.timeline.schedule(
        Duration::ZERO,
        CallEvent::Leaves {
            call_id: id,
            who: who.to_owned(),
        },
    );
    Ok(Reply::empty(204))
}

fn hold_operation(
    kind: &str,
    body: &Map<String, Value>,
    cx: Context<'_>,
) -> Result<Reply, GraphError> {
    let op = new_operation(kind, body, "running")?;
    let reply = located(&cx, 202, &op);
    let mut done = op.clone();
    done["status"] = json!("completed");
    done["resultInfo"] = super::lifecycle::result_json(codes::OPERATION_DONE);
    cx.timeline.schedule(
        OPERATION_DELAY / 2,
        CallEvent::OperationDone {
            call_id: cx.call.id.clone(),
            operation: done,
        },
    );
    Ok(reply)
}

/// participant-startholdmusic.md: one participant on hold at a time; 202 with a running
/// startHoldMusicOperation, then its completion.
pub fn start_hold_music(
    who: &str,
    body: &Map<String, Value>,
    cx: Context<'_>,
) -> Result<Reply, GraphError> {
    require_established(cx.call, "hold a participant in")?;
    find(cx.call, who)?;
    if who == cx.call.my_participant_id() {
        return Err(GraphError::bad_request(
            "The bot cannot put itself on hold: name another participant.",
        ));
    }
    if let Some(prompt) = body.get("customPrompt").filter(|p| !p.is_null()) {
        if prompt["mediaInfo"]["uri"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            return Err(GraphError::bad_request(
                "customPrompt must be a mediaPrompt with mediaInfo.uri.",
            ));
        }
    }
    match cx.call.extras.on_hold.as_deref() {
        Some(held) if held == who => {
            return Err(GraphError::bad_request(format!(
                "Participant '{who}' is already on hold."
            )))
        }
        Some(held) => {
            return Err(GraphError::bad_request(format!(
                "Only one participant can be placed on hold at any given time; '{held}' is on \
                 hold."
            )))
        }
        None => {}
    }
    cx.call.extras.on_hold = Some(who.to_owned());
    hold_operation("startHoldMusicOperation", body, cx)
}

/// participant-stopholdmusic.md: takes the participant off hold; 202 with a running
/// stopHoldMusicOperation, then its completion.
pub fn stop_hold_music(
    who: &str,
    body: &Map<String, Value>,
    cx: Context<'_>,
) -> Result<Reply, GraphError> {
    find(cx.call, who)?;
    if cx.call.extras.on_hold.as_deref() != Some(who) {
        return Err(GraphError::bad_request(format!(
            "Participant '{who}' is not on hold."
        )));
    }
    cx.call.extras.on_hold = None;
    hold_operation("stopHoldMusicOperation", body, cx)
}

/// Sets the screen-sharing stream of participant `who` to `direction`, adding one if it has
/// none.
fn set_sharing(call: &mut CallRecord, who: &str, direction: &str) {
    let next = call.next_source_id + 1;
    let Some(p) = call.participants.iter_mut().find(|p| p.id == who) else {
        return;
    };
    match p
        .media_streams
        .iter_mut()
        .find(|s| s["mediaType"] == "videoBasedScreenSharing")
    {
        Some(stream) => stream["direction"] = json!(direction),
        None => {
            p.media_streams.push(json!({
                "@odata.type": "#microsoft.graph.mediaStream",
                "mediaType": "videoBasedScreenSharing",
                "label": "applicationsharing-video",
                "sourceId": next.to_string(),
                "direction": direction,
                "serverMuted": false,
            }));
            call.next_source_id = next;
        }
    }
}

/// call-changescreensharingrole.md: group calls with app-hosted media only; role `viewer` or
/// `sharer`. 202, then a roster whose bot stream sends (`sendOnly`) or receives.
pub fn change_screen_sharing_role(
    body: &Map<String, Value>,
    mut cx: Context<'_>,
) -> Result<Reply, GraphError> {
    let role = match body.get("role").and_then(Value::as_str) {
        Some(role @ ("viewer" | "sharer")) => role,
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "role is '{other}': possible values are viewer and sharer."
            )))
        }
        None => {
            return Err(GraphError::bad_request(
                "role is required: viewer or sharer.",
            ))
        }
    };
    if !is_group(cx.call) || !is_app_hosted_media(&cx.call.resource) {
        return Err(GraphError::bad_request(
            "changeScreenSharingRole is only supported for group calls that use app-hosted media.",
        ));
    }
    require_established(cx.call, "change the screen sharing role of")?;
    let bot = cx.call.my_participant_id().to_owned();
    let direction = if role == "sharer" {
        "sendOnly"
    } else {
        "receiveOnly"
    };
    set_sharing(cx.call, &bot, direction);
    let started = role == "sharer";
    let sessions = if started {
        start_session(cx.call, &bot).into_iter().collect()
    } else {
        end_sessions(cx.call, &bot)
    };
    roster_now(&mut cx);
    for session in sessions {
        cx.timeline.schedule(
            Duration::ZERO,
            CallEvent::Media {
                call_id: cx.call.id.clone(),
                event: MediaEvent::SharingNotice { session, started },
            },
        );
    }
    Ok(Reply::empty(202))
}

/// call-addlargegalleryview.md: group calls; 202 with a running addLargeGalleryViewOperation,
/// then its completion.
pub fn add_large_gallery_view(
    body: &Map<String, Value>,
    cx: Context<'_>,
) -> Result<Reply, GraphError> {
    if !is_group(cx.call) {
        return Err(GraphError::bad_request(
            "addLargeGalleryView is only supported for group calls and meetings.",
        ));
    }
    require_established(cx.call, "add the large gallery view to")?;
    let op = new_operation("addLargeGalleryViewOperation", body, "running")?;
    let reply = located(&cx, 202, &op);
    let mut done = op.clone();
    if let Some(map) = done.as_object_mut() {
        map.remove("resultInfo");
    }
    done["status"] = json!("completed");
    cx.timeline.schedule(
        OPERATION_DELAY / 2,
        CallEvent::OperationDone {
            call_id: cx.call.id.clone(),
            operation: done,
        },
    );
    Ok(reply)
}

/// Starts participant `who`'s content sharing session unless one runs; the new session as
/// Graph shows it.
fn start_session(call: &mut CallRecord, who: &str) -> Option<Value> {
    if call
        .extras
        .content_sharing
        .iter()
        .any(|s| s["sharer"] == who)
    {
        return None;
    }
    let session = json!({
        "@odata.type": "#microsoft.graph.contentSharingSession",
        "id": Uuid::new_v4().to_string(),
        "sharer": who,
    });
    let shown = session_json(&session);
    call.extras.content_sharing.push(session);
    Some(shown)
}

/// Ends participant `who`'s content sharing sessions; the ended ones as Graph shows them.
fn end_sessions(call: &mut CallRecord, who: &str) -> Vec<Value> {
    let (ended, kept): (Vec<Value>, Vec<Value>) = std::mem::take(&mut call.extras.content_sharing)
        .into_iter()
        .partition(|s| s["sharer"] == who);
    call.extras.content_sharing = kept;
    ended.iter().map(session_json).collect()
}

/// Whether the call asked to hear of content sharing sessions (`callOptions` of its create or
/// answer): Graph notifies a session only then (contentsharingsession.md, 2022).
fn notifies_sharing(call: &CallRecord) -> bool {
    call.resource["callOptions"]["isContentSharingNotificationEnabled"] == json!(true)
}

/// A session's `created` or `deleted` notification, when the call is established and asked
/// for it.
pub fn sharing_notice(call: &CallRecord, session: Value, change: ChangeType) -> Vec<Value> {
    if call.state != CallState::Established || !notifies_sharing(call) {
        return Vec::new();
    }
    vec![notifications::content_sharing(call, change, session)]
}

/// The id of the participant `who` names (display name or participant id).
fn participant_named(call: &CallRecord, who: &str) -> Option<String> {
    call.participants
        .iter()
        .find(|p| {
            p.id == who
                || names_of(&p.identity)
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(who))
        })
        .map(|p| p.id.clone())
}

/// Someone (by display name or participant id) starts sharing their screen: a content sharing
/// session starts, the roster shows their screen-sharing stream sending and, when the call
/// asked for it, the bot is told of the session (`created`).
pub fn shares_screen(call: &mut CallRecord, who: &str) -> Vec<Value> {
    let Some(id) = participant_named(call, who) else {
        return Vec::new();
    };
    set_sharing(call, &id, "sendOnly");
    let started = start_session(call, &id);
    if call.state != CallState::Established {
        return Vec::new();
    }
    let mut out = vec![notifications::roster(call, &call.participants)];
    if let Some(session) = started {
        out.extend(sharing_notice(call, session, ChangeType::Created));
    }
    out
}

/// Someone stops sharing their screen: their session ends, the roster shows their
/// screen-sharing stream receiving again and, when the call asked for it, the bot is told
/// (`deleted`).
pub fn stops_sharing(call: &mut CallRecord, who: &str) -> Vec<Value> {
    let Some(id) = participant_named(call, who) else {
        return Vec::new();
    };
    let ended = end_sessions(call, &id);
    if ended.is_empty() {
        // Nothing was shared: nothing changes.
        return Vec::new();
    }
    set_sharing(call, &id, "receiveOnly");
    if call.state != CallState::Established {
        return Vec::new();
    }
    let mut out = vec![notifications::roster(call, &call.participants)];
    for session in ended {
        out.extend(sharing_notice(call, session, ChangeType::Deleted));
    }
    out
}

/// A session as Graph shows it: its type and id (contentsharingsession-get.md).
fn session_json(session: &Value) -> Value {
    json!({
        "@odata.type": session["@odata.type"],
        "id": session["id"],
    })
}

/// `GET contentSharingSessions` (call-list-contentsharingsessions.md).
pub fn list_sharing(cx: &Context<'_>) -> Reply {
    let items = cx
        .call
        .extras
        .content_sharing
        .iter()
        .map(session_json)
        .collect();
    collection(cx, "contentSharingSessions", items)
}

/// `GET contentSharingSessions/{id}` (contentsharingsession-get.md).
pub fn get_sharing(id: &str, cx: &Context<'_>) -> Result<Reply, GraphError> {
    cx.call
        .extras
        .content_sharing
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .map(|s| Reply::json(200, session_json(s)))
        .ok_or_else(|| not_found("Content sharing session", id))
}
