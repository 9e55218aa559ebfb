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
                      (see the book's \"Testing your own bot\", docs/src/bot.md)";

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

/// An operation on `call`: `POST /communications/calls/{call}/{action}`
/// (plain or `microsoft.graph.`-qualified, under `/communications/calls` or `/app/calls`).
fn operation(call: &str, action: &'static str) -> Expected<'static> {
    let id = call.to_owned();
    Expected {
        what: format!("a POST .../calls/{call}/{action}"),
        matches: Box::new(move |r| r.method == "POST" && is_action(api_path(&r.path), &id, action)),
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

/// A step's own time limit, as the failure message says it: "2 s", "1.5 s", "300 ms".
pub(crate) fn said(limit: Duration) -> String {
    if limit < Duration::from_secs(1) {
        format!("{} ms", limit.as_millis())
    } else if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

/// Waits until the bot makes a request `expected` matches (one no earlier step matched), until
/// `until`, and marks it matched. A try the stand-in refused with 429 (throttled) is marked too
/// and looked past: the step waits for the retry. Fails with what the bot did instead, naming
/// the step's own `limit`.
async fn expect_request(
    world: &mut CallWorld,
    expected: Expected<'_>,
    limit: Duration,
    until: Instant,
) -> Result<BotRequest> {
    let until = until.min(world.deadline);
    let bot = world.bot_scenario_mut().ok_or_else(|| anyhow!(NO_BOT))?;
    let mut exited = bot.run.exited.clone();
    let mut throttled = 0;
    loop {
        let requests = bot.link.requests();
        let found = requests
            .iter()
            .enumerate()
            .find(|(i, r)| !bot.consumed.contains(i) && (expected.matches)(r));
        if let Some((i, request)) = found {
            bot.consumed.insert(i);
            if request.status == 429 {
                throttled += 1;
                continue;
            }
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
    let retry = if throttled > 0 {
        format!(
            "; the stand-in throttled {throttled} tr{} (429) and no accepted retry came",
            if throttled == 1 { "y" } else { "ies" }
        )
    } else {
        String::new()
    };
    bail!(
        "expected {} within {}{retry}; the bot made {} request(s) for this scenario:\n{}{}",
        expected.what,
        said(limit),
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

/// A bot-action step's optional parts: `within 2 seconds` and `with:` + a docstring.
pub(crate) struct Bounds<'s> {
    /// The step's own limit (simulated seconds, as the step says it), if it gives one.
    pub within: Option<Duration>,
    /// The step, when it ends in `with:`: its docstring is a pattern for the request's body.
    pub with: Option<&'s Step>,
}

impl<'s> Bounds<'s> {
    /// No `within`, no body: the step's defaults.
    pub const NONE: Bounds<'static> = Bounds {
        within: None,
        with: None,
    };

    /// From a step's captured `within` amount and unit (empty when absent) and its ` with:`.
    fn of(amount: &str, unit: &str, with: &str, step: &'s Step) -> Result<Self> {
        let within = if amount.is_empty() {
            None
        } else {
            Some(duration(amount, unit)?)
        };
        Ok(Bounds {
            within,
            with: (!with.is_empty()).then_some(step),
        })
    }
}

/// Where a bot-action step's limit counts from.
enum Since {
    /// The incoming call (answer, reject, redirect: Graph's 15 s count from it).
    Call,
    /// The step's own start.
    Step,
}

/// Waits for the bot's request `expected` within the step's limit (its `within`, else
/// `default`), checks that the stand-in accepted it and, for a `with:` step, that its body
/// matches the docstring (the usual markers).
async fn bot_action(
    world: &mut CallWorld,
    expected: Expected<'_>,
    bounds: &Bounds<'_>,
    default: Duration,
    since: Since,
) -> Result<BotRequest> {
    let limit = bounds.within.unwrap_or(default);
    let start = match since {
        Since::Call => world.bot()?.call_started,
        Since::Step => Instant::now(),
    };
    let pattern = match bounds.with {
        Some(step) => Some(docstring(world, step)?),
        None => None,
    };
    let what = expected.what.clone();
    let request = expect_request(world, expected, limit, start + world.wall(limit)).await?;
    accepted(&request)?;
    if let Some(pattern) = pattern {
        let body = request.body.clone().unwrap_or(Value::Null);
        let mismatches = check(&pattern, &body, MatchMode::Subset);
        if !mismatches.is_empty() {
            bail!(
                "{what}: the request's body ({} {}) does not match the docstring: {}",
                request.method,
                request.path,
                describe(&pattern, &body, &mismatches)
            );
        }
    }
    Ok(request)
}

/// `Then the bot answers the call within 5 seconds` (and, with a bot under test, `When the bot
/// answers the call`: within Graph's 15 seconds): a valid answer reached the stand-in.
#[then(regex = r"^the bot answers the call within (\S+?) ?([a-z]+)( with:)?$")]
async fn answers_within(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    answer_checked(world, &bounds).await
}

pub async fn expect_answer(world: &mut CallWorld, limit: Duration) -> Result<()> {
    let bounds = Bounds {
        within: Some(limit),
        with: None,
    };
    answer_checked(world, &bounds).await
}

async fn answer_checked(world: &mut CallWorld, bounds: &Bounds<'_>) -> Result<()> {
    let call = current_call(world)?;
    let mut expected = operation(&call, "answer");
    expected.what = format!("the bot to answer the call ({})", expected.what);
    bot_action(world, expected, bounds, ANSWER_LIMIT, Since::Call).await?;
    Ok(())
}

/// With a bot under test, `Then the bot rejects the call with reason "busy"`.
pub async fn expect_reject(world: &mut CallWorld, reason: &str) -> Result<()> {
    reject_checked(world, reason, &Bounds::NONE).await
}

async fn reject_checked(world: &mut CallWorld, reason: &str, bounds: &Bounds<'_>) -> Result<()> {
    let call = current_call(world)?;
    let mut expected = operation(&call, "reject");
    expected.what = format!("the bot to reject the call ({})", expected.what);
    let request = bot_action(world, expected, bounds, ANSWER_LIMIT, Since::Call).await?;
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
    redirect_checked(world, who, &Bounds::NONE).await
}

async fn redirect_checked(world: &mut CallWorld, who: &str, bounds: &Bounds<'_>) -> Result<()> {
    let call = current_call(world)?;
    let mut expected = operation(&call, "redirect");
    expected.what = format!("the bot to redirect the call ({})", expected.what);
    let request = bot_action(world, expected, bounds, ANSWER_LIMIT, Since::Call).await?;
    names_target(&request, &["/targets"], who, "redirected the call to")
}

/// With a bot under test, `Then the bot transfers the call to "Alice"`.
pub async fn expect_transfer(world: &mut CallWorld, who: &str) -> Result<()> {
    transfer_checked(world, who, &Bounds::NONE).await
}

async fn transfer_checked(world: &mut CallWorld, who: &str, bounds: &Bounds<'_>) -> Result<()> {
    let call = current_call(world)?;
    let mut expected = operation(&call, "transfer");
    expected.what = format!("the bot to transfer the call ({})", expected.what);
    let request = bot_action(world, expected, bounds, DEFAULT_BOT_WAIT, Since::Step).await?;
    names_target(
        &request,
        &["/transferTarget"],
        who,
        "transferred the call to",
    )
}

/// With a bot under test, `Then the bot subscribes to tones`.
pub async fn expect_subscribe(world: &mut CallWorld) -> Result<()> {
    subscribe_checked(world, &Bounds::NONE).await
}

async fn subscribe_checked(world: &mut CallWorld, bounds: &Bounds<'_>) -> Result<()> {
    let call = current_call(world)?;
    let mut expected = operation(&call, "subscribeToTone");
    expected.what = format!("the bot to subscribe to tones ({})", expected.what);
    bot_action(world, expected, bounds, DEFAULT_BOT_WAIT, Since::Step).await?;
    Ok(())
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
    let (until, said_limit) = match limit {
        Some(limit) => (world.bot()?.call_started + world.wall(limit), limit),
        None => (
            Instant::now() + world.wall(DEFAULT_BOT_WAIT),
            DEFAULT_BOT_WAIT,
        ),
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
    let request = expect_request(world, expected, said_limit, until).await?;
    accepted(&request)
}

/// With a bot under test, `Then the bot hangs up`: a DELETE of the call.
pub async fn expect_hang_up(world: &mut CallWorld) -> Result<()> {
    hang_up_checked(world, &Bounds::NONE).await?;
    Ok(())
}

/// A DELETE of the current call.
fn hang_up_of(call: &str) -> Expected<'static> {
    let call = call.to_owned();
    Expected {
        what: format!("the bot to hang up (a DELETE .../calls/{call})"),
        matches: Box::new(move |r| {
            let path = api_path(&r.path);
            r.method == "DELETE"
                && ["/communications/calls/", "/app/calls/"]
                    .iter()
                    .any(|base| path.strip_prefix(base) == Some(call.as_str()))
        }),
    }
}

async fn hang_up_checked(world: &mut CallWorld, bounds: &Bounds<'_>) -> Result<BotRequest> {
    let call = current_call(world)?;
    bot_action(
        world,
        hang_up_of(&call),
        bounds,
        DEFAULT_BOT_WAIT,
        Since::Step,
    )
    .await
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
/// seconds`, optionally `with:` + a docstring for the body): a playPrompt naming that URI; the
/// stand-in completes it.
#[then(regex = r#"^the bot plays the prompt "([^"]+)"(?: within (\S+?) ?([a-z]+))?( with:)?$"#)]
async fn plays_prompt(
    world: &mut CallWorld,
    uri: String,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let uri = text(world, &uri)?;
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    let call = current_call(world)?;
    bot_action(
        world,
        prompt_of(&call, &uri),
        &bounds,
        DEFAULT_BOT_WAIT,
        Since::Step,
    )
    .await?;
    Ok(())
}

/// `Then the bot plays the prompt "https://example.com/welcome.wav" exactly once`: after the
/// first, no second playPrompt of it comes (Graph repeats notifications; a bot must not repeat
/// what it did for them).
#[then(regex = r#"^the bot plays the prompt "([^"]+)" exactly once$"#)]
async fn plays_prompt_once(world: &mut CallWorld, uri: String) -> Result<()> {
    let uri = text(world, &uri)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let first = expect_request(world, prompt_of(&call, &uri), DEFAULT_BOT_WAIT, until).await?;
    accepted(&first)?;
    let again = prompt_of(&call, &uri);
    let watch = Instant::now() + REPEAT_WATCH;
    if let Ok(second) = expect_request(world, again, REPEAT_WATCH, watch).await {
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
    let request = expect_request(world, expected, DEFAULT_BOT_WAIT, until).await?;
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
    let request = expect_request(world, expected, DEFAULT_BOT_WAIT, until).await?;
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

/// `Then the bot rejects the call with reason "busy"` (or just `Then the bot rejects the call`;
/// optionally `within 5 seconds` of the incoming call, and `with:` + a docstring for the body).
#[then(
    regex = r#"^the bot rejects the call(?: with reason "([^"]*)")?(?: within (\S+?) ?([a-z]+))?( with:)?$"#
)]
async fn then_rejects(
    world: &mut CallWorld,
    reason: String,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    reject_checked(world, &reason, &bounds).await
}

/// `Then the bot redirects the call to "Alice"` (optionally `within 5 seconds` of the incoming
/// call, and `with:` + a docstring for the body).
#[then(
    regex = r#"^the bot redirects the call to "([^"]+)"(?: within (\S+?) ?([a-z]+))?( with:)?$"#
)]
async fn then_redirects(
    world: &mut CallWorld,
    who: String,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let who = text(world, &who)?;
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    redirect_checked(world, &who, &bounds).await
}

/// `Then the bot subscribes to tones` (optionally `within 2 seconds`, and `with:` + a docstring
/// for the body).
#[then(regex = r"^the bot subscribes to tones(?: within (\S+?) ?([a-z]+))?( with:)?$")]
async fn then_subscribes(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    subscribe_checked(world, &bounds).await
}

/// `Then the bot transfers the call to "Alice"` (optionally `within 2 seconds`, and `with:` + a
/// docstring for the body).
#[then(
    regex = r#"^the bot transfers the call to "([^"]+)"(?: within (\S+?) ?([a-z]+))?( with:)?$"#
)]
async fn then_transfers(
    world: &mut CallWorld,
    who: String,
    amount: String,
    unit: String,
    with: String,
    step: &Step,
) -> Result<()> {
    let who = text(world, &who)?;
    let bounds = Bounds::of(&amount, &unit, &with, step)?;
    transfer_checked(world, &who, &bounds).await
}

/// `Then the bot hangs up` (optionally `within 2 seconds`): a DELETE of the call.
#[then(regex = r"^the bot hangs up(?: within (\S+?) ?([a-z]+))?$")]
async fn then_hangs_up(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    step: &Step,
) -> Result<()> {
    let bounds = Bounds::of(&amount, &unit, "", step)?;
    hang_up_checked(world, &bounds).await?;
    Ok(())
}

/// `Then the bot hangs up after the prompt "https://example.com/goodbye.wav" has finished`: a
/// DELETE of the call, which came after the stand-in sent the completion of the playPrompt that
/// named the prompt (Graph's `playPromptOperation` notification, status `completed`).
#[then(regex = r#"^the bot hangs up after the prompt "([^"]+)" has finished$"#)]
async fn hangs_up_after_prompt(world: &mut CallWorld, uri: String) -> Result<()> {
    let uri = text(world, &uri)?;
    let call = current_call(world)?;
    // The playPrompt, whether or not an earlier step matched it.
    let played = {
        let bot = world.bot()?;
        let wanted = prompt_of(&call, &uri);
        bot.link
            .requests()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .rfind(|r| (wanted.matches)(r))
    };
    let Some(played) = played else {
        bail!(
            "the bot never played the prompt \"{uri}\" on this call: `Then the bot plays the \
             prompt \"{uri}\"` first, or check the URI"
        );
    };
    let op_id = played
        .response
        .as_ref()
        .and_then(|r| r["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let hang_up = hang_up_checked(world, &Bounds::NONE).await?;
    // The hang-up drops a prompt still playing: its completion is then never sent. One the bot
    // was answering when it hung up is recorded once its POST is answered.
    let standin = world.standin()?;
    let until = Instant::now() + world.wall(DEFAULT_BOT_WAIT);
    let finished = |standin: &callspec::StandIn| {
        standin.deliveries().iter().any(|d| {
            d.body["value"].as_array().is_some_and(|items| {
                items.iter().any(|item| {
                    item["resourceData"]["id"].as_str() == Some(op_id.as_str())
                        && item["resourceData"]["status"].as_str() == Some("completed")
                })
            })
        })
    };
    loop {
        if finished(standin) {
            return Ok(());
        }
        if standin.deliveries_in_flight() == 0 {
            break;
        }
        let next = standin.recorded_count() + 1;
        if !standin.wait_for_deliveries(next, until).await {
            break;
        }
    }
    bail!(
        "the bot hung up (DELETE at +{:.2} s) before the prompt \"{uri}\" had finished: the \
         stand-in had not sent the completion of its playPrompt (operation {op_id}, played at \
         +{:.2} s)",
        hang_up.at.as_secs_f64(),
        played.at.as_secs_f64()
    )
}

/// `Then the bot waited at least 2 seconds before retrying`: every request the stand-in refused
/// with 429 in this scenario was retried (the same method and path), the retry coming at least
/// that long (wall time: `Retry-After` is the bot's real clock) after the 429. Waits, bounded,
/// for the retries still due.
#[then(regex = r"^the bot waited at least (\S+?) ?([a-z]+) before retrying$")]
async fn waited_before_retrying(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let floor = duration(&amount, &unit)?;
    let until = (Instant::now() + floor + world.wall(DEFAULT_BOT_WAIT)).min(world.deadline);
    let bot = world.bot()?;
    // Each throttled request with its retry, if one came.
    let pairs = |requests: &[BotRequest]| -> Vec<(usize, Option<usize>)> {
        requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == 429)
            .map(|(i, r)| {
                let retry = requests[i + 1..]
                    .iter()
                    .position(|later| later.method == r.method && later.path == r.path)
                    .map(|j| i + 1 + j);
                (i, retry)
            })
            .collect()
    };
    loop {
        let requests = bot.link.requests();
        let found = pairs(&requests);
        let waiting = found.is_empty() || found.iter().any(|(_, retry)| retry.is_none());
        if !waiting || !bot.link.wait_requests(requests.len() + 1, until).await {
            break;
        }
    }
    let requests = bot.link.requests();
    let found = pairs(&requests);
    if found.is_empty() {
        bail!(
            "the stand-in throttled none of the bot's requests in this scenario: `Given Graph \
             throttles the next request with Retry-After 2` (or `the bot's next playPrompt`) \
             comes first; the bot's requests:\n{}",
            listing(bot, &requests)
        );
    }
    for (refused, retry) in found {
        let first = &requests[refused];
        let Some(retry) = retry else {
            bail!(
                "the bot never retried {} {} (throttled with 429 at +{:.2} s); its requests:\n{}",
                first.method,
                first.path,
                first.at.as_secs_f64(),
                listing(bot, &requests)
            );
        };
        let again = &requests[retry];
        let gap = again.at.saturating_sub(first.at);
        if gap < floor {
            bail!(
                "the bot retried {} {} at +{:.2} s, {:.2} s after Graph's 429 at +{:.2} s; \
                 expected at least {} (the Retry-After)",
                again.method,
                again.path,
                again.at.as_secs_f64(),
                gap.as_secs_f64(),
                first.at.as_secs_f64(),
                said(floor)
            );
        }
    }
    Ok(())
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

/// A step's own time limit from its optional `within` amount and unit (empty when absent),
/// else the time a step waits for a bot.
fn wait_of(amount: &str, unit: &str) -> Result<Duration> {
    if amount.is_empty() {
        Ok(DEFAULT_BOT_WAIT)
    } else {
        duration(amount, unit)
    }
}

/// `Then the bot records a response` (optionally `of at most 30 seconds`, `with a beep`, and
/// `within 5 seconds`): a recordResponse on the current call (plain or OData-qualified name)
/// the stand-in accepted; with a limit, its `maxRecordDurationInSeconds` (Graph's default 5
/// when absent) is that limit; with a beep, it does not turn `playBeep` off.
#[then(
    regex = r"^the bot records a response(?: of at most (\S+?) ?([a-z]+))?( with a beep)?(?: within (\S+?) ?([a-z]+))?$"
)]
async fn then_records(
    world: &mut CallWorld,
    amount: String,
    unit: String,
    beep: String,
    within: String,
    within_unit: String,
) -> Result<()> {
    let limit = if amount.is_empty() {
        None
    } else {
        Some(duration(&amount, &unit)?)
    };
    let wait = wait_of(&within, &within_unit)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(wait);
    let on = call.clone();
    let expected = Expected {
        what: format!("the bot to record a response (a POST .../calls/{call}/recordResponse)"),
        matches: Box::new(move |r| {
            r.method == "POST" && is_action(api_path(&r.path), &on, "recordResponse")
        }),
    };
    let request = expect_request(world, expected, wait, until).await?;
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

/// `Then the bot downloaded the recording` (optionally `within 5 seconds`): a GET of the
/// `recordingLocation` of the current call's completed recordResponse that the stand-in answered
/// 200, which it does only with `Authorization: Bearer {recordingAccessToken}` (waited for, as
/// the other bot steps do).
#[then(regex = r"^the bot downloaded the recording(?: within (\S+?) ?([a-z]+))?$")]
async fn downloaded_recording(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let wait = wait_of(&amount, &unit)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(wait);
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
        match expect_request(world, expected, wait, until).await {
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

/// `Then the bot removes "Alice" from the call` (optionally `within 5 seconds`): a `DELETE
/// .../calls/{id}/participants/{id}` the stand-in accepted, for a participant the rosters the
/// bot was sent name "Alice" (by display name or id).
#[then(regex = r#"^the bot removes "([^"]*)" from the call(?: within (\S+?) ?([a-z]+))?$"#)]
async fn removes_participant(
    world: &mut CallWorld,
    who: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let wait = wait_of(&amount, &unit)?;
    let who = text(world, &who)?;
    let call = current_call(world)?;
    let until = Instant::now() + world.wall(wait);
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
    let request = expect_request(world, expected, wait, until).await?;
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
    use crate::forgery::{answer_of, await_delivery, describe_delivery, sent_listing};
    let call = current_call(world)?;
    let limit = world.wall(DEFAULT_BOT_WAIT);
    let until = (Instant::now() + limit).min(world.deadline);
    let standin = world.standin()?;
    let picked = await_delivery(standin, until, |deliveries| {
        deliveries
            .iter()
            .position(|d| d.call_id == call && carries(d, &change))
    })
    .await;
    match picked {
        Ok((_, d)) if matches!(d.outcome, Ok(200..=299)) => Ok(()),
        Ok((index, d)) => bail!(
            "expected the bot to acknowledge the \"{change}\" notification with 2xx; {} after \
             {:.2} s ({})",
            answer_of(&d),
            d.elapsed.as_secs_f64(),
            describe_delivery(index, &d)
        ),
        Err(deliveries) => bail!(
            "no \"{change}\" notification for call {call} reached the bot within {:.1} s; the \
             stand-in sent for it:\n{}",
            limit.as_secs_f64(),
            sent_listing(
                deliveries
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.call_id == call)
            )
        ),
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

/// With a bot under test, before a key press: waits (bounded) until the call is established
/// and the bot's subscribeToTone for it was accepted, as real Graph sends tones only then.
/// Fails with the reason otherwise: a key pressed earlier would vanish, and the step checking
/// what the bot does with it would fail later with no hint why.
pub async fn await_tones_heard(world: &mut CallWorld, key: &str) -> Result<()> {
    let call = current_call(world)?;
    let until = (Instant::now() + world.wall(DEFAULT_BOT_WAIT)).min(world.deadline);
    let standin = world.standin()?;
    let bot = world.bot()?;
    let subscribe = operation(&call, "subscribeToTone");
    loop {
        let requests = bot.link.requests();
        let subscribed = requests
            .iter()
            .any(|r| (200..300).contains(&r.status) && (subscribe.matches)(r));
        let state = standin.call_state(&call);
        let established = state == Some(callspec::graph::CallState::Established);
        if subscribed && established {
            return Ok(());
        }
        let delivered = standin.recorded_count() + 1;
        let more = tokio::select! {
            more = bot.link.wait_requests(requests.len() + 1, until) => more,
            more = standin.wait_for_deliveries(delivered, until) => more,
        };
        if more {
            continue;
        }
        let why = match (established, subscribed) {
            (false, _) => format!(
                "the call is {} and not established",
                state.map_or("gone", |s| s.as_str())
            ),
            _ => "the bot has not subscribed to tones (no accepted POST .../subscribeToTone)"
                .to_owned(),
        };
        bail!(
            "the key {key} cannot be pressed yet: {why} after {}; real Graph sends tones only \
             on an established call whose bot subscribed to them, so the bot would never hear \
             it. The bot's requests:\n{}",
            said(DEFAULT_BOT_WAIT),
            listing(bot, &requests)
        );
    }
}
