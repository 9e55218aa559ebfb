//! `callspec run --bot bot.toml`: starts the gateway the bot talks to, then the bot, before any
//! scenario runs; stops the bot when the run ends.

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use callspec::bot::{BotConfig, BotGateway, BotProcess, GatewaySettings};
use callspec::AppIdentity;
use rand::Rng as _;

use crate::world::{init_bot, BotRun};

/// Where the gateway keeps its local CA, beside the bot's config: a bot started by hand keeps
/// trusting the same CA from run to run.
const CA_FOLDER: &str = ".callspec";

/// A fresh client secret for a run whose bot callspec starts (never printed).
fn fresh_secret() -> String {
    let bytes: [u8; 24] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The environment handed to the bot, one `NAME=value` per line, the secret left out unless
/// the user wrote it in the config.
fn printable(env: &[(String, String)], secret_in_config: bool) -> String {
    env.iter()
        .map(|(name, value)| {
            if name.contains("SECRET") && !secret_in_config {
                format!("  {name}=(hidden)")
            } else if name.contains("SECRET") {
                format!("  {name}=(the client_secret of your bot config)")
            } else {
                format!("  {name}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts the gateway and the bot (or waits for a bot started by hand) and puts the run in
/// bot-under-test mode. The returned process stops the bot when dropped.
pub async fn start(config_path: &Path) -> Result<BotProcess> {
    let config = BotConfig::load(config_path)?;
    let app = AppIdentity::calling_bot();
    let secret_in_config = config.client_secret.is_some();
    if config.command.is_none() && (config.gateway_port.is_none() || !secret_in_config) {
        bail!(
            "{}: a bot started by hand (no `command`) needs `gateway_port` and `client_secret` \
             in its config, so that the addresses and the secret it was given stay the same \
             from run to run",
            callspec::display_path(config_path)
        );
    }
    // Absolute: the bot runs in its own working folder.
    let folder = match config.path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let ca_dir = std::path::absolute(folder)
        .with_context(|| format!("the folder of {}", config.path.display()))?
        .join(CA_FOLDER);
    let gateway = BotGateway::start(GatewaySettings {
        app,
        client_secret: config.client_secret.clone().unwrap_or_else(fresh_secret),
        port: config.gateway_port.unwrap_or(0),
        ca_dir,
    })
    .context("cannot start the gateway for the bot")?;
    let mut env = gateway.env();
    if let Some(port) = config.port {
        env.push(("CALLSPEC_BOT_PORT".into(), port.to_string()));
    }
    env.push(("CALLSPEC_CALLBACK_URL".into(), config.webhook.clone()));
    if config.command.is_none() {
        let mut shown = env.clone();
        shown.extend(config.env.iter().cloned());
        eprintln!(
            "callspec: waiting for the bot at {} (started by hand); give it this environment:\n{}",
            config.webhook,
            printable(&shown, secret_in_config)
        );
    }
    // `start` adds the config's own `[env]` after these.
    let process = BotProcess::start(&config, env).await?;
    init_bot(BotRun {
        gateway,
        webhook: config.webhook.clone(),
        trigger: config.trigger.clone(),
        time_scale: config.time_scale,
        exited: process.exited(),
    });
    Ok(process)
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from before the bot starts: the default action
/// would end callspec without stopping the bot.
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    pub fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next one, named for the message.
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "interrupted (Ctrl-C)",
            _ = self.terminate.recv() => "terminated (SIGTERM)",
        }
    }
}
