//! The simulator's less used endpoints: Activation Lock, OS beta
//! enrollment tokens and the account-driven enrollment profile.

use bytes::Bytes;
use http::{Response, StatusCode};

use super::state::{State, error, json};
use crate::api::{
    self, AccountDrivenEnrollmentProfile, ActivationLockRequest, ActivationLockResponse,
    BetaEnrollmentToken, OsBetaEnrollmentTokens,
};

impl State {
    pub(super) fn activation_lock(&mut self, body: &Bytes) -> Response<Bytes> {
        let Ok(request) = serde_json::from_slice::<ActivationLockRequest>(body) else {
            return error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST_BODY");
        };
        if request.device.is_empty() {
            return error(StatusCode::BAD_REQUEST, "DEVICE_ID_REQUIRED");
        }
        let status = if !self.devices.contains_key(&request.device) {
            api::NOT_ACCESSIBLE
        } else if !self.locked.insert(request.device.clone()) {
            "DEVICE_ALREADY_LOCKED"
        } else {
            api::SUCCESS
        };
        let answer = ActivationLockResponse {
            serial_number: request.device,
            response_status: status.to_owned(),
            ..ActivationLockResponse::default()
        };
        json(StatusCode::OK, &answer)
    }

    pub(super) fn os_beta_enrollment_tokens(&self) -> Response<Bytes> {
        if !self.apple_seed_for_it {
            return error(StatusCode::FORBIDDEN, "APPLE_SEED_FOR_IT_TURNED_OFF");
        }
        let token = BetaEnrollmentToken {
            title: "depsim beta".into(),
            token: "DEPSIM-BETA-TOKEN".into(),
            os: "macOS".into(),
            ..BetaEnrollmentToken::default()
        };
        let answer = OsBetaEnrollmentTokens {
            beta_enrollment_tokens: vec![token],
            ..OsBetaEnrollmentTokens::default()
        };
        json(StatusCode::OK, &answer)
    }

    pub(super) fn account_driven_enrollment(&mut self, body: &Bytes) -> Response<Bytes> {
        let Ok(request) = serde_json::from_slice::<AccountDrivenEnrollmentProfile>(body) else {
            return error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST_BODY");
        };
        if request.mdm_service_discovery_url.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "MDM_SERVICE_DISCOVERY_URL_REQUIRED",
            );
        }
        self.service_discovery_url = Some(request.mdm_service_discovery_url);
        Response::new(Bytes::new())
    }
}
