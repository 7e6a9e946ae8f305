use super::*;
use crate::store::kv::key;

#[test]
fn escaped_segments_use_only_safe_lowercase_characters_and_round_trip() {
    for segment in [
        "66ADE930-5FDF-5EC4-8429-15640684C489:appleid@example.com",
        "com.apple.mgmt.External.1a2b",
        "..",
        ".lock",
        "a/b\\c",
        "ünïcode",
        "000-00000000000000000001",
    ] {
        let name = escape(segment).unwrap();
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_%ABCDEF".contains(&b)),
            "{name}"
        );
        assert!(!name.starts_with('.'), "{name}");
        assert_eq!(unescape(&name).as_deref(), Some(segment));
    }
}

#[test]
fn segments_differing_only_in_case_get_names_differing_beyond_case() {
    let upper = escape("ABC").unwrap();
    let lower = escape("abc").unwrap();
    assert!(!upper.eq_ignore_ascii_case(&lower));
}

#[test]
fn the_empty_segment_has_a_name_of_its_own() {
    assert_eq!(escape("").unwrap(), "%");
    assert_eq!(unescape("%").as_deref(), Some(""));
}

#[test]
fn names_this_store_did_not_write_are_not_keys() {
    for name in [".lock", ".tmp.1.2", "README", "%2e", "%zz", "a%2D"] {
        assert_eq!(unescape(name), None, "{name}");
    }
}

#[test]
fn a_segment_too_long_for_a_file_name_is_refused() {
    let long = "a".repeat(256);
    assert!(matches!(
        escape(&long),
        Err(FileStoreError::SegmentTooLong(256))
    ));
}

#[test]
fn values_are_written_read_listed_in_key_order_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = DirBackend::new(dir.path().to_owned());
    // "B" escapes to "%42", which sorts before "a" as a name but not as a key.
    for (k, v) in [
        (["q", "x", "a"], "1"),
        (["q", "x", "B"], "2"),
        (["q", "", "c"], "3"),
    ] {
        b.put(&key(k), v.as_bytes()).unwrap();
    }
    assert_eq!(
        b.get(&key(["q", "x", "B"])).unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(b.get(&key(["q", "x", "z"])).unwrap(), None);
    assert_eq!(
        b.list(&key(["q"])).unwrap(),
        [
            key(["q", "", "c"]),
            key(["q", "x", "B"]),
            key(["q", "x", "a"])
        ]
    );
    b.put(&key(["q", "x", "a"]), b"replaced").unwrap();
    assert_eq!(
        b.get(&key(["q", "x", "a"])).unwrap().as_deref(),
        Some(&b"replaced"[..])
    );

    b.delete(&key(["q", "x", "a"])).unwrap();
    b.delete(&key(["q", "x", "B"])).unwrap();
    b.delete(&key(["q", "x", "B"])).unwrap();
    assert_eq!(b.list(&key(["q"])).unwrap(), [key(["q", "", "c"])]);
    assert!(
        !dir.path().join("q").join("x").exists(),
        "empty directories are removed"
    );
    assert!(b.list(&key(["nothing"])).unwrap().is_empty());
}

#[test]
fn no_temporary_file_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = DirBackend::new(dir.path().to_owned());
    b.put(&key(["k"]), b"v").unwrap();
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["k"]);
}
