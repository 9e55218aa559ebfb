//! Steps for the bot's other services (`[services.NAME]` in bot.toml): a spec stubs what a
//! service answers and checks what the bot asked it. A step names a service by its bot.toml key,
//! in any case (`the CRM` for `[services.crm]`).
//!
//! Scenarios run concurrently but the bot has one URL per service for the whole run, so the
//! first step of a scenario that uses the services takes them for the rest of the scenario
//! (`callspec::bot::Services::take`): scenarios that use services run one after another, each
//! with empty servers, and its stubs are gone when it ends.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use callspec::bot::{Reply, Route, ServiceRequest, ServiceTurn};
use cucumber::{gherkin::Step, given, then};

use crate::bot::DEFAULT_BOT_WAIT;
use crate::support::{docstring, duration};
use crate::world::CallWorld;

/// The methods a stub or a check may name.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// `"GET /customers/+14255550123"` as a route; the path is taken as written (never retyped).
fn route(request: &str) -> Result<Route> {
    let Some((method, target)) = request.split_once(' ') else {
        bail!(
            "\"{request}\" is not a request: write the method and the path, e.g. \"GET \
             /customers/+14255550123\""
        );
    };
    if !METHODS.contains(&method) {
        bail!(
            "\"{method}\" is not an HTTP method a stub can name: use one of {}",
            METHODS.join(", ")
        );
    }
    let target = target.trim();
    if !target.starts_with('/') {
        bail!("the path \"{target}\" must start with `/` (it is the part after the service's URL)");
    }
    Ok(Route::new(method, target))
}

/// The service a step names: its index among the run's services, or a did-you-mean.
fn service(world: &CallWorld, name: &str) -> Result<usize> {
    let services = &world.bot()?.run.services;
    if let Some(index) = services.find(name) {
        return Ok(index);
    }
    let names = services.names();
    if names.is_empty() {
        bail!(
            "the bot's config names no other services, so there is no \"{name}\": add \
             `[services.{}]` with `env = \"{}_URL\"` to bot.toml (the bot gets the stand-in's \
             URL in that variable)",
            name.to_ascii_lowercase(),
            name.to_ascii_uppercase().replace('-', "_")
        );
    }
    let lower = name.to_ascii_lowercase();
    let close = names
        .iter()
        .map(|n| (strsim::normalized_damerau_levenshtein(&lower, n), n))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("did you mean \"{n}\"? "))
        .unwrap_or_default();
    bail!(
        "the bot's config names no service \"{name}\": {close}its services are {} \
         (`[services.NAME]` in bot.toml)",
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The scenario's hold on the services, taken at its first service step (waiting, until the
/// scenario's time limit, for a scenario that holds them).
async fn turn(world: &mut CallWorld) -> Result<&mut ServiceTurn> {
    if world.services.is_none() {
        let run = world.bot()?.run.clone();
        world.services = Some(run.services.take(world.deadline).await?);
    }
    world
        .services
        .as_mut()
        .ok_or_else(|| anyhow!("the services were just taken"))
}

fn delay(world: &CallWorld, amount: &str, unit: &str) -> Result<Duration> {
    if amount.is_empty() {
        return Ok(Duration::ZERO);
    }
    Ok(world.wall(duration(amount, unit)?))
}

fn status(text: &str) -> Result<u16> {
    match text.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(code),
        _ => bail!("{text} is not an HTTP status (100..=599)"),
    }
}

async fn stub(world: &mut CallWorld, name: &str, request: &str, reply: Reply) -> Result<()> {
    let index = service(world, name)?;
    let route = route(request)?;
    turn(world).await?.stub(index, route, reply).await;
    Ok(())
}

