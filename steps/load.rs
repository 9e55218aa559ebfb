//! Steps for a burst of callers against a bot under test: many incoming calls in a few seconds,
//! then how fast the bot answered them (every one within a limit, or a percentile under one).
//! The distribution (count, p50, p90, p99, max) goes under the step in the console and in the
//! HTML report, and into the failure message when a check fails.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use cucumber::{gherkin::Step, then, when};
use serde_json::json;
use tokio::time::Instant;

use crate::bot::ANSWER_LIMIT;
use crate::support::duration;
use crate::world::CallWorld;

/// The most callers one step may start: more is a soak test, not a spec.
const MAX_CALLERS: usize = 1_000;

/// The calls of a burst, in the order they came in.
#[derive(Debug)]
pub struct Burst {
    /// Each call's id, and when it came in (after the scenario's link on the gateway was
    /// made, the clock of the bot's requests).
    calls: Vec<(String, Duration)>,
    /// When the link was made, as an instant: a call's deadline is `attached + came + limit`.
    attached: Instant,
}

/// Notes a passed step leaves for the reports, which see cucumber's events only (a passed
/// step's event carries no World): by feature file and step line, first in first out. The
/// runner's record takes each once (`run::record`), for the console and the HTML report alike.
type Notes = Mutex<HashMap<(PathBuf, usize), VecDeque<String>>>;

fn notes() -> &'static Notes {
    static NOTES: OnceLock<Notes> = OnceLock::new();
    NOTES.get_or_init(Notes::default)
}

/// The note the step at `line` of `feature` left, to show under it.
pub fn take_note(feature: &Path, line: usize) -> Option<String> {
    let mut notes = notes().lock().unwrap_or_else(|e| e.into_inner());
    let key = (feature.to_path_buf(), line);
    let queue = notes.get_mut(&key)?;
    let note = queue.pop_front();
    if queue.is_empty() {
        notes.remove(&key);
    }
    note
}

fn leave_note(world: &CallWorld, step: &Step, note: String) {
    let feature = world.feature.clone().unwrap_or_default();
    let mut notes = notes().lock().unwrap_or_else(|e| e.into_inner());
    notes
        .entry((feature, step.position.line))
        .or_default()
        .push_back(note);
}

/// `When 50 callers call the bot within 10 seconds`: that many incoming calls from different
/// phone numbers, evenly spread over the time given (the first at once); the step ends when the
/// last one came in. The calls are the scenario's; none becomes its current call.
#[when(regex = r"^(\d+) callers call the bot within (\S+?) ?([a-z]+)$")]
async fn burst(world: &mut CallWorld, count: String, amount: String, unit: String) -> Result<()> {
    let count: usize = count
        .parse()
        .map_err(|_| anyhow!("{count} is not a number of callers"))?;
    if !(1..=MAX_CALLERS).contains(&count) {
        bail!("{count} callers: give 1 to {MAX_CALLERS}");
    }
    let window = world.wall(duration(&amount, &unit)?);
    let callback = world.callback_uri()?;
    let attached = Instant::now() - world.bot()?.link.age();
    let start = Instant::now();
    let mut calls = Vec::with_capacity(count);
    for i in 0..count {
        // Arrivals on a schedule (not a poll): call i at i/count of the window.
        tokio::time::sleep_until(start + window.mul_f64(i as f64 / count as f64)).await;
        let number = format!("+1555{:07}", i + 1);
        let identity = json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "phone": { "@odata.type": "#microsoft.graph.identity", "id": number },
        });
        let call = world
            .standin()?
            .incoming_call(identity, &callback, &world.app);
        let id = call["id"]
            .as_str()
            .ok_or_else(|| anyhow!("the stand-in made a call without an id"))?
            .to_owned();
        let bot = world.bot()?;
        bot.link.own_call(&id);
        calls.push((id, bot.link.age()));
    }
    world.burst = Some(Burst { calls, attached });
    Ok(())
}

