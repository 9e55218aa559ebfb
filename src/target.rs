//! Where the bot's requests go: the embedded stand-in (mock mode, the default) or live Graph in
//! a staging tenant (contract mode). This module holds the live side: its configuration, the
//! production guard, app-only tokens by the OAuth2 client-credentials flow, and the keys that
//! inbound notification tokens are checked against.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::standin::NotificationClaims;

/// Where the calling platform publishes the keys Graph's calling notifications are signed with
/// (microsoft-graph-comms-samples, `Samples/Common/Sample.Common/Authentication/
/// AuthenticationProvider.cs`).
pub const MICROSOFT_OPENID_URL: &str =
    "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration";
/// The issuers of calling notification tokens, as that sample validates them. The OpenID
/// configuration's own `issuer` is not among the trusted ones: real tokens carry either of
/// these whatever the document says.
pub const CALLING_ISSUERS: [&str; 2] = [
    "https://graph.microsoft.com",
    "https://api.botframework.com",
];
pub const GRAPH_URL: &str = "https://graph.microsoft.com";

/// What can go wrong setting up or using the live target.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{file}:{line}: {message}")]
    EnvFile {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {file}: {message}")]
    EnvFileUnreadable { file: PathBuf, message: String },
    #[error("live mode needs {name} (in the environment or the --env file)")]
    Missing { name: &'static str },
    #[error("{name} is not valid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(
        "refusing to run against tenant {tenant}: the env file does not name it a staging tenant \
         (set CALLSPEC_TENANT_KIND=staging), and --allow-production was not given"
    )]
    NotStaging { tenant: String },
    #[error("the token endpoint {url} refused the client credentials: {message}")]
    Token { url: String, message: String },
    #[error("cannot load the notification signing keys from {url}: {message}")]
    Keys { url: String, message: String },
}

/// A secret read from configuration: never shown, not even in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The live target's settings, from `CALLSPEC_*` variables (the environment wins over the file).
/// Its `Debug` (what `-v` shows of a scenario) hides the secret and any credentials in URLs.
#[derive(Clone)]
pub struct LiveConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `staging` for a tenant the specs may run against.
    pub tenant_kind: Option<String>,
    pub graph_url: String,
    pub token_url: String,
    /// Local port the bot's callback inbox listens on.
    pub callback_port: u16,
    /// The public URL that reaches that port (e.g. a tunnel): the `${callback_uri}` of specs.
    pub callback_url: String,
    pub openid_url: String,
    /// Template variables for the staging tenant (`CALLSPEC_VAR_callee_id=...` is
    /// `${callee_id}`): real users and meetings in place of the docs' sample ids.
    pub vars: HashMap<String, String>,
}

impl std::fmt::Debug for LiveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveConfig")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("tenant_kind", &self.tenant_kind)
            .field("graph_url", &shown_url(&self.graph_url))
            .field("token_url", &shown_url(&self.token_url))
            .field("callback_port", &self.callback_port)
            .field("callback_url", &shown_url(&self.callback_url))
            .field("openid_url", &shown_url(&self.openid_url))
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A URL as messages may show it: without user, password or query, which can hold
/// credentials (`https://id:secret@host/token`, `?client_secret=...`).
pub(crate) fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let hidden = parsed.password().is_some() || !parsed.username().is_empty();
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            let query = parsed.query().is_some();
            parsed.set_query(None);
            parsed.set_fragment(None);
            let mut shown = parsed.to_string();
            if query {
                shown.push_str("?<redacted>");
            }
            if hidden {
                shown = shown.replacen("://", "://<redacted>@", 1);
            }
            shown
        }
        // Not a URL: nothing of it is safe to show.
        Err(_) => "<not a URL>".to_owned(),
    }
}

impl LiveConfig {
    /// Reads the settings from `env_file` (if given) and the process environment.
    pub fn load(env_file: Option<&Path>) -> Result<LiveConfig, TargetError> {
        let mut values = match env_file {
            Some(file) => read_env_file(file)?,
            None => HashMap::new(),
        };
        for (key, value) in std::env::vars() {
            if key.starts_with("CALLSPEC_") {
                values.insert(key, value);
            }
        }
        LiveConfig::from_values(&values)
    }

