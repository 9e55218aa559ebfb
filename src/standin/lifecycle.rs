//! A call's life in simulated time: what gets scheduled when a call starts, and what each
//! scheduled event does to the call and tells the bot.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use super::calls::{CallKind, CallRecord, CallState, Participant};
use super::notifications::{self, ChangeType};
use super::script::{
    codes, Answer, Lobby, RemoteScript, ResultInfo, DEFAULT_RINGING_TIMEOUT, LOBBY_TIMEOUT,
};
use super::timeline::Timeline;

/// Something the Graph side does to a call at a simulated time.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    /// The call moves to `state` (with `result`, e.g. when it ends) and the bot is told.
    State {
        call_id: String,
        state: CallState,
        change: ChangeType,
        result: Option<ResultInfo>,
    },
    /// The bot gets the roster as it is now.
    Roster { call_id: String },
    /// Someone joins: a group-call target answering, an invitee, a meeting participant.
    Joins {
        call_id: String,
        participant: Participant,
    },
    /// Someone (by display name or id) leaves.
    Leaves { call_id: String, who: String },
    /// The meeting lets the bot in from the lobby.
    Admitted { call_id: String },
    /// The ringing timeout of a group call: ends it if nobody answered.
    RingingTimeout { call_id: String },
    /// 15 s after an incoming call: ends it if the bot did nothing.
    IncomingTimeout { call_id: String },
    /// An operation finished: the bot gets the operation resource.
    OperationDone { call_id: String, operation: Value },
    /// The remote side sends a DTMF tone.
    Tone { call_id: String, tone: String },
}

impl CallEvent {
    pub fn call_id(&self) -> &str {
        match self {
            CallEvent::State { call_id, .. }
            | CallEvent::Roster { call_id }
            | CallEvent::Joins { call_id, .. }
            | CallEvent::Leaves { call_id, .. }
            | CallEvent::Admitted { call_id }
            | CallEvent::RingingTimeout { call_id }
            | CallEvent::IncomingTimeout { call_id }
            | CallEvent::OperationDone { call_id, .. }
            | CallEvent::Tone { call_id, .. } => call_id,
        }
    }
}

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

/// A person on the other side, from an identity set.
pub fn participant(identity: Value) -> Participant {
    Participant {
        id: Uuid::new_v4().to_string(),
        identity,
        is_in_lobby: false,
        is_muted: false,
    }
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

fn ringing_timeout(call: &CallRecord) -> Duration {
    call.resource["ringingTimeoutInSeconds"]
        .as_u64()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RINGING_TIMEOUT)
}

/// The roster a call starts with: the bot (and a meeting's organizer).
pub fn initial_roster(call: &CallRecord) -> Vec<Participant> {
    let bot = Participant {
        id: call.my_participant_id().to_owned(),
        identity: call.resource["source"]["identity"].clone(),
        is_in_lobby: call.kind == CallKind::GuestMeeting,
        is_muted: false,
    };
    match call.kind {
        CallKind::Meeting | CallKind::GuestMeeting => {
            let organizer = participant(call.resource["meetingInfo"]["organizer"].clone());
            vec![organizer, bot]
        }
        CallKind::PeerToPeer | CallKind::Group => vec![bot],
    }
}

/// Schedules what follows a create: establishing now, then whatever the script says the other
/// side does. `join_delay` is how long a meeting takes to let the bot in.
pub fn plan_outgoing(
    call: &CallRecord,
    script: &RemoteScript,
    join_delay: Duration,
    timeline: &mut Timeline,
) {
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
                Answer::After(delay) => {
                    timeline.schedule(delay, state(id, CallState::Established));
                    if let Some(hang_up) = callee.hangs_up_after {
                        timeline.schedule(
                            delay.saturating_add(hang_up),
                            ends(id, codes::REMOTE_HUNG_UP),
                        );
                    }
                }
                refusing => {
                    if let Some((after, result)) = refusing.refusal(ringing) {
                        timeline.schedule(after, ends(id, result));
                    }
                }
            }
        }
        CallKind::Group => {
            for target in &targets {
                let callee = callee_of(script, &target["identity"]);
                if let Answer::After(delay) = callee.answer {
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
            if state == CallState::Established {
                call.established_at.get_or_insert(at);
            }
            if let Some(r) = result {
                call.resource["resultInfo"] = result_json(r);
            }
            if state == CallState::Terminated {
                call.closing = true;
            }
            vec![notifications::call_state(call, change)]
        }
        CallEvent::Roster { .. } => vec![roster(call)],
        CallEvent::Joins { participant, .. } => {
            call.participants.push(participant);
            // A group call is established by its first answer; the roster is sent for changes
            // after that moment (those at that very moment are part of the established call).
            if call.kind == CallKind::Group && call.state == CallState::Establishing {
                call.set_state(CallState::Established);
                call.established_at = Some(at);
                return vec![notifications::call_state(call, ChangeType::Updated)];
            }
            let joined_at_establishment =
                call.kind == CallKind::Group && call.established_at == Some(at);
            if bot_in_lobby(call) || joined_at_establishment {
                return Vec::new();
            }
            vec![roster(call)]
        }
        CallEvent::Leaves { who, .. } => {
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
            if call.state != CallState::Establishing {
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
            vec![notifications::operation(call, &operation)]
        }
        CallEvent::Tone { tone, .. } => {
            if !call.tone_subscribed {
                return Vec::new();
            }
            call.tones += 1;
            let tone_info = json!({
                "@odata.type": "#microsoft.graph.toneInfo",
                "sequenceId": call.tones,
                "tone": tone,
            });
            vec![notifications::call_with(
                call,
                ChangeType::Updated,
                "toneInfo",
                tone_info,
            )]
        }
    }
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
            .create(body.as_object().unwrap(), profile, &app, "http://g")
            .clone();
        c.participants = initial_roster(&c);
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
        plan_outgoing(&c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(states(&items), ["establishing", "terminated"]);
        assert_eq!(items[1]["changeType"], "deleted");
        assert_eq!(items[1]["resourceData"]["resultInfo"]["subcode"], 10057);
        assert_eq!(t.now(), Duration::from_secs(45));
    }

    #[test]
    fn group_targets_answer_on_their_own_and_the_first_establishes_the_call() {
        let mut c = call(json!({"targets": [user("alice"), user("bob"), user("carol")]}));
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_answer(Some("alice"), Answer::After(Duration::from_secs(3)));
        script.set_answer(Some("bob"), Answer::Declines);
        let mut t = Timeline::default();
        plan_outgoing(&c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        // carol answers at 1 s (the default) and establishes the call; alice joins at 3 s;
        // bob never answers; the ringing timeout is moot.
        assert_eq!(states(&items), ["establishing", "established", "roster3"]);
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
        plan_outgoing(&c, &script, Duration::from_secs(1), &mut t);
        let items = run(&mut c, &mut t);
        assert_eq!(
            states(&items),
            ["establishing", "established", "roster1", "roster3"]
        );
        assert_eq!(items[2]["resourceData"][0]["isInLobby"], true);
    }
}
