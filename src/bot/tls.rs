//! The gateway's TLS: a local CA and a server certificate for loopback.
//!
//! MSAL and the Azure SDKs refuse a plain-http authority, so the gateway speaks https. The CA is
//! **callspec's test CA for local runs**: made on this machine (ECDSA P-256), kept in the CA
//! folder as `ca.pem` and `ca-key.pem`, and reused by later runs, so a bot started by hand keeps
//! trusting it. Its key sits unencrypted on disk, so it is limited by name constraints to
//! loopback names (`127.0.0.0/8`, `::1`, `localhost`): even when someone adds it to a system
//! trust store, it cannot vouch for any other site. A fresh server certificate for
//! `127.0.0.1`, `localhost` and `::1` is signed at each start.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
    SanType,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA's file names in the CA folder.
pub(crate) const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
/// Held (flock) while the CA is read or made, so two runs starting at once share one CA.
const LOCK_FILE: &str = ".ca.lock";
/// The CA's common name: what a user sees in a certificate viewer or a TLS error.
const CA_NAME: &str = "callspec test CA (local test runs only, never trust it elsewhere)";
const ORGANIZATION: &str = "callspec (test only)";
/// How long a new CA is valid: long enough that a bot set up by hand keeps working.
const CA_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// A CA this close to its end is replaced.
const CA_RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a server certificate is valid (a new one is made at every start).
const LEAF_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// Certificates start a little in the past: clocks differ, and the bot may check at once.
const BACKDATE: Duration = Duration::from_secs(3600);
/// Explanatory text before the PEM block (PEM readers skip it).
const CA_NOTE: &str =
    "# callspec's test CA for local runs (the bot gateway's https). Made on this\n\
# machine; trust it only in test runs. It can only vouch for 127.0.0.0/8, ::1 and localhost.\n";

/// Why the TLS set-up failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA folder cannot be made, locked, read or written.
    #[error("cannot keep callspec's test CA in {}: {source}", dir.display())]
    CaFolder {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// Making or signing a certificate failed.
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The TLS library refused the configuration.
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The CA in use and the server's TLS configuration.
pub(crate) struct Tls {
    /// The CA's PEM file (what the bot is told to trust).
    pub ca_file: PathBuf,
    /// The CA's certificate, PEM as stored (for HTTP clients in this process).
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// Loads the CA from `ca_dir` (or makes it there) and signs a server certificate with it.
pub(crate) fn setup(ca_dir: &Path) -> Result<Tls, TlsError> {
    let folder = |source| TlsError::CaFolder {
        dir: ca_dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(ca_dir).map_err(folder)?;
    let _lock = DirLock::take(&ca_dir.join(LOCK_FILE)).map_err(folder)?;
    let ca = match load_ca(ca_dir) {
        Some(ca) => ca,
        None => {
            let ca = new_ca()?;
            save_ca(ca_dir, &ca).map_err(folder)?;
            ca
        }
    };
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params().signed_by(&leaf_key, &ca.issuer, &ca.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )?;
    // The gateway speaks HTTP/1.1 only.
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        ca_file: ca_dir.join(CA_FILE),
        ca_pem: ca.pem,
        server: Arc::new(server),
    })
}

/// The CA: its key, its PEM as stored, and a certificate with its name and key to sign with.
struct Ca {
    key: KeyPair,
    pem: String,
    issuer: rcgen::Certificate,
}

/// Sets a certificate's validity, `from` to `until` (wall clock).
fn set_validity(params: &mut CertificateParams, from: SystemTime, until: SystemTime) {
    let since_epoch = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + since_epoch(from);
    params.not_after = epoch + since_epoch(until);
}

/// What the CA certificate says, apart from its validity.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, ORGANIZATION);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut loopback_v6 = [0u8; 16];
    loopback_v6[15] = 1;
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
            GeneralSubtree::IpAddress(CidrSubnet::from_v6_prefix(loopback_v6, 128)),
            GeneralSubtree::DnsName("localhost".into()),
        ],
        excluded_subtrees: Vec::new(),
    });
    params
}

/// The server certificate: loopback by address and by name, for TLS servers only.
fn leaf_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        "callspec bot gateway on loopback (test only)",
    );
    name.push(DnType::OrganizationName, ORGANIZATION);
    params.distinguished_name = name;
    params.subject_alt_names = vec![
        SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
        SanType::DnsName("localhost".try_into().expect("an IA5 string")),
    ];
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = SystemTime::now();
    set_validity(&mut params, now - BACKDATE, now + LEAF_LIFETIME);
    params
}

fn new_ca() -> Result<Ca, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = ca_params();
    let now = SystemTime::now();
    set_validity(&mut params, now - BACKDATE, now + CA_LIFETIME);
    let issuer = params.self_signed(&key)?;
    Ok(Ca {
        pem: format!("{CA_NOTE}{}", issuer.pem()),
        key,
        issuer,
    })
}

