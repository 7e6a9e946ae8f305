//! A drop-in replacement for micromdm's `scepclient` 2.1.0 on the `scep`
//! crate's client, over a bare hyper HTTP/1 client (no TLS).
//!
//! ```text
//! cargo run -p scep --example scepclient -- --server-url http://127.0.0.1:2016/scep \
//!     --challenge secret --private-key key.pem --certificate client.pem --cn device-1
//! ```
//!
//! Flow, as micromdm's: load or create the key, GetCACert (keeping only the
//! certificates matching `--ca-fingerprint`), GetCACaps, sign with a fresh
//! self-signed certificate (or, when the `--certificate` file exists, with
//! it, as a RenewalReq), send the CSR, write the issued certificate. A
//! PENDING answer is retried every 30 seconds. Unlike micromdm's, it leaves
//! no `csr.pem` or `self.pem` behind, and writes a created key with mode
//! 0600. Exit codes: 0 issued, 1 refused or failed, 2 usage error.

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use cryptoutil::cert::{self, Certificate};
use scep::client::{Client, Enrollment};
use scep::message::{MessageType, Requester};

mod args;
mod identity;

use args::{Args, Command, USAGE};

/// Wait between retries of a PENDING request, as micromdm's.
const PENDING_RETRY: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Enroll(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("scepclient (scep example) {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let (key, created) = identity::load_or_create_key(&args.private_key, args.key_size)?;
    if created {
        log(&format!(
            "created a new RSA key in {}",
            args.private_key.display()
        ));
    }
    let client = Client::new(mdm_examples::HyperTransport::new(), args.server_url.clone());
    let ca = client
        .ca_certificates(args.cacert_message.as_deref())
        .await
        .map_err(|e| chain("GetCACert", &e))?;
    let recipients = select_recipients(args, ca)?;
    let caps = client.ca_caps().await.map_err(|e| chain("GetCACaps", &e))?;
    if args.debug {
        let keywords: Vec<&str> = caps.keywords().collect();
        log(&format!("capabilities: {}", keywords.join(", ")));
    }
    let (signer, message_type) = match identity::existing_certificate(&args.certificate, &key)? {
        Some(current) => (current, MessageType::RenewalReq),
        None => (
            identity::self_signed_signer(args, &key)?,
            MessageType::PkcsReq,
        ),
    };
    let csr = identity::csr(args, &key)?;
    let requester = Requester {
        certificate: &signer,
        key: &key,
    };
    let name = match message_type {
        MessageType::RenewalReq => "RenewalReq (17)",
        _ => "PKCSReq (19)",
    };
    loop {
        let enrollment = client
            .enroll(&csr, requester, &recipients, message_type)
            .await
            .map_err(|e| chain(&format!("{name} request failed"), &e))?;
        match enrollment {
            Enrollment::Issued(issued) => {
                identity::write_certificate(&args.certificate, &issued)?;
                log(&format!(
                    "{name}: pkiStatus=SUCCESS, certificate written to {}",
                    args.certificate.display()
                ));
                return Ok(());
            }
            Enrollment::Pending { .. } => {
                log(&format!(
                    "{name}: pkiStatus=PENDING, trying again in 30 seconds"
                ));
                tokio::time::sleep(PENDING_RETRY).await;
            }
            _ => return Err(format!("{name}: unexpected answer {enrollment:?}")),
        }
    }
}

/// The CA certificates to encrypt to: all of them, or those whose SHA-256
/// fingerprint is `--ca-fingerprint`.
fn select_recipients(args: &Args, ca: Vec<Certificate>) -> Result<Vec<Certificate>, String> {
    let mut selected = Vec::new();
    for (i, certificate) in ca.into_iter().enumerate() {
        let fingerprint = cert::sha256_fingerprint(&certificate)
            .map_err(|e| format!("cannot hash CA certificate {i}: {e}"))?;
        if args.debug {
            log(&format!(
                "CA certificate {i}: {} SHA-256 {}",
                certificate.tbs_certificate.subject,
                hex(&fingerprint)
            ));
        }
        if args
            .ca_fingerprint
            .as_ref()
            .is_none_or(|f| *f == fingerprint)
        {
            selected.push(certificate);
        }
    }
    match (&args.ca_fingerprint, selected.is_empty()) {
        (Some(f), true) => Err(format!(
            "no CA certificate from GetCACert matches --ca-fingerprint {}",
            hex(f)
        )),
        _ => Ok(selected),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn log(message: &str) {
    eprintln!("scepclient: {message}");
}

/// `context: error: cause: cause`, on one line.
fn chain(context: &str, error: &dyn Error) -> String {
    let mut line = format!("{context}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
