//! How files, folders and suggestions appear in messages.

use std::path::{Component, Path, PathBuf};

/// Shows a path relative to the current directory when it is under it (or close to it).
pub(super) fn show_path(path: &Path) -> String {
    if !path.is_absolute() {
        return path.display().to_string();
    }
    let Ok(cwd) = std::env::current_dir() else {
        return path.display().to_string();
    };
    let cwd = normalize(&cwd);
    let path = normalize(path);
    // Under the cwd, or at most two levels above it.
    let mut base: &Path = &cwd;
    for ups in 0..3 {
        if let Ok(rest) = path.strip_prefix(base) {
            let mut out = PathBuf::new();
            for _ in 0..ups {
                out.push("..");
            }
            out.push(rest);
            if out.as_os_str().is_empty() {
                return ".".to_string();
            }
            return out.display().to_string();
        }
        match base.parent() {
            Some(parent) if parent.parent().is_some() => base = parent,
            _ => break,
        }
    }
    path.display().to_string()
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

pub(super) fn show_suggestion(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean \"{s}\"?"),
        None => String::new(),
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
