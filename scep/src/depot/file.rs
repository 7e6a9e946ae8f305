//! A depot in a directory, in the layout of micromdm's file depot (the
//! `-depot DIR` of `scepserver` 2.1.0), so either program can serve it:
//!
//! | file | content |
//! |---|---|
//! | `ca.pem` | the CA certificate |
//! | `ca.key` | its PKCS#1 key, legacy-encrypted PEM (DES-EDE3-CBC) with the configured password, possibly empty; unencrypted PKCS#1 or PKCS#8 is accepted when reading |
//! | `serial` | the next serial, lower-case hex with an even number of digits |
//! | `index.txt` | one OpenSSL `ca` style line per certificate, in issue order |
//! | `<CN>.<serial>.pem` | each issued certificate (`<sha256 hex>.<serial>.pem` without CN) |
//!
//! Writers are serialised by a mutex within the process and by an
//! exclusive lock on `depot.lock` across processes (scepserver itself
//! takes no lock: do not run both on one depot at the same time). Every
//! file is replaced atomically, so readers take no lock.
//!
//! Lookups read `index.txt` and the certificate files on demand, so they
//! see what other processes wrote; that suits CAs of up to some thousands
//! of certificates. The files are tiny, so the async methods do their
//! blocking file I/O inline rather than on a blocking thread pool.

mod disk;
mod index;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;
use cryptoutil::cert::{self, Certificate};
use cryptoutil::der::Decode;
use cryptoutil::pem::legacy;
use cryptoutil::x509_cert::name::Name;
use cryptoutil::{PrivateKey, RsaPrivateKey};

use self::disk::{DirLock, Mode};
use self::index::{Entry, Line};
use super::{Depot, Identity, IssuedCertificate, serial_bytes};
use crate::error::BoxError;

const CA_CERTIFICATE: &str = "ca.pem";
const CA_KEY: &str = "ca.key";
const SERIAL: &str = "serial";
const INDEX: &str = "index.txt";
/// The first serial after the CA's own (1).
const FIRST_SERIAL: u128 = 2;

/// Why a [`FileDepot`] operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileDepotError {
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: "read", "create", "rename to", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// [`FileDepot::create`] found an existing CA, or a certificate file
    /// already exists.
    #[error("{} already exists", .0.display())]
    AlreadyExists(PathBuf),
    /// The CA certificate or key cannot be read or encoded.
    #[error("{what}")]
    Crypto {
        /// What failed, e.g. "cannot decrypt ca.key".
        what: &'static str,
        /// The reason.
        #[source]
        source: cryptoutil::Error,
    },
    /// `ca.key` holds another key than the one certified by `ca.pem`.
    #[error("ca.key does not belong to the certificate in ca.pem")]
    KeyMismatch,
    /// A depot file holds something this depot cannot read.
    #[error("{}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// [`Depot::put`] of a serial that is already stored.
    #[error("a certificate with serial {0} is already stored")]
    DuplicateSerial(String),
}

/// A CA depot in a directory, compatible with micromdm's `scepserver`.
#[derive(Debug)]
pub struct FileDepot {
    dir: PathBuf,
    ca: Identity,
    /// Serialises this process's writers (the file lock does the same
    /// across processes).
    writer: Mutex<()>,
}

