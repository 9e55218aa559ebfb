//! Steps for the media operations beyond playPrompt (recordResponse) and for what the other
//! side does while it is recorded or shares a screen (issue 18).

use anyhow::{anyhow, Result};
use callspec::graph::RemoteAction;
use cucumber::{given, when};
use serde_json::json;

use crate::support::{duration, text};
use crate::world::CallWorld;

/// `When the bot records a response of at most 30 seconds`: `POST .../recordResponse` with that
/// `maxRecordDurationInSeconds`, a beep and `#` as stop tone; the operation is `${operation}`.
#[when(regex = r"^the bot records a response of at most (\S+?) ?([a-z]+)$")]
async fn records(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let seconds = duration(&amount, &unit)?.as_secs();
    let body = json!({
        "clientContext": uuid::Uuid::new_v4().to_string(),
        "maxRecordDurationInSeconds": seconds,
        "playBeep": true,
        "stopTones": ["#"],
    });
    crate::operations::operate(world, "recordResponse", body).await
}

fn remote(world: &CallWorld, action: RemoteAction) -> Result<()> {
    let call_id = world
        .call_id
        .clone()
        .ok_or_else(|| anyhow!("there is no call yet for the other side to act on"))?;
    world
        .standin()?
        .remote(&call_id, std::time::Duration::ZERO, action)?;
    Ok(())
}

/// `When the caller speaks for 5 seconds` (or `the callee`, `"John"`): what a recording hears;
/// a running recording is re-planned.
#[when(regex = r#"^(?:the caller|the callee|"[^"]+") speaks for (\S+?) ?([a-z]+)$"#)]
fn speaks(world: &mut CallWorld, amount: String, unit: String) -> Result<()> {
    let length = duration(&amount, &unit)?;
    remote(world, RemoteAction::Speaks(length))
}

/// `When the caller stays silent` (or `the callee`, `"John"`): a recording ends on its initial
/// silence timeout.
#[when(regex = r#"^(?:the caller|the callee|"[^"]+") stays silent$"#)]
fn stays_silent(world: &mut CallWorld) -> Result<()> {
    remote(world, RemoteAction::StaysSilent)
}

/// `When "Alice" shares her screen`: a content sharing session starts and the roster shows her
/// screen-sharing stream sending; a call whose `callOptions` enable content-sharing
/// notifications also gets the session's `created` notification.
#[when(regex = r#"^"([^"]+)" shares (?:her|his|their) screen$"#)]
fn shares_screen(world: &mut CallWorld, who: String) -> Result<()> {
    remote(world, RemoteAction::SharesScreen(who))
}

/// `When "Alice" stops sharing her screen`: her content sharing session ends and the roster
/// shows her screen-sharing stream receiving again; a call whose `callOptions` enable
/// content-sharing notifications also gets the session's `deleted` notification.
#[when(regex = r#"^"([^"]+)" stops sharing (?:her|his|their) screen$"#)]
fn stops_sharing(world: &mut CallWorld, who: String) -> Result<()> {
    remote(world, RemoteAction::StopsSharingScreen(who))
}

/// `Given the prompt "https://example.com/hours.wav" lasts 6 seconds`: a playPrompt naming it
/// plays that long (simulated: no wall time in mock mode; scaled wall time with a bot under
/// test). Every other prompt lasts 2 seconds.
#[given(regex = r#"^the prompt "([^"]+)" lasts (\S+?) ?([a-z]+)$"#)]
fn prompt_lasts(world: &mut CallWorld, uri: String, amount: String, unit: String) -> Result<()> {
    let uri = text(world, &uri)?;
    let length = duration(&amount, &unit)?;
    if length.is_zero() || length > callspec::graph::MAX_DURATION {
        anyhow::bail!(
            "a prompt lasts more than 0 and at most {} days, not \"{amount} {unit}\"",
            callspec::graph::MAX_DURATION.as_secs() / 86_400
        );
    }
    world
        .standin()?
        .update_script(|script| script.prompt_lengths.push((uri, length)));
    Ok(())
}
