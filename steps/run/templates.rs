//! `callspec templates`: what request templates and documents a run can use, and where each
//! comes from. The listing itself is the library's (`callspec::templating`).

use std::path::PathBuf;
use std::process::ExitCode;

use callspec::templating::render_available;
use callspec::{display_path, TemplateStore};
use clap::Args;

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// A feature file or folder: list what its scenarios see (the `scenarios/` folders up from
    /// it). Default: the current folder.
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Folders to use instead of that search, as `run --scenarios` (repeatable). Default:
    /// `CALLSPEC_SCENARIOS` (folders separated by `:`), if set.
    #[arg(long = "scenarios", value_name = "DIR")]
    scenarios: Vec<PathBuf>,
}

pub fn print(args: &TemplatesArgs) -> ExitCode {
    let (folders, source): (Vec<PathBuf>, &str) = match std::env::var_os("CALLSPEC_SCENARIOS") {
        Some(list) if args.scenarios.is_empty() => (
            std::env::split_paths(&list)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            "CALLSPEC_SCENARIOS",
        ),
        _ => (args.scenarios.clone(), "--scenarios"),
    };
    if let Some(missing) = folders.iter().find(|f| !f.is_dir()) {
        eprintln!(
            "callspec: {source}: {} is not a folder (templates are looked up in requests/ under it)",
            display_path(&std::path::absolute(missing).unwrap_or_else(|_| missing.clone()))
        );
        return ExitCode::from(2);
    }
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !path.exists() {
        eprintln!("callspec: {} does not exist", display_path(&path));
        return ExitCode::from(2);
    }
    let store = TemplateStore::for_feature_in(&path, &folders);
    out!("{}", render_available(&store, &store.available()));
    ExitCode::SUCCESS
}
