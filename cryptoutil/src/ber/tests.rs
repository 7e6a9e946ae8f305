use std::path::Path;
use std::process::Command;

use super::*;

/// Decodes whitespace-separated hex, e.g. `"30 80 00 00"`.
fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    assert!(digits.len().is_multiple_of(2), "odd hex length in {text:?}");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

/// Asserts that `ber` normalises to `der`, and that `der` is a fixed point.
fn normalises(ber: &str, der: &str) {
    let expected = hex(der);
    assert_eq!(to_der(&hex(ber)), Ok(expected.clone()), "normalising {ber}");
    assert_eq!(
        to_der(&expected),
        Ok(expected.clone()),
        "re-normalising {der}"
    );
}

/// Asserts that `ber` is rejected with `error`.
fn rejects(ber: &str, error: BerError) {
    assert_eq!(to_der(&hex(ber)), Err(error), "parsing {ber}");
}

/// A BER value exercising every normalisation rule (65 bytes).
const KITCHEN_SINK: &str = "30 80
    02 01 05
    30 81 03 01 01 07
    31 80 04 82 00 01 aa 00 00
    24 80 04 01 61 24 80 04 01 62 00 00 24 03 04 01 63 00 00
    23 80 03 02 00 aa 03 02 04 b0 00 00
    bf 81 00 80 05 00 00 00
    9f 1f 01 2a
    00 00";

/// `KITCHEN_SINK` in DER (35 bytes).
const KITCHEN_SINK_DER: &str = "30 21
    02 01 05
    30 03 01 01 ff
    31 03 04 01 aa
    04 03 61 62 63
    03 03 04 aa b0
    bf 81 00 02 05 00
    9f 1f 01 2a";

#[test]
fn indefinite_lengths_become_definite() {
    normalises("30 80 02 01 05 00 00", "30 03 02 01 05");
    normalises("a0 80 02 01 05 00 00", "a0 03 02 01 05");
}

#[test]
fn nested_indefinite_values_become_definite() {
    normalises(
        "30 80 30 80 02 01 01 00 00 31 80 00 00 a1 80 30 80 00 00 00 00 00 00",
        "30 0b 30 03 02 01 01 31 00 a1 02 30 00",
    );
}

#[test]
fn indefinite_value_inside_definite_value_is_normalised() {
    normalises(
        "30 09 30 80 02 01 01 00 00 05 00",
        "30 07 30 03 02 01 01 05 00",
    );
}

#[test]
fn non_minimal_lengths_become_minimal() {
    normalises("04 81 03 61 62 63", "04 03 61 62 63");
    normalises("04 82 00 03 61 62 63", "04 03 61 62 63");
    normalises("04 88 00 00 00 00 00 00 00 01 61", "04 01 61");
    normalises("30 84 00 00 00 02 05 00", "30 02 05 00");
}

#[test]
fn long_lengths_use_the_minimal_long_form() {
    let content = "ab ".repeat(200);
    normalises(
        &format!("04 83 00 00 c8 {content}"),
        &format!("04 81 c8 {content}"),
    );
    let content = "cd ".repeat(300);
    normalises(
        &format!("24 80 04 82 01 2c {content} 00 00"),
        &format!("04 82 01 2c {content}"),
    );
}

#[test]
fn high_tag_numbers_are_preserved() {
    normalises("9f 1f 01 2a", "9f 1f 01 2a");
    normalises("bf 81 00 80 05 00 00 00", "bf 81 00 02 05 00");
    normalises("5f 8f ff ff ff 7f 00", "5f 8f ff ff ff 7f 00");
}

#[test]
fn tags_encode_in_low_and_high_tag_number_form() {
    let classes = [
        Class::Universal,
        Class::Application,
        Class::ContextSpecific,
        Class::Private,
    ];
    for class in classes {
        for constructed in [false, true] {
            for number in [0, 1, 30, 31, 127, 128, 16_383, 16_384, u32::MAX] {
                let tag = Tag {
                    class,
                    constructed,
                    number,
                };
                let mut out = Vec::new();
                tag.encode(&mut out);
                assert_eq!(out.len(), tag.encoded_len(), "{tag:?}");
                if class == Class::Universal && number < 31 {
                    continue; // Reserved, BOOLEAN or string types: tested elsewhere.
                }
                out.push(if constructed { 0x80 } else { 0x00 });
                out.extend_from_slice(if constructed { &[0, 0] } else { &[] });
                let parsed = parse(&out, Limits::default()).unwrap();
                assert_eq!(parsed.tag, tag, "{out:02x?}");
            }
        }
    }
    let mut out = Vec::new();
    Tag {
        class: Class::ContextSpecific,
        constructed: true,
        number: 128,
    }
    .encode(&mut out);
    assert_eq!(out, hex("bf 81 00"));
}

