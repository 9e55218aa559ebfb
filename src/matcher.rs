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

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

use regex::Regex;
use serde_json::{Map, Number, Value};

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
// Markers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Boolean,
    Array,
    Object,
}

impl JsonType {
    fn matches(self, v: &Value) -> bool {
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
            JsonType::Boolean => v.is_boolean(),
            JsonType::Array => v.is_array(),
            JsonType::Object => v.is_object(),
        }
    }

    fn description(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        }
    }
}

#[derive(Debug, Clone)]
enum Marker<'a> {
    Ignore,
    Present,
    NotPresent,
    Null,
    NotNull,
    Type(JsonType),
    Uuid,
    /// The regex text as written after `#regex `.
    Regex(&'a str),
    /// `##<marker>`: absent or null, else the inner marker.
    Optional(Box<Marker<'a>>),
    /// `#not #<marker>`: present, and the marker does not accept the value.
    Negated(Box<Marker<'a>>),
    /// `#not <text>`: present, and not that value (a string equal to the text, or another
    /// value whose JSON is the text).
    NotEqual(&'a str),
}

/// Parses a marker string; `None` means the string is a literal.
fn parse_marker(s: &str) -> Option<Marker<'_>> {
    if let Some(inner) = s.strip_prefix("##") {
        // `##<marker>` wraps a plain (non-optional) marker.
        let plain = &s[1..];
        if inner.starts_with('#') {
            return None;
        }
        return parse_plain_marker(plain).map(|m| Marker::Optional(Box::new(m)));
    }
    parse_plain_marker(s)
}

fn parse_plain_marker(s: &str) -> Option<Marker<'_>> {
    Some(match s {
        "#ignore" => Marker::Ignore,
        "#present" => Marker::Present,
        "#notpresent" => Marker::NotPresent,
        "#null" => Marker::Null,
        "#notnull" => Marker::NotNull,
        "#string" => Marker::Type(JsonType::String),
        "#number" => Marker::Type(JsonType::Number),
        "#boolean" => Marker::Type(JsonType::Boolean),
        "#array" => Marker::Type(JsonType::Array),
        "#object" => Marker::Type(JsonType::Object),
        "#uuid" => Marker::Uuid,
        _ => {
            if let Some(negated) = s.strip_prefix("#not ").filter(|rest| !rest.is_empty()) {
                return Some(match parse_marker(negated) {
                    Some(inner) => Marker::Negated(Box::new(inner)),
                    None => Marker::NotEqual(negated),
                });
            }
            Marker::Regex(s.strip_prefix("#regex ")?)
        }
    })
}

/// A regex compiled from `#regex` text, anchored; `Err` holds a one-line error message.
fn compiled_regex(src: &str) -> Result<Regex, String> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Result<Regex, String>>> =
            RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        if let Some(r) = cache.borrow().get(src) {
            return r.clone();
        }
        // Compile the bare text first: wrapping text such as `a)|(b` could otherwise yield a
        // valid but wrongly anchored regex.
        let r = Regex::new(src)
            .and_then(|_| Regex::new(&format!("^(?:{src})$")))
            .map_err(|e| one_line_error(&e.to_string()));
        cache.borrow_mut().insert(src.to_owned(), r.clone());
        r
    })
}

fn one_line_error(msg: &str) -> String {
    let last = msg
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid regex");
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

/// Compact JSON of a non-string value, for `#not <value>`.
fn compact_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl Marker<'_> {
    fn description(&self) -> String {
        match self {
            Marker::Ignore => "anything".to_owned(),
            Marker::Present => "present".to_owned(),
            Marker::NotPresent => "absent".to_owned(),
            Marker::Null => "null".to_owned(),
            Marker::NotNull => "not null".to_owned(),
            Marker::Type(t) => t.description().to_owned(),
            Marker::Uuid => "a UUID".to_owned(),
            Marker::Regex(src) => match compiled_regex(src) {
                Ok(_) => format!("a string matching {src}"),
                Err(e) => format!("a string matching {src} (but that is an invalid regex: {e})"),
            },
            Marker::Optional(inner) => format!("absent, null or {}", inner.description()),
            Marker::Negated(inner) => format!("anything but {}", inner.description()),
            Marker::NotEqual(text) => format!("anything but {}", Value::String((*text).into())),
        }
    }

    /// Whether the marker accepts `actual` (`None` = absent).
    fn accepts(&self, actual: Option<&Value>) -> bool {
        match self {
            Marker::Ignore => true,
            Marker::Present => actual.is_some(),
            Marker::NotPresent => actual.is_none(),
            Marker::Null => matches!(actual, Some(Value::Null)),
            Marker::NotNull => matches!(actual, Some(v) if !v.is_null()),
            Marker::Type(t) => actual.is_some_and(|v| t.matches(v)),
            Marker::Uuid => matches!(actual, Some(Value::String(s)) if is_uuid(s)),
            Marker::Regex(src) => match compiled_regex(src) {
                Ok(re) => matches!(actual, Some(Value::String(s)) if re.is_match(s)),
                Err(_) => false,
            },
            Marker::Negated(inner) => {
                // An invalid regex is an authoring error, never a match.
                if let Marker::Regex(src) = **inner {
                    if compiled_regex(src).is_err() {
                        return false;
                    }
                }
                actual.is_some() && !inner.accepts(actual)
            }
            Marker::NotEqual(text) => match actual {
                None => false,
                Some(Value::String(s)) => s != text,
                Some(other) => compact_json(other) != *text,
            },
            Marker::Optional(inner) => {
                // An invalid regex is an authoring error: report it even when the value is absent.
                if let Marker::Regex(src) = **inner {
                    if compiled_regex(src).is_err() {
                        return false;
                    }
                }
                match actual {
                    None | Some(Value::Null) => true,
                    Some(_) => inner.accepts(actual),
                }
            }
        }
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Contains,
    AnyOrder,
}

impl Order {
    fn label(self) -> &'static str {
        match self {
            Order::Contains => "#contains",
            Order::AnyOrder => "#anyorder",
        }
    }
}

