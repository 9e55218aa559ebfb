//! The listing of what a store offers and where each file comes from (a team's folders, or
//! built in). It sits above both the store and the built-in files, which do not know of it.

use std::path::PathBuf;

use super::builtin::BUILTIN;
use super::display::show_path;
use super::store::{strip_yaml_ext, yaml_files, TemplateStore};

/// Where an available template or document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// Built into callspec.
    BuiltIn,
    /// The file in this scenario folder (its `requests/`, `notifications/`... under it).
    Folder(PathBuf),
}

/// One template or document a store offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// What a step names it by: a request template's name (`v1/p2p-pstn-service-hosted`), or a
    /// document's path under `scenarios/` (`notifications/v1/p2p-connected.yaml`).
    pub name: String,
    /// `true` for a request template (`a call request from template "..."`).
    pub is_request: bool,
    /// Where the one in use comes from: the first scenario folder that has it, else built in.
    pub from: Provenance,
    /// Where else it exists and is hidden by `from` (a team's file over a built-in one).
    pub hidden: Vec<Provenance>,
}

impl TemplateStore {
    /// Every request template and document this store can load, sorted by name: a team's own
    /// files (first folder first) hide a built-in file of the same name.
    pub fn available(&self) -> Vec<Available> {
        let mut out: Vec<Available> = Vec::new();
        let mut add = |relative: String, from: Provenance| {
            let is_request = relative.starts_with("requests/");
            let name = match relative.strip_prefix("requests/") {
                Some(rest) => strip_yaml_ext(rest).to_owned(),
                None => relative,
            };
            match out
                .iter_mut()
                .find(|a| a.name == name && a.is_request == is_request)
            {
                Some(existing) => existing.hidden.push(from),
                None => out.push(Available {
                    name,
                    is_request,
                    from,
                    hidden: Vec::new(),
                }),
            }
        };
        for root in self.roots() {
            for file in yaml_files(root) {
                add(file, Provenance::Folder(root.clone()));
            }
        }
        if self.builtins() {
            for (path, _) in BUILTIN {
                add((*path).to_owned(), Provenance::BuiltIn);
            }
        }
        out.sort_by(|a, b| (!a.is_request, &a.name).cmp(&(!b.is_request, &b.name)));
        out
    }
}

/// The listing `callspec templates` prints: request templates, then documents, each with where
/// it comes from (and what it hides), then the folders searched.
pub fn render_available(store: &TemplateStore, available: &[Available]) -> String {
    let show = |p: &Provenance| match p {
        Provenance::BuiltIn => "built-in".to_owned(),
        Provenance::Folder(root) => show_path(root),
    };
    let width = available.iter().map(|a| a.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (title, requests) in [
        (
            "Request templates (a call request from template \"NAME\")",
            true,
        ),
        (
            "Documents (notification sequences, responses: \"PATH\")",
            false,
        ),
    ] {
        out.push_str(title);
        out.push_str(":\n");
        for a in available.iter().filter(|a| a.is_request == requests) {
            let hidden = if a.hidden.is_empty() {
                String::new()
            } else {
                let others: Vec<String> = a.hidden.iter().map(show).collect();
                format!(" (hides {})", others.join(", "))
            };
            out.push_str(&format!("  {:width$}  {}{hidden}\n", a.name, show(&a.from)));
        }
        out.push('\n');
    }
    out.push_str("Searched, in order: ");
    let mut searched: Vec<String> = store
        .roots()
        .iter()
        .map(|r| match r.is_dir() {
            true => show_path(r),
            false => format!("{} (no such folder)", show_path(r)),
        })
        .collect();
    if store.builtins() {
        searched.push("the built-in templates".to_owned());
    }
    out.push_str(&searched.join(", "));
    out.push_str("\nOther folders: --scenarios DIR (repeatable) or CALLSPEC_SCENARIOS.\n");
    out
}
