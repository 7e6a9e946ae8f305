//! Pure helpers: database names, URL rewriting and password redaction.
//!
//! Kept free of I/O so the rules MySQL imposes (identifier length and
//! characters, URL shape) can be unit tested without a server.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Every database the harness creates starts with this, so leftovers from a
/// killed run are easy to find and clean up by hand.
pub(super) const PREFIX: &str = "fleet_test_";

/// MySQL rejects database names longer than this.
pub(super) const MAX_NAME_LEN: usize = 64;

/// Longest slice of the test name kept; the rest of the name is spent on
/// the parts that make it unique.
const MAX_SHORT_NAME_LEN: usize = 24;

/// Distinguishes databases created by one process in the same nanosecond.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new database name: `fleet_test_<short name>_<pid>_<counter>_<random>`.
///
/// The pid and counter make names unique within a machine; the random part
/// covers several machines (or containers with equal pids) sharing a server.
pub(super) fn database_name(test_name: &str) -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let suffix = format!("_{pid}_{counter}_{:08x}", randomness(pid, counter));
    let room = MAX_NAME_LEN - PREFIX.len() - suffix.len();
    let mut short = short_name(test_name);
    short.truncate(room.min(MAX_SHORT_NAME_LEN));
    format!("{PREFIX}{short}{suffix}")
}

/// The last path segment of `test_name`, lower-cased, with everything but
/// ASCII letters, digits and `_` turned into single `_`s.
///
/// Lower case because database names are case sensitive on Linux but not on
/// macOS servers; ASCII only so the name never needs more than backticks.
fn short_name(test_name: &str) -> String {
    let last = test_name.rsplit("::").next().unwrap_or(test_name);
    let mut short = String::with_capacity(last.len());
    for c in last.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && short.ends_with('_')) {
            short.push(c);
        }
    }
    let short = short.trim_matches('_');
    if short.is_empty() {
        "test".to_owned()
    } else {
        short.to_owned()
    }
}

/// 32 bits that differ between processes and calls: the wall clock mixed
/// through std's randomly keyed hasher.
fn randomness(pid: u32, counter: u64) -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let hash = std::hash::RandomState::new().hash_one((nanos, pid, counter));
    // Fold both halves in so no bits of the hash are wasted.
    (hash ^ (hash >> 32)) as u32
}

/// The parts of a `mysql://` URL this module needs to tell apart.
struct UrlParts<'a> {
    /// `mysql://`, as written.
    scheme: &'a str,
    /// `user:password@host:port`.
    authority: &'a str,
    /// `?query#fragment` (options such as `ssl-mode`), possibly empty.
    tail: &'a str,
}

/// Splits `url`, or returns `None` when it is not `mysql://…`.
fn split(url: &str) -> Option<UrlParts<'_>> {
    let scheme_len = "mysql://".len();
    let scheme = url.get(..scheme_len)?;
    if !scheme.eq_ignore_ascii_case("mysql://") {
        return None;
    }
    let rest = &url[scheme_len..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let tail_start = after.find(['?', '#']).unwrap_or(after.len());
    Some(UrlParts {
        scheme,
        authority,
        tail: &after[tail_start..],
    })
}

/// `url` with its database (the path) replaced by `database`; server,
/// credentials and options are kept. `None` when `url` is not `mysql://…`.
pub(super) fn with_database(url: &str, database: &str) -> Option<String> {
    let UrlParts {
        scheme,
        authority,
        tail,
    } = split(url)?;
    Some(format!("{scheme}{authority}/{database}{tail}"))
}

/// `url` fit for a panic message or log line: any password becomes `***`.
///
/// Anything that does not look like a `mysql://` URL is withheld entirely,
/// since we cannot tell which part of it might be a secret.
pub(super) fn redact(url: &str) -> String {
    let Some(UrlParts {
        scheme, authority, ..
    }) = split(url)
    else {
        return "<not a mysql:// URL>".to_owned();
    };
    let path_and_tail = &url[scheme.len() + authority.len()..];
    // The last `@` separates credentials from host: passwords may contain `@`
    // only percent-encoded, but be generous anyway.
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:***"),
        None => userinfo.to_owned(),
    };
    format!("{scheme}{user}@{host}{path_and_tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follows_identifier_rules(name: &str) -> bool {
        name.len() <= MAX_NAME_LEN
            && name.starts_with(PREFIX)
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    #[test]
    fn names_keep_the_last_segment_of_the_test_name() {
        let name = database_name("nanomdm::queue::Enqueue-Twice");
        assert!(name.starts_with("fleet_test_enqueue_twice_"), "{name}");
        assert!(follows_identifier_rules(&name), "{name}");
    }

    #[test]
    fn long_and_odd_test_names_still_give_valid_identifiers() {
        for test_name in ["", "::", "ünïcödé ✓", &"x".repeat(500), "a--b  c", "_x_"] {
            let name = database_name(test_name);
            assert!(follows_identifier_rules(&name), "{test_name:?} gave {name}");
        }
    }

    #[test]
    fn names_are_unique_within_a_process() {
        let names: std::collections::HashSet<_> =
            (0..1000).map(|_| database_name("same")).collect();
        assert_eq!(names.len(), 1000);
    }

    #[test]
    fn the_database_is_replaced_and_options_are_kept() {
        let cases = [
            (
                "mysql://root@127.0.0.1:3306/test",
                "mysql://root@127.0.0.1:3306/db",
            ),
            ("mysql://u:p@h", "mysql://u:p@h/db"),
            ("mysql://u:p@h/", "mysql://u:p@h/db"),
            (
                "MySQL://h:1/x?ssl-mode=disabled",
                "MySQL://h:1/db?ssl-mode=disabled",
            ),
            (
                "mysql://h?prefer_socket=false",
                "mysql://h/db?prefer_socket=false",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "db").as_deref(), Some(expected), "{url}");
        }
        assert_eq!(with_database("postgres://h/x", "db"), None);
        assert_eq!(with_database("h:3306", "db"), None);
    }

    #[test]
    fn redaction_hides_passwords_only() {
        let cases = [
            (
                "mysql://root:s3cret@h:3306/test?x=1",
                "mysql://root:***@h:3306/test?x=1",
            ),
            ("mysql://root:p@ss@h/test", "mysql://root:***@h/test"),
            ("mysql://root@h:3306/test", "mysql://root@h:3306/test"),
            ("mysql://h:3306", "mysql://h:3306"),
            ("root:s3cret@h", "<not a mysql:// URL>"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected, "{url}");
        }
    }
}