#[test]
fn non_minimal_or_oversized_tag_numbers_are_rejected() {
    rejects("9f 80 1f 00", BerError::BadTag { offset: 0 });
    rejects("9f 05 00", BerError::BadTag { offset: 0 });
    rejects("9f 1e 00", BerError::BadTag { offset: 0 });
    rejects("1f 90 80 80 80 00 00", BerError::BadTag { offset: 0 });
    rejects("30 03 1f 80 01", BerError::BadTag { offset: 2 });
}

#[test]
fn reserved_universal_tag_zero_is_rejected() {
    rejects("00 01 00", BerError::BadTag { offset: 0 });
    rejects("20 00", BerError::BadTag { offset: 0 });
    rejects("30 80 00 01 00 00 00", BerError::BadTag { offset: 2 });
}

#[test]
fn constructed_octet_strings_become_primitive() {
    normalises("24 80 04 02 61 62 04 01 63 00 00", "04 03 61 62 63");
    normalises("24 07 04 02 61 62 04 01 63", "04 03 61 62 63");
}

#[test]
fn nested_constructed_strings_are_flattened() {
    normalises(
        "24 80 04 01 61 24 80 04 01 62 00 00 24 03 04 01 63 00 00",
        "04 03 61 62 63",
    );
}

#[test]
fn every_string_and_time_type_is_collapsed() {
    for number in [4u8, 12, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30] {
        normalises(
            &format!(
                "{:02x} 80 {number:02x} 01 41 {number:02x} 01 42 00 00",
                number | 0x20
            ),
            &format!("{number:02x} 02 41 42"),
        );
    }
}

#[test]
fn other_constructed_types_are_not_collapsed() {
    normalises("30 03 04 01 61", "30 03 04 01 61");
    normalises("a4 03 04 01 61", "a4 03 04 01 61");
    normalises("64 03 04 01 61", "64 03 04 01 61");
}

#[test]
fn constructed_bit_strings_keep_the_last_unused_bits() {
    normalises("23 80 03 02 00 aa 03 02 04 b0 00 00", "03 03 04 aa b0");
    normalises(
        "23 80 03 01 00 23 80 03 02 03 f8 00 00 00 00",
        "03 02 03 f8",
    );
}

#[test]
fn empty_constructed_strings_become_empty_primitives() {
    normalises("24 00", "04 00");
    normalises("24 80 04 00 00 00", "04 00");
    normalises("23 80 00 00", "03 01 00");
}

#[test]
fn bit_string_segment_with_unused_bits_must_be_last() {
    rejects(
        "23 80 03 02 04 a0 03 02 00 bb 00 00",
        BerError::BadStringSegment { offset: 6 },
    );
}

#[test]
fn bit_string_segments_need_a_valid_unused_bits_octet() {
    rejects("23 02 03 00", BerError::BadStringSegment { offset: 2 });
    rejects("23 03 03 01 08", BerError::BadStringSegment { offset: 2 });
}

#[test]
fn string_segments_must_have_the_same_type() {
    rejects(
        "24 80 0c 01 61 00 00",
        BerError::BadStringSegment { offset: 2 },
    );
    rejects(
        "24 05 30 03 02 01 01",
        BerError::BadStringSegment { offset: 2 },
    );
    rejects(
        "24 80 04 00 80 01 61 00 00",
        BerError::BadStringSegment { offset: 4 },
    );
    rejects(
        "24 80 23 80 03 01 00 00 00 00 00",
        BerError::BadStringSegment { offset: 2 },
    );
}

#[test]
fn true_booleans_become_ff() {
    normalises("01 01 01", "01 01 ff");
    normalises("01 01 80", "01 01 ff");
    normalises("01 01 00", "01 01 00");
    normalises("30 80 01 01 2a 00 00", "30 03 01 01 ff");
}

