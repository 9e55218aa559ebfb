//! The report files (`--junit`, `--cucumber-json`, `--html`): checked and created before the
//! run (a file that cannot be made is bad input), rendered from the run's records and written
//! when it is over or stopped (so a write error is seen, and no report is left empty).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callspec::display_path;

use super::cli::RunArgs;
use super::features::Problem;
use super::record::ScenarioRecord;
use super::{cucumber_json, html, junit};

/// The report files asked for, created.
pub struct Reports {
    junit: Option<File>,
    json: Option<File>,
    html: Option<File>,
}

/// Two report options naming one file: refused before the run.
pub fn distinct(args: &RunArgs) -> Result<(), String> {
    distinct_reports(&[
        ("--junit", &args.junit),
        ("--cucumber-json", &args.cucumber_json),
        ("--html", &args.html),
    ])
}

impl Reports {
    /// Creates every report file asked for; the problems of all that cannot be, one a line.
    pub fn create(args: &RunArgs) -> Result<Reports, String> {
        match (
            create_report(&args.junit, "JUnit"),
            create_report(&args.cucumber_json, "Cucumber JSON"),
            create_report(&args.html, "HTML"),
        ) {
            (Ok(junit), Ok(json), Ok(html)) => Ok(Reports { junit, json, html }),
            (junit, json, html) => {
                let problems: Vec<String> = [junit.err(), json.err(), html.err()]
                    .into_iter()
                    .flatten()
                    .collect();
                Err(problems.join("\ncallspec: "))
            }
        }
    }

    /// Whether any report file was asked for (then every record is kept).
    pub fn any(&self) -> bool {
        self.junit.is_some() || self.json.is_some() || self.html.is_some()
    }

    pub fn html(&self) -> bool {
        self.html.is_some()
    }

    /// Writes every report; `false` (said on stderr) when one could not be.
    pub fn write(
        self,
        args: &RunArgs,
        records: &[ScenarioRecord],
        problems: &[Problem],
        wall_time: Duration,
    ) -> bool {
        let mut written = true;
        if self.junit.is_some() {
            match junit::render(records, problems, wall_time) {
                Ok(xml) => {
                    written &= write_report(self.junit, &args.junit, "JUnit", xml.as_bytes())
                }
                Err(e) => {
                    eprintln!("callspec: cannot build the JUnit report: {e}");
                    written = false;
                }
            }
        }
        if self.json.is_some() {
            let json = cucumber_json::render(records);
            written &= write_report(
                self.json,
                &args.cucumber_json,
                "Cucumber JSON",
                json.as_bytes(),
            );
        }
        if self.html.is_some() {
            let problems = problems.iter().map(ToString::to_string).collect();
            let page = html::render(records, problems, Some(wall_time));
            written &= write_report(self.html, &args.html, "HTML", page.as_bytes());
        }
        written
    }
}

/// Two report options naming one file would overwrite each other: refused before the run.
fn distinct_reports(reports: &[(&str, &Option<PathBuf>)]) -> Result<(), String> {
    // The same file however it is spelt: its folder resolved, then its name.
    let identity = |path: &Path| {
        let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let parent = parent.unwrap_or(Path::new("."));
        parent
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(display_path(parent)))
            .join(name)
    };
    let given: Vec<(&str, &PathBuf)> = reports
        .iter()
        .filter_map(|(what, path)| path.as_ref().map(|p| (*what, p)))
        .collect();
    for (i, (first, a)) in given.iter().enumerate() {
        for (second, b) in &given[i + 1..] {
            if identity(a) == identity(b) {
                return Err(format!(
                    "{first} and {second} both name {}: give each report its own file",
                    display_path(b)
                ));
            }
        }
    }
    Ok(())
}

/// Writes a finished report into the file made before the run; `false` (said on stderr) when
/// it cannot be written.
fn write_report(file: Option<File>, path: &Option<PathBuf>, what: &str, text: &[u8]) -> bool {
    let (Some(mut file), Some(path)) = (file, path) else {
        return true;
    };
    // Whatever a bot or a failure printed, no token or secret reaches a report file.
    let text = callspec::redact::redact_bytes(text);
    match file.write_all(&text).and_then(|()| file.flush()) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "callspec: cannot write the {what} report {}: {e}",
                display_path(path)
            );
            false
        }
    }
}

/// A report file (and its folder), created before the run: one that cannot be is bad input.
fn create_report(path: &Option<PathBuf>, what: &str) -> Result<Option<File>, String> {
    let Some(path) = path else {
        return Ok(None);
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    parent
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| File::create(path))
        .map(Some)
        .map_err(|e| {
            format!(
                "cannot create the {what} report {}: {e}",
                display_path(path)
            )
        })
}
