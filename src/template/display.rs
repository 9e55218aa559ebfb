//! How files, folders and suggestions appear in messages.

use std::path::{Component, Path, PathBuf};

/// Shows a path the way every message does: relative to the working directory when the path is
/// under it, absolute otherwise (so it can be pasted either way).
pub(super) fn show_path(path: &Path) -> String {
    crate::display_path(path)
}

pub(super) fn show_roots(roots: &[PathBuf]) -> String {
    if roots.is_empty() {
        return "(no scenario folders)".to_string();
    }
    roots
        .iter()
        .map(|r| show_path(r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every file that was looked for, one per folder searched, as paths a user can paste; then
/// the built-in templates, and how to search other folders.
pub(super) fn show_searched(roots: &[PathBuf], looked_for: &str, builtins: bool) -> String {
    let mut places: Vec<String> = roots
        .iter()
        .map(|r| show_path(&r.join(looked_for)))
        .collect();
    if builtins {
        places.push(format!("{looked_for} among the built-in templates"));
    }
    let places = match places.as_slice() {
        [] => format!("{looked_for} but no scenario folder was given"),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!(
        "{places} (`callspec templates` lists what there is; other folders: run with \
         --scenarios DIR)"
    )
}

pub(super) fn show_suggestion(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean \"{s}\"?"),
        None => String::new(),
    }
}

pub(super) fn show_alternatives(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("; did you mean \"{one}\"?"),
        many => format!(
            "; did you mean {}?",
            many.iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

pub(super) fn show_at(file: Option<&Path>, line: Option<usize>, column: Option<usize>) -> String {
    match (file, line, column) {
        (Some(f), Some(l), Some(c)) => format!("{}:{l}:{c}: ", show_path(f)),
        (Some(f), Some(l), None) => format!("{}:{l}: ", show_path(f)),
        (Some(f), None, _) => format!("{}: ", show_path(f)),
        (None, _, _) => String::new(),
    }
}

pub(super) fn show_defined(defined: &[String]) -> String {
    if defined.is_empty() {
        "no variables are defined".to_string()
    } else {
        format!("defined: {}", defined.join(", "))
    }
}

/// Lexically normalizes a path: drops `.` and resolves `..` against earlier components.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(super) fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    });
    normalize(&abs)
}
