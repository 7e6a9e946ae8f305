//! The `RequestType` values Apple documents.

/// Every `RequestType` in Apple's command schemas, sorted.
///
/// Source: the `payload: requesttype:` values of `mdm/commands/*.yaml` in
/// [apple/device-management](https://github.com/apple/device-management) at
/// `b6202ca` (66 commands). Apple adds request types with each OS release,
/// so this list is informational: unknown request types are still valid.
pub const KNOWN_REQUEST_TYPES: &[&str] = &[
    "AccountConfiguration",
    "ActivationLockBypassCode",
    "ActiveNSExtensions",
    "ApplyRedemptionCode",
    "AvailableOSUpdates",
    "CertificateList",
    "ClearActivationLockBypassCode",
    "ClearPasscode",
    "ClearRestrictionsPassword",
    "ContentCachingInformation",
    "DeclarativeManagement",
    "DeleteUser",
    "DeviceConfigured",
    "DeviceInformation",
    "DeviceLocation",
    "DeviceLock",
    "DisableLostMode",
    "DisableRemoteDesktop",
    "EnableLostMode",
    "EnableRemoteDesktop",
    "EraseDevice",
    "InstallApplication",
    "InstallEnterpriseApplication",
    "InstallMedia",
    "InstallProfile",
    "InstallProvisioningProfile",
    "InstalledApplicationList",
    "InviteToProgram",
    "LOMDeviceRequest",
    "LOMSetupRequest",
    "LogOutUser",
    "ManagedApplicationAttributes",
    "ManagedApplicationConfiguration",
    "ManagedApplicationFeedback",
    "ManagedApplicationList",
    "ManagedMediaList",
    "NSExtensionMappings",
    "OSUpdateStatus",
    "PlayLostModeSound",
    "ProfileList",
    "ProvisioningProfileList",
    "RefreshCellularPlans",
    "RemoveApplication",
    "RemoveMedia",
    "RemoveProfile",
    "RemoveProvisioningProfile",
    "RequestMirroring",
    "RequestUnlockToken",
    "RestartDevice",
    "Restrictions",
    "RotateFileVaultKey",
    "ScheduleOSUpdate",
    "ScheduleOSUpdateScan",
    "SecurityInfo",
    "SetAutoAdminPassword",
    "SetFirmwarePassword",
    "SetRecoveryLock",
    "Settings",
    "ShutDownDevice",
    "StopMirroring",
    "UnlockUserAccount",
    "UserConfigured",
    "UserList",
    "ValidateApplications",
    "VerifyFirmwarePassword",
    "VerifyRecoveryLock",
];

/// Whether Apple documents `request_type` (see [`KNOWN_REQUEST_TYPES`]).
#[must_use]
pub fn is_known_request_type(request_type: &str) -> bool {
    KNOWN_REQUEST_TYPES.binary_search(&request_type).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_free_of_duplicates() {
        assert!(KNOWN_REQUEST_TYPES.windows(2).all(|w| w[0] < w[1]));
    }
}
