//! `Range` (single byte ranges) and conditional request headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, RANGE};

use crate::repo::Metadata;

/// What the `Range` header asks of a resource of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    /// No usable single range: send everything (200).
    Whole,
    /// Bytes `start..end` (206).
    Part { start: u64, end: u64 },
    /// A well-formed range that misses the resource (416).
    Unsatisfiable,
}

/// Interprets `Range: bytes=N-`, `bytes=N-M` and `bytes=-S` (RFC 9110
/// §14.1.2). Several ranges, other units and malformed values are ignored
/// (a full 200), which the RFC allows.
pub(crate) fn range(headers: &HeaderMap, meta: &Metadata) -> RangeAsk {
    let Some(spec) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeAsk::Whole;
    };
    if !if_range_holds(headers, meta) {
        return RangeAsk::Whole;
    }
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if set.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let len = meta.len;
    let parse = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.is_empty(), parse(first), parse(last)) {
        // bytes=-S: the last S bytes.
        (true, _, Some(suffix)) if suffix > 0 && len > 0 => RangeAsk::Part {
            start: len.saturating_sub(suffix),
            end: len,
        },
        (true, _, Some(_)) => RangeAsk::Unsatisfiable,
        (false, Some(start), None) if last.is_empty() => satisfiable(start, len, len),
        (false, Some(start), Some(end)) if end >= start => {
            satisfiable(start, end.saturating_add(1).min(len), len)
        }
        _ => RangeAsk::Whole,
    }
}

fn satisfiable(start: u64, end: u64, len: u64) -> RangeAsk {
    if start < len {
        RangeAsk::Part { start, end }
    } else {
        RangeAsk::Unsatisfiable
    }
}

/// `If-Range`: the range applies only while the validator still matches
/// (a strong etag, or the exact `Last-Modified` date).
fn if_range_holds(headers: &HeaderMap, meta: &Metadata) -> bool {
    let Some(value) = headers.get(IF_RANGE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') {
        return value == meta.etag;
    }
    httpdate::parse_http_date(value).is_ok_and(|date| date == whole_seconds(meta.modified))
}

/// Whether the client's copy is current (304): `If-None-Match` when sent
/// (weak comparison, as RFC 9110 §13.1.2 asks), else `If-Modified-Since`.
pub(crate) fn not_modified(headers: &HeaderMap, meta: &Metadata) -> bool {
    if let Some(value) = headers.get(IF_NONE_MATCH) {
        let Ok(value) = value.to_str() else {
            return false;
        };
        let ours = meta.etag.trim_start_matches("W/");
        return value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
    }
    let since = headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    since.is_some_and(|since| whole_seconds(meta.modified) <= since)
}

/// HTTP dates carry whole seconds; compare at that precision.
pub(crate) fn whole_seconds(time: SystemTime) -> SystemTime {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn meta() -> Metadata {
        Metadata {
            len: 100,
            modified: UNIX_EPOCH + Duration::from_millis(1_700_000_000_500),
            etag: "\"abc\"".into(),
        }
    }

    fn ask(range: &str) -> RangeAsk {
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_str(range).unwrap());
        super::range(&headers, &meta())
    }

    #[test]
    fn single_ranges_open_closed_and_suffix_are_understood() {
        assert_eq!(
            ask("bytes=10-"),
            RangeAsk::Part {
                start: 10,
                end: 100
            }
        );
        assert_eq!(ask("bytes=10-19"), RangeAsk::Part { start: 10, end: 20 });
        assert_eq!(
            ask("bytes=90-1000"),
            RangeAsk::Part {
                start: 90,
                end: 100
            }
        );
        assert_eq!(
            ask("bytes=-10"),
            RangeAsk::Part {
                start: 90,
                end: 100
            }
        );
        assert_eq!(ask("bytes=-1000"), RangeAsk::Part { start: 0, end: 100 });
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable_and_odd_ones_ignored() {
        assert_eq!(ask("bytes=100-"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=200-300"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=-0"), RangeAsk::Unsatisfiable);
        for ignored in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=x-",
            "bytes=-",
            "bytes=+1-",
        ] {
            assert_eq!(ask(ignored), RangeAsk::Whole, "{ignored}");
        }
    }

    #[test]
    fn if_range_with_a_stale_validator_asks_for_the_whole_resource() {
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_static("bytes=10-"));
        headers.insert(IF_RANGE, HeaderValue::from_static("\"old\""));
        assert_eq!(range(&headers, &meta()), RangeAsk::Whole);
        headers.insert(IF_RANGE, HeaderValue::from_static("\"abc\""));
        assert_eq!(
            range(&headers, &meta()),
            RangeAsk::Part {
                start: 10,
                end: 100
            }
        );
        headers.insert(
            IF_RANGE,
            HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
        );
        assert_eq!(
            range(&headers, &meta()),
            RangeAsk::Part {
                start: 10,
                end: 100
            }
        );
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let mut headers = HeaderMap::new();
        headers.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
        );
        assert!(not_modified(&headers, &meta()));
        headers.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Tue, 14 Nov 2023 22:13:19 GMT"),
        );
        assert!(!not_modified(&headers, &meta()));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"x\", \"abc\""));
        assert!(not_modified(&headers, &meta()));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        headers.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"),
        );
        assert!(!not_modified(&headers, &meta()));
    }
}
