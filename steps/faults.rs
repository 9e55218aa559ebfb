//! Steps that make Graph or the bot's callback misbehave: throttling, server errors, late
//! answers, a rate limit, failing or unreachable callbacks, forged or expired notification
//! tokens.

use std::time::Duration;

use anyhow::{bail, Result};
use callspec::{Fault, NotificationToken, RateLimit};
use cucumber::{given, then};

use crate::support::duration;
use crate::world::CallWorld;

fn times(count: &str) -> Result<usize> {
    Ok(if count.is_empty() { 1 } else { count.parse()? })
}

/// `Given Graph throttles the next request with Retry-After 3` (or `the next 2 requests`):
/// 429 `TooManyRequests` with that `Retry-After`.
#[given(regex = r"^Graph throttles the next (?:request|(\d+) requests) with Retry-After (\d+)$")]
fn throttles(world: &mut CallWorld, count: String, retry_after: String) -> Result<()> {
    let fault = Fault::Throttle {
        retry_after: retry_after.parse()?,
    };
    world.standin()?.inject(fault, times(&count)?);
    Ok(())
}

/// `Given Graph answers the next request with 503` (or `500`; or `the next 2 requests`).
#[given(regex = r"^Graph answers the next (?:request|(\d+) requests) with (500|503)$")]
fn server_error(world: &mut CallWorld, count: String, status: String) -> Result<()> {
    let fault = Fault::ServerError {
        status: status.parse()?,
    };
    world.standin()?.inject(fault, times(&count)?);
    Ok(())
}

/// `Given Graph answers the next request 300 ms late`: wall time, as an HTTP answer can only
/// be late in real time.
#[given(
    regex = r"^Graph answers the next (?:request|(\d+) requests) (\d+) ?(ms|milliseconds?|s|seconds?) late$"
)]
fn late(world: &mut CallWorld, count: String, amount: String, unit: String) -> Result<()> {
    let delay = duration(amount.parse()?, &unit)?;
    if delay > Duration::from_secs(10) {
        bail!("a late answer is real wall time: keep it under 10 seconds");
    }
    world.standin()?.inject(Fault::Late(delay), times(&count)?);
    Ok(())
}

/// `Given Graph limits the app to 3 requests per 10 seconds` (Graph's own limit for calls is
/// 5000 per 10 seconds); requests over it get 429 with the `Retry-After` that frees a slot.
#[given(
    regex = r"^Graph limits the app to (\d+) requests? per (\d+) ?(ms|milliseconds?|s|seconds?|minutes?|hours?)$"
)]
fn rate_limit(world: &mut CallWorld, requests: String, amount: String, unit: String) -> Result<()> {
    let limit = RateLimit {
        requests: requests.parse()?,
        window: duration(amount.parse()?, &unit)?,
    };
    world.standin()?.set_rate_limit(Some(limit));
    Ok(())
}

/// `Given the bot's callback answers 500`: the bot fails every notification (it is not
/// received); the stand-in records the failed deliveries.
#[given(regex = r"^the bot's callback answers (\d{3})$")]
fn callback_fails(world: &mut CallWorld, status: String) -> Result<()> {
    world.inbox_log()?.fail_with(Some(status.parse()?));
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

/// `Given the stand-in signs notifications with a forged key` / `with an expired token`: for
/// bots that must refuse such notifications.
#[given(regex = r"^the stand-in signs notifications with (a forged key|an expired token)$")]
async fn bad_tokens(world: &mut CallWorld, which: String) -> Result<()> {
    let token = if which.contains("forged") {
        // The forger's RSA key is made on a blocking thread, not on the task running every
        // scenario.
        tokio::task::spawn_blocking(callspec::SigningKey::forger).await?;
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
#[then(regex = r"^the response took at least (\d+) ?(ms|milliseconds?|s|seconds?)$")]
fn took(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let floor = duration(amount.parse()?, &unit)?;
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
