//! A SCEP server on the `scep` crate: a CA generated at start, an
//! in-memory depot and a static challenge, served by bare hyper at `/scep`.
//!
//! ```text
//! cargo run -p mdm-examples --bin scep-server -- --listen 127.0.0.1:8080 --challenge secret
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use cryptoutil::cert;
use scep::ca::CaOptions;
use scep::{ChallengeVerifier, Identity, IssuancePolicy, MemoryDepot, Service, StaticChallenge};

struct Args {
    listen: SocketAddr,
    challenge: Option<String>,
    validity_days: u32,
}

const USAGE: &str =
    "usage: scep-server [--listen ADDR] [--challenge SECRET | --no-challenge] [--validity-days N]
  --listen ADDR       address to serve on (default 127.0.0.1:8080; port 0 picks one)
  --challenge SECRET  static challenge every request must carry (default \"secret\")
  --no-challenge      accept requests without a challenge
  --validity-days N   validity of issued certificates (default 365)";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        challenge: Some("secret".into()),
        validity_days: 365,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--challenge" => args.challenge = Some(value()?),
            "--no-challenge" => args.challenge = None,
            "--validity-days" => {
                args.validity_days = value()?
                    .parse()
                    .map_err(|e| format!("--validity-days: {e}"))?;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn new_service(args: &Args) -> Result<Service, scep::Error> {
    let options = CaOptions {
        key_bits: 2048,
        common_name: "Example SCEP CA".into(),
        organization: "mdm-examples".into(),
        ..CaOptions::default()
    };
    let (certificate, key) = scep::ca::init(&options)?;
    let fingerprint = cert::sha256_fingerprint(&certificate).map_err(scep::Error::Build)?;
    let fingerprint: String = fingerprint.iter().map(|b| format!("{b:02X}")).collect();
    println!("CA certificate SHA-256 fingerprint: {fingerprint}");
    let identity = Identity {
        certificate,
        key: Arc::new(key),
    };
    let challenge = args
        .challenge
        .clone()
        .map(|secret| Arc::new(StaticChallenge::new(secret)) as Arc<dyn ChallengeVerifier>);
    let policy = IssuancePolicy {
        validity_days: args.validity_days,
        ..IssuancePolicy::default()
    };
    Ok(Service::standard(
        Arc::new(MemoryDepot::new(identity)),
        challenge,
        policy,
    ))
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let service = Arc::new(new_service(&args)?);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // Tests read this line to find the port.
    println!("listening on http://{}/scep", listener.local_addr()?);
    Ok(mdm_examples::serve_scep(listener, service).await?)
}
