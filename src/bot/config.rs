//! `bot.toml`: how to start the bot under test, where Graph reaches it, and how to tell it is
//! ready.
//!
//! The file is what a user writes, so every mistake gets `file:line:col` and a sentence saying
//! what is wrong (unknown keys also get the known ones and the closest). `${port}` is filled here,
//! once, so every consumer (the gateway's environment, the readiness probe, the steps) sees the
//! same port.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::display_path;

/// The default of `[ready] timeout_seconds`.
const DEFAULT_READY_TIMEOUT: u64 = 30;
/// The longest readiness wait a config may ask for: a bot that needs more than ten minutes to
/// start is stuck, and a run should say so.
const MAX_READY_TIMEOUT: i64 = 600;
/// The one placeholder there is.
const PORT_PLACEHOLDER: &str = "${port}";

/// The bot under test, as `bot.toml` describes it (see [`BotConfig::load`]).
///
/// `Debug` hides `client_secret` and the values of `[env]` variables that look secret.
#[derive(Clone, PartialEq)]
pub struct BotConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The bot's argv (no shell), with `${port}` filled; `None` for a bot started by hand.
    pub command: Option<Vec<String>>,
    /// Where the command runs: absolute, an existing folder (default: the file's folder).
    pub workdir: PathBuf,
    /// The bot's calling webhook, where Graph sends notifications; `${port}` filled.
    pub webhook: String,
    /// The base URL of the bot's own endpoints (for bots that place calls when asked).
    pub trigger: Option<String>,
    /// The `[env]` table, values with `${port}` filled, sorted by name.
    pub env: Vec<(String, String)>,
    /// How to tell the bot is ready; the default is the webhook's port accepting connections.
    pub ready: ReadyProbe,
    /// How long the bot may take to become ready (`[ready] timeout_seconds`, default 30 s).
    pub ready_timeout: Duration,
    /// The gateway's fixed port, for a bot started by hand that was configured with it.
    pub gateway_port: Option<u16>,
    /// The client secret a bot started by hand was given.
    pub client_secret: Option<String>,
    /// Wall seconds per simulated second (default 1.0).
    pub time_scale: f64,
    /// The free loopback port `${port}` stands for, when the file uses it.
    pub port: Option<u16>,
    /// The bot's other services (`[services.NAME]`), each stood in by a mock server whose
    /// base URL the bot gets in the service's environment variable; sorted by name.
    pub services: Vec<ServiceConfig>,
}

/// `[services.crm] env = "CRM_URL"`: a service the bot talks to besides Graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The table's key, lower case: how steps name it (`the CRM answers ...`).
    pub name: String,
    /// The environment variable that gives the bot the stand-in's base URL.
    pub env: String,
}

/// How to tell the bot is ready to take notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyProbe {
    /// A `GET` of this URL answers 2xx.
    Url(String),
    /// This loopback port accepts TCP connections.
    Port(u16),
}

impl fmt::Display for ReadyProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadyProbe::Url(url) => write!(f, "GET {url}"),
            ReadyProbe::Port(port) => write!(f, "a connection to port {port}"),
        }
    }
}

/// What is wrong with a `bot.toml`.
#[derive(Debug, thiserror::Error)]
pub enum BotConfigError {
    /// The file cannot be read.
    #[error("cannot read {}: {message}", display_path(file))]
    Unreadable { file: PathBuf, message: String },
    /// The file's content is wrong; `line` and `column` count from 1.
    #[error("{}:{line}:{column}: {message}", display_path(file))]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Whether an environment variable's value is a secret, by its name: it is then never shown in
/// `Debug` output and is replaced by `[redacted]` in the bot's output tails. Names of where a
/// secret is (`CALLSPEC_TOKEN_URL`, `..._KEY_FILE`) are not secrets themselves.
/// The bounds of `time_scale`: below a hundredth, waits of seconds become milliseconds no real
/// bot keeps up with (and `1e-300` made every wait "within 0.0 s"); above a hundred, a minute's
/// wait takes hours.
pub const MIN_TIME_SCALE: f64 = 0.01;
pub const MAX_TIME_SCALE: f64 = 100.0;

/// The variables callspec gives the bot (the gateway's URLs, the app's ids and secret, the CA
/// file, the bot's port and callback): `[env]` may not override them, or the bot would talk to
/// something else and the scenario fail with "the bot made 0 request(s)".
pub const GATEWAY_VARIABLES: &[&str] = &[
    "AZURE_AUTHORITY_HOST",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

/// Whether callspec sets `name` for the bot (every `CALLSPEC_` name is callspec's).
pub fn is_gateway_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("CALLSPEC_") || GATEWAY_VARIABLES.contains(&upper.as_str())
}

pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    let secret = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "KEY"]
        .iter()
        .any(|word| name.contains(word));
    let a_place = [
        "_URL",
        "_URI",
        "_FILE",
        "_PATH",
        "_HOST",
        "_ENDPOINT",
        "_DIR",
    ]
    .iter()
    .any(|end| name.ends_with(end));
    secret && !a_place
}

