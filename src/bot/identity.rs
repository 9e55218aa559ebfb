//! The identity platform, as far as a calling bot meets it: the client-credentials token
//! endpoint (`POST /{tenant}/oauth2/v2.0/token`) and the OpenID metadata MSAL reads first
//! (`GET /{tenant}/v2.0/.well-known/openid-configuration`), with the platform's answers and
//! error shapes, so that unmodified MSAL or Azure SDK code gets an app-only Graph token.
//!
//! The token is an app-only [`AccessClaims`] token for the app, signed with the run's key, with
//! every calling permission: every scenario's stand-in accepts it.
//!
//! Errors follow the platform (AADSTS codes as real bots see them in their logs):
//! `{"error", "error_description": "AADSTSnnn: ...\r\nTrace ID: ...\r\nCorrelation ID: ...\r\n
//! Timestamp: ...", "error_codes": [nnn], "timestamp", "trace_id", "correlation_id",
//! "error_uri"}`.

use std::time::SystemTime;

use base64::Engine as _;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::hosting::WireReply;
use crate::standin::{AccessClaims, AppIdentity, SigningKey, ALL_CALLING_ROLES};

/// The one scope a client-credentials request for Graph may ask for.
pub(crate) const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Graph's application id: `{id}/.default` names Graph too.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// How long a token is said to last (the platform answers 3599 for an hour's token).
const EXPIRES_IN: u64 = 3599;

/// What the identity routes need to know.
pub(crate) struct Identity {
    /// The gateway's base URL, `https://127.0.0.1:P`.
    pub base: String,
    pub app: AppIdentity,
    pub client_secret: String,
    pub key: &'static SigningKey,
}

/// A refusal in the identity platform's shape.
struct AadError {
    status: u16,
    error: &'static str,
    code: u32,
    message: String,
}

impl AadError {
    fn new(status: u16, error: &'static str, code: u32, message: impl Into<String>) -> AadError {
        AadError {
            status,
            error,
            code,
            message: message.into(),
        }
    }

