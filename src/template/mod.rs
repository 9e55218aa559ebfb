//! YAML request templates and documents with `${...}` interpolation.
//!
//! This module is the pure core behind the Gherkin steps: it loads request templates
//! (`scenarios/requests/<name>.yaml`) and other YAML documents, resolves `extends`, applies
//! `set`/`remove` overrides by path, and interpolates `${...}` placeholders while keeping the
//! JSON type of whole-string placeholders. Every error is a one-line, user-facing message that
//! starts with `file:line:column` when a position is known.
//!
//! One file per concept: `store` (which folders, loading, links and size refused), `request`
//! (templates and documents), `yaml` (YAML to JSON), `interpolate` (`${...}`), `path` (edits by
//! path), `source` (positions), `suggest` (did-you-mean), `display` and `error` (messages).

mod available;
mod builtin;
mod display;
mod error;
mod interpolate;
mod path;
mod request;
mod source;
mod store;
mod suggest;
mod yaml;

#[cfg(test)]
mod tests;

pub use available::{render_available, Available, Provenance};
pub use error::TemplateError;
pub use interpolate::{interpolate, interpolate_at, interpolate_str, render_text};
pub use path::{lookup, remove_path, set_path};
pub use request::{Document, RequestTemplate};
pub use source::Origin;
pub use store::TemplateStore;
pub use yaml::{parse_scalar, parse_text};

/// Variables for interpolation: a JSON object. `${call.id}` looks up the flat key "call.id" first,
/// then the path call -> id.
pub type Vars = serde_json::Map<String, serde_json::Value>;

/// The largest template or document file read, in bytes (1 MiB): real templates are a few
/// KB, and parsing YAML holds many times a file's size in memory.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// At most this many names are listed in an undefined-variable message.
pub(crate) const MAX_LISTED_NAMES: usize = 20;
