//! Steps that make Graph or the bot's callback misbehave: throttling, server errors, late
//! answers, a rate limit, failing or unreachable callbacks, forged or expired notification
//! tokens.

use std::time::Duration;

use anyhow::{bail, Result};
use callspec::auth::NotificationToken;
use callspec::graph::{Fault, Hold, NotificationKind, RateLimit, NOTIFIED_STATES};
use cucumber::{given, then};

use crate::support::{count, duration};
use crate::world::CallWorld;

/// "the next request" (no count) or "the next N requests".
fn times(text: &str) -> Result<u64> {
    if text.is_empty() {
        return Ok(1);
    }
    count(text, "requests")
}

/// `Given Graph throttles the next request with Retry-After 3` (or `the next 2 requests`):
/// 429 `TooManyRequests` with that `Retry-After`. Also as an HTTP date: `with Retry-After "Tue,
/// 08 Dec 2026 04:00:00 GMT"`, or `with Retry-After 2 seconds from now as a date`.
#[given(regex = r"^Graph throttles the next (?:request|(\S+) requests) with Retry-After (.+)$")]
fn throttles(world: &mut CallWorld, count: String, retry_after: String) -> Result<()> {
    let fault = throttle(&retry_after)?;
    world.standin()?.inject(fault, times(&count)?);
    Ok(())
}

/// The calling actions a bot POSTs on a call, by Graph's names.
const ACTIONS: [&str; 16] = [
    "answer",
    "reject",
    "redirect",
    "playPrompt",
    "recordResponse",
    "subscribeToTone",
    "transfer",
    "keepAlive",
    "mute",
    "unmute",
    "updateRecordingStatus",
    "cancelMediaProcessing",
    "changeScreenSharingRole",
    "sendDtmfTones",
    "addLargeGalleryView",
    "startHoldMusic",
];

/// `Given Graph throttles the bot's next playPrompt` (any action on a call, plain or
/// `microsoft.graph.`-qualified; optionally `with Retry-After 2`, default 1, or a date as for
/// the next request): 429 for that one request, whatever comes before it.
#[given(regex = r"^Graph throttles the bot's next (\S+?)(?: with Retry-After (.+))?$")]
fn throttles_action(world: &mut CallWorld, action: String, retry_after: String) -> Result<()> {
    let plain = action.strip_prefix("microsoft.graph.").unwrap_or(&action);
    let Some(known) = ACTIONS.iter().find(|a| a.eq_ignore_ascii_case(plain)) else {
        let closest = ACTIONS
            .iter()
            .max_by(|a, b| {
                let score =
                    |x: &str| strsim::jaro_winkler(&x.to_lowercase(), &plain.to_lowercase());
                score(a).total_cmp(&score(b))
            })
            .copied()
            .unwrap_or("playPrompt");
        bail!(
            "\"{action}\" is not an action on a call: did you mean \"{closest}\"? (one of {})",
            ACTIONS.join(", ")
        );
    };
    let fault = if retry_after.is_empty() {
        Fault::Throttle { retry_after: 1 }
    } else {
        throttle(&retry_after)?
    };
    world.standin()?.inject_for(known, fault);
    Ok(())
}

/// A `Retry-After` as a step gives it: seconds (`3`), an HTTP date in quotes, or `2 seconds
/// from now as a date`.
fn throttle(text: &str) -> Result<Fault> {
    let max = callspec::graph::MAX_DURATION.as_secs();
    let in_range = |secs: u64| Duration::from_secs(secs) <= callspec::graph::MAX_DURATION;
    if let Some(date) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return match httpdate::parse_http_date(date) {
            Ok(at) => Ok(Fault::ThrottleUntil(at)),
            Err(_) => bail!(
                "Retry-After \"{date}\" is not an HTTP date: write it as Graph's `Date` header \
                 does, e.g. \"Tue, 08 Dec 2026 04:00:00 GMT\""
            ),
        };
    }
    let dated = regex::Regex::new(r"^(\d+) seconds? from now as a date$").expect("valid regex");
    if let Some(secs) = dated.captures(text).and_then(|c| c[1].parse::<u64>().ok()) {
        if in_range(secs) {
            return Ok(Fault::ThrottleDateIn { seconds: secs });
        }
    }
    match text.parse::<u64>() {
        Ok(secs) if in_range(secs) => Ok(Fault::Throttle { retry_after: secs }),
        _ => bail!(
            "Retry-After \"{text}\" is not one: use a whole number of seconds from 0 to {max}, \
             an HTTP date in quotes (\"Tue, 08 Dec 2026 04:00:00 GMT\"), or `2 seconds from now \
             as a date`"
        ),
    }
}

