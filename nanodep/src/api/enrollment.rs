//! OS beta enrollment tokens and the account-driven enrollment profile.
//! Ported from Go `godep.OSBetaEnrollmentTokens` and
//! `godep.AssignAccountDrivenEnrollmentProfile`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One beta program token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BetaEnrollmentToken {
    /// The program's title.
    #[serde(default)]
    pub title: String,
    /// The token for `InstallBetaProgram` style commands.
    #[serde(default)]
    pub token: String,
    /// The OS it applies to.
    #[serde(default)]
    pub os: String,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /os-beta-enrollment/tokens` answer (Apple's camelCase names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsBetaEnrollmentTokens {
    /// Beta enrollment tokens.
    #[serde(default, rename = "betaEnrollmentTokens")]
    pub beta_enrollment_tokens: Vec<BetaEnrollmentToken>,
    /// Fields this crate does not name (`seedBuildTokens`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /account-driven-enrollment/profile` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDrivenEnrollmentProfile {
    /// The MDM service discovery URL.
    pub mdm_service_discovery_url: String,
}
