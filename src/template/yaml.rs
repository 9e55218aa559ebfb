//! YAML to JSON: duplicate keys refused, non-finite numbers refused, positions kept.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::TemplateError;
use super::source::Origin;

/// A JSON value deserialized from YAML, rejecting duplicate keys and non-finite numbers.
pub(super) struct JsonValue(pub(super) Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(JsonValue)
    }
}

/// A JSON object deserialized from a YAML mapping (duplicate keys rejected, order kept).
pub(super) struct JsonMap(pub(super) Map<String, Value>);

impl<'de> Deserialize<'de> for JsonMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapOnlyVisitor).map(JsonMap)
    }
}

/// `Some(value)` whenever the key is present, even for an explicit `null`.
pub(super) fn present_value<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    JsonValue::deserialize(deserializer).map(|v| Some(v.0))
}

pub(super) struct ValueVisitor;

pub(super) fn visit_map_entries<'de, A: MapAccess<'de>>(
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

pub(super) struct MapOnlyVisitor;

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
pub(super) struct KeySeed<'a>(&'a Map<String, Value>);

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

/// Turns a yaml_serde error into `TemplateError::Yaml` with a 1-based position in the file
/// the text came from.
pub(super) fn yaml_error(err: serde_yaml::Error, origin: &Origin) -> TemplateError {
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
    // line 2 column 4") are relative to the text: add the offsets so they match the file.
    if origin.line_offset > 0 || origin.column_offset > 0 {
        let marks = regex::Regex::new(r"at line (\d+) column (\d+)").expect("valid regex");
        message = marks
            .replace_all(&message, |caps: &regex::Captures| {
                let l: usize = caps[1].parse().unwrap_or(0);
                let c: usize = caps[2].parse().unwrap_or(0);
                format!(
                    "at line {} column {}",
                    l + origin.line_offset,
                    c + origin.column_offset
                )
            })
            .into_owned();
    }
    TemplateError::Yaml {
        file: origin.file.clone(),
        line: line + origin.line_offset,
        column: column + origin.column_offset,
        message: without_values(&message),
    }
}

/// serde quotes the offending value in type errors (`invalid type: string "..."`); a plain
/// scalar can span the whole file (a mistaken or linked `.env` file is one long string), so
/// the message names the kind of value only and never echoes the file's content.
fn without_values(message: &str) -> String {
    let quoted =
        regex::Regex::new(r#"\b(string|character) "(?:[^"\\]|\\.)*""#).expect("valid regex");
    quoted.replace_all(message, "a $1").into_owned()
}

pub(super) fn parse_yaml(text: &str, origin: &Origin) -> Result<Value, TemplateError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_yaml::from_str::<JsonValue>(text)
        .map(|v| v.0)
        .map_err(|e| yaml_error(e, origin))
}

/// Parses YAML text (e.g. a Gherkin docstring) into JSON without interpolating it.
/// Errors report file:line:col with the origin's offsets added.
pub fn parse_text(text: &str, origin: &Origin) -> Result<Value, TemplateError> {
    parse_yaml(text, origin)
}

/// Reads a table cell or quoted step argument: `30` -> 30, `null` -> null, `[a, b]` -> array,
/// `true` -> bool, `"30"` -> string "30"; anything else stays the text as written. Empty cell ->
/// empty string.
///
/// A number, boolean or null only when written exactly as JSON writes it: YAML would also read
/// `+14255550123` (a phone number), `007`, `1e3`, `0x1F`, `0o17`, `1.50`, `~`, `True` or `NULL`
/// as numbers, booleans or null, silently changing what the user wrote; these stay text. Only
/// scalars and flow collections (`[...]`, `{...}`, read as YAML) are typed: `a: b` or `- x` stay
/// text, and an unquoted string keeps its exact text (so `#uuid` or `a #b` are not comments).
pub fn parse_scalar(text: &str) -> Value {
    if is_plain_text(text.trim()) {
        return Value::String(text.to_string());
    }
    // The same cells come back in every scenario of a suite: each short text goes through the
    // YAML parser once per thread (a bounded memo, emptied when full).
    const REMEMBERED: usize = 4096;
    const SHORT: usize = 256;
    if text.len() > SHORT {
        return parse_scalar_as_yaml(text);
    }
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, Value>> =
            std::cell::RefCell::default();
    }
    PARSED.with(|parsed| {
        if let Some(value) = parsed.borrow().get(text) {
            return value.clone();
        }
        let value = parse_scalar_as_yaml(text);
        let mut parsed = parsed.borrow_mut();
        if parsed.len() >= REMEMBERED {
            parsed.clear();
        }
        parsed.insert(text.to_owned(), value.clone());
        value
    })
}

