//! YAML request templates and documents with `${...}` interpolation.
//!
//! This module is the pure core behind the Gherkin steps: it loads request templates
//! (`scenarios/requests/<name>.yaml`) and other YAML documents, resolves `extends`, applies
//! `set`/`remove` overrides by path, and interpolates `${...}` placeholders while keeping the
//! JSON type of whole-string placeholders. Every error is a one-line, user-facing message that
//! starts with `file:line:column` when a position is known.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Variables for interpolation: a JSON object. `${call.id}` looks up the flat key "call.id" first,
/// then the path call -> id.
pub type Vars = serde_json::Map<String, serde_json::Value>;

/// At most this many names are listed in an undefined-variable message.
const MAX_LISTED_NAMES: usize = 20;

/// Errors from loading, parsing, interpolating and editing templates.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No template or document with that name exists in any root.
    #[error(
        "{kind} \"{name}\" not found: looked for {looked_for} in {}{}",
        show_roots(roots),
        show_suggestion(suggestion)
    )]
    NotFound {
        /// "template" or "document".
        kind: &'static str,
        name: String,
        /// The relative file that was looked for, e.g. `requests/p2p.yaml`.
        looked_for: String,
        /// The roots that were searched, in order.
        roots: Vec<PathBuf>,
        /// The closest existing name, if one is similar.
        suggestion: Option<String>,
    },
    /// The YAML text could not be parsed (syntax error, duplicate key, unknown field, wrong type).
    #[error("{}:{line}:{column}: {message}", show_path(file))]
    Yaml {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A `${name}` placeholder names a variable that is not defined and has no default.
    #[error(
        "{}undefined variable \"{name}\" ({})",
        show_at(file.as_deref(), *line, *column),
        show_defined(defined)
    )]
    UndefinedVariable {
        name: String,
        file: Option<PathBuf>,
        line: Option<usize>,
        column: Option<usize>,
        /// Defined top-level variable names, sorted (at most 20; a trailing "..." when cut).
        defined: Vec<String>,
    },
    /// A `${` without its closing `}`.
    #[error(
        "{}unterminated placeholder \"{text}\" (missing closing brace)",
        show_at(file.as_deref(), *line, *column)
    )]
    Unterminated {
        text: String,
        file: Option<PathBuf>,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// A `${...}` whose content is not `name` or `name:-default`.
    #[error(
        "{}invalid placeholder \"{text}\": {reason}",
        show_at(file.as_deref(), *line, *column)
    )]
    BadPlaceholder {
        text: String,
        reason: String,
        file: Option<PathBuf>,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// A path (for lookup, `set` or `remove`) is malformed or does not fit the value.
    #[error("bad path \"{path}\": {reason}")]
    BadPath { path: String, reason: String },
    /// Templates extend each other in a loop.
    #[error("extends cycle: {}", chain.join(" -> "))]
    ExtendsCycle { chain: Vec<String> },
    /// The file parsed but its content is not a valid template (missing body, bad set/remove...).
    #[error("{}:{line}:{column}: {message}", show_path(file))]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A template or document name that may not be used (empty, absolute, or containing `..`).
    #[error("invalid {kind} name \"{name}\": {reason}")]
    BadName {
        kind: &'static str,
        name: String,
        reason: String,
    },
    /// A file could not be read.
    #[error("{}: {source}", show_path(file))]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
}

// ---------------------------------------------------------------------------------------------
// Display helpers
// ---------------------------------------------------------------------------------------------

/// Shows a path relative to the current directory when it is under it (or close to it).
fn show_path(path: &Path) -> String {
    if !path.is_absolute() {
        return path.display().to_string();
    }
    let Ok(cwd) = std::env::current_dir() else {
        return path.display().to_string();
    };
    let cwd = normalize(&cwd);
    let path = normalize(path);
    // Under the cwd, or at most two levels above it.
    let mut base: &Path = &cwd;
    for ups in 0..3 {
        if let Ok(rest) = path.strip_prefix(base) {
            let mut out = PathBuf::new();
            for _ in 0..ups {
                out.push("..");
            }
            out.push(rest);
            if out.as_os_str().is_empty() {
                return ".".to_string();
            }
            return out.display().to_string();
        }
        match base.parent() {
            Some(parent) if parent.parent().is_some() => base = parent,
            _ => break,
        }
    }
    path.display().to_string()
}

fn show_roots(roots: &[PathBuf]) -> String {
    if roots.is_empty() {
        return "(no scenario folders)".to_string();
    }
    roots
        .iter()
        .map(|r| show_path(r))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_suggestion(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean \"{s}\"?"),
        None => String::new(),
    }
}

fn show_at(file: Option<&Path>, line: Option<usize>, column: Option<usize>) -> String {
    match (file, line, column) {
        (Some(f), Some(l), Some(c)) => format!("{}:{l}:{c}: ", show_path(f)),
        (Some(f), Some(l), None) => format!("{}:{l}: ", show_path(f)),
        (Some(f), None, _) => format!("{}: ", show_path(f)),
        (None, _, _) => String::new(),
    }
}

fn show_defined(defined: &[String]) -> String {
    if defined.is_empty() {
        "no variables are defined".to_string()
    } else {
        format!("defined: {}", defined.join(", "))
    }
}

/// Lexically normalizes a path: drops `.` and resolves `..` against earlier components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    });
    normalize(&abs)
}

// ---------------------------------------------------------------------------------------------
// Sources and positions
// ---------------------------------------------------------------------------------------------

/// Where a piece of YAML text came from, for error positions (a docstring in a feature file
/// starts at `line_offset`).
///
/// `line_offset` is the number of lines in `file` before the text's first line: a docstring
/// whose first content line is line 12 of the feature file has `line_offset: 11`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line_offset: usize,
}

impl Origin {
    pub fn new(file: impl Into<PathBuf>, line_offset: usize) -> Self {
        Origin {
            file: file.into(),
            line_offset,
        }
    }
}

/// Source text kept for positions of interpolation errors.
#[derive(Debug, Clone)]
struct Source {
    file: PathBuf,
    text: String,
    line_offset: usize,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset, with the line offset added.
    fn position(&self, byte: usize) -> (usize, usize) {
        let before = &self.text[..byte];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line + self.line_offset, column)
    }

    /// Finds `needle` in the text, skipping occurrences escaped as `$${...}`.
    fn find_placeholder(&self, needle: &str) -> Option<(usize, usize)> {
        if needle.is_empty() {
            return None;
        }
        let mut from = 0;
        while let Some(i) = self.text[from..].find(needle) {
            let at = from + i;
            if at > 0 && self.text.as_bytes()[at - 1] == b'$' {
                from = at + 1;
                continue;
            }
            return Some(self.position(at));
        }
        None
    }

    /// Finds `needle` anywhere in the text.
    fn find(&self, needle: &str) -> Option<(usize, usize)> {
        if needle.is_empty() {
            return None;
        }
        self.text.find(needle).map(|i| self.position(i))
    }
}

/// Searches `sources` (in order) for a placeholder; falls back to the first file without a position.
fn locate(sources: &[Source], needle: &str) -> (Option<PathBuf>, Option<usize>, Option<usize>) {
    for source in sources {
        if let Some((line, column)) = source.find_placeholder(needle) {
            return (Some(source.file.clone()), Some(line), Some(column));
        }
    }
    // Multi-line scalars may have been folded: try the first line of the needle.
    if let Some(first) = needle.lines().next().filter(|f| f.len() < needle.len()) {
        for source in sources {
            if let Some((line, column)) = source.find_placeholder(first) {
                return (Some(source.file.clone()), Some(line), Some(column));
            }
        }
    }
    (sources.first().map(|s| s.file.clone()), None, None)
}

// ---------------------------------------------------------------------------------------------
// YAML -> JSON
// ---------------------------------------------------------------------------------------------

/// A JSON value deserialized from YAML, rejecting duplicate keys and non-finite numbers.
struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(JsonValue)
    }
}

/// A JSON object deserialized from a YAML mapping (duplicate keys rejected, order kept).
struct JsonMap(Map<String, Value>);

impl<'de> Deserialize<'de> for JsonMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapOnlyVisitor).map(JsonMap)
    }
}

/// `Some(value)` whenever the key is present, even for an explicit `null`.
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    JsonValue::deserialize(deserializer).map(|v| Some(v.0))
}

struct ValueVisitor;

fn visit_map_entries<'de, A: MapAccess<'de>>(
    mut access: A,
) -> Result<Map<String, Value>, A::Error> {
    let mut map = Map::new();
    while let Some(key) = access.next_key_seed(KeySeed(&map))? {
        let JsonValue(value) = access.next_value()?;
        map.insert(key, value);
    }
    Ok(map)
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-compatible YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("the number {v} cannot be represented in JSON")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(item)) = access.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        visit_map_entries(access).map(Value::Object)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "YAML tags like `!name` are not supported (quote the value to keep it as text)",
        ))
    }
}

struct MapOnlyVisitor;

impl<'de> Visitor<'de> for MapOnlyVisitor {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        visit_map_entries(access)
    }
}

/// Reads a mapping key as a string, failing (at the key's position) when it repeats.
struct KeySeed<'a>(&'a Map<String, Value>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if self.0.contains_key(v) {
            Err(E::custom(format!("duplicate key \"{v}\"")))
        } else {
            Ok(v.to_owned())
        }
    }
}