impl FileDepot {
    /// Writes a new depot into `dir` (created if missing): `ca.pem`
    /// (0444), `ca.key` (0400, legacy-encrypted with `password`, as
    /// `scepserver ca -init` does), `serial` = 02 and an empty `index.txt`.
    ///
    /// Refuses to overwrite an existing `ca.pem` or `ca.key`.
    pub fn create(
        dir: impl AsRef<Path>,
        ca_certificate: &Certificate,
        ca_key: &RsaPrivateKey,
        password: &[u8],
    ) -> Result<Self, FileDepotError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(disk::io_error("create", dir))?;
        check_key_matches(ca_certificate, ca_key)?;
        let _lock = DirLock::acquire(dir)?;
        for name in [CA_CERTIFICATE, CA_KEY] {
            if dir.join(name).exists() {
                return Err(FileDepotError::AlreadyExists(dir.join(name)));
            }
        }
        let key_pem = encrypt_key(ca_key, password)?;
        let cert_pem = cert::to_pem(ca_certificate).map_err(crypto("cannot encode ca.pem"))?;
        disk::write_atomic(dir, CA_KEY, key_pem.as_bytes(), 0o400, Mode::Exclusive)?;
        disk::write_atomic(
            dir,
            CA_CERTIFICATE,
            cert_pem.as_bytes(),
            0o444,
            Mode::Exclusive,
        )?;
        create_missing_files(dir)?;
        let key = RsaPrivateKey::from_pkcs8_der(ca_key.to_pkcs8_der())
            .map_err(crypto("cannot copy the CA key"))?;
        Ok(Self::with_identity(dir, ca_certificate.clone(), key))
    }

    /// Opens the depot in `dir`, decrypting `ca.key` with `password` and
    /// checking that it belongs to `ca.pem`. Creates `index.txt` and
    /// `serial` when missing, as `scepserver` does.
    pub fn open(dir: impl AsRef<Path>, password: &[u8]) -> Result<Self, FileDepotError> {
        let dir = dir.as_ref();
        let cert_path = dir.join(CA_CERTIFICATE);
        let certificate = cert::from_pem(&disk::read_text(&cert_path)?)
            .map_err(crypto("cannot read ca.pem"))?
            .remove(0);
        let key = load_key(&disk::read_text(&dir.join(CA_KEY))?, password)?;
        check_key_matches(&certificate, &key)?;
        {
            let _lock = DirLock::acquire(dir)?;
            create_missing_files(dir)?;
        }
        Ok(Self::with_identity(dir, certificate, key))
    }

    fn with_identity(dir: &Path, certificate: Certificate, key: RsaPrivateKey) -> Self {
        Self {
            dir: dir.to_owned(),
            ca: Identity {
                certificate,
                key: Arc::new(key),
            },
            writer: Mutex::new(()),
        }
    }

    /// The depot's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Excludes other writers, in this process and in others.
    fn write_lock(&self) -> Result<(MutexGuard<'_, ()>, DirLock), FileDepotError> {
        // The mutex guards no data, so a poisoned one is still usable.
        let guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        Ok((guard, DirLock::acquire(&self.dir)?))
    }

    fn read_index(&self) -> Result<Vec<Line>, FileDepotError> {
        let text = disk::read_text_if_exists(&self.dir.join(INDEX))?;
        Ok(index::parse(&text.unwrap_or_default()))
    }

    fn write_index(&self, lines: &[Line]) -> Result<(), FileDepotError> {
        let text = index::render(lines);
        disk::write_atomic(&self.dir, INDEX, text.as_bytes(), 0o600, Mode::Replace)
    }

    fn next_serial_blocking(&self) -> Result<Vec<u8>, FileDepotError> {
        let _lock = self.write_lock()?;
        let path = self.dir.join(SERIAL);
        let stored = match disk::read_text_if_exists(&path)? {
            Some(text) => Some(parse_serial_file(&path, &text)?),
            None => None,
        };
        // Also step over every serial in index.txt: a depot whose `serial`
        // holds the last issued serial (micromdm after 2.1.0) or lags
        // behind for another reason never hands out a stored serial again.
        let next = next_free_serial(stored, &self.read_index()?);
        let after = next.checked_add(1).ok_or_else(|| FileDepotError::Corrupt {
            path: path.clone(),
            reason: "serial numbers are exhausted".into(),
        })?;
        write_serial_file(&self.dir, after)?;
        Ok(serial_bytes(next))
    }

    fn put_blocking(&self, certificate: &Certificate) -> Result<(), FileDepotError> {
        let serial = certificate.tbs_certificate.serial_number.as_bytes();
        let _lock = self.write_lock()?;
        let mut lines = self.read_index()?;
        if index::entries(&lines).any(|e| e.has_serial(serial)) {
            return Err(FileDepotError::DuplicateSerial(index::serial_hex(serial)));
        }
        let file = certificate_file_name(certificate)?;
        let pem = cert::to_pem(certificate).map_err(crypto("cannot encode the certificate"))?;
        disk::write_atomic(&self.dir, &file, pem.as_bytes(), 0o444, Mode::Exclusive)?;
        lines.push(Line::Entry(Entry::valid(certificate, &file)));
        self.write_index(&lines).inspect_err(|_| {
            // Leave no certificate file that index.txt does not list.
            let _ = std::fs::remove_file(self.dir.join(&file));
        })
    }

    fn revoke_blocking(&self, serial: &[u8], at: SystemTime) -> Result<bool, FileDepotError> {
        let _lock = self.write_lock()?;
        let mut lines = self.read_index()?;
        let found = lines.iter_mut().find_map(|line| match line {
            Line::Entry(entry) if entry.has_serial(serial) => Some(entry),
            _ => None,
        });
        let Some(entry) = found else {
            return Ok(false);
        };
        if entry.status != 'R' {
            entry.revoke(at);
            self.write_index(&lines)?;
        }
        Ok(true)
    }

    /// Every stored certificate for which `keep` holds, in index order.
    fn issued_where(
        &self,
        keep: impl Fn(&Entry) -> bool,
        matches: impl Fn(&Certificate) -> bool,
    ) -> Result<Vec<IssuedCertificate>, FileDepotError> {
        let lines = self.read_index()?;
        let mut out = Vec::new();
        for entry in index::entries(&lines).filter(|e| keep(e)) {
            let certificate = self.load_certificate(entry)?;
            if matches(&certificate) {
                out.push(IssuedCertificate {
                    certificate,
                    revoked_at: entry.revoked_at(),
                });
            }
        }
        Ok(out)
    }

    /// Reads the certificate file an index entry names (or, for
    /// `unknown`, finds it by its serial).
    fn load_certificate(&self, entry: &Entry) -> Result<Certificate, FileDepotError> {
        let name = if disk::is_plain_file_name(&entry.file) && entry.file != "unknown" {
            entry.file.clone()
        } else {
            self.find_file_by_serial(entry)?
        };
        let path = self.dir.join(&name);
        let certificate = cert::from_pem(&disk::read_text(&path)?)
            .map_err(|e| corrupt(&path, format!("not a certificate PEM ({e})")))?
            .remove(0);
        if !entry.has_serial(certificate.tbs_certificate.serial_number.as_bytes()) {
            return Err(corrupt(&path, "serial differs from index.txt".into()));
        }
        Ok(certificate)
    }

    fn find_file_by_serial(&self, entry: &Entry) -> Result<String, FileDepotError> {
        let suffix = format!(".{}.pem", index::serial_decimal(&entry.serial()));
        let entries = std::fs::read_dir(&self.dir).map_err(disk::io_error("list", &self.dir))?;
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .find(|name| name.ends_with(&suffix) && disk::is_plain_file_name(name))
            .ok_or_else(|| {
                corrupt(
                    &self.dir.join(INDEX),
                    format!("no certificate file for serial {}", entry.serial_hex),
                )
            })
    }
}

