//! Live mode's check of notification tokens, against a local server playing the calling
//! platform's OpenID configuration
//! (`https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration`):
//! two published keys (one named by `kid` with its modulus and exponent, one by `x5t` with only
//! its certificate, `x5c`), tokens
//! from either calling issuer, with and without `cty: JWT`, and the tokens a bot must refuse.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use callspec::auth::{Jwks, TokenKeys, TokenVerifier, CALLING_ISSUERS};
use callspec::{Inbox, TargetError};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";

struct Key {
    encoding: EncodingKey,
    n: String,
    e: String,
    /// A (self-made, unsigned) X.509 certificate holding the public key, base64 DER.
    x5c: String,
}

fn key() -> Key {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
    let der = private.to_pkcs1_der().expect("DER");
    let public = private.to_public_key().to_pkcs1_der().expect("DER");
    Key {
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        x5c: certificate(public.as_bytes()),
    }
}

/// A certificate for a PKCS#1 public key; only its subject public key info matters here.
fn certificate(public_pkcs1: &[u8]) -> String {
    use x509_cert::der::asn1::{BitString, UtcTime};
    use x509_cert::der::Encode as _;
    use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
    use x509_cert::time::{Time, Validity};
    let algorithm = |oid: &str, parameters| AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap(oid),
        parameters,
    };
    let null = Some(x509_cert::der::asn1::Null.into());
    let at = |secs: u64| {
        Time::UtcTime(UtcTime::from_unix_duration(std::time::Duration::from_secs(secs)).unwrap())
    };
    let sha256_with_rsa = algorithm("1.2.840.113549.1.1.11", null.clone());
    let tbs = x509_cert::TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: x509_cert::serial_number::SerialNumber::new(&[1]).unwrap(),
        signature: sha256_with_rsa.clone(),
        issuer: Default::default(),
        validity: Validity {
            not_before: at(now() - 60),
            not_after: at(now() + 3600),
        },
        subject: Default::default(),
        subject_public_key_info: SubjectPublicKeyInfoOwned {
            algorithm: algorithm("1.2.840.113549.1.1.1", null),
            subject_public_key: BitString::from_bytes(public_pkcs1).unwrap(),
        },
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: None,
    };
    let certificate = x509_cert::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: sha256_with_rsa,
        signature: BitString::from_bytes(&[0; 16]).unwrap(),
    };
    base64::engine::general_purpose::STANDARD.encode(certificate.to_der().unwrap())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token signed with `key`, its header naming the key by `kid` or `x5t`.
fn token(key: &Key, id: (&str, &str), cty: bool, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    match id {
        ("kid", v) => header.kid = Some(v.into()),
        (_, v) => header.x5t = Some(v.into()),
    }
    if cty {
        header.cty = Some("JWT".into());
    }
    callspec::auth::install_jwt_crypto();
    jsonwebtoken::encode(&header, &claims, &key.encoding).expect("signing")
}

fn claims(iss: &str) -> Value {
    let t = now();
    json!({"iss": iss, "aud": APP_ID, "tid": "tenant-1", "iat": t - 10, "nbf": t - 10,
           "exp": t + 3600, "appid": "26a18ebc-cdf7-4a6a-91cb-beb352805e81"})
}

/// The calling platform: an OpenID configuration (whose own issuer is not a notification
/// issuer) and a key set with two RSA keys and an EC key to skip.
async fn platform(first: &Key, second: &Key) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/.well-known/OpenIdConfiguration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": "https://api.aps.skype.com",
            "jwks_uri": format!("{}/v1/.well-known/keys", server.uri()),
            "id_token_signing_alg_values_supported": ["RS256"],
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/.well-known/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "use": "sig", "kid": "first", "n": first.n, "e": first.e},
            {"kty": "RSA", "use": "sig", "x5t": "second-thumb", "x5c": [second.x5c]},
        ]})))
        .mount(&server)
        .await;
    server
}

