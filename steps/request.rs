//! Steps that build the request: a template, variables, and edits by path.

use anyhow::{Context as _, Result};
use callspec::templating::parse_scalar;
use cucumber::{gherkin::Step, given};

use crate::support::{rows, value_at, TextAt};
use crate::world::{CallWorld, Edit, PendingRequest};

/// `Given a call request from template "v1/p2p-voip-service-hosted"`: loads
/// `scenarios/requests/v1/p2p-voip-service-hosted.yaml` (the nearest `scenarios/` folder up
/// from the feature file that has it).
#[given(expr = "a call request from template {string}")]
fn from_template(world: &mut CallWorld, name: String) -> Result<()> {
    let template = world.request_template(&name)?;
    world.request = Some(PendingRequest {
        template,
        edits: Vec::new(),
    });
    Ok(())
}

/// `Given the variables:` with a `| name | value |` table; a value is text as written unless JSON spells it (`45`, `true`, `null`) or it is a `[list]` or `{map}`.
#[given("the variables:")]
fn variables(world: &mut CallWorld, step: &Step) -> Result<()> {
    for (r, row) in rows(step, 2, "| name | value |")?.into_iter().enumerate() {
        let at = TextAt::cell(world, step, r + 1, 1);
        // The cause in the message itself (a context would print alone, hiding the place).
        let v = value_at(world, at, &row[1])
            .map_err(|e| anyhow::anyhow!("variable \"{}\": {e:#}", row[0].trim()))?;
        world.vars.insert(row[0].trim().to_owned(), v);
    }
    Ok(())
}

/// `Given the variable "callee_id" is "abc"`.
#[given(expr = "the variable {string} is {string}")]
fn variable(world: &mut CallWorld, step: &Step, name: String, raw: String) -> Result<()> {
    let v = value_at(world, TextAt::argument(world, step, &raw), &raw)?;
    world.vars.insert(name, v);
    Ok(())
}

fn pending(world: &mut CallWorld) -> Result<&mut PendingRequest> {
    world.request.as_mut().context(
        "there is no request to change: start with \"Given a call request from template ...\"",
    )
}

/// `Given the request sets:` with a `| path | value |` table; a value is text as written unless JSON spells it (`45`, `true`, `null`) or it is a `[list]` or `{map}`.
#[given("the request sets:")]
fn sets_table(world: &mut CallWorld, step: &Step) -> Result<()> {
    let edits = rows(step, 2, "| path | value |")?
        .into_iter()
        .enumerate()
        .map(|(r, row)| Edit::Set {
            path: row[0].trim().to_owned(),
            value: parse_scalar(&row[1]),
            // Rendered when the request is sent: an error then still names this cell.
            at: TextAt::cell(world, step, r + 1, 1).map(|at| (at, row[1].clone())),
        })
        .collect::<Vec<_>>();
    pending(world)?.edits.extend(edits);
    Ok(())
}

/// `Given the request sets "source.region" to "emea"`; the value is text as written unless JSON spells it (`45`, `true`, `null`) or it is a `[list]` or `{map}`: `"+14255550123"` stays text.
#[given(expr = "the request sets {string} to {string}")]
fn sets_one(world: &mut CallWorld, step: &Step, path: String, raw: String) -> Result<()> {
    let value = parse_scalar(&raw);
    let at = TextAt::argument(world, step, &raw).map(|at| (at, raw.clone()));
    pending(world)?.edits.push(Edit::Set { path, value, at });
    Ok(())
}

/// `Given the request removes "source.region"`.
#[given(expr = "the request removes {string}")]
fn removes(world: &mut CallWorld, path: String) -> Result<()> {
    pending(world)?.edits.push(Edit::Remove { path });
    Ok(())
}
