//! Steps that check the HTTP response the bot got.

use anyhow::{bail, Result};
use callspec::matching::{check_fields, describe};
use callspec::{check, MatchMode};
use cucumber::{gherkin::Step, then};
use serde_json::Value;

use crate::support::{docstring, document, rows, text, value};
use crate::world::{CallWorld, HttpAnswer};

/// `METHOD url` and the body, for failure messages.
fn shown(answer: &HttpAnswer) -> String {
    let body = if answer.body.is_null() {
        answer.text.clone()
    } else {
        serde_json::to_string_pretty(&answer.body).unwrap_or_default()
    };
    let sent = match &answer.request_body {
        Some(text) if text.len() > 2000 => format!(" with a {}-byte body", text.len()),
        Some(text) => format!(" with {text}"),
        None => String::new(),
    };
    format!(
        "{} {}{sent}\nanswered {}:\n{body}",
        answer.method, answer.url, answer.status
    )
}

/// `Then the response status is 201`.
#[then(expr = "the response status is {int}")]
fn status(world: &mut CallWorld, expected: u16) -> Result<()> {
    let answer = world.response()?;
    if answer.status != expected {
        bail!(
            "expected status {expected}, got {}\n{}",
            answer.status,
            shown(answer)
        );
    }
    Ok(())
}

/// `Then the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"`.
#[then(expr = "the response header {string} is {string}")]
fn header_is(world: &mut CallWorld, name: String, expected: String) -> Result<()> {
    let expected = text(world, &expected)?;
    match world.response()?.header(&name) {
        Some(actual) if actual == expected => Ok(()),
        Some(actual) => bail!("header {name}: expected \"{expected}\", got \"{actual}\""),
        None => {
            bail!("header {name}: expected \"{expected}\", but the response has no {name} header")
        }
    }
}

/// `Then the response header "request-id" matches "#uuid"`: the value is a pattern (markers).
#[then(expr = "the response header {string} matches {string}")]
fn header_matches(world: &mut CallWorld, name: String, pattern: String) -> Result<()> {
    let expected = Value::String(text(world, &pattern)?);
    let actual = match world.response()?.header(&name) {
        Some(v) => Value::String(v.to_owned()),
        None => bail!("the response has no {name} header (expected one matching {pattern})"),
    };
    let mismatches = check(&expected, &actual, MatchMode::Subset);
    if let Some(m) = mismatches.first() {
        bail!("header {name}: expected {}, got {}", m.expected, m.actual);
    }
    Ok(())
}

fn body_matches(world: &CallWorld, expected: &Value, mode: MatchMode, source: &str) -> Result<()> {
    let answer = world.response()?;
    let mismatches = check(expected, &answer.body, mode);
    if mismatches.is_empty() {
        return Ok(());
    }
    bail!(
        "the response body does not match {source} ({} mismatch{}):\n{}",
        mismatches.len(),
        if mismatches.len() == 1 { "" } else { "es" },
        describe(expected, &answer.body, &mismatches)
    )
}

/// `Then the response matches "responses/v1/call-establishing.yaml"`: every key in the file
/// matches (extra keys in the response are fine).
#[then(expr = "the response matches {string}")]
fn matches_file(world: &mut CallWorld, file: String) -> Result<()> {
    let expected = document(world, &file)?;
    body_matches(world, &expected, MatchMode::Subset, &file)
}

/// `Then the response matches exactly "file"`: no extra keys allowed.
#[then(expr = "the response matches exactly {string}")]
fn matches_file_exactly(world: &mut CallWorld, file: String) -> Result<()> {
    let expected = document(world, &file)?;
    body_matches(world, &expected, MatchMode::Exact, &file)
}

/// `Then the response matches:` with a YAML docstring pattern.
#[then("the response matches:")]
fn matches_docstring(world: &mut CallWorld, step: &Step) -> Result<()> {
    let expected = docstring(world, step)?;
    body_matches(world, &expected, MatchMode::Subset, "the docstring")
}

/// `Then the response matches exactly:` with a YAML docstring pattern; no extra keys allowed.
#[then("the response matches exactly:")]
fn matches_docstring_exactly(world: &mut CallWorld, step: &Step) -> Result<()> {
    let expected = docstring(world, step)?;
    body_matches(world, &expected, MatchMode::Exact, "the docstring")
}

/// `Then the response has:` with a `| path | value |` table; values are YAML patterns.
#[then("the response has:")]
fn has_fields(world: &mut CallWorld, step: &Step) -> Result<()> {
    let answer = world.response()?;
    let mut fields = Vec::new();
    for row in rows(step, 2, "| path | value |")? {
        fields.push((row[0].trim().to_owned(), value(world, &row[1])?));
    }
    let mismatches = check_fields("$", &fields, &answer.body);
    if mismatches.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    bail!(
        "the response does not have:\n  {}\n{}",
        lines.join("\n  "),
        shown(answer)
    )
}

/// `Then the response is the Graph error 403 "7504"`: the status, `error.code`, and the
/// envelope Graph uses (`message`, `innerError` with `date`, `request-id`, `client-request-id`).
#[then(expr = "the response is the Graph error {int} {string}")]
fn graph_error(world: &mut CallWorld, status: u16, code: String) -> Result<()> {
    let answer = world.response()?;
    let envelope = serde_json::json!({
        "error": {
            "code": code,
            "message": "#string",
            "innerError": {
                "date": "#regex \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}",
                "request-id": "#uuid",
                "client-request-id": "#string",
            }
        }
    });
    let mut problems: Vec<String> = Vec::new();
    if answer.status != status {
        problems.push(format!("status: expected {status}, got {}", answer.status));
    }
    problems.extend(
        check(&envelope, &answer.body, MatchMode::Subset)
            .iter()
            .map(ToString::to_string),
    );
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "not the Graph error {status} {code}:\n  {}\n{}",
        problems.join("\n  "),
        shown(answer)
    )
}

/// `Then the response error message is "Missing mediaConfig information."`.
#[then(expr = "the response error message is {string}")]
fn error_message(world: &mut CallWorld, expected: String) -> Result<()> {
    let expected = text(world, &expected)?;
    let answer = world.response()?;
    match answer.body["error"]["message"].as_str() {
        Some(m) if m == expected => Ok(()),
        Some(m) => bail!("error message: expected \"{expected}\", got \"{m}\""),
        None => bail!(
            "the response is not a Graph error envelope\n{}",
            shown(answer)
        ),
    }
}
