//! A call's life in simulated time: what gets scheduled when a call starts, and what each
//! scheduled event does to the call and tells the bot.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use base64::Engine as _;

use super::calls::{CallKind, CallRecord, CallState, Endpoint, Participant};
pub use super::event::CallEvent;
use super::notifications::{self, ChangeType};
use super::script::{
    codes, Answer, Lobby, RemoteScript, ResultInfo, DEFAULT_RINGING_TIMEOUT, LOBBY_TIMEOUT,
};
use super::timeline::Timeline;

fn state(call_id: &str, state: CallState) -> CallEvent {
    CallEvent::State {
        call_id: call_id.to_owned(),
        state,
        change: ChangeType::Updated,
        result: None,
    }
}

/// The final notification of a call: `deleted`, state terminated, with its result.
pub fn ends(call_id: &str, result: ResultInfo) -> CallEvent {
    CallEvent::State {
        call_id: call_id.to_owned(),
        state: CallState::Terminated,
        change: ChangeType::Deleted,
        result: Some(result),
    }
}

/// A person on the other side, from an identity set: a Teams client for users and guests,
/// a plain audio endpoint for phones and others.
pub fn participant(identity: Value) -> Participant {
    let endpoint = if identity.get("user").is_some() || identity.get("guest").is_some() {
        Endpoint::TeamsUser
    } else {
        Endpoint::Other
    };
    Participant {
        id: Uuid::new_v4().to_string(),
        identity,
        is_in_lobby: false,
        is_muted: false,
        endpoint,
        endpoint_id: Uuid::new_v4().to_string(),
        media_streams: Vec::new(),
    }
}

/// The large gallery view as a participant: an application identity whose `ApplicationType`
/// is `LargeGallery-V2` (concepts/cloud-communications-identifylargegalleryview.md).
pub fn large_gallery() -> Participant {
    let mut gallery = participant(json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "application": {
            "@odata.type": "#microsoft.graph.identity",
            "id": Uuid::new_v4().to_string(),
            "ApplicationType": "LargeGallery-V2",
        }
    }));
    gallery.endpoint = Endpoint::LargeGallery;
    gallery
}

/// A Teams user known only by name (scripted meeting participants).
pub fn named_user(name: &str) -> Participant {
    participant(json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "user": {
            "@odata.type": "#microsoft.graph.identity",
            "displayName": name,
            "id": Uuid::new_v4().to_string(),
        }
    }))
}

