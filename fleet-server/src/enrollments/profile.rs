//! The manual enrollment's `.mobileconfig` (fleet.md §2.4) and the
//! device-facing endpoint that serves it, `GET /mdm/apple/api/enroll?id=N`.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use cryptoutil::PrivateKey;
use cryptoutil::cert::Certificate;
use http::{Method, Request, Response, StatusCode, header};
use nanomdm::profile::{EnrollmentProfile, PER_USER_CONNECTIONS, ProfileError};

use super::{ManualEnrollment, ManualEnrollments};
use crate::hosts::ENROLLMENT_ID_PARAM;
use crate::server::routes::plain;

/// The path devices download the profile from.
pub const ENROLL_PATH: &str = "/mdm/apple/api/enroll";
/// The SCEP endpoint's path.
pub const SCEP_PATH: &str = "/mdm/apple/scep";
/// The MDM endpoint's path (`ServerURL` and `CheckInURL`).
pub const MDM_PATH: &str = "/mdm/apple/mdm";
/// The profile's `PayloadIdentifier` (Fleet's `FleetPayloadIdentifier`).
pub const PAYLOAD_IDENTIFIER: &str = "com.fleetdm.fleet.mdm.apple";
/// The media type Apple devices install profiles from.
pub const MOBILECONFIG_CONTENT_TYPE: &str = "application/x-apple-aspen-config";

/// The certificate and key enroll profiles are signed with (CMS
/// SignedData, so the device shows the profile as verified).
#[derive(Clone)]
pub struct ProfileSigner {
    /// The signing certificate (included in the signature).
    pub certificate: Certificate,
    /// Its private key.
    pub key: Arc<dyn PrivateKey>,
}

// By hand: the key is a secret.
impl fmt::Debug for ProfileSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileSigner")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

/// What every manual enrollment profile of this server shares.
#[derive(Clone)]
pub struct EnrollProfileSettings {
    /// The server's public base URL, e.g. `https://mdm.example.com` (a
    /// trailing `/` is ignored). An `http://` URL is accepted for
    /// development; devices refuse it.
    pub server_url: String,
    /// The SCEP challenge devices present for their identity certificate.
    pub scep_challenge: String,
    /// The APNs topic of the push certificate (`com.apple.mgmt.…`).
    pub apns_topic: String,
    /// `SignMessage`: devices sign each request (`Mdm-Signature`). True
    /// unless the server itself verifies TLS client certificates.
    pub sign_message: bool,
    /// Signs the profile when given; otherwise it is served unsigned.
    pub signer: Option<ProfileSigner>,
}

// By hand: the SCEP challenge is a secret.
impl fmt::Debug for EnrollProfileSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollProfileSettings")
            .field("server_url", &self.server_url)
            .field("scep_challenge", &"<redacted>")
            .field("apns_topic", &self.apns_topic)
            .field("sign_message", &self.sign_message)
            .field("signer", &self.signer)
            .finish()
    }
}

impl EnrollProfileSettings {
    /// The server URL without a trailing `/`.
    fn base(&self) -> &str {
        self.server_url.trim_end_matches('/')
    }

    /// The URL devices download enrollment `id`'s profile from.
    pub fn enroll_url(&self, id: i64) -> String {
        enroll_url(&self.server_url, id)
    }

    /// The enrollment profile of `enrollment`: identical for every device
    /// that downloads it (its SCEP `Subject` names the enrollment, not the
    /// device); its MDM URLs carry `enrollment_id` so that
    /// [`HostHook`](crate::hosts::HostHook) records which enrollment each
    /// host came through. XML, or CMS SignedData (DER) when a signer is
    /// configured.
    ///
    /// # Errors
    ///
    /// The builder's [`ProfileError`] for unusable settings (a topic not
    /// starting with `com.apple.mgmt.`, a URL that is neither https nor
    /// http), or a signing failure.
    pub fn profile(&self, enrollment: &ManualEnrollment) -> Result<Vec<u8>, ProfileError> {
        let base = self.base();
        let mdm_url = format!("{base}{MDM_PATH}?{ENROLLMENT_ID_PARAM}={}", enrollment.id);
        let mut builder = EnrollmentProfile::builder()
            .identifier(PAYLOAD_IDENTIFIER)
            .display_name(format!("Fleet MDM: {}", enrollment.name))
            .organization("Fleet")
            .scep_url(format!("{base}{SCEP_PATH}"))
            .challenge(self.scep_challenge.clone())
            .keysize(2048)
            .subject_component("O", "Fleet")
            .subject_component("CN", format!("fleet-enrollment-{}", enrollment.id))
            .server_url(mdm_url.clone())
            .check_in_url(mdm_url)
            .topic(self.apns_topic.clone())
            .sign_message(self.sign_message)
            .access_rights(nanomdm::profile::ALL_ACCESS_RIGHTS)
            .check_out_when_removed(true)
            .server_capability(PER_USER_CONNECTIONS);
        if base.to_ascii_lowercase().starts_with("http://") {
            builder = builder.allow_insecure_urls();
        }
        let profile = builder.build()?;
        match &self.signer {
            Some(signer) => profile.sign(&signer.certificate, signer.key.as_ref()),
            None => profile.to_xml(),
        }
    }
}

/// The URL devices download enrollment `id`'s profile from, on the server
/// at `server_url` (e.g. `https://mdm.example.com`).
pub fn enroll_url(server_url: &str, id: i64) -> String {
    format!("{}{ENROLL_PATH}?id={id}", server_url.trim_end_matches('/'))
}

/// The device-facing `GET /mdm/apple/api/enroll?id=N`: the profile of
/// manual enrollment `N` as `application/x-apple-aspen-config`. No
/// authentication (as Fleet's PoC); a missing or malformed `id` is 400, an
/// unknown one 404, each with a one-line plain-text reason.
#[derive(Debug, Clone)]
pub struct EnrollProfileHandler {
    enrollments: ManualEnrollments,
    settings: Arc<EnrollProfileSettings>,
}

impl EnrollProfileHandler {
    /// Serves the profiles of `enrollments` built with `settings`.
    pub fn new(enrollments: ManualEnrollments, settings: Arc<EnrollProfileSettings>) -> Self {
        Self {
            enrollments,
            settings,
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed");
        }
        let id = form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .find(|(key, _)| key == "id")
            .map(|(_, value)| value.into_owned());
        let Some(id) = id else {
            return plain(StatusCode::BAD_REQUEST, "missing id parameter");
        };
        let Ok(id) = id.parse::<i64>() else {
            return plain(StatusCode::BAD_REQUEST, "id must be an enrollment number");
        };
        let enrollment = match self.enrollments.get(id).await {
            Ok(Some(enrollment)) => enrollment,
            Ok(None) => return plain(StatusCode::NOT_FOUND, &format!("no enrollment {id}")),
            Err(e) => {
                tracing::error!(id, "loading enrollment for its profile failed: {e}");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        };
        match self.settings.profile(&enrollment) {
            Ok(body) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, MOBILECONFIG_CONTENT_TYPE)
                .header(
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"fleet-mdm-enrollment.mobileconfig\"",
                )
                .body(Bytes::from(body))
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")),
            Err(e) => {
                tracing::error!(id, "building the enrollment profile failed: {e}");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot build the profile",
                )
            }
        }
    }
}
