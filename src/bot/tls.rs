//! The gateway's TLS: a local CA and a server certificate for loopback.
//!
//! MSAL and the Azure SDKs refuse a plain-http authority, so the gateway speaks https. The CA is
//! **callspec's test CA for local runs**: made on this machine (ECDSA P-256), kept in the CA
//! folder as `ca.pem` and `ca-key.pem`, and reused by later runs, so a bot started by hand keeps
//! trusting it. Its key sits unencrypted on disk, so the CA is limited to what the gateway
//! needs: its extended key usage is TLS server authentication only (no S/MIME, client-auth or
//! code-signing certificate it signs verifies), and its name constraints permit loopback names
//! only (`127.0.0.0/8`, `::1`, `localhost`) and no e-mail address or URI (both are permitted
//! only under `.invalid`, a domain that never resolves). Even when someone adds it to a system
//! trust store, it cannot vouch for any other site. Directory names are not constrained:
//! rustls/webpki refuses every certificate under a CA with any directoryName constraint
//! (webpki#19), which would lock out Rust bots; a directory name is no TLS server identity, and
//! the EKU keeps such certificates from any other use. A fresh server certificate for
//! `127.0.0.1`, `localhost` and `::1` is signed at each start.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
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
    /// (The OS error is part of the message, not a `source`: chained error printers would
    /// say it twice.)
    #[error("cannot keep callspec's test CA in {}: {cause}", dir.display())]
    CaFolder { dir: PathBuf, cause: std::io::Error },
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
    /// What the user should fix, though it works (a CA key others can read).
    pub warnings: Vec<String>,
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
    let folder = |cause| TlsError::CaFolder {
        dir: ca_dir.to_owned(),
        cause,
    };
    let ca = match std::fs::create_dir_all(ca_dir)
        .and_then(|()| DirLock::take(&ca_dir.join(LOCK_FILE)))
    {
        Ok(_lock) => match load_ca(ca_dir) {
            Some(ca) => ca,
            None => {
                let ca = new_ca()?;
                save_ca(ca_dir, &ca).map_err(folder)?;
                ca
            }
        },
        // A read-only folder (a checked-out repository, a mounted volume) that already holds a
        // valid CA is used as it is: nothing needs writing.
        Err(e) => load_ca(ca_dir).ok_or_else(|| folder(e))?,
    };
    let mut warnings = Vec::new();
    if let Some(mode) = others_can_read(&ca_dir.join(CA_KEY_FILE)) {
        warnings.push(format!(
            "callspec's test CA key {} can be read by other users (mode {mode:o}): anyone on this \
             machine could sign certificates for loopback names with it; `chmod 600` it",
            crate::display_path(&ca_dir.join(CA_KEY_FILE))
        ));
    }
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
        warnings,
    })
}

