//! The per-call state the operations keep in a [`CallRecord`](super::calls::CallRecord):
//! plain data at the bottom of the stand-in's layers, so the call registry can hold it without
//! importing the operations (media, surface, recording) that fill it in.

use std::time::Duration;

use serde_json::Value;

/// What a call keeps for the operations of this module. Lives in [`CallRecord::extras`].
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Every operation the bot was handed, in its latest state (`GET operations/{id}`).
    pub operations: Vec<Value>,
    /// Media operations (playPrompt, recordResponse) not finished yet, in queue order.
    pub media: Vec<Running>,
    /// Simulated time the media queue is free: a new prompt or recording starts then.
    pub media_free_at: Duration,
    /// What the other side says when it is recorded.
    pub voice: Voice,
    /// Recordings made, for download.
    pub recordings: Vec<Recording>,
    /// The participant on hold (Graph holds one at a time).
    pub on_hold: Option<String>,
    /// Audio routing groups, as created or updated.
    pub audio_routing_groups: Vec<Value>,
    /// Content sharing sessions (someone shares a screen).
    pub content_sharing: Vec<Value>,
}

impl Extras {
    /// Keeps `op` as the latest state of its operation.
    pub fn remember(&mut self, op: &Value) {
        let Some(id) = op["id"].as_str() else { return };
        match self
            .operations
            .iter_mut()
            .find(|o| o["id"].as_str() == Some(id))
        {
            Some(kept) => {
                if let (Some(kept), Some(new)) = (kept.as_object_mut(), op.as_object()) {
                    for (k, v) in new {
                        kept.insert(k.clone(), v.clone());
                    }
                }
            }
            None => self.operations.push(op.clone()),
        }
    }
}

/// The recording side of a call Teams invited the bot to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyRecording {
    /// The recording policy is strict: the recorded user's call is cancelled when the bot
    /// does not join, or does not record (`RequiredBeforeCallEstablishment`,
    /// `RequiredDuringCall` set to true, their default).
    pub strict: bool,
    /// Every status the bot reported, in order.
    pub reported: Vec<String>,
    /// The bot answered the invite (its call may still be `incoming` until Graph moves it on).
    pub answered: bool,
}

/// What the other side does while it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// Speaks from simulated time `from` for `length`, then is silent.
    Speaks { from: Duration, length: Duration },
    /// Says nothing.
    Silent,
}

impl Default for Voice {
    /// A caller who leaves a three-second message as soon as they may.
    fn default() -> Self {
        Voice::Speaks {
            from: Duration::ZERO,
            length: Duration::from_secs(3),
        }
    }
}

/// A media operation not finished yet.
#[derive(Debug, Clone)]
pub struct Running {
    /// The operation as the bot was handed it.
    pub op: Value,
    /// Set for a recording: how it records.
    pub record: Option<RecordPlan>,
}

/// How a recording runs (recordResponse's parameters, call-record.md).
#[derive(Debug, Clone)]
pub struct RecordPlan {
    /// Simulated time it starts listening (after the queue and its prompt).
    pub starts_at: Duration,
    pub initial_silence: Duration,
    pub max_silence: Duration,
    pub max_duration: Duration,
    /// Tone names (`pound`, `tone1`, ...) that end it.
    pub stop_tones: Vec<String>,
    /// Where the recording will be served, and its access token.
    pub location: String,
    pub token: String,
    /// Bumped when the plan changes (the voice did): finishes of older plans are ignored.
    pub generation: u32,
}

/// A recording a bot may download.
#[derive(Debug, Clone)]
pub struct Recording {
    pub id: String,
    pub token: String,
    pub length: Duration,
    /// When, from its start, the other side spoke.
    pub speech: Option<(Duration, Duration)>,
}

/// Something that happens to a call's media at a simulated time.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A prompt or recording reaches its planned end (ignored if it was cancelled, stopped, or
    /// re-planned since: `plan`).
    Finish { op_id: String, plan: u32 },
    /// Someone starts sharing their screen.
    SharesScreen { who: String },
    /// Someone stops sharing their screen.
    StopsSharingScreen { who: String },
    /// A content sharing session started (`created`) or, when not `started`, ended (`deleted`): the
    /// bot is told when the call asked for it (`isContentSharingNotificationEnabled`).
    SharingNotice { session: Value, started: bool },
}

/// The keys an invite's `created` item adds to an incoming call's.
pub const INVITE_KEYS: [&str; 5] = [
    "incomingContext",
    "chatInfo",
    "meetingInfo",
    "tenantId",
    "applicationMetadata",
];