/// Turns a yaml_serde error into `TemplateError::Yaml` with a 1-based position.
fn yaml_error(err: serde_yaml::Error, file: &Path, line_offset: usize) -> TemplateError {
    let mut message = err.to_string();
    let (line, column) = match err.location() {
        Some(loc) => {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            message = message.replacen(&suffix, "", 1);
            (loc.line(), loc.column())
        }
        None => (1, 1),
    };
    // Other marks in the message (libyaml's context, e.g. "while parsing a flow sequence at
    // line 2 column 4") are relative to the text: add the offset so they match the file.
    if line_offset > 0 {
        let marks = regex::Regex::new(r"at line (\d+) column (\d+)").expect("valid regex");
        message = marks
            .replace_all(&message, |caps: &regex::Captures| {
                let l: usize = caps[1].parse().unwrap_or(0);
                format!("at line {} column {}", l + line_offset, &caps[2])
            })
            .into_owned();
    }
    TemplateError::Yaml {
        file: file.to_path_buf(),
        line: line + line_offset,
        column,
        message,
    }
}

fn parse_yaml(text: &str, file: &Path, line_offset: usize) -> Result<Value, TemplateError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_yaml::from_str::<JsonValue>(text)
        .map(|v| v.0)
        .map_err(|e| yaml_error(e, file, line_offset))
}

/// Parses YAML text (e.g. a Gherkin docstring) into JSON without interpolating it.
/// Errors report file:line:col with the origin's line offset added.
pub fn parse_text(text: &str, origin: &Origin) -> Result<Value, TemplateError> {
    parse_yaml(text, &origin.file, origin.line_offset)
}

// ---------------------------------------------------------------------------------------------
// Interpolation
// ---------------------------------------------------------------------------------------------

/// One piece of a string: literal text or a `${name[:-default]}` placeholder.
#[derive(Debug, PartialEq)]
enum Part<'s> {
    Text(String),
    Placeholder {
        raw: &'s str,
        name: &'s str,
        default: Option<&'s str>,
    },
}

enum PartError<'s> {
    Unterminated(&'s str),
    Bad(&'s str, String),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

fn split_parts(s: &str) -> Result<Vec<Part<'_>>, PartError<'_>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("$${") {
            text.push_str("${");
            i += 3;
            continue;
        }
        if let Some(inner) = rest.strip_prefix("${") {
            let name_len = inner
                .char_indices()
                .find(|&(_, c)| !is_name_char(c))
                .map_or(inner.len(), |(j, _)| j);
            let name = &inner[..name_len];
            let after = &inner[name_len..];
            let (default, raw_len) = if after.starts_with('}') {
                (None, 2 + name_len + 1)
            } else if let Some(def_text) = after.strip_prefix(":-") {
                // The default runs to the matching `}` (braces inside it must balance).
                let mut depth = 0usize;
                let mut end = None;
                for (j, c) in def_text.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            end = Some(j);
                            break;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                match end {
                    Some(j) => (Some(&def_text[..j]), 2 + name_len + 2 + j + 1),
                    None => return Err(PartError::Unterminated(rest)),
                }
            } else {
                return match rest.find('}') {
                    Some(close) => Err(PartError::Bad(
                        &rest[..=close],
                        "expected ${name} or ${name:-default}, where a name is letters, digits, \
                         `_`, `-`, `.` and [index]"
                            .to_string(),
                    )),
                    None => Err(PartError::Unterminated(rest)),
                };
            };
            let raw = &rest[..raw_len];
            let first = name.chars().next();
            if !first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
                return Err(PartError::Bad(
                    raw,
                    "a variable name must start with a letter or `_`".to_string(),
                ));
            }
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Placeholder { raw, name, default });
            i += raw_len;
            continue;
        }
        let c = rest.chars().next().expect("non-empty rest");
        text.push(c);
        i += c.len_utf8();
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// Interpolation context: variables plus source texts for error positions.
struct Ctx<'a> {
    vars: &'a Vars,
    sources: &'a [Source],
}

impl Ctx<'_> {
    fn lookup_var(&self, name: &str) -> Option<&Value> {
        if let Some(v) = self.vars.get(name) {
            return Some(v);
        }
        let segments = parse_path(name).ok()?;
        let (first, rest) = segments.split_first()?;
        let Segment::Key(key) = first else {
            return None;
        };
        walk(self.vars.get(key)?, rest)
    }

    fn undefined(&self, name: &str, raw: &str) -> TemplateError {
        let (file, line, column) = locate(self.sources, raw);
        let mut defined: Vec<String> = self.vars.keys().cloned().collect();
        defined.sort();
        if defined.len() > MAX_LISTED_NAMES {
            defined.truncate(MAX_LISTED_NAMES);
            defined.push("...".to_string());
        }
        TemplateError::UndefinedVariable {
            name: name.to_string(),
            file,
            line,
            column,
            defined,
        }
    }

    fn part_error(&self, err: PartError<'_>) -> TemplateError {
        match err {
            PartError::Unterminated(text) => {
                let (file, line, column) = locate(self.sources, text);
                TemplateError::Unterminated {
                    text: shorten(text, 60),
                    file,
                    line,
                    column,
                }
            }
            PartError::Bad(text, reason) => {
                let (file, line, column) = locate(self.sources, text);
                TemplateError::BadPlaceholder {
                    text: shorten(text, 60),
                    reason,
                    file,
                    line,
                    column,
                }
            }
        }
    }

    /// Resolves one placeholder. `whole` selects typed defaults (parse_scalar) over literal text.
    fn resolve(
        &self,
        raw: &str,
        name: &str,
        default: Option<&str>,
        whole: bool,
    ) -> Result<Value, TemplateError> {
        match (self.lookup_var(name), default) {
            (Some(v), _) if !v.is_null() => Ok(v.clone()),
            (Some(v), None) => Ok(v.clone()),
            (_, Some(d)) if whole => Ok(parse_scalar(d)),
            (_, Some(d)) => Ok(Value::String(d.to_string())),
            (None, None) => Err(self.undefined(name, raw)),
        }
    }

    fn string(&self, s: &str) -> Result<Value, TemplateError> {
        if !s.contains("${") {
            return Ok(Value::String(s.to_string()));
        }
        let parts = split_parts(s).map_err(|e| self.part_error(e))?;
        if let [Part::Placeholder { raw, name, default }] = parts.as_slice() {
            return self.resolve(raw, name, *default, true);
        }
        let mut out = String::new();
        for part in &parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Placeholder { raw, name, default } => {
                    let v = self.resolve(raw, name, *default, false)?;
                    out.push_str(&value_as_text(&v));
                }
            }
        }
        Ok(Value::String(out))
    }

    fn value(&self, value: &Value) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(s) => self.string(s)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let key = value_as_text(&self.string(k)?);
                    out.insert(key, self.value(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

/// Strings as raw text, everything else as compact JSON.
fn value_as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max_chars).collect();
        format!("{cut}...")
    }
}

/// Interpolates one string (a step argument or table cell): a whole-string `${x}` returns x's
/// value with its type; otherwise a string.
pub fn interpolate_str(s: &str, vars: &Vars) -> Result<Value, TemplateError> {
    Ctx { vars, sources: &[] }.string(s)
}

/// Interpolates every string (and object KEY, as a string) inside a value.
pub fn interpolate(value: &Value, vars: &Vars) -> Result<Value, TemplateError> {
    Ctx { vars, sources: &[] }.value(value)
}

/// Parses YAML text (e.g. a Gherkin docstring) and interpolates it. Errors report file:line:col
/// with the offset added.
pub fn render_text(text: &str, origin: &Origin, vars: &Vars) -> Result<Value, TemplateError> {
    let value = parse_text(text, origin)?;
    let sources = [Source {
        file: origin.file.clone(),
        text: text.to_string(),
        line_offset: origin.line_offset,
    }];
    Ctx {
        vars,
        sources: &sources,
    }
    .value(&value)
}

/// Reads a table cell as YAML: `30` -> 30, `null` -> null, `[a, b]` -> array, `true` -> bool,
/// `"30"` -> string "30"; text that is not valid YAML stays a string. Empty cell -> empty string.
///
/// Only scalars and flow collections (`[...]`, `{...}`) are read as YAML: `a: b` or `- x` stay
/// text, and an unquoted string keeps its exact text (so `#uuid` or `a #b` are not comments).
pub fn parse_scalar(text: &str) -> Value {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Value::String(text.to_string());
    }
    let Ok(JsonValue(value)) = serde_yaml::from_str::<JsonValue>(text) else {
        return Value::String(text.to_string());
    };
    let quoted = trimmed.starts_with('"') || trimmed.starts_with('\'');
    let flow = trimmed.starts_with('[') || trimmed.starts_with('{');
    match value {
        Value::String(_) if quoted => value,
        Value::String(_) => Value::String(text.to_string()),
        Value::Array(_) | Value::Object(_) if flow => value,
        Value::Array(_) | Value::Object(_) => Value::String(text.to_string()),
        Value::Null if trimmed.starts_with('#') => Value::String(text.to_string()),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '$'))
}

