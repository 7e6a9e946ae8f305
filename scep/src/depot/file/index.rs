//! `index.txt`, the OpenSSL `ca` style database micromdm's file depot
//! keeps: one line per issued certificate,
//! `status \t notAfter \t revoked \t SERIAL \t file name \t /DN`.

use std::time::SystemTime;

use cryptoutil::cert::{self, Certificate};
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::der::DateTime;
use cryptoutil::x509_cert::ext::pkix::SubjectAltName;
use cryptoutil::x509_cert::ext::pkix::name::GeneralName;

/// One line of `index.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// `V` (valid), `R` (revoked) or `E` (expired, written by `openssl ca`).
    pub(super) status: char,
    /// `YYMMDDHHMMSSZ` (or `YYYYMMDDHHMMSSZ` from 2050).
    pub(super) not_after: String,
    /// Revocation time (possibly `,reason`), empty unless revoked.
    pub(super) revoked: String,
    /// The serial as written: upper-case hex, even length.
    pub(super) serial_hex: String,
    /// The certificate's file name in the depot, or `unknown`.
    pub(super) file: String,
    /// `/C=../O=../CN=..`, for people; lookups parse the certificate.
    pub(super) dn: String,
}

impl Entry {
    /// The line for a newly stored certificate.
    pub(super) fn valid(certificate: &Certificate, file: &str) -> Self {
        let not_after = certificate
            .tbs_certificate
            .validity
            .not_after
            .to_date_time();
        Self {
            status: 'V',
            not_after: openssl_time(&not_after),
            revoked: String::new(),
            serial_hex: serial_hex(certificate.tbs_certificate.serial_number.as_bytes()),
            file: file.to_owned(),
            dn: dn(certificate),
        }
    }

    /// Parses one line; `None` for lines that are not certificate entries.
    pub(super) fn parse(line: &str) -> Option<Self> {
        let mut fields = line.splitn(6, '\t');
        let status = fields.next()?;
        let status = match status {
            "V" | "R" | "E" => status.chars().next()?,
            _ => return None,
        };
        let not_after = fields.next()?.to_owned();
        let revoked = fields.next()?.to_owned();
        let serial_hex = fields.next()?.to_owned();
        hex_decode(&serial_hex)?;
        let file = fields.next()?.to_owned();
        let dn = fields.next().unwrap_or_default().to_owned();
        Some(Self {
            status,
            not_after,
            revoked,
            serial_hex,
            file,
            dn,
        })
    }

    /// The line, without its newline.
    pub(super) fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.status, self.not_after, self.revoked, self.serial_hex, self.file, self.dn
        )
    }

    /// The serial's big-endian bytes without leading zeros.
    pub(super) fn serial(&self) -> Vec<u8> {
        hex_decode(&self.serial_hex)
            .map(|bytes| strip_zeros(&bytes).to_vec())
            .unwrap_or_default()
    }

    /// Whether this entry is for `serial` (compared without leading zeros).
    pub(super) fn has_serial(&self, serial: &[u8]) -> bool {
        self.serial() == strip_zeros(serial)
    }

    /// When the certificate was revoked; `None` while it is not.
    pub(super) fn revoked_at(&self) -> Option<SystemTime> {
        if self.status != 'R' {
            return None;
        }
        let time = self.revoked.split(',').next().unwrap_or_default();
        // An unreadable revocation time still means revoked.
        Some(parse_openssl_time(time).unwrap_or(SystemTime::UNIX_EPOCH))
    }

    /// Marks the entry revoked at `at`.
    pub(super) fn revoke(&mut self, at: SystemTime) {
        self.status = 'R';
        self.revoked = DateTime::from_system_time(at)
            .map(|t| openssl_time(&t))
            .unwrap_or_else(|_| "700101000000Z".to_owned());
    }
}

/// A line of `index.txt`: an entry, or text kept as it was.
#[derive(Debug, Clone)]
pub(super) enum Line {
    Entry(Entry),
    Other(String),
}

