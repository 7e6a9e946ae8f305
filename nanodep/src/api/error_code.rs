//! Apple's DEP error codes, as they appear in error bodies.

use std::fmt;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// An error code from a DEP error body. Apple keeps adding codes, so
        /// unknown ones are kept as [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this crate does not name.
            Other(String),
        }

        impl ErrorCode {
            /// The code as Apple spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(code) => code,
                }
            }

            /// The named code for `text`, or [`ErrorCode::Other`].
            pub fn from_code(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// 400: the fetch cursor already covered every device; switch to sync.
    ExhaustedCursor = "EXHAUSTED_CURSOR",
    /// 400: the cursor is older than 7 days; start a full fetch.
    ExpiredCursor = "EXPIRED_CURSOR",
    /// 400: the cursor is not one Apple issued; start a full fetch.
    InvalidCursor = "INVALID_CURSOR",
    /// 400: sync needs a cursor.
    CursorRequired = "CURSOR_REQUIRED",
    /// 400: the request body is not valid JSON for the endpoint.
    MalformedRequestBody = "MALFORMED_REQUEST_BODY",
    /// 400: the User-Agent is refused.
    UserAgentInvalid = "USER_AGENT_INVALID",
    /// 400: no User-Agent.
    UserAgentMissing = "USER_AGENT_MISSING",
    /// 400: no devices in the request.
    DeviceIdRequired = "DEVICE_ID_REQUIRED",
    /// 400: no profile UUID in the request.
    ProfileUuidRequired = "PROFILE_UUID_REQUIRED",
    /// 400: a profile without `profile_name`.
    ConfigNameRequired = "CONFIG_NAME_REQUIRED",
    /// 400: a profile without `url`.
    ConfigUrlRequired = "CONFIG_URL_REQUIRED",
    /// 400: conflicting profile flags.
    FlagsInvalid = "FLAGS_INVALID",
    /// 401: no valid session or OAuth credentials.
    Unauthorized = "UNAUTHORIZED",
    /// 401/403: the token was regenerated in Apple Business Manager.
    TokenRejected = "token_rejected",
    /// 403: the OAuth signature was refused (token replaced).
    SignatureInvalid = "signature_invalid",
    /// 403: the organisation must accept new terms and conditions.
    TermsNotSigned = "T_C_NOT_SIGNED",
    /// 403: the server has no access.
    AccessDenied = "ACCESS_DENIED",
    /// 403: an unknown session (treated like 401).
    Forbidden = "FORBIDDEN",
    /// 403: AppleSeed for IT is off for the organisation.
    AppleSeedForItTurnedOff = "APPLE_SEED_FOR_IT_TURNED_OFF",
    /// 404: the profile UUID is unknown to this server.
    ProfileNotFound = "PROFILE_NOT_FOUND",
    /// 404: not found.
    NotFound = "NOT_FOUND",
    /// 429: throttled.
    TooManyRequests = "TOO_MANY_REQUESTS",
}

impl ErrorCode {
    /// The code in an error body: a bare token, a JSON string (depsim
    /// quotes its bodies) or a JSON object with `code` or `error`. `None`
    /// when the body holds no code-like word.
    pub fn from_body(body: &str) -> Option<Self> {
        let body = body.trim();
        let text = if body.starts_with('"') {
            serde_json::from_str::<String>(body).ok()?
        } else if body.starts_with('{') {
            let value: serde_json::Value = serde_json::from_str(body).ok()?;
            let code = value.get("code").or_else(|| value.get("error"))?;
            code.as_str()?.to_owned()
        } else {
            body.to_owned()
        };
        let text = text.trim();
        let code_like = !text.is_empty()
            && text.len() <= 64
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        code_like.then(|| Self::from_code(text))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_bare_quoted_and_object_bodies() {
        assert_eq!(
            ErrorCode::from_body("EXPIRED_CURSOR"),
            Some(ErrorCode::ExpiredCursor)
        );
        assert_eq!(
            ErrorCode::from_body("\"INVALID_CURSOR\"\n"),
            Some(ErrorCode::InvalidCursor)
        );
        assert_eq!(
            ErrorCode::from_body(r#"{"code":"T_C_NOT_SIGNED","message":"x"}"#),
            Some(ErrorCode::TermsNotSigned)
        );
        assert_eq!(
            ErrorCode::from_body("NEW_THING"),
            Some(ErrorCode::Other("NEW_THING".into()))
        );
    }

    #[test]
    fn prose_and_empty_bodies_hold_no_code() {
        assert_eq!(ErrorCode::from_body(""), None);
        assert_eq!(ErrorCode::from_body("<html>Bad Gateway</html>"), None);
    }
}