#[test]
fn booleans_must_have_one_content_octet() {
    rejects("01 02 ff ff", BerError::BadLength { offset: 1 });
    rejects("01 00", BerError::BadLength { offset: 1 });
    rejects("30 80 01 81 00 00 00", BerError::BadLength { offset: 3 });
}

#[test]
fn set_of_order_and_integer_contents_are_untouched() {
    normalises("31 06 02 01 02 02 01 01", "31 06 02 01 02 02 01 01");
    normalises("31 80 04 01 62 04 01 61 00 00", "31 06 04 01 62 04 01 61");
    normalises("02 03 00 00 01", "02 03 00 00 01");
    normalises("02 81 02 ff ff", "02 02 ff ff");
}

#[test]
fn der_input_passes_through_byte_identical() {
    let der = hex(KITCHEN_SINK_DER);
    assert_eq!(to_der(&der), Ok(der.clone()));
}

#[test]
fn all_rules_apply_together() {
    normalises(KITCHEN_SINK, KITCHEN_SINK_DER);
}

#[test]
fn normalising_is_idempotent() {
    let inputs = [
        KITCHEN_SINK,
        "30 80 30 80 02 01 01 00 00 31 80 00 00 00 00",
        "24 80 04 01 61 24 80 04 01 62 00 00 00 00",
        "01 01 07",
    ];
    for input in inputs {
        let once = to_der(&hex(input)).unwrap();
        assert_eq!(to_der(&once), Ok(once.clone()), "{input}");
    }
}

#[test]
fn empty_input_is_rejected() {
    assert_eq!(to_der(&[]), Err(BerError::Empty));
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let limits = Limits {
        max_input_len: 4,
        ..Limits::default()
    };
    assert_eq!(
        to_der_with_limits(&[0xff; 5], limits),
        Err(BerError::TooLarge { len: 5, max: 4 })
    );
    let big = vec![0xff; 4 * 1024 * 1024 + 1];
    assert_eq!(
        to_der(&big),
        Err(BerError::TooLarge {
            len: big.len(),
            max: 4 * 1024 * 1024
        })
    );
}

#[test]
fn default_limits_are_64_levels_and_4_mib() {
    let limits = Limits::default();
    assert_eq!(limits.max_depth, 64);
    assert_eq!(limits.max_input_len, 4 * 1024 * 1024);
}

#[test]
fn ten_thousand_nested_indefinite_values_are_too_deep() {
    let input = "30 80 ".repeat(10_000);
    rejects(&input, BerError::TooDeep { max: 64 });
}

#[test]
fn nesting_up_to_max_depth_is_accepted() {
    let nested = |levels: usize| {
        hex(&format!(
            "{}{}",
            "30 80 ".repeat(levels),
            "00 00 ".repeat(levels)
        ))
    };
    assert!(to_der(&nested(64)).is_ok());
    assert_eq!(to_der(&nested(65)), Err(BerError::TooDeep { max: 64 }));
    let limits = Limits {
        max_depth: 0,
        ..Limits::default()
    };
    assert_eq!(to_der_with_limits(&hex("05 00"), limits), Ok(hex("05 00")));
    assert_eq!(
        to_der_with_limits(&hex("30 00"), limits),
        Err(BerError::TooDeep { max: 0 })
    );
}

#[test]
fn huge_declared_lengths_fail_fast() {
    // 100 MB declared in a 10-byte input.
    rejects(
        "04 84 05 f5 e1 00 61 62 63 64",
        BerError::LengthPastEnd { offset: 1 },
    );
    rejects(
        "30 80 04 84 05 f5 e1 00 61 62",
        BerError::LengthPastEnd { offset: 3 },
    );
    rejects(
        "04 88 ff ff ff ff ff ff ff ff",
        BerError::LengthPastEnd { offset: 1 },
    );
    rejects("30 03 04 02 61", BerError::LengthPastEnd { offset: 3 });
}

#[test]
fn reserved_and_overlong_length_octets_are_rejected() {
    rejects("04 ff 00", BerError::BadLength { offset: 1 });
    rejects(
        "04 89 00 00 00 00 00 00 00 00 01 61",
        BerError::BadLength { offset: 1 },
    );
}

#[test]
fn indefinite_length_on_a_primitive_is_rejected() {
    rejects(
        "04 80 61 00 00",
        BerError::IndefiniteOnPrimitive { offset: 0 },
    );
    rejects(
        "30 80 02 80 00 00",
        BerError::IndefiniteOnPrimitive { offset: 2 },
    );
}

