//! Steps where the bot calls the API: create, get, hang up.

use anyhow::{Context as _, Result};
use cucumber::{gherkin::Step, given, when};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::text;
use crate::world::{Body, CallWorld};

/// Where a create goes when neither the template nor the step names a path.
const DEFAULT_CREATE_PATH: &str = "/v1.0/communications/calls";

/// `When the bot creates the call`: POSTs the request to the template's `path`.
#[when("the bot creates the call")]
async fn create(world: &mut CallWorld) -> Result<()> {
    let path = pending_path(world)?;
    create_on(world, path).await
}

/// `When the bot creates the call on "/beta/communications/calls"`.
#[when(expr = "the bot creates the call on {string}")]
async fn create_on_path(world: &mut CallWorld, path: String) -> Result<()> {
    let path = text(world, &path)?;
    create_on(world, path).await
}

fn pending_path(world: &CallWorld) -> Result<String> {
    let request = world.request.as_ref().context(
        "there is no request to send: start with \"Given a call request from template ...\"",
    )?;
    Ok(request
        .template
        .path
        .clone()
        .unwrap_or_else(|| DEFAULT_CREATE_PATH.to_owned()))
}

async fn create_on(world: &mut CallWorld, path: String) -> Result<()> {
    let request = world.request.as_ref().context(
        "there is no request to send: start with \"Given a call request from template ...\"",
    )?;
    let mut body = request.render(&world.vars)?;
    world.route_callback(&mut body);
    world
        .send(Method::POST, &path, Some(Body::Json(body)))
        .await?;
    capture_created_call(world);
    Ok(())
}

/// After a 201, the call is captured: `${call.id}`, `${call.location}` and any field by path.
fn capture_created_call(world: &mut CallWorld) {
    let Some(answer) = world.response.as_ref().filter(|a| a.status == 201) else {
        return;
    };
    let mut call = answer.body.clone();
    if let (Value::Object(fields), Some(location)) = (&mut call, answer.header("location")) {
        fields.insert("location".into(), json!(location));
    }
    world.make_current(call);
}

/// `When the bot creates the call as "first"`: the same, and the call is remembered by that
/// name for `When the bot switches to the call "first"`.
#[when(expr = "the bot creates the call as {string}")]
async fn create_named(world: &mut CallWorld, name: String) -> Result<()> {
    let path = pending_path(world)?;
    create_on(world, path).await?;
    let call = world
        .vars
        .get("call")
        .filter(|c| c["id"].as_str() == world.call_id.as_deref())
        .cloned()
        .context("the create did not succeed, so there is no call to name")?;
    world.named_calls.insert(name, call);
    Ok(())
}

/// `When the bot switches to the call "first"`: later steps (and `${call.*}`) refer to it.
#[when(expr = "the bot switches to the call {string}")]
fn switch_call(world: &mut CallWorld, name: String) -> Result<()> {
    let Some(call) = world.named_calls.get(&name).cloned() else {
        let mut known: Vec<&String> = world.named_calls.keys().collect();
        known.sort();
        anyhow::bail!("no call is named \"{name}\" (named calls: {known:?})");
    };
    world.make_current(call);
    Ok(())
}

/// `When the bot gets the call`: GET on the call's Location.
#[when("the bot gets the call")]
async fn get_call(world: &mut CallWorld) -> Result<()> {
    let url = world.call_url()?;
    world.send(Method::GET, &url, None).await
}

/// `When the bot hangs up`: DELETE on the call's Location.
#[when("the bot hangs up")]
async fn hang_up(world: &mut CallWorld) -> Result<()> {
    if world.has_bot() {
        return crate::bot::expect_hang_up(world).await;
    }
    let url = world.call_url()?;
    world.send(Method::DELETE, &url, None).await
}

/// `When the bot gets "/v1.0/communications/calls/${call.id}"`: any GET, for error specs.
#[when(expr = "the bot gets {string}")]
async fn get_path(world: &mut CallWorld, path: String) -> Result<()> {
    let path = text(world, &path)?;
    world.send(Method::GET, &path, None).await
}

/// `When the bot posts to "/v1.0/communications/calls" with the body:` + a docstring sent as
/// written (not read as YAML), for requests a template cannot express, such as broken JSON.
#[when(expr = "the bot posts to {string} with the body:")]
async fn post_raw(world: &mut CallWorld, path: String, step: &Step) -> Result<()> {
    let path = text(world, &path)?;
    let body = step
        .docstring
        .clone()
        .context("this step needs the body as a docstring (a \"\"\" block) under it")?;
    let body = text(world, &body)?;
    world.send(Method::POST, &path, Some(Body::Raw(body))).await
}

/// `Given the request header "Content-Type" is "text/plain"`: sent on every request after.
#[given(expr = "the request header {string} is {string}")]
fn request_header(world: &mut CallWorld, name: String, value: String) -> Result<()> {
    let value = text(world, &value)?;
    world
        .request_headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
    world.request_headers.push((name, value));
    Ok(())
}

/// `When the bot sends a DELETE request to "/v1.0/communications/calls/${call.id}"`: any method
/// to any path, without a body (for error specs).
#[when(regex = r#"^the bot sends an? (GET|POST|PUT|PATCH|DELETE) request to "([^"]*)"$"#)]
async fn any_request(world: &mut CallWorld, method: String, path: String) -> Result<()> {
    let path = text(world, &path)?;
    let method = Method::from_bytes(method.as_bytes())?;
    world.send(method, &path, None).await
}
