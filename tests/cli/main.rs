//! Tests that run the `callspec` binary (the command line, specs, reports, live and bot modes).
//!
//! One test binary for all of them, modules per concern (nextest's
//! `integration-tests/tests/integration/main.rs` is the model): each `tests/*.rs` file used to
//! be a binary of its own, and linking twenty of them was most of a cold `cargo test`. None of
//! these tests changes process-wide state (no `set_var`, no current dir, no rlimit: the
//! descriptor-limited server in `front` is a `prlimit` child), so they share one process safely.
//! `tests/engine/` holds the in-process tests; `tests/common/` the helpers both use.

#[path = "../common/mod.rs"]
mod common;

mod bot;
mod cli;
mod docs;
mod drift;
mod editor;
mod front;
mod hardening;
mod layout;
mod live;
mod live_hardening;
mod must_fail;
mod newcomer;
mod node_bot;
mod report_html;
mod run_control;
mod snapshots;
mod specs;
mod templates;
