//! The bot's follow-up operations on a call: answer, reject, redirect, playPrompt, keepAlive,
//! mute, unmute, subscribeToTone, participants/invite, transfer.

use std::time::Duration;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{CallRecord, CallState};
use super::lifecycle::{ends, names_of, participant, result_json, ringing_timeout, CallEvent};
use super::notifications::ChangeType;
use super::reply::Reply;
use super::script::{codes, Answer, OPERATION_DELAY, REFUSAL_DELAY};
use super::GraphError;

/// The operations a call has, by the last segment of their path.
pub const ACTIONS: &[&str] = &[
    "answer",
    "reject",
    "redirect",
    "playPrompt",
    "keepAlive",
    "mute",
    "unmute",
    "subscribeToTone",
    "transfer",
    "participants/invite",
    "updateRecordingStatus",
];

use super::context::{body_object, non_empty, Context};

fn require_state(call: &CallRecord, wanted: CallState, action: &str) -> Result<(), GraphError> {
    if call.state == wanted {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "Cannot {action} a call in state {}.",
        call.state.as_str()
    )))
}

/// Runs `action` on the call. The caller has checked the call exists and is live.
pub fn run(action: &str, body: &[u8], cx: Context<'_>) -> Result<Reply, GraphError> {
    let body = body_object(body)?;
    match action {
        "answer" => answer(&body, cx),
        "reject" => reject(&body, cx),
        "redirect" => redirect(&body, cx),
        "playPrompt" => super::media::play_prompt(&body, cx),
        "keepAlive" => Ok(Reply::empty(200)),
        "mute" => mute(&body, cx, true),
        "unmute" => mute(&body, cx, false),
        "subscribeToTone" => subscribe_to_tone(&body, cx),
        "transfer" => transfer(&body, cx),
        "participants/invite" => invite(&body, cx),
        "updateRecordingStatus" => {
            super::recording::update_status(&body, cx.call, cx.timeline, &cx.api_base)
        }
        other => Err(GraphError::bad_request(format!(
            "Resource not found for the segment '{other}'."
        ))),
    }
}

fn answer(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_state(cx.call, CallState::Incoming, "answer")?;
    if body.get("mediaConfig").is_none_or(Value::is_null) {
        return Err(GraphError::missing_media_config());
    }
    // The answer page: acceptedModalities is "required for answering a call".
    const MODALITIES: [&str; 3] = ["audio", "video", "videoBasedScreenSharing"];
    match body.get("acceptedModalities").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            if let Some(bad) = list
                .iter()
                .find(|m| !m.as_str().is_some_and(|m| MODALITIES.contains(&m)))
            {
                return Err(GraphError::bad_request(format!(
                    "acceptedModalities holds {bad}: each is one of audio, video, \
                     videoBasedScreenSharing."
                )));
            }
        }
        _ => {
            return Err(GraphError::bad_request(
                "acceptedModalities is required to answer a call (audio, video or \
                 videoBasedScreenSharing).",
            ))
        }
    }
    if let Some(uri) = body.get("callbackUri").and_then(Value::as_str) {
        cx.call.resource["callbackUri"] = json!(uri);
    }
    // incomingCallOptions: what the call notifies from now on (content sharing sessions).
    if let Some(options) = body.get("callOptions").filter(|o| o.is_object()) {
        cx.call.resource["callOptions"] = options.clone();
    }
    let id = cx.call.id.clone();
    cx.timeline.cancel_call(&id);
    let state = |state| CallEvent::State {
        call_id: id.clone(),
        state,
        change: ChangeType::Updated,
        result: None,
    };
    cx.timeline
        .schedule(Duration::ZERO, state(CallState::Establishing));
    cx.timeline
        .schedule(cx.answer_delay, state(CallState::Established));
    super::recording::on_answered(cx.call, cx.timeline, cx.answer_delay);
    Ok(Reply::empty(202))
}

fn end_incoming(cx: Context<'_>, result: super::script::ResultInfo) -> Result<Reply, GraphError> {
    let id = cx.call.id.clone();
    cx.call.closing = true;
    cx.timeline.cancel_call(&id);
    cx.timeline.schedule(Duration::ZERO, ends(&id, result));
    Ok(Reply::empty(202))
}

fn reject(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_state(cx.call, CallState::Incoming, "reject")?;
    match body.get("reason").and_then(Value::as_str).unwrap_or("none") {
        "none" | "busy" | "forbidden" => end_incoming(cx, codes::REJECTED),
        other => Err(GraphError::bad_request(format!(
            "Unknown reject reason '{other}': use none, busy or forbidden."
        ))),
    }
}

fn redirect(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_state(cx.call, CallState::Incoming, "redirect")?;
    non_empty(body, "targets", "redirect needs at least one target.")?;
    if let Some(timeout) = body.get("timeout") {
        match timeout.as_u64() {
            Some(15..=90) => {}
            _ => {
                return Err(GraphError::bad_request(
                    "The redirect timeout must be between 15 and 90 seconds.",
                ))
            }
        }
    }
    end_incoming(cx, codes::REDIRECTED)
}