/// The file's permission bits when users other than its owner may read it.
#[cfg(unix)]
fn others_can_read(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

/// Windows has no mode bits (access is by ACL, and a user's profile folder is private by
/// default), so there is nothing to warn about here.
#[cfg(not(unix))]
fn others_can_read(_path: &Path) -> Option<u32> {
    None
}

/// DER: a tag and its content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The CA's name constraints (RFC 5280 4.2.1.10), critical: loopback addresses and
/// `localhost` only; e-mail addresses and URIs only under `.invalid` (that is, none). Written
/// by hand: rcgen has no URI subtrees.
fn name_constraints() -> CustomExtension {
    // GeneralSubtree ::= SEQUENCE { base GeneralName } (minimum 0 and no maximum, both left out).
    let subtree = |tag: u8, value: &[u8]| der(0x30, &der(tag, value));
    let mut loopback_v6 = [0u8; 32];
    loopback_v6[15] = 1;
    loopback_v6[16..].fill(0xff);
    let permitted: Vec<u8> = [
        subtree(0x87, &[127, 0, 0, 0, 255, 0, 0, 0]), // iPAddress 127.0.0.0/8
        subtree(0x87, &loopback_v6),                  // iPAddress ::1/128
        subtree(0x82, b"localhost"),                  // dNSName
        subtree(0x81, b".invalid"),                   // rfc822Name: no real address
        subtree(0x86, b".invalid"),                   // uniformResourceIdentifier: no real host
    ]
    .concat();
    let value = der(0x30, &der(0xa0, &permitted));
    let mut extension = CustomExtension::from_oid_content(&[2, 5, 29, 30], value);
    extension.set_criticality(true);
    extension
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
    // What it may sign for: TLS servers only (OpenSSL checks a CA's EKU against the purpose).
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.custom_extensions = vec![name_constraints()];
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
    let written = write_then_rename(&temporary, path, contents, mode);
    if written.is_err() {
        // A half-written key must not stay behind.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_then_rename(
    temporary: &Path,
    path: &Path,
    contents: &[u8],
    mode: u32,
) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(temporary, path)
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

    /// A leaf for `names` with `purpose`, signed by the CA kept in `dir`, written as PEM.
    fn leaf(dir: &Path, file: &str, names: Vec<SanType>, purpose: ExtendedKeyUsagePurpose) {
        let ca = load_ca(dir).expect("the CA is kept");
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.subject_alt_names = names;
        params.extended_key_usages = vec![purpose];
        let now = SystemTime::now();
        set_validity(&mut params, now - BACKDATE, now + LEAF_LIFETIME);
        let cert = params.signed_by(&key, &ca.issuer, &ca.key).unwrap();
        std::fs::write(dir.join(file), cert.pem()).unwrap();
    }

    fn openssl_verifies(dir: &Path, purpose: &str, file: &str) -> bool {
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile", "ca.pem", "-purpose", purpose, file])
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        out.status.success()
    }

    #[test]
    fn openssl_accepts_only_loopback_tls_servers_under_the_ca() {
        let has_openssl = std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_openssl {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: the CA's limits are checked with the openssl command, not installed here"
            );
            return;
        }
        let dir = temp_dir("openssl");
        setup(&dir).unwrap();
        let localhost = || vec![SanType::DnsName("localhost".try_into().unwrap())];
        let email = SanType::Rfc822Name("someone@example.com".try_into().unwrap());
        let uri = SanType::URI("https://example.com/".try_into().unwrap());
        leaf(
            &dir,
            "server.pem",
            localhost(),
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        assert!(openssl_verifies(&dir, "sslserver", "server.pem"));
        let cases = [
            (
                "smime.pem",
                vec![email.clone()],
                ExtendedKeyUsagePurpose::EmailProtection,
                "smimesign",
            ),
            (
                "smime-local.pem",
                localhost(),
                ExtendedKeyUsagePurpose::EmailProtection,
                "smimesign",
            ),
            (
                "client.pem",
                localhost(),
                ExtendedKeyUsagePurpose::ClientAuth,
                "sslclient",
            ),
            (
                "code.pem",
                localhost(),
                ExtendedKeyUsagePurpose::CodeSigning,
                "codesign",
            ),
            (
                "email-server.pem",
                vec![email],
                ExtendedKeyUsagePurpose::ServerAuth,
                "sslserver",
            ),
            (
                "uri-server.pem",
                vec![uri],
                ExtendedKeyUsagePurpose::ServerAuth,
                "sslserver",
            ),
            (
                "other-host.pem",
                vec![SanType::DnsName("example.com".try_into().unwrap())],
                ExtendedKeyUsagePurpose::ServerAuth,
                "sslserver",
            ),
        ];
        for (file, names, eku, purpose) in cases {
            leaf(&dir, file, names, eku);
            assert!(
                !openssl_verifies(&dir, purpose, file),
                "{file} verified for {purpose}"
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn a_read_only_folder_with_a_valid_ca_is_used_and_a_world_readable_key_is_warned_about() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir("read-only");
        let first = setup(&dir).unwrap();
        assert!(first.warnings.is_empty(), "{:?}", first.warnings);
        std::fs::set_permissions(
            dir.join(CA_KEY_FILE),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        // Read-only: root writes anyway, so the lock file is also made impossible to open for
        // writing (a folder in its place), as on a read-only mount.
        std::fs::remove_file(dir.join(LOCK_FILE)).unwrap();
        std::fs::create_dir(dir.join(LOCK_FILE)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let second = setup(&dir);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let second = second.expect("a read-only folder with a valid CA is fine");
        assert_eq!(first.ca_pem, second.ca_pem);
        assert!(
            second.warnings.len() == 1 && second.warnings[0].contains("mode 644"),
            "{:?}",
            second.warnings
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_ca_that_cannot_be_written_says_why_once_and_leaves_no_temporary_file() {
        let dir = temp_dir("unwritable");
        // `ca.pem` is a folder with something in it: the rename over it fails.
        std::fs::create_dir_all(dir.join(CA_FILE).join("x")).unwrap();
        let error = setup(&dir).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(std::error::Error::source(&error).is_none(), "{message}");
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
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
