//! The template store: which `scenarios/` folders are searched, and loading from them.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::builtin::{builtin, builtin_files, builtin_path};
use super::display::absolute;
use super::error::TemplateError;
use super::path::{remove_path, set_path};
use super::request::{Document, RawTemplate, RequestTemplate};
use super::source::{Origin, Source};
use super::suggest::closest;
use super::yaml::{yaml_error, JsonMap, JsonValue};
use super::{Vars, MAX_TEMPLATE_BYTES};

/// Where templates and documents are looked up: an ordered list of `scenarios/` folders, then
/// the templates built into callspec (a team's own file of the same name comes first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStore {
    roots: Vec<PathBuf>,
    builtins: bool,
}

/// Where a template was found: in a folder, or built in.
enum Found {
    File(PathBuf),
    BuiltIn(&'static str),
}

pub(super) fn validate_name(kind: &'static str, name: &str) -> Result<(), TemplateError> {
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

/// YAML files under `dir`, as relative `/`-separated paths (extension kept), sorted.
pub(super) fn yaml_files(dir: &Path) -> Vec<String> {
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

pub(super) fn strip_yaml_ext(name: &str) -> &str {
    name.strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name)
}

impl TemplateStore {
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        TemplateStore {
            roots: roots.into_iter().collect(),
            builtins: true,
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
        TemplateStore {
            roots,
            builtins: true,
        }
    }

    /// The folders a run was told to use (`--scenarios DIR`, `CALLSPEC_SCENARIOS`), in order,
    /// instead of the search up from the feature file; none given: [`Self::for_feature`].
    pub fn for_feature_in(feature_file: &Path, folders: &[PathBuf]) -> Self {
        if folders.is_empty() {
            return Self::for_feature(feature_file);
        }
        let mut roots = Vec::new();
        for folder in folders {
            let root = absolute(folder);
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
        TemplateStore {
            roots,
            builtins: true,
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The same folders without the built-in templates behind them.
    pub fn without_builtins(mut self) -> Self {
        self.builtins = false;
        self
    }

    /// Whether the built-in templates are searched after the folders.
    pub fn builtins(&self) -> bool {
        self.builtins
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
                let text = self.read(&file)?;
                return Document::from_text(file, text);
            }
        }
        let relative = relative.replace('\\', "/");
        if let Some(text) = self.builtins.then(|| builtin(&relative)).flatten() {
            return Document::from_text(builtin_path(&relative), text.to_owned());
        }
        let mut candidates: Vec<String> = self.roots.iter().flat_map(|r| yaml_files(r)).collect();
        if self.builtins {
            for folder in ["requests", "notifications", "responses"] {
                candidates.extend(builtin_files(folder).map(|f| format!("{folder}/{f}")));
            }
        }
        Err(TemplateError::NotFound {
            kind: "document",
            name: relative.to_string(),
            looked_for: relative.to_string(),
            roots: self.roots.clone().into(),
            builtins: self.builtins,
            suggestion: closest(&relative, &candidates),
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
        if self.builtins {
            names.extend(builtin_files("requests").map(|f| strip_yaml_ext(f).to_string()));
        }
        names.sort();
        names.dedup();
        names
    }

    /// The first folder from `start` on with `requests/<name>.yaml`; the built-in templates
    /// count as one more folder after the last.
    fn find_request(&self, name: &str, start: usize) -> Option<(usize, Found)> {
        for (i, root) in self.roots.iter().enumerate().skip(start) {
            for ext in ["yaml", "yml"] {
                let file = root.join("requests").join(format!("{name}.{ext}"));
                if file.is_file() {
                    return Some((i, Found::File(file)));
                }
            }
        }
        if !self.builtins || start > self.roots.len() {
            return None;
        }
        let name = name.replace('\\', "/");
        ["yaml", "yml"].into_iter().find_map(|ext| {
            let relative = format!("requests/{name}.{ext}");
            builtin(&relative).map(|text| (self.roots.len(), Found::BuiltIn(text)))
        })
    }

    fn load_request(
        &self,
        name: &str,
        start: usize,
        chain: &mut Vec<(String, PathBuf)>,
    ) -> Result<RequestTemplate, TemplateError> {
        let Some((root_index, found)) = self.find_request(name, start) else {
            return Err(TemplateError::NotFound {
                kind: "template",
                name: name.to_string(),
                looked_for: format!("requests/{name}.yaml"),
                roots: self.roots[start.min(self.roots.len())..].into(),
                builtins: self.builtins && start <= self.roots.len(),
                suggestion: closest(name, &self.request_names()),
            });
        };
        let (file, text) = match found {
            Found::File(file) => {
                let text = self.read(&file)?;
                (file, text)
            }
            Found::BuiltIn(text) => (
                builtin_path(&format!("requests/{}.yaml", name.replace('\\', "/"))),
                text.to_owned(),
            ),
        };
        if chain.iter().any(|(_, f)| *f == file) {
            let mut names: Vec<String> = chain.iter().map(|(n, _)| n.clone()).collect();
            names.push(name.to_string());
            return Err(TemplateError::ExtendsCycle { chain: names });
        }
        chain.push((name.to_string(), file.clone()));

        let own = Origin::new(file.clone(), 0).source(&text);
        let raw = parse_template(&own)?;
        let invalid = |(line, column): (usize, usize), message: String| TemplateError::Invalid {
            file: file.clone(),
            line,
            column,
            message,
        };
        let at_extends = || own.find_key("extends").unwrap_or((1, 1));
        let invalid_at =
            |needle: &str, message: String| invalid(own.find(needle).unwrap_or((1, 1)), message);

        let (mut body, mut defaults, mut path, mut description, mut sources) =
            match raw.extends.as_deref().map(str::trim) {
                Some(base_name) => {
                    let base_name = strip_yaml_ext(base_name);
                    validate_name("template", base_name)
                        .map_err(|e| invalid(at_extends(), format!("extends: {e}")))?;
                    let base_start = if base_name == name { root_index + 1 } else { 0 };
                    let base =
                        self.load_request(base_name, base_start, chain)
                            .map_err(|e| match e {
                                TemplateError::NotFound { .. } => {
                                    invalid(at_extends(), format!("extends: {e}"))
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

impl TemplateStore {
    /// Reads a template or document found in a root. Its real path (links resolved) must stay
    /// inside a scenario folder: a link to `../../staging.env` would otherwise put a secret
    /// into error messages and reports. Files above [`MAX_TEMPLATE_BYTES`] are refused before
    /// they are read (parsing holds many times the file's size in memory).
    fn read(&self, file: &Path) -> Result<String, TemplateError> {
        let io = |source| TemplateError::Io {
            file: file.to_path_buf(),
            source,
        };
        let real = file.canonicalize().map_err(io)?;
        let inside = self
            .roots
            .iter()
            .filter_map(|root| root.canonicalize().ok())
            .any(|root| real.starts_with(root));
        if !inside {
            return Err(TemplateError::OutsideScenarios {
                file: file.to_path_buf(),
                roots: self.roots.clone(),
            });
        }
        let meta = std::fs::metadata(&real).map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::other("not a regular file")));
        }
        if meta.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge {
                file: file.to_path_buf(),
                bytes: meta.len(),
            });
        }
        // Read at most one byte past the limit: the file may grow after the check.
        let mut text = String::new();
        std::io::Read::take(
            std::fs::File::open(&real).map_err(io)?,
            MAX_TEMPLATE_BYTES + 1,
        )
        .read_to_string(&mut text)
        .map_err(io)?;
        if text.len() as u64 > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge {
                file: file.to_path_buf(),
                bytes: text.len() as u64,
            });
        }
        Ok(text)
    }
}

pub(super) fn parse_template(source: &Source) -> Result<RawTemplate, TemplateError> {
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
    let origin = Origin::new(source.file.clone(), source.line_offset);
    serde_yaml::from_str::<JsonValue>(&source.text).map_err(|e| yaml_error(e, &origin))?;
    serde_yaml::from_str::<RawTemplate>(&source.text).map_err(|e| yaml_error(e, &origin))
}
