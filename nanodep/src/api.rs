//! The DEP API's vocabulary: request and response bodies of every endpoint
//! and Apple's error codes. Pure data; the client sends them. Ported from
//! Go `godep`.
//!
//! Every response struct keeps fields this crate does not name in `extra`,
//! so nothing Apple adds is lost when a response is stored or passed on.

mod account;
mod devices;
mod enrollment;
mod error_code;
mod profiles;

pub use self::account::{AccountDetail, AccountUrl, Limit};
pub use self::devices::{
    ActivationLockRequest, ActivationLockResponse, Device, DeviceDetailsResponse,
    DeviceListResponse, DeviceStatusResponse, DevicesRequest, FetchDeviceRequest, OpType,
    SyncDeviceRequest,
};
pub use self::enrollment::{
    AccountDrivenEnrollmentProfile, BetaEnrollmentToken, OsBetaEnrollmentTokens,
};
pub use self::error_code::ErrorCode;
pub use self::profiles::{Profile, ProfileDevicesRequest};

/// How long Apple accepts a sync cursor (then `EXPIRED_CURSOR`).
pub const CURSOR_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// Per-device status `SUCCESS`.
pub const SUCCESS: &str = "SUCCESS";
/// Per-device status `NOT_ACCESSIBLE`: the device is not assigned to this
/// server.
pub const NOT_ACCESSIBLE: &str = "NOT_ACCESSIBLE";
/// Per-device status `FAILED`.
pub const FAILED: &str = "FAILED";
/// Per-device status `THROTTLED` (protocol 9+): try again later.
pub const THROTTLED: &str = "THROTTLED";