/// Each call's answer time (from its coming in to the bot's accepted answer), `None` for a call
/// not answered by its deadline (`limit` after it came in). Waits, woken by each request the bot
/// makes, until every call is answered or its deadline has passed, or the bot exits.
async fn answer_times(world: &CallWorld, limit: Duration) -> Result<Vec<Option<Duration>>> {
    let burst = world.burst.as_ref().ok_or_else(|| {
        anyhow!("there is no burst of calls yet: \"When 50 callers call the bot within 10 seconds\" must come first")
    })?;
    let bot = world.bot()?;
    let last = burst.calls.last().map_or(Duration::ZERO, |(_, came)| *came);
    let until = (burst.attached + last + limit).min(world.deadline);
    let mut exited = bot.run.exited.clone();
    loop {
        let requests = bot.link.requests();
        let mut answered: HashMap<&str, Duration> = HashMap::new();
        for r in &requests {
            let Some(call) = answered_call(&r.method, &r.path) else {
                continue;
            };
            if (200..300).contains(&r.status) {
                answered.entry(call).or_insert(r.at);
            }
        }
        let times: Vec<Option<Duration>> = burst
            .calls
            .iter()
            .map(|(id, came)| {
                answered
                    .get(id.as_str())
                    .map(|at| at.saturating_sub(*came))
                    .filter(|took| *took <= limit)
            })
            .collect();
        let pending = burst.calls.iter().zip(&times).any(|((_, came), time)| {
            time.is_none() && burst.attached + *came + limit > Instant::now()
        });
        if !pending || exited.borrow().is_some() {
            return Ok(times);
        }
        tokio::select! {
            more = bot.link.wait_requests(requests.len() + 1, until) => if !more {
                return Ok(times);
            },
            _ = exited.changed() => {}
        }
    }
}

/// The call id of `POST .../communications/calls/{id}/answer`.
fn answered_call<'a>(method: &str, path: &'a str) -> Option<&'a str> {
    if method != "POST" {
        return None;
    }
    let rest = path.strip_suffix("/answer")?;
    let (before, id) = rest.rsplit_once('/')?;
    before.ends_with("/calls").then_some(id)
}

/// The nearest-rank percentile `p` (0 to 100) of sorted `times`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// `50 calls: p50 0.041 s, p90 0.060 s, p99 0.112 s, max 0.112 s` (and how many were not
/// answered in time).
fn distribution(times: &[Option<Duration>], limit: Duration) -> String {
    let mut answered: Vec<Duration> = times.iter().flatten().copied().collect();
    answered.sort_unstable();
    let missing = times.len() - answered.len();
    let mut text = format!("{} calls", times.len());
    if !answered.is_empty() {
        let s = |d: Duration| format!("{:.3} s", d.as_secs_f64());
        text.push_str(&format!(
            ": answer time p50 {}, p90 {}, p99 {}, max {}",
            s(percentile(&answered, 50.0)),
            s(percentile(&answered, 90.0)),
            s(percentile(&answered, 99.0)),
            s(*answered.last().unwrap_or(&Duration::ZERO)),
        ));
    }
    if missing > 0 {
        text.push_str(&format!(
            "; {missing} not answered within {:.1} s",
            limit.as_secs_f64()
        ));
    }
    text
}

/// The calls not answered in time, by number, up to ten.
fn late_calls(burst: &Burst, times: &[Option<Duration>]) -> String {
    let late: Vec<String> = burst
        .calls
        .iter()
        .zip(times)
        .enumerate()
        .filter(|(_, (_, time))| time.is_none())
        .map(|(i, ((id, came), _))| {
            format!(
                "  call {} (came in at +{:.2} s): {id}",
                i + 1,
                came.as_secs_f64()
            )
        })
        .collect();
    let shown = late.iter().take(10).cloned().collect::<Vec<_>>().join("\n");
    if late.len() > 10 {
        format!("{shown}\n  … and {} more", late.len() - 10)
    } else {
        shown
    }
}

fn exit_note(world: &CallWorld) -> String {
    world
        .bot()
        .ok()
        .and_then(|bot| bot.run.exited.borrow().as_ref().map(|e| format!("\n{e}")))
        .unwrap_or_default()
}

