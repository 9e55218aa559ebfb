//! Tokens: the app-only access tokens the stand-in accepts, and the tokens it signs its
//! notifications with: a fixed test key, published with the source, for mock mode only.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::calls::AppIdentity;
use super::GraphError;

/// Audience of Graph access tokens.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Issuer of the tokens Graph puts on notifications.
pub const NOTIFICATION_ISSUER: &str = "https://api.botframework.com";
/// The stand-in's notification signing key: a TEST KEY, public, for mock mode only.
const RUN_TEST_KEY_PEM: &str = include_str!("test-keys/run.pem");
/// The key forged notification tokens are signed with: a TEST KEY, public, for mock mode only.
const FORGER_TEST_KEY_PEM: &str = include_str!("test-keys/forger.pem");
/// How long a notification token is used before a fresh one is signed.
const NOTIFICATION_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The run's signing key and its public half as a JWK.
pub struct SigningKey {
    kid: String,
    /// Signs with ring: RS256 through jsonwebtoken's pure-Rust RSA cost ~25 M instructions a
    /// token (callgrind), a tenth of a run's start-up; ring's takes a fraction of that. The
    /// signature is the same (PKCS#1 v1.5 is deterministic).
    signer: ring::signature::RsaKeyPair,
    decoding: DecodingKey,
    jwk: Value,
    /// The public half as an SPKI PEM: the HMAC secret of the key-confusion forgery (HS256
    /// "signed" with the public key a bot would pass to its verifier).
    public_pem: String,
    // `signed` and `verified` are caches, not the stand-in's state (so they stay out of its
    // one `Mutex<State>`): they only remember what signing and verifying compute anyway, so a
    // miss changes no answer; the key is `'static`, shared by every stand-in of the run, so
    // they outlive any one stand-in and a reset does not touch them; and each lock is held only
    // for a map look-up or insert, never while the stand-in's lock is (the state lock is not
    // held while a token is signed or checked).
    /// Tokens already signed, by what they stand for, with their expiry: RS256 signing costs
    /// about a millisecond, so a token is signed once and reused while it stays valid.
    signed: Mutex<HashMap<String, (String, u64)>>,
    /// Tokens whose signature checked out (they come back on every request), with what they
    /// were checked for and their expiry; only the expiry is checked again.
    verified: Mutex<HashMap<(String, String), (u64, Value)>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A second key, for notifications a bot must refuse as forged: a fixed test key, like
    /// [`SigningKey::for_run`].
    pub fn forger() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| {
            SigningKey::from_pem(FORGER_TEST_KEY_PEM, "callspec-test-key-forger")
                .expect("the embedded forger test key parses")
        })
    }

    /// The key the stand-in signs notification tokens with (mock mode and `callspec serve`).
    ///
    /// A FIXED TEST KEY, published in callspec's source (`src/standin/test-keys/run.pem`): it
    /// costs nothing at start-up (making an RSA-2048 key took 50-500 ms) and proves nothing
    /// outside a test. Live mode never signs with it: there Microsoft signs notifications, and
    /// the inbox checks them against Microsoft's published keys.
    pub fn for_run() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| {
            SigningKey::from_pem(RUN_TEST_KEY_PEM, "callspec-test-key-1")
                .expect("the embedded test key parses")
        })
    }

    /// A fresh RSA-2048 key (slow: 50-500 ms).
    pub fn generate() -> Result<SigningKey, rsa::Error> {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let kid = uuid::Uuid::new_v4().simple().to_string();
        SigningKey::from_private(&private, kid)
    }

    /// A key from a PKCS#1 PEM, with the key id `kid`.
    fn from_pem(pem: &str, kid: &str) -> Result<SigningKey, rsa::Error> {
        let private = rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|_| rsa::Error::Internal)?;
        SigningKey::from_private(&private, kid.to_owned())
    }

    fn from_private(private: &rsa::RsaPrivateKey, kid: String) -> Result<SigningKey, rsa::Error> {
        let der = private.to_pkcs1_der().map_err(|_| rsa::Error::Internal)?;
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        let signer = ring::signature::RsaKeyPair::from_der(der.as_bytes())
            .map_err(|_| rsa::Error::Internal)?;
        let public_pem = {
            use rsa::pkcs8::EncodePublicKey as _;
            rsa::RsaPublicKey::from(private)
                .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|_| rsa::Error::Internal)?
        };
        Ok(SigningKey {
            public_pem,
            signer,
            decoding: DecodingKey::from_rsa_raw_components(&n, &e),
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
            }),
            kid,
            signed: Mutex::default(),
            verified: Mutex::default(),
        })
    }

    /// The JWKS document a bot validates notification tokens against.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        // The header as jsonwebtoken writes it.
        let header = json!({ "typ": "JWT", "alg": "RS256", "kid": self.kid });
        self.sign_with_header(&header, claims)
    }

    /// `header.claims`, base64url-encoded, the part a JWT's signature covers.
    fn signing_input<T: Serialize>(header: &Value, claims: &T) -> String {
        // Serializing a header and a serializable struct cannot fail.
        let header = serde_json::to_vec(header).expect("a JSON header");
        let claims = serde_json::to_vec(claims).expect("serializable claims");
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        token
    }

    /// RS256-signs `claims` under `header` (which names the algorithm and key id, or none):
    /// forgeries keep a published key id while signing with another key.
    fn sign_with_header<T: Serialize>(&self, header: &Value, claims: &T) -> String {
        let mut token = Self::signing_input(header, claims);
        let mut signature = vec![0; self.signer.public().modulus_len()];
        self.signer
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing with a valid key");
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        token
    }

    /// Signs `claims` once per `cache_key` and hands out the same token until a minute before
    /// its `exp`.
    pub fn sign_cached<T: Serialize>(&self, cache_key: &str, claims: &T, exp: u64) -> String {
        let now = now_secs();
        let mut signed = self.signed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, until)) = signed.get(cache_key) {
            if *until > now + 60 {
                return token.clone();
            }
        }
        let token = self.sign(claims);
        signed.insert(cache_key.to_owned(), (token.clone(), exp));
        token
    }

    /// Checks `token` against this key with the `validation` rules, which `purpose` names (one
    /// RS256 verification per token and purpose; later calls only check that it has not
    /// expired, and do not build the rules).
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        purpose: &str,
        validation: impl FnOnce() -> Validation,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        let slot = (purpose.to_owned(), token.to_owned());
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&slot)
            .cloned();
        let claims = match known {
            Some((exp, claims)) if exp > now_secs() => claims,
            Some(_) => return Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into()),
            None => {
                crate::jwt_crypto::install();
                let claims =
                    jsonwebtoken::decode::<Value>(token, &self.decoding, &validation())?.claims;
                if let Some(exp) = claims["exp"].as_u64() {
                    let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
                    verified.insert(slot, (exp, claims.clone()));
                }
                claims
            }
        };
        serde_json::from_value(claims)
            .map_err(|e| jsonwebtoken::errors::ErrorKind::Json(e.into()).into())
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Claims of an app-only Graph access token (the ones the stand-in looks at).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub tid: String,
    pub appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_displayname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Delegated tokens carry scopes instead of roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

