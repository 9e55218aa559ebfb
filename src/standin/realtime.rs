//! Real-time delivery, for a served stand-in (`callspec serve`): no harness moves the simulated
//! clock, so a driver follows the wall clock, scaled, and sends each notification at its due
//! time. It sleeps until the next event is due or until something new is scheduled (the
//! router and the stand-in signal [`Shared::wake`]); it never polls.

use std::time::Duration;

use tokio::time::Instant;

use super::{lock, Shared, StandIn};

/// How simulated time follows the wall clock: `scale` wall seconds per simulated second.
#[derive(Debug, Clone, Copy)]
pub(super) struct RealClock {
    /// Wall time at which the simulated clock read `origin`.
    started: Instant,
    origin: Duration,
    scale: f64,
}

/// A wall instant so far away it stands for "never" (a sleep that only a wake-up ends).
const FAR: Duration = Duration::from_secs(365 * 24 * 3600);

impl RealClock {
    fn new(origin: Duration, scale: f64) -> Self {
        RealClock {
            started: Instant::now(),
            origin,
            scale,
        }
    }

    /// Simulated time now.
    fn sim_now(&self) -> Duration {
        let elapsed = self.started.elapsed().as_secs_f64() / self.scale;
        let elapsed = Duration::try_from_secs_f64(elapsed).unwrap_or(FAR);
        self.origin.saturating_add(elapsed)
    }

    /// The wall instant at which simulated time reaches `sim`.
    fn wall_at(&self, sim: Duration) -> Instant {
        let ahead = sim.saturating_sub(self.origin).as_secs_f64() * self.scale;
        let ahead = Duration::try_from_secs_f64(ahead).unwrap_or(FAR).min(FAR);
        self.started + ahead
    }
}

/// Whether `time_scale` is one a driver can run at (positive and finite).
fn valid_scale(time_scale: f64) -> bool {
    time_scale.is_finite() && time_scale > 0.0
}

impl Shared {
    /// With a real-time driver running, moves the simulated clock up to the wall clock's reading,
    /// so that what is scheduled now is due relative to now. Without one it does nothing.
    pub(super) fn sync_clock(&self) {
        let clock = *lock(&self.clock);
        if let Some(clock) = clock {
            lock(&self.timeline).advance_to(clock.sim_now());
        }
    }
}

impl StandIn {
    /// Delivers the timeline's events at their due times, simulated time running at
    /// `1 / time_scale` times the wall clock (`0.1`: a 60 s ringing timeout takes 6 s). Runs until
    /// the task is dropped; start it once per stand-in. A `time_scale` that is not positive and
    /// finite is taken as 1.
    pub async fn run_realtime(&self, time_scale: f64) {
        let scale = if valid_scale(time_scale) {
            time_scale
        } else {
            1.0
        };
        let clock = RealClock::new(self.now(), scale);
        *lock(&self.shared.clock) = Some(clock);
        loop {
            // Registered before looking at the timeline: a schedule after the look wakes it (and
            // `notify_one` keeps a permit when nobody waits), so no wake-up is lost.
            let wake = self.shared.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            self.shared.sync_clock();
            let now = clock.sim_now();
            while !self.deliver_next(now).await.is_empty() {}
            match self.next_due() {
                Some(due) if due <= clock.sim_now() => continue,
                Some(due) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(clock.wall_at(due)) => {}
                        _ = &mut wake => {}
                    }
                }
                None => wake.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_maps_simulated_time_to_scaled_wall_time() {
        let clock = RealClock::new(Duration::from_secs(10), 0.01);
        let at = clock.wall_at(Duration::from_secs(70));
        let wall = at.duration_since(clock.started);
        assert_eq!(wall, Duration::from_millis(600));
        assert_eq!(clock.wall_at(Duration::from_secs(5)), clock.started);
        assert!(clock.sim_now() >= Duration::from_secs(10));
        let huge = RealClock::new(Duration::ZERO, 1e300);
        assert!(huge.wall_at(Duration::from_secs(1)) > huge.started);
        let tiny = RealClock::new(Duration::ZERO, 1e-300);
        assert!(tiny.sim_now() >= Duration::ZERO);
    }

    #[tokio::test]
    async fn what_is_scheduled_after_an_idle_spell_is_due_from_the_wall_clocks_now() {
        let standin =
            std::sync::Arc::new(StandIn::start(super::super::StandInConfig::default()).await);
        let driving = standin.clone();
        let driver = tokio::spawn(async move { driving.run_realtime(0.01).await });
        // 100 ms idle at 0.01 is 10 simulated seconds the timeline has not seen.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let app = standin.shared.config.app.clone();
        let caller = serde_json::json!({"user": {"id": "u", "displayName": "U"}});
        standin.incoming_call(caller, "http://127.0.0.1:9/callback", &app);
        // Its `created` notification is due now: at 10 s, not at the timeline's stale 0.
        let due = standin
            .next_due()
            .expect("the created notification is scheduled");
        assert!(due >= Duration::from_secs(10), "due at {due:?}");
        driver.abort();
    }

    #[test]
    fn only_positive_finite_scales_are_valid() {
        assert!(valid_scale(0.1));
        assert!(valid_scale(1.0));
        assert!(!valid_scale(0.0));
        assert!(!valid_scale(-1.0));
        assert!(!valid_scale(f64::NAN));
        assert!(!valid_scale(f64::INFINITY));
    }
}
