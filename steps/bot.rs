//! Steps for a bot under test (`callspec run --bot bot.toml`): the stand-in plays Graph and the
//! callers, and these steps check what the bot does. The bot runs on real clocks, so waits are
//! wall time (simulated seconds times the config's `time_scale`); each is bounded and ends as
//! soon as the bot's request arrives, or the bot exits.
//!
//! The steps that say what the bot does (`the bot answers the call`, `the bot hangs up`, ...)
//! are the same sentences a spec uses when it plays the bot itself: with `--bot` they check
//! that the real bot did it.

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use callspec::bot::BotRequest;
use callspec::graph::names_of;
use callspec::matching::describe;
use callspec::{check, MatchMode};
use cucumber::{gherkin::Step, then, when};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::support::{docstring, document, duration, text};
use crate::world::{http, BotScenario, CallWorld, HttpAnswer};

/// How long a bot has to answer an incoming call: Graph ends the call after 15 seconds.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(15);
/// How long a step waits for the bot's request when it names no time (simulated seconds).
pub(crate) const DEFAULT_BOT_WAIT: Duration = Duration::from_secs(10);
/// How long "exactly once" watches for a second request after the first (wall time): a bot
/// that reacts twice to a repeated notification does so within milliseconds of the first.
const REPEAT_WATCH: Duration = Duration::from_secs(2);

const NO_BOT: &str = "this step checks what a bot under test does: run with --bot FILE \
                      (see \"Testing your own bot\" in the README)";

impl CallWorld {
    /// The bot under test, for steps that only make sense with one.
    pub fn bot(&self) -> Result<&BotScenario> {
        self.bot_scenario().ok_or_else(|| anyhow!(NO_BOT))
    }

    /// A simulated duration as the wall time the bot gets for it.
    pub(crate) fn wall(&self, simulated: Duration) -> Duration {
        let scale = self.bot_scenario().map_or(1.0, |b| b.run.time_scale);
        Duration::try_from_secs_f64(simulated.as_secs_f64() * scale).unwrap_or(simulated)
    }
}

/// What a step waits for among the bot's requests.
struct Expected<'a> {
    /// For messages: "the bot to answer the call (POST .../calls/ID/answer)".
    what: String,
    matches: Box<dyn Fn(&BotRequest) -> bool + 'a>,
}

/// The current call's id, which most checks are about.
fn current_call(world: &CallWorld) -> Result<String> {
    world.call_id.clone().ok_or_else(|| {
        anyhow!("there is no call yet: \"When \\\"John\\\" calls the bot\" must come first")
    })
}

/// The part of a request path after the API version: `/communications/calls/ID/answer`.
fn api_path(path: &str) -> &str {
    let rest = path.trim_start_matches('/');
    match rest.split_once('/') {
        Some(("v1.0" | "beta", tail)) => &path[path.len() - tail.len() - 1..],
        _ => path,
    }
}