async fn published(server: &MockServer) -> Arc<Jwks> {
    let url = format!("{}/v1/.well-known/OpenIdConfiguration", server.uri());
    Jwks::fetch(&url, &reqwest::Client::new())
        .await
        .expect("the keys load")
}

#[tokio::test]
async fn both_calling_issuers_and_cty_jwt_tokens_are_valid() {
    let (first, second) = (key(), key());
    let server = platform(&first, &second).await;
    let jwks = published(&server).await;
    for issuer in CALLING_ISSUERS {
        for cty in [false, true] {
            let by_kid = token(&first, ("kid", "first"), cty, claims(issuer));
            assert_eq!(
                jwks.verify(&by_kid, APP_ID).map(|c| c.iss),
                Ok(issuer.into())
            );
            let by_x5t = token(&second, ("x5t", "second-thumb"), cty, claims(issuer));
            assert_eq!(
                jwks.verify(&by_x5t, APP_ID).map(|c| c.iss),
                Ok(issuer.into())
            );
        }
    }
    // Only iss, aud and exp are required: a token without tid, iat or nbf is fine.
    let bare = json!({"iss": CALLING_ISSUERS[0], "aud": APP_ID, "exp": now() + 60});
    let claims = jwks
        .verify(&token(&first, ("kid", "first"), true, bare), APP_ID)
        .expect("a bare token is valid");
    assert_eq!(claims.tid, "");
}

#[tokio::test]
async fn tokens_a_bot_must_refuse_are_refused_with_a_reason() {
    let (first, second, stranger) = (key(), key(), key());
    let server = platform(&first, &second).await;
    let jwks = published(&server).await;
    let t = now();
    // The HMAC case below signs with jsonwebtoken before any RSA case has.
    callspec::auth::install_jwt_crypto();
    let cases = [
        (
            "the configuration's issuer is not a notification issuer",
            token(
                &first,
                ("kid", "first"),
                false,
                claims("https://api.aps.skype.com"),
            ),
            "InvalidIssuer",
        ),
        (
            "another app's token",
            token(
                &first,
                ("kid", "first"),
                true,
                json!({"iss": CALLING_ISSUERS[1], "aud": "other-app", "exp": t + 60}),
            ),
            "InvalidAudience",
        ),
        (
            "expired",
            token(
                &first,
                ("kid", "first"),
                false,
                json!({"iss": CALLING_ISSUERS[1], "aud": APP_ID, "exp": t - 3600}),
            ),
            "ExpiredSignature",
        ),
        (
            "not yet valid",
            token(
                &first,
                ("kid", "first"),
                false,
                json!({"iss": CALLING_ISSUERS[1], "aud": APP_ID, "nbf": t + 3600, "exp": t + 7200}),
            ),
            "ImmatureSignature",
        ),
        (
            "signed by a key that claims a published kid",
            token(
                &stranger,
                ("kid", "first"),
                true,
                claims(CALLING_ISSUERS[0]),
            ),
            "InvalidSignature",
        ),
        (
            "a key id nobody published",
            token(
                &stranger,
                ("kid", "unknown"),
                false,
                claims(CALLING_ISSUERS[0]),
            ),
            "no published key has the token's key id unknown",
        ),
        (
            "an HMAC token",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(CALLING_ISSUERS[0]),
                &EncodingKey::from_secret(b"guessable"),
            )
            .unwrap(),
            "calling notifications are RSA-signed",
        ),
        ("not a token", "not.a.token".to_owned(), ""),
    ];
    for (what, token, reason) in cases {
        let refused = jwks.verify(&token, APP_ID).expect_err(what);
        assert!(refused.contains(reason), "{what}: {refused}");
    }
}