    pub fn from_values(values: &HashMap<String, String>) -> Result<LiveConfig, TargetError> {
        let get = |name: &'static str| values.get(name).filter(|v| !v.is_empty()).cloned();
        let need = |name: &'static str| get(name).ok_or(TargetError::Missing { name });
        let tenant_id = need("CALLSPEC_TENANT_ID")?;
        let callback_port =
            need("CALLSPEC_CALLBACK_PORT")?
                .parse()
                .map_err(|e: std::num::ParseIntError| TargetError::Invalid {
                    name: "CALLSPEC_CALLBACK_PORT",
                    message: e.to_string(),
                })?;
        let callback_url = need("CALLSPEC_CALLBACK_URL")?;
        url::Url::parse(&callback_url).map_err(|e| TargetError::Invalid {
            name: "CALLSPEC_CALLBACK_URL",
            message: e.to_string(),
        })?;
        Ok(LiveConfig {
            token_url: get("CALLSPEC_TOKEN_URL").unwrap_or_else(|| {
                format!("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token")
            }),
            client_id: need("CALLSPEC_CLIENT_ID")?,
            client_secret: Secret::new(need("CALLSPEC_CLIENT_SECRET")?),
            tenant_kind: get("CALLSPEC_TENANT_KIND"),
            graph_url: get("CALLSPEC_GRAPH_URL")
                .unwrap_or_else(|| GRAPH_URL.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            callback_port,
            callback_url,
            openid_url: get("CALLSPEC_OPENID_URL")
                .unwrap_or_else(|| MICROSOFT_OPENID_URL.to_owned()),
            vars: values
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("CALLSPEC_VAR_")?.to_owned(), v.clone())))
                .collect(),
            tenant_id,
        })
    }

    /// The production guard: live runs only against a tenant named staging, unless allowed.
    pub fn guard(&self, allow_production: bool) -> Result<(), TargetError> {
        let staging = self
            .tenant_kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("staging"));
        if staging || allow_production {
            Ok(())
        } else {
            Err(TargetError::NotStaging {
                tenant: self.tenant_id.clone(),
            })
        }
    }
}

fn read_env_file(file: &Path) -> Result<HashMap<String, String>, TargetError> {
    // dotenvy's own messages quote the line, and so the secret on it: never shown.
    let unreadable = |e: dotenvy::Error| TargetError::EnvFileUnreadable {
        file: file.to_owned(),
        message: match e {
            dotenvy::Error::Io(io) => io.to_string(),
            _ => "not an env file".to_owned(),
        },
    };
    let entries = dotenvy::from_path_iter(file).map_err(unreadable)?;
    let mut values = HashMap::new();
    for entry in entries {
        match entry {
            Ok((key, value)) => {
                values.insert(key, value);
            }
            Err(dotenvy::Error::LineParse(rest, _)) => {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                let (line, key) = bad_line(&text, &rest);
                let named = key.map(|k| format!(" ({k})")).unwrap_or_default();
                return Err(TargetError::EnvFile {
                    file: file.to_owned(),
                    line,
                    message: format!(
                        "cannot read this line{named} as KEY=VALUE: is the `=` missing, or a \
                         quote left open? (its value is not shown)"
                    ),
                });
            }
            Err(e) => return Err(unreadable(e)),
        }
    }
    Ok(values)
}

