//! `${name}` and `${name:-default}` placeholders: whole-string placeholders keep their type.

use serde_json::{Map, Value};

use super::error::{shorten, TemplateError};
use super::path::{parse_path, walk, Segment};
use super::source::{locate, Origin, Source};
use super::suggest::closest_few;
use super::yaml::{parse_scalar, parse_text};
use super::{Vars, MAX_LISTED_NAMES};

/// One piece of a string: literal text or a `${name[:-default]}` placeholder.
#[derive(Debug, PartialEq)]
pub(super) enum Part<'s> {
    Text(String),
    Placeholder {
        raw: &'s str,
        name: &'s str,
        default: Option<&'s str>,
    },
}

pub(super) enum PartError<'s> {
    Unterminated(&'s str),
    Bad(&'s str, String),
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

pub(super) fn split_parts(s: &str) -> Result<Vec<Part<'_>>, PartError<'_>> {
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
pub(super) struct Ctx<'a> {
    pub(super) vars: &'a Vars,
    pub(super) sources: &'a [Source],
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
            suggestions: closest_few(name, &known_names(self.vars), 3).into(),
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

    pub(super) fn string(&self, s: &str) -> Result<Value, TemplateError> {
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

    pub(super) fn value(&self, value: &Value) -> Result<Value, TemplateError> {
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
pub(super) fn value_as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
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
    interpolate_at(&value, vars, origin, text)
}

/// Interpolates `value`, which was read from `text` at `origin` (e.g. a table cell): errors
/// point at the placeholder's line and column in that file.
pub fn interpolate_at(
    value: &Value,
    vars: &Vars,
    origin: &Origin,
    text: &str,
) -> Result<Value, TemplateError> {
    let sources = [origin.source(text)];
    Ctx {
        vars,
        sources: &sources,
    }
    .value(value)
}

/// Every name a placeholder could use: top-level variables, and the paths into objects
/// (`call.id`), two levels deep (enough for a typo in `${call.id}` to find its match).
fn known_names(vars: &Vars) -> Vec<String> {
    let mut names = Vec::new();
    for (key, value) in vars {
        names.push(key.clone());
        let Value::Object(inner) = value else {
            continue;
        };
        for (k2, v2) in inner {
            names.push(format!("{key}.{k2}"));
            if let Value::Object(deeper) = v2 {
                names.extend(deeper.keys().map(|k3| format!("{key}.{k2}.{k3}")));
            }
        }
    }
    names
}