    fn missing(parameter: &str) -> AadError {
        AadError::new(
            400,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    fn reply(&self, correlation_id: &str) -> WireReply {
        let trace_id = Uuid::new_v4().to_string();
        let timestamp = aad_timestamp(SystemTime::now());
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.message
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        no_store(WireReply::json(self.status, &body))
    }
}

/// `2023-05-06 06:03:00Z`, as the platform writes its timestamps.
fn aad_timestamp(now: SystemTime) -> String {
    let rfc3339 = humantime::format_rfc3339_seconds(now).to_string();
    rfc3339.replacen('T', " ", 1)
}

/// Token answers are never cached by clients or proxies.
fn no_store(reply: WireReply) -> WireReply {
    reply
        .header("Cache-Control", "no-store, no-cache")
        .header("Pragma", "no-cache")
}

/// What the request is for, when it is an identity route: `{tenant}` and the rest.
pub(crate) enum Route<'p> {
    OpenIdConfiguration(&'p str),
    Token(&'p str),
    Keys(&'p str),
}

/// The identity route `path` names, if any.
pub(crate) fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix('/')?;
    let (tenant, rest) = rest.split_once('/')?;
    if tenant.is_empty() {
        return None;
    }
    match rest.trim_end_matches('/') {
        "v2.0/.well-known/openid-configuration" => Some(Route::OpenIdConfiguration(tenant)),
        "oauth2/v2.0/token" => Some(Route::Token(tenant)),
        "discovery/v2.0/keys" => Some(Route::Keys(tenant)),
        _ => None,
    }
}

impl Identity {
    /// Answers an identity route.
    pub(crate) fn handle(&self, route: Route<'_>, request: &crate::hosting::Request) -> WireReply {
        let correlation_id = header(request, "client-request-id")
            .and_then(|id| Uuid::parse_str(id).ok())
            .unwrap_or_else(Uuid::new_v4)
            .to_string();
        let method = request.method.as_str();
        let tenant = match route {
            Route::OpenIdConfiguration(t) | Route::Token(t) | Route::Keys(t) => t,
        };
        if !tenant.eq_ignore_ascii_case(&self.app.tenant_id) {
            return unknown_tenant(tenant).reply(&correlation_id);
        }
        match route {
            Route::Token(_) if method != "POST" => AadError::new(
                400,
                "invalid_request",
                900561,
                format!("The endpoint only accepts POST, OPTIONS requests. Received a {method} request."),
            )
            .reply(&correlation_id),
            Route::Token(_) => match self.token(request) {
                Ok(reply) => reply,
                Err(error) => error.reply(&correlation_id),
            },
            _ if method != "GET" => AadError::new(
                400,
                "invalid_request",
                900561,
                format!("The endpoint only accepts GET, OPTIONS requests. Received a {method} request."),
            )
            .reply(&correlation_id),
            Route::OpenIdConfiguration(_) => WireReply::json(200, &self.openid_configuration()),
            Route::Keys(_) => WireReply::json(200, &self.key.jwks()),
        }
    }

    /// The tenant's v2.0 OpenID metadata (what MSAL reads to find the token endpoint).
    fn openid_configuration(&self) -> Value {
        let tenant = &self.app.tenant_id;
        let authority = format!("{}/{tenant}", self.base);
        json!({
            "token_endpoint": format!("{authority}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported":
                ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{authority}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("https://login.microsoftonline.com/{tenant}/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": format!("{authority}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{authority}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{authority}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "tenant_region_scope": null,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        })
    }

    /// `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`.
    fn token(&self, request: &crate::hosting::Request) -> Result<WireReply, AadError> {
        let form_type = header(request, "content-type").is_some_and(|t| {
            t.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
        if !form_type {
            return Err(AadError::missing("grant_type"));
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        // The platform refuses a parameter given twice rather than pick one (RFC 6749 §3.1;
        // AADSTS9000411 as in AzureAD/microsoft-authentication-library-for-android#688).
        if let Some((name, _)) = form
            .iter()
            .enumerate()
            .find(|(i, (k, _))| form[..*i].iter().any(|(earlier, _)| earlier == k))
            .map(|(_, pair)| pair)
        {
            return Err(AadError::new(
                400,
                "invalid_request",
                9000411,
                format!(
                    "The request is not properly formatted. The parameter '{name}' is duplicated."
                ),
            ));
        }
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let grant_type = field("grant_type").ok_or_else(|| AadError::missing("grant_type"))?;
        if grant_type != "client_credentials" {
            return Err(AadError::new(
                400,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{grant_type}'."),
            ));
        }
        // client_secret_basic: the id and secret in an Authorization header, form-encoded.
        let basic = header(request, "authorization").and_then(basic_credentials);
        let client_id = field("client_id")
            .map(str::to_owned)
            .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
            .ok_or_else(|| AadError::missing("client_id"))?;
        if !client_id.eq_ignore_ascii_case(&self.app.app_id) {
            return Err(AadError::new(
                400,
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{}'. \
                     This can happen if the application has not been installed by the administrator \
                     of the tenant or consented to by any user in the tenant. You may have sent your \
                     authentication request to the wrong tenant.",
                    self.app.tenant_id
                ),
            ));
        }
        let secret = field("client_secret")
            .map(str::to_owned)
            .or_else(|| basic.map(|(_, secret)| secret));
        let Some(secret) = secret else {
            let message = if field("client_assertion").is_some() {
                // Certificate credentials: this app has a secret only.
                "Client assertion contains an invalid signature.".to_owned()
            } else {
                "The request body must contain the following parameter: 'client_assertion' or \
                 'client_secret'."
                    .to_owned()
            };
            let code = if field("client_assertion").is_some() {
                700027
            } else {
                7000218
            };
            return Err(AadError::new(401, "invalid_client", code, message));
        };
        if !constant_time_eq(secret.as_bytes(), self.client_secret.as_bytes()) {
            return Err(AadError::new(
                401,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{}'.",
                    self.app.app_id
                ),
            ));
        }
        let scope = field("scope").ok_or_else(|| AadError::missing("scope"))?;
        check_scope(scope, &self.app)?;
        let roles: Vec<String> = ALL_CALLING_ROLES.iter().map(|r| (*r).to_owned()).collect();
        // Signed afresh (a token request is rare: clients cache the token): a token reused
        // from a cache could expire well before the `expires_in` the client is told.
        let token = self.key.sign(&AccessClaims::app_only(&self.app, &roles));
        Ok(no_store(WireReply::json(
            200,
            &json!({
                "token_type": "Bearer",
                "expires_in": EXPIRES_IN,
                "ext_expires_in": EXPIRES_IN,
                "access_token": token,
            }),
        )))
    }
}

/// A client-credentials request asks for `{resource}/.default`; only Graph's is served.
fn check_scope(scope: &str, app: &AppIdentity) -> Result<(), AadError> {
    for requested in scope.split_whitespace() {
        let Some(resource) = requested.strip_suffix("/.default") else {
            return Err(AadError::new(
                400,
                "invalid_scope",
                1002012,
                format!(
                    "The provided value for scope {requested} is not valid. Client credential \
                     flows must have a scope value with /.default suffixed to the resource \
                     identifier (application ID URI)."
                ),
            ));
        };
        let resource = resource.trim_end_matches('/');
        let graph = resource.eq_ignore_ascii_case("https://graph.microsoft.com")
            || resource.eq_ignore_ascii_case(GRAPH_APP_ID);
        if !graph {
            return Err(AadError::new(
                400,
                "invalid_resource",
                500011,
                format!(
                    "The resource principal named {resource} was not found in the tenant named \
                     {}. This can happen if the application has not been installed by the \
                     administrator of the tenant or consented to by any user in the tenant. You \
                     might have sent your authentication request to the wrong tenant. \
                     (callspec's gateway serves tokens for Microsoft Graph only: ask for \
                     {GRAPH_DEFAULT_SCOPE}.)",
                    app.tenant_id
                ),
            ));
        }
    }
    Ok(())
}

fn unknown_tenant(tenant: &str) -> AadError {
    AadError::new(
        400,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
             are signing into the correct cloud. Check with your subscription administrator, this \
             may happen if there are no active subscriptions for the tenant."
        ),
    )
}

fn header<'r>(request: &'r crate::hosting::Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client id and secret of an `Authorization: Basic` header (each form-encoded, RFC 6749
/// 2.3.1).
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let encoded = authorization
        .trim()
        .strip_prefix("Basic ")
        .or_else(|| authorization.trim().strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Compares two secrets in time that depends on their lengths only, never on where they differ.
pub(crate) fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (i, b) in expected.iter().enumerate() {
        let a = given.get(i).copied().unwrap_or(0);
        difference |= usize::from(a ^ b);
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            base: "https://127.0.0.1:8443".into(),
            app: AppIdentity {
                app_id: "app-1".into(),
                tenant_id: "tenant-1".into(),
                display_name: "Bot".into(),
            },
            client_secret: "s3cret".into(),
            key: SigningKey::for_run(),
        }
    }

    fn post(path: &str, body: &str) -> crate::hosting::Request {
        crate::hosting::Request {
            url: url::Url::parse(&format!("http://localhost{path}")).unwrap(),
            method: http::Method::POST,
            headers: [(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            )]
            .into_iter()
            .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn ask(body: &str) -> (u16, Value) {
        let request = post("/tenant-1/oauth2/v2.0/token", body);
        let Some(route) = route(request.url.path()) else {
            panic!("the token path is an identity route");
        };
        let reply = identity().handle(route, &request);
        (reply.status, serde_json::from_slice(&reply.body).unwrap())
    }

    const GOOD: &str = "grant_type=client_credentials&client_id=app-1&client_secret=s3cret\
                        &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";

    #[test]
    fn a_good_request_gets_a_token_every_stand_in_accepts() {
        let (status, body) = ask(GOOD);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["ext_expires_in"], 3599);
        let token = body["access_token"].as_str().unwrap();
        let claims =
            crate::standin::authenticate(Some(&format!("Bearer {token}")), SigningKey::for_run())
                .unwrap();
        assert_eq!(
            (claims.appid.as_str(), claims.tid.as_str()),
            ("app-1", "tenant-1")
        );
        // Valid at least as long as the client is told.
        let now = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(claims.exp >= now + EXPIRES_IN, "{} vs {now}", claims.exp);
        for role in ALL_CALLING_ROLES {
            crate::standin::authorize(&claims, role, true).unwrap();
        }
    }

    #[test]
    fn refusals_carry_the_platforms_codes() {
        let cases = [
            (
                GOOD.replace("s3cret", "wrong"),
                401,
                "invalid_client",
                7000215,
            ),
            (
                GOOD.replace("s3cre", "s3cretx"),
                401,
                "invalid_client",
                7000215,
            ),
            (
                GOOD.replace("&client_secret=s3cret", ""),
                401,
                "invalid_client",
                7000218,
            ),
            (
                GOOD.replace("app-1", "app-2"),
                400,
                "unauthorized_client",
                700016,
            ),
            (
                format!("{GOOD}&client_secret=s3cret"),
                400,
                "invalid_request",
                9000411,
            ),
            (
                format!("{GOOD}&client_secret=other"),
                400,
                "invalid_request",
                9000411,
            ),
            (
                GOOD.replace("client_credentials", "password"),
                400,
                "unsupported_grant_type",
                70003,
            ),
            (
                GOOD.replace("%2F.default", "%2FCalls.Initiate.All"),
                400,
                "invalid_scope",
                1002012,
            ),
            (
                GOOD.replace("graph.microsoft.com", "vault.azure.net"),
                400,
                "invalid_resource",
                500011,
            ),
            (
                GOOD.replace("grant_type=client_credentials&", ""),
                400,
                "invalid_request",
                900144,
            ),
        ];
        for (body, status, error, code) in cases {
            let (got, answer) = ask(&body);
            assert_eq!(
                (got, answer["error"].as_str()),
                (status, Some(error)),
                "{body}: {answer}"
            );
            assert_eq!(answer["error_codes"], json!([code]));
            let description = answer["error_description"].as_str().unwrap();
            assert!(
                description.starts_with(&format!("AADSTS{code}: ")),
                "{description}"
            );
            assert!(description.contains("\r\nTrace ID: "), "{description}");
            assert!(!description.contains("s3cret"), "{description}");
            for field in ["timestamp", "trace_id", "correlation_id"] {
                assert!(answer[field].is_string(), "{field} in {answer}");
            }
        }
    }

    #[test]
    fn another_tenant_is_not_found() {
        let request = post("/other-tenant/oauth2/v2.0/token", GOOD);
        let reply = identity().handle(route(request.url.path()).unwrap(), &request);
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(
            (reply.status, body["error"].as_str()),
            (400, Some("invalid_tenant"))
        );
        assert_eq!(body["error_codes"], json!([90002]));
    }

    #[test]
    fn basic_authentication_is_accepted() {
        let mut request = post(
            "/tenant-1/oauth2/v2.0/token",
            "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        );
        let credentials = base64::engine::general_purpose::STANDARD.encode("app-1:s3cret");
        request.headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Basic {credentials}")).unwrap(),
        );
        let reply = identity().handle(route(request.url.path()).unwrap(), &request);
        assert_eq!(reply.status, 200);
    }

    #[test]
    fn the_metadata_points_at_the_gateway() {
        let mut request = post("/tenant-1/v2.0/.well-known/openid-configuration", "");
        request.method = http::Method::GET;
        let reply = identity().handle(route(request.url.path()).unwrap(), &request);
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(
            body["token_endpoint"],
            "https://127.0.0.1:8443/tenant-1/oauth2/v2.0/token"
        );
        assert_eq!(
            body["issuer"],
            "https://login.microsoftonline.com/tenant-1/v2.0"
        );
        assert!(body["authorization_endpoint"].is_string());
    }

    #[test]
    fn secrets_compare_by_value_only() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abd", b"abc"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"abc"));
    }
}