#[tokio::test]
async fn the_live_inbox_checks_each_notification_against_the_published_keys() {
    let (first, second) = (key(), key());
    let server = platform(&first, &second).await;
    let inbox = Inbox::start().await;
    inbox.log().verify_tokens(TokenVerifier {
        app_id: APP_ID.into(),
        keys: TokenKeys::Published(published(&server).await),
    });
    let client = reqwest::Client::new();
    let body = json!({"@odata.type": "#microsoft.graph.commsNotifications", "value": [
        {"@odata.type": "#microsoft.graph.commsNotification", "changeType": "updated",
         "resource": "/app/calls/c-1", "resourceUrl": "/communications/calls/c-1",
         "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "established"}}]});
    let good = token(
        &second,
        ("x5t", "second-thumb"),
        true,
        claims(CALLING_ISSUERS[0]),
    );
    let forged = token(&key(), ("kid", "first"), false, claims(CALLING_ISSUERS[0]));
    for bearer in [&good, &forged] {
        let answer = client
            .post(inbox.callback_uri())
            .bearer_auth(bearer)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202);
    }
    let received = inbox.log().all();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].token_check,
        Some(Ok("https://graph.microsoft.com".to_owned()))
    );
    assert!(matches!(&received[1].token_check, Some(Err(why)) if why.contains("InvalidSignature")));
    // What a report shows of the notification never holds the token.
    assert!(!format!("{received:?}").contains(&good));
}

#[tokio::test]
async fn unusable_key_documents_are_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/no-jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"issuer": "x"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ec-only"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"jwks_uri": format!("{}/ec-keys", server.uri())})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ec-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}]})))
        .mount(&server)
        .await;
    let client = reqwest::Client::new();
    for (at, why) in [
        ("/no-jwks", "no jwks_uri"),
        ("/ec-only", "no RSA key"),
        ("/missing", "404"),
    ] {
        let url = format!("{}{at}", server.uri());
        match Jwks::fetch(&url, &client).await {
            Err(e @ TargetError::Keys { .. }) => {
                let text = e.to_string();
                assert!(text.contains(&url) && text.contains(why), "{text}");
            }
            other => panic!("{at}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn rotated_keys_are_fetched_again_when_a_token_names_one() {
    let (first, second, rotated) = (key(), key(), key());
    let server = platform(&first, &second).await;
    let jwks = published(&server).await;
    let new_token = token(
        &rotated,
        ("kid", "rotated"),
        true,
        claims(CALLING_ISSUERS[0]),
    );
    let refused = jwks.verify(&new_token, APP_ID).expect_err("an unknown key");
    assert!(refused.contains("no published key"), "{refused}");
    // The platform publishes the new key.
    server.reset().await;
    let rotated_server = platform(&first, &second).await;
    Mock::given(method("GET"))
        .and(path("/v1/.well-known/OpenIdConfiguration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwks_uri": format!("{}/v1/.well-known/rotated-keys", rotated_server.uri()),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/.well-known/rotated-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [
            {"kty": "RSA", "kid": "first", "n": first.n, "e": first.e},
            {"kty": "RSA", "kid": "rotated", "n": rotated.n, "e": rotated.e},
        ]})))
        .mount(&rotated_server)
        .await;
    // A refresher that would wait an hour fetches at once, woken by the unknown key.
    let mut refreshes = jwks.refreshes();
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = errors.clone();
    let task = jwks.keep_fresh(
        reqwest::Client::new(),
        std::time::Duration::from_secs(3600),
        move |e| seen.lock().unwrap().push(e.to_string()),
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), refreshes.changed())
        .await
        .expect("the keys are fetched again within 10 s")
        .unwrap();
    task.abort();
    assert!(
        errors.lock().unwrap().is_empty(),
        "{:?}",
        errors.lock().unwrap()
    );
    assert_eq!(
        jwks.verify(&new_token, APP_ID).map(|c| c.iss),
        Ok(CALLING_ISSUERS[0].to_owned())
    );
    // The retired key is gone.
    let retired = token(
        &second,
        ("x5t", "second-thumb"),
        false,
        claims(CALLING_ISSUERS[0]),
    );
    assert!(jwks.verify(&retired, APP_ID).is_err());
}
