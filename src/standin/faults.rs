//! Faults the stand-in injects into its answers: throttling, server errors, late answers, and
//! an optional rate limit, so specs can assert how a bot copes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::GraphError;

/// Graph's calling limit: 5000 requests per 10 seconds per app.
pub const GRAPH_RATE_LIMIT: RateLimit = RateLimit {
    requests: 5000,
    window: Duration::from_secs(10),
};

/// What the stand-in does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `TooManyRequests` with `Retry-After` seconds.
    Throttle { retry_after: u64 },
    /// 500 `generalException`, or 503 `serviceNotAvailable` (with `Retry-After`).
    ServerError { status: u16 },
    /// Answers normally, this much wall time later (an HTTP answer cannot be late in simulated
    /// time).
    Late(Duration),
}

impl Fault {
    /// The error this fault answers with, if it replaces the answer.
    pub fn error(self) -> Option<GraphError> {
        match self {
            Fault::Throttle { retry_after } => Some(
                GraphError::new(429, "TooManyRequests", "Too many requests.")
                    .with_header("Retry-After", retry_after.to_string()),
            ),
            Fault::ServerError { status: 503 } => Some(
                GraphError::new(
                    503,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable. You may repeat the request after a delay, which may be specified in a Retry-After header.",
                )
                .with_header("Retry-After", "1"),
            ),
            Fault::ServerError { status } => Some(GraphError::new(
                status,
                "generalException",
                "An unspecified error has occurred.",
            )),
            Fault::Late(_) => None,
        }
    }
}

/// At most `requests` per sliding `window` (wall time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

/// The faults waiting for the next requests, and the rate limit.
#[derive(Debug, Default)]
pub struct Faults {
    /// Runs of one fault and how many requests it still has: "the next 10^12 requests" is one
    /// entry, not 10^12.
    queue: VecDeque<(Fault, u64)>,
    limit: Option<RateLimit>,
    recent: VecDeque<Instant>,
}

impl Faults {
    /// The next `times` requests get `fault`, after any already queued.
    pub fn push(&mut self, fault: Fault, times: u64) {
        if times == 0 {
            return;
        }
        match self.queue.back_mut() {
            Some((last, count)) if *last == fault => *count = count.saturating_add(times),
            _ => self.queue.push_back((fault, times)),
        }
    }

    pub fn set_rate_limit(&mut self, limit: Option<RateLimit>) {
        self.limit = limit;
        self.recent.clear();
    }

    /// The fault for a request arriving `now`: a queued one first, else the rate limit's 429.
    pub fn for_request(&mut self, now: Instant) -> Option<Fault> {
        if let Some((fault, count)) = self.queue.front_mut() {
            let fault = *fault;
            *count -= 1;
            if *count == 0 {
                self.queue.pop_front();
            }
            return Some(fault);
        }
        let limit = self.limit?;
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= limit.requests as usize {
            let oldest = *self.recent.front()?;
            let wait = limit.window.saturating_sub(now.duration_since(oldest));
            return Some(Fault::Throttle {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        self.recent.push_back(now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_first_and_in_order() {
        let mut f = Faults::default();
        f.push(Fault::Throttle { retry_after: 3 }, 2);
        f.push(Fault::ServerError { status: 503 }, 1);
        let now = Instant::now();
        assert_eq!(f.for_request(now), Some(Fault::Throttle { retry_after: 3 }));
        assert_eq!(f.for_request(now), Some(Fault::Throttle { retry_after: 3 }));
        let e = f.for_request(now).and_then(Fault::error).unwrap();
        assert_eq!((e.status, e.code.as_str()), (503, "serviceNotAvailable"));
        assert_eq!(f.for_request(now), None);
    }

    #[test]
    fn a_huge_count_is_one_entry_and_counts_down() {
        let mut f = Faults::default();
        let fault = Fault::ServerError { status: 500 };
        f.push(fault, 1_000_000_000_000);
        f.push(fault, u64::MAX);
        f.push(Fault::Late(Duration::from_millis(1)), 0);
        assert_eq!(f.queue.len(), 1);
        assert_eq!(f.queue[0].1, u64::MAX, "counts saturate");
        let now = Instant::now();
        assert_eq!(f.for_request(now), Some(fault));
        assert_eq!(f.queue[0].1, u64::MAX - 1);
        let mut g = Faults::default();
        g.push(fault, 2);
        assert_eq!(g.for_request(now), Some(fault));
        assert_eq!(g.for_request(now), Some(fault));
        assert_eq!(g.for_request(now), None);
    }

    #[test]
    fn the_rate_limit_throttles_within_the_window_and_lets_through_after() {
        let mut f = Faults::default();
        f.set_rate_limit(Some(RateLimit {
            requests: 2,
            window: Duration::from_secs(10),
        }));
        let t0 = Instant::now();
        assert_eq!(f.for_request(t0), None);
        assert_eq!(f.for_request(t0 + Duration::from_secs(1)), None);
        let throttled = f.for_request(t0 + Duration::from_secs(4));
        assert_eq!(throttled, Some(Fault::Throttle { retry_after: 6 }));
        let e = throttled.and_then(Fault::error).unwrap();
        assert_eq!(e.headers, vec![("Retry-After".to_owned(), "6".to_owned())]);
        assert_eq!(f.for_request(t0 + Duration::from_secs(10)), None);
    }
}