impl AccessClaims {
    /// The signed token, reused for the same claims (apart from times) while it is valid.
    pub fn token(&self, key: &SigningKey) -> String {
        let cache_key = format!(
            "access {} {} {:?} {:?} {}",
            self.appid,
            self.tid,
            self.roles,
            self.scp,
            self.exp <= now_secs()
        );
        if self.exp <= now_secs() {
            // An expired token is never reused as a valid one, and signing it once is enough.
            return key.sign_cached(&cache_key, self, u64::MAX);
        }
        key.sign_cached(&cache_key, self, self.exp)
    }

    /// An app-only token for `app` with `roles`, valid for an hour.
    pub fn app_only(app: &AppIdentity, roles: &[String]) -> Self {
        let now = now_secs();
        AccessClaims {
            aud: GRAPH_AUDIENCE.into(),
            iss: format!("https://sts.windows.net/{}/", app.tenant_id),
            tid: app.tenant_id.clone(),
            appid: app.app_id.clone(),
            app_displayname: Some(app.display_name.clone()),
            roles: Some(roles.to_vec()),
            scp: None,
            iat: now,
            nbf: now,
            exp: now + 3600,
        }
    }

    /// The same token, expired a while ago.
    pub fn expired(mut self) -> Self {
        let now = now_secs();
        self.iat = now - 7200;
        self.nbf = now - 7200;
        self.exp = now - 3600;
        self
    }