/// Names a party answers to: the display names and ids in its identity set.
pub fn names_of(identity: &Value) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(kinds) = identity.as_object() {
        for who in kinds.values() {
            for key in ["displayName", "id"] {
                if let Some(name) = who[key].as_str() {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

fn callee_of(script: &RemoteScript, identity: &Value) -> super::script::Callee {
    let names = names_of(identity);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    script.callee_named(&names)
}

pub fn ringing_timeout(call: &CallRecord) -> Duration {
    call.resource["ringingTimeoutInSeconds"]
        .as_u64()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RINGING_TIMEOUT)
}

/// Seats the roster a call starts with: a meeting's organizer (a Teams user of its own when
/// the join names none, as joins by id or token do) and the bot. Returns it.
pub fn initial_roster(call: &mut CallRecord) -> Vec<Participant> {
    let bot = Participant {
        id: call.my_participant_id().to_owned(),
        identity: call.resource["source"]["identity"].clone(),
        is_in_lobby: call.kind == CallKind::GuestMeeting,
        is_muted: false,
        endpoint: Endpoint::Bot,
        endpoint_id: Uuid::new_v4().to_string(),
        media_streams: Vec::new(),
    };
    call.participants.clear();
    call.admit(bot);
    if call.kind.is_meeting() {
        let organizer = &call.resource["meetingInfo"]["organizer"];
        let organizer = if organizer.is_object() {
            participant(organizer.clone())
        } else {
            named_user("Organizer")
        };
        call.admit(organizer);
        call.answered = false;
    }
    call.participants.clone()
}

/// Seats people who were in the meeting before the bot came: they are in its first roster.
fn seat_present(call: &mut CallRecord, present: &[String]) {
    for name in present {
        call.admit(named_user(name));
    }
    call.answered = false;
}

/// Schedules what follows a create: establishing now, then whatever the script says the other
/// side does. `join_delay` is how long a meeting takes to let the bot in.
pub fn plan_outgoing(
    call: &mut CallRecord,
    script: &RemoteScript,
    join_delay: Duration,
    timeline: &mut Timeline,
) {
    if call.kind.is_meeting() {
        seat_present(call, &script.present);
    }
    let id = call.id.as_str();
    timeline.schedule(Duration::ZERO, state(id, CallState::Establishing));
    let ringing = ringing_timeout(call);
    let targets = call.resource["targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match call.kind {
        CallKind::PeerToPeer => {
            let identity = targets
                .first()
                .map(|t| t["identity"].clone())
                .unwrap_or(Value::Null);
            let callee = callee_of(script, &identity);
            match callee.answer {
                // An answer after the ringing timeout never connects (the call has ended).
                Answer::After(delay) if delay < ringing => {
                    timeline.schedule(delay, state(id, CallState::Established));
                    if let Some(hang_up) = callee.hangs_up_after {
                        timeline.schedule(
                            delay.saturating_add(hang_up),
                            ends(id, codes::REMOTE_HUNG_UP),
                        );
                    }
                }
                Answer::After(_) => {
                    timeline.schedule(ringing, ends(id, codes::NO_ANSWER));
                }
                refusing => {
                    if let Some((after, result)) = refusing.refusal(ringing) {
                        timeline.schedule(after, ends(id, result));
                    }
                }
            }
        }
        CallKind::Group => {
            // The bot's own leg is established first; the targets join as they answer
            // (captures GroupCallEstablished.json, GroupCallBotJoin.json, GroupCallUserJoin.json).
            timeline.schedule(join_delay, state(id, CallState::Established));
            for target in &targets {
                let callee = callee_of(script, &target["identity"]);
                if let Answer::After(delay) = callee.answer.filter_before(ringing) {
                    let joining = participant(target["identity"].clone());
                    let who = joining.id.clone();
                    timeline.schedule(
                        delay,
                        CallEvent::Joins {
                            call_id: id.to_owned(),
                            participant: joining,
                        },
                    );
                    if let Some(hang_up) = callee.hangs_up_after {
                        timeline.schedule(
                            delay.saturating_add(hang_up),
                            CallEvent::Leaves {
                                call_id: id.to_owned(),
                                who,
                            },
                        );
                    }
                }
            }
            timeline.schedule(
                ringing,
                CallEvent::RingingTimeout {
                    call_id: id.to_owned(),
                },
            );
        }
        CallKind::Meeting | CallKind::GuestMeeting => {
            timeline.schedule(join_delay, state(id, CallState::Established));
            timeline.schedule(
                join_delay,
                CallEvent::Roster {
                    call_id: id.to_owned(),
                },
            );
            if call.kind == CallKind::GuestMeeting {
                let lobby_event = match script.lobby {
                    Lobby::Waits => (LOBBY_TIMEOUT, ends(id, codes::LOBBY_TIMEOUT)),
                    Lobby::AdmitsAfter(after) => (
                        after.max(join_delay),
                        CallEvent::Admitted {
                            call_id: id.to_owned(),
                        },
                    ),
                    Lobby::DeniesAfter(after) => {
                        (after.max(join_delay), ends(id, codes::LOBBY_DENIED))
                    }
                };
                timeline.schedule(lobby_event.0, lobby_event.1);
            }
            for change in &script.meeting {
                let event = if change.joins {
                    CallEvent::Joins {
                        call_id: id.to_owned(),
                        participant: named_user(&change.who),
                    }
                } else {
                    CallEvent::Leaves {
                        call_id: id.to_owned(),
                        who: change.who.clone(),
                    }
                };
                timeline.schedule(change.at.max(join_delay), event);
            }
        }
    }
}

/// Schedules what follows an incoming call: the `created` notification now, and its end if
/// the bot does not act within the answer window.
pub fn plan_incoming(call: &CallRecord, answer_window: Duration, timeline: &mut Timeline) {
    let id = call.id.as_str();
    timeline.schedule(
        Duration::ZERO,
        CallEvent::State {
            call_id: id.to_owned(),
            state: CallState::Incoming,
            change: ChangeType::Created,
            result: None,
        },
    );
    timeline.schedule(
        answer_window,
        CallEvent::IncomingTimeout {
            call_id: id.to_owned(),
        },
    );
}

fn bot_in_lobby(call: &CallRecord) -> bool {
    let bot = call.my_participant_id();
    call.participants
        .iter()
        .any(|p| p.id == bot && p.is_in_lobby)
}

/// The roster the bot may see: a bot waiting in the lobby sees only itself.
fn visible_roster(call: &CallRecord) -> Vec<Participant> {
    if bot_in_lobby(call) {
        let bot = call.my_participant_id();
        call.participants
            .iter()
            .filter(|p| p.id == bot)
            .cloned()
            .collect()
    } else {
        call.participants.clone()
    }
}

fn roster(call: &CallRecord) -> Value {
    notifications::roster(call, &visible_roster(call))
}

fn media_active() -> Value {
    json!({"@odata.type": "#microsoft.graph.callMediaState", "audio": "active"})
}

fn meeting_properties() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.meetingProperties",
        "meetingLabel": "00000000-0000-0000-0000-000000000000",
    })
}

