//! What the Graph side does to a call at a simulated time: what the lifecycle plans, the
//! timeline schedules and the stand-in carries out. Its own module so that the lifecycle and
//! the timeline do not import each other.

use serde_json::Value;

use super::calls::{CallState, Participant};
use super::notifications::ChangeType;
use super::script::ResultInfo;

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
    /// Media: a prompt or recording ends, someone shares a screen (media.rs).
    Media {
        call_id: String,
        event: super::state::MediaEvent,
    },
    /// A strict recording policy's deadline: the call ends unless the bot reported recording.
    RecordingDeadline { call_id: String },
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
            | CallEvent::Tone { call_id, .. }
            | CallEvent::Media { call_id, .. }
            | CallEvent::RecordingDeadline { call_id } => call_id,
        }
    }
}
