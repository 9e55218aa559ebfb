//! One redaction for every output: the console, the JUnit, Cucumber JSON and HTML reports,
//! recordings, the bot's output tails.
//!
//! What goes: anything shaped like a JWT (`eyJ...`, an access or notification token), and every
//! secret the run knows ([`register_secret`]: the client secret, `[env]` values with secret
//! names) in the forms it is likely to be printed in: as is, in any letter case, split by
//! whitespace, quotes, `+` or line breaks (`"abc" + "def"`, a wrapped line), base64 (standard
//! and URL-safe, at any offset, as inside an `Authorization: Basic` header), hex, percent- and
//! JSON-escaped.

use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use regex::Regex;

/// Values shorter than this are not secrets worth redacting (`DEBUG=1` would redact every "1").
pub const MIN_SECRET_LEN: usize = 4;
/// What a redacted value becomes in reports.
pub const REDACTED: &str = "<redacted>";

/// What may separate the pieces of a split secret: whitespace, quotes, `+`, escaped line
/// breaks. A few at most between two characters.
const SPLIT: &str = r#"(?:\s|\\[nrt]|["'+]){0,6}"#;

struct Known {
    secrets: Vec<String>,
    pattern: Option<Regex>,
}

fn known() -> &'static RwLock<Known> {
    static KNOWN: OnceLock<RwLock<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        RwLock::new(Known {
            secrets: Vec::new(),
            pattern: None,
        })
    })
}

fn jwt() -> &'static Regex {
    static JWT: OnceLock<Regex> = OnceLock::new();
    // The header of every JWT is base64url JSON, `{"` → `eyJ`; the dots between the parts may
    // be escaped or split like any text.
    JWT.get_or_init(|| Regex::new(r"eyJ[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*){0,2}").unwrap())
}

/// The base64 of `secret` as it appears inside a longer base64 text, at each of the three byte
/// offsets: only the characters that depend on the secret's bytes alone.
fn base64_forms(secret: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret);
        let encoded = STANDARD.encode(&bytes);
        let first = (8 * offset).div_ceil(6);
        let last = (8 * (offset + secret.len())) / 6;
        if last <= first + 3 {
            continue;
        }
        let core = &encoded[first..last];
        forms.push(core.to_owned());
        let url = URL_SAFE.encode(&bytes);
        forms.push(url[first..last].to_owned());
    }
    forms
}

/// Every form of `secret` as a regex alternative.
fn forms(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    // As is, any case, split.
    let chars: Vec<String> = secret
        .chars()
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    out.push(format!("(?i:{})", chars.join(SPLIT)));
    for form in base64_forms(secret.as_bytes()) {
        out.push(regex::escape(&form));
    }
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    out.push(format!("(?i:{hex})"));
    let percent: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    if percent != secret {
        out.push(format!("(?i:{})", regex::escape(&percent)));
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"');
    if json != secret {
        out.push(regex::escape(json));
    }
    out
}

/// Makes `secret` (and its encodings) disappear from every output of this process from now on.
/// Short values (under [`MIN_SECRET_LEN`] bytes) are ignored; a multi-line value (a PEM key) is
/// taken line by line.
pub fn register_secret(secret: &str) {
    let lines: Vec<&str> = secret
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= MIN_SECRET_LEN)
        .collect();
    if lines.is_empty() {
        return;
    }
    let mut known = known().write().unwrap_or_else(|e| e.into_inner());
    let before = known.secrets.len();
    for line in lines {
        if !known.secrets.iter().any(|s| s == line) {
            known.secrets.push(line.to_owned());
        }
    }
    if known.secrets.len() == before {
        return;
    }
    // The longest first, so a secret containing another goes whole.
    let mut secrets = known.secrets.clone();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let alternatives: Vec<String> = secrets.iter().flat_map(|s| forms(s)).collect();
    known.pattern = Regex::new(&alternatives.join("|")).ok();
}

/// `text` with every JWT-shaped string and every known secret, in any of its forms, replaced by
/// `marker`.
pub fn redact_with<'t>(text: &'t str, marker: &str) -> Cow<'t, str> {
    let mut out = jwt().replace_all(text, marker);
    let known = known().read().unwrap_or_else(|e| e.into_inner());
    if let Some(pattern) = &known.pattern {
        if let Cow::Owned(replaced) = pattern.replace_all(&out, marker) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// `text` with every JWT-shaped string and known secret replaced by `<redacted>`: what every
/// output calls before it writes.
pub fn redact(text: &str) -> Cow<'_, str> {
    redact_with(text, REDACTED)
}

/// [`redact`] for bytes that may not all be UTF-8 (a report being written out): the text
/// parts are redacted, and bytes that are not UTF-8 are kept as they are.
pub fn redact_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(bytes) {
        Ok(text) => match redact(text) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        },
        Err(_) => match redact(&String::from_utf8_lossy(bytes)) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zq8~hunter2-Secret.Value_42";

    #[test]
    fn every_form_of_a_known_secret_goes() {
        register_secret(SECRET);
        let basic = STANDARD.encode(format!("client-id:{SECRET}"));
        let shown = [
            SECRET.to_owned(),
            SECRET.to_uppercase(),
            SECRET.to_lowercase(),
            format!("secret=\"{}\" + \"{}\"", &SECRET[..10], &SECRET[10..]),
            format!("{}\n    {}", &SECRET[..5], &SECRET[5..]),
            STANDARD.encode(SECRET),
            URL_SAFE.encode(format!("x{SECRET}")),
            format!("Authorization: Basic {basic}"),
            SECRET.bytes().map(|b| format!("{b:02X}")).collect(),
            url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect(),
        ];
        for text in shown {
            let out = redact(&text);
            assert!(out.contains(REDACTED), "{text} → {out}");
            assert!(
                !out.contains("hunter2") && !out.contains("HUNTER2"),
                "{text} → {out}"
            );
            assert!(
                !out.contains(&STANDARD.encode(SECRET)[4..20]),
                "{text} → {out}"
            );
        }
        assert_eq!(redact("nothing to hide here"), "nothing to hide here");
    }

    #[test]
    fn jwts_go_whatever_their_secret() {
        let text = "token eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl done";
        assert_eq!(redact(text), "token <redacted> done");
        assert_eq!(
            redact_with("Bearer eyJabc.def.ghi", "[redacted]"),
            "Bearer [redacted]"
        );
    }

    #[test]
    fn short_values_are_not_secrets() {
        register_secret("1");
        assert_eq!(redact("DEBUG=1"), "DEBUG=1");
        assert_eq!(redact_bytes(b"\xff plain"), &b"\xff plain"[..]);
    }
}