/// Parses the whole file, keeping unknown lines (not empty ones).
pub(super) fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| Entry::parse(l).map_or_else(|| Line::Other(l.to_owned()), Line::Entry))
        .collect()
}

/// Renders the whole file.
pub(super) fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        match line {
            Line::Entry(entry) => out.push_str(&entry.line()),
            Line::Other(text) => out.push_str(text),
        }
        out.push('\n');
    }
    out
}

/// The entries of `lines`, in file order.
pub(super) fn entries(lines: &[Line]) -> impl Iterator<Item = &Entry> {
    lines.iter().filter_map(|l| match l {
        Line::Entry(e) => Some(e),
        Line::Other(_) => None,
    })
}

/// OpenSSL's index time: UTCTime digits until 2049, GeneralizedTime after.
pub(super) fn openssl_time(t: &DateTime) -> String {
    let year = if (1950..2050).contains(&t.year()) {
        format!("{:02}", t.year() % 100)
    } else {
        format!("{:04}", t.year())
    };
    format!(
        "{year}{:02}{:02}{:02}{:02}{:02}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    )
}

/// Reads [`openssl_time`]'s output (either width of year).
pub(super) fn parse_openssl_time(text: &str) -> Option<SystemTime> {
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match digits.len() {
        12 => {
            let yy: u16 = digits[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        14 => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let field = |i: usize| rest[i..i + 2].parse::<u8>().ok();
    DateTime::new(year, field(0)?, field(2)?, field(4)?, field(6)?, field(8)?)
        .ok()
        .map(|t| t.to_system_time())
}

/// `/C=../ST=../L=../O=../OU=../CN=../emailAddress=..` as micromdm writes
/// it: the first value of each, only when set; the e-mail address is the
/// first rfc822Name of subjectAltName. Tabs and line breaks become spaces.
pub(super) fn dn(certificate: &Certificate) -> String {
    let subject = &certificate.tbs_certificate.subject;
    let fields = [
        ("C", rfc4519::C),
        ("ST", rfc4519::ST),
        ("L", rfc4519::L),
        ("O", rfc4519::O),
        ("OU", rfc4519::OU),
        ("CN", rfc4519::CN),
    ];
    let mut out = String::new();
    for (name, oid) in fields {
        if let Some(value) = cert::name_attribute(subject, oid).filter(|v| !v.is_empty()) {
            out.push_str(&format!("/{name}={value}"));
        }
    }
    if let Some(email) = first_email(certificate) {
        out.push_str(&format!("/emailAddress={email}"));
    }
    out.replace(['\t', '\n', '\r'], " ")
}

fn first_email(certificate: &Certificate) -> Option<String> {
    let names = cert::find_extension::<SubjectAltName>(certificate)?;
    names.0.into_iter().find_map(|name| match name {
        GeneralName::Rfc822Name(email) => Some(email.as_str().to_owned()),
        _ => None,
    })
}

/// Upper-case hex of a serial without leading zero bytes (at least `00`).
pub(super) fn serial_hex(serial: &[u8]) -> String {
    let stripped = strip_zeros(serial);
    if stripped.is_empty() {
        return "00".to_owned();
    }
    stripped.iter().map(|b| format!("{b:02X}")).collect()
}

/// The decimal digits of a big-endian unsigned integer (file names).
pub(super) fn serial_decimal(serial: &[u8]) -> String {
    let mut number = strip_zeros(serial).to_vec();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder = 0u16;
        for byte in &mut number {
            let value = (remainder << 8) | u16::from(*byte);
            *byte = u8::try_from(value / 10).unwrap_or(u8::MAX);
            remainder = value % 10;
        }
        digits.push(b'0' + u8::try_from(remainder).unwrap_or(0));
        number = strip_zeros(&number).to_vec();
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

pub(super) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Hex (either case, odd length allowed as OpenSSL reads it) to bytes.
pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = if !text.len().is_multiple_of(2) {
        format!("0{text}")
    } else {
        text.to_owned()
    };
    (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).ok())
        .collect()
}
