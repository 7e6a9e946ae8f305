//! Logging to stderr, one line per event: `key=value` pairs (logfmt, as
//! micromdm's go-kit logger writes them) or, with `--log-json`, one JSON
//! object per line. [`LogSigner`] writes the line of each enrollment.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use cryptoutil::der::DateTime;
use scep::BoxError;
use scep::CsrSigner;
use scep::message::MessageType;
use scep::signer::{Decision, SignRequest};

/// Where and how to log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Log {
    pub(crate) json: bool,
    pub(crate) debug: bool,
}

impl Log {
    /// Writes one `level=info` line with `fields` (after `ts` and `level`).
    pub(crate) fn info(&self, fields: &[(&str, String)]) {
        eprintln!("{}", self.render("info", fields));
    }

    /// Like [`info`](Self::info), only with `--debug`.
    pub(crate) fn debug(&self, fields: &[(&str, String)]) {
        if self.debug {
            eprintln!("{}", self.render("debug", fields));
        }
    }

    fn render(&self, level: &str, fields: &[(&str, String)]) -> String {
        let ts = DateTime::from_system_time(SystemTime::now())
            .map(|t| t.to_string())
            .unwrap_or_default();
        let all = [("ts", ts), ("level", level.to_owned())];
        let pairs = all.iter().chain(fields);
        if self.json {
            let body: Vec<String> = pairs
                .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
                .collect();
            format!("{{{}}}", body.join(","))
        } else {
            let body: Vec<String> = pairs.map(|(k, v)| format!("{k}={}", logfmt(v))).collect();
            body.join(" ")
        }
    }
}

/// A logfmt value: bare when it can be, else a quoted string.
fn logfmt(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '=' | '\\'));
    if bare {
        value.to_owned()
    } else {
        json_string(value)
    }
}

/// A JSON string literal (also logfmt's quoting).
fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The outermost signer: asks the chain, then logs one line for the
/// request and its outcome (backend errors in full, which the client never
/// sees).
#[derive(Debug)]
pub(crate) struct LogSigner {
    log: Log,
    next: Arc<dyn CsrSigner>,
}

impl LogSigner {
    pub(crate) fn new(log: Log, next: Arc<dyn CsrSigner>) -> Self {
        Self { log, next }
    }

    fn outcome(
        &self,
        mut fields: Vec<(&'static str, String)>,
        decision: &Result<Decision, BoxError>,
        started: Instant,
    ) {
        match decision {
            Ok(Decision::Issued(certificate)) => {
                let serial = certificate.tbs_certificate.serial_number.as_bytes();
                fields.push(("outcome", "issued".into()));
                fields.push(("serial", hex(serial)));
                if self.log.debug {
                    let not_after = &certificate.tbs_certificate.validity.not_after;
                    fields.push(("not_after", not_after.to_string()));
                }
            }
            Ok(Decision::Pending) => fields.push(("outcome", "pending".into())),
            Ok(Decision::Refused { fail_info, text }) => {
                fields.push(("outcome", "refused".into()));
                fields.push(("fail_info", format!("{fail_info:?}")));
                fields.push(("reason", text.clone()));
            }
            Ok(other) => fields.push(("outcome", format!("{other:?}"))),
            Err(error) => {
                fields.push(("outcome", "error".into()));
                fields.push(("err", chain(error.as_ref())));
            }
        }
        fields.push(("took", format!("{:?}", started.elapsed())));
        self.log.info(&fields);
    }
}

#[async_trait]
impl CsrSigner for LogSigner {
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError> {
        let started = Instant::now();
        let decision = self.next.sign(request).await;
        let mut fields = vec![
            ("method", "PKIOperation".to_owned()),
            ("message_type", message_type(request.message_type)),
            ("transaction_id", request.transaction_id.to_owned()),
            ("subject", request.csr.subject().to_string()),
        ];
        if self.log.debug {
            let requester = &request.requester.tbs_certificate;
            fields.push(("requester", requester.subject.to_string()));
            fields.push(("requester_serial", hex(requester.serial_number.as_bytes())));
        }
        self.outcome(fields, &decision, started);
        decision
    }

    async fn poll(&self, transaction_id: &str, now: SystemTime) -> Result<Decision, BoxError> {
        let started = Instant::now();
        let decision = self.next.poll(transaction_id, now).await;
        let fields = vec![
            ("method", "PKIOperation".to_owned()),
            ("message_type", "CertPoll".to_owned()),
            ("transaction_id", transaction_id.to_owned()),
        ];
        self.outcome(fields, &decision, started);
        decision
    }
}

fn message_type(message_type: MessageType) -> String {
    match message_type {
        MessageType::PkcsReq => "PKCSReq".into(),
        MessageType::RenewalReq => "RenewalReq".into(),
        MessageType::UpdateReq => "UpdateReq".into(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `error: cause: cause`, on one line.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(line, ": {cause}");
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_quotes_only_values_that_need_it() {
        assert_eq!(logfmt("PKCSReq"), "PKCSReq");
        assert_eq!(logfmt("CN=device 1"), r#""CN=device 1""#);
        assert_eq!(logfmt(""), r#""""#);
    }

    #[test]
    fn json_lines_escape_quotes_and_control_characters() {
        let log = Log {
            json: true,
            debug: false,
        };
        let line = log.render("info", &[("reason", "say \"no\"\n".to_owned())]);
        assert!(line.starts_with(r#"{"ts":""#), "{line}");
        assert!(
            line.ends_with(r#""level":"info","reason":"say \"no\"\n"}"#),
            "{line}"
        );
    }
}
