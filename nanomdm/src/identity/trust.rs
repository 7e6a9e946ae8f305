//! Whether an identity's certificate is trusted: issued by a configured CA
//! and valid at the time of the request.

use std::time::SystemTime;

use cryptoutil::cert::{self, Certificate};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::x509_cert::ext::pkix::ExtendedKeyUsage;

use super::ClientIdentity;
use crate::IdentityError;

/// The CA certificates that may issue device identities (nanomdm's `-ca`
/// and `-intermediate`).
///
/// A certificate is trusted when it chains to one of the roots, directly or
/// through configured intermediates (at most [`MAX_INTERMEDIATES`]), every
/// certificate on the chain is valid at the time of the request, every
/// issuer on it is a CA, and the leaf may be used for client authentication
/// (no ExtendedKeyUsage extension, or one listing clientAuth or
/// anyExtendedKeyUsage), as nanomdm's `PoolVerifier`. An empty store trusts
/// nothing; a caller that does not check issuers must say so with
/// [`TrustStore::accept_any`].
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    cas: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    any_issuer: bool,
}

/// The longest chain of intermediates followed between a device
/// certificate and a root.
pub const MAX_INTERMEDIATES: usize = 4;

/// `anyExtendedKeyUsage` (RFC 5280 §4.2.1.12).
const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

impl TrustStore {
    /// A store trusting certificates issued by `cas` (the roots).
    pub fn new(cas: impl IntoIterator<Item = Certificate>) -> Self {
        Self {
            cas: cas.into_iter().collect(),
            intermediates: Vec::new(),
            any_issuer: false,
        }
    }

    /// Adds intermediate CA certificates that chain device certificates to
    /// the roots; they are not trusted on their own.
    #[must_use]
    pub fn with_intermediates(
        mut self,
        intermediates: impl IntoIterator<Item = Certificate>,
    ) -> Self {
        self.intermediates.extend(intermediates);
        self
    }

    /// A store that accepts any issuer (still checking validity), for tests
    /// and migrations only: it lets any self-made certificate speak for a
    /// device, so certauth is the only remaining guard.
    pub fn accept_any() -> Self {
        Self {
            any_issuer: true,
            ..Self::default()
        }
    }

    /// The configured root CA certificates.
    pub fn certificates(&self) -> &[Certificate] {
        &self.cas
    }

    /// Whether the identity's certificate chains to a configured root and
    /// the chain is valid at `now` (see [`TrustStore`]).
    ///
    /// # Errors
    ///
    /// [`IdentityError::UntrustedIssuer`] when no chain to a root exists
    /// (always, for an empty store); [`IdentityError::Expired`] when a chain
    /// exists but the leaf, or a certificate on every such chain, is outside
    /// its validity at `now`; [`IdentityError::NotForClientAuth`] when the
    /// leaf's ExtendedKeyUsage excludes client authentication.
    pub fn verify(&self, identity: &ClientIdentity, now: SystemTime) -> Result<(), IdentityError> {
        let certificate = identity.certificate();
        valid_at(certificate, now)?;
        if !allows_client_auth(certificate) {
            return Err(IdentityError::NotForClientAuth);
        }
        if self.any_issuer {
            return Ok(());
        }
        match self.chain(certificate, now, 0) {
            Chain::Valid => Ok(()),
            Chain::Expired => Err(IdentityError::Expired),
            Chain::None => Err(IdentityError::UntrustedIssuer),
        }
    }

    /// The best chain from `certificate` (already checked itself) to a
    /// root, through at most `MAX_INTERMEDIATES - depth` intermediates.
    fn chain(&self, certificate: &Certificate, now: SystemTime, depth: usize) -> Chain {
        let mut best = Chain::None;
        for root in self.cas.iter().filter(|ca| issued_by(certificate, ca)) {
            if cert::is_valid_at(root, now) {
                return Chain::Valid;
            }
            best = Chain::Expired;
        }
        if depth == MAX_INTERMEDIATES {
            return best;
        }
        for intermediate in self
            .intermediates
            .iter()
            .filter(|ca| issued_by(certificate, ca))
        {
            let above = self.chain(intermediate, now, depth + 1);
            match (above, cert::is_valid_at(intermediate, now)) {
                (Chain::Valid, true) => return Chain::Valid,
                (Chain::None, _) => {}
                _ => best = Chain::Expired,
            }
        }
        best
    }
}

/// How far a chain search got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// No chain to a root.
    None,
    /// Chains exist, but each has a certificate outside its validity.
    Expired,
    /// A chain of certificates valid now.
    Valid,
}

/// Whether `ca` is a CA that signed `certificate`.
fn issued_by(certificate: &Certificate, ca: &Certificate) -> bool {
    certificate.tbs_certificate.issuer == ca.tbs_certificate.subject
        && cert::is_ca(ca)
        && cert::verify_issued_by(certificate, ca).is_ok()
}