    /// A delegated token: scopes, no roles.
    pub fn delegated(mut self) -> Self {
        self.scp = self.roles.take().map(|r| r.join(" "));
        self
    }

    pub fn app(&self) -> AppIdentity {
        AppIdentity {
            app_id: self.appid.clone(),
            tenant_id: self.tid.clone(),
            display_name: self
                .app_displayname
                .clone()
                .unwrap_or_else(|| super::calls::DEFAULT_APP_NAME.into()),
        }
    }
}

fn invalid_token(message: &str) -> GraphError {
    GraphError::new(401, "InvalidAuthenticationToken", message)
}

/// Checks an `Authorization` header value the way Graph does and returns the token's claims.
pub fn authenticate(
    authorization: Option<&str>,
    key: &SigningKey,
) -> Result<AccessClaims, GraphError> {
    let token = authorization
        .map(str::trim)
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(invalid_token("Access token is empty."));
    }
    let validation = || {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[GRAPH_AUDIENCE]);
        validation.leeway = 0;
        validation
    };
    key.verify::<AccessClaims>(token, GRAPH_AUDIENCE, validation)
        .map_err(|_| invalid_token("Access token validation failure."))
}

/// Checks that the token grants `required` (and `Calls.AccessMedia.All` for app-hosted media).
pub fn authorize(
    claims: &AccessClaims,
    required: &str,
    app_hosted_media: bool,
) -> Result<(), GraphError> {
    let forbidden = || {
        GraphError::new(
            403,
            "7504",
            "Insufficient enterprise tenant permissions, cannot access this API.",
        )
    };
    // Graph's calling APIs take application permissions only: a delegated token is refused.
    let roles = claims.roles.as_deref().ok_or_else(forbidden)?;
    // Role values are exact strings in Entra ID tokens.
    let has = |role: &str| roles.iter().any(|r| r == role);
    if !has(required) || (app_hosted_media && !has("Calls.AccessMedia.All")) {
        return Err(forbidden());
    }
    Ok(())
}

/// Claims of the token Graph puts on a notification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotificationClaims {
    pub iss: String,
    pub aud: String,
    pub tid: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// Which token a notification carries. Every forgery but `Forged` and `NoKeyId` names the
/// stand-in's published key id, so a bot that only looks the key up by `kid` (and never checks
/// the signature or a claim) accepts it: each catches one check a bot can skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NotificationToken {
    /// Signed by the stand-in for the app, as Graph does.
    #[default]
    Valid,
    /// Signed by another key under a key id nobody published: a bot must refuse it.
    Forged,
    /// Names the published key id but is signed with another key: only a bot that verifies
    /// the signature refuses it.
    WrongSignature,
    /// Signed by another key with no `kid` in its header: a bot must not fall back to
    /// accepting it unverified.
    NoKeyId,
    /// `alg: none` and no signature, under the published key id.
    Unsigned,
    /// HS256 with the published key id, its HMAC secret the public key's PEM (the classic
    /// key-confusion attack on verifiers that take the algorithm from the token).
    PublicKeyHmac,
    /// Expired an hour ago: a bot must refuse it.
    Expired,
    /// Not valid for another hour (`nbf`): a bot must refuse it.
    NotYetValid,
    /// Signed by the stand-in, but for another app (audience): a bot must refuse it.
    OtherAudience,
    /// Signed by the stand-in for the app, but by another issuer than Graph's notification
    /// service (Azure AD's, as a token a caller got for the app would be).
    OtherIssuer,
    /// No `Authorization` header at all: a bot must refuse the notification.
    Missing,
}

