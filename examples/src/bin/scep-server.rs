//! A SCEP server on the `scep` crate: a CA generated at start, an
//! in-memory depot and a static challenge, served by bare hyper at `/scep`.
//!
//! ```text
//! cargo run -p mdm-examples --bin scep-server -- --listen 127.0.0.1:8080 --challenge secret
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use cryptoutil::cert::{self, CertificateProfile};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scep::{MemoryDepot, Service, ServiceConfig};

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

fn new_service(args: &Args) -> Result<Service, cryptoutil::Error> {
    let key = Arc::new(cryptoutil::RsaPrivateKey::generate(2048)?);
    let profile = CertificateProfile::certificate_authority(3650)?;
    let subject = "CN=Example SCEP CA,O=mdm-examples"
        .parse()
        .map_err(|source| cryptoutil::Error::Asn1 {
            what: "CA subject",
            source,
        })?;
    let ca = cert::self_signed(subject, key.as_ref(), &profile)?;
    let fingerprint: String = cert::sha256_fingerprint(&ca)?
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    println!("CA certificate SHA-256 fingerprint: {fingerprint}");
    let config = ServiceConfig {
        challenge: args.challenge.clone(),
        validity_days: args.validity_days,
        ..ServiceConfig::default()
    };
    Ok(Service::new(ca, key, Arc::new(MemoryDepot::new()), config))
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let service = Arc::new(new_service(&args)?);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // Tests read this line to find the port.
    println!("listening on http://{}/scep", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            let handler = service_fn(move |request| respond(Arc::clone(&service), request));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

async fn respond(
    service: Arc<Service>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let response = if parts.uri.path() != "/scep" {
        plain(404, "not found")
    } else {
        match Limited::new(body, scep::http::MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(body) => {
                scep::http::handle(&service, http::Request::from_parts(parts, body.to_bytes()))
                    .await
            }
            Err(_) => plain(413, "request body too large"),
        }
    };
    Ok(response.map(Full::new))
}

fn plain(status: u16, message: &'static str) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    response
}