/// The meeting Graph hosts a call in when the bot did not join one: an opaque join token.
fn graph_meeting() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.tokenMeetingInfo",
        "token": format!("callspec-meeting-token-{}", Uuid::new_v4().simple()),
    })
}

/// `chatInfo` as update items carry it: its type, thread and message (capture
/// P2PTest2Event4UpdatedWithChatInfo.json).
fn chat_of(call: &CallRecord) -> Value {
    let chat = &call.resource["chatInfo"];
    json!({
        "@odata.type": "#microsoft.graph.chatInfo",
        "threadId": chat["threadId"],
        "messageId": chat["messageId"],
    })
}

/// `meetingInfo` as the bot sent it, typed (`organizerMeetingInfo` when the 2019 form had no
/// type).
fn meeting_of(call: &CallRecord) -> Value {
    let mut meeting = call.resource["meetingInfo"].clone();
    if let Some(map) = meeting.as_object_mut() {
        if !map.contains_key("@odata.type") {
            let mut typed = serde_json::Map::new();
            typed.insert(
                "@odata.type".into(),
                json!("#microsoft.graph.organizerMeetingInfo"),
            );
            typed.extend(map.clone());
            *map = typed;
        }
    }
    meeting
}

/// The chat Graph opens for a peer-to-peer call with a Teams user: a thread of its own, not a
/// meeting's (`19:<guid>`, message `0`: capture P2PTest2Event4UpdatedWithChatInfo.json,
/// comms-samples #700).
fn peer_chat() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.chatInfo",
        "threadId": format!("19:{}", Uuid::new_v4()),
        "messageId": "0",
    })
}

/// Whether the other party of a peer-to-peer call is a Teams client (user or guest).
fn with_teams_user(call: &CallRecord) -> bool {
    let other = if call.resource["direction"] == "incoming" {
        &call.resource["source"]["identity"]
    } else {
        &call.resource["targets"][0]["identity"]
    };
    other.get("user").is_some() || other.get("guest").is_some()
}