#[async_trait]
impl Depot for FileDepot {
    async fn ca(&self) -> Result<Identity, BoxError> {
        Ok(self.ca.clone())
    }

    async fn next_serial(&self) -> Result<Vec<u8>, BoxError> {
        Ok(self.next_serial_blocking()?)
    }

    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError> {
        Ok(self.put_blocking(certificate)?)
    }

    async fn revoke(&self, serial: &[u8], at: SystemTime) -> Result<bool, BoxError> {
        Ok(self.revoke_blocking(serial, at)?)
    }

    async fn find_by_serial(&self, serial: &[u8]) -> Result<Option<IssuedCertificate>, BoxError> {
        let mut found = self.issued_where(|e| e.has_serial(serial), |_| true)?;
        Ok(found.pop())
    }

    async fn find_by_subject(&self, subject: &Name) -> Result<Vec<IssuedCertificate>, BoxError> {
        Ok(self.issued_where(|_| true, |c| &c.tbs_certificate.subject == subject)?)
    }

    async fn list(&self) -> Result<Vec<IssuedCertificate>, BoxError> {
        Ok(self.issued_where(|_| true, |_| true)?)
    }
}

fn crypto(what: &'static str) -> impl FnOnce(cryptoutil::Error) -> FileDepotError {
    move |source| FileDepotError::Crypto { what, source }
}

fn corrupt(path: &Path, reason: String) -> FileDepotError {
    FileDepotError::Corrupt {
        path: path.to_owned(),
        reason,
    }
}

fn check_key_matches(certificate: &Certificate, key: &RsaPrivateKey) -> Result<(), FileDepotError> {
    let certified = cert::public_key(certificate).map_err(crypto("cannot read ca.pem's key"))?;
    if &certified == key.public_key() {
        Ok(())
    } else {
        Err(FileDepotError::KeyMismatch)
    }
}

