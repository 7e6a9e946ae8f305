//! Degenerate SignedData (RFC 5652 §5.2, RFC 8894 §3.4): no content, no
//! signers, only certificates or CRLs, as in SCEP's GetCACert, CertRep and
//! GetCRL answers.

use cms::content_info::CmsVersion;
use cms::revocation::{RevocationInfoChoice, RevocationInfoChoices};
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerInfos};
use der::asn1::SetOfVec;
use der::{Decode, Encode};
use x509_cert::Certificate;

use super::{SignedMessage, certificate_set};
use crate::cms::{ID_DATA, ID_SIGNED_DATA, encode_content_info};
use crate::error::{Error, Result};

/// Parses a certificates-only SignedData (as in SCEP GetCACert and CertRep)
/// and returns its certificates in order.
pub fn certificates_only(input: &[u8]) -> Result<Vec<Certificate>> {
    Ok(SignedMessage::from_ber(input)?.certificates)
}

/// Builds a certificates-only ("degenerate") SignedData: no content, no
/// signers, just `certificates`. DER sorts a SET OF, so readers must not
/// rely on the order.
pub fn build_certificates_only(certificates: &[Certificate]) -> Result<Vec<u8>> {
    build_degenerate(certificates, &[])
}

/// Builds a degenerate SignedData carrying CRLs (DER `CertificateList`s),
/// as a SCEP GetCRL answer does.
pub fn build_crls_only(crls: &[Vec<u8>]) -> Result<Vec<u8>> {
    build_degenerate(&[], crls)
}

fn build_degenerate(certificates: &[Certificate], crls: &[Vec<u8>]) -> Result<Vec<u8>> {
    let crls = if crls.is_empty() {
        None
    } else {
        let choices = crls
            .iter()
            .map(|der| {
                let list =
                    x509_cert::crl::CertificateList::from_der(der).map_err(Error::asn1("CRL"))?;
                Ok(RevocationInfoChoice::Crl(list))
            })
            .collect::<Result<Vec<_>>>()?;
        Some(RevocationInfoChoices(
            SetOfVec::try_from(choices).map_err(Error::asn1("CRL set"))?,
        ))
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: if certificates.is_empty() {
            None
        } else {
            Some(certificate_set(certificates)?)
        },
        crls,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    encode_content_info(ID_SIGNED_DATA, &signed_data)
}

/// The CRLs of a SignedData (DER `CertificateList`s), e.g. a GetCRL answer.
pub fn crls(input: &[u8]) -> Result<Vec<Vec<u8>>> {
    let message = SignedMessage::from_ber(input)?;
    message
        .signed_data
        .crls
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            RevocationInfoChoice::Crl(list) => Some(list.to_der().map_err(Error::asn1("CRL"))),
            RevocationInfoChoice::Other(_) => None,
        })
        .collect()
}
