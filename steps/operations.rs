//! Steps for the bot's follow-up operations on the current call: answer, reject, redirect,
//! playPrompt, keepAlive, mute, unmute, subscribeToTone, invite, transfer.

use anyhow::{Context as _, Result};
use cucumber::{gherkin::Step, when};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{docstring, text};
use crate::world::{Body, CallWorld};

/// A Teams user identity set for a display name.
fn user(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "user": {
            "@odata.type": "#microsoft.graph.identity",
            "displayName": name,
            "id": uuid::Uuid::new_v4().to_string(),
        }
    })
}

fn participant(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        "identity": user(name),
    })
}

/// POSTs `body` to `{call}/{action}`; an operation in the answer is captured as `${operation}`.
pub(crate) async fn operate(world: &mut CallWorld, action: &str, body: Value) -> Result<()> {
    let url = format!("{}/{action}", world.call_url()?);
    world
        .send(Method::POST, &url, Some(Body::Json(body)))
        .await?;
    let answer = world.response()?;
    if answer.status == 200 && answer.body["id"].is_string() {
        let mut op = answer.body.clone();
        if let Some(location) = answer.header("location") {
            op["location"] = json!(location);
        }
        world.vars.insert("operation".into(), op);
    }
    Ok(())
}

/// `When the bot answers the call`: an incoming call, with service-hosted media and the
/// scenario's inbox as callback.
#[when("the bot answers the call")]
async fn answer(world: &mut CallWorld) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_answer(world, crate::bot::ANSWER_LIMIT).await;
    }
    let callback = world.callback_uri()?;
    let body = json!({
        "callbackUri": callback,
        "acceptedModalities": ["audio"],
        "mediaConfig": { "@odata.type": "#microsoft.graph.serviceHostedMediaConfig" },
    });
    operate(world, "answer", body).await
}

/// `When the bot rejects the call` (optionally `with reason "busy"`: none, busy or forbidden).
#[when(regex = r#"^the bot rejects the call(?: with reason "([^"]*)")?$"#)]
async fn reject(world: &mut CallWorld, reason: String) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_reject(world, &reason).await;
    }
    let reason = if reason.is_empty() {
        "none".to_owned()
    } else {
        reason
    };
    operate(world, "reject", json!({ "reason": reason })).await
}

/// `When the bot redirects the call to "Alice"` (optionally `with a timeout of 20 seconds`).
#[when(
    regex = r#"^the bot redirects the call to "([^"]+)"(?: with a timeout of (\d+) seconds?)?$"#
)]
async fn redirect(world: &mut CallWorld, target: String, timeout: String) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_redirect(world, &target).await;
    }
    let mut body = json!({ "targets": [participant(&target)] });
    if !timeout.is_empty() {
        body["timeout"] = json!(timeout.parse::<u64>()?);
    }
    operate(world, "redirect", body).await
}

/// `When the bot plays a prompt`: a media prompt (`https://cdn.contoso.com/beep.wav`); the
/// operation completes with a notification later.
#[when("the bot plays a prompt")]
async fn play_prompt(world: &mut CallWorld) -> Result<()> {
    let body = json!({
        "clientContext": uuid::Uuid::new_v4().to_string(),
        "prompts": [{
            "@odata.type": "#microsoft.graph.mediaPrompt",
            "mediaInfo": {
                "@odata.type": "#microsoft.graph.mediaInfo",
                "uri": "https://cdn.contoso.com/beep.wav",
                "resourceId": "1D6DE2D4-CD51-4309-8DAA-70768651088E",
            }
        }]
    });
    operate(world, "playPrompt", body).await
}

/// `When the bot keeps the call alive`.
#[when("the bot keeps the call alive")]
async fn keep_alive(world: &mut CallWorld) -> Result<()> {
    let url = format!("{}/keepAlive", world.call_url()?);
    world.send(Method::POST, &url, None).await
}

/// `When the bot mutes itself` / `When the bot unmutes itself`.
#[when(regex = r"^the bot (mutes|unmutes) itself$")]
async fn mute(world: &mut CallWorld, which: String) -> Result<()> {
    let action = if which == "mutes" { "mute" } else { "unmute" };
    let body = json!({ "clientContext": uuid::Uuid::new_v4().to_string() });
    operate(world, action, body).await
}

/// `When the bot subscribes to tones`.
#[when("the bot subscribes to tones")]
async fn subscribe(world: &mut CallWorld) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_subscribe(world).await;
    }
    let body = json!({ "clientContext": uuid::Uuid::new_v4().to_string() });
    operate(world, "subscribeToTone", body).await
}

/// `When the bot invites "Alice" to the call`.
#[when(expr = "the bot invites {string} to the call")]
async fn invite(world: &mut CallWorld, who: String) -> Result<()> {
    let body = json!({
        "participants": [participant(&who)],
        "clientContext": uuid::Uuid::new_v4().to_string(),
    });
    operate(world, "participants/invite", body).await
}

/// `When the bot transfers the call to "Alice"`.
#[when(expr = "the bot transfers the call to {string}")]
async fn transfer(world: &mut CallWorld, who: String) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_transfer(world, &who).await;
    }
    operate(
        world,
        "transfer",
        json!({ "transferTarget": participant(&who) }),
    )
    .await
}

/// `When the bot reports the recording status "recording"` (or `notRecording`, `failed`): an
/// `updateRecordingStatus` on the current call, which Teams invited the bot to record. With a
/// bot under test: checks that the bot did.
#[when(regex = r#"^the bot reports the recording status "([^"]*)"$"#)]
async fn report_recording(world: &mut CallWorld, status: String) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_recording_status(world, &status, None).await;
    }
    let body = json!({
        "clientContext": uuid::Uuid::new_v4().to_string(),
        "status": text(world, &status)?,
    });
    operate(world, "updateRecordingStatus", body).await
}

/// `When the bot sends "playPrompt" with:` + YAML docstring: any operation on the current call
/// with a body of your own.
#[when(expr = "the bot sends {string} with:")]
async fn any_operation(world: &mut CallWorld, action: String, step: &Step) -> Result<()> {
    let action = text(world, &action)?;
    let body = docstring(world, step).context("the operation's body")?;
    operate(world, &action, body).await
}