/// Formats segments back into path text (`a.b[0]["@odata.type"]`); the root is `$`.
fn format_path(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return "$".to_string();
    }
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Key(k) if is_plain_key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Key(k) => {
                out.push_str(&format!("[{}]", Value::String(k.clone())));
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn bad_path(path: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError::BadPath {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Parses `a.b[0].c`, `a["@odata.type"]`, `a['x.y']`, with an optional leading `$.` or `$`.
fn parse_path(path: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut s = path.trim();
    if let Some(rest) = s.strip_prefix('$') {
        s = rest.strip_prefix('.').unwrap_or(rest);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    // True where a key must follow (start of path or after a dot).
    let mut expect_key = true;
    while i < chars.len() {
        match chars[i] {
            '[' => {
                i += 1;
                match chars.get(i) {
                    Some(&q @ ('"' | '\'')) => {
                        i += 1;
                        let mut key = String::new();
                        loop {
                            match chars.get(i) {
                                None => return Err(bad_path(path, "unterminated quoted key")),
                                Some('\\') if chars.get(i + 1).is_some() => {
                                    key.push(chars[i + 1]);
                                    i += 2;
                                }
                                Some(&c) if c == q => {
                                    i += 1;
                                    break;
                                }
                                Some(&c) => {
                                    key.push(c);
                                    i += 1;
                                }
                            }
                        }
                        if chars.get(i) != Some(&']') {
                            return Err(bad_path(path, "expected `]` after a quoted key"));
                        }
                        i += 1;
                        segments.push(Segment::Key(key));
                    }
                    _ => {
                        let start = i;
                        while i < chars.len() && chars[i] != ']' {
                            i += 1;
                        }
                        if i >= chars.len() {
                            return Err(bad_path(path, "missing `]`"));
                        }
                        let inner: String = chars[start..i].iter().collect();
                        let index = inner.trim().parse::<usize>().map_err(|_| {
                            bad_path(
                                path,
                                format!(
                                    "`[{inner}]` is not an array index; quote keys as [\"key\"]"
                                ),
                            )
                        })?;
                        i += 1;
                        segments.push(Segment::Index(index));
                    }
                }
                expect_key = false;
            }
            '.' if !expect_key => {
                i += 1;
                expect_key = true;
                if i >= chars.len() {
                    return Err(bad_path(path, "path ends with `.`"));
                }
            }
            '.' => return Err(bad_path(path, "empty key (two dots in a row?)")),
            ']' => return Err(bad_path(path, "unexpected `]`")),
            _ if expect_key => {
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    if chars[i] == ']' {
                        return Err(bad_path(path, "unexpected `]`"));
                    }
                    i += 1;
                }
                segments.push(Segment::Key(chars[start..i].iter().collect()));
                expect_key = false;
            }
            c => {
                return Err(bad_path(
                    path,
                    format!("unexpected `{c}` (use `.` or `[` between segments)"),
                ))
            }
        }
    }
    if expect_key && !segments.is_empty() {
        return Err(bad_path(path, "path ends with `.`"));
    }
    Ok(segments)
}

fn walk<'a>(mut value: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    for seg in segments {
        value = match (value, seg) {
            (Value::Object(map), Segment::Key(k)) => map.get(k)?,
            (Value::Array(items), Segment::Index(i)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Describes a value for error messages: `a string "abc"`, `an array (2 items)`, ...
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", Value::String(shorten(s, 30))),
        Value::Array(items) => format!("an array ({} items)", items.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

fn list_keys(map: &Map<String, Value>) -> String {
    if map.is_empty() {
        return "it has no keys".to_string();
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).take(10).collect();
    if map.len() > 10 {
        keys.push("...");
    }
    format!("keys: {}", keys.join(", "))
}

/// Paths: `a.b[0].c`, quoted keys `mediaConfig["@odata.type"]` or `mediaConfig['@odata.type']`
/// (keys may contain dots and @). A leading `$.` or `$` is allowed and ignored.
/// A malformed path finds nothing.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    walk(value, &parse_path(path).ok()?)
}

/// Sets a value, creating missing intermediate objects; an index equal to the array length
/// appends; a larger index, or stepping into a non-container, is an error naming the path and
/// what was found. A missing key followed by an index creates an array.
pub fn set_path(target: &mut Value, path: &str, value: Value) -> Result<(), TemplateError> {
    let segments = parse_path(path)?;
    let Some(last_index) = segments.len().checked_sub(1) else {
        *target = value;
        return Ok(());
    };
    let mut value = Some(value);
    let mut current = target;
    for (i, seg) in segments.iter().enumerate() {
        let here = format_path(&segments[..i]);
        let last = i == last_index;
        let fresh = || match segments.get(i + 1) {
            Some(Segment::Index(_)) => Value::Array(Vec::new()),
            _ => Value::Object(Map::new()),
        };
        current = match (current, seg) {
            (Value::Object(map), Segment::Key(k)) => {
                if last {
                    map.insert(k.clone(), value.take().expect("value set once"));
                    return Ok(());
                }
                map.entry(k.clone()).or_insert_with(fresh)
            }
            (Value::Array(items), Segment::Index(n)) => {
                let len = items.len();
                if *n > len {
                    return Err(bad_path(
                        path,
                        format!(
                            "index {n} is out of range at {here}: the array has {len} items \
                             (use [{len}] to append)"
                        ),
                    ));
                }
                if last {
                    let v = value.take().expect("value set once");
                    if *n == len {
                        items.push(v);
                    } else {
                        items[*n] = v;
                    }
                    return Ok(());
                }
                if *n == len {
                    items.push(fresh());
                }
                &mut items[*n]
            }
            (other, Segment::Key(k)) => {
                return Err(bad_path(
                    path,
                    format!(
                        "cannot set key \"{k}\" at {here}: expected an object, found {}",
                        describe(other)
                    ),
                ))
            }
            (other, Segment::Index(n)) => {
                return Err(bad_path(
                    path,
                    format!(
                        "cannot set index {n} at {here}: expected an array, found {}",
                        describe(other)
                    ),
                ))
            }
        };
    }
    unreachable!("the last segment returns")
}

/// Removes a key or array element and returns it; error if the path does not exist (names the
/// missing segment).
pub fn remove_path(target: &mut Value, path: &str) -> Result<Value, TemplateError> {
    let segments = parse_path(path)?;
    let Some((last, parents)) = segments.split_last() else {
        return Err(bad_path(path, "cannot remove the whole document"));
    };
    let mut current = target;
    for (i, seg) in parents.iter().enumerate() {
        let here = format_path(&segments[..i]);
        current = match (current, seg) {
            (Value::Object(map), Segment::Key(k)) => {
                let keys = list_keys(map);
                match map.get_mut(k) {
                    Some(v) => v,
                    None => {
                        return Err(bad_path(path, format!("no key \"{k}\" in {here} ({keys})")))
                    }
                }
            }
            (Value::Array(items), Segment::Index(n)) => {
                let len = items.len();
                match items.get_mut(*n) {
                    Some(v) => v,
                    None => {
                        return Err(bad_path(
                            path,
                            format!("no index {n} in {here} (the array has {len} items)"),
                        ))
                    }
                }
            }
            (other, seg) => {
                return Err(bad_path(
                    path,
                    format!(
                        "no {} in {here}: found {}",
                        describe_segment(seg),
                        describe(other)
                    ),
                ))
            }
        };
    }
    let here = format_path(parents);
    match (current, last) {
        (Value::Object(map), Segment::Key(k)) => {
            let keys = list_keys(map);
            map.shift_remove(k)
                .ok_or_else(|| bad_path(path, format!("no key \"{k}\" in {here} ({keys})")))
        }
        (Value::Array(items), Segment::Index(n)) => {
            if *n < items.len() {
                Ok(items.remove(*n))
            } else {
                Err(bad_path(
                    path,
                    format!(
                        "no index {n} in {here} (the array has {} items)",
                        items.len()
                    ),
                ))
            }
        }
        (other, seg) => Err(bad_path(
            path,
            format!(
                "no {} in {here}: found {}",
                describe_segment(seg),
                describe(other)
            ),
        )),
    }
}

fn describe_segment(seg: &Segment) -> String {
    match seg {
        Segment::Key(k) => format!("key \"{k}\""),
        Segment::Index(n) => format!("index {n}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Templates and documents
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a request template mapping (description, path, extends, vars, body, set, remove)"
)]
struct RawTemplate {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    vars: Option<JsonMap>,
    #[serde(default, deserialize_with = "present_value")]
    body: Option<Value>,
    #[serde(default)]
    set: Option<JsonMap>,
    #[serde(default)]
    remove: Option<Vec<String>>,
}

/// A request template after `extends`, `set` and `remove` are applied; render it with variables.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    /// The name it was loaded by, e.g. `v1/p2p-voip-service-hosted`.
    pub name: String,
    /// The template's own file.
    pub file: PathBuf,
    /// The API path the request is POSTed to (inherited from the base unless given).
    pub path: Option<String>,
    pub description: Option<String>,
    body: Value,
    defaults: Vars,
    /// This file first, then its bases: searched for placeholder positions.
    sources: Vec<Source>,
}

impl RequestTemplate {
    /// Interpolates the body with `vars` layered over the template's own `vars:` defaults
    /// (caller's vars win). Default values may themselves use `${...}` (resolved in order,
    /// against the caller's vars and earlier defaults).
    pub fn render(&self, vars: &Vars) -> Result<Value, TemplateError> {
        let mut merged = self.defaults.clone();
        for (k, v) in vars {
            merged.insert(k.clone(), v.clone());
        }
        // A default that cannot be resolved only matters if something uses it: drop it, and
        // report its own error when the body (or a later default) refers to it.
        let mut failed: Vec<(String, TemplateError)> = Vec::new();
        let explain = |err: TemplateError, failed: &mut Vec<(String, TemplateError)>| {
            if let TemplateError::UndefinedVariable { name, .. } = &err {
                let hit = failed.iter().position(|(key, _)| {
                    name == key
                        || name
                            .strip_prefix(key.as_str())
                            .is_some_and(|rest| rest.starts_with(['.', '[']))
                });
                if let Some(i) = hit {
                    return failed.swap_remove(i).1;
                }
            }
            err
        };
        for key in self.defaults.keys() {
            if vars.contains_key(key) {
                continue;
            }
            let resolved = Ctx {
                vars: &merged,
                sources: &self.sources,
            }
            .value(&merged[key]);
            match resolved {
                Ok(value) => {
                    merged.insert(key.clone(), value);
                }
                Err(err) => {
                    let err = explain(err, &mut failed);
                    merged.shift_remove(key);
                    failed.push((key.clone(), err));
                }
            }
        }
        Ctx {
            vars: &merged,
            sources: &self.sources,
        }
        .value(&self.body)
        .map_err(|err| explain(err, &mut failed))
    }

    /// The template's default variables (base defaults overridden by the child's).
    pub fn defaults(&self) -> &Vars {
        &self.defaults
    }

    /// The body before interpolation.
    pub fn body(&self) -> &Value {
        &self.body
    }
}

/// Any YAML document (e.g. a canned response), parsed but not yet interpolated.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: PathBuf,
    text: String,
    value: Value,
}

impl Document {
    /// Parses YAML text as a document from `file` (the file is not read).
    pub fn from_text(
        file: impl Into<PathBuf>,
        text: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        let file = file.into();
        let text = text.into();
        let value = parse_yaml(&text, &file, 0)?;
        Ok(Document { file, text, value })
    }

    /// Interpolates the document with `vars`.
    pub fn render(&self, vars: &Vars) -> Result<Value, TemplateError> {
        let sources = [Source {
            file: self.file.clone(),
            text: self.text.clone(),
            line_offset: 0,
        }];
        Ctx {
            vars,
            sources: &sources,
        }
        .value(&self.value)
    }

    /// The parsed value before interpolation.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// Where templates and documents are looked up: an ordered list of `scenarios/` folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStore {
    roots: Vec<PathBuf>,
}

fn validate_name(kind: &'static str, name: &str) -> Result<(), TemplateError> {
    let bad = |reason: &str| TemplateError::BadName {
        kind,
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.trim().is_empty() {
        return Err(bad("the name is empty"));
    }
    if name.starts_with('/') || name.starts_with('\\') || Path::new(name).is_absolute() {
        return Err(bad(
            "absolute paths are not allowed; use a name relative to the scenarios folder",
        ));
    }
    if name.contains(':') && cfg!(windows) {
        return Err(bad("drive letters are not allowed"));
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Err(bad("`..` is not allowed"));
    }
    Ok(())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `name`, if it is close enough to be a likely typo.
fn closest(name: &str, candidates: &[String]) -> Option<String> {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let limit = (name.chars().count() / 3).max(2);
    let similar = |cand: &str, d: usize| {
        let (short, long) = if cand.len() <= name.len() {
            (cand, name)
        } else {
            (name, cand)
        };
        d <= limit
            || base(cand) == base(name)
            || (short.chars().count() >= 3 && (long.starts_with(short) || long.ends_with(short)))
    };
    let mut best: Option<(usize, &String)> = None;
    for cand in candidates.iter().filter(|c| c.as_str() != name) {
        let d = if base(cand) == base(name) {
            0
        } else {
            edit_distance(name, cand)
        };
        if similar(cand, d) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, cand)| cand.clone())
}

/// YAML files under `dir`, as relative `/`-separated paths (extension kept), sorted.
fn yaml_files(dir: &Path) -> Vec<String> {
    fn visit(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) {
        if depth > 8 || out.len() > 5000 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let rel = if prefix.is_empty() {
                file_name.to_string()
            } else {
                format!("{prefix}/{file_name}")
            };
            if path.is_dir() {
                visit(&path, &rel, depth + 1, out);
            } else if rel.ends_with(".yaml") || rel.ends_with(".yml") {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, "", 0, &mut out);
    out.sort();
    out
}

fn strip_yaml_ext(name: &str) -> &str {
    name.strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name)
}

impl TemplateStore {
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        TemplateStore {
            roots: roots.into_iter().collect(),
        }
    }

    /// Search path for a feature file: every ancestor directory's `scenarios/` folder that
    /// exists, closest first (e.g. tests/must-fail/x.feature -> tests/must-fail/scenarios,
    /// tests/scenarios, ./scenarios), then `<cwd>/scenarios` if not already present.
    /// Roots are absolute and lexically normalized.
    pub fn for_feature(feature_file: &Path) -> Self {
        let feature = absolute(feature_file);
        let start = if feature.is_dir() {
            Some(feature.as_path())
        } else {
            feature.parent()
        };
        let mut roots = Vec::new();
        for dir in start.into_iter().flat_map(Path::ancestors) {
            let candidate = dir.join("scenarios");
            if candidate.is_dir() && !roots.contains(&candidate) {
                roots.push(candidate);
            }
        }
        let cwd_root = absolute(Path::new("scenarios"));
        if !roots.contains(&cwd_root) {
            roots.push(cwd_root);
        }
        TemplateStore { roots }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Loads `requests/<name>.yaml` (or `.yml`) from the first root that has it; `name` may
    /// contain `/` subfolders; names with `..` or absolute paths are rejected. Resolves
    /// `extends`: a template that extends its own name gets the same-named template from a
    /// later root (so a closer `scenarios/` folder can refine a shared template).
    pub fn request(&self, name: &str) -> Result<RequestTemplate, TemplateError> {
        let name = strip_yaml_ext(name.trim());
        validate_name("template", name)?;
        let mut chain = Vec::new();
        self.load_request(name, 0, &mut chain)
    }

    /// Loads any YAML document by relative path, e.g. "responses/call-establishing.yaml".
    pub fn document(&self, relative: &str) -> Result<Document, TemplateError> {
        let relative = relative.trim();
        validate_name("document", relative)?;
        for root in &self.roots {
            let file = root.join(relative);
            if file.is_file() {
                let text = read(&file)?;
                return Document::from_text(file, text);
            }
        }
        let candidates: Vec<String> = self.roots.iter().flat_map(|r| yaml_files(r)).collect();
        Err(TemplateError::NotFound {
            kind: "document",
            name: relative.to_string(),
            looked_for: relative.to_string(),
            roots: self.roots.clone(),
            suggestion: closest(relative, &candidates),
        })
    }

    /// Names of all request templates in all roots (without extension), sorted and deduplicated.
    pub fn request_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .roots
            .iter()
            .flat_map(|r| yaml_files(&r.join("requests")))
            .map(|f| strip_yaml_ext(&f).to_string())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn find_request(&self, name: &str, start: usize) -> Option<(usize, PathBuf)> {
        for (i, root) in self.roots.iter().enumerate().skip(start) {
            for ext in ["yaml", "yml"] {
                let file = root.join("requests").join(format!("{name}.{ext}"));
                if file.is_file() {
                    return Some((i, file));
                }
            }
        }
        None
    }

    fn load_request(
        &self,
        name: &str,
        start: usize,
        chain: &mut Vec<(String, PathBuf)>,
    ) -> Result<RequestTemplate, TemplateError> {
        let Some((root_index, file)) = self.find_request(name, start) else {
            return Err(TemplateError::NotFound {
                kind: "template",
                name: name.to_string(),
                looked_for: format!("requests/{name}.yaml"),
                roots: self.roots[start.min(self.roots.len())..].to_vec(),
                suggestion: closest(name, &self.request_names()),
            });
        };
        if chain.iter().any(|(_, f)| *f == file) {
            let mut names: Vec<String> = chain.iter().map(|(n, _)| n.clone()).collect();
            names.push(name.to_string());
            return Err(TemplateError::ExtendsCycle { chain: names });
        }
        chain.push((name.to_string(), file.clone()));

        let text = read(&file)?;
        let own = Source {
            file: file.clone(),
            text,
            line_offset: 0,
        };
        let raw = parse_template(&own)?;
        let invalid_at = |needle: &str, message: String| {
            let (line, column) = own.find(needle).unwrap_or((1, 1));
            TemplateError::Invalid {
                file: file.clone(),
                line,
                column,
                message,
            }
        };

        let (mut body, mut defaults, mut path, mut description, mut sources) =
            match raw.extends.as_deref().map(str::trim) {
                Some(base_name) => {
                    let base_name = strip_yaml_ext(base_name);
                    validate_name("template", base_name)
                        .map_err(|e| invalid_at("extends", format!("extends: {e}")))?;
                    let base_start = if base_name == name { root_index + 1 } else { 0 };
                    let base =
                        self.load_request(base_name, base_start, chain)
                            .map_err(|e| match e {
                                TemplateError::NotFound { .. } => {
                                    invalid_at("extends", format!("extends: {e}"))
                                }
                                other => other,
                            })?;
                    (
                        base.body,
                        base.defaults,
                        base.path,
                        base.description,
                        base.sources,
                    )
                }
                None => (Value::Null, Vars::new(), None, None, Vec::new()),
            };
        match raw.body {
            Some(b) => body = b,
            None if raw.extends.is_none() => {
                return Err(TemplateError::Invalid {
                    file: file.clone(),
                    line: 1,
                    column: 1,
                    message: "a request template needs a `body` (or `extends` to reuse another \
                              template's body)"
                        .to_string(),
                })
            }
            None => {}
        }
        if let Some(JsonMap(vars)) = raw.vars {
            for (k, v) in vars {
                defaults.insert(k, v);
            }
        }
        if raw.path.is_some() {
            path = raw.path;
        }
        if raw.description.is_some() {
            description = raw.description;
        }
        if let Some(JsonMap(set)) = raw.set {
            for (p, v) in set {
                set_path(&mut body, &p, v).map_err(|e| invalid_at(&p, format!("set: {e}")))?;
            }
        }
        for p in raw.remove.unwrap_or_default() {
            remove_path(&mut body, &p).map_err(|e| invalid_at(&p, format!("remove: {e}")))?;
        }
        sources.insert(0, own);
        chain.pop();
        Ok(RequestTemplate {
            name: name.to_string(),
            file,
            path,
            description,
            body,
            defaults,
            sources,
        })
    }
}

fn read(file: &Path) -> Result<String, TemplateError> {
    std::fs::read_to_string(file).map_err(|source| TemplateError::Io {
        file: file.to_path_buf(),
        source,
    })
}

fn parse_template(source: &Source) -> Result<RawTemplate, TemplateError> {
    if source.text.trim().is_empty() {
        return Err(TemplateError::Invalid {
            file: source.file.clone(),
            line: 1,
            column: 1,
            message: "the template file is empty (expected a mapping with a `body`)".to_string(),
        });
    }
    // First as plain YAML (syntax errors and duplicate keys at their own position), then as a
    // template (unknown fields and wrong types at theirs).
    serde_yaml::from_str::<JsonValue>(&source.text)
        .map_err(|e| yaml_error(e, &source.file, source.line_offset))?;
    serde_yaml::from_str::<RawTemplate>(&source.text)
        .map_err(|e| yaml_error(e, &source.file, source.line_offset))
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Vars {
        match v {
            Value::Object(m) => m,
            other => panic!("vars must be an object, got {other}"),
        }
    }

    /// A unique temporary folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir =
                std::env::temp_dir().join(format!("callspec-template-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }

        fn store(&self) -> TemplateStore {
            TemplateStore::new([self.0.join("scenarios")])
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    // --- interpolation --------------------------------------------------------------------

    #[test]
    fn whole_string_placeholder_keeps_type() {
        let v = vars(json!({
            "obj": {"a": 1}, "arr": [1, "x"], "num": 42, "flt": 1.5, "nul": null, "yes": true
        }));
        assert_eq!(interpolate_str("${obj}", &v).unwrap(), json!({"a": 1}));
        assert_eq!(interpolate_str("${arr}", &v).unwrap(), json!([1, "x"]));
        assert_eq!(interpolate_str("${num}", &v).unwrap(), json!(42));
        assert_eq!(interpolate_str("${flt}", &v).unwrap(), json!(1.5));
        assert_eq!(interpolate_str("${nul}", &v).unwrap(), Value::Null);
        assert_eq!(interpolate_str("${yes}", &v).unwrap(), json!(true));
    }

    #[test]
    fn inline_placeholder_inserts_text() {
        let v = vars(json!({"host": "bot.contoso.com", "n": 3, "o": {"a": [1, 2]}, "z": null}));
        assert_eq!(
            interpolate_str("https://${host}/cb?n=${n}", &v).unwrap(),
            json!("https://bot.contoso.com/cb?n=3")
        );
        assert_eq!(
            interpolate_str("o=${o};z=${z}", &v).unwrap(),
            json!("o={\"a\":[1,2]};z=null")
        );
        assert_eq!(
            interpolate_str("plain text", &v).unwrap(),
            json!("plain text")
        );
        assert_eq!(interpolate_str(" ${n}", &v).unwrap(), json!(" 3"));
    }

    #[test]
    fn defaults_whole_and_inline() {
        let v = vars(json!({"set": "yes", "nul": null}));
        assert_eq!(interpolate_str("${n:-30}", &v).unwrap(), json!(30));
        assert_eq!(interpolate_str("${x:-null}", &v).unwrap(), Value::Null);
        assert_eq!(interpolate_str("${x:-true}", &v).unwrap(), json!(true));
        assert_eq!(
            interpolate_str("${x:-[a, b]}", &v).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(interpolate_str("${x:-{}}", &v).unwrap(), json!({}));
        assert_eq!(interpolate_str("${x:-}", &v).unwrap(), json!(""));
        assert_eq!(
            interpolate_str("${x:-hello world}", &v).unwrap(),
            json!("hello world")
        );
        assert_eq!(
            interpolate_str("${cb:-https://bot.contoso.com/callback}", &v).unwrap(),
            json!("https://bot.contoso.com/callback")
        );
        // Null variables take the default; defined ones win.
        assert_eq!(interpolate_str("${nul:-7}", &v).unwrap(), json!(7));
        assert_eq!(interpolate_str("${set:-no}", &v).unwrap(), json!("yes"));
        // Inside longer text the default is literal text.
        assert_eq!(interpolate_str("n=${n:-30}", &v).unwrap(), json!("n=30"));
        assert_eq!(interpolate_str("[${x:-}]", &v).unwrap(), json!("[]"));
        assert_eq!(interpolate_str("${nul:-d}!", &v).unwrap(), json!("d!"));
    }

    #[test]
    fn escape_produces_literal_placeholder() {
        let v = vars(json!({"x": 1}));
        assert_eq!(interpolate_str("$${x}", &v).unwrap(), json!("${x}"));
        assert_eq!(
            interpolate_str("a $${undefined} b ${x}", &v).unwrap(),
            json!("a ${undefined} b 1")
        );
        assert_eq!(interpolate_str("cost: $5", &v).unwrap(), json!("cost: $5"));
    }

    #[test]
    fn hash_strings_are_plain_text() {
        let v = Vars::new();
        let value =
            json!({"@odata.type": "#microsoft.graph.call", "id": "#uuid", "r": "#regex ^a.*$"});
        assert_eq!(interpolate(&value, &v).unwrap(), value);
        assert_eq!(parse_scalar("#uuid"), json!("#uuid"));
    }

    #[test]
    fn undefined_variable_without_file() {
        let v = vars(json!({"b": 1, "a": 2}));
        let err = interpolate_str("x ${missing} y", &v).unwrap_err();
        assert!(matches!(&err, TemplateError::UndefinedVariable { name, .. } if name == "missing"));
        assert_eq!(
            err.to_string(),
            "undefined variable \"missing\" (defined: a, b)"
        );
        let err = interpolate_str("${missing}", &Vars::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "undefined variable \"missing\" (no variables are defined)"
        );
    }

    #[test]
    fn undefined_variable_names_file_line_column_and_defined() {
        let dir = TempDir::new();
        let file = dir.write(
            "scenarios/requests/p2p.yaml",
            "description: test\n\
             body:\n\
             \x20 \"@odata.type\": \"#microsoft.graph.call\"\n\
             \x20 targets:\n\
             \x20   - identity:\n\
             \x20       user:\n\
             \x20         id: ${callee_id}\n",
        );
        let t = dir.store().request("p2p").unwrap();
        let v = vars(json!({"graph": "x", "callback_uri": "y", "call.id": "z"}));
        let err = t.render(&v).unwrap_err();
        match &err {
            TemplateError::UndefinedVariable {
                name,
                file: f,
                line,
                column,
                defined,
            } => {
                assert_eq!(name, "callee_id");
                assert_eq!(f.as_deref(), Some(file.as_path()));
                assert_eq!((*line, *column), (Some(7), Some(15)));
                assert_eq!(defined, &["call.id", "callback_uri", "graph"]);
            }
            other => panic!("unexpected error {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.ends_with(
                ":7:15: undefined variable \"callee_id\" (defined: call.id, callback_uri, graph)"
            ),
            "{msg}"
        );
        assert!(msg.contains("p2p.yaml"), "{msg}");
    }

    #[test]
    fn undefined_variable_list_is_capped() {
        let mut v = Vars::new();
        for i in 0..30 {
            v.insert(format!("v{i:02}"), json!(i));
        }
        match interpolate_str("${nope}", &v).unwrap_err() {
            TemplateError::UndefinedVariable { defined, .. } => {
                assert_eq!(defined.len(), MAX_LISTED_NAMES + 1);
                assert_eq!(defined.last().unwrap(), "...");
                assert_eq!(defined[0], "v00");
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn unterminated_and_bad_placeholders() {
        let v = vars(json!({"x": 1}));
        let err = interpolate_str("abc ${x", &v).unwrap_err();
        assert!(matches!(&err, TemplateError::Unterminated { text, .. } if text == "${x"));
        assert!(
            err.to_string().contains("unterminated placeholder \"${x\""),
            "{err}"
        );
        let err = interpolate_str("${x:-{}", &v).unwrap_err();
        assert!(matches!(err, TemplateError::Unterminated { .. }), "{err}");
        let err = interpolate_str("${ x }", &v).unwrap_err();
        assert!(
            matches!(&err, TemplateError::BadPlaceholder { text, .. } if text == "${ x }"),
            "{err}"
        );
        let err = interpolate_str("${}", &v).unwrap_err();
        assert!(matches!(err, TemplateError::BadPlaceholder { .. }), "{err}");
        let err = interpolate_str("${1x}", &v).unwrap_err();
        assert!(matches!(err, TemplateError::BadPlaceholder { .. }), "{err}");
    }

    #[test]
    fn unterminated_in_docstring_reports_position() {
        let origin = Origin::new("features/a.feature", 10);
        let err = render_text("a: 1\nb: \"x ${y\"\n", &origin, &Vars::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "features/a.feature:12:7: unterminated placeholder \"${y\" (missing closing brace)"
        );
    }

    #[test]
    fn dotted_and_indexed_lookups() {
        let v = vars(json!({
            "call": {"id": "c1", "targets": [{"identity": {"user": {"id": "u1"}}}]},
            "list": [10, 20]
        }));
        assert_eq!(interpolate_str("${call.id}", &v).unwrap(), json!("c1"));
        assert_eq!(
            interpolate_str("${call.targets[0].identity.user.id}", &v).unwrap(),
            json!("u1")
        );
        assert_eq!(interpolate_str("${list[1]}", &v).unwrap(), json!(20));
        assert_eq!(interpolate_str("${call}", &v).unwrap()["id"], json!("c1"));
        assert!(interpolate_str("${call.nope}", &v).is_err());
        assert!(interpolate_str("${list[5]}", &v).is_err());
    }

    #[test]
    fn flat_key_takes_precedence() {
        let v = vars(json!({"call.id": "flat", "call": {"id": "nested", "state": "x"}}));
        assert_eq!(interpolate_str("${call.id}", &v).unwrap(), json!("flat"));
        assert_eq!(interpolate_str("${call.state}", &v).unwrap(), json!("x"));
        let v = vars(json!({"callee-id": "dash"}));
        assert_eq!(interpolate_str("${callee-id}", &v).unwrap(), json!("dash"));
    }

    #[test]
    fn interpolates_keys_and_nested_values() {
        let v = vars(json!({"k": "name", "n": 5, "id": "abc"}));
        let value = json!({"${k}": ["${n}", {"x-${id}": "${id}"}], "n": "${n}"});
        assert_eq!(
            interpolate(&value, &v).unwrap(),
            json!({"name": [5, {"x-abc": "abc"}], "n": 5})
        );
        // A non-string value used as a key becomes its JSON text.
        let value = json!({"${n}": 1});
        assert_eq!(interpolate(&value, &v).unwrap(), json!({"5": 1}));
    }

    // --- paths ----------------------------------------------------------------------------

    #[test]
    fn lookup_paths() {
        let doc = json!({
            "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
            "targets": [{"identity": {"user": {"id": "u1"}}}],
            "a.b": 1
        });
        assert_eq!(
            lookup(&doc, "mediaConfig[\"@odata.type\"]"),
            Some(&json!("#microsoft.graph.serviceHostedMediaConfig"))
        );
        assert_eq!(
            lookup(&doc, "mediaConfig['@odata.type']"),
            Some(&json!("#microsoft.graph.serviceHostedMediaConfig"))
        );
        assert_eq!(
            lookup(&doc, "targets[0].identity.user.id"),
            Some(&json!("u1"))
        );
        assert_eq!(
            lookup(&doc, "$.targets[0].identity.user.id"),
            Some(&json!("u1"))
        );
        assert_eq!(
            lookup(&doc, "$targets[0].identity"),
            lookup(&doc, "targets[0].identity")
        );
        assert_eq!(lookup(&doc, "['a.b']"), Some(&json!(1)));
        assert_eq!(lookup(&doc, "$"), Some(&doc));
        assert_eq!(lookup(&doc, ""), Some(&doc));
        assert_eq!(lookup(&doc, "targets[1]"), None);
        assert_eq!(lookup(&doc, "targets.x"), None);
        assert_eq!(lookup(&doc, "a..b"), None);
        assert_eq!(lookup(&doc, "targets[x]"), None);
    }

    #[test]
    fn path_round_trip_formatting() {
        let segs = parse_path("a[\"@odata.type\"][2].b-c").unwrap();
        assert_eq!(
            segs,
            vec![
                Segment::Key("a".into()),
                Segment::Key("@odata.type".into()),
                Segment::Index(2),
                Segment::Key("b-c".into())
            ]
        );
        assert_eq!(format_path(&segs), "a[\"@odata.type\"][2].b-c");
        assert!(parse_path("a.").is_err());
        assert!(parse_path("a[\"x]").is_err());
        assert!(parse_path("a[0").is_err());
    }

    #[test]
    fn set_path_creates_objects_and_appends() {
        let mut doc = json!({"a": {"x": 1}, "list": [1]});
        set_path(&mut doc, "a.b.c", json!(2)).unwrap();
        set_path(&mut doc, "list[1]", json!(9)).unwrap();
        set_path(&mut doc, "list[0]", json!(0)).unwrap();
        set_path(&mut doc, "new[0].id", json!("n")).unwrap();
        set_path(&mut doc, "mediaConfig[\"@odata.type\"]", json!("#t")).unwrap();
        assert_eq!(
            doc,
            json!({
                "a": {"x": 1, "b": {"c": 2}},
                "list": [0, 9],
                "new": [{"id": "n"}],
                "mediaConfig": {"@odata.type": "#t"}
            })
        );
        // Existing keys keep their position.
        set_path(&mut doc, "a.x", json!(5)).unwrap();
        assert_eq!(doc["a"].as_object().unwrap().keys().next().unwrap(), "x");
        let mut root = json!(1);
        set_path(&mut root, "$", json!({"r": true})).unwrap();
        assert_eq!(root, json!({"r": true}));
    }

    #[test]
    fn set_path_errors() {
        let mut doc = json!({"list": [1, 2], "s": "text"});
        let err = set_path(&mut doc, "list[5]", json!(0)).unwrap_err();
        assert!(matches!(&err, TemplateError::BadPath { path, .. } if path == "list[5]"));
        assert_eq!(
            err.to_string(),
            "bad path \"list[5]\": index 5 is out of range at list: the array has 2 items (use [2] to append)"
        );
        let err = set_path(&mut doc, "s.x", json!(0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad path \"s.x\": cannot set key \"x\" at s: expected an object, found a string (\"text\")"
        );
        let err = set_path(&mut doc, "list.x", json!(0)).unwrap_err();
        assert!(
            err.to_string().contains("found an array (2 items)"),
            "{err}"
        );
        let err = set_path(&mut doc, "s[0]", json!(0)).unwrap_err();
        assert!(err.to_string().contains("expected an array"), "{err}");
        assert_eq!(doc, json!({"list": [1, 2], "s": "text"}));
    }

    #[test]
    fn remove_path_and_errors() {
        let mut doc = json!({"a": 1, "b": {"c": [1, 2, 3], "d": 4}, "e": 5});
        assert_eq!(remove_path(&mut doc, "b.c[1]").unwrap(), json!(2));
        assert_eq!(remove_path(&mut doc, "a").unwrap(), json!(1));
        // Order of the remaining keys is kept.
        assert_eq!(doc, json!({"b": {"c": [1, 3], "d": 4}, "e": 5}));
        assert_eq!(
            doc.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["b", "e"]
        );
        let err = remove_path(&mut doc, "b.zz").unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad path \"b.zz\": no key \"zz\" in b (keys: c, d)"
        );
        let err = remove_path(&mut doc, "x.y").unwrap_err();
        assert!(err.to_string().contains("no key \"x\" in $"), "{err}");
        let err = remove_path(&mut doc, "b.c[7]").unwrap_err();
        assert!(err.to_string().contains("no index 7 in b.c"), "{err}");
        let err = remove_path(&mut doc, "e.f").unwrap_err();
        assert!(err.to_string().contains("found a number (5)"), "{err}");
        assert!(remove_path(&mut doc, "$").is_err());
    }

    #[test]
    fn quoted_keys_with_odata_type() {
        let mut doc = json!({"mediaConfig": {"@odata.type": "#a", "blob": "x"}});
        set_path(&mut doc, "mediaConfig['@odata.type']", json!("#b")).unwrap();
        assert_eq!(doc["mediaConfig"]["@odata.type"], json!("#b"));
        assert_eq!(
            remove_path(&mut doc, "$.mediaConfig[\"@odata.type\"]").unwrap(),
            json!("#b")
        );
        assert_eq!(doc, json!({"mediaConfig": {"blob": "x"}}));
        set_path(&mut doc, "[\"@odata.type\"]", json!("#c")).unwrap();
        assert_eq!(lookup(&doc, "['@odata.type']"), Some(&json!("#c")));
    }

    #[test]
    fn parse_scalar_cases() {
        assert_eq!(parse_scalar("30"), json!(30));
        assert_eq!(parse_scalar("-2.5"), json!(-2.5));
        assert_eq!(parse_scalar("null"), Value::Null);
        assert_eq!(parse_scalar("~"), Value::Null);
        assert_eq!(parse_scalar("true"), json!(true));
        assert_eq!(parse_scalar("false"), json!(false));
        assert_eq!(parse_scalar("[a, b]"), json!(["a", "b"]));
        assert_eq!(parse_scalar("[1, \"2\"]"), json!([1, "2"]));
        assert_eq!(parse_scalar("{a: 1}"), json!({"a": 1}));
        assert_eq!(parse_scalar("\"30\""), json!("30"));
        assert_eq!(parse_scalar("'it''s'"), json!("it's"));
        assert_eq!(parse_scalar(""), json!(""));
        assert_eq!(parse_scalar("hello world"), json!("hello world"));
        assert_eq!(parse_scalar("a: b"), json!("a: b"));
        assert_eq!(parse_scalar("- x"), json!("- x"));
        assert_eq!(parse_scalar("a #b"), json!("a #b"));
        assert_eq!(parse_scalar("[unclosed"), json!("[unclosed"));
        assert_eq!(parse_scalar("@odata"), json!("@odata"));
        assert_eq!(parse_scalar("\"30\" extra"), json!("\"30\" extra"));
        assert_eq!(parse_scalar(".nan"), json!(".nan"));
        assert_eq!(parse_scalar("#regex ^a.*$"), json!("#regex ^a.*$"));
    }

    // --- YAML parsing -------------------------------------------------------------------------

    #[test]
    fn render_text_keeps_order_and_types() {
        let origin = Origin::new("f.feature", 3);
        let v = vars(json!({"id": "abc", "n": 2}));
        let out = render_text("z: ${id}\na: ${n}\nm:\n  - ${n:-1}\n  - x\n", &origin, &v).unwrap();
        assert_eq!(out, json!({"z": "abc", "a": 2, "m": [2, "x"]}));
        assert_eq!(
            out.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["z", "a", "m"]
        );
        assert_eq!(render_text("", &origin, &v).unwrap(), Value::Null);
        assert_eq!(
            render_text("1: one\ntrue: t\n", &origin, &v).unwrap(),
            json!({"1": "one", "true": "t"})
        );
    }

    #[test]
    fn render_text_undefined_position_uses_offset() {
        let origin = Origin::new("features/calls.feature", 20);
        let err = render_text("a: 1\nb:\n  c: \"${nope}\"\n", &origin, &Vars::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "features/calls.feature:23:7: undefined variable \"nope\" (no variables are defined)"
        );
    }

    #[test]
    fn yaml_syntax_error_has_position() {
        let origin = Origin::new("x.feature", 5);
        let err = parse_text("a: 1\nb: [1, 2\nc: 3\n", &origin).unwrap_err();
        match &err {
            TemplateError::Yaml {
                line,
                column,
                message,
                ..
            } => {
                assert!(*line > 5, "{err}");
                assert!(*column >= 1);
                assert!(
                    !message.contains(&format!("at line {} column", line - 5)),
                    "{message}"
                );
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err.to_string().starts_with("x.feature:"), "{err}");

        let err = parse_text("a: 1\n  b: 2\n", &Origin::new("y.yaml", 0)).unwrap_err();
        assert!(
            matches!(
                &err,
                TemplateError::Yaml {
                    line: 2,
                    column: 4,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "y.yaml:2:4: mapping values are not allowed in this context"
        );
    }

    #[test]
    fn yaml_tags_and_non_json_numbers_are_errors() {
        let origin = Origin::new("t.yaml", 0);
        let err = parse_text("a: !foo 3\n", &origin).unwrap_err();
        assert!(err.to_string().starts_with("t.yaml:1:4: "), "{err}");
        assert!(err.to_string().contains("YAML tags"), "{err}");
        let err = parse_text("a: .inf\n", &origin).unwrap_err();
        assert!(
            err.to_string().contains("cannot be represented in JSON"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_key_error_points_at_key() {
        let err = parse_text("a: 1\nb:\n  c: 1\n  c: 2\n", &Origin::new("d.yaml", 0)).unwrap_err();
        assert!(
            matches!(
                &err,
                TemplateError::Yaml {
                    line: 4,
                    column: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("duplicate key \"c\""), "{err}");
    }

    // --- templates ------------------------------------------------------------------------

    const BASE: &str = "\
description: Peer-to-peer VoIP call, service-hosted media
path: /v1.0/communications/calls
vars:
  callee_id: 112f7296-5fa4-42ca-bae8-6a692b15d4b8
  tenant: base-tenant
body:
  \"@odata.type\": \"#microsoft.graph.call\"
  callbackUri: ${callback_uri:-https://bot.contoso.com/callback}
  targets:
    - identity:
        user:
          id: ${callee_id}
  mediaConfig:
    \"@odata.type\": \"#microsoft.graph.serviceHostedMediaConfig\"
  source:
    region: us
    tenant: ${tenant}
  timeout: ${timeout:-30}
";

    #[test]
    fn loads_and_renders_a_template() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/v1/p2p.yaml", BASE);
        let t = dir.store().request("v1/p2p").unwrap();
        assert_eq!(t.name, "v1/p2p");
        assert_eq!(t.path.as_deref(), Some("/v1.0/communications/calls"));
        assert!(t
            .description
            .as_deref()
            .unwrap()
            .starts_with("Peer-to-peer"));
        assert_eq!(t.defaults()["tenant"], json!("base-tenant"));
        let out = t.render(&vars(json!({"tenant": "mine"}))).unwrap();
        assert_eq!(
            out["callbackUri"],
            json!("https://bot.contoso.com/callback")
        );
        assert_eq!(
            out["targets"][0]["identity"]["user"]["id"],
            json!("112f7296-5fa4-42ca-bae8-6a692b15d4b8")
        );
        assert_eq!(out["source"]["tenant"], json!("mine"));
        assert_eq!(out["timeout"], json!(30));
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "@odata.type",
                "callbackUri",
                "targets",
                "mediaConfig",
                "source",
                "timeout"
            ]
        );
        // .yml works as well, and a ".yaml" suffix on the name is accepted.
        dir.write("scenarios/requests/short.yml", "body: {a: 1}\n");
        assert_eq!(
            dir.store()
                .request("short")
                .unwrap()
                .render(&Vars::new())
                .unwrap(),
            json!({"a": 1})
        );
        assert_eq!(dir.store().request("short.yml").unwrap().name, "short");
    }

    #[test]
    fn extends_with_set_remove_and_vars_inheritance() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/v1/p2p.yaml", BASE);
        dir.write(
            "scenarios/requests/app-hosted.yaml",
            "extends: v1/p2p\n\
             vars:\n\
             \x20 tenant: child-tenant\n\
             \x20 blob: <Media Session Configuration>\n\
             set:\n\
             \x20 mediaConfig[\"@odata.type\"]: \"#microsoft.graph.appHostedMediaConfig\"\n\
             \x20 mediaConfig.blob: ${blob}\n\
             \x20 targets[1]: {identity: {user: {id: second}}}\n\
             remove:\n\
             \x20 - source.region\n",
        );
        let t = dir.store().request("app-hosted").unwrap();
        assert_eq!(t.path.as_deref(), Some("/v1.0/communications/calls"));
        assert!(t
            .description
            .as_deref()
            .unwrap()
            .starts_with("Peer-to-peer"));
        assert_eq!(t.defaults()["tenant"], json!("child-tenant"));
        assert_eq!(
            t.defaults()["callee_id"],
            json!("112f7296-5fa4-42ca-bae8-6a692b15d4b8")
        );
        let out = t.render(&Vars::new()).unwrap();
        assert_eq!(
            out["mediaConfig"],
            json!({"@odata.type": "#microsoft.graph.appHostedMediaConfig", "blob": "<Media Session Configuration>"})
        );
        assert_eq!(out["source"], json!({"tenant": "child-tenant"}));
        assert_eq!(out["targets"][1]["identity"]["user"]["id"], json!("second"));
        // Caller vars win over every default.
        let out = t
            .render(&vars(json!({"blob": "B", "callee_id": "C"})))
            .unwrap();
        assert_eq!(out["mediaConfig"]["blob"], json!("B"));
        assert_eq!(out["targets"][0]["identity"]["user"]["id"], json!("C"));

        // A child with its own body replaces the base body wholesale but keeps path and vars.
        dir.write(
            "scenarios/requests/own-body.yaml",
            "extends: app-hosted\npath: /beta/x\nbody:\n  who: ${tenant}\n",
        );
        let t = dir.store().request("own-body").unwrap();
        assert_eq!(t.path.as_deref(), Some("/beta/x"));
        assert_eq!(
            t.render(&Vars::new()).unwrap(),
            json!({"who": "child-tenant"})
        );
    }

    #[test]
    fn defaults_may_reference_other_variables() {
        let dir = TempDir::new();
        dir.write(
            "scenarios/requests/cb.yaml",
            "vars:\n  base: https://bot\n  callback: ${base}/callback\nbody:\n  callbackUri: ${callback}\n",
        );
        let t = dir.store().request("cb").unwrap();
        assert_eq!(
            t.render(&Vars::new()).unwrap(),
            json!({"callbackUri": "https://bot/callback"})
        );
        assert_eq!(
            t.render(&vars(json!({"base": "https://other"}))).unwrap(),
            json!({"callbackUri": "https://other/callback"})
        );
    }

    #[test]
    fn unresolvable_defaults_only_fail_when_used() {
        let dir = TempDir::new();
        let file = dir.write(
            "scenarios/requests/lazy.yaml",
            "vars:\n  unused: ${nothing}\n  cb: ${base_url}/cb\n  wrapped: [\"${cb}\"]\nbody:\n  a: ${a:-1}\n",
        );
        let t = dir.store().request("lazy").unwrap();
        assert_eq!(t.render(&Vars::new()).unwrap(), json!({"a": 1}));
        dir.write(
            "scenarios/requests/lazy2.yaml",
            "extends: lazy\nbody:\n  cb: ${wrapped}\n",
        );
        let err = dir
            .store()
            .request("lazy2")
            .unwrap()
            .render(&Vars::new())
            .unwrap_err();
        // The error names the root cause: base_url, in the file that uses it.
        match err {
            TemplateError::UndefinedVariable {
                name,
                file: f,
                line,
                ..
            } => {
                assert_eq!(name, "base_url");
                assert_eq!(f, Some(file));
                assert_eq!(line, Some(3));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn undefined_variable_in_base_points_at_base_file() {
        let dir = TempDir::new();
        let base = dir.write(
            "scenarios/requests/base.yaml",
            "body:\n  a: 1\n  b: ${needed}\n",
        );
        dir.write(
            "scenarios/requests/child.yaml",
            "extends: base\nset:\n  c: 2\n",
        );
        let err = dir
            .store()
            .request("child")
            .unwrap()
            .render(&Vars::new())
            .unwrap_err();
        match err {
            TemplateError::UndefinedVariable {
                file, line, column, ..
            } => {
                assert_eq!(file, Some(base));
                assert_eq!((line, column), (Some(3), Some(6)));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn set_error_in_template_has_position() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/base.yaml", "body:\n  list: [1]\n");
        let child = dir.write(
            "scenarios/requests/child.yaml",
            "extends: base\nset:\n  list[4]: 2\n",
        );
        let err = dir.store().request("child").unwrap_err();
        match &err {
            TemplateError::Invalid {
                file,
                line,
                column,
                message,
            } => {
                assert_eq!(file, &child);
                assert_eq!((*line, *column), (3, 3));
                assert!(message.contains("index 4 is out of range"), "{message}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        dir.write(
            "scenarios/requests/child2.yaml",
            "extends: base\nremove:\n  - nothing.here\n",
        );
        let err = dir.store().request("child2").unwrap_err();
        assert!(
            matches!(
                &err,
                TemplateError::Invalid {
                    line: 3,
                    column: 5,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("no key \"nothing\""), "{err}");
    }

    #[test]
    fn extends_cycle_is_detected() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/a.yaml", "extends: b\n");
        dir.write("scenarios/requests/b.yaml", "extends: c\nbody: {}\n");
        dir.write("scenarios/requests/c.yaml", "extends: a\n");
        let err = dir.store().request("a").unwrap_err();
        match &err {
            TemplateError::ExtendsCycle { chain } => assert_eq!(chain, &["a", "b", "c", "a"]),
            other => panic!("unexpected error {other:?}"),
        }
        assert_eq!(err.to_string(), "extends cycle: a -> b -> c -> a");
        dir.write("scenarios/requests/self.yaml", "extends: self\n");
        let err = dir.store().request("self").unwrap_err();
        // With one root, extending its own name looks in later roots only: not found.
        assert!(
            matches!(
                err,
                TemplateError::Invalid {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("extends: template \"self\" not found"),
            "{err}"
        );
    }

    #[test]
    fn extends_own_name_uses_a_later_root() {
        let dir = TempDir::new();
        dir.write(
            "shared/scenarios/requests/p2p.yaml",
            "path: /v1.0/x\nbody: {a: 1, b: 2}\n",
        );
        dir.write(
            "local/scenarios/requests/p2p.yaml",
            "extends: p2p\nset:\n  b: 3\n",
        );
        let store = TemplateStore::new([
            dir.0.join("local/scenarios"),
            dir.0.join("shared/scenarios"),
        ]);
        let t = store.request("p2p").unwrap();
        assert_eq!(t.path.as_deref(), Some("/v1.0/x"));
        assert_eq!(t.render(&Vars::new()).unwrap(), json!({"a": 1, "b": 3}));
    }

    #[test]
    fn unknown_top_level_key_has_position() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/typo.yaml", "path: /x\nbodyy:\n  a: 1\n");
        let err = dir.store().request("typo").unwrap_err();
        match &err {
            TemplateError::Yaml {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (2, 1));
                assert!(message.contains("unknown field `bodyy`"), "{message}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("typo.yaml:2:1: unknown field `bodyy`"),
            "{err}"
        );
    }

    #[test]
    fn template_syntax_and_shape_errors() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/bad.yaml", "body:\n  a: [1, 2\n  b: 3\n");
        let err = dir.store().request("bad").unwrap_err();
        assert!(
            matches!(err, TemplateError::Yaml { line, .. } if line >= 2),
            "{err}"
        );

        dir.write("scenarios/requests/list.yaml", "- a\n- b\n");
        let err = dir.store().request("list").unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::Yaml {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("request template mapping"),
            "{err}"
        );

        dir.write("scenarios/requests/nobody.yaml", "path: /x\n");
        let err = dir.store().request("nobody").unwrap_err();
        assert!(matches!(err, TemplateError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("needs a `body`"), "{err}");

        dir.write(
            "scenarios/requests/dup.yaml",
            "body: {}\npath: /a\npath: /b\n",
        );
        let err = dir.store().request("dup").unwrap_err();
        assert!(matches!(err, TemplateError::Yaml { line: 3, .. }), "{err}");

        dir.write("scenarios/requests/setlist.yaml", "body: {}\nset: [a]\n");
        let err = dir.store().request("setlist").unwrap_err();
        assert!(matches!(err, TemplateError::Yaml { line: 2, .. }), "{err}");

        dir.write("scenarios/requests/empty.yaml", "\n");
        let err = dir.store().request("empty").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn not_found_suggests_closest_name() {
        let dir = TempDir::new();
        dir.write("scenarios/requests/p2p.yaml", "body: {}\n");
        dir.write("scenarios/requests/v1/group-call.yaml", "body: {}\n");
        let store = TemplateStore::new([dir.0.join("scenarios"), dir.0.join("other/scenarios")]);
        let err = store.request("p2p-typo").unwrap_err();
        match &err {
            TemplateError::NotFound {
                name,
                roots,
                suggestion,
                ..
            } => {
                assert_eq!(name, "p2p-typo");
                assert_eq!(roots.len(), 2);
                assert_eq!(suggestion.as_deref(), Some("p2p"));
            }
            other => panic!("unexpected error {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "template \"p2p-typo\" not found: looked for requests/p2p-typo.yaml in "
            ),
            "{msg}"
        );
        assert!(msg.ends_with("; did you mean \"p2p\"?"), "{msg}");
        let err = store.request("group-call").unwrap_err();
        assert!(
            err.to_string().ends_with("did you mean \"v1/group-call\"?"),
            "{err}"
        );
        let err = store.request("completely-different-thing").unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::NotFound {
                    suggestion: None,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.request_names(), ["p2p", "v1/group-call"]);
    }

    #[test]
    fn bad_names_are_rejected() {
        let dir = TempDir::new();
        let store = dir.store();
        for name in ["../secret", "a/../../b", "/etc/passwd", "", "  "] {
            let err = store.request(name).unwrap_err();
            assert!(
                matches!(err, TemplateError::BadName { .. }),
                "{name}: {err}"
            );
        }
        let err = store.document("../x.yaml").unwrap_err();
        assert!(err.to_string().contains("`..` is not allowed"), "{err}");
        dir.write("scenarios/requests/bad-extends.yaml", "extends: ../up\n");
        let err = store.request("bad-extends").unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::Invalid {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn documents_load_and_render() {
        let dir = TempDir::new();
        let file = dir.write(
            "scenarios/responses/call-establishing.yaml",
            "id: ${call.id}\nstate: establishing\ncount: ${n:-1}\nmissing: ${absent}\n",
        );
        let store = dir.store();
        let doc = store.document("responses/call-establishing.yaml").unwrap();
        assert_eq!(doc.file, file);
        assert_eq!(doc.value()["state"], json!("establishing"));
        let err = doc
            .render(&vars(json!({"call": {"id": "c1"}})))
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TemplateError::UndefinedVariable {
                    line: Some(4),
                    column: Some(10),
                    ..
                }
            ),
            "{err}"
        );
        let out = doc
            .render(&vars(json!({"call": {"id": "c1"}, "absent": false})))
            .unwrap();
        assert_eq!(
            out,
            json!({"id": "c1", "state": "establishing", "count": 1, "missing": false})
        );
        let err = store
            .document("responses/call-establishng.yaml")
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("did you mean \"responses/call-establishing.yaml\"?"),
            "{err}"
        );
    }

    #[test]
    fn for_feature_search_order() {
        let dir = TempDir::new();
        let root = &dir.0;
        std::fs::create_dir_all(root.join("tests/must-fail/scenarios")).unwrap();
        std::fs::create_dir_all(root.join("tests/scenarios")).unwrap();
        std::fs::create_dir_all(root.join("scenarios")).unwrap();
        std::fs::create_dir_all(root.join("tests/other")).unwrap();
        let feature = dir.write("tests/must-fail/x.feature", "Feature: x\n");
        let store = TemplateStore::for_feature(&feature);
        let roots = store.roots();
        let expected = [
            root.join("tests/must-fail/scenarios"),
            root.join("tests/scenarios"),
            root.join("scenarios"),
        ];
        assert_eq!(&roots[..3], &expected);
        let cwd_scenarios = absolute(Path::new("scenarios"));
        assert_eq!(roots.last(), Some(&cwd_scenarios));
        assert!(roots.len() >= 4);

        // A `..` in the feature path is normalized; folders without scenarios/ are skipped.
        let feature = root.join("tests/must-fail/../other/y.feature");
        let store = TemplateStore::for_feature(&feature);
        assert_eq!(&store.roots()[..2], &expected[1..]);
    }

    #[test]
    fn display_paths_are_relative_to_cwd() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            show_path(&cwd.join("scenarios/requests/p2p.yaml")),
            "scenarios/requests/p2p.yaml"
        );
        let parent_sibling = cwd.parent().unwrap().join("scenarios");
        if cwd.parent().and_then(Path::parent).is_some() {
            assert_eq!(show_path(&parent_sibling), "../scenarios");
        }
        assert_eq!(show_path(Path::new("rel/x.yaml")), "rel/x.yaml");
        assert_eq!(show_path(&cwd), ".");
    }

    #[test]
    fn edit_distance_and_closest() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        let names = vec!["p2p".to_string(), "group-call".to_string()];
        assert_eq!(closest("grup-call", &names).as_deref(), Some("group-call"));
        assert_eq!(closest("zzzzzz", &names), None);
    }
}
