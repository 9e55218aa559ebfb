//! Paths into JSON (`a.b[0]["@odata.type"]`): lookup, set and remove.

use serde_json::{Map, Value};

use super::error::shorten;
use super::error::TemplateError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

pub(super) fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '$'))
}

/// Formats segments back into path text (`a.b[0]["@odata.type"]`); the root is `$`.
pub(super) fn format_path(segments: &[Segment]) -> String {
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

pub(super) fn bad_path(path: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError::BadPath {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Parses `a.b[0].c`, `a["@odata.type"]`, `a['x.y']`, with an optional leading `$.` or `$`.
pub(super) fn parse_path(path: &str) -> Result<Vec<Segment>, TemplateError> {
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

pub(super) fn walk<'a>(mut value: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
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
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", Value::String(shorten(s, 30))),
        Value::Array(items) => format!("an array ({} items)", items.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

pub(super) fn list_keys(map: &Map<String, Value>) -> String {
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
    if let Some(found) = lookup_dotted(value, path) {
        return found;
    }
    walk(value, &parse_path(path).ok()?)
}

/// [`lookup`] of a path of plain keys and indexes (`targets[0].identity.user.id`), most
/// paths in tables, without building its segments; `None` for any other path.
fn lookup_dotted<'a>(mut value: &'a Value, path: &str) -> Option<Option<&'a Value>> {
    if path.is_empty() || path.starts_with('$') || path.contains(['"', '\'', ' ']) {
        return None;
    }
    for part in path.split('.') {
        let (key, mut indexes) = match part.split_once('[') {
            Some((key, rest)) => (key, Some(rest)),
            None => (part, None),
        };
        if !is_plain_key(key) {
            return None;
        }
        value = match value.get(key) {
            Some(found) => found,
            None => return Some(None),
        };
        while let Some(rest) = indexes {
            let (index, after) = rest.split_once(']')?;
            let index: usize = index.parse().ok()?;
            indexes = match after {
                "" => None,
                more => Some(more.strip_prefix('[')?),
            };
            value = match value.get(index) {
                Some(found) => found,
                None => return Some(None),
            };
        }
    }
    Some(Some(value))
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

pub(super) fn describe_segment(seg: &Segment) -> String {
    match seg {
        Segment::Key(k) => format!("key \"{k}\""),
        Segment::Index(n) => format!("index {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_lookup_finds_what_the_segment_walk_finds() {
        let doc = json!({
            "a": {"b": [10, {"c": "x"}], "@odata.type": "t", "k-1": null},
            "m": [[1, 2], [3]],
            "x.y": 5,
        });
        for path in [
            "a",
            "a.b",
            "a.b[0]",
            "a.b[1].c",
            "a.b[2]",
            "a.b[1].d",
            "a.@odata.type",
            "a.k-1",
            "m[0][1]",
            "m[1][0]",
            "m[1][1]",
            "m[0]",
            "nope",
            "a.b.c",
            "a.b[x]",
            "a.b[0",
            "a..b",
            "a.",
            ".a",
            "[0]",
            "a.b[0]c",
            "a.[0]",
            "a[\"@odata.type\"]",
            "['x.y']",
            "$.a.b[0]",
            " a ",
            "a[ 1 ].c",
            "a.b[1].c.d",
            "é",
        ] {
            let walked = parse_path(path).ok().and_then(|s| walk(&doc, &s));
            assert_eq!(lookup(&doc, path), walked, "{path}");
        }
    }
}
