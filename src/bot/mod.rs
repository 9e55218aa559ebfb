//! The bot under test: a team's own bot process, driven through the stand-in.
//!
//! The stand-in plays Graph, the identity platform and the callers; specs check what the bot
//! does. [`BotConfig`] describes the bot (`bot.toml`), [`BotProcess`] runs it, and
//! [`BotGateway`] is the https front it talks to: the token endpoint, the OpenID metadata and
//! the calling API, each request routed to the scenario that owns the call. [`Services`] stand
//! in for the bot's other services (`[services.NAME]`), with wiremock.

mod config;
mod gateway;
mod identity;
mod process;
mod services;
mod tls;

pub use config::{
    is_gateway_variable, is_secret_name, BotConfig, BotConfigError, ReadyProbe, ServiceConfig,
    MAX_TIME_SCALE, MIN_TIME_SCALE,
};
pub use gateway::{BotGateway, BotLink, BotRequest, GatewayError, GatewaySettings};
pub use process::{BotError, BotExit, BotKiller, BotProcess, RUN_MARKER};
pub use services::{Reply, Route, ServiceError, ServiceRequest, ServiceTurn, Services};
pub use tls::TlsError;