impl NotificationToken {
    /// How a message names the token: "signed with a forged key".
    pub fn describe(self) -> &'static str {
        match self {
            NotificationToken::Valid => "validly signed",
            NotificationToken::Forged => "signed with a forged key",
            NotificationToken::WrongSignature => "signed with another key under a published key id",
            NotificationToken::NoKeyId => "signed with another key and no key id",
            NotificationToken::Unsigned => "with an unsigned token",
            NotificationToken::PublicKeyHmac => "signed with HS256 and the public key",
            NotificationToken::Expired => "with an expired token",
            NotificationToken::NotYetValid => "with a token not yet valid",
            NotificationToken::OtherAudience => "for another app",
            NotificationToken::OtherIssuer => "from another issuer",
            NotificationToken::Missing => "with no token",
        }
    }
}

/// Graph's notification claims for `app`, valid from `from` for an hour.
fn claims_for(app: &AppIdentity, from: u64) -> NotificationClaims {
    NotificationClaims {
        iss: NOTIFICATION_ISSUER.into(),
        aud: app.app_id.clone(),
        tid: app.tenant_id.clone(),
        iat: from.min(now_secs()),
        nbf: from,
        exp: from + 3600,
    }
}

/// The token for a notification to `app`, of the given kind. Forgeries are signed afresh each
/// time (they are rare; a millisecond each).
pub fn notification_token_of(
    kind: NotificationToken,
    app: &AppIdentity,
    key: &SigningKey,
) -> Option<String> {
    let now = now_secs();
    let published = |alg: &str| json!({ "typ": "JWT", "alg": alg, "kid": key.kid });
    Some(match kind {
        NotificationToken::Valid => notification_token(app, key),
        NotificationToken::Forged => notification_token(app, SigningKey::forger()),
        NotificationToken::Missing => return None,
        NotificationToken::WrongSignature => {
            SigningKey::forger().sign_with_header(&published("RS256"), &claims_for(app, now))
        }
        NotificationToken::NoKeyId => SigningKey::forger().sign_with_header(
            &json!({ "typ": "JWT", "alg": "RS256" }),
            &claims_for(app, now),
        ),
        NotificationToken::Unsigned => {
            let mut token = SigningKey::signing_input(&published("none"), &claims_for(app, now));
            token.push('.');
            token
        }
        NotificationToken::PublicKeyHmac => {
            let mut token = SigningKey::signing_input(&published("HS256"), &claims_for(app, now));
            let secret = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.public_pem.as_bytes());
            let tag = ring::hmac::sign(&secret, token.as_bytes());
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut token);
            token
        }
        NotificationToken::OtherAudience => {
            let other = AppIdentity {
                app_id: "11111111-2222-4333-8444-555555555555".into(),
                ..app.clone()
            };
            notification_token(&other, key)
        }
        NotificationToken::OtherIssuer => {
            let mut claims = claims_for(app, now);
            claims.iss = format!("https://login.microsoftonline.com/{}/v2.0", app.tenant_id);
            key.sign(&claims)
        }
        NotificationToken::NotYetValid => key.sign(&claims_for(app, now + 3600)),
        NotificationToken::Expired => {
            let past = now - 7200;
            let claims = claims_for(app, past);
            let cache_key = format!("expired notification {} {}", app.app_id, app.tenant_id);
            key.sign_cached(&cache_key, &claims, u64::MAX)
        }
    })
}