/// Splits an `["#contains", ...]` / `["#anyorder", ...]` pattern into its kind and patterns.
fn unordered_form(items: &[Value]) -> Option<(Order, &[Value])> {
    match items.first() {
        Some(Value::String(s)) if s == "#contains" => Some((Order::Contains, &items[1..])),
        Some(Value::String(s)) if s == "#anyorder" => Some((Order::AnyOrder, &items[1..])),
        _ => None,
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

/// Sort key for "closest candidate": fewer mismatches first, then fewer missing values.
fn closeness(mismatches: &[Mismatch]) -> (usize, usize) {
    let missing = mismatches.iter().filter(|m| m.actual == ABSENT).count();
    (mismatches.len(), missing)
}

/// Whether both are objects or both are arrays.
fn same_structure(pattern: &Value, actual: &Value) -> bool {
    matches!(
        (pattern, actual),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    )
}

/// Result of matching unordered patterns against array elements.
struct Assignment {
    /// For each pattern, the element it is assigned to.
    pattern_to_element: Vec<Option<usize>>,
    /// `mismatches[p][e]`: the mismatches of pattern `p` against element `e`, paths rooted at the
    /// element.
    mismatches: Vec<Vec<Vec<Mismatch>>>,
}

/// Maximum bipartite matching (Kuhn's augmenting paths) of patterns to distinct elements.
fn assign(patterns: &[Value], actual: &[Value], path: &str, mode: MatchMode) -> Assignment {
    let mismatches: Vec<Vec<Vec<Mismatch>>> = patterns
        .iter()
        .map(|p| {
            actual
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    let mut out = Vec::new();
                    check_node(p, Some(a), &child_index(path, j), mode, &mut out);
                    out
                })
                .collect()
        })
        .collect();
    let compatible: Vec<Vec<bool>> = mismatches
        .iter()
        .map(|row| row.iter().map(Vec::is_empty).collect())
        .collect();

    fn augment(
        p: usize,
        compatible: &[Vec<bool>],
        seen: &mut [bool],
        element_to_pattern: &mut [Option<usize>],
    ) -> bool {
        for (e, &ok) in compatible[p].iter().enumerate() {
            if ok && !seen[e] {
                seen[e] = true;
                let free = match element_to_pattern[e] {
                    None => true,
                    Some(q) => augment(q, compatible, seen, element_to_pattern),
                };
                if free {
                    element_to_pattern[e] = Some(p);
                    return true;
                }
            }
        }
        false
    }

    let mut element_to_pattern = vec![None; actual.len()];
    for p in 0..patterns.len() {
        let mut seen = vec![false; actual.len()];
        augment(p, &compatible, &mut seen, &mut element_to_pattern);
    }
    let mut pattern_to_element = vec![None; patterns.len()];
    for (e, p) in element_to_pattern.iter().enumerate() {
        if let Some(p) = p {
            pattern_to_element[*p] = Some(e);
        }
    }
    Assignment {
        pattern_to_element,
        mismatches,
    }
}

