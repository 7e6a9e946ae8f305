//! The typed DEP endpoints. Ported from Go `godep`.

use std::time::SystemTime;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Client, apple_error};
use crate::api::{
    AccountDetail, AccountDrivenEnrollmentProfile, ActivationLockRequest, ActivationLockResponse,
    DeviceDetailsResponse, DeviceListResponse, DeviceStatusResponse, DevicesRequest,
    FetchDeviceRequest, OsBetaEnrollmentTokens, Profile, ProfileDevicesRequest, SyncDeviceRequest,
};
use crate::error::Error;

impl Client {
    /// Sends a JSON request and decodes a 200 answer; any other status is
    /// [`Error::Apple`].
    async fn call<T: DeserializeOwned>(
        &self,
        name: &str,
        method: Method,
        path: &str,
        body: Option<&(dyn ErasedSerialize + Sync)>,
        what: &'static str,
    ) -> Result<T, Error> {
        let body = self.exchange(name, method, path, body).await?;
        serde_json::from_slice(&body).map_err(|source| Error::Decode { what, source })
    }

    /// Sends a JSON request and returns the body of a 200 answer.
    async fn exchange(
        &self,
        name: &str,
        method: Method,
        path: &str,
        body: Option<&(dyn ErasedSerialize + Sync)>,
    ) -> Result<Bytes, Error> {
        let body = match body {
            Some(body) => Bytes::from(body.to_json().map_err(|source| Error::Decode {
                what: "request",
                source,
            })?),
            None => Bytes::new(),
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(body)
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let response = self.send(name, request).await?;
        if response.status() != StatusCode::OK {
            return Err(Error::Apple(apple_error(&response, SystemTime::now())));
        }
        Ok(response.into_body())
    }

    /// `GET /account`. Ported from Go `godep.Client.AccountDetail`.
    pub async fn account(&self, name: &str) -> Result<AccountDetail, Error> {
        self.call(name, Method::GET, "/account", None, "account")
            .await
    }

    /// `POST /server/devices`: one page of every device assigned to the
    /// server. Ported from Go `godep.Client.FetchDevices`.
    pub async fn fetch_devices(
        &self,
        name: &str,
        request: &FetchDeviceRequest,
    ) -> Result<DeviceListResponse, Error> {
        let path = "/server/devices";
        self.call(name, Method::POST, path, Some(request), "fetch devices")
            .await
    }

    /// `POST /devices/sync`: one page of changes since the cursor. Ported
    /// from Go `godep.Client.SyncDevices`.
    pub async fn sync_devices(
        &self,
        name: &str,
        request: &SyncDeviceRequest,
    ) -> Result<DeviceListResponse, Error> {
        let path = "/devices/sync";
        self.call(name, Method::POST, path, Some(request), "sync devices")
            .await
    }

    /// `POST /devices`: details of the given devices. Ported from Go
    /// `godep.Client.DeviceDetails`.
    pub async fn device_details(
        &self,
        name: &str,
        serials: &[String],
    ) -> Result<DeviceDetailsResponse, Error> {
        let body = DevicesRequest {
            devices: serials.to_vec(),
        };
        let what = "device details";
        self.call(name, Method::POST, "/devices", Some(&body), what)
            .await
    }

    /// `POST /devices/disown`: releases devices from the organisation, for
    /// good. Ported from Go `godep.Client.DisownDevices`.
    pub async fn disown_devices(
        &self,
        name: &str,
        serials: &[String],
    ) -> Result<DeviceStatusResponse, Error> {
        let body = DevicesRequest {
            devices: serials.to_vec(),
        };
        let path = "/devices/disown";
        self.call(name, Method::POST, path, Some(&body), "disown")
            .await
    }

    /// `POST /profile`: defines a profile (and assigns it to
    /// `profile.devices`); the answer names the new `profile_uuid`. Ported
    /// from Go `godep.Client.DefineProfile`.
    pub async fn define_profile(
        &self,
        name: &str,
        profile: &Profile,
    ) -> Result<DeviceStatusResponse, Error> {
        let what = "define profile";
        self.call(name, Method::POST, "/profile", Some(profile), what)
            .await
    }

    /// `GET /profile?profile_uuid=`. Ported from Go
    /// `godep.Client.GetProfile`.
    pub async fn get_profile(&self, name: &str, profile_uuid: &str) -> Result<Profile, Error> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("profile_uuid", profile_uuid)
            .finish();
        let path = format!("/profile?{query}");
        self.call(name, Method::GET, &path, None, "profile").await
    }

    /// `PUT /profile/devices`: assigns a profile. Some devices may come
    /// back `THROTTLED` with `retry_after_seconds`. Ported from Go
    /// `godep.Client.AssignProfile` (PUT, as Apple's simulator requires).
    pub async fn assign_profile(
        &self,
        name: &str,
        profile_uuid: &str,
        serials: &[String],
    ) -> Result<DeviceStatusResponse, Error> {
        let body = ProfileDevicesRequest {
            profile_uuid: Some(profile_uuid.to_owned()),
            devices: serials.to_vec(),
        };
        let what = "assign profile";
        self.call(name, Method::PUT, "/profile/devices", Some(&body), what)
            .await
    }

    /// `DELETE /profile/devices`: removes any profile from the devices.
    /// Ported from Go `godep.Client.RemoveProfile`.
    pub async fn remove_profile(
        &self,
        name: &str,
        serials: &[String],
    ) -> Result<DeviceStatusResponse, Error> {
        let body = ProfileDevicesRequest {
            profile_uuid: None,
            devices: serials.to_vec(),
        };
        let what = "remove profile";
        self.call(name, Method::DELETE, "/profile/devices", Some(&body), what)
            .await
    }
}

impl Client {
    /// `POST /device/activationlock`. Ported from Go
    /// `godep.Client.ActivationLock`.
    pub async fn activation_lock(
        &self,
        name: &str,
        request: &ActivationLockRequest,
    ) -> Result<ActivationLockResponse, Error> {
        let (path, what) = ("/device/activationlock", "activation lock");
        self.call(name, Method::POST, path, Some(request), what)
            .await
    }

    /// `GET /os-beta-enrollment/tokens` (403
    /// `APPLE_SEED_FOR_IT_TURNED_OFF` when the organisation has no
    /// AppleSeed for IT). Ported from Go
    /// `godep.Client.OSBetaEnrollmentTokens`.
    pub async fn os_beta_enrollment_tokens(
        &self,
        name: &str,
    ) -> Result<OsBetaEnrollmentTokens, Error> {
        let (path, what) = ("/os-beta-enrollment/tokens", "OS beta enrollment tokens");
        self.call(name, Method::GET, path, None, what).await
    }

    /// `POST /account-driven-enrollment/profile`: sets the MDM service
    /// discovery URL. Apple's answer body is not used. Ported from Go
    /// `godep.Client.AssignAccountDrivenEnrollmentProfile`.
    pub async fn assign_account_driven_enrollment_profile(
        &self,
        name: &str,
        mdm_service_discovery_url: &str,
    ) -> Result<(), Error> {
        let body = AccountDrivenEnrollmentProfile {
            mdm_service_discovery_url: mdm_service_discovery_url.to_owned(),
        };
        let path = "/account-driven-enrollment/profile";
        self.exchange(name, Method::POST, path, Some(&body)).await?;
        Ok(())
    }
}

/// `Serialize` made object safe, so `call` is not generic over the body.
trait ErasedSerialize {
    fn to_json(&self) -> Result<Vec<u8>, serde_json::Error>;
}

impl<T: Serialize> ErasedSerialize for T {
    fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}
