//! Request templates (`extends`, `vars`, `set`, `remove`) and plain documents.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::error::TemplateError;
use super::interpolate::Ctx;
use super::source::{Origin, Source};
use super::yaml::{parse_yaml, present_value, JsonMap};
use super::Vars;

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a request template mapping (description, path, extends, vars, body, set, remove)"
)]
pub(super) struct RawTemplate {
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) path: Option<String>,
    #[serde(default)]
    pub(super) extends: Option<String>,
    #[serde(default)]
    pub(super) vars: Option<JsonMap>,
    #[serde(default, deserialize_with = "present_value")]
    pub(super) body: Option<Value>,
    #[serde(default)]
    pub(super) set: Option<JsonMap>,
    #[serde(default)]
    pub(super) remove: Option<Vec<String>>,
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
    pub(super) body: Value,
    pub(super) defaults: Vars,
    /// This file first, then its bases: searched for placeholder positions.
    pub(super) sources: Vec<Source>,
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
        let value = parse_yaml(&text, &Origin::new(file.clone(), 0))?;
        Ok(Document { file, text, value })
    }

    /// Interpolates the document with `vars`.
    pub fn render(&self, vars: &Vars) -> Result<Value, TemplateError> {
        let sources = [Origin::new(self.file.clone(), 0).source(&self.text)];
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
