//! Steps that check the notifications the bot receives at its callback.

use std::time::Duration;

use anyhow::{bail, Result};
use callspec::matching::sequence::{self, Expected};
use callspec::{check, MatchMode, Received};
use cucumber::{gherkin::Step, then};
use serde_json::Value;

use crate::support::{
    arrival_column, docstring, document, duration, fields_from_table, text, AT_COLUMN,
};
use crate::world::{CallWorld, DEFAULT_NOTIFICATION_WAIT};

/// One line per notification, numbered from `first` (the call's notification count so far).
fn listing(items: &[Received], first: usize) -> String {
    if items.is_empty() {
        return "  (none)".to_owned();
    }
    items
        .iter()
        .enumerate()
        .map(|(i, r)| format!("  {}. {}", first + i + 1, r.summary()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Like [`listing`], with each notification's arrival time when the stand-in knows it
/// (mock mode: simulated time since the scenario's stand-in started).
fn timed_listing(world: &CallWorld, items: &[Received], first: usize) -> String {
    if items.is_empty() {
        return "  (none)".to_owned();
    }
    // Each item sent, with its time; a received item takes the first equal one not yet taken.
    let mut sent: Vec<(Duration, Value, bool)> = world
        .standin()
        .map(|standin| standin.deliveries())
        .unwrap_or_default()
        .into_iter()
        .flat_map(|d| {
            let items = match d.body["value"].as_array() {
                Some(items) => items.clone(),
                None => vec![d.body.clone()],
            };
            items.into_iter().map(move |item| (d.at, item, false))
        })
        .collect();
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = sent
                .iter_mut()
                .find(|(_, item, taken)| !*taken && *item == *r.item())
                .map(|(at, _, taken)| {
                    *taken = true;
                    format!("{} ", callspec::html::format_at(*at))
                })
                .unwrap_or_default();
            format!("  {}. {at}{}", first + i + 1, r.summary())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Deliveries the bot did not accept, for failure messages (known in mock mode).
fn failed_deliveries(world: &CallWorld) -> String {
    let Ok(standin) = world.standin() else {
        return String::new();
    };
    let failed: Vec<String> = standin
        .deliveries()
        .into_iter()
        .filter(|d| !matches!(d.outcome, Ok(200..=299)))
        .map(|d| match d.outcome {
            Ok(status) => format!("  POST {} answered {status}", d.sent_to),
            Err(e) => format!("  POST {} failed: {e}", d.sent_to),
        })
        .collect();
    if failed.is_empty() {
        String::new()
    } else {
        format!(
            "\ndeliveries the bot did not accept:\n{}",
            failed.join("\n")
        )
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn values(items: &[Received]) -> Vec<&Value> {
    items.iter().map(Received::item).collect()
}

async fn expect_in_order(
    world: &mut CallWorld,
    patterns: Vec<Expected>,
    times: Option<Vec<Option<Duration>>>,
    window: Duration,
) -> Result<()> {
    let times = times.unwrap_or_default();
    let call = world.call_id.clone();
    let start = world.cursor();
    let need = start + patterns.len();
    let arrived = world.wait_for(|a| a.len() >= need, window).await?;
    let fresh = &arrived[start.min(arrived.len())..];
    let whose = call
        .as_deref()
        .map(|id| format!(" for call {id}"))
        .unwrap_or_default();
    if fresh.len() < patterns.len() {
        bail!(
            "expected {} notification{}{whose}, {} arrived within {} ms ({}); arrived:\n{}{}",
            patterns.len(),
            if patterns.len() == 1 { "" } else { "s" },
            fresh.len(),
            ms(window),
            world.clock(),
            listing(fresh, start),
            failed_deliveries(world)
        );
    }
    let items = values(fresh);
    if let Err(failure) = sequence::in_order(&patterns, &items, start) {
        bail!(
            "{}\narrived in this order ({}):\n{}",
            failure.message(&patterns, &items, start),
            world.clock(),
            timed_listing(world, fresh, start)
        );
    }
    check_arrival_times(world, &times, &fresh[..patterns.len()], start)?;
    world.set_cursor(need);
    Ok(())
}

/// The `at` column: each row's notification arrived that long after the create (mock mode).
fn check_arrival_times(
    world: &CallWorld,
    times: &[Option<Duration>],
    items: &[Received],
    first: usize,
) -> Result<()> {
    if times.iter().all(Option::is_none) {
        return Ok(());
    }
    if world.mock_env().is_none() {
        bail!(
            "the `at` column's arrival times are simulated: this step runs in mock mode only \
             with it (tag the scenario @mock-only to skip it in live runs)"
        );
    }
    let created = created_at(world)?;
    for (i, (want, got)) in times.iter().zip(items).enumerate() {
        let Some(want) = want else { continue };
        let arrived = sent_at(world, got)?.saturating_sub(created);
        if arrived != *want {
            bail!(
                "notification {} ({}) arrived +{} after the create, the table's `at` says +{} \
                 (simulated time); arrived, with times after the create:\n{}",
                first + i + 1,
                got.summary(),
                offset(arrived),
                offset(*want),
                arrival_listing(world, &world.received()?, created)
            );
        }
    }
    Ok(())
}

/// Refuses an `at` column where arrival times are not checked.
fn refuse_at_column(step: &Step, form: &str) -> Result<()> {
    let has_at = step
        .table
        .as_ref()
        .and_then(|t| t.rows.first())
        .is_some_and(|h| h.iter().any(|c| c.trim() == AT_COLUMN));
    if has_at {
        bail!(
            "an `at` column (arrival time) only works in \"the bot receives notifications in \
             order:\"; {form} does not check times"
        );
    }
    Ok(())
}

/// Expectations from a table (rows of path checks) or a docstring (a YAML list of patterns).
fn expectations(world: &CallWorld, step: &Step) -> Result<Vec<Expected>> {
    if step.table.is_some() {
        return Ok(fields_from_table(world, step)?
            .into_iter()
            .map(Expected::Fields)
            .collect());
    }
    Ok(match docstring(world, step)? {
        Value::Array(list) => list.into_iter().map(Expected::Pattern).collect(),
        other => vec![Expected::Pattern(other)],
    })
}

/// `Then the bot receives notifications in any order:` with a table or a docstring list: the
/// next notifications of the call match these, one each, in whatever order they arrived.
#[then(regex = r"^the bot receives notifications in any order(?: within (\S+?) ?([a-z]+))?:$")]
async fn any_order(world: &mut CallWorld, step: &Step, amount: String, unit: String) -> Result<()> {
    refuse_at_column(step, "\"in any order\"")?;
    let window = wait_of(&amount, &unit)?;
    let expected = expectations(world, step)?;
    let start = world.cursor();
    let need = start + expected.len();
    let arrived = world.wait_for(|a| a.len() >= need, window).await?;
    let fresh = &arrived[start.min(arrived.len())..];
    if fresh.len() < expected.len() {
        bail!(
            "expected {} notifications (in any order), {} arrived within {} ms ({}); arrived:\n{}{}",
            expected.len(),
            fresh.len(),
            ms(window),
            world.clock(),
            listing(fresh, start),
            failed_deliveries(world)
        );
    }
    let batch = &fresh[..expected.len()];
    if let Err(unmatched) = sequence::any_order(&expected, &values(batch)) {
        bail!(
            "the next {} notifications do not match in any order:\n{}\narrived:\n{}",
            expected.len(),
            unmatched.message(|i| batch[i].summary()),
            listing(batch, start)
        );
    }
    world.set_cursor(need);
    Ok(())
}

/// `Then the bot's notifications eventually include:` with a table or a docstring list: each
/// expectation matches some notification of the call, at any position (duplicates and
/// reordering allowed), waiting for them if needed. Everything that arrived counts as seen.
#[then(regex = r"^the bot's notifications eventually include(?: within (\S+?) ?([a-z]+))?:$")]
async fn eventually(
    world: &mut CallWorld,
    step: &Step,
    amount: String,
    unit: String,
) -> Result<()> {
    refuse_at_column(step, "\"eventually include\"")?;
    let window = wait_of(&amount, &unit)?;
    let expected = expectations(world, step)?;
    let all_found = |items: &[Received]| sequence::all_included(&expected, &values(items));
    let arrived = world.wait_for(all_found, window).await?;
    if let Err(unmatched) = sequence::eventually(&expected, &values(&arrived)) {
        bail!(
            "within {} ms ({}) the notifications never included:\n{}\narrived:\n{}{}",
            ms(window),
            world.clock(),
            unmatched.message(|i| arrived[i].summary()),
            listing(&arrived, 0),
            failed_deliveries(world)
        );
    }
    world.set_cursor(arrived.len());
    Ok(())
}

/// The optional `within N unit` of a step (cucumber passes an unmatched group as "").
fn wait_of(amount: &str, unit: &str) -> Result<Duration> {
    if amount.is_empty() {
        return Ok(DEFAULT_NOTIFICATION_WAIT);
    }
    duration(amount, unit)
}

/// `Then the bot receives notifications in order:` with a table whose header row names paths
/// into each notification (and an optional `at` column: each one's arrival time after the
/// create, `+60 s`, in simulated time), or a docstring with a YAML list of notification
/// patterns. Optionally `... in order within 2 seconds:`.
#[then(regex = r"^the bot receives notifications in order(?: within (\S+?) ?([a-z]+))?:$")]
async fn in_order(world: &mut CallWorld, step: &Step, amount: String, unit: String) -> Result<()> {
    let window = wait_of(&amount, &unit)?;
    let patterns = expectations(world, step)?;
    let times = arrival_column(step)?;
    expect_in_order(world, patterns, times, window).await
}

/// `Then the bot receives notifications in order from "notifications/v1/meeting-join.yaml"`.
#[then(
    regex = r#"^the bot receives notifications in order from "([^"]+)"(?: within (\S+?) ?([a-z]+))?$"#
)]
async fn in_order_from_file(
    world: &mut CallWorld,
    file: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let window = wait_of(&amount, &unit)?;
    let patterns = match document(world, &file)? {
        Value::Array(list) => list.into_iter().map(Expected::Pattern).collect(),
        _ => bail!("{file} must hold a YAML list of notification patterns"),
    };
    expect_in_order(world, patterns, None, window).await
}

/// `Then the bot receives no further notifications within 500 ms`: simulated time runs on by
/// that much and nothing beyond what earlier steps matched may arrive.
#[then(regex = r"^the bot receives no further notifications within (\S+?) ?([a-z]+)$")]
async fn no_further(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let window = duration(&amount, &unit)?;
    let seen = world.cursor();
    let all = world.let_time_pass(window, |a| a.len() > seen).await?;
    if all.len() > seen {
        bail!(
            "expected no further notifications within {} ms, but {} more arrived:\n{}",
            ms(window),
            all.len() - seen,
            listing(&all[seen..], seen)
        );
    }
    Ok(())
}

/// `Then every notification has the header "Authorization" matching "#regex Bearer .+"`.
#[then(expr = "every notification has the header {string} matching {string}")]
fn every_header(world: &mut CallWorld, name: String, pattern: String) -> Result<()> {
    let expected = Value::String(text(world, &pattern)?);
    let all = world.received()?;
    if all.is_empty() {
        bail!("no notification has arrived to check the {name} header of");
    }
    for (i, r) in all.iter().enumerate() {
        let is_auth = name.eq_ignore_ascii_case("authorization");
        let actual = if is_auth {
            r.authorization().map(str::to_owned)
        } else {
            r.header(&name)
        };
        let Some(actual) = actual else {
            bail!(
                "notification {} has no {name} header ({})",
                i + 1,
                r.summary()
            );
        };
        if !check(&expected, &Value::String(actual.clone()), MatchMode::Subset).is_empty() {
            let shown = if is_auth {
                callspec::auth::redact_authorization(&actual)
            } else {
                actual
            };
            bail!(
                "notification {}: header {name} is \"{shown}\", expected {pattern}",
                i + 1
            );
        }
    }
    Ok(())
}

/// `Then every notification carries a token signed for the app`: the inbox checked each
/// bearer token: RS256, issuer `https://api.botframework.com`, audience the app id, signed by
/// the stand-in's key, not expired.
#[then("every notification carries a token signed for the app")]
fn signed_for_app(world: &mut CallWorld) -> Result<()> {
    let all = world.received()?;
    if all.is_empty() {
        bail!("no notification has arrived to check the token of");
    }
    for (i, r) in all.iter().enumerate() {
        match &r.token_check {
            Some(Ok(_)) => {}
            Some(Err(why)) => bail!(
                "notification {} ({}): its token is not valid for app {}: {why}",
                i + 1,
                r.summary(),
                world.app.app_id
            ),
            None => bail!("the inbox did not check notification {}'s token", i + 1),
        }
    }
    Ok(())
}

/// `Then no notification carries a valid token for the app`: what a bot must refuse (forged or
/// expired tokens).
#[then("no notification carries a valid token for the app")]
fn none_valid(world: &mut CallWorld) -> Result<()> {
    let all = world.received()?;
    if all.is_empty() {
        bail!("no notification has arrived to check the token of");
    }
    for (i, r) in all.iter().enumerate() {
        if let Some(Ok(_)) = r.token_check {
            bail!(
                "notification {} ({}) carries a valid token",
                i + 1,
                r.summary()
            );
        }
    }
    Ok(())
}

/// `Then notification 3 arrived 60 seconds after the create`: notification 3 of the current
/// call was sent exactly that long after the bot's create request, in simulated time (mock
/// mode only: real Graph's timing varies). Waits for the notification as other steps do.
#[then(regex = r"^notification (\d+) arrived (\S+?) ?([a-z]+) after the create$")]
async fn arrived_after_create(
    world: &mut CallWorld,
    number: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let n: usize = number.parse()?;
    if n == 0 {
        bail!("notifications are numbered from 1");
    }
    let expected = duration(&amount, &unit)?;
    if world.mock_env().is_none() {
        bail!(
            "arrival times are simulated: this step runs in mock mode only (tag the scenario \
             @mock-only to skip it in live runs)"
        );
    }
    let created = created_at(world)?;
    // Simulated time is free: wait past the expected arrival, by the usual window.
    let arrived = world
        .wait_for(|a| a.len() >= n, expected + DEFAULT_NOTIFICATION_WAIT)
        .await?;
    if arrived.len() < n {
        bail!(
            "notification {n} never arrived: {} did ({}); arrived:\n{}",
            arrived.len(),
            world.clock(),
            arrival_listing(world, &arrived, created)
        );
    }
    let got = sent_at(world, &arrived[n - 1])?.saturating_sub(created);
    if got != expected {
        bail!(
            "notification {n} ({}) arrived {} after the create, expected {} (simulated time); \
             arrived, with times after the create:\n{}",
            arrived[n - 1].summary(),
            offset(got),
            offset(expected),
            arrival_listing(world, &arrived, created)
        );
    }
    Ok(())
}

/// Simulated time of the current call's create request (its 201 answer), or of the last one.
fn created_at(world: &CallWorld) -> Result<Duration> {
    let creates: Vec<_> = world
        .history
        .iter()
        .filter(|a| a.method == "POST" && a.url.trim_end_matches('/').ends_with("/calls"))
        .filter(|a| a.status == 201)
        .collect();
    let mine = creates
        .iter()
        .rev()
        .find(|a| world.call_id.is_some() && a.body["id"].as_str() == world.call_id.as_deref())
        .or(creates.last());
    mine.and_then(|a| a.simulated_at).ok_or_else(|| {
        anyhow::anyhow!(
            "no call has been created: \"When the bot creates the call\" must come first"
        )
    })
}

/// Simulated time the stand-in sent a received notification at (its POST, matched by body;
/// the n-th POST of an identical body for a duplicate).
fn sent_at(world: &CallWorld, item: &Received) -> Result<Duration> {
    let all = world.inbox_log()?.all();
    let mut posts: Vec<usize> = all
        .iter()
        .filter(|r| r.envelope == item.envelope)
        .map(|r| r.delivery)
        .collect();
    posts.dedup();
    let k = posts.iter().position(|d| *d == item.delivery).unwrap_or(0);
    world
        .standin()?
        .deliveries()
        .into_iter()
        .filter(|d| d.body == *item.envelope)
        .nth(k)
        .map(|d| d.at)
        .ok_or_else(|| anyhow::anyhow!("the stand-in has no record of sending {}", item.summary()))
}

/// `+60 s`, `+10 ms`: a simulated offset as steps write it.
fn offset(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The listing of arrived notifications with each one's time after the create.
fn arrival_listing(world: &CallWorld, items: &[Received], created: Duration) -> String {
    if items.is_empty() {
        return "  (none)".to_owned();
    }
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = sent_at(world, r)
                .map(|t| format!("+{}", offset(t.saturating_sub(created))))
                .unwrap_or_else(|_| "+?".to_owned());
            format!("  {}. {at}: {}", i + 1, r.summary())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The POSTs that carried the current call's notifications, in arrival order: each one's
/// envelope and the notifications of the call it held.
fn posts(all: &[Received]) -> Vec<(&Value, Vec<&Received>)> {
    let mut out: Vec<(usize, &Value, Vec<&Received>)> = Vec::new();
    for r in all {
        match out.iter_mut().find(|(d, _, _)| *d == r.delivery) {
            Some((_, _, items)) => items.push(r),
            None => out.push((r.delivery, &r.envelope, vec![r])),
        }
    }
    out.into_iter().map(|(_, e, items)| (e, items)).collect()
}

/// `Then every notification POST is a "#microsoft.graph.commsNotifications" envelope`: the
/// `@odata.type` of each POSTed body (not of its items) that carried the call's notifications.
#[then(expr = "every notification POST is a {string} envelope")]
fn every_envelope(world: &mut CallWorld, odata_type: String) -> Result<()> {
    let expected = text(world, &odata_type)?;
    let all = world.received()?;
    let posts = posts(&all);
    if posts.is_empty() {
        bail!("no notification POST has arrived to check the envelope of");
    }
    for (n, (envelope, items)) in posts.iter().enumerate() {
        let actual = &envelope["@odata.type"];
        if actual.as_str() != Some(expected.as_str()) {
            let shown = if actual.is_null() {
                "absent".to_owned()
            } else {
                actual.to_string()
            };
            bail!(
                "notification POST {}: $[\"@odata.type\"] is {shown}, expected \"{expected}\"; it carried:\n{}",
                n + 1,
                listing_of(items)
            );
        }
    }
    Ok(())
}

/// `Then notification POST 1 held 3 notifications`: how many items the call's first POST (in
/// arrival order) carried in its envelope's `value`.
#[then(expr = "notification POST {int} held {int} notification(s)")]
fn post_held(world: &mut CallWorld, number: usize, count: usize) -> Result<()> {
    let all = world.received()?;
    let posts = posts(&all);
    let Some((envelope, items)) = number.checked_sub(1).and_then(|i| posts.get(i)) else {
        bail!(
            "notification POST {number} has not arrived: {} POST(s) so far carried:\n{}",
            posts.len(),
            listing(&all, 0)
        );
    };
    let held = envelope["value"].as_array().map_or(0, Vec::len);
    if held != count {
        bail!(
            "notification POST {number}: $.value holds {held} notification(s), expected {count}:\n{}",
            listing_of(items)
        );
    }
    Ok(())
}

fn listing_of(items: &[&Received]) -> String {
    items
        .iter()
        .map(|r| format!("  - {}", r.summary()))
        .collect::<Vec<_>>()
        .join("\n")
}