/// `ca.key` as `scepserver ca -init` writes it: PKCS#1, legacy-encrypted.
fn encrypt_key(key: &RsaPrivateKey, password: &[u8]) -> Result<String, FileDepotError> {
    let info = pkcs8::PrivateKeyInfo::from_der(key.to_pkcs8_der()).map_err(|e| {
        FileDepotError::Crypto {
            what: "cannot encode ca.key",
            source: cryptoutil::Error::Asn1 {
                what: "PrivateKeyInfo",
                source: e,
            },
        }
    })?;
    legacy::encrypt_des3("RSA PRIVATE KEY", info.private_key, password)
        .map_err(crypto("cannot encrypt ca.key"))
}

/// Reads `ca.key`: legacy-encrypted PKCS#1 or PKCS#8, or either unencrypted.
fn load_key(text: &str, password: &[u8]) -> Result<RsaPrivateKey, FileDepotError> {
    if !text.contains("Proc-Type: 4,ENCRYPTED") {
        return RsaPrivateKey::from_pem(text).map_err(crypto("cannot read ca.key"));
    }
    let (label, der) = legacy::decrypt(text, password).map_err(crypto("cannot decrypt ca.key"))?;
    let key = match label.as_str() {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der),
        _ => RsaPrivateKey::from_der(&der),
    };
    key.map_err(crypto("cannot read ca.key"))
}

/// Creates `index.txt` (empty) and `serial` (after every indexed serial,
/// at least 02) when they are missing. The caller holds the lock.
fn create_missing_files(dir: &Path) -> Result<(), FileDepotError> {
    let index_path = dir.join(INDEX);
    let lines = match disk::read_text_if_exists(&index_path)? {
        Some(text) => index::parse(&text),
        None => {
            disk::write_atomic(dir, INDEX, b"", 0o600, Mode::Replace)?;
            Vec::new()
        }
    };
    if !dir.join(SERIAL).exists() {
        write_serial_file(dir, next_free_serial(None, &lines))?;
    }
    Ok(())
}

/// The smallest serial that is at least `stored` (default 2), at least 2,
/// and above every serial in `lines` that fits in 128 bits.
fn next_free_serial(stored: Option<u128>, lines: &[Line]) -> u128 {
    let above_index = index::entries(lines)
        .filter_map(|e| {
            let bytes = e.serial();
            let mut array = [0u8; 16];
            let start = 16usize.checked_sub(bytes.len())?;
            array[start..].copy_from_slice(&bytes);
            u128::from_be_bytes(array).checked_add(1)
        })
        .max()
        .unwrap_or(FIRST_SERIAL);
    stored
        .unwrap_or(FIRST_SERIAL)
        .max(above_index)
        .max(FIRST_SERIAL)
}

fn parse_serial_file(path: &Path, text: &str) -> Result<u128, FileDepotError> {
    let digits = text.trim();
    if digits.is_empty() || digits.len() > 32 {
        return Err(corrupt(path, format!("not a serial number: {digits:?}")));
    }
    u128::from_str_radix(digits, 16)
        .map_err(|_| corrupt(path, format!("not a serial number: {digits:?}")))
}

/// Lower-case hex with an even number of digits and a newline, as
/// micromdm writes it.
fn write_serial_file(dir: &Path, serial: u128) -> Result<(), FileDepotError> {
    let mut hex = format!("{serial:x}");
    if !hex.len().is_multiple_of(2) {
        hex.insert(0, '0');
    }
    hex.push('\n');
    disk::write_atomic(dir, SERIAL, hex.as_bytes(), 0o400, Mode::Replace)
}

/// `<CN>.<serial decimal>.pem`, or `<sha256 hex>.<serial>.pem` without CN.
fn certificate_file_name(certificate: &Certificate) -> Result<String, FileDepotError> {
    let serial = index::serial_decimal(certificate.tbs_certificate.serial_number.as_bytes());
    let stem = match cert::common_name(certificate).filter(|cn| !cn.is_empty()) {
        Some(cn) => disk::sanitise_file_stem(&cn),
        None => cert::sha256_fingerprint(certificate)
            .map_err(crypto("cannot hash the certificate"))?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    };
    Ok(format!("{stem}.{serial}.pem"))
}

#[cfg(test)]
mod tests;
