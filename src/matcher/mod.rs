//! JSON pattern matching: compare an EXPECTED pattern against an ACTUAL value.
//!
//! The core is pure (no I/O): [`check`] / [`check_at`] return every [`Mismatch`] with its JSON
//! path, and [`describe`] renders a readable multi-line failure message with a plain-text diff.
//!
//! # Patterns
//!
//! * Objects match when every expected key matches ([`MatchMode::Subset`]); in
//!   [`MatchMode::Exact`] extra actual keys are mismatches too, at every depth.
//! * Arrays match element by element and must have the same length. A length difference is one
//!   mismatch at the array path (`expected 2 elements, got 3`) plus the per-element mismatches of
//!   the common prefix.
//! * An expected array whose first element is the string `"#contains"`: every following pattern
//!   must match a distinct element of the actual array, in any order; extra actual elements are
//!   fine (in both modes). `"#anyorder"`: the same, but the lengths must be equal too. A pattern
//!   that matches no element is reported at `<array path>[#contains i]` (or `[#anyorder i]`),
//!   where `i` is the pattern's index in the *expected* array (so the first pattern is 1).
//! * Numbers compare by value (`1` matches `1.0`).
//! * String markers, valid only in these exact, case-sensitive forms (no surrounding
//!   whitespace; every other string, e.g. `"#microsoft.graph.call"`, is a literal):
//!
//!   | marker | matches |
//!   |---|---|
//!   | `#ignore` | anything, or absent |
//!   | `#present` | key present, any value (null included) |
//!   | `#notpresent` | key absent |
//!   | `#null` | null. An absent key is **not** null: `#null` fails on a missing key (use `##null`, or `#ignore`, to allow absence) |
//!   | `#notnull` | present and not null |
//!   | `#string` `#number` `#boolean` `#array` `#object` | a value of that JSON type |
//!   | `#uuid` | a string that is a hyphenated 8-4-4-4-12 UUID, any case |
//!   | `#regex <re>` | a string the WHOLE of which matches `<re>` (it is anchored as `^(?:re)$`); an invalid regex is always a mismatch, never a panic |
//!   | `##<marker>` | absent or null; otherwise must match `#<marker>` (e.g. `##uuid`, `##regex ^a`) |
//!   | `#not <marker>` | present, and NOT matching the marker (e.g. `#not #uuid`, `#not #regex ^a`, `#not #null`) |
//!   | `#not <value>` | present, and not that value: a string is compared with the text, any other value by its compact JSON (`#not 5` refuses `5` and `"5"`) |
//!
//!   Markers apply to object values, array elements and the root value. Only `#ignore`,
//!   `#notpresent` and `##<marker>` succeed when a key is absent. Actual strings are never
//!   treated as markers.

//!
//! # Layout
//!
//! - `markers`: the string markers, parsed and applied;
//! - `unordered`: `#contains` / `#anyorder`, and the one assignment algorithm (patterns to
//!   distinct values) that [`sequence`] reuses;
//! - [`sequence`]: expected notifications against what arrived, in order, in any order, or
//!   eventually;
//! - `diff`: the normalized expected value and the line diff of [`describe`].

mod diff;
mod markers;
pub mod sequence;
#[cfg(test)]
mod tests;
mod unordered;

use std::fmt::{self, Write as _};

use serde_json::{Number, Value};

use diff::{line_diff, normalize};
use markers::parse_marker;
use unordered::{check_unordered, unordered_form};

/// How extra keys in the actual value are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Expected keys must match; extra actual keys are fine.
    Subset,
    /// Like `Subset`, but extra actual keys are mismatches too (at every depth).
    Exact,
}

/// One difference between the expected pattern and the actual value.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// JSON path, e.g. `$.resourceData.state` or `$.targets[0]['@odata.type']`.
    pub path: String,
    /// What was expected: compact JSON for literal values (strings quoted), a description for
    /// markers (`a UUID`, `a string matching ^abc$`, `absent`, ...), `(absent)` for a key that
    /// must not be there in [`MatchMode::Exact`].
    pub expected: String,
    /// What was found: compact JSON (long values are shortened with `...`) or `(absent)`.
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.path, self.expected, self.actual
        )
    }
}

/// Text used for a missing value.
const ABSENT: &str = "(absent)";
/// Values rendered in a [`Mismatch`] are shortened to about this many characters.
const MAX_RENDER: usize = 120;
/// Unchanged lines shown around each change in the diff of [`describe`].
const DIFF_CONTEXT: usize = 3;

/// Compares `expected` (a pattern) against `actual`; returns every mismatch, empty when they match.
/// Paths are rooted at `$`.
#[must_use]
pub fn check(expected: &Value, actual: &Value, mode: MatchMode) -> Vec<Mismatch> {
    check_at("$", expected, actual, mode)
}

/// Same as [`check`], with paths rooted at `root` instead of `$` (e.g. `"$.value[2]"` or
/// `"notification 3"`).
#[must_use]
pub fn check_at(root: &str, expected: &Value, actual: &Value, mode: MatchMode) -> Vec<Mismatch> {
    let mut out = Vec::new();
    check_node(expected, Some(actual), root, mode, &mut out);
    out
}

