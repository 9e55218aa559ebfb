//! In-process tests of the engine library: the stand-in served and played, the bot's process
//! and gateway, live tokens, property tests and the matcher's differential test.
//!
//! One test binary, modules per concern (see `tests/cli/main.rs` for why). Each test builds its
//! own stand-in, server or runtime; nothing here changes process-wide state.

#[path = "../common/mod.rs"]
mod common;

mod bot_gateway;
mod bot_process;
mod fidelity;
mod fuzz;
mod live_tokens;
mod matcher_differential;
mod serve;
mod serve_hardening;
mod surface;