/// An operation on `call`: `POST /communications/calls/{call}/{action}`.
fn operation(call: &str, action: &'static str) -> Expected<'static> {
    let suffix = format!("/communications/calls/{call}/{action}");
    Expected {
        what: format!("a POST .../calls/{call}/{action}"),
        matches: Box::new(move |r| r.method == "POST" && api_path(&r.path) == suffix),
    }
}

/// One line per request, numbered, with when it came (after the scenario started).
fn listing(bot: &BotScenario, requests: &[BotRequest]) -> String {
    if requests.is_empty() {
        return "  (none)".to_owned();
    }
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let matched = if bot.consumed.contains(&i) {
                " (matched by an earlier step)"
            } else {
                ""
            };
            format!(
                "  {}. +{:.2} s {} {} → {}{matched}",
                i + 1,
                r.at.as_secs_f64(),
                r.method,
                r.path,
                r.status
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What else the failure message should say: requests the gateway could not route, and the
/// bot's exit.
fn context(bot: &BotScenario) -> String {
    let mut text = String::new();
    // Only the strays that could be this scenario's: not those of scenarios that had ended.
    let strays = bot.link.strays();
    if !strays.is_empty() {
        text.push_str(
            "\nrequests the bot made, since this scenario began, for calls no scenario owns:\n",
        );
        for r in strays.iter().rev().take(5).rev() {
            // Graph's refusal as the bot got it (a token for another app or tenant...).
            let why = r
                .response
                .as_ref()
                .and_then(|b| {
                    Some((
                        b["error"]["code"].as_str()?,
                        b["error"]["message"].as_str()?,
                    ))
                })
                .map(|(code, message)| format!(" {code}: {message}"))
                .unwrap_or_default();
            text.push_str(&format!("  {} {} → {}{why}\n", r.method, r.path, r.status));
        }
    }
    if let Some(exit) = bot.run.exited.borrow().as_ref() {
        text.push_str(&format!("\n{exit}"));
    }
    text
}

/// Waits until the bot makes a request `expected` matches (one no earlier step matched), until
/// `until`, and marks it matched. Fails with what the bot did instead.
async fn expect_request(
    world: &mut CallWorld,
    expected: Expected<'_>,
    until: Instant,
) -> Result<BotRequest> {
    let until = until.min(world.deadline);
    let started = Instant::now();
    let bot = world.bot_scenario_mut().ok_or_else(|| anyhow!(NO_BOT))?;
    let mut exited = bot.run.exited.clone();
    loop {
        let requests = bot.link.requests();
        let found = requests
            .iter()
            .enumerate()
            .find(|(i, r)| !bot.consumed.contains(i) && (expected.matches)(r));
        if let Some((i, request)) = found {
            bot.consumed.insert(i);
            return Ok(request.clone());
        }
        if exited.borrow().is_some() {
            break;
        }
        tokio::select! {
            more = bot.link.wait_requests(requests.len() + 1, until) => if !more { break },
            _ = exited.changed() => {}
        }
    }
    let requests = bot.link.requests();
    bail!(
        "expected {} within {:.1} s; the bot made {} request(s) for this scenario:\n{}{}",
        expected.what,
        until.saturating_duration_since(started).as_secs_f64(),
        requests.len(),
        listing(bot, &requests),
        context(bot)
    )
}

/// The stand-in must have accepted the bot's request: else Graph's error and the request.
fn accepted(request: &BotRequest) -> Result<()> {
    if (200..300).contains(&request.status) {
        return Ok(());
    }
    let pretty = |v: &Option<Value>| match v {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => "(no body)".to_owned(),
    };
    bail!(
        "the stand-in refused the bot's request with {}, as Graph would:\n{}\nthe request: {} {}\n{}",
        request.status,
        pretty(&request.response),
        request.method,
        request.path,
        pretty(&request.body)
    )
}

/// `When "John" calls the bot` with a bot under test: the bot's requests for the call belong to
/// this scenario from now on.
pub fn incoming_call_made(world: &mut CallWorld, call_id: &str) {
    if let Some(bot) = world.bot_scenario_mut() {
        bot.link.own_call(call_id);
        bot.call_started = Instant::now();
    }
}

/// `Then the bot answers the call within 5 seconds` (and, with a bot under test, `When the bot
/// answers the call`: within Graph's 15 seconds): a valid answer reached the stand-in.
#[then(regex = r"^the bot answers the call within (\S+?) ?([a-z]+)$")]
async fn answers_within(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    expect_answer(world, duration(&amount, &unit)?).await
}

pub async fn expect_answer(world: &mut CallWorld, limit: Duration) -> Result<()> {
    let call = current_call(world)?;
    let until = world.bot()?.call_started + world.wall(limit);
    let mut expected = operation(&call, "answer");
    expected.what = format!("the bot to answer the call ({})", expected.what);
    let answer = expect_request(world, expected, until).await?;
    accepted(&answer)
}

/// With a bot under test, `Then the bot rejects the call with reason "busy"`.
pub async fn expect_reject(world: &mut CallWorld, reason: &str) -> Result<()> {
    let call = current_call(world)?;
    let until = world.bot()?.call_started + world.wall(ANSWER_LIMIT);
    let mut expected = operation(&call, "reject");
    expected.what = format!("the bot to reject the call ({})", expected.what);
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    let given = request
        .body
        .as_ref()
        .and_then(|b| b["reason"].as_str())
        .unwrap_or("none");
    if !reason.is_empty() && given != reason {
        bail!("the bot rejected the call with reason \"{given}\", expected \"{reason}\"");
    }
    Ok(())
}

/// Checks that a request's identity at `pointer` names `who`.
fn names_target(request: &BotRequest, pointers: &[&str], who: &str, what: &str) -> Result<()> {
    let body = request.body.clone().unwrap_or(Value::Null);
    let mut named = Vec::new();
    for pointer in pointers {
        match body.pointer(pointer) {
            Some(Value::Array(items)) => {
                for item in items {
                    named.extend(names_of(&item["identity"]));
                }
            }
            Some(target) => named.extend(names_of(&target["identity"])),
            None => {}
        }
    }
    if named.iter().any(|n| n == who) {
        return Ok(());
    }
    bail!(
        "the bot {what} \"{}\", expected \"{who}\"; its request: {} {}\n{}",
        named.join("\", \""),
        request.method,
        request.path,
        serde_json::to_string_pretty(&body).unwrap_or_default()
    )
}

/// With a bot under test, `Then the bot redirects the call to "Alice"`.
pub async fn expect_redirect(world: &mut CallWorld, who: &str) -> Result<()> {
    let call = current_call(world)?;
    let until = world.bot()?.call_started + world.wall(ANSWER_LIMIT);
    let mut expected = operation(&call, "redirect");
    expected.what = format!("the bot to redirect the call ({})", expected.what);
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    names_target(&request, &["/targets"], who, "redirected the call to")
}

/// With a bot under test, `Then the bot transfers the call to "Alice"`.
pub async fn expect_transfer(world: &mut CallWorld, who: &str) -> Result<()> {
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let mut expected = operation(&call, "transfer");
    expected.what = format!("the bot to transfer the call ({})", expected.what);
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    names_target(
        &request,
        &["/transferTarget"],
        who,
        "transferred the call to",
    )
}

/// With a bot under test, `Then the bot subscribes to tones`.
pub async fn expect_subscribe(world: &mut CallWorld) -> Result<()> {
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let mut expected = operation(&call, "subscribeToTone");
    expected.what = format!("the bot to subscribe to tones ({})", expected.what);
    let request = expect_request(world, expected, until).await?;
    accepted(&request)
}

/// Whether `path` (after the API version) is `action` on `call`, by its plain or OData-qualified
/// name (`/microsoft.graph.updateRecordingStatus`, as the .NET SDK sends), under
/// `/communications/calls` or `/app/calls`.
fn is_action(path: &str, call: &str, action: &str) -> bool {
    ["/communications/calls/", "/app/calls/"]
        .iter()
        .any(|base| {
            let prefix = format!("{base}{call}/");
            path.strip_prefix(&prefix)
                .is_some_and(|a| a == action || a.strip_prefix("microsoft.graph.") == Some(action))
        })
}

/// `Then the bot reports the recording status "recording"` (optionally `within 2 seconds` of
/// the invite): with a bot under test, an `updateRecordingStatus` with that status, which the
/// stand-in accepted. Without one, the spec played the bot: the stand-in must have taken that
/// status as the call's latest.
#[then(regex = r#"^the bot reports the recording status "([^"]*)"(?: within (\S+?) ?([a-z]+))?$"#)]
async fn reports_recording(
    world: &mut CallWorld,
    status: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let status = text(world, &status)?;
    if !callspec::graph::RECORDING_STATUSES.contains(&status.as_str()) {
        bail!(
            "\"{status}\" is not a recording status: use one of {}",
            callspec::graph::RECORDING_STATUSES.join(", ")
        );
    }
    let limit = if amount.is_empty() {
        None
    } else {
        Some(duration(&amount, &unit)?)
    };
    if world.has_bot() {
        return expect_recording_status(world, &status, limit).await;
    }
    let call = current_call(world)?;
    let reported = world
        .standin()?
        .reported_recording_statuses(&call)
        .ok_or_else(|| {
            anyhow!(
                "the call {call} is not one Teams invited the bot to record: start it with \
                 `When \"John\" starts a call that Teams records with the bot`"
            )
        })?;
    match reported.last() {
        Some(last) if *last == status => Ok(()),
        Some(_) => bail!(
            "the bot reported the recording status \"{}\" last, expected \"{status}\" \
             (reported, in order: {})",
            reported.last().map(String::as_str).unwrap_or_default(),
            reported.join(", ")
        ),
        None => bail!("the bot reported no recording status, expected \"{status}\""),
    }
}

/// With a bot under test, `Then the bot reports the recording status "recording"`: an
/// `updateRecordingStatus` naming `status`, within `limit` of the invite (by default within
/// the time a step waits for a bot), accepted by the stand-in.
pub async fn expect_recording_status(
    world: &mut CallWorld,
    status: &str,
    limit: Option<Duration>,
) -> Result<()> {
    let call = current_call(world)?;
    let until = match limit {
        Some(limit) => world.bot()?.call_started + world.wall(limit),
        None => Instant::now() + world.wall(DEFAULT_BOT_WAIT),
    };
    let wanted = status.to_owned();
    let expected = Expected {
        what: format!(
            "the bot to report the recording status \"{status}\" (a POST \
             .../calls/{call}/updateRecordingStatus with \"status\": \"{status}\")"
        ),
        matches: Box::new(move |r| {
            r.method == "POST"
                && is_action(api_path(&r.path), &call, "updateRecordingStatus")
                && r.body
                    .as_ref()
                    .is_some_and(|b| b["status"].as_str() == Some(wanted.as_str()))
        }),
    };
    let request = expect_request(world, expected, until).await?;
    accepted(&request)
}

/// With a bot under test, `Then the bot hangs up`: a DELETE of the call.
pub async fn expect_hang_up(world: &mut CallWorld) -> Result<()> {
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let suffix = format!("/communications/calls/{call}");
    let expected = Expected {
        what: format!("the bot to hang up (a DELETE .../calls/{call})"),
        matches: Box::new(move |r| r.method == "DELETE" && api_path(&r.path) == suffix),
    };
    let request = expect_request(world, expected, until).await?;
    accepted(&request)
}

/// A playPrompt on the current call whose prompts name `uri`.
fn prompt_of(call: &str, uri: &str) -> Expected<'static> {
    let operation = operation(call, "playPrompt");
    let uri = uri.to_owned();
    Expected {
        what: format!("the bot to play the prompt \"{uri}\" ({})", operation.what),
        matches: Box::new(move |r| {
            (operation.matches)(r)
                && r.body.as_ref().is_some_and(|b| {
                    b["prompts"].as_array().is_some_and(|prompts| {
                        prompts
                            .iter()
                            .any(|p| p["mediaInfo"]["uri"].as_str() == Some(uri.as_str()))
                    })
                })
        }),
    }
}

/// `Then the bot plays the prompt "https://example.com/welcome.wav"` (optionally `within 5
/// seconds`): a playPrompt naming that URI; the stand-in completes it.
#[then(regex = r#"^the bot plays the prompt "([^"]+)"(?: within (\S+?) ?([a-z]+))?$"#)]
async fn plays_prompt(
    world: &mut CallWorld,
    uri: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let uri = text(world, &uri)?;
    let window = if amount.is_empty() {
        DEFAULT_BOT_WAIT
    } else {
        duration(&amount, &unit)?
    };
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(window);
    let request = expect_request(world, prompt_of(&call, &uri), until).await?;
    accepted(&request)
}

/// `Then the bot plays the prompt "https://example.com/welcome.wav" exactly once`: after the
/// first, no second playPrompt of it comes (Graph repeats notifications; a bot must not repeat
/// what it did for them).
#[then(regex = r#"^the bot plays the prompt "([^"]+)" exactly once$"#)]
async fn plays_prompt_once(world: &mut CallWorld, uri: String) -> Result<()> {
    let uri = text(world, &uri)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let first = expect_request(world, prompt_of(&call, &uri), until).await?;
    accepted(&first)?;
    let again = prompt_of(&call, &uri);
    if let Ok(second) = expect_request(world, again, Instant::now() + REPEAT_WATCH).await {
        let bot = world.bot()?;
        bail!(
            "the bot played the prompt \"{uri}\" more than once: again at +{:.2} s (first at \
             +{:.2} s); its requests:\n{}",
            second.at.as_secs_f64(),
            first.at.as_secs_f64(),
            listing(bot, &bot.link.requests())
        );
    }
    Ok(())
}

/// The shape `Then the bot's next request matches:` reads from its docstring.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestPattern {
    method: String,
    /// After the API version, e.g. `/communications/calls/${call.id}/playPrompt`; markers
    /// (`#uuid`, ...) allowed.
    path: String,
    #[serde(default)]
    body: Option<Value>,
}

/// `Then the bot's next request matches:` + a docstring with `method`, `path` (after the API
/// version) and optionally `body` (a pattern with the usual markers): the earliest request no
/// earlier step matched.
#[then("the bot's next request matches:")]
async fn next_request(world: &mut CallWorld, step: &Step) -> Result<()> {
    let pattern: RequestPattern = serde_json::from_value(docstring(world, step)?)
        .context("the docstring gives `method`, `path` and optionally `body`")?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let expected = Expected {
        what: format!("a next request ({} {})", pattern.method, pattern.path),
        matches: Box::new(|_| true),
    };
    let request = expect_request(world, expected, until).await?;
    let actual = json!({
        "method": request.method,
        "path": api_path(&request.path),
        "body": request.body.clone().unwrap_or(Value::Null),
    });
    let mut wanted = json!({ "method": pattern.method, "path": pattern.path });
    if let Some(body) = pattern.body {
        wanted["body"] = body;
    }
    let mismatches = check(&wanted, &actual, MatchMode::Subset);
    if mismatches.is_empty() {
        return Ok(());
    }
    bail!(
        "the bot's next request ({} {} → {}) does not match: {}",
        request.method,
        request.path,
        request.status,
        describe(&wanted, &actual, &mismatches)
    )
}

/// `Then the bot makes no further requests within 3 seconds`: nothing beyond what earlier steps
/// matched, for that long.
#[then(regex = r"^the bot makes no further requests within (\S+?) ?([a-z]+)$")]
async fn no_further_requests(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let window = world.wall(duration(&amount, &unit)?);
    let until = (Instant::now() + window).min(world.deadline);
    let bot = world.bot()?;
    let mut exited = bot.run.exited.clone();
    loop {
        let requests = bot.link.requests();
        let unmatched = (0..requests.len()).any(|i| !bot.consumed.contains(&i));
        if unmatched {
            bail!(
                "expected no further requests from the bot within {:.1} s; it made:\n{}",
                window.as_secs_f64(),
                listing(bot, &requests)
            );
        }
        // A bot that died makes no requests, but that is not the silence the spec means.
        if let Some(exit) = exited.borrow().as_ref() {
            bail!("{exit}");
        }
        tokio::select! {
            more = bot.link.wait_requests(requests.len() + 1, until) => if !more { return Ok(()) },
            _ = exited.changed() => {}
        }
    }
}

/// `Then the bot acknowledged every notification with 2xx within 3 seconds`: Graph's webhook
/// rule (a bot that answers late or with an error gets the notification again, or loses it),
/// for every notification Graph sent, once what is due has reached the bot (a POST under way,
/// the `deleted` of each call of the scenario that has ended).
#[then(regex = r"^the bot acknowledged every notification with 2xx within (\S+?) ?([a-z]+)$")]
async fn acknowledged(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let limit = duration(&amount, &unit)?;
    world.bot()?;
    let standin = world.standin()?;
    // A notification still on its way is given the limit to be answered.
    standin
        .wait_for_deliveries(1, Instant::now() + world.wall(limit) + limit)
        .await;
    // And what is due (a POST under way, the `deleted` of a call that ended) is waited for.
    let undelivered = wait_for_due(world).await?;
    let standin = world.standin()?;
    let deliveries = standin.deliveries();
    if deliveries.is_empty() {
        bail!("no notification has been sent to the bot yet: nothing to check");
    }
    let mut late: Vec<String> = deliveries
        .iter()
        .enumerate()
        // A forged notification is not Graph's: refusing it is right (the refusal steps judge it).
        .filter(|(_, d)| d.token == callspec::auth::NotificationToken::Valid)
        .filter(|(_, d)| !matches!(d.outcome, Ok(200..=299)) || d.elapsed > limit)
        .map(|(i, d)| {
            let answer = match &d.outcome {
                Ok(status) => format!("answered {status}"),
                Err(e) => format!("failed: {e}"),
            };
            let kind = d.body["value"][0]["changeType"].as_str().unwrap_or("?");
            format!(
                "  {}. {kind} notification for call {}: {answer} after {:.2} s",
                i + 1,
                d.call_id,
                d.elapsed.as_secs_f64()
            )
        })
        .collect();
    late.extend(undelivered);
    if late.is_empty() {
        return Ok(());
    }
    bail!(
        "expected every notification acknowledged with 2xx within {:.1} s; of {}:\n{}",
        limit.as_secs_f64(),
        deliveries.len(),
        late.join("\n")
    )
}

/// Strings in `value` that can name a person or a call's target: ids and phone numbers. The
/// gateway gives the bot's next create to the scenario that named them.
fn ids_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() || looks_like_phone(s) => {
            out.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        Value::Object(map) => map.values().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

fn looks_like_phone(s: &str) -> bool {
    s.len() > 4 && s.starts_with('+') && s[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `When the bot is asked to "POST /api/outbound" with:` + a JSON or YAML docstring: a request
/// to the bot's own endpoint (the config's `trigger`), for bots that place calls when asked.
/// The ids in it (uuids, phone numbers) tie the call the bot then creates to this scenario. The
/// step waits for the bot's answer and fails on any but 2xx; `When the bot is asked to "POST
/// /api/outbound", expecting 502, with:` wants that status instead, and `When the bot is asked
/// to "POST /api/outbound", without waiting for its answer, with:` goes on at once (the answer
/// is then not checked).
#[when(
    regex = r#"^the bot is asked to "(GET|POST|PUT|PATCH|DELETE) ([^"]+)"(?:, expecting (\d{3}),|, (without waiting) for its answer,)? with:$"#
)]
async fn ask_bot(
    world: &mut CallWorld,
    method: String,
    path: String,
    expecting: String,
    no_wait: String,
    step: &Step,
) -> Result<()> {
    let expecting: Option<u16> = if expecting.is_empty() {
        None
    } else {
        Some(expecting.parse()?)
    };
    let path = text(world, &path)?;
    let body = docstring(world, step)?;
    let bot = world.bot()?;
    let Some(trigger) = bot.run.trigger.clone() else {
        bail!("the bot's config names no `trigger` (the base URL of the bot's own endpoints)");
    };
    let mut ids = Vec::new();
    ids_in(&body, &mut ids);
    for id in &ids {
        bot.link.claim(id);
    }
    let url = format!("{}{path}", trigger.trim_end_matches('/'));
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    if !no_wait.is_empty() {
        return ask_without_waiting(world, method, url, body);
    }
    let sent_at = std::time::SystemTime::now();
    let started = std::time::Instant::now();
    let response = tokio::time::timeout_at(
        world.deadline,
        http().request(method.clone(), &url).json(&body).send(),
    )
    .await
    .map_err(|_| anyhow!("{method} {url}: the scenario ran out of its time limit"))?
    .with_context(|| format!("the bot did not answer {method} {url}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if let Some(bot) = world.bot_scenario_mut() {
        bot.call_started = Instant::now();
    }
    let answer = HttpAnswer {
        method: method.to_string(),
        url: url.clone(),
        request_body: Some(body.to_string()),
        status,
        headers: Vec::new(),
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text: text.clone(),
        elapsed: started.elapsed(),
        deliveries_before: None,
        sent_at,
        simulated_at: None,
        request_headers: Vec::new(),
    };
    let answer = std::sync::Arc::new(answer);
    world.history.push(answer.clone());
    world.response = Some(answer);
    match expecting {
        Some(wanted) if status != wanted => {
            bail!("the bot answered {method} {url} with {status}, expected {wanted}: {text}")
        }
        Some(_) => Ok(()),
        None if !(200..300).contains(&status) => {
            bail!("the bot answered {method} {url} with {status}: {text}")
        }
        None => Ok(()),
    }
}

/// The trigger's request sent on its own task, bounded by the scenario's time limit: the steps
/// after it run while the bot works on it.
fn ask_without_waiting(
    world: &mut CallWorld,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> Result<()> {
    let deadline = world.deadline;
    let request = http().request(method, &url).json(&body).send();
    tokio::spawn(async move {
        // Its answer is no step's to judge; the task ends with the scenario's time at the latest.
        let _ = tokio::time::timeout_at(deadline, request).await;
    });
    if let Some(bot) = world.bot_scenario_mut() {
        bot.call_started = Instant::now();
    }
    Ok(())
}

/// `Then the bot creates a call matching:` + a docstring pattern (the usual markers), or
/// `Then the bot creates a call matching "requests/outbound.yaml"` (a document under
/// `scenarios/`): the bot's `POST /communications/calls`. The call becomes the current one.
#[then(regex = r#"^the bot creates a call matching(?: "([^"]+)")?:?$"#)]
async fn creates_call(world: &mut CallWorld, file: String, step: &Step) -> Result<()> {
    let (pattern, source) = if file.is_empty() {
        (docstring(world, step)?, "the docstring".to_owned())
    } else {
        (document(world, &file)?, format!("\"{file}\""))
    };
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let expected = Expected {
        what: "the bot to create a call (a POST /communications/calls)".to_owned(),
        matches: Box::new(|r| r.method == "POST" && api_path(&r.path) == "/communications/calls"),
    };
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    let body = request.body.clone().unwrap_or(Value::Null);
    let mismatches = check(&pattern, &body, MatchMode::Subset);
    if !mismatches.is_empty() {
        bail!(
            "the bot's create does not match {source}: {}",
            describe(&pattern, &body, &mismatches)
        );
    }
    let call = request
        .response
        .clone()
        .ok_or_else(|| anyhow!("the stand-in's answer to the bot's create has no body"))?;
    world.make_current(call);
    Ok(())
}

// The bot's actions as checks, in the `Then` form the specs for a bot under test read best in
// (`When the bot hangs up` makes a spec's own bot hang up; with `--bot` it checks the same).

/// `Then the bot rejects the call with reason "busy"` (or just `Then the bot rejects the call`).
#[then(regex = r#"^the bot rejects the call(?: with reason "([^"]*)")?$"#)]
async fn then_rejects(world: &mut CallWorld, reason: String) -> Result<()> {
    expect_reject(world, &reason).await
}

/// `Then the bot redirects the call to "Alice"`.
#[then(expr = "the bot redirects the call to {string}")]
async fn then_redirects(world: &mut CallWorld, who: String) -> Result<()> {
    let who = text(world, &who)?;
    expect_redirect(world, &who).await
}

/// `Then the bot subscribes to tones`.
#[then("the bot subscribes to tones")]
async fn then_subscribes(world: &mut CallWorld) -> Result<()> {
    expect_subscribe(world).await
}

/// `Then the bot transfers the call to "Alice"`.
#[then(expr = "the bot transfers the call to {string}")]
async fn then_transfers(world: &mut CallWorld, who: String) -> Result<()> {
    let who = text(world, &who)?;
    expect_transfer(world, &who).await
}

/// `Then the bot hangs up`: a DELETE of the call.
#[then("the bot hangs up")]
async fn then_hangs_up(world: &mut CallWorld) -> Result<()> {
    expect_hang_up(world).await
}

// Issue 18: what a voicemail or meeting bot does: recordResponse, the recording's download,
// removing a participant. Each in its own function (the shared helpers above stay as they are).

/// Graph's `maxRecordDurationInSeconds` when a recordResponse names none (call-record.md:
/// default 5, min 1, max 120).
const DEFAULT_RECORD_SECONDS: u64 = 5;

/// A request, for failure messages: `POST /v1.0/...` and its body.
fn shown(request: &BotRequest) -> String {
    format!(
        "its request: {} {}\n{}",
        request.method,
        request.path,
        request
            .body
            .as_ref()
            .map(|b| serde_json::to_string_pretty(b).unwrap_or_default())
            .unwrap_or_else(|| "(no body)".to_owned())
    )
}

/// `Then the bot records a response` (optionally `of at most 30 seconds`, and `with a beep`): a
/// recordResponse on the current call (plain or OData-qualified name) the stand-in accepted;
/// with a limit, its `maxRecordDurationInSeconds` (Graph's default 5 when absent) is that
/// limit; with a beep, it does not turn `playBeep` off.
#[then(regex = r"^the bot records a response(?: of at most (\S+?) ?([a-z]+))?( with a beep)?$")]
async fn then_records(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    beep: String,
) -> Result<()> {
    let limit = if amount.is_empty() {
        None
    } else {
        Some(duration(&amount, &unit)?)
    };
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let on = call.clone();
    let expected = Expected {
        what: format!("the bot to record a response (a POST .../calls/{call}/recordResponse)"),
        matches: Box::new(move |r| {
            r.method == "POST" && is_action(api_path(&r.path), &on, "recordResponse")
        }),
    };
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    let body = request.body.clone().unwrap_or(Value::Null);
    if let Some(limit) = limit {
        let wanted = limit.as_secs();
        match &body["maxRecordDurationInSeconds"] {
            Value::Null => {
                if wanted != DEFAULT_RECORD_SECONDS {
                    bail!(
                        "the bot's recordResponse names no maxRecordDurationInSeconds (at \
                         body.maxRecordDurationInSeconds), so Graph stops the recording after its \
                         default of {DEFAULT_RECORD_SECONDS} seconds; expected at most {wanted} \
                         seconds; {}",
                        shown(&request)
                    );
                }
            }
            given if given.as_u64() == Some(wanted) => {}
            given => bail!(
                "the bot's recordResponse records at most {given} seconds \
                 (body.maxRecordDurationInSeconds), expected at most {wanted} seconds; {}",
                shown(&request)
            ),
        }
    }
    if !beep.is_empty() && body["playBeep"] == json!(false) {
        bail!(
            "the bot's recordResponse plays no beep (body.playBeep is false), expected a beep \
             before the recording; {}",
            shown(&request)
        );
    }
    Ok(())
}

/// The `recordingLocation`s of the current call's completed recordResponse operations, as the
/// stand-in notified them to the bot.
fn recording_locations(world: &CallWorld, call: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for d in world.standin()?.deliveries() {
        if d.call_id != call {
            continue;
        }
        for item in d.body["value"].as_array().into_iter().flatten() {
            let data = &item["resourceData"];
            if data["@odata.type"] == "#microsoft.graph.recordOperation"
                && data["status"] == "completed"
            {
                if let Some(location) = data["recordingLocation"].as_str() {
                    if !location.is_empty() && !found.iter().any(|l| l == location) {
                        found.push(location.to_owned());
                    }
                }
            }
        }
    }
    Ok(found)
}

/// `Then the bot downloaded the recording`: a GET of the `recordingLocation` of the current
/// call's completed recordResponse that the stand-in answered 200, which it does only with
/// `Authorization: Bearer {recordingAccessToken}` (waited for, as the other bot steps do).
#[then("the bot downloaded the recording")]
async fn downloaded_recording(world: &mut CallWorld) -> Result<()> {
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let prefix = format!("/recordings/{call}/");
    let on = prefix.clone();
    let expected = Expected {
        what: format!(
            "the bot to download the recording (a GET {prefix}… of the recordOperation's \
             recordingLocation with 'Authorization: Bearer {{recordingAccessToken}}', answered \
             200)"
        ),
        matches: Box::new(move |r| r.method == "GET" && r.path.starts_with(&on) && r.status == 200),
    };
    let request =
        match expect_request(world, expected, until).await {
            Ok(request) => request,
            Err(e) => {
                let refused =
                    world.bot()?.link.requests().iter().any(|r| {
                        r.method == "GET" && r.path.starts_with(&prefix) && r.status == 401
                    });
                if refused {
                    bail!(
                    "{e}\nthe stand-in answered the bot's download 401: a recording is served only \
                     with 'Authorization: Bearer {{recordingAccessToken}}' from the completed \
                     recordOperation"
                );
                }
                return Err(e);
            }
        };
    let locations = recording_locations(world, &call)?;
    if locations.iter().any(|l| l.ends_with(&request.path)) {
        return Ok(());
    }
    bail!(
        "the bot downloaded {}, which no completed recordOperation of call {call} named as its \
         recordingLocation (they named: {})",
        request.path,
        if locations.is_empty() {
            "none".to_owned()
        } else {
            locations.join(", ")
        }
    )
}

/// The names the bot was told for participant `id` of `call`: from the rosters the stand-in
/// sent it and the participants it read (`GET .../participants`).
fn participant_names(world: &CallWorld, call: &str, id: &str) -> Result<Vec<String>> {
    fn walk(value: &Value, id: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.get("id").and_then(Value::as_str) == Some(id) {
                    for name in names_of(&value["info"]["identity"]) {
                        if !out.contains(&name) {
                            out.push(name);
                        }
                    }
                }
                map.values().for_each(|v| walk(v, id, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, id, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for d in world.standin()?.deliveries() {
        if d.call_id == call {
            walk(&d.body, id, &mut names);
        }
    }
    for r in world.bot()?.link.requests() {
        if let Some(response) = &r.response {
            walk(response, id, &mut names);
        }
    }
    Ok(names)
}

/// `Then the bot removes "Alice" from the call`: a `DELETE .../calls/{id}/participants/{id}`
/// the stand-in accepted, for a participant the rosters the bot was sent name "Alice" (by
/// display name or id).
#[then(expr = "the bot removes {string} from the call")]
async fn removes_participant(world: &mut CallWorld, who: String) -> Result<()> {
    let who = text(world, &who)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let on = call.clone();
    let participant_of = move |path: &str| -> Option<String> {
        ["/communications/calls/", "/app/calls/"]
            .iter()
            .find_map(|base| {
                let id = api_path(path)
                    .strip_prefix(&format!("{base}{on}/participants/"))?
                    .to_owned();
                (!id.is_empty() && !id.contains('/')).then_some(id)
            })
    };
    let removal = participant_of.clone();
    let expected = Expected {
        what: format!(
            "the bot to remove \"{who}\" from the call (a DELETE .../calls/{call}/participants/ID)"
        ),
        matches: Box::new(move |r| r.method == "DELETE" && removal(&r.path).is_some()),
    };
    let request = expect_request(world, expected, until).await?;
    accepted(&request)?;
    let id = participant_of(&request.path).unwrap_or_default();
    let names = participant_names(world, &call, &id)?;
    if id == who || names.contains(&who) {
        return Ok(());
    }
    let removed = if names.is_empty() {
        format!("participant {id}, whom no roster the bot was sent names")
    } else {
        format!("\"{}\" (participant {id})", names[0])
    };
    bail!(
        "the bot removed {removed} from the call, expected \"{who}\"; its request: DELETE {}",
        request.path
    )
}

// Issue 19, notifications in flight: what is due reaches the bot before it is judged.

/// Whether a notification POST Graph sent (not a forgery) carries an item with that
/// `changeType` ("deleted", ...).
fn carries(delivery: &callspec::graph::Delivery, change: &str) -> bool {
    delivery.token == callspec::auth::NotificationToken::Valid
        && delivery.body["value"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["changeType"] == change))
}

/// The scenario's calls whose end is certain (the stand-in ended them, or it accepted the bot's
/// hang-up) but whose `deleted` notification has not been recorded yet.
fn ending_without_deleted(world: &CallWorld) -> Result<Vec<String>> {
    use callspec::graph::CallState;
    let standin = world.standin()?;
    let deliveries = standin.deliveries();
    let requests = world.bot()?.link.requests();
    let mut calls: Vec<String> = world.call_id.iter().cloned().collect();
    let known = deliveries
        .iter()
        .map(|d| d.call_id.clone())
        .chain(requests.iter().filter_map(|r| r.call_id.clone()));
    for call in known {
        if !calls.contains(&call) {
            calls.push(call);
        }
    }
    Ok(calls
        .into_iter()
        .filter(|call| {
            let ended = matches!(
                standin.call_state(call),
                Some(CallState::Terminating | CallState::Terminated)
            );
            let suffix = format!("/communications/calls/{call}");
            let hung_up = requests.iter().any(|r| {
                r.method == "DELETE"
                    && (200..300).contains(&r.status)
                    && api_path(&r.path) == suffix
            });
            (ended || hung_up)
                && !deliveries
                    .iter()
                    .any(|d| d.call_id == *call && carries(d, "deleted"))
        })
        .collect())
}

/// Waits, bounded and woken by each delivery the stand-in records, until no notification POST
/// is under way and every call of the scenario that has ended has had its `deleted` delivered.
/// Returns a line for each `deleted` that never came.
async fn wait_for_due(world: &CallWorld) -> Result<Vec<String>> {
    let limit = world.wall(DEFAULT_BOT_WAIT);
    let until = (Instant::now() + limit).min(world.deadline);
    let standin = world.standin()?;
    loop {
        let seen = standin.recorded_count();
        let missing = ending_without_deleted(world)?;
        if missing.is_empty() && standin.deliveries_in_flight() == 0 {
            return Ok(Vec::new());
        }
        if !standin.wait_for_deliveries(seen + 1, until).await {
            return Ok(missing
                .iter()
                .map(|call| {
                    format!(
                        "  the \"deleted\" notification for call {call} did not reach the bot \
                         within {:.1} s",
                        limit.as_secs_f64()
                    )
                })
                .collect());
        }
    }
}

/// `Then the bot has acknowledged the "deleted" notification` (or `"created"`): waits (bounded)
/// for that notification of the current call to be delivered, and checks the bot answered it
/// with 2xx; a failure names the notification, the bot's answer and how long it took.
#[then(regex = r#"^the bot has acknowledged the "(created|deleted)" notification$"#)]
async fn acknowledged_one(world: &mut CallWorld, change: String) -> Result<()> {
    use crate::forgery::{answer_of, describe_delivery};
    let call = current_call(world)?;
    let limit = world.wall(DEFAULT_BOT_WAIT);
    let until = (Instant::now() + limit).min(world.deadline);
    let standin = world.standin()?;
    loop {
        let seen = standin.recorded_count();
        let deliveries = standin.deliveries();
        let found = deliveries
            .iter()
            .enumerate()
            .find(|(_, d)| d.call_id == call && carries(d, &change));
        if let Some((index, d)) = found {
            if matches!(d.outcome, Ok(200..=299)) {
                return Ok(());
            }
            bail!(
                "expected the bot to acknowledge the \"{change}\" notification with 2xx; {} after \
                 {:.2} s ({})",
                answer_of(d),
                d.elapsed.as_secs_f64(),
                describe_delivery(index, d)
            );
        }
        if !standin.wait_for_deliveries(seen + 1, until).await {
            let sent: Vec<String> = deliveries
                .iter()
                .enumerate()
                .filter(|(_, d)| d.call_id == call)
                .map(|(i, d)| format!("  {}: {}", describe_delivery(i, d), answer_of(d)))
                .collect();
            bail!(
                "no \"{change}\" notification for call {call} reached the bot within {:.1} s; \
                 the stand-in sent for it:\n{}",
                limit.as_secs_f64(),
                if sent.is_empty() {
                    "  (nothing)".to_owned()
                } else {
                    sent.join("\n")
                }
            );
        }
    }
}

/// Bot mode's part of a `--record` recording: the bot's requests through the gateway with
/// Graph's answers, and the notifications the stand-in POSTed to the bot's webhook with its
/// answers, as (time, rank, entry) for the recording's order. Headers are not kept (they hold
/// tokens); bodies are redacted when written.
pub fn recorded(
    world: &CallWorld,
    started: std::time::SystemTime,
) -> Vec<(
    std::time::SystemTime,
    usize,
    callspec::har::RecordedExchange,
)> {
    use callspec::har::{EntryKind, RecordedExchange};
    let Some(bot) = world.bot_scenario() else {
        return Vec::new();
    };
    let text = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
    let json = || vec![("content-type".to_owned(), "application/json".to_owned())];
    let mut out = Vec::new();
    for (i, r) in bot.link.requests().iter().enumerate() {
        let at = started + r.at;
        out.push((
            at,
            2 * i,
            RecordedExchange {
                kind: EntryKind::Request,
                at,
                method: r.method.clone(),
                url: format!("{}{}", bot.run.gateway.uri(), r.path),
                request_headers: if r.body.is_some() { json() } else { Vec::new() },
                request_body: text(&r.body),
                status: r.status,
                response_headers: if r.response.is_some() {
                    json()
                } else {
                    Vec::new()
                },
                response_body: text(&r.response).or(Some(String::new())),
                elapsed: std::time::Duration::ZERO,
            },
        ));
    }
    let deliveries = world
        .mock_env()
        .map(|env| env.standin.deliveries())
        .unwrap_or_default();
    for (i, d) in deliveries.iter().enumerate() {
        let at = started + d.at;
        out.push((
            at,
            2 * i + 1,
            RecordedExchange {
                kind: EntryKind::Notification,
                at,
                method: "POST".to_owned(),
                url: d.sent_to.clone(),
                request_headers: json(),
                request_body: Some(d.body.to_string()),
                // A notification the bot never answered is recorded with status 0, as HAR does
                // for a request without a response.
                status: d.outcome.as_ref().copied().unwrap_or(0),
                response_headers: Vec::new(),
                response_body: None,
                elapsed: d.elapsed,
            },
        ));
    }
    out
}
