//! Helpers the step files share: reading step arguments, tables and docstrings.

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use std::path::{Path, PathBuf};

use callspec::graph::MAX_DURATION;
use callspec::templating::{
    interpolate, interpolate_at, interpolate_str, parse_scalar, render_text, Origin,
};
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

/// A table cell or argument (text unless JSON spells a number, boolean or null, or a `[list]`
/// or `{map}`: `parse_scalar`), then interpolated.
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
    // Gherkin's docstring text starts with the rest of the `"""` line (the line after the
    // step, usually) and has its indentation stripped: the file is read for the exact origin
    // only when there is an error to place.
    let guess = Origin::new(&file, step.position.line);
    match render_text(doc, &guess, &world.vars) {
        Ok(value) => Ok(world.in_live_terms(value)),
        Err(err) => match docstring_origin(&file, step.position.line) {
            Some(origin) => Err(render_text(doc, &origin, &world.vars)
                .err()
                .unwrap_or(err)
                .into()),
            None => Err(err.into()),
        },
    }
}

/// Where a step's docstring sits in its feature file: the line of its opening quotes and the
/// indentation Gherkin stripped from its lines.
fn docstring_origin(file: &Path, step_line: usize) -> Option<Origin> {
    let text = std::fs::read_to_string(file).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let is_fence = |l: &str| {
        let t = l.trim_start();
        t.starts_with("\"\"\"") || t.starts_with("```")
    };
    let open = (step_line..lines.len()).find(|&i| is_fence(lines[i]))?;
    let close = (open + 1..lines.len())
        .find(|&i| is_fence(lines[i]))
        .unwrap_or(lines.len());
    let indent = lines[open + 1..close]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.chars().take_while(|c| c.is_whitespace()).count())
        .min()
        .unwrap_or(0);
    // Text line 1 is the opening line: `open` (0-based) lines come before it.
    Some(Origin::new(file, open).indented(indent))
}

/// Where a value written in a feature file sits (a table cell, or a step's quoted argument),
/// for errors found when the value is used, possibly by a later step.
#[derive(Debug, Clone)]
pub struct TextAt {
    pub file: PathBuf,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub enum Place {
    /// A cell: the table's first line (1-based), row and column from 0 (row 0: the header).
    Cell {
        table_line: usize,
        row: usize,
        column: usize,
    },
    /// A step's quoted argument: the step's line and the argument as written.
    Argument { line: usize, raw: String },
}

impl TextAt {
    /// The cell at `row`, `column` of the step's table.
    pub fn cell(world: &CallWorld, step: &Step, row: usize, column: usize) -> Option<Self> {
        Some(TextAt {
            file: world.feature.clone()?,
            place: Place::Cell {
                table_line: step.table.as_ref()?.position.line,
                row,
                column,
            },
        })
    }

    /// The step's quoted argument `raw`.
    pub fn argument(world: &CallWorld, step: &Step, raw: &str) -> Option<Self> {
        Some(TextAt {
            file: world.feature.clone()?,
            place: Place::Argument {
                line: step.position.line,
                raw: raw.to_owned(),
            },
        })
    }

    /// The origin of the value's text (read from the file; `None` if it cannot be found).
    pub fn origin(&self) -> Option<Origin> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        match &self.place {
            Place::Argument { line, raw } => {
                let index = line.checked_sub(1)?;
                let written = text.lines().nth(index)?;
                let at = written.find(&format!("\"{raw}\""))? + 1;
                let column = written[..at].chars().count();
                Some(Origin::new(&self.file, index).indented(column))
            }
            Place::Cell {
                table_line,
                row,
                column,
            } => {
                let (index, line) = text
                    .lines()
                    .enumerate()
                    .skip(table_line.saturating_sub(1))
                    .filter(|(_, l)| l.trim_start().starts_with('|'))
                    .nth(*row)?;
                // Cells start after an unescaped `|`; the value after the spaces that follow.
                let mut pipes = 0;
                let mut escaped = false;
                let mut chars = line.chars().enumerate().peekable();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '|' if !escaped => {
                            pipes += 1;
                            if pipes == column + 1 {
                                while chars.next_if(|(_, c)| *c == ' ' || *c == '\t').is_some() {}
                                let (at, _) = chars.peek().copied()?;
                                return Some(Origin::new(&self.file, index).indented(at));
                            }
                        }
                        _ => escaped = false,
                    }
                }
                None
            }
        }
    }

    /// Interpolates `value`, read from the `raw` text; an error names where that is written.
    pub fn interpolate(&self, value: &Value, raw: &str, vars: &callspec::Vars) -> Result<Value> {
        match interpolate(value, vars) {
            Ok(v) => Ok(v),
            Err(err) => match self.origin() {
                Some(origin) => Err(interpolate_at(value, vars, &origin, raw.trim())
                    .err()
                    .unwrap_or(err)
                    .into()),
                None => Err(err.into()),
            },
        }
    }
}

