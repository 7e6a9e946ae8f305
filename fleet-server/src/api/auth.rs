//! Bearer-token authentication and the permission checks handlers use.

use std::net::IpAddr;

use http::header;

use super::{ApiError, ApiRequest, FleetApi};
use crate::users::User;

/// The client's address, as a request extension set by the server (the
/// peer address, or the one a trusted proxy reports). Login rate limiting
/// keys on it when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The session's user.
    pub user: User,
    /// The session the token opened (logout ends it).
    pub session_id: i64,
}

impl FleetApi {
    /// The user whose live session `Authorization: Bearer <token>` names;
    /// 401 "Authentication required" when there is no header, or the
    /// token is unknown or expired.
    pub async fn authenticate(&self, req: &ApiRequest) -> Result<Authenticated, ApiError> {
        let token = bearer_token(req).ok_or_else(ApiError::unauthenticated)?;
        let session = self
            .db()
            .find_session(token, self.settings().session_ttl, self.now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let user = self
            .db()
            .user_by_id(session.user_id)
            .await
            .map_err(|e| ApiError::internal(&e))?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Authenticated {
            user,
            session_id: session.id,
        })
    }

    /// [`authenticate`](Self::authenticate), then
    /// [`require_global_admin`]: what every MDM endpoint starts with.
    pub async fn authenticate_admin(&self, req: &ApiRequest) -> Result<Authenticated, ApiError> {
        let auth = self.authenticate(req).await?;
        require_global_admin(&auth.user)?;
        Ok(auth)
    }
}

/// 403 "Permission Denied" unless `user` is a global admin. Only global
/// admins may use MDM endpoints or manage users.
pub fn require_global_admin(user: &User) -> Result<(), ApiError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case
/// ignored).
fn bearer_token(req: &ApiRequest) -> Option<&str> {
    let value = req.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
