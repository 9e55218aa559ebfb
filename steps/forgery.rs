//! Forged notifications for a bot under test: the stand-in signs one notification (a made-up
//! incoming call, or the next notification of a real call) with a token Graph would never send,
//! and the refusal steps wait for that notification and judge the bot's answer to it.
//!
//! Each forgery catches one check a bot can skip: the signature (another key under the
//! published key id, `alg: none`, HS256 with the public key, no key id), the issuer, the
//! audience, the validity window (`exp`, `nbf`), or the token itself.

use anyhow::{bail, Result};
use callspec::auth::{NotificationToken, SigningKey};
use callspec::graph::Delivery;
use callspec::StandIn;
use cucumber::{given, then, when};
use tokio::time::Instant;

use crate::bot::DEFAULT_BOT_WAIT;
use crate::world::CallWorld;

/// Every forgery, in the words the steps use (`NotificationToken::describe`).
const FORGERIES: [NotificationToken; 10] = [
    NotificationToken::Forged,
    NotificationToken::WrongSignature,
    NotificationToken::NoKeyId,
    NotificationToken::Unsigned,
    NotificationToken::PublicKeyHmac,
    NotificationToken::Expired,
    NotificationToken::NotYetValid,
    NotificationToken::OtherAudience,
    NotificationToken::OtherIssuer,
    NotificationToken::Missing,
];

/// The forgery a step names; the step regexes list exactly these words.
fn forgery(words: &str) -> Result<NotificationToken> {
    match FORGERIES.iter().find(|t| t.describe() == words) {
        Some(token) => Ok(*token),
        None => bail!("\"{words}\" is no forgery the stand-in knows"),
    }
}

/// The forger's key is parsed once, on a blocking thread rather than the scenarios' task.
async fn ready(token: NotificationToken) -> Result<()> {
    if matches!(
        token,
        NotificationToken::Forged | NotificationToken::WrongSignature | NotificationToken::NoKeyId
    ) {
        tokio::task::spawn_blocking(SigningKey::forger).await?;
    }
    Ok(())
}

/// The stand-in of a scenario with a bot under test.
fn bot_standin(world: &CallWorld) -> Result<std::sync::Arc<StandIn>> {
    world.bot()?;
    match world.mock_env() {
        Some(env) => Ok(env.standin.clone()),
        None => bail!("the scenario's stand-in is not running"),
    }
}

/// From now on, the first forged notification is the one refusal steps judge.
fn judge_from_now(world: &mut CallWorld, standin: &StandIn) {
    let count = standin.deliveries().len();
    if let Some(bot) = world.bot_scenario_mut() {
        bot.notifications_judged = count;
    }
}

/// `When the stand-in sends the bot a notification signed with a forged key` (or any other
/// forgery: see the README): an incoming call from "Mallory" whose notification the bot must
/// refuse. `Then the bot refuses the notification` checks that.
#[when(
    regex = r"^the stand-in sends the bot a notification (signed with a forged key|signed with another key under a published key id|signed with another key and no key id|with an unsigned token|signed with HS256 and the public key|with an expired token|with a token not yet valid|for another app|from another issuer|with no token)$"
)]
async fn bad_notification(world: &mut CallWorld, which: String) -> Result<()> {
    let token = forgery(&which)?;
    ready(token).await?;
    let standin = bot_standin(world)?;
    judge_from_now(world, &standin);
    let sent_before = standin.recorded_count();
    standin.update_delivery(|q| q.next_token = Some(token));
    crate::remote::incoming(world, "Mallory".into())?;
    let limit = world.wall(DEFAULT_BOT_WAIT);
    let arrived = standin
        .wait_for_deliveries(sent_before + 1, Instant::now() + limit)
        .await;
    if !arrived {
        standin.update_delivery(|q| q.next_token = None);
        bail!(
            "the stand-in could not deliver the notification to the bot within {:.1} s",
            limit.as_secs_f64()
        );
    }
    Ok(())
}

/// `Given the stand-in sends the next notification signed with another key under a published
/// key id` (any forgery; written after a `When`, it is matched all the same): in the middle of a
/// real call, the next notification carries that token, the ones after it Graph's again.
#[given(
    regex = r"^the stand-in sends the next notification (signed with a forged key|signed with another key under a published key id|signed with another key and no key id|with an unsigned token|signed with HS256 and the public key|with an expired token|with a token not yet valid|for another app|from another issuer|with no token)$"
)]
async fn forge_next_given(world: &mut CallWorld, which: String) -> Result<()> {
    forge_next(world, &which).await
}

async fn forge_next(world: &mut CallWorld, which: &str) -> Result<()> {
    let token = forgery(which)?;
    ready(token).await?;
    let standin = bot_standin(world)?;
    judge_from_now(world, &standin);
    standin.update_delivery(|q| q.next_token = Some(token));
    Ok(())
}

/// `Given the stand-in signs notifications validly again`: after `Given the stand-in signs
/// notifications with a forged key`, or a forged next notification not sent yet, Graph's own
/// tokens again.
#[given("the stand-in signs notifications validly again")]
fn valid_again_given(world: &mut CallWorld) -> Result<()> {
    valid_again(world)
}

fn valid_again(world: &mut CallWorld) -> Result<()> {
    world.standin()?.update_delivery(|q| {
        q.token = NotificationToken::Valid;
        q.next_token = None;
    });
    Ok(())
}