/// The certificate in a PEM text (the first `CERTIFICATE` block), as DER.
fn pem_certificate(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = pem.find(begin)? + begin.len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The CA kept in `dir`, when it is callspec's, whole (certificate and key match) and not about
/// to expire; `None` means a new one is to be made.
fn load_ca(dir: &Path) -> Option<Ca> {
    use x509_cert::der::Decode as _;
    let pem = std::fs::read_to_string(dir.join(CA_FILE)).ok()?;
    let key = KeyPair::from_pem(&std::fs::read_to_string(dir.join(CA_KEY_FILE)).ok()?).ok()?;
    let stored = x509_cert::Certificate::from_der(&pem_certificate(&pem)?).ok()?;
    // Signing needs the CA as a certificate object: the same name and key give the same issuer
    // name and key identifier as the stored one.
    let mut params = ca_params();
    let now = SystemTime::now();
    set_validity(&mut params, now - BACKDATE, now + CA_LIFETIME);
    let issuer = params.self_signed(&key).ok()?;
    let made = x509_cert::Certificate::from_der(issuer.der()).ok()?;
    let stored_tbs = &stored.tbs_certificate;
    let until = UNIX_EPOCH + stored_tbs.validity.not_after.to_unix_duration();
    let from = UNIX_EPOCH + stored_tbs.validity.not_before.to_unix_duration();
    let whole = stored_tbs.subject == made.tbs_certificate.subject
        && stored_tbs.subject_public_key_info == made.tbs_certificate.subject_public_key_info
        && stored_tbs.extensions == made.tbs_certificate.extensions;
    (whole && from <= now && until > now + CA_RENEW_BEFORE).then_some(Ca { key, pem, issuer })
}

/// Writes the CA to `dir`: the key readable by its owner only, each file replaced whole.
fn save_ca(dir: &Path, ca: &Ca) -> std::io::Result<()> {
    write_replacing(
        &dir.join(CA_KEY_FILE),
        ca.key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_replacing(&dir.join(CA_FILE), ca.pem.as_bytes(), 0o644)
}

fn write_replacing(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// An exclusive lock on a file, released when dropped (and by the system when the process
/// ends, so a crashed run leaves no stale lock).
struct DirLock {
    _file: std::fs::File,
}

impl DirLock {
    fn take(path: &Path) -> std::io::Result<DirLock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd as _;
            // Held for the few milliseconds it takes to read or make the CA.
            // SAFETY: flock only takes a descriptor we own for the call's duration.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(DirLock { _file: file })
    }
}

/// The CA's certificate as DER, from its PEM.
#[cfg(test)]
fn ca_der(ca_pem: &str) -> Option<Vec<u8>> {
    pem_certificate(ca_pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "callspec-tls-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_ca_is_made_once_and_reused_and_its_key_is_private() {
        let dir = temp_dir("reuse");
        let first = setup(&dir).unwrap();
        let second = setup(&dir).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.ca_file, dir.join("ca.pem"));
        assert!(first.ca_pem.starts_with("# callspec's test CA"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join("ca-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_broken_or_foreign_ca_is_replaced() {
        let dir = temp_dir("broken");
        let first = setup(&dir).unwrap();
        // Another key next to the certificate: the pair is not whole.
        std::fs::write(
            dir.join("ca-key.pem"),
            KeyPair::generate().unwrap().serialize_pem(),
        )
        .unwrap();
        let second = setup(&dir).unwrap();
        assert_ne!(first.ca_pem, second.ca_pem);
        // A certificate file that is not one.
        std::fs::write(dir.join("ca.pem"), "not a certificate").unwrap();
        let third = setup(&dir).unwrap();
        assert_ne!(second.ca_pem, third.ca_pem);
        assert_eq!(setup(&dir).unwrap().ca_pem, third.ca_pem);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_ca_is_labelled_and_limited_to_loopback() {
        use x509_cert::der::Decode as _;
        let dir = temp_dir("label");
        let tls = setup(&dir).unwrap();
        let der = ca_der(&tls.ca_pem).unwrap();
        let ca = x509_cert::Certificate::from_der(&der).unwrap();
        let subject = ca.tbs_certificate.subject.to_string();
        assert!(subject.contains("callspec test CA"), "{subject}");
        let name_constraints = x509_cert::der::oid::db::rfc5280::ID_CE_NAME_CONSTRAINTS;
        let extensions = ca.tbs_certificate.extensions.unwrap_or_default();
        assert!(extensions.iter().any(|e| e.extn_id == name_constraints));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Answers every request with 200.
    struct Fine;

    impl crate::hosting::Handler for Fine {
        fn handle(&self, _: crate::hosting::Request) -> crate::hosting::WireReply {
            crate::hosting::WireReply::new(200)
        }
    }

    #[tokio::test]
    async fn a_handshake_that_never_finishes_is_cut_at_the_idle_timeout() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let dir = temp_dir("slow");
        let tls = setup(&dir).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let limits = crate::hosting::Limits {
            idle_timeout: Duration::from_millis(300),
            ..Default::default()
        };
        let _space = crate::hosting::Host::serve_tls(
            listener,
            Arc::new(Fine),
            limits,
            crate::hosting::plain_refusal,
            tls.server,
        )
        .unwrap();
        // Silent, and a handshake that starts and stalls: both closed after the idle timeout.
        for opening in [&[][..], &[0x16, 0x03, 0x01, 0x00, 0x40][..]] {
            let started = std::time::Instant::now();
            let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
            client.write_all(opening).await.unwrap();
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_secs(5), client.read(&mut byte))
                .await
                .expect("the server closes the connection");
            assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
            assert!(started.elapsed() >= Duration::from_millis(250));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