/// Where dotenvy's unreadable `rest` (the bad line, or with an open quote every line after it)
/// starts in `text`, 1-based, and the key it names if it has one: an upper-case word followed
/// by more text. A lone word may be a pasted value, so it is not named.
fn bad_line(text: &str, rest: &str) -> (usize, Option<String>) {
    let first = rest.lines().next().unwrap_or_default();
    let line = text
        .lines()
        .position(|l| l == first || (!first.is_empty() && l.trim() == first.trim()))
        .map_or(0, |i| i + 1);
    let trimmed = first.trim_start();
    let trimmed = trimmed
        .strip_prefix("export ")
        .unwrap_or(trimmed)
        .trim_start();
    let end = trimmed
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(trimmed.len());
    let word = &trimmed[..end];
    let is_key = !word.is_empty()
        && end < trimmed.len()
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !word.starts_with(|c: char| c.is_ascii_digit());
    (line, is_key.then(|| word.to_owned()))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// App-only Graph tokens by the client-credentials flow, fetched once and reused while valid.
#[derive(Debug)]
pub struct TokenSource {
    config: LiveConfig,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl TokenSource {
    pub fn new(config: LiveConfig, client: reqwest::Client) -> Self {
        TokenSource {
            config,
            client,
            cached: tokio::sync::Mutex::default(),
        }
    }

    /// The `roles` claim of an access token, read without checking it (the token is the
    /// identity platform's; the caller only wants to know what the app was granted).
    pub fn roles_of(token: &str) -> Vec<String> {
        use base64::Engine as _;
        let payload = token.split('.').nth(1).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|claims| serde_json::from_value(claims["roles"].clone()).ok())
            .unwrap_or_default()
    }

    /// A valid access token (refreshed a minute before it expires).
    pub async fn token(&self) -> Result<Secret, TargetError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let url = self.config.token_url.clone();
        let fail = |message: String| TargetError::Token {
            url: shown_url(&url),
            message,
        };
        let response = self
            .client
            .post(&url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", self.config.client_secret.expose()),
                ("scope", &format!("{}/.default", self.config.graph_url)),
            ])
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| fail(e.to_string()))?;
        if !status.is_success() {
            // The identity platform's error body names the problem (and holds no secret).
            let reason: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let detail = reason["error_description"]
                .as_str()
                .or_else(|| reason["error"].as_str())
                .unwrap_or("no reason given");
            return Err(fail(format!("{status}: {detail}")));
        }
        let answer: TokenAnswer =
            serde_json::from_str(&body).map_err(|e| fail(format!("unexpected answer: {e}")))?;
        let token = Secret::new(answer.access_token);
        *cached = Some((
            token.clone(),
            valid_until(Instant::now(), answer.expires_in),
        ));
        Ok(token)
    }
}

/// The longest a fetched token is reused: an endpoint's `expires_in` beyond it (up to
/// `u64::MAX`) is not believed.
const MAX_TOKEN_REUSE: Duration = Duration::from_secs(24 * 3600);

/// Until when a token answered at `now` with `expires_in` seconds is reused: a minute before it
/// expires, at most [`MAX_TOKEN_REUSE`]; never an overflow.
fn valid_until(now: Instant, expires_in: Option<u64>) -> Instant {
    let lifetime = Duration::from_secs(expires_in.unwrap_or(3600).saturating_sub(60));
    now.checked_add(lifetime.min(MAX_TOKEN_REUSE))
        .unwrap_or(now)
}

/// The RSA public key of a base64 DER X.509 certificate (an `x5c` entry), if it has one.
fn rsa_key_of_certificate(x5c: &str) -> Option<DecodingKey> {
    use base64::Engine as _;
    use x509_cert::der::Decode as _;
    const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    let der = base64::engine::general_purpose::STANDARD.decode(x5c).ok()?;
    let certificate = x509_cert::Certificate::from_der(&der).ok()?;
    let spki = certificate.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return None;
    }
    // For RSA, the subject public key is the PKCS#1 RSAPublicKey.
    Some(DecodingKey::from_rsa_der(
        spki.subject_public_key.raw_bytes(),
    ))
}

/// The claims of a real notification token: only `iss`, `aud` and `exp` are sure to be there.
#[derive(Deserialize)]
struct LiveClaims {
    iss: String,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
    exp: u64,
}

impl LiveClaims {
    fn into_notification(self, app_id: &str) -> NotificationClaims {
        NotificationClaims {
            iss: self.iss,
            // Validated to be (or include) the app.
            aud: app_id.to_owned(),
            tid: self.tid.unwrap_or_default(),
            iat: self.iat.unwrap_or_default(),
            nbf: self.nbf.unwrap_or_default(),
            exp: self.exp,
        }
    }
}

