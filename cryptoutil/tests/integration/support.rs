//! A scratch directory per test and an `openssl` runner.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::Certificate;

/// A scratch directory, removed on drop.
pub(crate) struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cryptoutil-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub(crate) fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, data).unwrap();
        path
    }

    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Runs openssl in this directory and returns stdout; panics with
    /// stderr when it fails.
    pub(crate) fn openssl(&self, args: &[&str]) -> Vec<u8> {
        let out = self.openssl_status(args);
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs openssl in this directory and returns its whole output.
    pub(crate) fn openssl_status(&self, args: &[&str]) -> std::process::Output {
        Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("openssl not found: run ./test.sh, or apt-get install openssl")
    }

    /// An RSA key (PKCS#8 `key.pem`) and a self-signed certificate
    /// (`cert.pem`) made by openssl, named `name`.
    pub(crate) fn openssl_identity(&self, name: &str) -> (RsaPrivateKey, Certificate) {
        let key = format!("{name}.key");
        let cert = format!("{name}.pem");
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &cert,
            "-days",
            "30",
            "-subj",
            &format!("/O=cryptoutil tests/CN={name}"),
        ]);
        (self.key(&key), self.cert(&cert))
    }

    pub(crate) fn key(&self, name: &str) -> RsaPrivateKey {
        RsaPrivateKey::from_pem(&String::from_utf8(self.read(name)).unwrap()).unwrap()
    }

    pub(crate) fn cert(&self, name: &str) -> Certificate {
        cryptoutil::cert::from_pem_or_der(&self.read(name))
            .unwrap()
            .remove(0)
    }

    /// Writes `cert` as PEM under `name`.
    pub(crate) fn write_cert(&self, name: &str, cert: &Certificate) -> PathBuf {
        self.write(name, cryptoutil::cert::to_pem(cert).unwrap())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The shared upstream fixtures (`shared/fixtures`, beside the checkout).
pub(crate) fn shared_fixture(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let file = root.join(path);
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("shared fixture {} missing: {e}", file.display()))
}

/// Our own key and self-signed certificate, made by this crate.
pub(crate) fn own_identity(cn: &str) -> (RsaPrivateKey, Certificate) {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = cryptoutil::cert::CertificateProfile::new(30).unwrap();
    let cert =
        cryptoutil::cert::self_signed(format!("CN={cn}").parse().unwrap(), &key, &profile).unwrap();
    (key, cert)
}

/// 1000 bytes that are not all the same.
pub(crate) fn payload() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 7 + 3) as u8).collect()
}
