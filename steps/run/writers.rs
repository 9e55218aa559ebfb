//! The run's writers: the console, and the reports asked for.
//!
//! One writer that hands each event to the console and to each report that was asked for.
//! cucumber's `Tee` would clone every event for every writer, an unused report included, and
//! poll the writers as joined futures: ~20 M instructions over 1,000 scenarios (callgrind), for
//! nothing when no report is written.

use cucumber::event::Cucumber;
use cucumber::{cli, parser, writer, Event, Writer};

use super::console::Console;
use super::html::HtmlWriter;
use super::reports::SharedBuf;
use crate::world::CallWorld;

pub struct Writers {
    console: Console,
    json: Option<writer::Json<SharedBuf>>,
    html: Option<HtmlWriter>,
}

impl Writers {
    pub fn new(
        console: Console,
        json: Option<writer::Json<SharedBuf>>,
        html: Option<HtmlWriter>,
    ) -> Self {
        Writers {
            console,
            json,
            html,
        }
    }
}

impl Writer<CallWorld> for Writers {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<CallWorld>>>,
        cli: &cli::Empty,
    ) {
        if let Some(json) = &mut self.json {
            json.handle_event(event.clone(), cli).await;
        }
        if let Some(html) = &mut self.html {
            html.handle_event(event.clone(), cli).await;
        }
        self.console.handle_event(event, cli).await;
    }
}

// Every writer in it reads events as they come.
impl writer::NonTransforming for Writers {}
