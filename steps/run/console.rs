//! The console: renders each finished [`ScenarioRecord`] in the format asked for.
//!
//! - `pretty`: each scenario with its steps; a failed step with its `file:line:col`, its table
//!   or docstring, and the failure message, no panic or step-definition noise. `-v` adds the
//!   scenario's requests, responses and notifications as indented JSON; `-vv` timings too.
//! - `compact` (the default above [`COMPACT_ABOVE`] scenarios): one line per scenario, a
//!   failed one in full as `pretty` shows it.
//! - `progress`: one character per scenario, the failures in full at the end.
//! - `summary`: the failures in full at the end, and the totals.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use callspec::html::format_at;

use super::cli::Format;
use super::record::{table_text, ScenarioRecord, Status, StepStatus};

/// Above this many scenarios, a run without `--format` prints one line per scenario
/// (`--format pretty` restores the full output).
pub const COMPACT_ABOVE: usize = 100;

pub struct Console {
    verbose: u8,
    color: bool,
    format: Format,
    feature_shown: Option<PathBuf>,
    /// Characters printed on the current `progress` line.
    column: usize,
}

impl Console {
    /// `format`: resolved (`Format::Auto` already replaced).
    pub fn new(verbose: u8, format: Format) -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Console {
            verbose,
            color,
            format,
            feature_shown: None,
            column: 0,
        }
    }

    /// Whether the failures are shown at the end (their records must be kept for it).
    pub fn failures_at_end(&self) -> bool {
        matches!(self.format, Format::Progress | Format::Summary)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Shows a scenario that just finished.
    pub fn show(&mut self, record: &ScenarioRecord) {
        let out = match self.format {
            Format::Pretty | Format::Auto => {
                let header = self.feature_shown.as_ref() != Some(&record.key.0);
                self.feature_shown = Some(record.key.0.clone());
                self.pretty(record, Some(header))
            }
            Format::Compact => {
                let mut out = self.line(record);
                if record.status == Status::Failed {
                    // Its steps under its line.
                    out.push_str(&self.pretty(record, None));
                }
                out
            }
            Format::Progress => {
                let mark = match record.status {
                    Status::Passed => self.paint("32", "."),
                    Status::Failed => self.paint("31", "F"),
                    _ => self.paint("33", "S"),
                };
                self.column += 1;
                if self.column == 80 {
                    self.column = 0;
                    format!("{mark}\n")
                } else {
                    mark
                }
            }
            Format::Summary => String::new(),
        };
        print_out(&out);
    }

    /// After the run: the failures in full, for the formats that keep them to the end.
    pub fn end(&mut self, records: &[ScenarioRecord]) {
        let mut out = String::new();
        if self.format == Format::Progress && self.column > 0 {
            out.push('\n');
            self.column = 0;
        }
        if self.failures_at_end() {
            let failed: Vec<&ScenarioRecord> = records
                .iter()
                .filter(|r| r.status == Status::Failed)
                .collect();
            if !failed.is_empty() {
                if self.format == Format::Progress {
                    out.push('\n');
                }
                out.push_str(&format!("Failures ({}):\n\n", failed.len()));
            }
            for record in failed {
                out.push_str(&self.pretty(record, Some(true)));
            }
        }
        print_out(&out);
    }

    /// `✔ features/x.feature:12  Scenario: its name`.
    fn line(&self, record: &ScenarioRecord) -> String {
        let mark = match record.status {
            Status::Passed => self.paint("32", "✔"),
            Status::Failed => self.paint("31", "✘"),
            _ => self.paint("33", "?"),
        };
        format!(
            "{mark} {}:{}  {}: {}\n",
            record.feature_path, record.line, record.keyword, record.name
        )
    }

    /// The scenario with its steps, and its feature's line first when `header` is
    /// `Some(true)`; `None`: the steps alone.
    fn pretty(&self, record: &ScenarioRecord, header: Option<bool>) -> String {
        let mut out = String::new();
        if header == Some(true) {
            out.push_str(&format!(
                "{}: {}  ({})\n",
                record.feature_keyword, record.feature_name, record.feature_path
            ));
        }
        if header.is_some() {
            out.push_str(&format!("  {}: {}\n", record.keyword, record.name));
        }
        let (passed, failed, skipped) = (
            self.paint("32", "✔"),
            self.paint("31", "✘"),
            self.paint("33", "?"),
        );
        let hooks_after = |ended: usize, out: &mut String| {
            for hook in record
                .hook_failures
                .iter()
                .filter(|h| h.after_steps == ended)
            {
                let text = format!("the scenario's {} hook failed: {}", hook.when, hook.message);
                out.push_str(&self.paint("31", &indent(&text, 6)));
                out.push('\n');
            }
        };
        let mut ended = 0;
        hooks_after(ended, &mut out);
        for step in &record.steps {
            let text = step.shown();
            let took = match step.duration {
                Some(d) if self.verbose > 1 => format!("  ({} ms)", d.as_millis()),
                _ => String::new(),
            };
            match step.status {
                StepStatus::NotRun => continue,
                StepStatus::Passed => {
                    out.push_str(&format!("   {passed}  {text}{took}\n"));
                    if let Some(note) = &step.note {
                        out.push_str(&indent(note, 6));
                        out.push('\n');
                    }
                }
                StepStatus::Skipped => out.push_str(&format!("   {skipped}  {text}\n")),
                StepStatus::Failed => {
                    out.push_str(&format!("   {failed}  {text}{took}\n"));
                    if let Some(table) = &step.table {
                        out.push_str(&indent(&table_text(table), 7));
                        out.push('\n');
                    }
                    if let Some(doc) = &step.docstring {
                        out.push_str(&indent(
                            &format!("\"\"\"\n{}\n\"\"\"", doc.trim_matches('\n')),
                            7,
                        ));
                        out.push('\n');
                    }
                    out.push_str(&format!("      at {}\n", record.at(step)));
                    out.push_str(&indent(step.failure.as_deref().unwrap_or_default(), 6));
                    out.push('\n');
                }
            }
            ended += 1;
            hooks_after(ended, &mut out);
        }
        if record.status == Status::Failed && self.verbose > 0 {
            out.push_str(&exchanges_text(record, self.verbose > 1));
        }
        if self.verbose > 1 {
            if let Some(d) = record.duration {
                out.push_str(&format!("    ({} ms of wall time)\n", d.as_millis()));
            }
        }
        out
    }
}