/// Whether the leaf's ExtendedKeyUsage (if any) allows clientAuth.
fn allows_client_auth(certificate: &Certificate) -> bool {
    match cert::find_extension::<ExtendedKeyUsage>(certificate) {
        None => true,
        Some(eku) => eku.0.iter().any(|purpose| {
            *purpose == cert::ID_KP_CLIENT_AUTH || *purpose == ANY_EXTENDED_KEY_USAGE
        }),
    }
}

/// [`IdentityError::Expired`] unless `certificate` is valid at `now`.
fn valid_at(certificate: &Certificate, now: SystemTime) -> Result<(), IdentityError> {
    if cert::is_valid_at(certificate, now) {
        Ok(())
    } else {
        Err(IdentityError::Expired)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;
    use std::time::Duration;

    use cryptoutil::cert::{CertificateProfile, Issuer};
    use cryptoutil::x509_cert::name::Name;
    use cryptoutil::{PrivateKey as _, RsaPrivateKey};

    use super::*;
    use crate::identity::IdentitySource;

    struct Ca {
        certificate: Certificate,
        key: RsaPrivateKey,
    }

    fn key() -> RsaPrivateKey {
        RsaPrivateKey::generate(2048).expect("key generation")
    }

    fn root() -> Ca {
        let key = key();
        let profile = CertificateProfile::certificate_authority(30).expect("profile");
        let name = Name::from_str("CN=root").expect("name");
        let certificate = cert::self_signed(name, &key, &profile).expect("root");
        Ca { certificate, key }
    }

    fn issue(
        issuer: &Ca,
        name: &str,
        profile: &CertificateProfile,
        key: &RsaPrivateKey,
    ) -> Certificate {
        let issuer = Issuer {
            certificate: Some(&issuer.certificate),
            key: &issuer.key,
        };
        let name = Name::from_str(name).expect("name");
        cert::issue(name, key.public_key(), profile, issuer).expect("issue")
    }

    fn intermediate(root: &Ca, profile: CertificateProfile) -> Ca {
        let key = key();
        let certificate = issue(root, "CN=intermediate", &profile, &key);
        Ca { certificate, key }
    }

    fn leaf(issuer: &Ca, profile: &CertificateProfile) -> ClientIdentity {
        let certificate = issue(issuer, "CN=device", profile, &key());
        ClientIdentity::new(certificate, IdentitySource::MdmSignature).expect("identity")
    }

    fn device_profile() -> CertificateProfile {
        CertificateProfile::new(30).expect("profile")
    }

    #[test]
    fn a_device_certificate_chains_through_a_configured_intermediate() {
        let root = root();
        let sub = intermediate(
            &root,
            CertificateProfile::certificate_authority(30).expect("p"),
        );
        let device = leaf(&sub, &device_profile());
        let now = SystemTime::now();
        let roots_only = TrustStore::new([root.certificate]);
        assert!(matches!(
            roots_only.verify(&device, now),
            Err(IdentityError::UntrustedIssuer)
        ));
        let store = roots_only.with_intermediates([sub.certificate.clone()]);
        store.verify(&device, now).expect("chains to the root");
        // An intermediate alone is not a trust anchor.
        let sub_only = TrustStore::new([]).with_intermediates([sub.certificate]);
        assert!(matches!(
            sub_only.verify(&device, now),
            Err(IdentityError::UntrustedIssuer)
        ));
    }

    #[test]
    fn an_expired_intermediate_makes_the_chain_expired() {
        let root = root();
        let mut profile = CertificateProfile::certificate_authority(30).expect("p");
        profile.not_after = SystemTime::now() - Duration::from_secs(60);
        let sub = intermediate(&root, profile);
        let device = leaf(&sub, &device_profile());
        let store = TrustStore::new([root.certificate]).with_intermediates([sub.certificate]);
        assert!(matches!(
            store.verify(&device, SystemTime::now()),
            Err(IdentityError::Expired)
        ));
    }

    #[test]
    fn a_certificate_signed_by_a_non_ca_is_not_trusted() {
        let root = root();
        let not_a_ca = intermediate(&root, device_profile());
        let device = leaf(&not_a_ca, &device_profile());
        let store = TrustStore::new([root.certificate]).with_intermediates([not_a_ca.certificate]);
        assert!(matches!(
            store.verify(&device, SystemTime::now()),
            Err(IdentityError::UntrustedIssuer)
        ));
    }

    #[test]
    fn a_leaf_whose_extended_key_usage_excludes_client_auth_is_refused() {
        let root = root();
        let mut server_only = device_profile();
        server_only.extended_key_usage = vec![cert::ID_KP_SERVER_AUTH];
        let store = TrustStore::new([root.certificate.clone()]);
        let now = SystemTime::now();
        assert!(matches!(
            store.verify(&leaf(&root, &server_only), now),
            Err(IdentityError::NotForClientAuth)
        ));
        let mut client = device_profile();
        client.extended_key_usage = vec![cert::ID_KP_SERVER_AUTH, cert::ID_KP_CLIENT_AUTH];
        store
            .verify(&leaf(&root, &client), now)
            .expect("clientAuth listed");
        store
            .verify(&leaf(&root, &device_profile()), now)
            .expect("no EKU");
    }
}