/// A meeting join's `establishing` and `established` echo the meeting: its chat and its typed
/// `meetingInfo`, before `callChainId` (comms-samples #95 2019, #405 2021, #632 2023).
fn echo_meeting(call: &CallRecord, notification: &mut Value) {
    let chat = chat_of(call);
    let meeting = meeting_of(call);
    let Some(data) = notification["value"][0]["resourceData"].as_object_mut() else {
        return;
    };
    let chain = data.remove("callChainId");
    data.insert("chatInfo".into(), chat);
    data.insert("meetingInfo".into(), meeting);
    if let Some(chain) = chain {
        data.insert("callChainId".into(), chain);
    }
}

/// What Graph sends right after a call is established, beyond the `established` item.
fn after_established(call: &mut CallRecord) -> Vec<Value> {
    let active = ("mediaState", media_active());
    let capability = ("meetingCapability", notifications::meeting_capability());
    let co_organizers = ("coOrganizers", json!([]));
    let incoming = call.resource["direction"] == "incoming";
    match call.kind {
        // Captures GroupCallEstablished.json then GroupCallBotJoin.json: the bot alone.
        CallKind::Group => {
            call.graph_meeting = Some(graph_meeting());
            vec![roster(call)]
        }
        // An incoming call from a Teams user: the media update also names the call's chat and
        // tenant (comms-samples #700).
        CallKind::PeerToPeer if incoming && with_teams_user(call) => {
            if !call.resource["chatInfo"].is_object() {
                call.resource["chatInfo"] = peer_chat();
            }
            let tenant = call.resource["tenantId"].clone();
            vec![notifications::call_with(
                call,
                ChangeType::Updated,
                &[
                    ("chatInfo", call.resource["chatInfo"].clone()),
                    active,
                    ("tenantId", tenant),
                    capability,
                    co_organizers,
                ],
            )]
        }
        // A peer-to-peer call to a Teams user: media, the call's own chat, the meeting Graph
        // hosts it in, then a roster of the two (captures P2P/CallUpdates/P2PTest2Event3..6).
        CallKind::PeerToPeer if !incoming && with_teams_user(call) => {
            let media = notifications::call_with(
                call,
                ChangeType::Updated,
                &[active.clone(), capability.clone(), co_organizers.clone()],
            );
            let callee = participant(call.resource["targets"][0]["identity"].clone());
            let callee_id = callee.id.clone();
            call.admit(callee);
            call.resource["chatInfo"] = peer_chat();
            let meeting = graph_meeting();
            call.graph_meeting = Some(meeting.clone());
            let context = base64::engine::general_purpose::STANDARD.encode(format!(
                "https://callspec.invalid/cc/v1/callParticipant/{}/replacement?rt={callee_id}",
                call.id,
            ));
            let replaces = ("replacesContext", json!(context));
            let chat = ("chatInfo", chat_of(call));
            let properties = ("meetingProperties", meeting_properties());
            let with_chat = notifications::call_with(
                call,
                ChangeType::Updated,
                &[
                    active.clone(),
                    chat.clone(),
                    capability.clone(),
                    properties.clone(),
                    co_organizers.clone(),
                    replaces.clone(),
                ],
            );
            let with_meeting = notifications::call_with(
                call,
                ChangeType::Updated,
                &[
                    active,
                    chat,
                    ("meetingInfo", meeting),
                    capability,
                    properties,
                    co_organizers,
                    replaces,
                ],
            );
            vec![media, with_chat, with_meeting, roster(call)]
        }
        // Captures P2PTest1Event3 (a phone): the media is active, nothing more. A meeting join
        // echoed its meeting already; its roster follows as an event of its own.
        CallKind::PeerToPeer | CallKind::Meeting | CallKind::GuestMeeting => {
            vec![notifications::call_with(
                call,
                ChangeType::Updated,
                &[active, capability, co_organizers],
            )]
        }
    }
}