/// One published signing key: its ids (`kid`, and `x5t` which Microsoft's tokens may name
/// instead) and the RSA public key.
struct PublishedKey {
    kid: Option<String>,
    x5t: Option<String>,
    key: DecodingKey,
}

/// How often published keys are fetched again during a live run (the comms samples refresh
/// theirs every two hours); a token naming an unknown key brings the next fetch forward.
pub const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(3600);
/// The least time between two fetches brought forward by unknown keys.
pub const KEY_REFRESH_MIN_GAP: Duration = Duration::from_secs(60);

/// Keys published by an OpenID configuration (the calling platform's, or the stand-in's), to
/// check the tokens on inbound notifications the way a bot does.
pub struct Jwks {
    issuers: Vec<String>,
    /// Where the keys came from (the OpenID configuration), to fetch them again.
    source: Option<String>,
    keys: std::sync::RwLock<Vec<PublishedKey>>,
    /// Woken when a token names a key not (yet) published: keys rotate.
    unknown_key: tokio::sync::Notify,
    /// How many times the keys were fetched again.
    refreshes: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("issuers", &self.issuers)
            .field("source", &self.source)
            .field("keys", &self.keys().len())
            .finish()
    }
}

impl Jwks {
    /// Fetches the OpenID configuration at `openid_url`, then its `jwks_uri`. Tokens must come
    /// from one of [`CALLING_ISSUERS`].
    pub async fn fetch(
        openid_url: &str,
        client: &reqwest::Client,
    ) -> Result<Arc<Jwks>, TargetError> {
        let fail = |message: String| TargetError::Keys {
            url: shown_url(openid_url),
            message,
        };
        let get = |url: String| async move {
            let response = client
                .get(&url)
                .send()
                .await
                .map_err(|e| e.without_url().to_string())?;
            if !response.status().is_success() {
                return Err(format!(
                    "{} answered {}",
                    shown_url(&url),
                    response.status()
                ));
            }
            response.json::<Value>().await.map_err(|e| e.to_string())
        };
        let config = get(openid_url.to_owned()).await.map_err(fail)?;
        let jwks_uri = config["jwks_uri"]
            .as_str()
            .ok_or_else(|| fail("the configuration has no jwks_uri".into()))?
            .to_owned();
        let set = get(jwks_uri).await.map_err(fail)?;
        let mut jwks = Jwks::from_set(
            &set,
            CALLING_ISSUERS.iter().map(|i| i.to_string()).collect(),
        )
        .map_err(fail)?;
        jwks.source = Some(openid_url.to_owned());
        Ok(Arc::new(jwks))
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Vec<PublishedKey>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Fetches the keys again from where they came from (nothing to do for a set made with
    /// [`Jwks::from_set`]). On failure the keys in hand stay.
    pub async fn refresh(&self, client: &reqwest::Client) -> Result<(), TargetError> {
        let Some(source) = &self.source else {
            return Ok(());
        };
        let fresh = Jwks::fetch(source, client).await?;
        let keys = std::mem::take(&mut *fresh.keys.write().unwrap_or_else(|e| e.into_inner()));
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        self.refreshes.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Counts the refreshes: a receiver sees each one (for whoever waits for rotated keys).
    pub fn refreshes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.refreshes.subscribe()
    }

    /// Keeps the keys fresh for as long as the task runs: fetched again every `every`, and
    /// soon after a token names an unknown key (at most once per [`KEY_REFRESH_MIN_GAP`]).
    /// A failed fetch is handed to `on_error` and the keys in hand stay.
    pub fn keep_fresh(
        self: &Arc<Self>,
        client: reqwest::Client,
        every: Duration,
        on_error: impl Fn(TargetError) + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let jwks = self.clone();
        tokio::spawn(async move {
            let mut last: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = jwks.unknown_key.notified() => {
                        if let Some(at) = last {
                            tokio::time::sleep_until(at + KEY_REFRESH_MIN_GAP).await;
                        }
                    }
                }
                last = Some(tokio::time::Instant::now());
                if let Err(e) = jwks.refresh(&client).await {
                    on_error(e);
                }
            }
        })
    }

