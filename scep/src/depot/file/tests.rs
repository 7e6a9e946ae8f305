use std::time::{Duration, SystemTime};

use cryptoutil::der::DateTime;

use super::disk::{is_plain_file_name, sanitise_file_stem};
use super::index::{self, Entry, Line};
use super::*;

#[test]
fn an_index_line_written_by_scepserver_round_trips() {
    let line = "V\t270529191516Z\t\t02\ttest-device.2.pem\t/C=US/O=scep-ca/CN=test-device";
    let entry = Entry::parse(line).expect("a valid line");
    assert_eq!(entry.status, 'V');
    assert_eq!(entry.serial(), vec![2]);
    assert_eq!(entry.file, "test-device.2.pem");
    assert_eq!(entry.revoked_at(), None);
    assert_eq!(entry.line(), line);
}

#[test]
fn a_revoked_line_gives_its_revocation_time_and_ignores_a_reason() {
    let line = "R\t270529191516Z\t260102030405Z,keyCompromise\t0A\tx.10.pem\t/CN=x";
    let entry = Entry::parse(line).expect("a valid line");
    let expected = index::parse_openssl_time("260102030405Z").expect("a time");
    assert_eq!(entry.revoked_at(), Some(expected));
    assert!(entry.has_serial(&[0x0a]));
    assert!(
        entry.has_serial(&[0x00, 0x0a]),
        "leading zeros do not matter"
    );
}

#[test]
fn revoking_an_entry_writes_the_time_in_utc_to_the_second() {
    let mut entry = Entry::parse("V\t270529191516Z\t\t02\tx.2.pem\t/CN=x").expect("valid");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
    entry.revoke(at);
    assert_eq!(
        entry.line(),
        "R\t270529191516Z\t260101000000Z\t02\tx.2.pem\t/CN=x"
    );
    assert_eq!(entry.revoked_at(), Some(at));
}

#[test]
fn openssl_times_use_two_digit_years_until_2049_and_four_after() {
    let t = |y, m, d| DateTime::new(y, m, d, 1, 2, 3).expect("a date");
    assert_eq!(index::openssl_time(&t(2049, 12, 31)), "491231010203Z");
    assert_eq!(index::openssl_time(&t(2050, 1, 1)), "20500101010203Z");
    assert_eq!(index::openssl_time(&t(1999, 5, 6)), "990506010203Z");
    for text in ["491231010203Z", "20500101010203Z", "990506010203Z"] {
        let parsed = index::parse_openssl_time(text).expect("parses");
        let back = DateTime::from_system_time(parsed).expect("in range");
        assert_eq!(index::openssl_time(&back), text);
    }
}

#[test]
fn unknown_and_empty_lines_are_kept_or_dropped_but_never_read_as_entries() {
    let text = "# a comment\n\nV\t270529191516Z\t\t03\tx.3.pem\t/CN=x\nV\tbroken\n";
    let lines = index::parse(text);
    assert_eq!(index::entries(&lines).count(), 1);
    assert_eq!(
        index::render(&lines),
        "# a comment\nV\t270529191516Z\t\t03\tx.3.pem\t/CN=x\nV\tbroken\n"
    );
}

#[test]
fn serials_are_upper_hex_of_even_length_and_decimal_in_file_names() {
    assert_eq!(index::serial_hex(&[0x00, 0x80]), "80");
    assert_eq!(index::serial_hex(&[0x0a]), "0A");
    assert_eq!(index::serial_hex(&[0x01, 0x00]), "0100");
    assert_eq!(index::serial_decimal(&[0x00, 0x80]), "128");
    assert_eq!(index::serial_decimal(&[0x01, 0x00]), "256");
    assert_eq!(index::serial_decimal(&[0]), "0");
    let big = u128::MAX.to_be_bytes();
    assert_eq!(index::serial_decimal(&big), u128::MAX.to_string());
}

#[test]
fn common_names_cannot_escape_the_depot_or_hide_files() {
    assert_eq!(sanitise_file_stem("../../etc/passwd"), "___.._etc_passwd");
    assert_eq!(sanitise_file_stem("..\\x"), "___x");
    assert_eq!(sanitise_file_stem(".hidden"), "_hidden");
    assert_eq!(sanitise_file_stem("a\0b\nc"), "a_b_c");
    assert_eq!(sanitise_file_stem("device-1"), "device-1");
    assert!(sanitise_file_stem(&"é".repeat(300)).len() <= 200);
    assert!(!is_plain_file_name("../ca.key"));
    assert!(!is_plain_file_name(".x.pem"));
    assert!(is_plain_file_name("x.2.pem"));
}

#[test]
fn the_next_serial_steps_over_every_indexed_serial() {
    let lines = index::parse("V\t270529191516Z\t\t05\tx.5.pem\t/CN=x\n");
    assert_eq!(next_free_serial(None, &[]), 2);
    assert_eq!(next_free_serial(Some(1), &[]), 2);
    assert_eq!(next_free_serial(Some(3), &lines), 6);
    assert_eq!(next_free_serial(Some(9), &lines), 9);
    let huge = vec![Line::Entry(
        Entry::parse(&format!(
            "V\t270529191516Z\t\t{}\tx.pem\t/CN=x",
            "7F".repeat(20)
        ))
        .expect("valid"),
    )];
    assert_eq!(
        next_free_serial(Some(4), &huge),
        4,
        "random 20-byte serials are ignored"
    );
}

#[test]
fn a_serial_file_is_lower_hex_with_even_digits() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write_serial_file(dir.path(), 0x0abc).expect("written");
    let text = std::fs::read_to_string(dir.path().join(SERIAL)).expect("read");
    assert_eq!(text, "0abc\n");
    let parsed = parse_serial_file(&dir.path().join(SERIAL), &text).expect("parses");
    assert_eq!(parsed, 0x0abc);
    assert!(parse_serial_file(Path::new("serial"), "zz\n").is_err());
}
