//! How every message and report names a file: one form everywhere.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// A path as the console, the reports and error messages show it: relative to the working
/// directory when the file is under it, absolute otherwise; `/` separators, no `.`, `..` or
/// doubled separators.
///
/// ```
/// let cwd = std::env::current_dir().unwrap();
/// assert_eq!(callspec::display_path(&cwd.join("features//a.feature")), "features/a.feature");
/// assert_eq!(callspec::display_path("./features/./b.feature".as_ref()), "features/b.feature");
/// assert_eq!(callspec::display_path("/elsewhere/../x.feature".as_ref()), "/x.feature");
/// ```
pub fn display_path(path: &Path) -> String {
    // The working directory, as given and resolved: looked up once (a run names paths for
    // every scenario; resolving links each time cost a system call per path component).
    static CWD: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    let cwd = CWD.get_or_init(|| {
        let cwd = std::env::current_dir().ok()?;
        let real = cwd.canonicalize().unwrap_or_default();
        Some((cwd, real))
    });
    let absolute = match cwd {
        Some((cwd, _)) if path.is_relative() => normalize(&cwd.join(path)),
        _ => normalize(path),
    };
    let bases = cwd
        .iter()
        .flat_map(|(cwd, real)| [normalize(cwd), real.clone()]);
    for base in bases {
        if base.as_os_str().is_empty() {
            continue;
        }
        if let Ok(rest) = absolute.strip_prefix(&base) {
            if rest.as_os_str().is_empty() {
                return ".".to_owned();
            }
            return joined(rest);
        }
    }
    let shown = joined(&absolute);
    if absolute.has_root() && !shown.starts_with('/') {
        format!("/{shown}")
    } else {
        shown
    }
}

/// Removes `.` and resolves `..` by the text alone (the file need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn joined(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Why a path that is not a regular file cannot be read as one (a FIFO would block the read
/// forever, a folder or device is not a document).
pub(crate) fn not_a_file(meta: &std::fs::Metadata) -> String {
    let kind = meta.file_type();
    let what = if kind.is_dir() {
        "a folder"
    } else {
        special_file(&kind).unwrap_or("not a regular file")
    };
    format!("it is {what}, not a regular file")
}

/// What kind of special file this is (Unix: FIFOs, sockets, devices).
#[cfg(unix)]
fn special_file(kind: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else {
        None
    }
}

/// Windows has no FIFOs or device files among a folder's entries; anything not a regular file
/// or folder (a symlink that is not followed) is just "not a regular file".
#[cfg(not(unix))]
fn special_file(_kind: &std::fs::FileType) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_working_directory_are_relative_others_absolute() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(display_path(&cwd.join("a/b.feature")), "a/b.feature");
        assert_eq!(display_path(Path::new("a//b.feature")), "a/b.feature");
        assert_eq!(display_path(Path::new("a/../c.feature")), "c.feature");
        assert_eq!(display_path(Path::new("/tmp//x/./y.yaml")), "/tmp/x/y.yaml");
        let outside = cwd.parent().unwrap().join("other.feature");
        assert_eq!(display_path(&outside), outside.display().to_string());
        assert!(!display_path(Path::new("./a//b")).contains("//"));
        assert_eq!(display_path(&cwd), ".");
    }
}