/// `Given Graph answers the next request with 503` (or `500`; or `the next 2 requests`).
#[given(regex = r"^Graph answers the next (?:request|(\S+) requests) with (\S+)$")]
fn server_error(world: &mut CallWorld, count: String, status: String) -> Result<()> {
    let status = match status.as_str() {
        "500" => 500,
        "503" => 503,
        other => bail!(
            "Graph's server errors are 500 or 503, not \"{other}\" (for 429 use `Graph throttles \
             the next request with Retry-After 3`)"
        ),
    };
    let fault = Fault::ServerError { status };
    world.standin()?.inject(fault, times(&count)?);
    Ok(())
}

/// `Given Graph answers the next request 300 ms late`: wall time, as an HTTP answer can only
/// be late in real time.
#[given(regex = r"^Graph answers the next (?:request|(\S+) requests) (\S+?) ?([a-z]+) late$")]
fn late(world: &mut CallWorld, count: String, amount: String, unit: String) -> Result<()> {
    let delay = duration(&amount, &unit)?;
    if delay > Duration::from_secs(10) {
        bail!("a late answer is real wall time: keep it under 10 seconds");
    }
    world.standin()?.inject(Fault::Late(delay), times(&count)?);
    Ok(())
}

/// `Given Graph limits the app to 3 requests per 10 seconds` (Graph's own limit for calls is
/// 5000 per 10 seconds); requests over it get 429 with the `Retry-After` that frees a slot. At
/// least 1 request, in a window longer than 0.
#[given(regex = r"^Graph limits the app to (\S+) requests? per (\S+?) ?([a-z]+)$")]
fn rate_limit(world: &mut CallWorld, requests: String, amount: String, unit: String) -> Result<()> {
    let requests = match requests.parse::<u32>() {
        Ok(n) if n > 0 => n,
        _ => bail!(
            "a rate limit of \"{requests}\" requests is not one: use a whole number from 1 to {} \
             (0 would refuse everything; to lift the limit, leave the step out)",
            u32::MAX
        ),
    };
    let window = duration(&amount, &unit)?;
    if window.is_zero() {
        bail!("a rate limit needs a window longer than 0: \"per {amount} {unit}\"");
    }
    let limit = RateLimit { requests, window };
    world.standin()?.set_rate_limit(Some(limit));
    Ok(())
}

/// `Given the bot's callback answers 500`: the bot fails every notification (it is not
/// received); the stand-in records the failed deliveries. Any HTTP status from 200 to 599.
#[given(regex = r"^the bot's callback answers (\S+)$")]
fn callback_fails(world: &mut CallWorld, status: String) -> Result<()> {
    let status = match status.parse::<u16>() {
        Ok(code @ 200..=599) => code,
        _ => bail!(
            "the callback cannot answer \"{status}\": use an HTTP status from 200 to 599, \
             e.g. 500"
        ),
    };
    world.inbox_log()?.fail_with(Some(status));
    Ok(())
}

/// `Given the bot's callback cannot be reached`: notifications go nowhere; the stand-in
/// records the failed deliveries.
#[given("the bot's callback cannot be reached")]
fn callback_unreachable(world: &mut CallWorld) -> Result<()> {
    world
        .standin()?
        .update_delivery(|q| q.callback_unreachable = true);
    Ok(())
}