/// One line naming a notification: its number, what it said, its call and its token.
pub fn describe_delivery(index: usize, d: &Delivery) -> String {
    let item = &d.body["value"][0];
    let change = item["changeType"].as_str().unwrap_or("?");
    let data = &item["resourceData"];
    let kind = data["@odata.type"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("#microsoft.graph.");
    let mut what = format!("{change} {kind}");
    if let Some(state) = data["state"].as_str() {
        what.push_str(&format!(" \"{state}\""));
    }
    if let Some(tone) = data["toneInfo"]["tone"].as_str() {
        what.push_str(&format!(" {tone}"));
    }
    if let Some(status) = data["status"].as_str() {
        what.push_str(&format!(" {status}"));
    }
    let token = if d.token == NotificationToken::Valid {
        String::new()
    } else {
        format!(", {}", d.token.describe())
    };
    format!(
        "notification {} ({what} for call {}{token})",
        index + 1,
        d.call_id
    )
}

/// How the bot answered a delivery, for messages.
pub fn answer_of(d: &Delivery) -> String {
    match &d.outcome {
        Ok(status) => format!("it answered {status}"),
        Err(e) => format!("the delivery failed: {e}"),
    }
}

/// Waits (bounded, woken by each delivery) for the first forged notification the bot was sent
/// since the last forging or refusal step; marks it judged.
async fn forged_notification(world: &mut CallWorld) -> Result<(usize, Delivery)> {
    let standin = bot_standin(world)?;
    let from = world.bot()?.notifications_judged;
    let limit = world.wall(DEFAULT_BOT_WAIT);
    let until = (Instant::now() + limit).min(world.deadline);
    let forged = |(_, d): &(usize, &Delivery)| d.token != NotificationToken::Valid;
    match await_delivery(&standin, until, |deliveries| {
        deliveries
            .iter()
            .enumerate()
            .skip(from)
            .find(forged)
            .map(|(i, _)| i)
    })
    .await
    {
        Ok((index, delivery)) => {
            if let Some(bot) = world.bot_scenario_mut() {
                bot.notifications_judged = index + 1;
            }
            Ok((index, delivery))
        }
        Err(deliveries) => bail!(
            "no forged notification reached the bot within {:.1} s; since the forging step \
             the stand-in sent:\n{}",
            limit.as_secs_f64(),
            sent_listing(deliveries.iter().enumerate().skip(from))
        ),
    }
}

/// Waits, woken by each delivery and bounded by `until`, for the delivery `pick` chooses among
/// all recorded so far. Without one in time: what was delivered, for the failure to list.
pub async fn await_delivery(
    standin: &StandIn,
    until: Instant,
    pick: impl Fn(&[Delivery]) -> Option<usize>,
) -> std::result::Result<(usize, Delivery), Vec<Delivery>> {
    loop {
        let seen = standin.recorded_count();
        let deliveries = standin.deliveries();
        if let Some(index) = pick(&deliveries) {
            return Ok((index, deliveries[index].clone()));
        }
        if !standin.wait_for_deliveries(seen + 1, until).await {
            return Err(deliveries);
        }
    }
}

/// Deliveries as a failure lists them, a line each with the bot's answer; `(nothing)` for none.
pub fn sent_listing<'d>(deliveries: impl Iterator<Item = (usize, &'d Delivery)>) -> String {
    let lines: Vec<String> = deliveries
        .map(|(i, d)| format!("  {}: {}", describe_delivery(i, d), answer_of(d)))
        .collect();
    if lines.is_empty() {
        "  (nothing)".to_owned()
    } else {
        lines.join("\n")
    }
}

/// `Then the bot refuses the notification`: the forged notification (waited for) was answered
/// with 401 or 403.
#[then("the bot refuses the notification")]
async fn refuses(world: &mut CallWorld) -> Result<()> {
    let (index, delivery) = forged_notification(world).await?;
    match delivery.outcome {
        Ok(401 | 403) => Ok(()),
        _ => bail!(
            "expected the bot to refuse {} with 401 or 403; {}",
            describe_delivery(index, &delivery),
            answer_of(&delivery)
        ),
    }
}

/// `Then the bot answers the notification with 401`: the forged notification (waited for) was
/// answered with exactly that status.
#[then(regex = r"^the bot answers the notification with (\d{3})$")]
async fn answers_with(world: &mut CallWorld, status: u16) -> Result<()> {
    let (index, delivery) = forged_notification(world).await?;
    if delivery.outcome == Ok(status) {
        return Ok(());
    }
    bail!(
        "expected the bot to answer {} with {status}; {}",
        describe_delivery(index, &delivery),
        answer_of(&delivery)
    )
}

/// `When a forged hang-up of the call reaches the bot`: the `deleted` notification the other
/// side's hang-up would bring, for the current call, which goes on all the same (Graph did not
/// send it). It carries the forgery the step before chose (`Given the stand-in sends the next
/// notification …`, or `Given the stand-in signs notifications with a forged key`); the refusal
/// steps judge it. A bot that acts on it forgets a call that is still up.
#[when("a forged hang-up of the call reaches the bot")]
async fn forged_hang_up(world: &mut CallWorld) -> Result<()> {
    let standin = bot_standin(world)?;
    let call = world.call_id.clone().ok_or_else(|| {
        anyhow::anyhow!("there is no call yet: \"When \\\"John\\\" calls the bot\" must come first")
    })?;
    let mut token = None;
    standin.update_delivery(|q| {
        token = q.next_token.take();
        if token.is_none() && q.token != NotificationToken::Valid {
            token = Some(q.token);
        }
    });
    let Some(token) = token else {
        bail!(
            "a forged hang-up needs a forgery to carry: write `Given the stand-in sends the next \
             notification signed with a forged key` (or another forgery) before it"
        );
    };
    ready(token).await?;
    judge_from_now(world, &standin);
    standin.send_forged_hang_up(&call, token).await?;
    Ok(())
}