/// Applies an event, happening at simulated time `at`, to its call; returns the notifications
/// the bot gets for it.
pub fn fire(call: &mut CallRecord, event: CallEvent, at: Duration) -> Vec<Value> {
    if call.state == CallState::Terminated {
        return Vec::new();
    }
    match event {
        CallEvent::State {
            state,
            change,
            result,
            ..
        } => {
            if call.state != state {
                call.set_state(state);
            }
            let first_established =
                state == CallState::Established && call.established_at.is_none();
            if state == CallState::Established {
                call.established_at.get_or_insert(at);
            }
            if let Some(r) = result {
                call.resource["resultInfo"] = result_json(r);
            }
            if state == CallState::Terminated {
                call.closing = true;
            }
            let mut out = vec![notifications::call_state(call, change)];
            let echoes = matches!(state, CallState::Establishing | CallState::Established);
            if call.kind.is_meeting() && change == ChangeType::Updated && echoes {
                echo_meeting(call, &mut out[0]);
            }
            if first_established {
                out.extend(after_established(call));
            }
            out
        }
        CallEvent::Roster { .. } => vec![roster(call)],
        CallEvent::Joins { participant, .. } => {
            call.admit(participant);
            if bot_in_lobby(call) || call.state != CallState::Established {
                return Vec::new();
            }
            vec![roster(call)]
        }
        CallEvent::Leaves { who, call_id } => {
            let before = call.participants.len();
            let bot = call.my_participant_id().to_owned();
            call.participants.retain(|p| {
                p.id == bot
                    || (p.id != who
                        && !names_of(&p.identity)
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&who)))
            });
            if call.participants.len() == before || bot_in_lobby(call) {
                return Vec::new();
            }
            // A group call ends once only the bot is left, with no roster first (capture
            // GroupCallEnd.json follows GroupCallUserJoin.json). The large gallery view the bot
            // added keeps no call alive (the stand-in's choice: no source shows either way).
            let bot = call.my_participant_id().to_owned();
            let alone = call
                .participants
                .iter()
                .all(|p| p.id == bot || p.endpoint == Endpoint::LargeGallery);
            if call.kind == CallKind::Group && alone {
                return fire(call, ends(&call_id, codes::ONLY_BOT_REMAINS), at);
            }
            vec![roster(call)]
        }
        CallEvent::Admitted { .. } => {
            let bot = call.my_participant_id().to_owned();
            for p in call.participants.iter_mut().filter(|p| p.id == bot) {
                p.is_in_lobby = false;
            }
            vec![roster(call)]
        }
        CallEvent::RingingTimeout { call_id } => {
            if call.answered {
                return Vec::new();
            }
            fire(call, ends(&call_id, codes::NO_ANSWER), at)
        }
        CallEvent::IncomingTimeout { call_id } => {
            if call.state != CallState::Incoming {
                return Vec::new();
            }
            fire(call, ends(&call_id, codes::INCOMING_NOT_ANSWERED), at)
        }
        CallEvent::OperationDone { operation, .. } => {
            call.extras.remember(&operation);
            let mut out = vec![notifications::operation(call, &operation)];
            // The large gallery view joins the roster once added (the roster example of
            // cloud-communications-identifylargegalleryview.md; comms-samples #763). One per
            // call: a second addLargeGalleryView completes without another.
            let gallery = operation["@odata.type"]
                == "#microsoft.graph.addLargeGalleryViewOperation"
                && operation["status"] == "completed";
            let has_gallery = call
                .participants
                .iter()
                .any(|p| p.endpoint == Endpoint::LargeGallery);
            if gallery && !has_gallery && call.state == CallState::Established {
                call.admit(large_gallery());
                out.push(roster(call));
            }
            out
        }
        // apply.rs hands these to the media and recording operations above this module (a
        // tone to both): they never reach here.
        CallEvent::Media { .. } | CallEvent::RecordingDeadline { .. } => Vec::new(),
        CallEvent::Tone { tone, .. } => tone_pressed(call, tone),
    }
}

/// The remote side sends `tone`: a `toneInfo` notification if the call is established and the
/// bot subscribed to tones (Graph sends tones only then: a callee still connecting cannot press
/// a key the bot hears).
pub fn tone_pressed(call: &mut CallRecord, tone: String) -> Vec<Value> {
    if !call.tone_subscribed || call.state != CallState::Established {
        return Vec::new();
    }
    call.tones += 1;
    let tone_info = json!({
        "@odata.type": "#microsoft.graph.toneInfo",
        "sequenceId": call.tones,
        "tone": tone,
    });
    vec![notifications::tone(call, tone_info)]
}

