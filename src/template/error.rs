//! The one error type of templates: every message is one line for a user, starting with
//! `file:line:column` when a position is known.

use std::path::PathBuf;

use super::display::{
    show_alternatives, show_at, show_defined, show_path, show_roots, show_searched, show_suggestion,
};

/// Errors from loading, parsing, interpolating and editing templates.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No template or document with that name exists in any root.
    #[error(
        "{kind} \"{name}\" not found; looked for {}{}",
        show_searched(roots, looked_for, *builtins),
        show_suggestion(suggestion)
    )]
    NotFound {
        /// "template" or "document".
        kind: &'static str,
        name: String,
        /// The relative file that was looked for, e.g. `requests/p2p.yaml`.
        looked_for: String,
        /// The roots that were searched, in order (boxed: keeps the error small).
        roots: Box<[PathBuf]>,
        /// Whether the built-in templates were searched too (after the roots).
        builtins: bool,
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
        "{}undefined variable \"{name}\"{} ({})",
        show_at(file.as_deref(), *line, *column),
        show_alternatives(suggestions),
        show_defined(defined)
    )]
    UndefinedVariable {
        name: String,
        /// Defined names close to `name` (a likely typo), closest first.
        suggestions: Box<[String]>,
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
    /// A template whose real path (links resolved) is outside every scenario folder.
    #[error(
        "{}: refused: it links to a file outside the scenario folders ({}); copy the file \
         into one of them instead",
        show_path(file),
        show_roots(roots)
    )]
    OutsideScenarios { file: PathBuf, roots: Vec<PathBuf> },
    /// A template or document above [`super::MAX_TEMPLATE_BYTES`].
    #[error(
        "{}: refused: the file is {bytes} bytes, more than the {} bytes (1 MiB) a template \
         or document may have",
        show_path(file),
        super::MAX_TEMPLATE_BYTES
    )]
    TooLarge { file: PathBuf, bytes: u64 },
    /// A file could not be read.
    #[error("{}: {source}", show_path(file))]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// `text` cut to `max_chars` characters, with `...` when it was longer (for messages).
pub(super) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max_chars).collect();
        format!("{cut}...")
    }
}
