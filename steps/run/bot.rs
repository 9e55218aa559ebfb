//! `callspec run --bot bot.toml`: starts the gateway the bot talks to, then the bot, before any
//! scenario runs; stops the bot when the run ends.

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use callspec::bot::{BotConfig, BotGateway, BotProcess, GatewaySettings, Services};
use callspec::AppIdentity;
use rand::Rng as _;

use crate::world::BotRun;

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
            let client_secret = matches!(
                name.as_str(),
                "CALLSPEC_CLIENT_SECRET" | "AZURE_CLIENT_SECRET"
            );
            if client_secret && secret_in_config {
                format!("  {name}=(the client_secret of your bot config)")
            } else if client_secret {
                format!("  {name}=(hidden)")
            } else if callspec::bot::is_secret_name(name) {
                // The bot's own secrets (`[env]`): it has them; the terminal need not.
                format!("  {name}=<set>")
            } else {
                format!("  {name}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts the gateway and the bot (or waits for a bot started by hand): what the run's
/// scenarios share about the bot. The returned process stops the bot when dropped.
pub async fn start(config_path: &Path) -> Result<(BotProcess, BotRun)> {
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
    for warning in gateway.warnings() {
        eprintln!("callspec: warning: {warning}");
    }
    let mut env = gateway.env();
    if let Some(port) = config.port {
        env.push(("CALLSPEC_BOT_PORT".into(), port.to_string()));
    }
    env.push(("CALLSPEC_CALLBACK_URL".into(), config.webhook.clone()));
    // The bot's other services (`[services.NAME]`): a mock server each, its URL in the
    // variable the config names.
    let services = Services::start(&config.services).await;
    env.extend(services.env());
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
    process.on_left_behind(|names| {
        eprintln!(
            "callspec: the bot left {} process(es) running when it was stopped; killed: {}",
            names.len(),
            names.join(", ")
        );
    });
    let run = BotRun {
        gateway,
        webhook: config.webhook.clone(),
        trigger: config.trigger.clone(),
        time_scale: config.time_scale,
        exited: process.exited(),
        services,
    };
    Ok((process, run))
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from before any scenario (or the bot) starts: the
/// default action would end callspec without stopping the bot or writing the reports.
#[cfg(unix)]
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    pub fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next one.
    pub async fn next(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.interrupt.recv() => StopSignal::Interrupt,
            _ = self.terminate.recv() => StopSignal::Terminate,
        }
    }
}

/// Windows: Ctrl-C only (it has no SIGTERM; a console closing or `taskkill /F` ends callspec
/// without a word). Reported as SIGINT, exit code 130, as on Unix.
#[cfg(windows)]
pub struct StopSignals {
    interrupt: tokio::signal::windows::CtrlC,
}

#[cfg(windows)]
impl StopSignals {
    pub fn listen() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            interrupt: tokio::signal::windows::ctrl_c()?,
        })
    }

    /// The next one.
    pub async fn next(&mut self) -> StopSignal {
        self.interrupt.recv().await;
        StopSignal::Interrupt
    }
}

/// A signal that stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (a CI runner cancelling the job, `kill`). Never on Windows.
    #[cfg_attr(windows, allow(dead_code))]
    Terminate,
}

impl StopSignal {
    /// `SIGINT`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }

    /// The exit code a shell gives a process the signal ended: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => 128 + 2,
            StopSignal::Terminate => 128 + 15,
        }
    }
}

impl std::fmt::Display for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopSignal::Interrupt => "interrupted (Ctrl-C)",
            StopSignal::Terminate => "terminated (SIGTERM)",
        })
    }
}
