//! jsonwebtoken's signatures computed with ring.
//!
//! Why: jsonwebtoken's `rust_crypto` backend brought a second RSA stack (plus P-256, P-384,
//! Ed25519 and HMAC crates nobody here uses) beside ring, which rustls and the stand-in's token
//! signer already use. Only RSA tokens are ever checked (Graph's and the calling platform's are
//! RS256; `target.rs` refuses any other family), so this provider does the RSA algorithms, and
//! HMAC (which ring has too, and tests sign with), and refuses the elliptic ones. jsonwebtoken
//! keeps doing what it is for: parsing, claims, validation. ring checks RSA keys of 2048 to
//! 8192 bits, as Microsoft's are.

use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature as rs;

/// Makes ring jsonwebtoken's crypto provider for this process (idempotent; the first call wins).
pub fn install() {
    static PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: signer,
        verifier_factory: verifier,
        jwk_utils: JwkUtils::new_unimplemented(),
    };
    // Err only says a provider is installed already: this one, from an earlier call.
    let _ = PROVIDER.install_default();
}

fn verification(algorithm: Algorithm) -> Option<&'static rs::RsaParameters> {
    Some(match algorithm {
        Algorithm::RS256 => &rs::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &rs::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &rs::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &rs::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &rs::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &rs::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

fn padding(algorithm: Algorithm) -> Option<&'static dyn rs::RsaEncoding> {
    let padding: &'static dyn rs::RsaEncoding = match algorithm {
        Algorithm::RS256 => &rs::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &rs::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &rs::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &rs::RSA_PSS_SHA256,
        Algorithm::PS384 => &rs::RSA_PSS_SHA384,
        Algorithm::PS512 => &rs::RSA_PSS_SHA512,
        _ => return None,
    };
    Some(padding)
}

fn hmac(algorithm: Algorithm) -> Option<ring::hmac::Algorithm> {
    Some(match algorithm {
        Algorithm::HS256 => ring::hmac::HMAC_SHA256,
        Algorithm::HS384 => ring::hmac::HMAC_SHA384,
        Algorithm::HS512 => ring::hmac::HMAC_SHA512,
        _ => return None,
    })
}

struct Hmac {
    algorithm: Algorithm,
    key: ring::hmac::Key,
}

impl Signer<Vec<u8>> for Hmac {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(ring::hmac::sign(&self.key, message).as_ref().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hmac {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        ring::hmac::verify(&self.key, message, signature).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hmac {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl JwtVerifier for Hmac {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

struct RingVerifier {
    algorithm: Algorithm,
    parameters: &'static rs::RsaParameters,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let checked = match self.key.kind() {
            DecodingKeyKind::SecretOrDer(der) => {
                rs::UnparsedPublicKey::new(self.parameters, der).verify(message, signature)
            }
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                // ring wants the minimal big-endian form; some key documents pad with zeros
                // (the RustCrypto backend read them as numbers, so they verified there).
                let (n, e) = (minimal(n), minimal(e));
                rs::RsaPublicKeyComponents { n, e }.verify(self.parameters, message, signature)
            }
        };
        checked.map_err(|_| signature::Error::new())
    }
}

fn minimal(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    if let Some(hmac) = hmac(*algorithm) {
        let secret = key.try_get_hmac_secret()?;
        return Ok(Box::new(Hmac {
            algorithm: *algorithm,
            key: ring::hmac::Key::new(hmac, secret),
        }));
    }
    let parameters = verification(*algorithm).ok_or(ErrorKind::InvalidAlgorithm)?;
    if key.family() != AlgorithmFamily::Rsa {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        parameters,
        key: key.clone(),
    }))
}

struct RingSigner {
    algorithm: Algorithm,
    padding: &'static dyn rs::RsaEncoding,
    key: rs::RsaKeyPair,
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                self.padding,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| signature::Error::new())?;
        Ok(signature)
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if let Some(hmac) = hmac(*algorithm) {
        let secret = key.try_get_hmac_secret()?;
        return Ok(Box::new(Hmac {
            algorithm: *algorithm,
            key: ring::hmac::Key::new(hmac, secret),
        }));
    }
    let padding = padding(*algorithm).ok_or(ErrorKind::InvalidAlgorithm)?;
    if key.family() != AlgorithmFamily::Rsa {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    // EncodingKey::from_rsa_der/from_rsa_pem hold a PKCS#1 RSAPrivateKey.
    let key = rs::RsaKeyPair::from_der(key.inner())
        .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
    Ok(Box::new(RingSigner {
        algorithm: *algorithm,
        padding,
        key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, encode, Header, Validation};
    use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
    use rsa::traits::PublicKeyParts as _;
    use serde_json::{json, Value};

    fn claims() -> Value {
        json!({"aud": "me", "exp": jsonwebtoken::get_current_timestamp() + 600})
    }

    fn validation(algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&["me"]);
        validation
    }

    #[test]
    fn rsa_tokens_verify_with_either_key_form_and_a_changed_one_does_not() {
        install();
        let private = rsa::RsaPrivateKey::from_pkcs1_pem(include_str!("standin/test-keys/run.pem"))
            .expect("the test key");
        let der = private.to_pkcs1_der().expect("DER");
        for algorithm in [Algorithm::RS256, Algorithm::RS512, Algorithm::PS256] {
            let token = encode(
                &Header::new(algorithm),
                &claims(),
                &EncodingKey::from_rsa_der(der.as_bytes()),
            )
            .expect("signed");
            let public = private.to_public_key();
            // A modulus with a zero byte in front, as some key documents have it.
            let padded: Vec<u8> = [0].into_iter().chain(public.n().to_bytes_be()).collect();
            let keys = [
                DecodingKey::from_rsa_der(public.to_pkcs1_der().unwrap().as_bytes()),
                DecodingKey::from_rsa_raw_components(&padded, &public.e().to_bytes_be()),
            ];
            for key in &keys {
                let verified = decode::<Value>(&token, key, &validation(algorithm));
                assert_eq!(verified.expect("verified").claims["aud"], "me");
                let (signed, _) = token.rsplit_once('.').unwrap();
                let forged = format!("{signed}.{}", "A".repeat(342));
                let refused = decode::<Value>(&forged, key, &validation(algorithm)).unwrap_err();
                assert!(
                    matches!(refused.kind(), ErrorKind::InvalidSignature),
                    "{algorithm:?}: {refused}"
                );
            }
        }
    }

    #[test]
    fn hmac_tokens_round_trip_and_elliptic_ones_are_refused() {
        install();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"guessable"),
        )
        .expect("signed");
        let key = DecodingKey::from_secret(b"guessable");
        assert!(decode::<Value>(&token, &key, &validation(Algorithm::HS256)).is_ok());
        let other = DecodingKey::from_secret(b"another");
        assert!(decode::<Value>(&token, &other, &validation(Algorithm::HS256)).is_err());
        let refused = encode(
            &Header::new(Algorithm::ES256),
            &claims(),
            &EncodingKey::from_ec_der(b"not a key"),
        )
        .unwrap_err();
        assert!(
            matches!(refused.kind(), ErrorKind::InvalidAlgorithm),
            "{refused}"
        );
    }
}