/// A call state a notification can name, or a "did you mean".
fn notified_state(state: &str) -> Result<&'static str> {
    if let Some(known) = NOTIFIED_STATES.iter().find(|s| **s == state) {
        return Ok(known);
    }
    let closest = NOTIFIED_STATES
        .iter()
        .max_by(|a, b| strsim::jaro_winkler(a, state).total_cmp(&strsim::jaro_winkler(b, state)))
        .copied()
        .unwrap_or("established");
    bail!(
        "\"{state}\" is not a call state: did you mean \"{closest}\"? (one of {})",
        NOTIFIED_STATES.join(", ")
    )
}

/// `Given the stand-in delivers "established" before "establishing"`: the call's first
/// `establishing` notification is held back until its `established` one has been delivered and
/// answered (wall time with a bot under test), then sent; any two states.
#[given(regex = r#"^the stand-in delivers "([^"]+)" before "([^"]+)"$"#)]
fn delivers_before(world: &mut CallWorld, first: String, then: String) -> Result<()> {
    let (first, then) = (notified_state(&first)?, notified_state(&then)?);
    if first == then {
        bail!("\"{first}\" cannot come before itself: name two states");
    }
    let hold = Hold {
        held: NotificationKind::State(then),
        until: NotificationKind::State(first),
    };
    world.standin()?.update_delivery(|q| q.hold = Some(hold));
    Ok(())
}

/// `Given the stand-in delivers the key press after the hang-up`: the next tone notification is
/// held back until the call's end (`terminated`, or `deleted`) has been delivered and answered.
#[given("the stand-in delivers the key press after the hang-up")]
fn key_press_after_hang_up(world: &mut CallWorld) -> Result<()> {
    let hold = Hold {
        held: NotificationKind::Tone,
        until: NotificationKind::HangUp,
    };
    world.standin()?.update_delivery(|q| q.hold = Some(hold));
    Ok(())
}

/// `Given the stand-in delivers the next notification twice`: the next one alone is repeated.
#[given("the stand-in delivers the next notification twice")]
fn next_twice(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_delivery(|q| q.next_twice = true);
    Ok(())
}

/// `Given the stand-in signs notifications with a forged key` / `with an expired token`: for
/// bots that must refuse such notifications.
#[given(regex = r"^the stand-in signs notifications with (a forged key|an expired token)$")]
async fn bad_tokens(world: &mut CallWorld, which: String) -> Result<()> {
    let token = if which.contains("forged") {
        // The forger's RSA key is made on a blocking thread, not on the task running every
        // scenario.
        tokio::task::spawn_blocking(callspec::auth::SigningKey::forger).await?;
        NotificationToken::Forged
    } else {
        NotificationToken::Expired
    };
    world.standin()?.update_delivery(|q| q.token = token);
    Ok(())
}

/// `Then the stand-in recorded 2 failed deliveries`: notification POSTs the bot did not accept
/// (a non-2xx answer, or no answer at all).
#[then(regex = r"^the stand-in recorded (\d+) failed deliver(?:y|ies)$")]
fn failed_deliveries(world: &mut CallWorld, expected: usize) -> Result<()> {
    let deliveries = world.standin()?.deliveries();
    let failed: Vec<String> = deliveries
        .iter()
        .filter(|d| !matches!(d.outcome, Ok(200..=299)))
        .map(|d| match &d.outcome {
            Ok(status) => format!("  POST {} answered {status}", d.sent_to),
            Err(e) => format!("  POST {} failed: {e}", d.sent_to),
        })
        .collect();
    if failed.len() != expected {
        bail!(
            "expected {expected} failed deliveries, the stand-in recorded {} (of {} deliveries):\n{}",
            failed.len(),
            deliveries.len(),
            if failed.is_empty() { "  (none)".to_owned() } else { failed.join("\n") }
        );
    }
    Ok(())
}

/// `Then the response took at least 300 ms`.
#[then(regex = r"^the response took at least (\S+?) ?([a-z]+)$")]
fn took(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let floor = duration(&amount, &unit)?;
    let elapsed = world.response()?.elapsed;
    if elapsed < floor {
        bail!(
            "the response took {} ms, expected at least {} ms",
            elapsed.as_millis(),
            floor.as_millis()
        );
    }
    Ok(())
}