/// A new operation resource.
fn operation(kind: &str, body: &Map<String, Value>, status: &str) -> Value {
    let op_id = Uuid::new_v4().to_string();
    json!({
        "@odata.type": format!("#microsoft.graph.{kind}"),
        "id": op_id,
        "status": status,
        "clientContext": body.get("clientContext").cloned().unwrap_or(Value::Null),
        "resultInfo": null,
    })
}

/// The 200 that hands out a running operation with its `Location`.
fn running(cx: &Context<'_>, op: &Value) -> Reply {
    let location = format!(
        "{}/{}/operations/{}",
        cx.calls_url,
        cx.call.id,
        op["id"].as_str().unwrap_or_default()
    );
    Reply::json(200, op.clone()).with_header("Location", location)
}

fn finished(mut op: Value, status: &str, result: super::script::ResultInfo) -> Value {
    op["status"] = json!(status);
    op["resultInfo"] = result_json(result);
    op
}

fn mute(body: &Map<String, Value>, cx: Context<'_>, muted: bool) -> Result<Reply, GraphError> {
    let kind = if muted {
        "muteParticipantOperation"
    } else {
        "unmuteParticipantOperation"
    };
    let op = operation(kind, body, "completed");
    let bot = cx.call.my_participant_id().to_owned();
    for p in cx.call.participants.iter_mut().filter(|p| p.id == bot) {
        p.is_muted = muted;
    }
    cx.timeline.schedule(
        Duration::ZERO,
        CallEvent::Roster {
            call_id: cx.call.id.clone(),
        },
    );
    Ok(Reply::json(200, op))
}

fn subscribe_to_tone(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    let op = operation("subscribeToToneOperation", body, "completed");
    cx.call.tone_subscribed = true;
    Ok(Reply::json(200, op))
}

fn transfer(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_state(cx.call, CallState::Established, "transfer")?;
    let has_target = body
        .get("transferTarget")
        .is_some_and(|t| t["identity"].is_object());
    if !has_target {
        return Err(GraphError::bad_request(
            "transfer needs a transferTarget with an identity.",
        ));
    }
    let id = cx.call.id.clone();
    let state = |state, result| CallEvent::State {
        call_id: id.clone(),
        state,
        change: ChangeType::Updated,
        result,
    };
    cx.timeline
        .schedule(Duration::ZERO, state(CallState::Transferring, None));
    if cx.script.transfer_accepted {
        cx.timeline.schedule(
            OPERATION_DELAY / 2,
            state(CallState::TransferAccepted, None),
        );
        cx.timeline
            .schedule(OPERATION_DELAY, ends(&id, codes::TRANSFERRED));
    } else {
        cx.timeline.schedule(
            OPERATION_DELAY,
            state(CallState::Established, Some(codes::TRANSFER_DECLINED)),
        );
    }
    Ok(Reply::empty(202))
}

fn invite(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    let invitees = non_empty(
        body,
        "participants",
        "invite needs at least one participant.",
    )?
    .clone();
    for (i, p) in invitees.iter().enumerate() {
        if !p["identity"].is_object() {
            return Err(GraphError::bad_request(format!(
                "participants[{i}] has no identity."
            )));
        }
    }
    let mut op = operation("inviteParticipantsOperation", body, "running");
    op["participants"] = json!(invitees);
    let reply = running(&cx, &op);
    // The operation ends when the last invitee has answered or refused; it fails if any refused.
    // An invitee answering after the ringing timeout never joins: it fails with 408/10057.
    let ringing = ringing_timeout(cx.call);
    let mut done_at = Duration::ZERO;
    let mut refusal = None;
    for invitee in &invitees {
        let names = names_of(&invitee["identity"]);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match cx.script.callee_named(&names).answer.filter_before(ringing) {
            Answer::After(delay) => {
                done_at = done_at.max(delay);
                cx.timeline.schedule(
                    delay,
                    CallEvent::Joins {
                        call_id: cx.call.id.clone(),
                        participant: participant(invitee["identity"].clone()),
                    },
                );
            }
            refused => {
                let (after, result) = refused
                    .refusal(ringing)
                    .unwrap_or((REFUSAL_DELAY, codes::INVITE_DECLINED));
                done_at = done_at.max(after);
                refusal.get_or_insert(match refused {
                    Answer::Declines => codes::INVITE_DECLINED,
                    _ => result,
                });
            }
        }
    }
    let outcome = match refusal {
        None => finished(op, "completed", codes::OPERATION_DONE),
        Some(result) => finished(op, "failed", result),
    };
    cx.timeline.schedule(
        done_at,
        CallEvent::OperationDone {
            call_id: cx.call.id.clone(),
            operation: outcome,
        },
    );
    Ok(reply)
}