/// Text YAML can only read as a string (or as a block collection, which a cell keeps as text):
/// it starts with a letter, `/`, `$` or `_` (no indicator, number or sign), has no comment, and
/// is not one of the null and boolean words. Most cells are such text; the YAML parser costs
/// ~10 µs a cell, a notable share of a scenario (measured with callgrind).
fn is_plain_text(trimmed: &str) -> bool {
    let starts_plain = trimmed
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '$' | '_'));
    starts_plain && !trimmed.contains('#') && !matches!(trimmed, "null" | "true" | "false")
}

/// [`parse_scalar`] by way of the YAML parser.
fn parse_scalar_as_yaml(text: &str) -> Value {
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
        // JSON's own spelling only: anything YAML reads differently from JSON keeps its text.
        other if serde_json::to_string(&other).is_ok_and(|json| json == trimmed) => other,
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod plain_text_tests {
    use super::*;

    #[test]
    fn only_json_spellings_are_typed_and_other_text_is_kept_as_written() {
        use serde_json::json;
        for (text, typed) in [
            ("30", json!(30)),
            ("-2.5", json!(-2.5)),
            ("1.0", json!(1.0)),
            ("0", json!(0)),
            ("true", json!(true)),
            ("false", json!(false)),
            ("null", json!(null)),
            (" 45 ", json!(45)),
            ("[a, 1]", json!(["a", 1])),
            ("{a: 1}", json!({"a": 1})),
            ("\"45\"", json!("45")),
            ("'null'", json!("null")),
            ("\"+14255550123\"", json!("+14255550123")),
        ] {
            assert_eq!(parse_scalar(text), typed, "{text:?}");
        }
        // YAML reads each of these as a number, boolean or null that JSON spells otherwise.
        for text in [
            "+14255550123",
            "007",
            "0123",
            "1e3",
            "1E3",
            "0x1F",
            "0o17",
            "1.50",
            "-0",
            "+1",
            ".5",
            "5.",
            ".inf",
            "-.inf",
            ".nan",
            "~",
            "True",
            "TRUE",
            "False",
            "Null",
            "NULL",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "2026-12-08",
            "2026-12-08T01:00:00Z",
            "12:30:00",
            "123456789012345678901234567890",
            "1_000",
        ] {
            assert_eq!(parse_scalar(text), json!(text), "{text:?}");
        }
    }

    #[test]
    fn the_plain_text_shortcut_reads_cells_as_the_yaml_parser_does() {
        let cells = [
            "establishing",
            "updated",
            "/communications/calls/${call.id}",
            "${call.id}",
            "_x",
            "a: b",
            "a: 1",
            "a #b",
            "Null",
            "nullx",
            "TRUE",
            "true ",
            " false",
            "yes",
            "no",
            "on",
            "inf",
            "nan",
            "NaN",
            "Infinity",
            "e5",
            "a\n- b",
            "a\n...\n",
            "a\n---\nb",
            "x, [y]",
            "a !!int 3",
            "a\n!!int 3",
            "John Doe",
            "/a: b",
            "$ref",
        ];
        for cell in cells {
            assert_eq!(parse_scalar(cell), parse_scalar_as_yaml(cell), "{cell:?}");
        }
        for taken in [
            "True",
            "NULL",
            "establishing",
            "/communications/calls/${call.id}",
            "a: b",
            "yes",
        ] {
            assert!(is_plain_text(taken), "{taken:?}");
        }
        for yaml in [
            "null", "30", "-2.5", ".inf", "\"x\"", "[a]", "#uuid", "a #b", "!!int 3",
        ] {
            assert!(!is_plain_text(yaml), "{yaml:?}");
        }
    }
}
