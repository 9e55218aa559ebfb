//! Real-time delivery, for a served stand-in (`callspec serve`): no harness moves the simulated
//! clock, so a driver follows the wall clock, scaled, and sends each notification at its due
//! time. It sleeps until the next event is due, until something new is scheduled (the
//! router and the stand-in signal [`Shared::wake`]) or until a delivery finishes; it never
//! polls.
//!
//! Each callback URL has its own queue: a POST to one callback waits only for the POSTs to the
//! same callback before it (so a call's notifications keep their order), never for a slow or
//! silent callback elsewhere. The driver also forgets ended calls past their retention.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt as _};
use tokio::time::Instant;

use super::{Delivery, Outgoing, Shared, StandIn, State};

/// How many notifications may wait for one callback while another POST to it is under way;
/// beyond that they are recorded as failed deliveries, unsent (a callback that never answers
/// must not fill the memory).
pub(super) const MAX_BACKLOG: usize = 1_000;
/// How often (wall time) the driver looks for ended calls to forget.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

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
    /// [`State::sync_clock`], under the lock.
    pub(super) fn sync_clock(&self) {
        self.lock().sync_clock();
    }
}

impl State {
    /// With a real-time driver running, moves the simulated clock up to the wall clock's reading,
    /// so that what is scheduled now is due relative to now. Without one it does nothing.
    pub(super) fn sync_clock(&mut self) {
        if let Some(clock) = self.clock {
            self.timeline.advance_to(clock.sim_now());
        }
    }
}

/// How far ahead (simulated) the next event may be for a notification held back by out-of-order
/// delivery to wait for it, with a real-time driver: `establishing` waits for the `established`
/// due a second later, an incoming call's `created` does not wait for its 15 s answer timeout.
const OUT_OF_ORDER_WAIT: Duration = Duration::from_secs(2);

impl State {
    /// With a real-time driver and out-of-order delivery, whether a held-back notification keeps
    /// waiting, in wall time, for the next one (due by `now` plus [`OUT_OF_ORDER_WAIT`]) rather
    /// than going out now that nothing else is due. Without a driver it never waits: the
    /// harness's clock swaps only what is due at the same moment.
    pub(super) fn out_of_order_waits(&self, now: Duration) -> bool {
        if self.clock.is_none() {
            return false;
        }
        self.timeline
            .next_due()
            .is_some_and(|due| due <= now.saturating_add(OUT_OF_ORDER_WAIT))
    }
}

/// A POST under way; it yields the callback it was for.
type InFlight<'s> = Pin<Box<dyn Future<Output = String> + Send + 's>>;

/// Ended calls the driver has seen, and since when (simulated).
#[derive(Debug, Default)]
struct Ended(HashMap<String, Duration>);

impl Shared {
    /// Forgets the calls that ended `retention` or longer before `now`. A call is seen as ended
    /// at the first sweep after its end, so it is kept between `retention` and `retention` plus
    /// one sweep.
    fn evict_ended(&self, ended: &mut Ended, now: Duration, retention: Duration) {
        let mut state = self.lock();
        let registry = &mut state.registry;
        for id in registry.ended() {
            if !ended.0.contains_key(id) {
                ended.0.insert(id.to_owned(), now);
            }
        }
        ended.0.retain(|id, since| {
            let expired = now.saturating_sub(*since) >= retention;
            if expired {
                registry.remove(id);
            }
            // A reset forgot it already.
            !expired && registry.get(id).is_some()
        });
    }

