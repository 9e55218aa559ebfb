//! Helpers the step files share: reading step arguments, tables and docstrings.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use callspec::{interpolate, interpolate_str, parse_scalar, render_text, Origin};
use cucumber::gherkin::Step;
use serde_json::Value;

use crate::world::CallWorld;

/// A step argument with `${...}` filled in, as text.
pub fn text(world: &CallWorld, raw: &str) -> Result<String> {
    Ok(match interpolate_str(raw, &world.vars)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// A table cell or argument read as YAML (numbers, null, lists), then interpolated.
pub fn value(world: &CallWorld, raw: &str) -> Result<Value> {
    Ok(world.in_live_terms(interpolate(&parse_scalar(raw), &world.vars)?))
}

/// A pattern file under `scenarios/`, rendered with the scenario's variables.
pub fn document(world: &CallWorld, file: &str) -> Result<Value> {
    let rendered = world.templates.document(file)?.render(&world.vars)?;
    Ok(world.in_live_terms(rendered))
}

/// The step's docstring parsed as YAML and interpolated; errors point into the feature file.
pub fn docstring(world: &CallWorld, step: &Step) -> Result<Value> {
    let Some(doc) = step.docstring.as_deref() else {
        bail!("this step needs a docstring (a \"\"\" block) under it");
    };
    let file = world.feature.clone().unwrap_or_default();
    // The docstring's text starts on the line after the opening quotes.
    let origin = Origin::new(file, step.position.line + 1);
    Ok(world.in_live_terms(render_text(doc, &origin, &world.vars)?))
}

/// Rows of a `| name | value |`-style table, header row skipped (it must have `width` columns).
pub fn rows(step: &Step, width: usize, header: &str) -> Result<Vec<Vec<String>>> {
    let Some(table) = step.table.as_ref() else {
        bail!("this step needs a table: {header}");
    };
    let mut rows = table.rows.iter();
    let head = rows.next().map(|r| r.len()).unwrap_or_default();
    if head != width {
        bail!("the table must have {width} columns: {header}");
    }
    Ok(rows.cloned().collect())
}

/// A table whose header row names JSON paths: each row becomes the list of `(path, pattern)`
/// checks of its non-empty cells (an empty cell is not checked).
pub fn fields_from_table(world: &CallWorld, step: &Step) -> Result<Vec<Vec<(String, Value)>>> {
    let Some(table) = step.table.as_ref() else {
        bail!("this step needs a table or a docstring");
    };
    let Some((header, body)) = table.rows.split_first() else {
        bail!("the table is empty");
    };
    let mut rows = Vec::new();
    for (r, row) in body.iter().enumerate() {
        let mut fields = Vec::new();
        for (path, cell) in header.iter().zip(row) {
            if cell.trim().is_empty() {
                continue;
            }
            let expected = value(world, cell)
                .with_context(|| format!("table row {}, column \"{path}\"", r + 1))?;
            fields.push((path.trim().to_owned(), expected));
        }
        rows.push(fields);
    }
    Ok(rows)
}

/// `500 ms`, `2 s`, `3 seconds`, `1 minute`, `2 hours`.
pub fn duration(amount: u64, unit: &str) -> Result<Duration> {
    Ok(match unit {
        "ms" | "millisecond" | "milliseconds" => Duration::from_millis(amount),
        "s" | "second" | "seconds" => Duration::from_secs(amount),
        "minute" | "minutes" => Duration::from_secs(amount * 60),
        "hour" | "hours" => Duration::from_secs(amount * 3600),
        other => bail!("unknown time unit \"{other}\": use ms, seconds, minutes or hours"),
    })
}