/// `Given the CRM answers "GET /customers/+14255550123" with:` + a JSON or YAML docstring (the
/// body, sent as JSON with 200; `with 201:` for another status, `after 3 seconds` for a slow
/// answer): the service the bot.toml key names answers that request so from now on.
#[given(
    regex = r#"^the ([A-Za-z][\w-]*) answers "([^"]+)" with(?: (\d{3}))?(?: after (\S+?) ?([a-z]+))?:$"#
)]
async fn answers_with_body(
    world: &mut CallWorld,
    name: String,
    request: String,
    code: String,
    amount: String,
    unit: String,
    step: &Step,
) -> Result<()> {
    let body = docstring(world, step)?;
    let reply = Reply {
        status: if code.is_empty() { 200 } else { status(&code)? },
        body: Some(body),
        delay: delay(world, &amount, &unit)?,
    };
    stub(world, &name, &request, reply).await
}

/// `Given the CRM answers "GET /customers/+14255550123" with 503` (optionally `after 3
/// seconds`): a status and no body.
#[given(
    regex = r#"^the ([A-Za-z][\w-]*) answers "([^"]+)" with (\d{3})(?: after (\S+?) ?([a-z]+))?$"#
)]
async fn answers_with_status(
    world: &mut CallWorld,
    name: String,
    request: String,
    code: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let reply = Reply {
        status: status(&code)?,
        body: None,
        delay: delay(world, &amount, &unit)?,
    };
    stub(world, &name, &request, reply).await
}

/// One line per request a service received.
fn listing(turn: &ServiceTurn, requests: &[ServiceRequest]) -> String {
    if requests.is_empty() {
        return "  (none)".to_owned();
    }
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let stub = r
                .stub
                .and_then(|s| turn.stub_route(s))
                .map(|route| format!(" (stub {route})"))
                .unwrap_or_default();
            let body = if r.body.is_empty() {
                String::new()
            } else {
                format!("\n       body: {}", r.body)
            };
            format!("  {}. {r}{stub}{body}", i + 1)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `Then the bot asked the CRM for "GET /customers/+14255550123"` (optionally `within 3
/// seconds`; by default 10): the service received that request since the scenario's first
/// service step. Fails with what it received instead, and which requests no stub matched.
#[then(
    regex = r#"^the bot asked the ([A-Za-z][\w-]*) for "([^"]+)"(?: within (\S+?) ?([a-z]+))?$"#
)]
async fn asked(
    world: &mut CallWorld,
    name: String,
    request: String,
    amount: String,
    unit: String,
) -> Result<()> {
    let index = service(world, &name)?;
    let route = route(&request)?;
    let limit = if amount.is_empty() {
        DEFAULT_BOT_WAIT
    } else {
        duration(&amount, &unit)?
    };
    let wall = world.wall(limit);
    let until = tokio::time::Instant::now() + wall;
    let mut exited = world.bot()?.run.exited.clone();
    let Some(turn) = world.services.as_ref() else {
        bail!(
            "this scenario has not stubbed the {name} yet: give it a stub first (`Given the \
             {name} answers \"{request}\" with ...`), so that the {name}'s requests are this \
             scenario's and not another's (scenarios that use services run one at a time, \
             from their first service step)"
        );
    };
    loop {
        let requests = turn.requests(index);
        if requests.iter().any(|r| route.matches_request(r)) {
            return Ok(());
        }
        if exited.borrow().is_some() {
            break;
        }
        tokio::select! {
            more = turn.wait_more(index, requests.len(), until) => if !more { break },
            _ = exited.changed() => {}
        }
    }
    let requests = turn.requests(index);
    let mut message = format!(
        "the bot did not ask the {name} for {route} within {:.1} s\nwhat the {name} received \
         since the scenario's first service step:\n{}",
        wall.as_secs_f64(),
        listing(turn, &requests)
    );
    let unmatched: Vec<&ServiceRequest> = requests.iter().filter(|r| r.stub.is_none()).collect();
    if !unmatched.is_empty() {
        message.push_str(&format!(
            "\n{} request(s) no stub matched (answered 404)",
            unmatched.len()
        ));
    }
    if !turn.is_stubbed(index, &route) {
        message.push_str(&format!("\n(no stub of the {name} is {route})"));
    }
    if let Some(exit) = world.bot()?.run.exited.borrow().as_ref() {
        message.push_str(&format!("\n{exit}"));
    }
    bail!(message)
}
