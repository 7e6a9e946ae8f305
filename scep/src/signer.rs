//! The signing policy: a chain of [`CsrSigner`]s, like micromdm's
//! `CSRSignerContext` middlewares. [`ChallengeSigner`] checks the
//! challenge password and hands on to [`CaSigner`], which issues.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use cryptoutil::cert::Certificate;
use cryptoutil::csr::Csr;

use crate::challenge::ChallengeVerifier;
use crate::error::BoxError;
use crate::message::{FailInfo, MessageType};

mod ca;

pub use ca::{CaSigner, DuplicateSubjects, IssuancePolicy};

/// What a signer is asked to decide on.
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    /// PKCSReq, RenewalReq or UpdateReq.
    pub message_type: MessageType,
    /// The decrypted CSR; its own signature has been checked.
    pub csr: &'a Csr,
    /// The certificate that signed the pkiMessage: self-signed for a first
    /// enrollment, the current certificate for a renewal.
    pub requester: &'a Certificate,
    /// The transactionID.
    pub transaction_id: &'a str,
    /// The time of the request.
    pub now: SystemTime,
}

/// A signer's answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Decision {
    /// The certificate was issued.
    Issued(Box<Certificate>),
    /// The request waits for approval; the client polls with CertPoll.
    Pending,
    /// The request is refused; `text` goes to the client as failInfoText,
    /// so it never holds secrets.
    Refused {
        /// Why, in RFC 8894's vocabulary.
        fail_info: FailInfo,
        /// Why, for humans.
        text: String,
    },
}

impl Decision {
    /// A refusal with `fail_info` and `text`.
    pub fn refused(fail_info: FailInfo, text: impl Into<String>) -> Self {
        Self::Refused {
            fail_info,
            text: text.into(),
        }
    }
}

/// Decides on certificate requests. Errors are backend failures (the
/// client gets a FAILURE without detail); policy refusals are
/// [`Decision::Refused`].
#[async_trait]
pub trait CsrSigner: Send + Sync + Debug {
    /// Decides on a PKCSReq, RenewalReq or UpdateReq.
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError>;

    /// Answers a CertPoll for a request this signer left pending. The
    /// default knows of no pending requests.
    async fn poll(&self, transaction_id: &str, now: SystemTime) -> Result<Decision, BoxError> {
        let _ = (transaction_id, now);
        Ok(Decision::refused(FailInfo::BadCertId, "no pending request"))
    }
}

/// Requires a valid challenge password on PKCSReq and UpdateReq, then asks
/// the next signer. RenewalReq is authenticated by the requester's current
/// certificate instead (checked by [`CaSigner`]), so it passes unchallenged.
#[derive(Debug, Clone)]
pub struct ChallengeSigner {
    verifier: Arc<dyn ChallengeVerifier>,
    next: Arc<dyn CsrSigner>,
}

impl ChallengeSigner {
    /// Wraps `next` with `verifier`.
    pub fn new(verifier: Arc<dyn ChallengeVerifier>, next: Arc<dyn CsrSigner>) -> Self {
        Self { verifier, next }
    }
}

#[async_trait]
impl CsrSigner for ChallengeSigner {
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError> {
        if request.message_type != MessageType::RenewalReq {
            let challenge = request.csr.challenge_password().unwrap_or_default();
            if !self
                .verifier
                .verify(&challenge, request.csr, request.now)
                .await?
            {
                return Ok(Decision::refused(FailInfo::BadRequest, "invalid challenge"));
            }
        }
        self.next.sign(request).await
    }

    async fn poll(&self, transaction_id: &str, now: SystemTime) -> Result<Decision, BoxError> {
        self.next.poll(transaction_id, now).await
    }
}
