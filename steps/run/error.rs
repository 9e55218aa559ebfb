//! How a run ends, and the exit code each ending has: the one place exit codes are chosen.

use std::process::ExitCode;

use super::bot::StopSignal;

/// Exit code of bad input: options, feature files, templates folders, reports that cannot be
/// written, a stand-in or bot that cannot start.
const BAD_INPUT: u8 = 2;

/// A run that stopped before its scenarios ran to the end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input or a failed setup, said before any scenario ran (each line is one problem).
    #[error("{0}")]
    Input(String),
    /// Ctrl-C or SIGTERM while the bot under test was starting: the bot was stopped. Exits as
    /// the signal would have (130, 143).
    #[error("{0}; the bot was stopped")]
    Interrupted(StopSignal),
}

impl RunError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Input(_) => ExitCode::from(BAD_INPUT),
            RunError::Interrupted(signal) => ExitCode::from(signal.exit_code()),
        }
    }
}

impl From<String> for RunError {
    fn from(message: String) -> Self {
        RunError::Input(message)
    }
}

/// A run that went to its end, or was stopped by a signal once running: the scenarios' verdicts, and what kept the run from being
/// complete (problems in feature files, a report that could not be written).
#[derive(Debug, Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Scenarios a signal stopped, or `--fail-fast` kept from running.
    pub interrupted: usize,
    pub not_run: usize,
    /// Problems in the feature files (said above the summary): the run is bad input.
    pub feature_problems: usize,
    /// Every report asked for was written.
    pub reports_written: bool,
    /// A signal stopped the run (the reports hold what finished, the rest interrupted): it
    /// exits as the signal would have (130, 143).
    pub signal: Option<StopSignal>,
}

impl Summary {
    pub fn exit_code(&self) -> ExitCode {
        if let Some(signal) = self.signal {
            ExitCode::from(signal.exit_code())
        } else if self.feature_problems > 0 || !self.reports_written {
            ExitCode::from(BAD_INPUT)
        } else if self.failed > 0 || self.skipped > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// The closing line: `N passed, N failed` (`, N skipped`, `, N interrupted`, `, N not run` when
/// some were).
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        if self.interrupted > 0 {
            write!(f, ", {} interrupted", self.interrupted)?;
        }
        if self.not_run > 0 {
            write!(f, ", {} not run", self.not_run)?;
        }
        Ok(())
    }
}

/// Exit code of a command other than `run` that failed on bad input.
pub fn bad_input() -> ExitCode {
    ExitCode::from(BAD_INPUT)
}