impl fmt::Debug for BotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(name, value)| {
                let shown = if is_secret_name(name) {
                    "[redacted]"
                } else {
                    value
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("BotConfig")
            .field("path", &self.path)
            .field("command", &self.command)
            .field("workdir", &self.workdir)
            .field("webhook", &self.webhook)
            .field("trigger", &self.trigger)
            .field("env", &env)
            .field("ready", &self.ready)
            .field("ready_timeout", &self.ready_timeout)
            .field("gateway_port", &self.gateway_port)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("time_scale", &self.time_scale)
            .field("port", &self.port)
            .field("services", &self.services)
            .finish()
    }
}

/// `bot.toml` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    command: Option<Spanned<Vec<Spanned<String>>>>,
    workdir: Option<Spanned<String>>,
    webhook: Spanned<String>,
    trigger: Option<Spanned<String>>,
    gateway_port: Option<Spanned<u16>>,
    client_secret: Option<String>,
    time_scale: Option<Spanned<f64>>,
    #[serde(default)]
    env: BTreeMap<Spanned<String>, Spanned<String>>,
    ready: Option<RawReady>,
    #[serde(default)]
    services: BTreeMap<Spanned<String>, RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    env: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReady {
    url: Option<Spanned<String>>,
    port: Option<Spanned<u16>>,
    timeout_seconds: Option<Spanned<i64>>,
}

impl BotConfig {
    /// Reads and checks `bot.toml`. Relative paths in it are relative to its folder; `${port}`
    /// is replaced by a free loopback port (also in [`BotConfig::port`]).
    pub fn load(path: &Path) -> Result<BotConfig, BotConfigError> {
        let unreadable = |message: String| BotConfigError::Unreadable {
            file: path.to_owned(),
            message,
        };
        // Opening a FIFO would wait for a writer forever: look before opening.
        let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable(crate::paths::not_a_file(&meta)));
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        let config = BotConfig::parse(&text, path)?;
        // Every output of the run redacts them, in every form.
        for (name, value) in &config.env {
            if is_secret_name(name) {
                crate::redact::register_secret(value);
            }
        }
        if let Some(secret) = &config.client_secret {
            crate::redact::register_secret(secret);
        }
        Ok(config)
    }

    /// Checks `text` as if it were the content of the file `path` (which need not exist; its
    /// folder anchors relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<BotConfig, BotConfigError> {
        let doc = Doc { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|e| doc.toml_error(&e))?;
        doc.check(raw)
    }
}

