//! Steps that script the other side of the call (mock mode): callees, meetings, the lobby,
//! incoming calls. Every duration is simulated time.

use anyhow::{bail, Result};
use callspec::graph::{Answer, Lobby, MeetingChange, RemoteAction};
use cucumber::{given, when};
use serde_json::json;

use crate::support::{duration, text};
use crate::world::CallWorld;

/// Reads "answers after 2 seconds", "declines", "is busy", "does not answer", "cannot be
/// found", "cannot be reached".
fn answer(behaviour: &str, amount: &str, unit: &str) -> Result<Answer> {
    Ok(match behaviour {
        "declines" => Answer::Declines,
        "is busy" => Answer::IsBusy,
        "does not answer" => Answer::DoesNotAnswer,
        "cannot be found" => Answer::CannotBeFound,
        "cannot be reached" => Answer::CannotBeReached,
        _ if behaviour.starts_with("answers") => Answer::After(duration(amount, unit)?),
        other => bail!("unknown callee behaviour \"{other}\""),
    })
}

/// `Given the callee answers after 2 seconds` / `declines` / `is busy` / `does not answer` /
/// `cannot be found` / `cannot be reached`: applies to everyone the bot calls next (each
/// target of a group call, invitees) unless named otherwise.
#[given(
    regex = r"^the callee (answers after (\S+?) ?([a-z]+)|declines|is busy|does not answer|cannot be found|cannot be reached)$"
)]
fn callee_answers(
    world: &mut CallWorld,
    behaviour: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let answer = answer(&behaviour, &amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.set_answer(None, answer));
    Ok(())
}

/// `Given "user2" does not answer`: one party (by display name or id) of a group call, an
/// invitee or a transfer target; the same forms as for "the callee".
#[given(
    regex = r#"^"([^"]+)" (answers after (\S+?) ?([a-z]+)|declines|is busy|does not answer|cannot be found|cannot be reached)$"#
)]
fn party_answers(
    world: &mut CallWorld,
    who: String,
    behaviour: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let answer = answer(&behaviour, &amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.set_answer(Some(&who), answer));
    Ok(())
}

/// `Given the callee hangs up after 10 seconds`: counted from when the callee answers.
#[given(regex = r"^the callee hangs up after (\S+?) ?([a-z]+)$")]
fn callee_hangs_up(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let after = duration(&amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.set_hang_up(None, after));
    Ok(())
}

/// `Given "user1" hangs up after 10 seconds`: one party of a group call leaves, counted from
/// its answer.
#[given(regex = r#"^"([^"]+)" hangs up after (\S+?) ?([a-z]+)$"#)]
fn party_hangs_up(world: &mut CallWorld, who: String, amount: String, unit: String) -> Result<()> {
    let after = duration(&amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.set_hang_up(Some(&who), after));
    Ok(())
}

/// `Given "Alice" joins the meeting after 3 seconds` / `Given "Alice" leaves the meeting after
/// 10 seconds`: counted from the bot's create; the bot gets a roster update (unless it waits in
/// the lobby).
#[given(regex = r#"^"([^"]+)" (joins|leaves) the meeting after (\S+?) ?([a-z]+)$"#)]
fn meeting_change(
    world: &mut CallWorld,
    who: String,
    change: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let at = duration(&amount, &unit)?;
    let joins = change == "joins";
    world
        .standin()?
        .update_script(|s| s.meeting.push(MeetingChange { at, who, joins }));
    Ok(())
}

/// `Given the meeting admits the bot from the lobby after 5 seconds` (a guest join).
#[given(regex = r"^the meeting admits the bot from the lobby after (\S+?) ?([a-z]+)$")]
fn lobby_admits(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let after = duration(&amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.lobby = Lobby::AdmitsAfter(after));
    Ok(())
}

/// `Given the meeting denies the bot entry after 5 seconds`: the call ends (403/0).
#[given(regex = r"^the meeting denies the bot entry after (\S+?) ?([a-z]+)$")]
fn lobby_denies(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let after = duration(&amount, &unit)?;
    world
        .standin()?
        .update_script(|s| s.lobby = Lobby::DeniesAfter(after));
    Ok(())
}