pub fn result_json(r: ResultInfo) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.resultInfo",
        "code": r.code,
        "subcode": r.subcode,
        "message": r.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::calls::{ApiVersion, AppIdentity, CallRegistry, Profile, ResourceStyle};

    fn call(body: Value) -> CallRecord {
        let app = AppIdentity {
            app_id: "a".into(),
            tenant_id: "t".into(),
            display_name: "Bot".into(),
        };
        let profile = Profile {
            version: ApiVersion::V1,
            style: ResourceStyle::Communications,
        };
        let mut c = CallRegistry::default()
            .create(body.as_object().unwrap().clone(), profile, &app, "http://g")
            .clone();
        initial_roster(&mut c);
        c
    }

    fn run(c: &mut CallRecord, timeline: &mut Timeline) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some((at, e)) = timeline.pop_due(Duration::from_secs(3600)) {
            out.extend(fire(c, e, at).into_iter().map(|n| n["value"][0].clone()));
        }
        out
    }

    fn states(items: &[Value]) -> Vec<String> {
        items
            .iter()
            .map(|i| match &i["resourceData"] {
                Value::Array(a) => format!("roster{}", a.len()),
                d => d["state"].as_str().unwrap_or("?").to_owned(),
            })
            .collect()
    }

    fn user(name: &str) -> Value {
        json!({"identity": {"user": {"id": name, "displayName": name}}})
    }

    #[test]
    fn a_callee_that_does_not_answer_ends_the_call_at_the_ringing_timeout() {
        let mut c = call(json!({"targets": [user("u")], "ringingTimeoutInSeconds": 45}));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_answer(None, Answer::DoesNotAnswer);
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(states(&items), ["establishing", "terminated"]);
        assert_eq!(items[1]["changeType"], "deleted");
        assert_eq!(items[1]["resourceData"]["resultInfo"]["subcode"], 10057);
        assert_eq!(t.now(), Duration::from_secs(45));
    }

    #[test]
    fn group_calls_establish_the_bot_first_and_targets_join_as_they_answer() {
        let mut c = call(json!({"targets": [user("alice"), user("bob"), user("carol")]}));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_answer(Some("alice"), Answer::After(Duration::from_secs(3)));
        script.set_answer(Some("bob"), Answer::Declines);
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        // The bot's leg at 1 s (a roster of the bot alone); carol answers at 1 s (the
        // default), alice at 3 s; bob never answers; the ringing timeout is moot.
        assert_eq!(
            states(&items),
            [
                "establishing",
                "established",
                "roster1",
                "roster2",
                "roster3"
            ]
        );
    }

    #[test]
    fn a_group_call_ends_with_5010_when_only_the_bot_remains() {
        let mut c = call(json!({"targets": [user("alice"), user("bob")]}));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_answer(Some("bob"), Answer::Declines);
        script.set_hang_up(Some("alice"), Duration::from_secs(5));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            [
                "establishing",
                "established",
                "roster1",
                "roster2",
                "terminated"
            ]
        );
        let end = &items[4]["resourceData"];
        assert_eq!(end["resultInfo"]["subcode"], 5010);
        assert_eq!(
            end["meetingInfo"]["@odata.type"],
            "#microsoft.graph.tokenMeetingInfo"
        );
    }

    #[test]
    fn an_answer_after_the_ringing_timeout_never_connects() {
        let mut c = call(json!({"targets": [user("u")], "ringingTimeoutInSeconds": 30}));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_answer(None, Answer::After(Duration::from_secs(45)));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(states(&items), ["establishing", "terminated"]);
        assert_eq!(items[1]["resourceData"]["resultInfo"]["code"], 408);
        assert_eq!(t.now(), Duration::from_secs(30));
    }

    #[test]
    fn a_meeting_join_echoes_its_meeting_then_gets_media_and_roster() {
        let mut c = call(json!({
            "meetingInfo": {"@odata.type": "#microsoft.graph.tokenMeetingInfo", "token": "x"},
        }));
        let script = RemoteScript::new(Duration::from_secs(1));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            ["establishing", "established", "established", "roster2"]
        );
        for echo in &items[..2] {
            let data = &echo["resourceData"];
            assert_eq!(data["chatInfo"]["messageId"], "0");
            assert_eq!(data["chatInfo"]["@odata.type"], "#microsoft.graph.chatInfo");
            assert_eq!(data["meetingInfo"]["token"], "x");
            let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
            assert_eq!(keys.last().unwrap().as_str(), "callChainId");
        }
        assert_eq!(items[1]["resourceData"]["direction"], "outgoing");
        assert_eq!(items[2]["resourceData"]["mediaState"]["audio"], "active");
        assert!(items[2]["resourceData"]["chatInfo"].is_null());
    }

    #[test]
    fn an_untyped_organizer_meeting_is_echoed_typed() {
        let mut c = call(json!({
            "meetingInfo": {"organizer": {"user": {"id": "org"}}},
            "chatInfo": {"threadId": "19:meeting_x@thread.v2", "messageId": "0"},
        }));
        let script = RemoteScript::new(Duration::from_secs(1));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            items[0]["resourceData"]["meetingInfo"]["@odata.type"],
            "#microsoft.graph.organizerMeetingInfo"
        );
        assert_eq!(
            items[0]["resourceData"]["chatInfo"]["threadId"],
            "19:meeting_x@thread.v2"
        );
    }

    #[test]
    fn a_peer_to_peer_call_with_a_teams_user_gets_a_chat_a_meeting_and_a_roster_of_two() {
        let mut c = call(json!({"targets": [user("Sam")]}));
        let script = RemoteScript::new(Duration::from_secs(1));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            [
                "establishing",
                "established",
                "established",
                "established",
                "established",
                "roster2"
            ]
        );
        assert!(items[1]["resourceData"]["chatInfo"].is_null());
        let chat = &items[3]["resourceData"]["chatInfo"];
        assert!(chat["threadId"].as_str().unwrap().starts_with("19:"));
        assert!(!chat["threadId"].as_str().unwrap().contains("meeting_"));
        assert_eq!(
            items[4]["resourceData"]["meetingInfo"]["@odata.type"],
            "#microsoft.graph.tokenMeetingInfo"
        );
        assert_eq!(
            items[5]["resourceData"][0]["info"]["identity"]["user"]["id"],
            "Sam"
        );
    }

    #[test]
    fn a_peer_to_peer_call_with_a_phone_gets_only_the_media_update() {
        let mut c = call(json!({"targets": [{"identity": {"phone": {"id": "+1"}}}]}));
        let script = RemoteScript::new(Duration::from_secs(1));
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            ["establishing", "established", "established"]
        );
        assert!(items[2]["resourceData"]["chatInfo"].is_null());
    }

    #[test]
    fn a_guest_sees_no_meeting_roster_until_admitted() {
        let mut c = call(json!({
            "meetingInfo": {"organizer": {"user": {"id": "org"}}},
            "chatInfo": {"threadId": "t"},
            "source": {"identity": {"guest": {"id": "g", "displayName": "Guest"}}},
        }));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.lobby = Lobby::AdmitsAfter(Duration::from_secs(5));
        script.meeting.push(super::super::script::MeetingChange {
            at: Duration::from_secs(2),
            who: "Alice".into(),
            joins: true,
        });
        let mut t = Timeline::default();
        plan_outgoing(&mut c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            [
                "establishing",
                "established",
                "established",
                "roster1",
                "roster3"
            ]
        );
        assert_eq!(items[3]["resourceData"][0]["isInLobby"], true);
    }
}
