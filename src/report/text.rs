//! Text as the report shows it: HTML-escaped, with tokens and colour codes taken out. Used by
//! the page (`html`) and its diagrams (`sequence`), which would otherwise import each other.

use std::sync::OnceLock;

use regex::Regex;

/// Text made safe for HTML and SVG, in element content and in quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Anything that looks like a JWT (`eyJ...`) or a known secret becomes `<redacted>`
/// ([`crate::redact`]); terminal colour codes go.
pub fn redact_tokens(text: &str) -> String {
    static ANSI: OnceLock<Regex> = OnceLock::new();
    let ansi = ANSI.get_or_init(|| Regex::new(r"\x1b\[[0-9;]*[A-Za-z]").unwrap());
    let plain = ansi.replace_all(text, "");
    crate::redact::redact(&plain).into_owned()
}