/// `Given nobody admits the bot from the lobby`: the call ends at the lobby timeout (200/5855).
#[given("nobody admits the bot from the lobby")]
fn lobby_waits(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_script(|s| s.lobby = Lobby::Waits);
    Ok(())
}

/// `Given the transfer target declines`: a transfer leaves the call established (500/7000).
#[given("the transfer target declines")]
fn transfer_declined(world: &mut CallWorld) -> Result<()> {
    world
        .standin()?
        .update_script(|s| s.transfer_accepted = false);
    Ok(())
}

/// `Given the stand-in delivers notifications out of order`: each pair swapped (2, 1, 4, 3...).
#[given("the stand-in delivers notifications out of order")]
fn out_of_order(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_delivery(|q| q.out_of_order = true);
    Ok(())
}

/// `Given the stand-in batches notifications`: notifications due at the same moment go out in
/// one POST, several items in the envelope's `value`, as real Graph may send them.
#[given("the stand-in batches notifications")]
fn batches(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_delivery(|q| q.batch = true);
    Ok(())
}

/// `Given "John" is already in the meeting`: a Teams user present before the bot joins; they
/// are in the first roster the bot gets.
#[given(expr = "{string} is already in the meeting")]
fn already_there(world: &mut CallWorld, who: String) -> Result<()> {
    let who = text(world, &who)?;
    world.standin()?.update_script(|s| s.present.push(who));
    Ok(())
}

/// `Given the stand-in delivers every notification twice`.
#[given("the stand-in delivers every notification twice")]
fn twice(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_delivery(|q| q.duplicate = true);
    Ok(())
}

/// `When "John" calls the bot`: an incoming call; the bot gets a `created` notification with
/// state `incoming` and must answer, reject or redirect within 15 seconds. The call becomes the
/// scenario's current call.
#[when(expr = "{string} calls the bot")]
pub fn incoming(world: &mut CallWorld, caller: String) -> Result<()> {
    let identity = if caller.starts_with('+') {
        json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "phone": { "@odata.type": "#microsoft.graph.identity", "id": caller },
        })
    } else {
        json!({
            "@odata.type": "#microsoft.graph.identitySet",
            "user": {
                "@odata.type": "#microsoft.graph.identity",
                "displayName": caller,
                "id": uuid::Uuid::new_v4().to_string(),
            },
        })
    };
    let callback = world.callback_uri()?;
    let call = world
        .standin()?
        .incoming_call(identity, &callback, &world.app);
    if let Some(id) = call["id"].as_str() {
        crate::bot::incoming_call_made(world, id);
    }
    world.make_current(call);
    Ok(())
}

/// A Teams user's identity set, by display name.
fn teams_user(name: &str) -> serde_json::Value {
    json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "user": {
            "@odata.type": "#microsoft.graph.identity",
            "displayName": name,
            "id": uuid::Uuid::new_v4().to_string(),
        },
    })
}

/// `Given the recording policy is strict`: the policy that invites the bot cancels the
/// recorded user's call when the bot does not record (the policy application's
/// `RequiredBeforeCallEstablishment` / `RequiredDuringCall`): an unanswered invite ends, and so
/// does a call whose bot has not reported "recording" 10 s after its leg is established.
#[given("the recording policy is strict")]
fn strict_policy(world: &mut CallWorld) -> Result<()> {
    world
        .standin()?
        .update_script(|s| s.strict_recording = true);
    Ok(())
}

/// `When "John" starts a call that Teams records with the bot` (optionally `starts a call with
/// "Alice"`), or `When "John" joins a meeting that Teams records with the bot`: John's
/// recording policy names the bot, so Teams invites it to record: an incoming call whose source
/// is John and whose `incomingContext` observes him (a meeting's also carries its chat and
/// token). The bot must answer and report that it records. The call becomes the scenario's
/// current call; with a bot under test, it is the bot's.
#[when(
    regex = r#"^"([^"]+)" (?:starts a call(?: with "([^"]+)")?|(joins a meeting)) that Teams records with the bot$"#
)]
pub fn recorded_call(
    world: &mut CallWorld,
    recorded: String,
    other: String,
    meeting: String,
) -> Result<()> {
    let recorded = text(world, &recorded)?;
    let other = if !meeting.is_empty() {
        None
    } else if other.is_empty() {
        Some(teams_user("Callee"))
    } else {
        Some(teams_user(&text(world, &other)?))
    };
    let callback = world.callback_uri()?;
    let call = world.standin()?.policy_recording_invite(
        teams_user(&recorded),
        other,
        &callback,
        &world.app,
    );
    if let Some(id) = call["id"].as_str() {
        crate::bot::incoming_call_made(world, id);
    }
    world.make_current(call);
    Ok(())
}