/// The file being checked: turns byte offsets into `line:col` errors.
struct Doc<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Doc<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> BotConfigError {
        let at = at.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary_compat(at)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        BotConfigError::Invalid {
            file: self.path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    fn at<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> BotConfigError {
        self.error(value.span().start, message)
    }

    /// toml's own error, without its excerpt of the file (which could show a secret value);
    /// unknown keys get the closest known one.
    fn toml_error(&self, error: &toml::de::Error) -> BotConfigError {
        let span = error.span().unwrap_or(0..0);
        let mut message = error.message().trim().to_owned();
        if self.line_key_is_secret(&span) {
            message = redact_quoted(&message);
        }
        if let Some(suggestion) = suggest_field(&message) {
            message.push_str(&format!("; did you mean `{suggestion}`?"));
        }
        self.error(span.start, plain_words(message))
    }

    /// Whether the line `span` starts on sets a key whose value is secret (its value must not
    /// appear in a type error's message).
    fn line_key_is_secret(&self, span: &Range<usize>) -> bool {
        let start = self
            .text
            .floor_char_boundary_compat(span.start.min(self.text.len()));
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = self.text[line_start..].lines().next().unwrap_or("");
        let key = line.split('=').next().unwrap_or("");
        line.contains('=') && is_secret_name(key)
    }

    fn check(&self, raw: RawConfig) -> Result<BotConfig, BotConfigError> {
        let folder = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };

        let command = match &raw.command {
            None => None,
            Some(argv) => {
                if argv.get_ref().is_empty() {
                    return Err(self.at(
                        argv,
                        "`command` is empty: give the program and its arguments, e.g. \
                         [\"python\", \"bot.py\"] (or leave `command` out for a bot started by hand)",
                    ));
                }
                if argv.get_ref()[0].get_ref().is_empty() {
                    return Err(self.at(&argv.get_ref()[0], "the program in `command` is empty"));
                }
                Some(argv)
            }
        };

        // One port for every `${port}`, picked only when the file uses it.
        let mut port: Option<u16> = None;
        let mut fill = |value: &Spanned<String>, field: &str| -> Result<String, BotConfigError> {
            self.fill(value, field, command.is_some(), &mut port)
        };

        let command = match command {
            None => None,
            Some(argv) => Some(
                argv.get_ref()
                    .iter()
                    .map(|arg| {
                        if arg.get_ref().contains('\0') {
                            return Err(self.at(arg, "`command` has a NUL character"));
                        }
                        fill(arg, "command")
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };

        let webhook = fill(&raw.webhook, "webhook")?;
        self.check_url(&raw.webhook, &webhook, "webhook")?;
        let trigger = match &raw.trigger {
            None => None,
            Some(t) => {
                let url = fill(t, "trigger")?;
                self.check_url(t, &url, "trigger")?;
                Some(url)
            }
        };

        let mut env = Vec::with_capacity(raw.env.len());
        for (name, value) in &raw.env {
            let n = name.get_ref();
            if n.is_empty() || n.contains('=') || n.contains('\0') {
                return Err(self.at(
                    name,
                    format!("`{n}` cannot be an environment variable's name (no `=`, not empty)"),
                ));
            }
            if value.get_ref().contains('\0') {
                return Err(self.at(value, format!("the value of `{n}` has a NUL character")));
            }
            if is_gateway_variable(n) {
                return Err(self.at(
                    name,
                    format!(
                        "`{n}` is set by callspec (it points the bot at the gateway, the stand-in \
                         and their secret): `[env]` cannot override it; leave it out"
                    ),
                ));
            }
            env.push((n.clone(), fill(value, &format!("env.{n}"))?));
        }

        let services = self.services(&raw, &env)?;

        let (ready, ready_timeout) = match &raw.ready {
            None => (None, None),
            Some(r) => {
                let probe = match (&r.url, &r.port) {
                    (Some(url), Some(_)) => {
                        return Err(
                            self.at(url, "[ready] has both `url` and `port`: give one of them")
                        )
                    }
                    (Some(url), None) => {
                        let filled = fill(url, "ready.url")?;
                        self.check_url(url, &filled, "ready.url")?;
                        Some(ReadyProbe::Url(filled))
                    }
                    (None, Some(p)) => {
                        if *p.get_ref() == 0 {
                            return Err(self.at(p, "`port` must be 1..=65535"));
                        }
                        Some(ReadyProbe::Port(*p.get_ref()))
                    }
                    (None, None) => None,
                };
                (probe, r.timeout_seconds.as_ref())
            }
        };
        let ready = match ready {
            Some(probe) => probe,
            None => match url::Url::parse(&webhook)
                .ok()
                .and_then(|u| u.port_or_known_default())
            {
                Some(port) => ReadyProbe::Port(port),
                None => {
                    return Err(self.at(
                        &raw.webhook,
                        "cannot tell the webhook's port for the default readiness check; \
                         add [ready] with `url` or `port`",
                    ))
                }
            },
        };
        let ready_timeout = match ready_timeout {
            None => Duration::from_secs(DEFAULT_READY_TIMEOUT),
            Some(t) => {
                let secs = *t.get_ref();
                if !(1..=MAX_READY_TIMEOUT).contains(&secs) {
                    return Err(self.at(
                        t,
                        format!(
                            "`timeout_seconds` is {secs}: it must be 1..={MAX_READY_TIMEOUT} \
                             (default {DEFAULT_READY_TIMEOUT})"
                        ),
                    ));
                }
                Duration::from_secs(secs as u64)
            }
        };

        let time_scale = match &raw.time_scale {
            None => 1.0,
            Some(s) => {
                let v = *s.get_ref();
                if !(MIN_TIME_SCALE..=MAX_TIME_SCALE).contains(&v) {
                    return Err(self.at(
                        s,
                        format!(
                            "`time_scale` is {v}: it must be between {MIN_TIME_SCALE} and \
                             {MAX_TIME_SCALE} (wall seconds per simulated second; default 1.0)"
                        ),
                    ));
                }
                v
            }
        };

        let gateway_port = match &raw.gateway_port {
            None => None,
            Some(p) if *p.get_ref() == 0 => {
                return Err(self.at(
                    p,
                    "`gateway_port` must be 1..=65535 (leave it out for a free port)",
                ))
            }
            Some(p) => Some(*p.get_ref()),
        };

        let workdir = match &raw.workdir {
            None => folder.clone(),
            Some(w) => {
                if w.get_ref().contains("${") {
                    return Err(self.at(w, "placeholders are not allowed in `workdir`"));
                }
                folder.join(w.get_ref())
            }
        };
        let workdir = match std::fs::metadata(&workdir) {
            Ok(m) if m.is_dir() => std::path::absolute(&workdir).unwrap_or(workdir),
            Ok(_) => {
                return Err(self.workdir_error(
                    &raw,
                    format!("the workdir {} is not a folder", display_path(&workdir)),
                ))
            }
            Err(e) => {
                return Err(self.workdir_error(
                    &raw,
                    format!(
                        "the workdir {} cannot be used: {}",
                        display_path(&workdir),
                        os_message(&e)
                    ),
                ))
            }
        };

        Ok(BotConfig {
            path: self.path.to_owned(),
            command,
            workdir,
            webhook,
            trigger,
            env,
            ready,
            ready_timeout,
            gateway_port,
            client_secret: raw.client_secret,
            time_scale,
            port,
            services,
        })
    }

    /// `[services.NAME]`: names a step can say, variables the bot can be given.
    fn services(
        &self,
        raw: &RawConfig,
        env: &[(String, String)],
    ) -> Result<Vec<ServiceConfig>, BotConfigError> {
        let mut services: Vec<ServiceConfig> = Vec::new();
        for (name, service) in &raw.services {
            let n = name.get_ref();
            let word = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !word {
                return Err(self.at(
                    name,
                    format!(
                        "`{n}` cannot name a service: steps say it as one word (`the CRM answers                          ...`), so use letters, digits, `-` and `_`, starting with a letter"
                    ),
                ));
            }
            let lower = n.to_ascii_lowercase();
            if services.iter().any(|s| s.name == lower) {
                return Err(self.at(
                    name,
                    format!("the service `{n}` is named twice (names are case-insensitive)"),
                ));
            }
            let var = service.env.get_ref();
            let valid = !var.is_empty()
                && !var.starts_with(|c: char| c.is_ascii_digit())
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(self.at(
                    &service.env,
                    format!(
                        "`{var}` cannot be an environment variable's name: use letters, digits                          and `_`, e.g. \"{}_URL\"",
                        lower.to_ascii_uppercase().replace('-', "_")
                    ),
                ));
            }
            if is_gateway_variable(var) {
                return Err(self.at(
                    &service.env,
                    format!("`{var}` is set by callspec for the gateway: name another variable"),
                ));
            }
            if env.iter().any(|(e, _)| e == var) {
                return Err(self.at(
                    &service.env,
                    format!(
                        "`{var}` is also set in [env]: the service's URL goes there, leave it \
                         out of [env]"
                    ),
                ));
            }
            if let Some(other) = services.iter().find(|s| &s.env == var) {
                return Err(self.at(
                    &service.env,
                    format!(
                        "`{var}` is already the variable of the service `{}`",
                        other.name
                    ),
                ));
            }
            services.push(ServiceConfig {
                name: lower,
                env: var.clone(),
            });
        }
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(services)
    }

    fn workdir_error(&self, raw: &RawConfig, message: String) -> BotConfigError {
        match &raw.workdir {
            Some(w) => self.at(w, message),
            None => self.error(0, message),
        }
    }

    /// `value` with `${port}` filled; any other `${...}` is an error.
    fn fill(
        &self,
        value: &Spanned<String>,
        field: &str,
        has_command: bool,
        port: &mut Option<u16>,
    ) -> Result<String, BotConfigError> {
        let text = value.get_ref();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            let Some(end) = after.find('}') else {
                return Err(self.at_text(
                    value,
                    after,
                    format!("`${{` without a closing `}}` in `{field}`"),
                ));
            };
            let placeholder = &after[..=end];
            if placeholder != PORT_PLACEHOLDER {
                return Err(self.at_text(
                    value,
                    placeholder,
                    format!(
                        "unknown placeholder `{placeholder}` in `{field}`: the only one is \
                         `{PORT_PLACEHOLDER}` (write `$${{` ... as the text itself is not supported)"
                    ),
                ));
            }
            if !has_command {
                return Err(self.at_text(
                    value,
                    placeholder,
                    format!(
                        "`{PORT_PLACEHOLDER}` in `{field}` needs `command`: callspec picks the port \
                         for a bot it starts; for a bot started by hand, write its port"
                    ),
                ));
            }
            let port = match port {
                Some(p) => *p,
                None => {
                    let p = free_port().map_err(|e| {
                        self.at(
                            value,
                            format!("cannot find a free port for `${{port}}`: {e}"),
                        )
                    })?;
                    *port = Some(p);
                    p
                }
            };
            out.push_str(&port.to_string());
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// An error at `needle` inside the string `value` as the file spells it (falls back to the
    /// string's start when escapes make the text differ).
    fn at_text(&self, value: &Spanned<String>, needle: &str, message: String) -> BotConfigError {
        let span = value.span();
        let offset = self
            .text
            .get(span.clone())
            .and_then(|raw| raw.find(needle))
            .map_or(span.start, |i| span.start + i);
        self.error(offset, message)
    }

    /// `url` (the filled `value`) must be an http(s) URL with a host.
    fn check_url(
        &self,
        value: &Spanned<String>,
        url: &str,
        field: &str,
    ) -> Result<(), BotConfigError> {
        let problem = match url::Url::parse(url) {
            Err(e) => Some(format!("`{field}` is not a URL ({e})")),
            Ok(u) if !matches!(u.scheme(), "http" | "https") => Some(format!(
                "`{field}` must be an http:// or https:// URL, not {}:",
                u.scheme()
            )),
            Ok(u) if u.host_str().is_none_or(str::is_empty) => {
                Some(format!("`{field}` has no host"))
            }
            Ok(_) => None,
        };
        match problem {
            Some(message) => Err(self.at(value, format!("{message}: \"{}\"", shown_url(url)))),
            None => Ok(()),
        }
    }
}

/// A URL as messages show it: a password in it is replaced.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("[redacted]"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An OS error without Rust's "(os error 2)" suffix.
fn os_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Hides quoted parts of a message (a type error quotes the value it got).
fn redact_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut inside: Option<char> = None;
    for c in message.chars() {
        match inside {
            Some(q) if c == q => {
                out.push_str("[redacted]");
                out.push(c);
                inside = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    inside = Some(c);
                }
            }
        }
    }
    if inside.is_some() {
        out.push_str("[redacted]");
    }
    out
}

/// serde's type names in words a user knows, and what a missing `webhook` is.
fn plain_words(message: String) -> String {
    if message == "missing field `webhook`" {
        return format!(
            "{message}: the URL where Graph sends the bot's notifications, e.g. \
             \"http://127.0.0.1:${{port}}/api/calls\""
        );
    }
    let words = [
        ("expected u16", "expected a port number (1..=65535)"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        (
            "expected a sequence",
            "expected an array of strings, e.g. [\"python\", \"bot.py\"] (no shell: one \
             string per argument)",
        ),
    ];
    for (serde, plain) in words {
        if let Some(start) = message.strip_suffix(serde) {
            return format!("{start}{plain}");
        }
    }
    if message.starts_with("invalid type: ") && message.ends_with("expected a string") {
        return format!("{message} (put it in quotes)");
    }
    message
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the closest known name.
fn suggest_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let unknown_lower = unknown.to_lowercase();
    known
        .iter()
        .map(|k| {
            (
                strsim::normalized_damerau_levenshtein(&unknown_lower, k),
                *k,
            )
        })
        .chain(
            // A prefix or a part of it (`env` for `environment`, `timeout_seconds` for
            // `timeout`) counts as close.
            known
                .iter()
                .filter(|k| {
                    k.len() >= 3 && (unknown_lower.starts_with(*k) || k.starts_with(&unknown_lower))
                })
                .map(|k| (0.9, *k)),
        )
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_owned())
}

/// A loopback port that was free a moment ago: bind port 0, read the port, close. Another
/// process could take it before the bot binds it; on a test machine that is rare, and the bot
/// then fails to start with a clear error.
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// `str::floor_char_boundary` is not stable yet.
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, index: usize) -> usize {
        let mut i = index.min(self.len());
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("callspec-botcfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn parse(text: &str) -> Result<BotConfig, String> {
        let d = dir();
        let result = BotConfig::parse(text, &d.join("bot.toml")).map_err(|e| match e {
            BotConfigError::Invalid {
                line,
                column,
                message,
                ..
            } => format!("{line}:{column}: {message}"),
            other => other.to_string(),
        });
        std::fs::remove_dir_all(&d).unwrap();
        result
    }

    const GOOD: &str = r#"
command = ["python3", "bot.py", "--port", "${port}"]
webhook = "http://127.0.0.1:${port}/api/calls"
trigger = "http://127.0.0.1:${port}"
time_scale = 0.5

[env]
IVR_TRANSFER_TO_NAME = "Alice"
BOT_PORT = "${port}"
BOT_CLIENT_SECRET = "hunter2-hunter2"

[ready]
url = "http://127.0.0.1:${port}/health"
timeout_seconds = 5
"#;

    #[test]
    fn a_good_file_fills_one_port_everywhere() {
        let c = parse(GOOD).unwrap();
        let port = c.port.expect("the file uses ${port}");
        assert_ne!(port, 0);
        assert_eq!(
            c.command.as_deref().unwrap(),
            ["python3", "bot.py", "--port", &port.to_string()]
        );
        assert_eq!(c.webhook, format!("http://127.0.0.1:{port}/api/calls"));
        assert_eq!(c.trigger, Some(format!("http://127.0.0.1:{port}")));
        assert_eq!(
            c.ready,
            ReadyProbe::Url(format!("http://127.0.0.1:{port}/health"))
        );
        assert_eq!(c.ready_timeout, Duration::from_secs(5));
        assert_eq!(c.time_scale, 0.5);
        assert!(c.env.contains(&("BOT_PORT".into(), port.to_string())));
        assert!(c.workdir.is_absolute());
    }

    #[test]
    fn defaults_without_ready_or_command() {
        let c = parse("webhook = \"https://bot.example:8443/calls\"").unwrap();
        assert_eq!(c.command, None);
        assert_eq!(c.port, None);
        assert_eq!(c.ready, ReadyProbe::Port(8443));
        assert_eq!(c.ready_timeout, Duration::from_secs(30));
        assert_eq!(c.time_scale, 1.0);
        let c = parse("webhook = \"http://127.0.0.1/calls\"\n[ready]\nport = 9000").unwrap();
        assert_eq!(c.ready, ReadyProbe::Port(9000));
        let c = parse("webhook = \"http://127.0.0.1/calls\"").unwrap();
        assert_eq!(c.ready, ReadyProbe::Port(80));
    }

    #[test]
    fn secret_names() {
        for name in [
            "CALLSPEC_CLIENT_SECRET",
            "api_token",
            "DB_PASSWORD",
            "PRIVATE_KEY",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "CALLSPEC_TOKEN_URL",
            "SSL_KEY_FILE",
            "IVR_TRANSFER_TO_NAME",
            "PATH",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{GOOD}\n");
        let text = text.replace(
            "time_scale = 0.5",
            "time_scale = 0.5\nclient_secret = \"s3cr3t-value\"",
        );
        let shown = format!("{:?}", parse(&text).unwrap());
        assert!(!shown.contains("hunter2-hunter2"), "{shown}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("Alice"), "{shown}");
    }

    #[test]
    fn unknown_key_lists_known_ones_and_suggests() {
        let e = parse("comand = [\"x\"]\nwebhook = \"http://h/\"").unwrap_err();
        assert!(e.starts_with("1:1: unknown field `comand`"), "{e}");
        assert!(e.contains("`command`, `workdir`, `webhook`"), "{e}");
        assert!(e.ends_with("did you mean `command`?"), "{e}");

        let e = parse("webhook = \"http://h/\"\n[ready]\ntimeout = 3").unwrap_err();
        assert!(e.starts_with("3:1: unknown field `timeout`"), "{e}");
        assert!(e.ends_with("did you mean `timeout_seconds`?"), "{e}");

        let e = parse("webhook = \"http://h/\"\n[environment]\nA = \"b\"").unwrap_err();
        assert!(e.contains("did you mean `env`?"), "{e}");
    }

    #[test]
    fn bad_urls() {
        let e = parse("command = [\"x\"]\nwebhook = \"127.0.0.1:8000/calls\"").unwrap_err();
        assert!(e.starts_with("2:11: `webhook` "), "{e}");
        let e = parse("webhook = \"ftp://h/calls\"").unwrap_err();
        assert_eq!(
            e,
            "1:11: `webhook` must be an http:// or https:// URL, not ftp:: \"ftp://h/calls\""
        );
        let e = parse("webhook = \"http://h/\"\ntrigger = \"nope\"").unwrap_err();
        assert!(e.starts_with("2:11: `trigger` is not a URL"), "{e}");
        let e = parse("webhook = \"http://u:pw-secret@h/\"\n[ready]\nurl = \"x\"").unwrap_err();
        assert!(e.starts_with("3:7: `ready.url` is not a URL"), "{e}");
        let e = parse("webhook = \"mailto:u:pw-secret@h\"").unwrap_err();
        assert!(e.contains("not mailto"), "{e}");
    }

    #[test]
    fn port_placeholder_needs_command() {
        let e = parse("webhook = \"http://127.0.0.1:${port}/calls\"").unwrap_err();
        assert!(
            e.starts_with("1:29: `${port}` in `webhook` needs `command`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_placeholder() {
        let e = parse("command = [\"x\"]\nwebhook = \"http://h/\"\n[env]\nA = \"${host}:1\"")
            .unwrap_err();
        assert!(
            e.starts_with("4:6: unknown placeholder `${host}` in `env.A`"),
            "{e}"
        );
        let e = parse("command = [\"x\"]\nwebhook = \"http://h:${port/\"").unwrap_err();
        assert!(e.starts_with("2:21: `${` without a closing `}`"), "{e}");
    }

    #[test]
    fn missing_workdir() {
        let e = parse("workdir = \"no-such-folder\"\nwebhook = \"http://h/\"").unwrap_err();
        assert!(e.starts_with("1:11: the workdir "), "{e}");
        assert!(
            e.ends_with("no-such-folder cannot be used: No such file or directory"),
            "{e}"
        );
    }

    #[test]
    fn numbers_out_of_range() {
        let e = parse("webhook = \"http://h/\"\ntime_scale = 0").unwrap_err();
        assert!(e.starts_with("2:14: `time_scale` is 0: it must be"), "{e}");
        let e = parse("webhook = \"http://h/\"\ntime_scale = nan").unwrap_err();
        assert!(e.starts_with("2:14: `time_scale` is NaN"), "{e}");
        let e = parse("webhook = \"http://h/\"\ntime_scale = inf").unwrap_err();
        assert!(e.starts_with("2:14: `time_scale` is inf"), "{e}");
        let e = parse("webhook = \"http://h/\"\n[ready]\ntimeout_seconds = 0").unwrap_err();
        assert!(
            e.starts_with("3:19: `timeout_seconds` is 0: it must be 1..=600"),
            "{e}"
        );
        let e = parse("webhook = \"http://h/\"\n[ready]\ntimeout_seconds = 601").unwrap_err();
        assert!(e.contains("is 601"), "{e}");
        let e = parse("webhook = \"http://h/\"\n[ready]\nport = 70000").unwrap_err();
        assert!(e.starts_with("3:8: "), "{e}");
    }

    #[test]
    fn other_mistakes() {
        let e = parse("command = []\nwebhook = \"http://h/\"").unwrap_err();
        assert!(e.starts_with("1:11: `command` is empty"), "{e}");
        let e = parse("trigger = \"http://h/\"").unwrap_err();
        assert!(e.contains("missing field `webhook`"), "{e}");
        let e = parse("webhook = \"http://h/\"\n[env]\nN = 3").unwrap_err();
        assert!(e.starts_with("3:5: invalid type: integer"), "{e}");
        let e =
            parse("webhook = \"http://h/\"\n[ready]\nurl = \"http://h/\"\nport = 1").unwrap_err();
        assert!(
            e.starts_with("3:7: [ready] has both `url` and `port`"),
            "{e}"
        );
        let e = parse("webhook = \"http://h/\"\nwebhook = \"http://h/\"").unwrap_err();
        assert!(e.starts_with("2:1: "), "{e}");
    }

    #[test]
    fn a_mistyped_secret_is_not_shown() {
        let e = parse("webhook = \"http://h/\"\n[env]\nAPI_TOKEN = 12345678").unwrap_err();
        assert!(!e.contains("12345678"), "{e}");
        let e = parse("webhook = \"http://h/\"\nclient_secret = 98765432").unwrap_err();
        assert!(!e.contains("98765432"), "{e}");
    }

    #[test]
    fn load_names_the_file() {
        let e = BotConfig::load(Path::new("/no/such/bot.toml")).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot read /no/such/bot.toml: "),
            "{e}"
        );
        let d = dir();
        let file = d.join("bot.toml");
        std::fs::write(&file, "webhook = 3\n").unwrap();
        let e = BotConfig::load(&file).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "bot.toml:1:11: invalid type: integer `3`, expected a string (put it in quotes)"
            ),
            "{e}"
        );
        std::fs::create_dir(d.join("bot")).unwrap();
        std::fs::write(&file, "workdir = \"bot\"\nwebhook = \"http://h/\"\n").unwrap();
        let c = BotConfig::load(&file).unwrap();
        assert_eq!(c.workdir, d.join("bot"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn time_scale_is_bounded() {
        for bad in ["1e-300", "0.001", "1000.0", "0.0", "-1.0"] {
            let e = parse(&format!("webhook = \"http://h/\"\ntime_scale = {bad}")).unwrap_err();
            assert!(e.starts_with("2:14: `time_scale` is"), "{e}");
            assert!(e.contains("between 0.01 and 100"), "{e}");
        }
        assert!(parse("webhook = \"http://h/\"\ntime_scale = 0.01").is_ok());
    }

    #[test]
    fn env_cannot_override_callspecs_variables() {
        for name in [
            "CALLSPEC_GRAPH_URL",
            "CALLSPEC_CLIENT_SECRET",
            "callspec_x",
            "AZURE_CLIENT_ID",
        ] {
            let e = parse(&format!("webhook = \"http://h/\"\n[env]\n{name} = \"x\"")).unwrap_err();
            assert!(e.starts_with("3:1: "), "{e}");
            assert!(e.contains("cannot override it"), "{e}");
        }
        assert!(parse("webhook = \"http://h/\"\n[env]\nMY_GRAPH_URL = \"x\"").is_ok());
    }

    #[test]
    fn services_become_names_and_variables() {
        let c = parse(
            "webhook = \"http://h/\"\n[services.CRM]\nenv = \"CRM_URL\"\n[services.calendar]\nenv = \"CAL\"",
        )
        .unwrap();
        let names: Vec<(&str, &str)> = c
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.env.as_str()))
            .collect();
        assert_eq!(names, [("calendar", "CAL"), ("crm", "CRM_URL")]);
    }

    #[test]
    fn service_mistakes_point_at_the_line() {
        let e = parse("webhook = \"http://h/\"\n[services.crm]\nenv = \"CRM URL\"").unwrap_err();
        assert!(
            e.starts_with("3:7: `CRM URL` cannot be an environment"),
            "{e}"
        );
        let e = parse("webhook = \"http://h/\"\n[services.crm]\nurl = \"CRM_URL\"").unwrap_err();
        assert!(
            e.starts_with("3:1: unknown field `url`, expected `env`"),
            "{e}"
        );
        let e =
            parse("webhook = \"http://h/\"\n[services.crm]\nenv = \"CALLSPEC_CRM\"").unwrap_err();
        assert!(
            e.starts_with("3:7: `CALLSPEC_CRM` is set by callspec"),
            "{e}"
        );
        let e = parse(
            "webhook = \"http://h/\"\n[env]\nCRM_URL = \"x\"\n[services.crm]\nenv = \"CRM_URL\"",
        )
        .unwrap_err();
        assert!(e.starts_with("5:7: `CRM_URL` is also set in [env]"), "{e}");
        let e = parse("webhook = \"http://h/\"\n[services.\"the crm\"]\nenv = \"CRM_URL\"")
            .unwrap_err();
        assert!(
            e.starts_with("2:11: `the crm` cannot name a service"),
            "{e}"
        );
        let e =
            parse("webhook = \"http://h/\"\n[services.a]\nenv = \"X\"\n[services.b]\nenv = \"X\"")
                .unwrap_err();
        assert!(
            e.starts_with("5:7: `X` is already the variable of the service `a`"),
            "{e}"
        );
        let e = parse("webhook = \"http://h/\"\n[services.crm]").unwrap_err();
        assert!(e.contains("missing field `env`"), "{e}");
    }
}
