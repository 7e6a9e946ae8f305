//! An in-process MDM server for the host tests: nanomdm's reference
//! service chain (certauth → hooks → core) over `NanomdmStore`, with
//! `HostHook`, behind nanomdm's HTTP adapter, and a test CA issuing device
//! identities.

use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::x509_cert::name::Name;
use fleet_server::db::Db;
use fleet_server::hosts::{HostHook, Hosts};
use fleet_server::store::NanomdmStore;
use http::{Response, StatusCode};
use nanomdm::http::MdmHandler;
use nanomdm::identity::{ExtractConfig, TrustStore};
use nanomdm::service::{CertAuth, CertAuthOptions, Core, Hooked};
use nanomdm::testing::device::Device;
use plist::Dictionary;

pub(crate) const TOPIC: &str = "com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9";

pub(crate) struct MdmServer {
    pub(crate) store: Arc<NanomdmStore>,
    pub(crate) hosts: Hosts,
    mdm: MdmHandler,
    ca: (Certificate, RsaPrivateKey),
}

impl MdmServer {
    pub(crate) fn new(db: &Db) -> Self {
        let store = Arc::new(NanomdmStore::new(db.clone()));
        let hosts = Hosts::new(db.clone());
        let hook = Arc::new(HostHook::new(hosts.clone()));
        let hooked = Hooked::new(Core::new(store.clone())).with_hook(hook);
        let service = CertAuth::new(hooked, store.clone(), CertAuthOptions::default());
        let ca_key = RsaPrivateKey::generate(2048).unwrap();
        let ca = cert::self_signed(
            Name::from_str("CN=test device CA").unwrap(),
            &ca_key,
            &CertificateProfile::certificate_authority(30).unwrap(),
        )
        .unwrap();
        let mdm = MdmHandler::new(
            Arc::new(service),
            ExtractConfig::new(),
            TrustStore::new([ca.clone()]),
        );
        Self {
            store,
            hosts,
            mdm,
            ca: (ca, ca_key),
        }
    }

    /// A device whose identity the test CA issued.
    pub(crate) fn device(&self) -> Device {
        use cryptoutil::PrivateKey as _;
        let key = RsaPrivateKey::generate(2048).unwrap();
        let certificate = cert::issue(
            Name::from_str("CN=device").unwrap(),
            key.public_key(),
            &CertificateProfile::new(30).unwrap(),
            Issuer {
                certificate: Some(&self.ca.0),
                key: &self.ca.1,
            },
        )
        .unwrap();
        Device::with_identity(TOPIC, certificate, key)
    }

    /// A check-in to `uri` (the MDM URL with its query), answered 200.
    pub(crate) async fn checkin(&self, device: &Device, uri: &str, message: &Dictionary) {
        let request = device.checkin_request(uri, message).unwrap();
        let response = self.mdm.mdm(request).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
    }

    /// A command report to `uri`, answered 200.
    pub(crate) async fn report(
        &self,
        device: &Device,
        uri: &str,
        message: &Dictionary,
    ) -> Response<Bytes> {
        let request = device.report_request(uri, message).unwrap();
        let response = self.mdm.mdm(request).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
        response
    }

    /// Authenticate + TokenUpdate at `uri`.
    pub(crate) async fn enroll(&self, device: &Device, uri: &str) {
        self.checkin(device, uri, &device.authenticate()).await;
        self.checkin(device, uri, &device.token_update()).await;
    }
}

/// Emits `$name` twice, as `sqlite::$name` and `mysql::$name`, each running
/// the scenario `$scenario(db)` on a fresh migrated database.
macro_rules! on_both_backends {
    ($($name:ident => $scenario:path;)*) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (db, _dir) = crate::sqlite_db().await;
                    $scenario(db).await;
                }
            )*
        }
        mod mysql {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some((db, _guard)) = crate::mysql_db(stringify!($name)).await else {
                        return;
                    };
                    $scenario(db).await;
                }
            )*
        }
    };
}

pub(crate) use on_both_backends;