/// The token Graph puts on notifications for `app`: signed once per app and run, reused while
/// valid.
pub fn notification_token(app: &AppIdentity, key: &SigningKey) -> String {
    let now = now_secs();
    let exp = now + NOTIFICATION_TOKEN_LIFETIME.as_secs();
    let claims = NotificationClaims {
        iss: NOTIFICATION_ISSUER.into(),
        aud: app.app_id.clone(),
        tid: app.tenant_id.clone(),
        iat: now,
        nbf: now,
        exp,
    };
    let cache_key = format!("notification {} {}", app.app_id, app.tenant_id);
    key.sign_cached(&cache_key, &claims, exp)
}

/// Validates a notification token for `app_id` against `key`, as a bot does.
pub fn verify_notification_token(
    token: &str,
    app_id: &str,
    key: &SigningKey,
) -> Result<NotificationClaims, String> {
    let validation = || {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[app_id]);
        validation.set_issuer(&[NOTIFICATION_ISSUER]);
        validation
    };
    key.verify::<NotificationClaims>(token, &format!("notification for {app_id}"), validation)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppIdentity {
        AppIdentity {
            app_id: "app-1".into(),
            tenant_id: "tenant-1".into(),
            display_name: "Bot".into(),
        }
    }

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tokens_are_the_ones_jsonwebtoken_signs() {
        let claims = AccessClaims::app_only(&app(), &roles(&["Calls.Initiate.All"]));
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("callspec-test-key-1".to_owned());
        let private = rsa::RsaPrivateKey::from_pkcs1_pem(RUN_TEST_KEY_PEM).expect("the test key");
        let der = private.to_pkcs1_der().expect("DER");
        let encoding = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
        crate::jwt_crypto::install();
        let expected = jsonwebtoken::encode(&header, &claims, &encoding).expect("signed");
        assert_eq!(SigningKey::for_run().sign(&claims), expected);
    }

    #[test]
    fn accepts_a_valid_token_and_refuses_empty_expired_and_forged_ones() {
        let key = SigningKey::for_run();
        let claims = AccessClaims::app_only(&app(), &roles(&["Calls.Initiate.All"]));
        let good = format!("Bearer {}", key.sign(&claims));
        assert_eq!(authenticate(Some(&good), key).unwrap(), claims);

        let empty = authenticate(None, key).unwrap_err();
        assert_eq!(
            (empty.status, empty.message.as_str()),
            (401, "Access token is empty.")
        );
        let expired = format!("Bearer {}", key.sign(&claims.clone().expired()));
        assert_eq!(
            authenticate(Some(&expired), key).unwrap_err().message,
            "Access token validation failure."
        );
        let other = SigningKey::generate().unwrap();
        let forged = format!("Bearer {}", other.sign(&claims));
        assert_eq!(
            authenticate(Some(&forged), key).unwrap_err().code,
            "InvalidAuthenticationToken"
        );
        assert_eq!(
            authenticate(Some("Bearer not.a.jwt"), key)
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn roles_decide_and_delegated_tokens_are_refused() {
        let p2p = AccessClaims::app_only(&app(), &roles(&["Calls.Initiate.All"]));
        assert!(authorize(&p2p, "Calls.Initiate.All", false).is_ok());
        assert_eq!(
            authorize(&p2p, "Calls.Initiate.All", true)
                .unwrap_err()
                .code,
            "7504"
        );
        assert_eq!(
            authorize(&p2p, "Calls.JoinGroupCall.All", false)
                .unwrap_err()
                .status,
            403
        );
        let delegated = p2p.delegated();
        assert!(authorize(&delegated, "Calls.Initiate.All", false).is_err());
    }

    #[test]
    fn notification_tokens_are_reused_and_verifiable() {
        let key = SigningKey::for_run();
        let first = notification_token(&app(), key);
        assert_eq!(first, notification_token(&app(), key));
        let claims = verify_notification_token(&first, "app-1", key).unwrap();
        assert_eq!(claims.iss, NOTIFICATION_ISSUER);
        assert_eq!(claims.tid, "tenant-1");
        assert!(verify_notification_token(&first, "other-app", key).is_err());
    }
}
