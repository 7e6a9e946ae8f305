//! `GET /account`. Ported from Go `godep.AccountDetail`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The DEP server's account (`GET /account`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    /// The MDM server's name in Apple Business Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The MDM server's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uuid: Option<String>,
    /// The admin who created the server token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<String>,
    /// Deprecated by Apple.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilitator_id: Option<String>,
    /// The organisation's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    /// The organisation's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_email: Option<String>,
    /// The organisation's phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_phone: Option<String>,
    /// The organisation's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_address: Option<String>,
    /// The organisation's ID (protocol 3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// A hash of the organisation's ID (protocol 3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id_hash: Option<String>,
    /// `edu`, `org` or `tvprovider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_type: Option<String>,
    /// `v1` or `v2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_version: Option<String>,
    /// The endpoints the server may call, with their page limits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<AccountUrl>,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of [`AccountDetail::urls`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountUrl {
    /// The path, e.g. `/server/devices`.
    pub uri: String,
    /// The methods allowed.
    #[serde(default)]
    pub http_method: Vec<String>,
    /// The page size limits, for paged endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Page size limits of an endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// The page size when the request gives none.
    #[serde(default)]
    pub default: u32,
    /// The largest page size accepted.
    #[serde(default)]
    pub maximum: u32,
}