#[test]
fn missing_end_of_contents_is_rejected() {
    rejects(
        "30 80 02 01 01",
        BerError::MissingEndOfContents { offset: 0 },
    );
    rejects(
        "30 05 30 80 02 01 01",
        BerError::MissingEndOfContents { offset: 2 },
    );
    rejects(
        "30 80 30 80 00 00",
        BerError::MissingEndOfContents { offset: 0 },
    );
}

#[test]
fn end_of_contents_in_a_definite_context_is_rejected() {
    rejects(
        "30 04 02 00 00 00",
        BerError::UnexpectedEndOfContents { offset: 4 },
    );
    rejects("00 00", BerError::UnexpectedEndOfContents { offset: 0 });
}

#[test]
fn truncated_headers_are_rejected() {
    rejects("30", BerError::Truncated { offset: 1 });
    rejects("1f 81", BerError::Truncated { offset: 2 });
    rejects("04 82 01", BerError::Truncated { offset: 3 });
    rejects("30 01 04", BerError::Truncated { offset: 3 });
    rejects("30 80 00", BerError::Truncated { offset: 3 });
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    for input in [hex(KITCHEN_SINK), hex(KITCHEN_SINK_DER)] {
        for len in 0..input.len() {
            assert!(to_der(&input[..len]).is_err(), "prefix of {len} bytes");
        }
        assert!(to_der(&input).is_ok());
    }
}

#[test]
fn trailing_data_is_rejected() {
    rejects("05 00 00", BerError::TrailingData { offset: 2 });
    rejects("30 80 00 00 ff", BerError::TrailingData { offset: 4 });
    rejects("30 80 00 00 00 00", BerError::TrailingData { offset: 4 });
}

#[test]
fn error_messages_name_the_problem_and_offset() {
    assert_eq!(
        BerError::LengthPastEnd { offset: 12 }.to_string(),
        "length at offset 12 runs past the end of the input"
    );
    assert_eq!(
        BerError::TooLarge { len: 5, max: 4 }.to_string(),
        "input of 5 bytes exceeds the limit of 4 bytes"
    );
}

#[test]
fn mutated_inputs_never_panic() {
    let base = hex(KITCHEN_SINK);
    let specials = [
        0x00, 0x01, 0x03, 0x04, 0x1f, 0x20, 0x23, 0x24, 0x7f, 0x80, 0x81, 0x88, 0xff,
    ];
    let mut variants = Vec::new();
    for pos in 0..base.len() {
        for bit in 0..8 {
            let mut v = base.clone();
            v[pos] ^= 1 << bit;
            variants.push(v);
        }
        for &byte in &specials {
            let mut v = base.clone();
            v[pos] = byte;
            variants.push(v);
        }
        let mut v = base.clone();
        v.remove(pos);
        variants.push(v);
    }
    for pos in 0..=base.len() {
        for &byte in &specials {
            let mut v = base.clone();
            v.insert(pos, byte);
            variants.push(v);
        }
    }
    // Deterministic multi-byte mutations (xorshift).
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut v = base.clone();
        for _ in 0..=next() % 4 {
            let pos = (next() % v.len() as u64) as usize;
            v[pos] = next() as u8;
        }
        variants.push(v);
    }
    assert!(variants.len() > 3000, "{} variants", variants.len());
    for variant in &variants {
        let result = std::panic::catch_unwind(|| to_der(variant));
        let Ok(result) = result else {
            panic!("panicked on {variant:02x?}");
        };
        if let Ok(der) = result {
            assert_eq!(
                to_der(&der),
                Ok(der.clone()),
                "not idempotent on {variant:02x?}"
            );
        }
    }
}

#[test]
fn parse_returns_a_normalised_tree() {
    let tlv = parse(
        &hex("30 80 24 80 04 01 61 00 00 01 01 01 00 00"),
        Limits::default(),
    )
    .unwrap();
    let expected = Tlv {
        tag: Tag {
            class: Class::Universal,
            constructed: true,
            number: 16,
        },
        value: Value::Constructed(vec![
            Tlv {
                tag: Tag {
                    class: Class::Universal,
                    constructed: false,
                    number: 4,
                },
                value: Value::Primitive(b"a".to_vec()),
            },
            Tlv {
                tag: Tag {
                    class: Class::Universal,
                    constructed: false,
                    number: 1,
                },
                value: Value::Primitive(vec![0xff]),
            },
        ]),
    };
    assert_eq!(tlv, expected);
    assert_eq!(encode(&tlv), hex("30 06 04 01 61 01 01 ff"));
}

