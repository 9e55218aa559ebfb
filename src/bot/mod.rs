//! The bot under test: a team's own bot process, driven through the stand-in.
//!
//! The stand-in plays Graph, the identity platform and the callers; specs check what the bot
//! does. [`BotConfig`] describes the bot (`bot.toml`), [`BotProcess`] runs it, and
//! [`BotGateway`] is the https front it talks to: the token endpoint, the OpenID metadata and
//! the calling API, each request routed to the scenario that owns the call.

mod config;
mod gateway;
mod identity;
mod process;
mod tls;

pub use config::{
    is_gateway_variable, is_secret_name, BotConfig, BotConfigError, ReadyProbe, MAX_TIME_SCALE,
    MIN_TIME_SCALE,
};
pub use gateway::{BotGateway, BotLink, BotRequest, GatewayError, GatewaySettings};
pub use process::{BotError, BotExit, BotKiller, BotProcess, RUN_MARKER};
pub use tls::TlsError;