/// A table cell or argument read by `parse_scalar` and interpolated; errors point at where it is
/// written.
pub fn value_at(world: &CallWorld, at: Option<TextAt>, raw: &str) -> Result<Value> {
    let value = parse_scalar(raw);
    let rendered = match at {
        Some(at) => at.interpolate(&value, raw, &world.vars)?,
        None => interpolate(&value, &world.vars)?,
    };
    Ok(world.in_live_terms(rendered))
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

/// The header of a notifications table's arrival-time column (not a path into the item).
pub const AT_COLUMN: &str = "at";

/// A table whose header row names JSON paths: each row becomes the list of `(path, pattern)`
/// checks of its non-empty cells (an empty cell is not checked). The `at` column, an arrival
/// time, is not a path: the steps that take it read it with [`arrival_column`].
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
        for (c, (path, cell)) in header.iter().zip(row).enumerate() {
            if cell.trim().is_empty() || path.trim() == AT_COLUMN {
                continue;
            }
            let at = TextAt::cell(world, step, r + 1, c);
            // The cause goes into the message itself: a context line alone would print as
            // `table row 1, column "x"` and hide the undefined variable and its place.
            let expected = value_at(world, at, cell)
                .map_err(|e| anyhow!("table row {}, column \"{path}\": {e:#}", r + 1))?;
            fields.push((path.trim().to_owned(), expected));
        }
        rows.push(fields);
    }
    Ok(rows)
}

/// `500 ms`, `2 s`, `3 seconds`, `1 minute`, `2 hours`: a whole amount, at most
/// [`MAX_DURATION`] (longer is a typo, and would overflow the simulated clock).
pub fn duration(amount: &str, unit: &str) -> Result<Duration> {
    let per_unit: u64 = match unit {
        "ms" | "millisecond" | "milliseconds" => 1,
        "s" | "second" | "seconds" => 1_000,
        "minute" | "minutes" => 60_000,
        "hour" | "hours" => 3_600_000,
        other => bail!(
            "unknown time unit \"{other}\" in \"{amount} {other}\": use ms, seconds, minutes or hours"
        ),
    };
    let Ok(n) = amount.parse::<u64>() else {
        bail!(
            "\"{amount} {unit}\" is not a duration: the amount must be a whole number, 0 or more"
        );
    };
    match n.checked_mul(per_unit).map(Duration::from_millis) {
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => bail!(
            "\"{amount} {unit}\" is too long: durations are at most {} days",
            MAX_DURATION.as_secs() / 86_400
        ),
    }
}

/// A count in a step (`the next 3 requests`): a whole number, 1 or more.
pub fn count(text: &str, what: &str) -> Result<u64> {
    match text.parse::<u64>() {
        Ok(0) => bail!("\"0 {what}\" means nothing: the count must be 1 or more"),
        Ok(n) => Ok(n),
        Err(_) => bail!("\"{text}\" is not a count of {what}: use a whole number, 1 or more"),
    }
}

/// A notifications table's `at` column: per row, the arrival time after the create it names
/// (`+60 s`, `90 seconds`, `0 ms`; an empty cell is not checked). `None`: no such column.
pub fn arrival_column(step: &Step) -> Result<Option<Vec<Option<Duration>>>> {
    let Some((header, body)) = step.table.as_ref().and_then(|t| t.rows.split_first()) else {
        return Ok(None);
    };
    let Some(column) = header.iter().position(|h| h.trim() == AT_COLUMN) else {
        return Ok(None);
    };
    let form = regex::Regex::new(r"^\+?\s*(\d+) ?(ms|milliseconds?|s|seconds?|minutes?|hours?)$")
        .expect("valid regex");
    let mut times = Vec::new();
    for (r, row) in body.iter().enumerate() {
        let cell = row.get(column).map(|c| c.trim()).unwrap_or_default();
        if cell.is_empty() {
            times.push(None);
            continue;
        }
        let Some(caps) = form.captures(cell) else {
            bail!(
                "table row {}, column \"at\": \"{cell}\" is not a time after the create \
                 (write e.g. +60 s, 500 ms or 2 minutes)",
                r + 1
            );
        };
        let at = duration(&caps[1], &caps[2])
            .with_context(|| format!("table row {}, column \"at\"", r + 1))?;
        times.push(Some(at));
    }
    Ok(Some(times))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_bounded_and_never_wrap() {
        assert_eq!(duration("500", "ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("2", "minutes").unwrap(), Duration::from_secs(120));
        let wraps = duration("307445734561825861", "minutes").unwrap_err();
        assert!(wraps.to_string().contains("too long"), "{wraps}");
        assert!(duration("18446744073709551615", "seconds").is_err());
        assert!(duration("366", "days").is_err());
        let hours = MAX_DURATION.as_secs() / 3600;
        assert!(duration(&hours.to_string(), "hours").is_ok());
        assert!(duration(&(hours + 1).to_string(), "hours").is_err());
        for bad in ["-5", "abc", "1.5", ""] {
            let e = duration(bad, "seconds").unwrap_err().to_string();
            assert!(e.contains("whole number"), "{bad}: {e}");
        }
        assert!(count("0", "requests").is_err());
        assert!(count("x", "requests").is_err());
        assert_eq!(
            count("1000000000000", "requests").unwrap(),
            1_000_000_000_000
        );
    }
}
