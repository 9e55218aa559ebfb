//! Faults the stand-in injects into its answers: throttling, server errors, late answers, and
//! an optional rate limit, so specs can assert how a bot copes.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

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
    /// 429 `TooManyRequests` with `Retry-After` as an HTTP date (RFC 9110 10.2.3's other form):
    /// this fixed date.
    ThrottleUntil(SystemTime),
    /// 429 `TooManyRequests` with `Retry-After` as an HTTP date this many seconds after the
    /// answer, rounded up to the next whole second (a date has no fractions), so a bot that
    /// honours it waits at least that long.
    ThrottleDateIn { seconds: u64 },
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
            Fault::ThrottleUntil(at) => Some(throttled(httpdate::fmt_http_date(at))),
            Fault::ThrottleDateIn { seconds } => {
                let now = SystemTime::now();
                let since = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                // The next whole second at or after now + seconds.
                let whole = since.as_secs() + seconds + u64::from(since.subsec_nanos() > 0);
                let at = SystemTime::UNIX_EPOCH + Duration::from_secs(whole);
                Some(throttled(httpdate::fmt_http_date(at)))
            }
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

/// Graph's throttling answer with this `Retry-After`.
fn throttled(retry_after: String) -> GraphError {
    GraphError::new(429, "TooManyRequests", "Too many requests.")
        .with_header("Retry-After", retry_after)
}

/// The calling action a request's path names (`playPrompt` for
/// `.../calls/ID/microsoft.graph.playPrompt`), for a POST on a call; `None` otherwise.
pub fn action_of<'p>(method: &str, path: &'p str) -> Option<&'p str> {
    if method != "POST" {
        return None;
    }
    let (calls, action) = path.trim_end_matches('/').rsplit_once('/')?;
    // `.../calls/{id}/{action}`: the segment before the id is `calls`.
    let (rest, _id) = calls.rsplit_once('/')?;
    if !rest.ends_with("/calls") {
        return None;
    }
    Some(action.strip_prefix("microsoft.graph.").unwrap_or(action))
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
    /// Faults for the next request naming one calling action (`playPrompt`), each once, before
    /// the untargeted ones.
    targeted: VecDeque<(String, Fault)>,
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

    /// The next POST of `action` (Graph's name, e.g. `playPrompt`; matched in any letter case,
    /// plain or `microsoft.graph.`-qualified) gets `fault`.
    pub fn push_for(&mut self, action: &str, fault: Fault) {
        self.targeted.push_back((action.to_owned(), fault));
    }

    /// The fault for `method path` arriving `now`: one targeted at its action first, then
    /// [`Faults::for_request`].
    pub fn for_request_to(&mut self, now: Instant, method: &str, path: &str) -> Option<Fault> {
        if let Some(action) = action_of(method, path) {
            let at = self
                .targeted
                .iter()
                .position(|(a, _)| a.eq_ignore_ascii_case(action));
            if let Some((_, fault)) = at.and_then(|i| self.targeted.remove(i)) {
                return Some(fault);
            }
        }
        self.for_request(now)
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
    fn a_targeted_fault_waits_for_its_action_in_either_name_form() {
        let mut f = Faults::default();
        let fault = Fault::Throttle { retry_after: 2 };
        f.push_for("playPrompt", fault);
        let now = Instant::now();
        let call = "/v1.0/communications/calls/c1";
        assert_eq!(
            f.for_request_to(now, "POST", &format!("{call}/answer")),
            None
        );
        assert_eq!(f.for_request_to(now, "DELETE", call), None);
        let qualified = format!("{call}/microsoft.graph.playPrompt");
        assert_eq!(f.for_request_to(now, "POST", &qualified), Some(fault));
        assert_eq!(f.for_request_to(now, "POST", &qualified), None, "once");
        assert_eq!(
            action_of("POST", "/beta/app/calls/x/PlayPrompt"),
            Some("PlayPrompt")
        );
        assert_eq!(action_of("POST", "/v1.0/communications/calls"), None);
    }

    #[test]
    fn a_date_retry_after_is_an_http_date_at_least_that_far_off() {
        let before = SystemTime::now();
        let e = Fault::ThrottleDateIn { seconds: 2 }.error().unwrap();
        let (_, value) = &e.headers[0];
        let at = httpdate::parse_http_date(value).unwrap();
        let ahead = at.duration_since(before).unwrap();
        assert!(
            ahead >= Duration::from_secs(2) && ahead <= Duration::from_secs(3),
            "{value}"
        );
        let fixed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let e = Fault::ThrottleUntil(fixed).error().unwrap();
        assert_eq!(e.headers[0].1, "Fri, 15 Jan 2027 08:00:00 GMT");
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
