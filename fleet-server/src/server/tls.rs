//! rustls server configuration: the server's certificate chain and key
//! from PEM files, ALPN for HTTP/2 and HTTP/1.1, and, when Apple MDM is on,
//! optional client certificates verified against the SCEP CA so that
//! devices can identify by TLS instead of `Mdm-Signature`.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;

use crate::config::ConfigError;

/// A TLS acceptor for the certificate chain at `cert_path` and key at
/// `key_path`. With `client_ca` (DER), clients may present a certificate
/// issued by it; one that does not verify fails the handshake, none at all
/// is fine (browsers, fleetctl).
pub fn acceptor(
    cert_path: &Path,
    key_path: &Path,
    client_ca: Option<&[u8]>,
) -> Result<TlsAcceptor, ConfigError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .and_then(Iterator::collect)
        .map_err(|e| ConfigError::invalid("FLEET_SERVER_CERT", pem_error(cert_path, &e)))?;
    if chain.is_empty() {
        return Err(ConfigError::invalid(
            "FLEET_SERVER_CERT",
            format!("{} holds no certificate", cert_path.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| ConfigError::invalid("FLEET_SERVER_KEY", pem_error(key_path, &e)))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::invalid("FLEET_SERVER_TLS", e))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots
                .add(CertificateDer::from(ca.to_vec()))
                .map_err(|e| ConfigError::invalid("FLEET_MDM_APPLE_SCEP_CERT", e))?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| ConfigError::invalid("FLEET_MDM_APPLE_SCEP_CERT", e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| ConfigError::invalid("FLEET_SERVER_KEY", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn pem_error(path: &Path, error: &rustls::pki_types::pem::Error) -> String {
    format!("cannot read PEM from {}: {error}", path.display())
}