/// Writes to stdout, redacted (whatever a bot or a failure printed, no token or secret shows).
fn print_out(out: &str) {
    if out.is_empty() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(callspec::redact::redact(out).as_bytes());
    let _ = stdout.flush();
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// JSON text pretty-printed (other text as it is), indented.
fn body_text(text: &str, by: usize) -> String {
    let pretty = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned());
    indent(&pretty, by)
}

/// `-v`: the scenario's requests and answers, then its notifications.
fn exchanges_text(collected: &ScenarioRecord, timings: bool) -> String {
    let mut out = String::new();
    if !collected.exchanges.is_empty() {
        out.push_str("    requests:\n");
    }
    for (i, exchange) in collected.exchanges.iter().enumerate() {
        out.push_str(&format!(
            "      {}. {} {}\n",
            i + 1,
            exchange.method,
            callspec::html::path_of(&exchange.url)
        ));
        if let Some(body) = &exchange.request_body {
            out.push_str(&body_text(body, 9));
            out.push('\n');
        }
        out.push_str(&format!("         → {}\n", exchange.status));
        if !exchange.response_body.trim().is_empty() {
            out.push_str(&body_text(&exchange.response_body, 9));
            out.push('\n');
        }
    }
    if !collected.notifications.is_empty() {
        out.push_str("    notifications:\n");
    }
    for (i, notification) in collected.notifications.iter().enumerate() {
        let at = match notification.at {
            Some(at) if timings => format!(" at {} (simulated)", format_at(at)),
            _ => String::new(),
        };
        let failed = notification
            .failure
            .as_deref()
            .map(|f| format!(" (delivery failed: {f})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "      {}. {}{at}{failed}\n",
            i + 1,
            notification.label
        ));
        out.push_str(&body_text(&notification.body, 9));
        out.push('\n');
    }
    out
}