fn remote_action(
    world: &CallWorld,
    after: std::time::Duration,
    action: RemoteAction,
) -> Result<()> {
    let call_id = world
        .call_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("there is no call yet for the other side to act on"))?;
    world.standin()?.remote(&call_id, after, action)?;
    Ok(())
}

fn optional_after(amount: &str, unit: &str) -> Result<std::time::Duration> {
    if amount.is_empty() {
        return Ok(std::time::Duration::ZERO);
    }
    duration(amount, unit)
}

/// `When the callee presses 5` (or `"#"`, `"*"`, or a letter `A`-`D`, the keypad's fourth
/// column; optionally `after 2 seconds`): a DTMF tone, notified as `toneInfo` if the call is
/// established and the bot subscribed to tones (`tone5`, `pound`, `star`, `a`-`d`, as Graph
/// names them; with a bot under test the step waits for both, bounded, and fails saying which
/// is missing).
#[when(regex = r#"^the callee presses "?([^"\s]+)"?(?: after (\S+?) ?([a-z]+))?$"#)]
async fn presses(world: &mut CallWorld, key: String, amount: String, unit: String) -> Result<()> {
    let one_key = key.len() == 1 && "0123456789*#ABCDabcd".contains(key.as_str());
    if !one_key {
        bail!("\"{key}\" is not a key on a phone: press one of 0-9, *, # or A-D (a step per key)");
    }
    let after = optional_after(&amount, &unit)?;
    if world.has_bot() && after.is_zero() {
        crate::bot::await_tones_heard(world, &key).await?;
    }
    remote_action(world, after, RemoteAction::PressesKey(key))
}

/// `When "John" presses 1` (or `"#"`, `"*"`, `A`-`D`): the caller of the current call presses
/// a key, notified as `toneInfo` if the call is established and the bot subscribed to tones.
#[when(regex = r#"^"[^"]+" presses "?([^"\s]+)"?$"#)]
async fn named_presses(world: &mut CallWorld, key: String) -> Result<()> {
    presses(world, key, String::new(), String::new()).await
}

/// `When the callee hangs up` (optionally `after 5 seconds`): the call ends (200/5002).
#[when(regex = r"^the callee hangs up(?: after (\S+?) ?([a-z]+))?$")]
fn hangs_up_now(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let after = optional_after(&amount, &unit)?;
    remote_action(world, after, RemoteAction::HangsUp)
}

/// `When "Alice" joins the call` / `When "Alice" leaves the call` (optionally `after 3
/// seconds`): a roster update follows.
#[when(regex = r#"^"([^"]+)" (joins|leaves) the (?:call|meeting)(?: after (\S+?) ?([a-z]+))?$"#)]
fn joins_now(
    world: &mut CallWorld,
    who: String,
    change: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let after = optional_after(&amount, &unit)?;
    let action = if change == "joins" {
        RemoteAction::Joins(who)
    } else {
        RemoteAction::Leaves(who)
    };
    remote_action(world, after, action)
}

/// `When the caller hangs up` or `When "John" hangs up` (optionally `after 5 seconds`): the
/// other side of the current call (an incoming call's caller, or the callee) ends it
/// (200/5002), as `When the callee hangs up` does. One party of a group call leaves with
/// `When "Alice" leaves the call`.
#[when(regex = r#"^(?:the caller|"[^"]+") hangs up(?: after (\S+?) ?([a-z]+))?$"#)]
fn caller_hangs_up(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    hangs_up_now(world, amount, unit)
}
