//! The standard templates and documents built into the binary (the `scenarios/` examples that
//! ship with callspec). The listing of what a store offers is in `available.rs`, above the store.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// How a built-in file is named in messages and reports: not a path on disk, and never under
/// the working directory, so it cannot be mistaken for one.
pub(super) const BUILTIN_PREFIX: &str = "<built-in>";

/// The built-in file at `relative` (e.g. `requests/v1/p2p-voip-service-hosted.yaml`).
pub(super) fn builtin(relative: &str) -> Option<&'static str> {
    BUILTIN
        .binary_search_by(|(path, _)| path.cmp(&relative))
        .ok()
        .map(|i| BUILTIN[i].1)
}

/// The built-in files under `folder` (`requests`), relative to it, sorted.
pub(super) fn builtin_files(folder: &str) -> impl Iterator<Item = &'static str> + '_ {
    BUILTIN.iter().filter_map(move |(path, _)| {
        path.strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
    })
}

/// The name a built-in file has in messages: `<built-in>/requests/v1/x.yaml`.
pub(super) fn builtin_path(relative: &str) -> PathBuf {
    Path::new(BUILTIN_PREFIX).join(relative)
}
