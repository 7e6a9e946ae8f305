//! RFC 3339 timestamps as `SystemTime`, the way DEP JSON carries them.

use std::time::SystemTime;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses an RFC 3339 timestamp such as `2023-07-01T22:18:53Z`.
pub(crate) fn parse(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

/// Formats `at` as RFC 3339 in UTC, whole seconds (`2023-07-01T22:18:53Z`).
pub(crate) fn format(at: SystemTime) -> String {
    let at = OffsetDateTime::from(at);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Serde adapter for `Option<SystemTime>` as an optional RFC 3339 string.
pub(crate) mod optional {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        at: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&super::format(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => super::parse(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("invalid RFC 3339 timestamp")),
        }
    }
}

/// Serde adapter for `SystemTime` as an RFC 3339 string.
pub(crate) mod required {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        at: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format(*at))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse(&text).ok_or_else(|| serde::de::Error::custom("invalid RFC 3339 timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn a_timestamp_round_trips_in_whole_seconds() {
        let at = UNIX_EPOCH + Duration::from_secs(1_688_249_933);
        assert_eq!(format(at), "2023-07-01T22:18:53Z");
        assert_eq!(parse("2023-07-01T22:18:53Z"), Some(at));
        assert_eq!(
            format(at + Duration::from_millis(500)),
            "2023-07-01T22:18:53Z"
        );
    }

    #[test]
    fn offsets_are_honoured_and_garbage_is_refused() {
        let at = UNIX_EPOCH + Duration::from_secs(1_688_249_933);
        assert_eq!(parse("2023-07-02T00:18:53+02:00"), Some(at));
        assert_eq!(parse("yesterday"), None);
    }
}
