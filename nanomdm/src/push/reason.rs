//! Why APNs refused a notification: the `reason` of its error response.

use std::fmt;

macro_rules! reasons {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The `reason` string of an APNs error response, as a type callers can
        /// branch on (nanomdm only passes the string through).
        ///
        /// The names are Apple's; a reason this library does not know is kept
        /// as [`Other`](Self::Other).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ApnsReason {
            $($(#[$doc])* $name,)*
            /// A reason this library does not know, or none (an empty string
            /// when the error body was not APNs' JSON).
            Other(String),
        }

        impl ApnsReason {
            /// Apple's name of the reason.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$name => stringify!($name),)*
                    Self::Other(reason) => reason,
                }
            }

            /// Parses APNs' `reason` string.
            pub fn parse(reason: &str) -> Self {
                match reason {
                    $(stringify!($name) => Self::$name,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

reasons! {
    /// 400: the collapse identifier is too long.
    BadCollapseId,
    /// 400: the device token is not a token (wrong length, not hex).
    BadDeviceToken,
    /// 400: `apns-expiration` is malformed.
    BadExpirationDate,
    /// 400: `apns-id` is malformed.
    BadMessageId,
    /// 400: `apns-priority` is malformed.
    BadPriority,
    /// 400: `apns-topic` is malformed.
    BadTopic,
    /// 400: the token belongs to another topic (another push certificate).
    DeviceTokenNotForTopic,
    /// 400: a header was repeated.
    DuplicateHeaders,
    /// 400: the connection was idle too long.
    IdleTimeout,
    /// 400: `apns-push-type` is wrong for the payload.
    InvalidPushType,
    /// 400: the path has no device token.
    MissingDeviceToken,
    /// 400: `apns-topic` is required and missing.
    MissingTopic,
    /// 400: the payload is empty.
    PayloadEmpty,
    /// 400: the certificate may not push to this topic.
    TopicDisallowed,
    /// 403: the client certificate is invalid.
    BadCertificate,
    /// 403: the certificate is for the other environment (production vs
    /// development).
    BadCertificateEnvironment,
    /// 403: the provider token is stale.
    ExpiredProviderToken,
    /// 403: the action is not allowed.
    Forbidden,
    /// 403: the provider token is invalid.
    InvalidProviderToken,
    /// 403: neither a certificate nor a provider token was presented.
    MissingProviderToken,
    /// 403: the key ID of the provider token is unrelated to the topic.
    UnrelatedKeyIdInToken,
    /// 403: the key ID of the provider token is for the other environment.
    BadEnvironmentKeyIdInToken,
    /// 404: the path is wrong.
    BadPath,
    /// 405: only POST is supported.
    MethodNotAllowed,
    /// 410: the device token has expired.
    ExpiredToken,
    /// 410: the device token is no longer active for the topic (the device
    /// unenrolled or was wiped); the error carries when APNs learnt so.
    Unregistered,
    /// 413: the payload is too large.
    PayloadTooLarge,
    /// 429: the provider token is updated too often.
    TooManyProviderTokenUpdates,
    /// 429: too many pushes to the same device token.
    TooManyRequests,
    /// 500: APNs failed internally.
    InternalServerError,
    /// 503: APNs is unavailable.
    ServiceUnavailable,
    /// 503: the APNs server is shutting down.
    Shutdown,
}

impl ApnsReason {
    /// Whether the device token will never work again for this topic, so the
    /// caller should stop pushing to it (e.g. mark the enrollment gone).
    pub fn token_is_dead(&self) -> bool {
        matches!(
            self,
            Self::Unregistered | Self::ExpiredToken | Self::BadDeviceToken
        )
    }

    /// Whether the same push may succeed later unchanged (rate limits, APNs
    /// outages, a connection closed for idleness).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            Self::TooManyRequests
                | Self::InternalServerError
                | Self::ServiceUnavailable
                | Self::Shutdown
                | Self::IdleTimeout
        )
    }

    /// Whether the push certificate itself is the problem (every push with it
    /// will fail the same way).
    pub fn is_certificate_problem(&self) -> bool {
        matches!(
            self,
            Self::BadCertificate
                | Self::BadCertificateEnvironment
                | Self::TopicDisallowed
                | Self::Forbidden
        )
    }
}

impl fmt::Display for ApnsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(reason) if reason.is_empty() => f.write_str("unknown reason"),
            other => f.write_str(other.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_reasons_round_trip_through_their_names() {
        for name in [
            "BadDeviceToken",
            "Unregistered",
            "TooManyRequests",
            "Shutdown",
        ] {
            let reason = ApnsReason::parse(name);
            assert!(!matches!(reason, ApnsReason::Other(_)), "{name}");
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.to_string(), name);
        }
    }

    #[test]
    fn an_unknown_reason_is_kept_verbatim() {
        let reason = ApnsReason::parse("SomethingNew");
        assert_eq!(reason, ApnsReason::Other("SomethingNew".to_owned()));
        assert_eq!(reason.as_str(), "SomethingNew");
        assert_eq!(ApnsReason::parse("").to_string(), "unknown reason");
    }

    #[test]
    fn unregistered_means_the_token_is_dead_and_429_is_temporary() {
        assert!(ApnsReason::Unregistered.token_is_dead());
        assert!(!ApnsReason::Unregistered.is_temporary());
        assert!(ApnsReason::TooManyRequests.is_temporary());
        assert!(ApnsReason::BadCertificateEnvironment.is_certificate_problem());
    }
}
