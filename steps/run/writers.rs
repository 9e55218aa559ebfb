//! The run's one cucumber writer: it builds each scenario's record from the (normalized)
//! events ([`Recorder`]), shows it on the console when it finishes, and keeps what the reports
//! need. The report files are rendered from the kept records when the run is over, or when it
//! is stopped. One writer, not cucumber's `Tee`: that would clone every event for every
//! writer and poll them as joined futures (~20 M instructions over 1,000 scenarios,
//! callgrind).

use std::sync::Arc;

use cucumber::event::Cucumber;
use cucumber::{cli, parser, writer, Event, Writer};
use tokio::sync::watch;

use super::console::Console;
use super::record::{Recorder, Status};
use crate::world::CallWorld;

pub struct Writers {
    recorder: Recorder,
    console: Arc<std::sync::Mutex<Console>>,
    /// `--fail-fast`: told when a scenario fails.
    failed: Option<watch::Sender<bool>>,
}

impl Writers {
    pub fn new(
        recorder: Recorder,
        console: Arc<std::sync::Mutex<Console>>,
        failed: Option<watch::Sender<bool>>,
    ) -> Self {
        Writers {
            recorder,
            console,
            failed,
        }
    }
}

impl Writer<CallWorld> for Writers {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<CallWorld>>>,
        _: &cli::Empty,
    ) {
        if let Some(record) = self.recorder.event(event) {
            self.console
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .show(&record);
            if record.status == Status::Failed {
                if let Some(failed) = &self.failed {
                    failed.send_replace(true);
                }
            }
            self.recorder.keep(record);
        }
    }
}

// It reads events as they come.
impl writer::NonTransforming for Writers {}
