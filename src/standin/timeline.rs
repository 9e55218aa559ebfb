//! Simulated time: what the Graph side will do, and when, in virtual milliseconds.
//!
//! Nothing here waits. The harness moves the clock forward when it waits for notifications, so
//! "the callee answers after 30 seconds" costs no wall time and the order of events is exactly
//! the order their simulated times give (ties keep the order they were scheduled in).

use std::collections::BTreeMap;
use std::time::Duration;

use super::event::CallEvent;

/// The longest duration a spec, a script or a remote action may name (365 days): anything
/// longer is a typo, and sums of such values would overflow the simulated clock.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The queue of scheduled events and the simulated clock.
#[derive(Debug, Default)]
pub struct Timeline {
    now: Duration,
    seq: u64,
    queue: BTreeMap<(Duration, u64), CallEvent>,
}

impl Timeline {
    /// Simulated time since the stand-in started.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Schedules `event` to happen `after` the current simulated time.
    pub fn schedule(&mut self, after: Duration, event: CallEvent) {
        self.seq += 1;
        // Saturating: a far-future event is simply never due, it must not panic a request.
        self.queue
            .insert((self.now.saturating_add(after), self.seq), event);
    }

    /// When the next event is due, if any.
    pub fn next_due(&self) -> Option<Duration> {
        self.queue.keys().next().map(|(due, _)| *due)
    }

    /// Takes the next event if it is due at or before `limit`, moving the clock to its time.
    pub fn pop_due(&mut self, limit: Duration) -> Option<(Duration, CallEvent)> {
        let (&(due, seq), _) = self.queue.iter().next()?;
        if due > limit {
            return None;
        }
        let event = self.queue.remove(&(due, seq))?;
        self.now = self.now.max(due);
        Some((due, event))
    }

    /// Moves the clock forward to `t` (never backwards).
    pub fn advance_to(&mut self, t: Duration) {
        self.now = self.now.max(t);
    }

    /// Drops the future events of `call_id` (the call ends another way). Events already due
    /// have happened as far as the bot's action is concerned: they are still delivered first.
    pub fn cancel_call(&mut self, call_id: &str) {
        let now = self.now;
        self.queue
            .retain(|(due, _), event| event.call_id() != call_id || *due <= now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(id: &str) -> CallEvent {
        CallEvent::Roster { call_id: id.into() }
    }

    #[test]
    fn events_come_out_in_time_order_and_ties_in_schedule_order() {
        let mut t = Timeline::default();
        t.schedule(Duration::from_secs(30), roster("late"));
        t.schedule(Duration::ZERO, roster("first"));
        t.schedule(Duration::ZERO, roster("second"));
        let limit = Duration::from_secs(60);
        let order: Vec<_> = std::iter::from_fn(|| t.pop_due(limit))
            .map(|(_, e)| e.call_id().to_owned())
            .collect();
        assert_eq!(order, ["first", "second", "late"]);
        assert_eq!(t.now(), Duration::from_secs(30));
    }

    #[test]
    fn scheduling_at_the_end_of_time_saturates_instead_of_panicking() {
        let mut t = Timeline::default();
        t.advance_to(Duration::from_secs(10));
        t.schedule(Duration::MAX, roster("never"));
        assert_eq!(t.next_due(), Some(Duration::MAX));
        assert!(t.pop_due(Duration::from_secs(3600)).is_none());
    }

    #[test]
    fn events_beyond_the_limit_wait_and_cancel_drops_a_calls_events() {
        let mut t = Timeline::default();
        t.schedule(Duration::from_secs(5), roster("a"));
        t.schedule(Duration::from_secs(5), roster("b"));
        assert!(t.pop_due(Duration::from_secs(4)).is_none());
        assert_eq!(t.now(), Duration::ZERO);
        t.schedule(Duration::ZERO, roster("a"));
        t.cancel_call("a");
        assert_eq!(
            t.next_due(),
            Some(Duration::ZERO),
            "events due now are kept"
        );
        assert_eq!(t.pop_due(Duration::ZERO).unwrap().1, roster("a"));
        assert_eq!(t.next_due(), Some(Duration::from_secs(5)));
        assert_eq!(t.pop_due(Duration::from_secs(5)).unwrap().1, roster("b"));
        assert_eq!(t.next_due(), None);
        assert_eq!(t.now(), Duration::from_secs(5));
        t.advance_to(Duration::from_secs(7));
        t.advance_to(Duration::from_secs(6));
        assert_eq!(t.now(), Duration::from_secs(7), "the clock never goes back");
    }
}
