//! The `client` feature's transport over real TLS: a local HTTPS server
//! (tokio-rustls) serving the simulator with a certificate from a test CA.

use std::sync::Arc;

use bytes::Bytes;
use cryptoutil::cert::{self, CertificateProfile, Issuer, KeyUsage};
use cryptoutil::const_oid::AssociatedOid;
use cryptoutil::der::Encode;
use cryptoutil::der::asn1::Ia5String;
use cryptoutil::x509_cert::ext::pkix::SubjectAltName;
use cryptoutil::x509_cert::ext::pkix::name::GeneralName;
use cryptoutil::{PrivateKey, RsaPrivateKey};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nanodep::client::HyperTransport;
use nanodep::store::{AuthTokensStore, Config, ConfigStore};
use nanodep::testing::depsim::DepSim;
use nanodep::{Client, Error, MemoryStore};
use tokio_rustls::rustls;

/// A CA (PEM) and a `localhost` server certificate chain and key it issued.
fn pki() -> (String, Vec<Vec<u8>>, Vec<u8>) {
    let ca_key = RsaPrivateKey::generate(2048).unwrap();
    let ca_profile = CertificateProfile::certificate_authority(1).unwrap();
    let ca = cert::self_signed("CN=test CA".parse().unwrap(), &ca_key, &ca_profile).unwrap();
    let key = RsaPrivateKey::generate(2048).unwrap();
    let mut profile = CertificateProfile::new(1).unwrap();
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    profile.extended_key_usage = vec![cert::ID_KP_SERVER_AUTH];
    let san = SubjectAltName(vec![GeneralName::DnsName(
        Ia5String::new("localhost").unwrap(),
    )]);
    profile.extensions = vec![cert::extension(SubjectAltName::OID, false, &san).unwrap()];
    let issuer = Issuer {
        certificate: Some(&ca),
        key: &ca_key,
    };
    let leaf = cert::issue(
        "CN=localhost".parse().unwrap(),
        key.public_key(),
        &profile,
        issuer,
    )
    .unwrap();
    let chain = vec![leaf.to_der().unwrap(), ca.to_der().unwrap()];
    (
        cert::to_pem(&ca).unwrap(),
        chain,
        key.to_pkcs8_der().to_vec(),
    )
}

/// Serves `sim` over TLS on a free port; returns the port.
async fn serve(sim: Arc<DepSim>, chain: Vec<Vec<u8>>, key: Vec<u8>) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = chain.into_iter().map(Into::into).collect();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.into());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (acceptor, sim) = (acceptor.clone(), sim.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                    let sim = sim.clone();
                    async move {
                        let (mut parts, body) = request.into_parts();
                        // The simulator checks the OAuth signature of the
                        // URL the client signed: tell it the scheme.
                        parts
                            .headers
                            .insert("x-forwarded-proto", "https".parse().unwrap());
                        let body: Bytes = BodyExt::collect(body).await?.to_bytes();
                        let response = sim.handle(http::Request::from_parts(parts, body));
                        Ok::<_, hyper::Error>(response.map(Full::new))
                    }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service);
                let _ = connection.await;
            });
        }
    });
    port
}

async fn client_for(sim: &DepSim, transport: HyperTransport, port: u16) -> Client {
    let store = Arc::new(MemoryStore::new());
    store
        .store_auth_tokens("dep1", &sim.tokens())
        .await
        .unwrap();
    let config = Config {
        base_url: Some(format!("https://localhost:{port}/")),
        server_protocol_version: None,
    };
    store.store_config("dep1", &config).await.unwrap();
    Client::new(Arc::new(transport), store)
}

#[tokio::test]
async fn the_hyper_transport_talks_https_to_a_server_its_roots_trust_and_no_other() {
    let sim = Arc::new(DepSim::new());
    let (ca_pem, chain, key) = pki();
    let port = serve(sim.clone(), chain, key).await;
    let trusting = HyperTransport::with_root_certificates(&ca_pem).unwrap();
    let client = client_for(&sim, trusting, port).await;
    let account = client.account("dep1").await.unwrap();
    assert_eq!(account.server_name.as_deref(), Some("depsim"));
    let (other_ca, _, _) = pki();
    let distrusting = HyperTransport::with_root_certificates(&other_ca).unwrap();
    let client = client_for(&sim, distrusting, port).await;
    let err = client.account("dep1").await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}
