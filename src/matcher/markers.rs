//! The string markers (`#uuid`, `#regex ...`, `##<marker>`, `#not ...`): parsing one, and
//! whether it accepts a value. The table of forms is in the parent module's doc.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonType {
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
pub(super) enum Marker<'a> {
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
pub(super) fn parse_marker(s: &str) -> Option<Marker<'_>> {
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
    pub(super) fn description(&self) -> String {
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
    pub(super) fn accepts(&self, actual: Option<&Value>) -> bool {
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
