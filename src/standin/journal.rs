//! What a served stand-in remembers of its traffic, for `GET /_callspec/journal`: the API
//! requests it answered and the notification POSTs it made, each in a ring of bounded size (the
//! oldest go first), numbered so a client can page through them.
//!
//! Bodies are kept as compact JSON text, not as parsed values (a fraction of the memory), and a
//! body larger than [`BODY_LIMIT`] is kept as its beginning. Never a header, so never the
//! `Authorization` token; anything shaped like a JWT in a body is replaced by `<redacted>`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::hosting::Request;
use serde_json::{json, Map, Value};

use super::{Delivery, Shared};

/// How many requests, and how many notifications, a served stand-in keeps by default.
pub const DEFAULT_JOURNAL_SIZE: usize = 2_000;
/// How many entries one page of the journal holds at most (and by default).
pub const MAX_PAGE: usize = 1_000;
/// Bodies up to this size (as JSON text) are kept whole; larger ones as their beginning.
pub const BODY_LIMIT: usize = 4_096;

/// Numbers every entry of every journal in the process: a client pages with `after=<seq>`.
static SEQ: AtomicU64 = AtomicU64::new(0);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed) + 1
}

/// A ring of entries: at most `capacity` (none when `None`, for specs' stand-ins, whose steps
/// count every delivery), each with its sequence number.
#[derive(Debug)]
pub(super) struct Ring<T> {
    entries: VecDeque<(u64, T)>,
    capacity: Option<usize>,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring {
            entries: VecDeque::new(),
            capacity: None,
        }
    }
}

impl<T: Clone> Ring<T> {
    pub(super) fn with_capacity(capacity: Option<usize>) -> Self {
        Ring {
            entries: VecDeque::new(),
            capacity,
        }
    }

    pub(super) fn push(&mut self, entry: T) {
        if let Some(capacity) = self.capacity {
            if capacity == 0 {
                return;
            }
            while self.entries.len() >= capacity {
                self.entries.pop_front();
            }
        }
        self.entries.push_back((next_seq(), entry));
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, e)| e)
    }

    pub(super) fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }

    /// Forgets every entry and gives the memory back (a cleared `VecDeque` keeps its buffer).
    pub(super) fn clear(&mut self) {
        self.entries = VecDeque::new();
    }

    /// Entries numbered after `after`, at most `limit`.
    fn page(&self, after: u64, limit: usize) -> impl Iterator<Item = &(u64, T)> {
        let start = self.entries.partition_point(|(seq, _)| *seq <= after);
        self.entries.range(start..).take(limit)
    }
}

/// The notification POSTs a stand-in made.
pub(super) type DeliveryLog = Ring<Delivery>;

/// API requests the stand-in answered.
pub(super) type Journal = Ring<JournalEntry>;

/// One API request and its answer. Never a header (so never the `Authorization` token).
#[derive(Debug, Clone)]
pub(crate) struct JournalEntry {
    method: String,
    path: String,
    status: u16,
    request_body: Kept,
    response_body: Kept,
    /// Simulated time it was answered at.
    at: Duration,
}

impl JournalEntry {
    /// The request's part, before it is answered.
    pub(crate) fn begin(shared: &Shared, request: &Request) -> Self {
        JournalEntry {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            status: 0,
            request_body: Kept::of_bytes(&request.body),
            response_body: Kept::Null,
            at: shared.lock().timeline.now(),
        }
    }

    pub(crate) fn answered(&mut self, status: u16, body: Option<&Value>) {
        self.status = status;
        self.response_body = body.map(Kept::of_value).unwrap_or(Kept::Null);
    }

    pub(crate) fn record(self, shared: &Shared) {
        shared.lock().journal.push(self);
    }

    fn to_json(&self, seq: u64) -> Value {
        json!({
            "seq": seq,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "requestBody": self.request_body.to_json(),
            "responseBody": self.response_body.to_json(),
            "at": millis(self.at),
        })
    }
}

/// A body as the journal keeps it.
#[derive(Debug, Clone)]
enum Kept {
    Null,
    /// Compact JSON text, redacted.
    Json(Box<str>),
    /// Text that is not JSON, or the beginning of a body over the limit, redacted.
    Cut {
        text: Box<str>,
        bytes: usize,
    },
}