#[test]
fn implicit_octet_strings_collapse_to_primitive() {
    let mut tlv = parse(
        &hex("a0 80 04 01 61 24 80 04 01 62 00 00 04 00 00 00"),
        Limits::default(),
    )
    .unwrap();
    assert!(matches!(tlv.value, Value::Constructed(_)));
    tlv.collapse_to_primitive().unwrap();
    assert_eq!(encode(&tlv), hex("80 02 61 62"));
    // Already primitive: unchanged.
    let before = tlv.clone();
    tlv.collapse_to_primitive().unwrap();
    assert_eq!(tlv, before);
}

#[test]
fn collapse_flattens_nested_constructed_segments() {
    let octets = |constructed, value| Tlv {
        tag: Tag {
            class: Class::Universal,
            constructed,
            number: 4,
        },
        value,
    };
    let mut tlv = Tlv {
        tag: Tag {
            class: Class::ContextSpecific,
            constructed: true,
            number: 0,
        },
        value: Value::Constructed(vec![
            octets(false, Value::Primitive(b"a".to_vec())),
            octets(
                true,
                Value::Constructed(vec![octets(false, Value::Primitive(b"bc".to_vec()))]),
            ),
        ]),
    };
    tlv.collapse_to_primitive().unwrap();
    assert_eq!(encode(&tlv), hex("80 03 61 62 63"));
}

#[test]
fn collapse_rejects_foreign_segments_with_der_offsets() {
    // a0 06 | 04 01 61 | 02 01 01: the INTEGER is at offset 5.
    let mut tlv = parse(&hex("a0 80 04 01 61 02 01 01 00 00"), Limits::default()).unwrap();
    let before = tlv.clone();
    assert_eq!(
        tlv.collapse_to_primitive(),
        Err(BerError::BadStringSegment { offset: 5 })
    );
    assert_eq!(tlv, before);
}

/// Runs openssl with `args` in `dir`, returning stdout; panics on failure.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn openssl_streamed_signed_data_normalises_and_still_verifies() {
    let available = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !available {
        eprintln!("skipping: openssl is not on PATH");
        return;
    }
    let dir = std::env::temp_dir().join(format!("berwork-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    #[rustfmt::skip]
    openssl(&dir, &[
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=ber-test", "-days", "2",
    ]);
    // Large enough for openssl to stream several OCTET STRING segments.
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("data"), &data).unwrap();
    #[rustfmt::skip]
    openssl(&dir, &[
        "cms", "-sign", "-stream", "-outform", "DER", "-nodetach", "-binary",
        "-in", "data", "-signer", "cert.pem", "-inkey", "key.pem", "-out", "signed.ber",
    ]);
    let ber = std::fs::read(dir.join("signed.ber")).unwrap();
    let listing = openssl(
        &dir,
        &["asn1parse", "-inform", "DER", "-i", "-in", "signed.ber"],
    );
    assert!(
        String::from_utf8_lossy(&listing).contains("l=inf"),
        "input is not BER"
    );

    let der = to_der(&ber).unwrap();
    assert!(der.len() < ber.len(), "{} >= {}", der.len(), ber.len());
    assert_eq!(to_der(&der), Ok(der.clone()));
    std::fs::write(dir.join("signed.der"), &der).unwrap();
    let listing = openssl(
        &dir,
        &["asn1parse", "-inform", "DER", "-i", "-in", "signed.der"],
    );
    assert!(!String::from_utf8_lossy(&listing).contains("l=inf"));

    #[rustfmt::skip]
    let content = openssl(&dir, &[
        "cms", "-verify", "-noverify", "-inform", "DER", "-binary", "-in", "signed.der",
    ]);
    assert_eq!(content, data);

    openssl(
        &dir,
        &[
            "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
        ],
    );
    let cert = std::fs::read(dir.join("cert.der")).unwrap();
    assert_eq!(to_der(&cert), Ok(cert.clone()), "DER certificate changed");
    std::fs::remove_dir_all(&dir).ok();
}