/// `Then the bot answered every call within 2 seconds`: each call of the burst was answered
/// (an accepted `POST .../answer`) within that long of coming in.
#[then(regex = r"^the bot answered every call within (\S+?) ?([a-z]+)$")]
async fn answered_every_call(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    step: &Step,
) -> Result<()> {
    let limit = world.wall(duration(&amount, &unit)?);
    let times = answer_times(world, limit).await?;
    let shown = distribution(&times, limit);
    let late = times.iter().filter(|t| t.is_none()).count();
    if late > 0 {
        let burst = world
            .burst
            .as_ref()
            .ok_or_else(|| anyhow!("the burst is gone"))?;
        bail!(
            "the bot did not answer {late} of {} calls within {:.1} s\n{shown}\nnot answered in \
             time:\n{}{}",
            times.len(),
            limit.as_secs_f64(),
            late_calls(burst, &times),
            exit_note(world)
        );
    }
    leave_note(world, step, shown);
    Ok(())
}

/// `Then the bot's 99th-percentile answer time is under 1 second` (any percentile, e.g.
/// `90th`): over the burst's calls, a call not answered within Graph's 15 seconds counting as
/// slower than any.
#[then(
    regex = r"^the bot's (\d+)(?:st|nd|rd|th)-percentile answer time is under (\S+?) ?([a-z]+)$"
)]
async fn percentile_under(
    world: &mut CallWorld,
    p: String,
    amount: String,
    unit: String,
    step: &Step,
) -> Result<()> {
    let p: u8 = p.parse().map_err(|_| anyhow!("{p} is not a percentile"))?;
    if !(1..=100).contains(&p) {
        bail!("the {p}th percentile: give 1 to 100");
    }
    let bound = world.wall(duration(&amount, &unit)?);
    let limit = world.wall(ANSWER_LIMIT);
    let times = answer_times(world, limit).await?;
    let shown = distribution(&times, limit);
    // Unanswered calls sort last, as slower than any answer.
    let mut sorted: Vec<Duration> = times.iter().map(|t| t.unwrap_or(Duration::MAX)).collect();
    sorted.sort_unstable();
    let value = percentile(&sorted, f64::from(p));
    if value >= bound {
        let value = if value == Duration::MAX {
            format!("over {:.0} s (calls not answered)", limit.as_secs_f64())
        } else {
            format!("{:.3} s", value.as_secs_f64())
        };
        bail!(
            "the bot's {p}th-percentile answer time is {value}, not under {:.3} s\n{shown}{}",
            bound.as_secs_f64(),
            exit_note(world)
        );
    }
    leave_note(world, step, shown);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let fifty: Vec<Duration> = (1..=50).map(Duration::from_millis).collect();
        assert_eq!(percentile(&fifty, 50.0), Duration::from_millis(25));
        assert_eq!(percentile(&fifty, 90.0), Duration::from_millis(45));
        assert_eq!(percentile(&fifty, 99.0), Duration::from_millis(50));
        assert_eq!(percentile(&ms(&[7]), 1.0), Duration::from_millis(7));
        let text = distribution(
            &[Some(Duration::from_millis(40)), None],
            Duration::from_secs(2),
        );
        assert_eq!(
            text,
            "2 calls: answer time p50 0.040 s, p90 0.040 s, p99 0.040 s, max 0.040 s; 1 not \
             answered within 2.0 s"
        );
    }

    #[test]
    fn answer_paths() {
        assert_eq!(
            answered_call("POST", "/v1.0/communications/calls/abc/answer"),
            Some("abc")
        );
        assert_eq!(
            answered_call("POST", "/v1.0/app/calls/abc/answer"),
            Some("abc")
        );
        assert_eq!(
            answered_call("GET", "/v1.0/communications/calls/abc/answer"),
            None
        );
        assert_eq!(
            answered_call("POST", "/v1.0/communications/calls/abc/reject"),
            None
        );
    }
}