    /// The RSA keys of a JWK set (`{"keys": [...]}`); other key types are skipped.
    pub fn from_set(set: &Value, issuers: Vec<String>) -> Result<Jwks, String> {
        let mut keys = Vec::new();
        for key in set["keys"].as_array().into_iter().flatten() {
            if key["kty"].as_str().is_some_and(|kty| kty != "RSA") {
                continue;
            }
            let decoding = match (key["n"].as_str(), key["e"].as_str()) {
                (Some(n), Some(e)) => DecodingKey::from_rsa_components(n, e).ok(),
                // A key published only as its certificate chain: the first certificate's key.
                _ => key["x5c"][0].as_str().and_then(rsa_key_of_certificate),
            };
            if let Some(decoding) = decoding {
                keys.push(PublishedKey {
                    kid: key["kid"].as_str().map(str::to_owned),
                    x5t: key["x5t"].as_str().map(str::to_owned),
                    key: decoding,
                });
            }
        }
        if keys.is_empty() {
            return Err("the key set holds no RSA key (with `n` and `e`, or `x5c`)".into());
        }
        Ok(Jwks {
            issuers,
            source: None,
            keys: std::sync::RwLock::new(keys),
            unknown_key: tokio::sync::Notify::new(),
            refreshes: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Checks a notification token: RSA-signed (RS256/384/512) by one of the keys (chosen by
    /// the header's `kid` or `x5t`), from a trusted issuer, audience `app_id`, within its
    /// lifetime. A `cty: JWT` header (which some calling tokens carry) changes nothing: the
    /// payload is the claims.
    pub fn verify(&self, token: &str, app_id: &str) -> Result<NotificationClaims, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
        if !matches!(
            header.alg,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
        ) {
            return Err(format!(
                "the token is signed with {:?}; calling notifications are RSA-signed",
                header.alg
            ));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[app_id]);
        validation.set_issuer(&self.issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        let named = header.kid.as_ref().or(header.x5t.as_ref());
        let keys = self.keys();
        let candidates: Vec<&PublishedKey> = keys
            .iter()
            .filter(|k| match named {
                None => true,
                Some(id) => k.kid.as_ref() == Some(id) || k.x5t.as_ref() == Some(id),
            })
            .collect();
        if candidates.is_empty() {
            // Perhaps a key published since the last fetch: fetch again soon.
            self.unknown_key.notify_one();
        }
        let mut last = format!(
            "no published key has the token's key id {}",
            named.map_or("(none)", String::as_str)
        );
        for published in candidates {
            crate::jwt_crypto::install();
            match jsonwebtoken::decode::<LiveClaims>(token, &published.key, &validation) {
                Ok(data) => return Ok(data.claims.into_notification(app_id)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn complete() -> HashMap<String, String> {
        values(&[
            ("CALLSPEC_TENANT_ID", "t-1"),
            ("CALLSPEC_CLIENT_ID", "c-1"),
            ("CALLSPEC_CLIENT_SECRET", "s3cret-value"),
            ("CALLSPEC_CALLBACK_PORT", "8443"),
            ("CALLSPEC_CALLBACK_URL", "https://tunnel.example/callback"),
        ])
    }

    #[test]
    fn defaults_name_microsoft_and_the_secret_is_never_shown() {
        let config = LiveConfig::from_values(&complete()).unwrap();
        assert_eq!(config.graph_url, GRAPH_URL);
        assert_eq!(
            config.token_url,
            "https://login.microsoftonline.com/t-1/oauth2/v2.0/token"
        );
        assert_eq!(config.openid_url, MICROSOFT_OPENID_URL);
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn variables_come_from_callspec_var_settings() {
        let mut v = complete();
        v.insert("CALLSPEC_VAR_callee_id".into(), "real-user".into());
        let config = LiveConfig::from_values(&v).unwrap();
        assert_eq!(config.vars["callee_id"], "real-user");
    }

    #[test]
    fn missing_and_invalid_settings_are_named() {
        let mut v = complete();
        v.remove("CALLSPEC_CLIENT_SECRET");
        let e = LiveConfig::from_values(&v).unwrap_err().to_string();
        assert!(e.contains("CALLSPEC_CLIENT_SECRET"), "{e}");
        let mut v = complete();
        v.insert("CALLSPEC_CALLBACK_PORT".into(), "eighty".into());
        let e = LiveConfig::from_values(&v).unwrap_err().to_string();
        assert!(e.starts_with("CALLSPEC_CALLBACK_PORT is not valid"), "{e}");
    }

    #[test]
    fn the_guard_wants_a_staging_tenant_or_an_explicit_permission() {
        let config = LiveConfig::from_values(&complete()).unwrap();
        assert!(matches!(
            config.guard(false),
            Err(TargetError::NotStaging { .. })
        ));
        assert!(config.guard(true).is_ok());
        let mut v = complete();
        v.insert("CALLSPEC_TENANT_KIND".into(), "Staging".into());
        assert!(LiveConfig::from_values(&v).unwrap().guard(false).is_ok());
    }

    #[test]
    fn env_files_are_read_and_bad_lines_are_named() {
        let dir = std::env::temp_dir().join(format!("callspec-env-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.env");
        std::fs::write(
            &good,
            "# staging\nCALLSPEC_TENANT_ID=t-9\nCALLSPEC_TENANT_KIND=\"staging\"\n",
        )
        .unwrap();
        let read = read_env_file(&good).unwrap();
        assert_eq!(read["CALLSPEC_TENANT_ID"], "t-9");
        assert_eq!(read["CALLSPEC_TENANT_KIND"], "staging");
        let bad = dir.join("bad.env");
        std::fs::write(&bad, "CALLSPEC_TENANT_ID=t\nthis is not a setting\n").unwrap();
        let e = read_env_file(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.env:2:"), "{e}");
        assert!(!e.contains("setting"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn env_file_errors_name_the_key_and_line_never_a_value() {
        let dir = std::env::temp_dir().join(format!("callspec-env-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            (
                "CALLSPEC_TENANT_ID=t\nCALLSPEC_CLIENT_SECRET SuperSecretValue123\n",
                ":2: cannot read this line (CALLSPEC_CLIENT_SECRET)",
            ),
            (
                "CALLSPEC_TENANT_ID=t\nCALLSPEC_CLIENT_SECRET=\"SuperSecretValue123\nCALLSPEC_CLIENT_ID=OtherSecret456\n",
                ":2: cannot read this line",
            ),
            (
                "CALLSPEC_TENANT_ID=t\n\nSuperSecretValue123\n",
                ":3: cannot read this line as",
            ),
        ];
        for (i, (text, expected)) in cases.iter().enumerate() {
            let file = dir.join(format!("{i}.env"));
            std::fs::write(&file, text).unwrap();
            let e = read_env_file(&file).unwrap_err().to_string();
            assert!(e.contains(expected), "case {i}: {e}");
            assert!(
                !e.contains("Secret") || e.contains("(CALLSPEC_CLIENT_SECRET)"),
                "{e}"
            );
            assert!(!e.contains("SuperSecretValue123"), "case {i}: {e}");
            assert!(!e.contains("OtherSecret456"), "case {i}: {e}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn urls_with_credentials_are_never_shown() {
        let mut v = complete();
        v.insert(
            "CALLSPEC_TOKEN_URL".into(),
            "https://app:PaSsWoRd@login.example/token?client_secret=QuErYsEcReT".into(),
        );
        let config = LiveConfig::from_values(&v).unwrap();
        let shown = format!("{config:?} {config:#?}");
        for secret in ["PaSsWoRd", "QuErYsEcReT", "s3cret", "app:"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("login.example/token?<redacted>"), "{shown}");
        assert_eq!(shown_url("not a url PaSsWoRd"), "<not a URL>");
        assert_eq!(
            shown_url("https://graph.example/v1"),
            "https://graph.example/v1"
        );
    }

    #[test]
    fn absurd_token_lifetimes_neither_panic_nor_last_forever() {
        let now = Instant::now();
        let until = valid_until(now, Some(u64::MAX));
        assert_eq!(until - now, MAX_TOKEN_REUSE);
        assert_eq!(valid_until(now, Some(30)), now);
        assert_eq!(valid_until(now, None) - now, Duration::from_secs(3540));
    }
}