    /// Records a notification that was not sent because its callback is too far behind.
    fn record_unsent(&self, out: Outgoing, at: Duration) {
        let mut state = self.lock();
        let token = state.quirks.token;
        state.deliveries.push(Delivery {
            call_id: out.call_id,
            at,
            sent_to: out.callback_uri.clone(),
            callback_uri: out.callback_uri,
            body: out.body,
            outcome: Err(format!(
                "not sent: {MAX_BACKLOG} notifications were already waiting for this callback"
            )),
            elapsed: Duration::ZERO,
            token,
        });
        drop(state);
        self.recorded.send_modify(|n| *n += 1);
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
        self.shared.lock().clock = Some(clock);
        let retention = self.shared.config.retention;
        let mut ended = Ended::default();
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut in_flight: FuturesUnordered<InFlight<'_>> = FuturesUnordered::new();
        // Per callback with a POST under way: what waits behind it, in order, with the reset
        // epoch it was due in (a reset drops what was waiting).
        let mut waiting: HashMap<String, VecDeque<(Outgoing, Duration, u64)>> = HashMap::new();
        let epoch = || self.shared.epoch.load(std::sync::atomic::Ordering::SeqCst);
        let send = |out: Outgoing, at: Duration| -> InFlight<'_> {
            Box::pin(async move {
                let callback = out.callback_uri.clone();
                self.shared.post(out, at).await;
                callback
            })
        };
        loop {
            // Registered before looking at the timeline: a schedule after the look wakes it (and
            // `notify_one` keeps a permit when nobody waits), so no wake-up is lost.
            let wake = self.shared.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            self.shared.sync_clock();
            let now = clock.sim_now();
            loop {
                let due = self.shared.due_outgoing(now);
                if due.is_empty() {
                    break;
                }
                for (out, at) in due {
                    match waiting.get_mut(&out.callback_uri) {
                        Some(queue) if queue.len() >= MAX_BACKLOG => {
                            self.shared.record_unsent(out, at)
                        }
                        Some(queue) => queue.push_back((out, at, epoch())),
                        None => {
                            waiting.insert(out.callback_uri.clone(), VecDeque::new());
                            in_flight.push(send(out, at));
                        }
                    }
                }
            }
            let next = self.next_due();
            if next.is_some_and(|due| due <= clock.sim_now()) {
                continue;
            }
            let until_due = async {
                match next {
                    Some(due) => tokio::time::sleep_until(clock.wall_at(due)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(callback) = in_flight.next(), if !in_flight.is_empty() => {
                    let current = epoch();
                    let queue = waiting.entry(callback.clone()).or_default();
                    queue.retain(|(_, _, due_in)| *due_in == current);
                    match queue.pop_front() {
                        Some((out, at, _)) => in_flight.push(send(out, at)),
                        None => {
                            waiting.remove(&callback);
                        }
                    }
                }
                _ = until_due => {}
                _ = &mut wake => {}
                _ = sweep.tick(), if retention.is_some() => {
                    if let Some(retention) = retention {
                        self.shared.evict_ended(&mut ended, clock.sim_now(), retention);
                    }
                }
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

    #[tokio::test]
    async fn ended_calls_are_forgotten_after_their_retention_and_live_ones_kept() {
        let standin = StandIn::start(super::super::StandInConfig::default()).await;
        let app = standin.shared.config.app.clone();
        let caller = serde_json::json!({"user": {"id": "u", "displayName": "U"}});
        let ending = standin.incoming_call(caller.clone(), "http://127.0.0.1:9/cb", &app);
        let ending = ending["id"].as_str().unwrap().to_owned();
        let live = standin.incoming_call(caller, "http://127.0.0.1:9/cb", &app);
        let live = live["id"].as_str().unwrap().to_owned();
        let shared = &standin.shared;
        shared
            .lock()
            .registry
            .get_mut(&ending)
            .unwrap()
            .set_state(super::super::CallState::Terminated);
        let retention = Duration::from_secs(60);
        let mut ended = Ended::default();
        let t0 = Duration::from_secs(100);
        shared.evict_ended(&mut ended, t0, retention);
        shared.evict_ended(&mut ended, t0 + Duration::from_secs(59), retention);
        assert_eq!(standin.call_count(), 2, "kept within its retention");
        assert_eq!(ended.0.len(), 1);
        shared.evict_ended(&mut ended, t0 + retention, retention);
        assert_eq!(standin.call_state(&ending), None, "forgotten after it");
        assert!(standin.call_state(&live).is_some(), "a live call is kept");
        assert!(ended.0.is_empty(), "nothing remembered of a forgotten call");
    }

    #[tokio::test]
    async fn a_silent_callback_holds_at_most_its_backlog_the_rest_is_recorded_unsent() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let callback = format!("http://{}/callback", silent.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut kept = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                kept.push(socket);
            }
        });
        let standin =
            std::sync::Arc::new(StandIn::start(super::super::StandInConfig::default()).await);
        let driving = standin.clone();
        // Real time: the calls' next events (their 15 s answer window) stay far off.
        let driver = tokio::spawn(async move { driving.run_realtime(1.0).await });
        let app = standin.shared.config.app.clone();
        let caller = serde_json::json!({"user": {"id": "u", "displayName": "U"}});
        // One POST under way, MAX_BACKLOG waiting behind it, and two more.
        for _ in 0..MAX_BACKLOG + 3 {
            standin.incoming_call(caller.clone(), &callback, &app);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        assert!(standin.wait_for_deliveries(2, deadline).await);
        let unsent: Vec<_> = standin
            .deliveries()
            .into_iter()
            .filter(|d| d.outcome.as_ref().is_err_and(|e| e.starts_with("not sent")))
            .collect();
        assert_eq!(unsent.len(), 2, "{unsent:?}");
        driver.abort();
        held.abort();
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