/// Checks each `(path, pattern)` pair against the value at that path of `actual` (paths as in
/// [`crate::templating::lookup`]: `resourceData[0].isInLobby`, `mediaConfig["@odata.type"]`). A path that
/// leads nowhere is an absent value, so `#notpresent`, `#ignore` and `##<marker>` work. Objects
/// compare as [`MatchMode::Subset`]. Mismatch paths read `<root>.<path>`.
#[must_use]
pub fn check_fields(root: &str, fields: &[(String, Value)], actual: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (path, pattern) in fields {
        let shown = format!("{root}.{}", path.trim_start_matches("$."));
        let found = crate::template::lookup(actual, path);
        check_node(pattern, found, &shown, MatchMode::Subset, &mut out);
    }
    out
}

/// Multi-line failure text: one line per mismatch, then a line diff (`-` expected, `+` actual,
/// no colours) between a *normalized expected* and the pretty-printed actual value.
///
/// The normalized expected replaces markers that matched by the actual value, takes `#ignore`d
/// and absent-allowed parts from the actual value, keeps the actual key order and, in Subset mode,
/// copies extra actual keys in, so the diff only shows real differences. The mode is inferred
/// from `mismatches`: it is taken to be [`MatchMode::Exact`] when some mismatch reports an
/// unexpected key (expected `(absent)`), else [`MatchMode::Subset`].
#[must_use]
pub fn describe(expected: &Value, actual: &Value, mismatches: &[Mismatch]) -> String {
    let mode = if mismatches.iter().any(|m| m.expected == ABSENT) {
        MatchMode::Exact
    } else {
        MatchMode::Subset
    };
    let mut s = String::new();
    match mismatches.len() {
        0 => s.push_str("no mismatches\n"),
        1 => s.push_str("1 mismatch:\n"),
        n => {
            let _ = writeln!(s, "{n} mismatches:");
        }
    }
    for m in mismatches {
        let _ = writeln!(s, "  {m}");
    }
    let normalized = normalize(expected, Some(actual), mode).unwrap_or(Value::Null);
    let left = pretty(&normalized);
    let right = pretty(actual);
    s.push_str("\nDiff (- expected, + actual):\n");
    if left == right {
        s.push_str("  (no textual difference)\n");
    } else {
        s.push_str(&line_diff(&left, &right));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Paths and rendering

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn child_key(path: &str, key: &str) -> String {
    if is_identifier(key) {
        format!("{path}.{key}")
    } else {
        let escaped = key.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{path}['{escaped}']")
    }
}

fn child_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= MAX_RENDER {
        return s;
    }
    let mut t: String = s.chars().take(MAX_RENDER - 3).collect();
    t.push_str("...");
    t
}

fn render(actual: Option<&Value>) -> String {
    actual.map_or_else(|| ABSENT.to_owned(), compact)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// Short description of a (non-marker) pattern for the `expected` side of a mismatch.
fn pattern_description(expected: &Value) -> String {
    match expected {
        Value::String(s) => match parse_marker(s) {
            Some(m) => m.description(),
            None => compact(expected),
        },
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        _ => compact(expected),
    }
}

fn elements(n: usize) -> String {
    if n == 1 {
        "1 element".to_owned()
    } else {
        format!("{n} elements")
    }
}

fn push(out: &mut Vec<Mismatch>, path: &str, expected: String, actual: String) {
    out.push(Mismatch {
        path: path.to_owned(),
        expected,
        actual,
    });
}
// ---------------------------------------------------------------------------------------------
// Matching

fn numbers_equal(a: &Number, b: &Number) -> bool {
    let as_int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

fn check_node(
    expected: &Value,
    actual: Option<&Value>,
    path: &str,
    mode: MatchMode,
    out: &mut Vec<Mismatch>,
) {
    if let Value::String(s) = expected {
        if let Some(marker) = parse_marker(s) {
            if !marker.accepts(actual) {
                push(out, path, marker.description(), render(actual));
            }
            return;
        }
    }
    let Some(actual) = actual else {
        push(out, path, pattern_description(expected), ABSENT.to_owned());
        return;
    };
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            for (key, e) in exp {
                check_node(e, act.get(key), &child_key(path, key), mode, out);
            }
            if mode == MatchMode::Exact {
                for (key, a) in act {
                    if !exp.contains_key(key) {
                        push(out, &child_key(path, key), ABSENT.to_owned(), compact(a));
                    }
                }
            }
        }
        (Value::Array(exp), Value::Array(act)) => match unordered_form(exp) {
            Some((order, patterns)) => check_unordered(order, patterns, act, path, mode, out),
            None => {
                if exp.len() != act.len() {
                    push(out, path, elements(exp.len()), act.len().to_string());
                }
                for (i, (e, a)) in exp.iter().zip(act).enumerate() {
                    check_node(e, Some(a), &child_index(path, i), mode, out);
                }
            }
        },
        (Value::Number(e), Value::Number(a)) => {
            if !numbers_equal(e, a) {
                push(out, path, compact(expected), compact(actual));
            }
        }
        (Value::Object(_) | Value::Array(_), _) => {
            push(out, path, pattern_description(expected), compact(actual));
        }
        _ => {
            if expected != actual {
                push(out, path, compact(expected), compact(actual));
            }
        }
    }
}