impl Kept {
    fn of_bytes(body: &[u8]) -> Kept {
        if body.is_empty() {
            return Kept::Null;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Kept::of_value(&v),
            Err(_) => Kept::cut(&String::from_utf8_lossy(body), body.len()),
        }
    }

    fn of_value(value: &Value) -> Kept {
        let text = redacted(value).to_string();
        if text.len() <= BODY_LIMIT {
            Kept::Json(text.into_boxed_str())
        } else {
            let bytes = text.len();
            Kept::cut(&text, bytes)
        }
    }

    fn cut(text: &str, bytes: usize) -> Kept {
        let mut end = text.len().min(BODY_LIMIT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Kept::Cut {
            text: redact_text(&text[..end]).into_boxed_str(),
            bytes,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Kept::Null => Value::Null,
            Kept::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Kept::Cut { text, bytes } if text.len() < *bytes => {
                Value::String(format!("{text}… ({bytes} bytes, cut at {BODY_LIMIT})"))
            }
            Kept::Cut { text, .. } => Value::String(text.to_string()),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `value` with every JWT-shaped string replaced by `<redacted>`.
pub(super) fn redacted(value: &Value) -> Value {
    match value {
        Value::String(s) if s.contains("eyJ") => Value::String(redact_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redacted(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn redact_text(text: &str) -> String {
    static JWT: OnceLock<regex::Regex> = OnceLock::new();
    let jwt = JWT.get_or_init(|| {
        regex::Regex::new(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?")
            .expect("a valid regex")
    });
    jwt.replace_all(text, "<redacted>").into_owned()
}

fn delivery_json(seq: u64, d: &Delivery) -> Value {
    let mut entry = json!({
        "seq": seq,
        "callId": d.call_id,
        "at": millis(d.at),
        "sentTo": d.sent_to,
    });
    match &d.outcome {
        Ok(status) => entry["status"] = json!(status),
        Err(why) => entry["error"] = json!(why),
    }
    // A notification is always shown whole, as an object: the delivery log holds it whole
    // anyway, and a reader walks its JSON whatever its size (a meeting roster passes 4 KB).
    entry["body"] = redacted(&d.body);
    entry
}

/// One page of the journal: the requests and notifications numbered after `after`, at most
/// `limit` in all, in the order they happened; `next` is the `after` of the next page (null
/// when this one reached the end).
pub(super) fn page(shared: &Shared, after: u64, limit: usize) -> Value {
    let state = shared.lock();
    page_of(&state.journal, &state.deliveries, after, limit)
}

fn page_of(journal: &Journal, deliveries: &DeliveryLog, after: u64, limit: usize) -> Value {
    let limit = limit.clamp(1, MAX_PAGE);
    // Both rings are in sequence order: merge them, one over the limit tells whether more follow.
    let mut requests = journal.page(after, limit + 1).peekable();
    let mut sent = deliveries.page(after, limit + 1).peekable();
    let (mut request_page, mut notification_page) = (Vec::new(), Vec::new());
    let mut last = None;
    let mut more = false;
    loop {
        let take_request = match (requests.peek(), sent.peek()) {
            (None, None) => break,
            (Some((a, _)), Some((b, _))) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if request_page.len() + notification_page.len() == limit {
            more = true;
            break;
        }
        if take_request {
            let (seq, entry) = requests.next().expect("peeked");
            request_page.push(entry.to_json(*seq));
            last = Some(*seq);
        } else {
            let (seq, delivery) = sent.next().expect("peeked");
            notification_page.push(delivery_json(*seq, delivery));
            last = Some(*seq);
        }
    }
    json!({
        "requests": request_page,
        "notifications": notification_page,
        "next": if more { last.map(Value::from) } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_keeps_the_newest_entries_in_order() {
        let mut ring = Ring::with_capacity(Some(3));
        for i in 0..10 {
            ring.push(i);
        }
        assert_eq!(ring.to_vec(), [7, 8, 9]);
        let seqs: Vec<u64> = ring.entries.iter().map(|(s, _)| *s).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let after_first: Vec<i32> = ring.page(seqs[0], 10).map(|(_, e)| *e).collect();
        assert_eq!(after_first, [8, 9]);
        ring.clear();
        assert_eq!(ring.len(), 0);
        let mut unbounded = Ring::default();
        for i in 0..10_000 {
            unbounded.push(i);
        }
        assert_eq!(unbounded.len(), 10_000);
    }

    #[test]
    fn pages_merge_requests_and_notifications_in_order_and_end_with_no_next() {
        let mut journal = Journal::default();
        let mut deliveries = DeliveryLog::default();
        let entry = |path: &str| JournalEntry {
            method: "POST".into(),
            path: path.into(),
            status: 201,
            request_body: Kept::Null,
            response_body: Kept::Null,
            at: Duration::ZERO,
        };
        let delivery = |id: &str| Delivery {
            call_id: id.into(),
            at: Duration::ZERO,
            callback_uri: "http://127.0.0.1:9/cb".into(),
            sent_to: "http://127.0.0.1:9/cb".into(),
            body: json!({}),
            outcome: Ok(202),
            elapsed: Duration::from_millis(3),
            token: Default::default(),
        };
        journal.push(entry("/1"));
        deliveries.push(delivery("a"));
        deliveries.push(delivery("b"));
        journal.push(entry("/2"));
        deliveries.push(delivery("c"));
        let mut order = Vec::new();
        let mut after = 0;
        let mut pages = 0;
        loop {
            let page = page_of(&journal, &deliveries, after, 2);
            pages += 1;
            let mut seqs: Vec<(u64, String)> = page["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["seq"].as_u64().unwrap(),
                        r["path"].as_str().unwrap().to_owned(),
                    )
                })
                .chain(page["notifications"].as_array().unwrap().iter().map(|n| {
                    (
                        n["seq"].as_u64().unwrap(),
                        n["callId"].as_str().unwrap().to_owned(),
                    )
                }))
                .collect();
            assert!(seqs.len() <= 2);
            seqs.sort();
            order.extend(seqs.into_iter().map(|(_, what)| what));
            match page["next"].as_u64() {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(order, ["/1", "a", "b", "/2", "c"]);
        assert_eq!(pages, 3);
        let whole = page_of(&journal, &deliveries, 0, MAX_PAGE);
        assert_eq!(whole["next"], Value::Null);
        assert_eq!(whole["requests"].as_array().unwrap().len(), 2);
        let past_the_end = page_of(&journal, &deliveries, u64::MAX, 5);
        assert_eq!(past_the_end["notifications"], json!([]));
    }

    #[test]
    fn big_bodies_are_cut_and_jwts_never_kept() {
        let body =
            json!({"a": ["Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", 3], "b": "eyJ"});
        let shown = Kept::of_value(&body).to_json().to_string();
        assert!(!shown.contains("eyJhbGci"), "{shown}");
        assert!(shown.contains("Bearer <redacted>"));
        assert_eq!(Kept::of_bytes(b"").to_json(), Value::Null);
        assert_eq!(
            Kept::of_bytes(b"x=eyJa.b.c").to_json(),
            json!("x=<redacted>")
        );
        assert_eq!(Kept::of_bytes(br#"{"k": 1}"#).to_json(), json!({"k": 1}));
        let subject = "é".repeat(30_000);
        let big = Kept::of_value(&json!({ "subject": subject }));
        let shown = big.to_json();
        let text = shown.as_str().expect("a cut body is text");
        assert!(text.len() < BODY_LIMIT + 100, "{}", text.len());
        assert!(text.ends_with("bytes, cut at 4096)"), "{text}");
    }

    #[test]
    fn a_notification_over_the_limit_is_still_an_object() {
        let roster: Vec<Value> = (0..200)
            .map(|i| json!({"id": format!("participant-{i}"), "token": "eyJa.b.c"}))
            .collect();
        let body = json!({"value": [{"resourceData": roster}]});
        assert!(body.to_string().len() > BODY_LIMIT);
        let delivery = Delivery {
            call_id: "c".into(),
            at: Duration::ZERO,
            callback_uri: "http://bot".into(),
            sent_to: "http://bot".into(),
            body,
            outcome: Ok(202),
            elapsed: Duration::ZERO,
            token: crate::standin::NotificationToken::Valid,
        };
        let shown = delivery_json(1, &delivery);
        let items = shown["body"]["value"][0]["resourceData"]
            .as_array()
            .unwrap();
        assert_eq!(items.len(), 200);
        assert_eq!(items[199]["token"], "<redacted>");
    }
}
