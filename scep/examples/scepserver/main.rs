//! A drop-in replacement for micromdm's `scepserver` 2.1.0 on the `scep`
//! crate, serving a CA from a file depot in micromdm's layout (so existing
//! depots keep working) at `/scep` with bare hyper.
//!
//! ```text
//! cargo run -p scep --example scepserver -- ca --init --depot depot --key-size 2048
//! cargo run -p scep --example scepserver -- --depot depot --listen 127.0.0.1:2016 --challenge secret
//! ```
//!
//! Same subcommand, flags (as `--long` options; micromdm's `-flag` spelling
//! works too) and environment variables as upstream; `--listen` (alias
//! `--http-addr`, micromdm's later flag) overrides `--port`. Signers,
//! outermost first, as upstream: the CSR verifier program, the static
//! challenge, the CA. Unlike upstream, it listens on 0.0.0.0:2016 without
//! `--listen` or `--port` (upstream: port 8080), the CA's policy refuses
//! renewal with a certificate it did not issue, and it matches duplicate
//! subjects whole. Exit codes: 0 done, 1 failure, 2 usage error.

use std::process::ExitCode;
use std::sync::Arc;

use cryptoutil::cert;
use scep::depot::FileDepot;
use scep::signer::{CaSigner, ChallengeSigner, DuplicateSubjects};
use scep::{CsrSigner, Depot, IssuancePolicy, Service, StaticChallenge};

mod args;
mod log;
mod verifier;

use args::{CaArgs, Command, Listen, ServeArgs};
use log::{Log, LogSigner};
use verifier::ExecutableCsrVerifier;

fn main() -> ExitCode {
    let command = args::parse(std::env::args().skip(1), |name| std::env::var(name).ok());
    let result = match command {
        Ok(Command::Serve(args)) => serve(&args),
        Ok(Command::CaInit(args)) => ca_init(&args),
        Ok(Command::Help(usage)) => {
            println!("{usage}");
            Ok(())
        }
        Ok(Command::Version) => {
            println!("scepserver (scep example) {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Err(usage) => {
            eprintln!("error: {}\n{}", usage.message, usage.usage);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `scepserver ca --init`: a new CA, written as micromdm writes it.
fn ca_init(args: &CaArgs) -> Result<(), String> {
    // Checked before the (slow) key generation; `create` checks again.
    for name in ["ca.pem", "ca.key"] {
        let path = args.depot.join(name);
        if path.exists() {
            return Err(format!(
                "{} already exists: refusing to overwrite the CA",
                path.display()
            ));
        }
    }
    println!("Initializing new CA");
    let (certificate, key) =
        scep::ca::init(&args.options).map_err(|e| format!("cannot make the CA: {e}"))?;
    FileDepot::create(
        &args.depot,
        &certificate,
        &key,
        args.key_password.as_bytes(),
    )
    .map_err(|e| log::chain(&e))?;
    println!("CA written to {}", args.depot.display());
    Ok(())
}

fn serve(args: &ServeArgs) -> Result<(), String> {
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(args))
}

async fn run(args: &ServeArgs) -> Result<(), String> {
    let log = Log {
        json: args.log_json,
        debug: args.debug,
    };
    let depot = FileDepot::open(&args.depot, args.ca_pass.as_bytes()).map_err(|e| {
        format!(
            "cannot open the depot {}: {}\n(create one with: scepserver ca --init --depot {})",
            args.depot.display(),
            log::chain(&e),
            args.depot.display()
        )
    })?;
    let depot: Arc<dyn Depot> = Arc::new(depot);
    let ca = depot.ca().await.map_err(|e| log::chain(e.as_ref()))?;
    let fingerprint = cert::sha256_fingerprint(&ca.certificate)
        .map_err(|e| format!("cannot hash the CA certificate: {e}"))?;
    let signer = signer_chain(args, log, Arc::clone(&depot))?;
    let service = Arc::new(Service::new(depot, signer));
    let fingerprint: String = fingerprint.iter().map(|b| format!("{b:02X}")).collect();
    println!("CA certificate SHA-256 fingerprint: {fingerprint}");
    log.debug(&[
        ("depot", args.depot.display().to_string()),
        ("ca", ca.certificate.tbs_certificate.subject.to_string()),
        ("crtvalid", args.crt_valid.to_string()),
        ("allowrenew", args.allow_renew.to_string()),
        ("challenge", args.challenge.is_some().to_string()),
        ("csrverifierexec", format!("{:?}", args.csr_verifier)),
    ]);
    listen_and_serve(&args.listen, log, service).await
}

/// Outermost first, as upstream: CSR verifier, static challenge, CA; all
/// inside the request log.
fn signer_chain(
    args: &ServeArgs,
    log: Log,
    depot: Arc<dyn Depot>,
) -> Result<Arc<dyn CsrSigner>, String> {
    let policy = IssuancePolicy {
        validity_days: args.crt_valid,
        allow_renew_days: args.allow_renew,
        duplicate_subjects: DuplicateSubjects::RejectUnlessRenewing,
    };
    let mut signer: Arc<dyn CsrSigner> = Arc::new(CaSigner::new(depot, policy));
    if let Some(secret) = &args.challenge {
        signer = Arc::new(ChallengeSigner::new(
            Arc::new(StaticChallenge::new(secret.clone())),
            signer,
        ));
    }
    if let Some(program) = &args.csr_verifier {
        signer = Arc::new(ExecutableCsrVerifier::new(program, log, signer)?);
    }
    Ok(Arc::new(LogSigner::new(log, signer)))
}

async fn listen_and_serve(listen: &Listen, log: Log, service: Arc<Service>) -> Result<(), String> {
    let listener = match listen {
        Listen::Port(port) => {
            eprintln!(
                "note: listening on every interface (0.0.0.0:{port}), as micromdm's scepserver \
                 does; use --listen 127.0.0.1:{port} for loopback only"
            );
            tokio::net::TcpListener::bind(("0.0.0.0", *port)).await
        }
        Listen::Addr(addr) => tokio::net::TcpListener::bind(addr.as_str()).await,
    };
    let listener = listener.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    // Tests read this line to find the port.
    println!("listening on http://{addr}/scep");
    log.info(&[
        ("transport", "http".to_owned()),
        ("address", addr.to_string()),
        ("msg", "listening".to_owned()),
    ]);
    mdm_examples::serve_scep(listener, service)
        .await
        .map_err(|e| format!("serving on {addr} failed: {e}"))
}
