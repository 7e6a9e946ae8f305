//! Checks of a CertRep against the request it answers.

use cryptoutil::cert::Certificate;
use cryptoutil::cms::{enveloped_data, signed_data};
use cryptoutil::csr::Csr;

use super::{ClientError, Enrollment, message_type_name};
use crate::error::Error;
use crate::message::{MessageType, PkiMessage, PkiStatus, Requester};

/// What a CertRep must echo back.
pub(super) struct Expected<'a> {
    pub(super) transaction_id: &'a str,
    pub(super) sender_nonce: &'a [u8],
    pub(super) recipients: &'a [Certificate],
}

/// Parses and verifies a CertRep and checks that it answers our request:
/// its messageType, transactionID, recipientNonce and signer.
pub(super) fn check_cert_rep(
    body: &[u8],
    expected: &Expected<'_>,
) -> Result<PkiMessage, ClientError> {
    let reply = PkiMessage::parse(body).map_err(ClientError::MalformedCertRep)?;
    if reply.message_type != MessageType::CertRep {
        return Err(ClientError::CertRepCheck("the reply is not a CertRep"));
    }
    if reply.transaction_id != expected.transaction_id {
        return Err(ClientError::CertRepCheck(
            "the transactionID is not the request's",
        ));
    }
    if reply.recipient_nonce.as_deref() != Some(expected.sender_nonce) {
        return Err(ClientError::CertRepCheck(
            "the recipientNonce is not the request's senderNonce",
        ));
    }
    if !expected.recipients.contains(&reply.signer) {
        return Err(ClientError::CertRepCheck(
            "the CertRep is not signed by a CA certificate from GetCACert",
        ));
    }
    Ok(reply)
}

/// Turns a checked CertRep into the enrollment outcome. For a PKCSReq or
/// RenewalReq, the issued certificate must carry the CSR's key.
pub(super) fn outcome(
    reply: &PkiMessage,
    requester: Requester<'_>,
    content: &[u8],
    message_type: MessageType,
) -> Result<Enrollment, ClientError> {
    match reply.pki_status {
        Some(PkiStatus::Success) => {}
        Some(PkiStatus::Pending) => {
            return Ok(Enrollment::Pending {
                transaction_id: reply.transaction_id.clone(),
            });
        }
        Some(PkiStatus::Failure) | None => {
            return Err(ClientError::Refused {
                fail_info: reply.fail_info,
                text: reply.fail_info_text.clone(),
            });
        }
    }
    let payload =
        enveloped_data::decrypt(&reply.message_data, requester.certificate, requester.key)
            .map_err(|e| ClientError::IssuedCertificate(Error::Envelope(e)))?;
    let issued = signed_data::certificates_only(&payload)
        .map_err(|e| ClientError::IssuedCertificate(Error::Envelope(e)))?
        .into_iter()
        .next()
        .ok_or(ClientError::IssuedCertificate(Error::MissingAttribute(
            "issued certificate",
        )))?;
    if message_type != MessageType::CertPoll {
        let csr = Csr::from_der(content)
            .map_err(|e| ClientError::Request(message_type_name(message_type), Error::Build(e)))?;
        if issued.tbs_certificate.subject_public_key_info != *csr.public_key().spki() {
            return Err(ClientError::CertRepCheck(
                "the issued certificate is for another key than the CSR's",
            ));
        }
    }
    Ok(Enrollment::Issued(issued))
}