fn check_unordered(
    order: Order,
    patterns: &[Value],
    actual: &[Value],
    path: &str,
    mode: MatchMode,
    out: &mut Vec<Mismatch>,
) {
    if order == Order::AnyOrder && patterns.len() != actual.len() {
        push(
            out,
            path,
            elements(patterns.len()),
            actual.len().to_string(),
        );
    }
    let assignment = assign(patterns, actual, path, mode);
    for (p, pattern) in patterns.iter().enumerate() {
        if assignment.pattern_to_element[p].is_some() {
            continue;
        }
        let row = &assignment.mismatches[p];
        let pattern_path = format!("{path}[{} {}]", order.label(), p + 1);
        let expected = format!("an element matching {}", compact(pattern));
        if row.iter().any(Vec::is_empty) {
            push(
                out,
                &pattern_path,
                expected,
                "no unused element (each element it matches is taken by another pattern)"
                    .to_owned(),
            );
            continue;
        }
        push(
            out,
            &pattern_path,
            expected,
            format!("no match among {}", elements(actual.len())),
        );
        // For structured patterns, also show why the closest element of the same type failed.
        let closest = row
            .iter()
            .enumerate()
            .filter(|(e, _)| same_structure(pattern, &actual[*e]))
            .min_by_key(|(_, m)| closeness(m));
        if let Some((_, m)) = closest {
            out.extend(m.iter().cloned());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Normalization for `describe`

/// The expected pattern rewritten to look like `actual` wherever it matched; `None` = absent.
fn normalize(expected: &Value, actual: Option<&Value>, mode: MatchMode) -> Option<Value> {
    if let Value::String(s) = expected {
        if let Some(marker) = parse_marker(s) {
            return if marker.accepts(actual) {
                actual.cloned()
            } else {
                Some(expected.clone())
            };
        }
    }
    let Some(actual) = actual else {
        return Some(expected.clone());
    };
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            let mut map = Map::new();
            for (key, a) in act {
                match exp.get(key) {
                    Some(e) => {
                        if let Some(v) = normalize(e, Some(a), mode) {
                            map.insert(key.clone(), v);
                        }
                    }
                    None => {
                        if mode == MatchMode::Subset {
                            map.insert(key.clone(), a.clone());
                        }
                    }
                }
            }
            for (key, e) in exp {
                if !act.contains_key(key) {
                    if let Some(v) = normalize(e, None, mode) {
                        map.insert(key.clone(), v);
                    }
                }
            }
            Some(Value::Object(map))
        }
        (Value::Array(exp), Value::Array(act)) => match unordered_form(exp) {
            Some((order, patterns)) => {
                let assignment = assign(patterns, act, "$", mode);
                let mut element_to_pattern = vec![None; act.len()];
                for (p, e) in assignment.pattern_to_element.iter().enumerate() {
                    if let Some(e) = e {
                        element_to_pattern[*e] = Some(p);
                    }
                }
                // Pair each unmatched pattern with its closest unassigned element (structured
                // ones only for #contains, where unassigned elements are legitimate extras), so
                // the diff shows what differs inside it rather than a whole block.
                let mut paired: Vec<Option<Value>> = vec![None; act.len()];
                let mut leftover = Vec::new();
                for (p, pattern) in patterns.iter().enumerate() {
                    if assignment.pattern_to_element[p].is_some() {
                        continue;
                    }
                    let closest = (0..act.len())
                        .filter(|&e| element_to_pattern[e].is_none() && paired[e].is_none())
                        .filter(|&e| order == Order::AnyOrder || same_structure(pattern, &act[e]))
                        .min_by_key(|&e| closeness(&assignment.mismatches[p][e]));
                    match closest {
                        Some(e) => paired[e] = normalize(pattern, Some(&act[e]), mode),
                        None => leftover.push(pattern.clone()),
                    }
                }
                let mut items = Vec::new();
                for (e, a) in act.iter().enumerate() {
                    if let Some(v) = paired[e].take() {
                        items.push(v);
                    } else if element_to_pattern[e].is_some() || order == Order::Contains {
                        items.push(a.clone());
                    }
                }
                items.extend(leftover);
                Some(Value::Array(items))
            }
            None => {
                let mut items = Vec::new();
                for (i, e) in exp.iter().enumerate() {
                    match act.get(i) {
                        Some(a) => items.extend(normalize(e, Some(a), mode)),
                        None => items.push(e.clone()),
                    }
                }
                Some(Value::Array(items))
            }
        },
        (Value::Number(e), Value::Number(a)) if numbers_equal(e, a) => Some(actual.clone()),
        _ => Some(expected.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// Plain line diff

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// Line operations turning `a` into `b` (longest common subsequence).
fn diff_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op<'a>> = a[..prefix].iter().map(|l| Op::Same(l)).collect();
    let (n, m) = (ma.len(), mb.len());
    if n.saturating_mul(m) > 4_000_000 {
        // Too big for the quadratic table: show the whole middle as replaced.
        ops.extend(ma.iter().map(|l| Op::Removed(l)));
        ops.extend(mb.iter().map(|l| Op::Added(l)));
    } else {
        // lcs[i][j] = LCS length of ma[i..] and mb[j..], stored row-major.
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push(Op::Same(ma[i]));
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
                ops.push(Op::Removed(ma[i]));
                i += 1;
            } else {
                ops.push(Op::Added(mb[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - suffix..].iter().map(|l| Op::Same(l)));
    ops
}

/// Unified-style diff without colours: `-` left, `+` right, ` ` unchanged; long unchanged runs
/// are folded into `...` lines.
fn line_diff(left: &str, right: &str) -> String {
    let a: Vec<&str> = left.lines().collect();
    let b: Vec<&str> = right.lines().collect();
    let ops = diff_ops(&a, &b);
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let mut keep = vec![false; ops.len()];
    for &c in &changed {
        let lo = c.saturating_sub(DIFF_CONTEXT);
        let hi = (c + DIFF_CONTEXT).min(ops.len() - 1);
        keep[lo..=hi].iter_mut().for_each(|k| *k = true);
    }
    let mut s = String::new();
    let mut skipped: Vec<&Op> = Vec::new();
    let flush = |s: &mut String, skipped: &mut Vec<&Op>| {
        match skipped.as_slice() {
            [] => {}
            // Folding a single line would not save anything.
            [op] => write_op(s, op),
            run => {
                let _ = writeln!(s, " ... ({} unchanged lines)", run.len());
            }
        }
        skipped.clear();
    };
    for (op, keep) in ops.iter().zip(&keep) {
        if *keep {
            flush(&mut s, &mut skipped);
            write_op(&mut s, op);
        } else {
            skipped.push(op);
        }
    }
    flush(&mut s, &mut skipped);
    s
}

fn write_op(s: &mut String, op: &Op) {
    let _ = match op {
        Op::Same(l) => writeln!(s, " {l}"),
        Op::Removed(l) => writeln!(s, "-{l}"),
        Op::Added(l) => writeln!(s, "+{l}"),
    };
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const UUID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

    fn subset(e: Value, a: Value) -> Vec<String> {
        check(&e, &a, MatchMode::Subset)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn exact(e: Value, a: Value) -> Vec<String> {
        check(&e, &a, MatchMode::Exact)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Checks `marker` as the value of key `k` against `{"k": actual}` (or `{}` when `None`).
    fn marker_ok(marker: &str, actual: Option<Value>) -> bool {
        let a = match actual {
            Some(v) => json!({ "k": v }),
            None => json!({}),
        };
        let both = [MatchMode::Subset, MatchMode::Exact]
            .map(|mode| check(&json!({ "k": marker }), &a, mode).is_empty());
        assert_eq!(both[0], both[1], "modes disagree for {marker} vs {a}");
        both[0]
    }

    // --- negation -----------------------------------------------------------------------------

    #[test]
    fn not_value_refuses_that_value_only() {
        assert!(marker_ok(
            &format!("#not {UUID}"),
            Some(json!("another id"))
        ));
        assert!(!marker_ok(&format!("#not {UUID}"), Some(json!(UUID))));
        assert!(!marker_ok("#not 5", Some(json!(5))));
        assert!(!marker_ok("#not 5", Some(json!("5"))));
        assert!(marker_ok("#not 5", Some(json!(6))));
        assert!(!marker_ok("#not null", Some(Value::Null)));
        // Absent is not "another value".
        assert!(!marker_ok("#not x", None));
        assert!(marker_ok("##not x", None));
        // Without a value it is a literal string.
        assert!(marker_ok("#not", Some(json!("#not"))));
        assert!(!marker_ok("#not", Some(json!("x"))));
    }

    #[test]
    fn not_marker_negates_the_marker() {
        assert!(marker_ok("#not #uuid", Some(json!("plain"))));
        assert!(!marker_ok("#not #uuid", Some(json!(UUID))));
        assert!(marker_ok("#not #regex ^a.*", Some(json!("banana"))));
        assert!(!marker_ok("#not #regex ^a.*", Some(json!("apple"))));
        assert!(marker_ok("#not #null", Some(json!(1))));
        assert!(!marker_ok("#not #null", Some(Value::Null)));
        // An invalid regex is never a match, negated or not.
        assert!(!marker_ok("#not #regex (", Some(json!("x"))));
    }

    #[test]
    fn not_mismatch_names_the_path_and_what_was_refused() {
        assert_eq!(
            subset(json!({"id": format!("#not {UUID}")}), json!({"id": UUID})),
            vec![format!(
                "$.id: expected anything but \"{UUID}\", got \"{UUID}\""
            )]
        );
        assert_eq!(
            subset(
                json!({"a": {"id": "#not #uuid"}}),
                json!({"a": {"id": UUID}})
            ),
            vec![format!(
                "$.a.id: expected anything but a UUID, got \"{UUID}\""
            )]
        );
    }

    // --- basics -------------------------------------------------------------------------------

    #[test]
    fn equal_values_match() {
        let v = json!({"a": [1, "x", null, true, {"b": 2.5}]});
        assert!(check(&v, &v, MatchMode::Exact).is_empty());
        assert!(check(&v, &v, MatchMode::Subset).is_empty());
    }

    #[test]
    fn scalar_mismatch_display() {
        assert_eq!(
            subset(
                json!({"resourceData": {"state": "established"}}),
                json!({"resourceData": {"state": "establishing"}})
            ),
            vec![r#"$.resourceData.state: expected "established", got "establishing""#]
        );
    }

    #[test]
    fn mismatch_fields() {
        let m = check(&json!({"a": 1}), &json!({}), MatchMode::Subset);
        assert_eq!(
            m,
            vec![Mismatch {
                path: "$.a".into(),
                expected: "1".into(),
                actual: "(absent)".into()
            }]
        );
    }

    #[test]
    fn root_scalar_mismatch() {
        assert_eq!(
            subset(json!("a"), json!("b")),
            vec![r#"$: expected "a", got "b""#]
        );
        assert_eq!(
            subset(json!(null), json!(false)),
            vec!["$: expected null, got false"]
        );
    }

    #[test]
    fn type_mismatches() {
        assert_eq!(
            subset(json!({"a": {"b": 1}}), json!({"a": 5})),
            vec!["$.a: expected an object, got 5"]
        );
        assert_eq!(
            subset(json!({"a": [1]}), json!({"a": {"0": 1}})),
            vec![r#"$.a: expected an array, got {"0":1}"#]
        );
        assert_eq!(
            subset(json!({"a": "1"}), json!({"a": 1})),
            vec![r#"$.a: expected "1", got 1"#]
        );
        assert_eq!(
            subset(json!({"a": {}}), json!({})),
            vec!["$.a: expected an object, got (absent)"]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(subset(json!({"a": 1}), json!({"a": 1.0})).is_empty());
        assert!(exact(json!([1.0, -2, 0]), json!([1, -2.0, 0.0])).is_empty());
        assert!(subset(json!(u64::MAX), json!(u64::MAX)).is_empty());
        assert_eq!(subset(json!(1), json!(1.5)), vec!["$: expected 1, got 1.5"]);
        assert_eq!(subset(json!(-1), json!(u64::MAX)).len(), 1);
        // Large integers are not compared through f64.
        assert_eq!(
            subset(
                json!(9_007_199_254_740_993u64),
                json!(9_007_199_254_740_992u64)
            )
            .len(),
            1
        );
    }

    #[test]
    fn long_actual_values_are_shortened() {
        let long = "x".repeat(500);
        let m = check(&json!("a"), &json!(long), MatchMode::Subset);
        assert_eq!(m.len(), 1);
        assert!(m[0].actual.ends_with("..."));
        assert_eq!(m[0].actual.chars().count(), MAX_RENDER);
    }

    // --- modes ----------------------------------------------------------------------------------

    #[test]
    fn subset_allows_extra_keys_at_every_depth() {
        let e = json!({"a": {"b": {"c": 1}}, "l": [{"x": 1}]});
        let a = json!({"a": {"b": {"c": 1, "d": 2}, "e": 3}, "f": 4, "l": [{"x": 1, "y": 2}]});
        assert!(check(&e, &a, MatchMode::Subset).is_empty());
        assert_eq!(
            exact(e, a),
            vec![
                "$.a.b.d: expected (absent), got 2",
                "$.a.e: expected (absent), got 3",
                "$.l[0].y: expected (absent), got 2",
                "$.f: expected (absent), got 4",
            ]
        );
    }

    #[test]
    fn exact_reports_unexpected_root_key() {
        assert_eq!(
            exact(json!({}), json!({"foo": 1})),
            vec!["$.foo: expected (absent), got 1"]
        );
    }

    #[test]
    fn missing_keys_fail_in_both_modes() {
        let e = json!({"a": {"b": 1, "c": 2}});
        let a = json!({"a": {"b": 1}});
        assert_eq!(
            subset(e.clone(), a.clone()),
            vec!["$.a.c: expected 2, got (absent)"]
        );
        assert_eq!(exact(e, a), vec!["$.a.c: expected 2, got (absent)"]);
    }

    #[test]
    fn check_at_uses_root() {
        let m = check_at(
            "notification 3",
            &json!({"a": [1]}),
            &json!({"a": [2]}),
            MatchMode::Subset,
        );
        assert_eq!(m[0].to_string(), "notification 3.a[0]: expected 1, got 2");
        let m = check_at("$.value[2]", &json!({"a": 1}), &json!({}), MatchMode::Exact);
        assert_eq!(m[0].path, "$.value[2].a");
    }

    // --- paths ----------------------------------------------------------------------------------

    #[test]
    fn path_quoting() {
        assert_eq!(
            subset(json!({"@odata.type": "x"}), json!({"@odata.type": "y"})),
            vec![r#"$['@odata.type']: expected "x", got "y""#]
        );
        assert_eq!(
            subset(
                json!({"resourceData": {"@odata.type": "x"}}),
                json!({"resourceData": {"@odata.type": "y"}})
            ),
            vec![r#"$.resourceData['@odata.type']: expected "x", got "y""#]
        );
        assert_eq!(
            subset(
                json!({"it's": 1, "a b": 1, "1a": 1, "": 1, "_ok9": 1}),
                json!({})
            ),
            vec![
                r"$['it\'s']: expected 1, got (absent)",
                "$['a b']: expected 1, got (absent)",
                "$['1a']: expected 1, got (absent)",
                "$['']: expected 1, got (absent)",
                "$._ok9: expected 1, got (absent)",
            ]
        );
    }

    #[test]
    fn array_paths() {
        assert_eq!(
            subset(
                json!({"targets": [{"identity": {"user": {"id": "a"}}}]}),
                json!({"targets": [{"identity": {"user": {"id": "b"}}}]})
            ),
            vec![r#"$.targets[0].identity.user.id: expected "a", got "b""#]
        );
    }

    // --- arrays ---------------------------------------------------------------------------------

    #[test]
    fn array_length_mismatch_plus_prefix_elements() {
        assert_eq!(
            subset(json!({"a": [1, 2]}), json!({"a": [1, 3, 4]})),
            vec![
                "$.a: expected 2 elements, got 3",
                "$.a[1]: expected 2, got 3"
            ]
        );
        assert_eq!(
            subset(json!([1]), json!([])),
            vec!["$: expected 1 element, got 0"]
        );
        assert!(subset(json!([]), json!([])).is_empty());
    }

    #[test]
    fn array_order_matters_by_default() {
        assert_eq!(
            subset(json!([1, 2]), json!([2, 1])),
            vec!["$[0]: expected 1, got 2", "$[1]: expected 2, got 1"]
        );
    }

    #[test]
    fn contains_any_order_and_extra_elements() {
        let e = json!({"l": ["#contains", 3, 1]});
        let a = json!({"l": [1, 2, 3]});
        assert!(check(&e, &a, MatchMode::Subset).is_empty());
        assert!(check(&e, &a, MatchMode::Exact).is_empty());
        assert!(subset(json!(["#contains"]), json!([])).is_empty());
        assert_eq!(
            subset(json!(["#contains"]), json!({})),
            vec!["$: expected an array, got {}"]
        );
    }

    #[test]
    fn contains_needs_distinct_elements() {
        assert_eq!(
            subset(json!(["#contains", 1, 1]), json!([1, 2])),
            vec![
                "$[#contains 2]: expected an element matching 1, got no unused element \
                 (each element it matches is taken by another pattern)"
            ]
        );
        assert!(subset(json!(["#contains", 1, 1]), json!([1, 2, 1])).is_empty());
    }

    #[test]
    fn contains_backtracks() {
        let e = json!(["#contains", {"a": 1}, {}]);
        // `{}` matches any object, but `{"a":1}` needs the only element: fails.
        assert_eq!(
            subset(e.clone(), json!([{"a": 1}])),
            vec![
                "$[#contains 2]: expected an element matching {}, got no unused element \
                 (each element it matches is taken by another pattern)"
            ]
        );
        assert!(subset(e.clone(), json!([{"a": 1}, {"b": 2}])).is_empty());
        assert!(subset(e, json!([{"b": 2}, {"a": 1}])).is_empty());
        // The reverse pattern order needs an augmenting path: `{}` first grabs element 0.
        let e = json!(["#contains", {}, {"a": 1}]);
        assert!(subset(e.clone(), json!([{"a": 1}, {"b": 2}])).is_empty());
        assert!(subset(e, json!([{"b": 2}, {"a": 1}])).is_empty());
    }

    #[test]
    fn contains_reports_closest_candidate() {
        let e = json!({"value": ["#contains", {"id": "x", "state": "established"}]});
        let a = json!({"value": [
            {"id": "y", "state": "idle"},
            {"id": "x", "state": "establishing"},
            7
        ]});
        assert_eq!(
            subset(e, a),
            vec![
                r#"$.value[#contains 1]: expected an element matching {"id":"x","state":"established"}, got no match among 3 elements"#,
                r#"$.value[1].state: expected "established", got "establishing""#,
            ]
        );
        // Scalar patterns get no closest-candidate noise.
        // Ties go to the element that has the pattern's keys.
        assert_eq!(
            subset(json!(["#contains", {"a": 1}]), json!([{"b": 1}, {"a": 2}])),
            vec![
                r#"$[#contains 1]: expected an element matching {"a":1}, got no match among 2 elements"#,
                "$[1].a: expected 1, got 2",
            ]
        );
        assert_eq!(
            subset(json!(["#contains", 5]), json!([1, 2])),
            vec!["$[#contains 1]: expected an element matching 5, got no match among 2 elements"]
        );
    }

    #[test]
    fn contains_in_exact_mode_applies_exact_inside_elements() {
        let e = json!(["#contains", {"a": 1}]);
        assert!(subset(e.clone(), json!([{"a": 1, "b": 2}])).is_empty());
        assert_eq!(
            exact(e, json!([{"a": 1, "b": 2}])),
            vec![
                r#"$[#contains 1]: expected an element matching {"a":1}, got no match among 1 element"#,
                "$[0].b: expected (absent), got 2",
            ]
        );
    }

    #[test]
    fn anyorder() {
        let e = json!(["#anyorder", 1, {"a": "#uuid"}, "x"]);
        assert!(subset(e.clone(), json!(["x", 1, {"a": UUID}])).is_empty());
        assert_eq!(
            subset(e.clone(), json!(["x", 1, {"a": UUID}, 2])),
            vec!["$: expected 3 elements, got 4"]
        );
        assert_eq!(
            subset(e.clone(), json!(["x", 1])),
            vec![
                "$: expected 3 elements, got 2",
                r##"$[#anyorder 2]: expected an element matching {"a":"#uuid"}, got no match among 2 elements"##,
            ]
        );
        assert_eq!(
            subset(e, json!(["x", 1, "y"])),
            vec![
                r##"$[#anyorder 2]: expected an element matching {"a":"#uuid"}, got no match among 3 elements"##
            ]
        );
        assert!(subset(json!(["#anyorder"]), json!([])).is_empty());
        assert_eq!(subset(json!(["#anyorder"]), json!([1])).len(), 1);
    }

    #[test]
    fn contains_only_as_first_element() {
        // Elsewhere it is a literal string.
        assert!(subset(json!([1, "#contains"]), json!([1, "#contains"])).is_empty());
        assert_eq!(subset(json!([1, "#contains"]), json!([1, 2])).len(), 1);
        assert!(subset(json!({"a": "#anyorder"}), json!({"a": "#anyorder"})).is_empty());
        assert_eq!(subset(json!({"a": "#anyorder"}), json!({"a": []})).len(), 1);
    }

    #[test]
    fn nested_unordered_arrays() {
        let e = json!({"p": ["#contains", {"tags": ["#anyorder", "b", "a"]}]});
        assert!(subset(
            e.clone(),
            json!({"p": [{"tags": []}, {"tags": ["a", "b"]}]})
        )
        .is_empty());
        assert!(!subset(e, json!({"p": [{"tags": ["a", "c"]}]})).is_empty());
    }

    // --- markers --------------------------------------------------------------------------------

    #[test]
    fn marker_ignore() {
        for v in [
            json!(null),
            json!(1),
            json!("s"),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert!(marker_ok("#ignore", Some(v)));
        }
        assert!(marker_ok("#ignore", None));
        assert!(subset(json!("#ignore"), json!({"x": 1})).is_empty());
    }

    #[test]
    fn marker_present_notpresent() {
        assert!(marker_ok("#present", Some(json!(null))));
        assert!(marker_ok("#present", Some(json!({}))));
        assert!(!marker_ok("#present", None));
        assert!(marker_ok("#notpresent", None));
        assert!(!marker_ok("#notpresent", Some(json!(null))));
        assert_eq!(
            subset(json!({"k": "#present"}), json!({})),
            vec!["$.k: expected present, got (absent)"]
        );
        assert_eq!(
            subset(json!({"k": "#notpresent"}), json!({"k": 1})),
            vec!["$.k: expected absent, got 1"]
        );
        // At the root, a value is always present.
        assert!(subset(json!("#present"), json!(null)).is_empty());
        assert_eq!(
            subset(json!("#notpresent"), json!(1)),
            vec!["$: expected absent, got 1"]
        );
        // As an array element, #notpresent never matches.
        assert_eq!(subset(json!(["#notpresent"]), json!([1])).len(), 1);
    }

    #[test]
    fn marker_null_notnull() {
        assert!(marker_ok("#null", Some(json!(null))));
        assert!(!marker_ok("#null", Some(json!(0))));
        assert!(!marker_ok("#null", Some(json!(""))));
        // Absent is not null.
        assert!(!marker_ok("#null", None));
        assert_eq!(
            subset(json!({"k": "#null"}), json!({})),
            vec!["$.k: expected null, got (absent)"]
        );
        assert!(marker_ok("#notnull", Some(json!(0))));
        assert!(marker_ok("#notnull", Some(json!(false))));
        assert!(!marker_ok("#notnull", Some(json!(null))));
        assert!(!marker_ok("#notnull", None));
        assert_eq!(
            subset(json!({"k": "#notnull"}), json!({"k": null})),
            vec!["$.k: expected not null, got null"]
        );
    }

    #[test]
    fn marker_types() {
        let values = [
            ("#string", json!("s")),
            ("#number", json!(1.5)),
            ("#boolean", json!(false)),
            ("#array", json!([])),
            ("#object", json!({})),
        ];
        for (marker, good) in &values {
            assert!(marker_ok(marker, Some(good.clone())), "{marker} vs {good}");
            assert!(!marker_ok(marker, None), "{marker} vs absent");
            assert!(!marker_ok(marker, Some(json!(null))), "{marker} vs null");
            for (other, bad) in &values {
                if other != marker {
                    assert!(!marker_ok(marker, Some(bad.clone())), "{marker} vs {bad}");
                }
            }
        }
        assert!(marker_ok("#number", Some(json!(-3))));
        assert_eq!(
            subset(json!({"k": "#string"}), json!({"k": 1})),
            vec!["$.k: expected a string, got 1"]
        );
        assert_eq!(
            subset(json!({"k": "#array"}), json!({"k": "[]"})),
            vec![r#"$.k: expected an array, got "[]""#]
        );
    }

    #[test]
    fn marker_uuid() {
        assert!(marker_ok("#uuid", Some(json!(UUID))));
        assert!(marker_ok("#uuid", Some(json!(UUID.to_uppercase()))));
        assert!(marker_ok(
            "#uuid",
            Some(json!("00000000-0000-0000-0000-000000000000"))
        ));
        for bad in [
            json!("3f2504e04f8911d39a0c0305e82c3301"),
            json!("{3f2504e0-4f89-11d3-9a0c-0305e82c3301}"),
            json!("3f2504e0-4f89-11d3-9a0c-0305e82c330"),
            json!("3f2504e0-4f89-11d3-9a0c-0305e82c33011"),
            json!("3f2504e0-4f89-11d3-9a0c0-305e82c3301"),
            json!("gf2504e0-4f89-11d3-9a0c-0305e82c3301"),
            json!(" 3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
            json!(1),
            json!(null),
        ] {
            assert!(!marker_ok("#uuid", Some(bad.clone())), "{bad}");
        }
        assert!(!marker_ok("#uuid", None));
        assert_eq!(
            subset(json!({"id": "#uuid"}), json!({"id": "abc"})),
            vec![r#"$.id: expected a UUID, got "abc""#]
        );
    }

    #[test]
    fn marker_regex_is_anchored() {
        assert!(marker_ok("#regex abc", Some(json!("abc"))));
        assert!(!marker_ok("#regex abc", Some(json!("xabc"))));
        assert!(!marker_ok("#regex abc", Some(json!("abcx"))));
        assert!(marker_ok("#regex a|ab", Some(json!("ab"))));
        assert!(!marker_ok("#regex a|b", Some(json!("ab"))));
        assert!(marker_ok("#regex ^a.*$", Some(json!("a\u{e9}"))));
        assert!(marker_ok("#regex ", Some(json!(""))));
        assert!(marker_ok("#regex  x", Some(json!(" x"))));
        assert!(!marker_ok("#regex \\d+", Some(json!(12))));
        assert!(!marker_ok("#regex .*", None));
        assert!(!marker_ok("#regex .*", Some(json!(null))));
        assert_eq!(
            subset(json!({"k": "#regex ^abc$"}), json!({"k": "abd"})),
            vec![r#"$.k: expected a string matching ^abc$, got "abd""#]
        );
    }

    #[test]
    fn invalid_regex_is_a_mismatch_not_a_panic() {
        let m = check(
            &json!({"k": "#regex ("}),
            &json!({"k": "("}),
            MatchMode::Subset,
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, "$.k");
        assert!(m[0].expected.contains("invalid regex"), "{}", m[0].expected);
        assert!(!m[0].expected.contains('\n'));
        assert_eq!(m[0].actual, r#""(""#);
        // Text that would become a valid regex only once wrapped is still rejected.
        assert_eq!(subset(json!("#regex a)|(b"), json!("a")).len(), 1);
        // Even optional, even absent: the pattern itself is wrong.
        assert!(!marker_ok("##regex [", None));
        assert!(!marker_ok("##regex [", Some(json!(null))));
    }

    #[test]
    fn optional_markers() {
        assert!(marker_ok("##uuid", None));
        assert!(marker_ok("##uuid", Some(json!(null))));
        assert!(marker_ok("##uuid", Some(json!(UUID))));
        assert!(!marker_ok("##uuid", Some(json!("nope"))));
        assert!(marker_ok("##regex ^a", Some(json!("a"))));
        assert!(!marker_ok("##regex ^a", Some(json!("ab"))));
        assert!(marker_ok("##regex ^a", None));
        assert!(marker_ok("##string", Some(json!("s"))));
        assert!(!marker_ok("##string", Some(json!(1))));
        assert!(marker_ok("##object", None));
        assert_eq!(
            subset(json!({"k": "##uuid"}), json!({"k": 5})),
            vec!["$.k: expected absent, null or a UUID, got 5"]
        );
        // `##` needs a valid marker after it.
        assert!(!marker_ok("##foo", None));
        assert!(!marker_ok("###uuid", None));
        assert!(marker_ok("###uuid", Some(json!("###uuid"))));
    }

    #[test]
    fn markers_in_arrays_and_root() {
        assert!(subset(
            json!(["#uuid", "#number", "##string"]),
            json!([UUID, 3, null])
        )
        .is_empty());
        assert_eq!(
            subset(json!(["#uuid", "#number"]), json!([UUID, "3"])),
            vec![r#"$[1]: expected a number, got "3""#]
        );
        assert!(subset(json!("#uuid"), json!(UUID)).is_empty());
        assert_eq!(
            subset(json!("#object"), json!([])),
            vec!["$: expected an object, got []"]
        );
    }

    #[test]
    fn literals_starting_with_hash() {
        let lit = json!({"@odata.type": "#microsoft.graph.call"});
        assert!(subset(lit.clone(), lit.clone()).is_empty());
        assert_eq!(
            subset(lit, json!({"@odata.type": "#microsoft.graph.participant"})),
            vec![
                r##"$['@odata.type']: expected "#microsoft.graph.call", got "#microsoft.graph.participant""##
            ]
        );
        // Near-misses of markers are literals: case, whitespace, unknown names, bare #regex.
        for lit in [
            "#UUID",
            "#uuid ",
            " #uuid",
            "#Ignore",
            "#regex",
            "#regexabc",
            "#",
            "##",
        ] {
            assert!(subset(json!(lit), json!(lit)).is_empty(), "{lit:?}");
            assert_eq!(subset(json!(lit), json!(UUID)).len(), 1, "{lit:?}");
        }
    }

    #[test]
    fn actual_strings_are_never_markers() {
        assert_eq!(subset(json!("x"), json!("#ignore")).len(), 1);
        assert_eq!(subset(json!({"a": 1}), json!({"a": "#ignore"})).len(), 1);
        assert!(subset(json!("#regex ^#.*$"), json!("#ignore")).is_empty());
    }

    // --- describe -------------------------------------------------------------------------------

    #[test]
    fn describe_lists_mismatches_and_diff_without_marker_noise() {
        let e = json!({
            "id": "#uuid",
            "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "established",
                             "optional": "##string"},
            "ignored": "#ignore",
            "count": 1,
        });
        let a = json!({
            "id": UUID,
            "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "establishing",
                             "extra": [1, 2]},
            "ignored": {"deep": true},
            "count": 1.0,
            "more": "stuff",
        });
        let mismatches = check(&e, &a, MatchMode::Subset);
        assert_eq!(mismatches.len(), 1);
        let text = describe(&e, &a, &mismatches);
        assert!(text.starts_with("1 mismatch:\n"), "{text}");
        assert!(
            text.contains(r#"  $.resourceData.state: expected "established", got "establishing""#),
            "{text}"
        );
        assert!(text.contains("-    \"state\": \"established\","), "{text}");
        assert!(text.contains("+    \"state\": \"establishing\","), "{text}");
        // Matched markers, ignored parts and extra keys are not noise in the diff.
        assert!(!text.contains("#uuid"), "{text}");
        assert!(!text.contains("#ignore"), "{text}");
        assert!(!text.contains("##string"), "{text}");
        let changed: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with('-') || l.starts_with('+'))
            .collect();
        assert_eq!(changed.len(), 2, "{text}");
        assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text}");
    }

    #[test]
    fn describe_exact_mode_shows_extra_keys() {
        let e = json!({"a": "#number", "b": {"c": 1}});
        let a = json!({"a": 3, "b": {"c": 1, "d": 2}});
        let mismatches = check(&e, &a, MatchMode::Exact);
        let text = describe(&e, &a, &mismatches);
        assert!(text.contains("  $.b.d: expected (absent), got 2"), "{text}");
        assert!(text.contains("+    \"d\": 2"), "{text}");
        assert!(!text.contains("#number"), "{text}");
    }

    #[test]
    fn describe_failed_marker_and_missing_key() {
        let e = json!({"id": "#uuid", "gone": "#present", "opt": "##uuid"});
        let a = json!({"id": "nope"});
        let mismatches = check(&e, &a, MatchMode::Subset);
        let text = describe(&e, &a, &mismatches);
        assert!(text.starts_with("2 mismatches:\n"), "{text}");
        assert!(
            text.contains(r#"  $.id: expected a UUID, got "nope""#),
            "{text}"
        );
        assert!(
            text.contains("  $.gone: expected present, got (absent)"),
            "{text}"
        );
        assert!(text.contains(r##"-  "id": "#uuid","##), "{text}");
        assert!(text.contains(r#"+  "id": "nope""#), "{text}");
        assert!(text.contains(r##"-  "gone": "#present""##), "{text}");
        // An absent-allowed key stays out of the diff.
        assert!(!text.contains("opt"), "{text}");
    }

    #[test]
    fn describe_unordered_arrays() {
        let e = json!({"l": ["#contains", {"a": "#number"}, {"b": 2}]});
        let a = json!({"l": [{"z": 0}, {"b": 3}, {"a": 7}]});
        let mismatches = check(&e, &a, MatchMode::Subset);
        let text = describe(&e, &a, &mismatches);
        assert!(text.contains("$.l[#contains 2]"), "{text}");
        assert!(!text.contains("#number"), "{text}");
        assert!(!text.contains("#contains\""), "{text}");
        let removed: Vec<&str> = text.lines().filter(|l| l.starts_with('-')).collect();
        assert!(removed.iter().any(|l| l.contains("\"b\": 2")), "{text}");
        assert!(!removed.iter().any(|l| l.contains("\"a\"")), "{text}");
        // The unmatched pattern is shown against its closest element, `{"b": 3}`.
        assert!(
            text.contains("-      \"b\": 2\n+      \"b\": 3\n"),
            "{text}"
        );
    }

    #[test]
    fn describe_with_no_mismatches() {
        let text = describe(&json!({"a": "#ignore"}), &json!({"a": 1}), &[]);
        assert!(text.starts_with("no mismatches"), "{text}");
        assert!(text.contains("no textual difference"), "{text}");
    }

    #[test]
    fn line_diff_folds_unchanged_runs() {
        let left: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        let mut right = left.clone();
        right[15] = "changed".into();
        let d = line_diff(&left.join("\n"), &right.join("\n"));
        assert_eq!(
            d,
            " ... (12 unchanged lines)\n line 12\n line 13\n line 14\n-line 15\n+changed\n \
             line 16\n line 17\n line 18\n ... (11 unchanged lines)\n"
        );
    }

    #[test]
    fn line_diff_insertions_and_deletions() {
        let d = line_diff("a\nb\nc", "a\nc\nd");
        assert_eq!(d, " a\n-b\n c\n+d\n");
        assert_eq!(line_diff("", "x"), "+x\n");
    }
}
