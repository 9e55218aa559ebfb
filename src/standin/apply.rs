//! Where an event of the timeline meets its call: media and recording events go to their
//! operations, the call's own (state, roster, tones, timeouts) to the lifecycle. It sits above
//! both, so the lifecycle need not call up into the operations.

use std::time::Duration;

use serde_json::Value;

use super::calls::{CallRecord, CallState};
use super::event::CallEvent;
use super::lifecycle;
use super::media;
use super::recording;

/// Applies `event` to `call` at simulated time `at`: the notifications the bot gets for it.
pub fn fire(call: &mut CallRecord, event: CallEvent, at: Duration) -> Vec<Value> {
    if call.state == CallState::Terminated {
        return Vec::new();
    }
    match event {
        CallEvent::Media { event, .. } => media::fire(call, event, at),
        CallEvent::RecordingDeadline { .. } => match recording::deadline(call) {
            Some(end) => lifecycle::fire(call, end, at),
            None => Vec::new(),
        },
        CallEvent::Tone { tone, .. } => {
            // A recording listening for this key stops first.
            let mut out = media::tone_pressed(call, &tone, at);
            out.extend(lifecycle::tone_pressed(call, tone));
            out
        }
        other => lifecycle::fire(call, other, at),
    }
}
