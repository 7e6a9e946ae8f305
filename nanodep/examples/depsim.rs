//! Apple's DEP service, simulated (`nanodep::testing::depsim`), over HTTP/1.1
//! with bare hyper.
//!
//! ```text
//! cargo run -p nanodep --example depsim -- --listen 127.0.0.1:8080 --devices 500
//! ```
//!
//! Prints `depsim listening on http://ADDR` on stdout once it accepts
//! connections (`--listen 127.0.0.1:0` picks a free port). Besides the DEP
//! endpoints it serves admin hooks under `/_depsim/`: `GET /_depsim/tokens`,
//! `POST /_depsim/token` (a PEM certificate in, a `.p7m` token file out),
//! `POST /_depsim/devices` (a JSON array of devices) and
//! `DELETE /_depsim/devices/SERIAL`. Exit codes: 1 failure, 2 usage error.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use nanodep::api::Device;
use nanodep::testing::depsim::DepSim;

const USAGE: &str = "usage: depsim [--listen ADDR] [--devices N]
  --listen ADDR   address to listen on (default 127.0.0.1:8080)
  --devices N     start with N devices assigned (serials DEPSIM0000001, ...)";

/// Largest request body accepted.
const MAX_BODY: usize = 4 * 1024 * 1024;

fn parse(args: &[String]) -> Result<(SocketAddr, usize), String> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut devices = 0;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => listen = value()?.clone(),
            "--devices" => {
                devices = value()?.parse().map_err(|_| "--devices needs a number")?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let listen = listen
        .parse()
        .map_err(|_| format!("--listen {listen} is not an address"))?;
    Ok((listen, devices))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (listen, devices) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sim = Arc::new(DepSim::new());
    for n in 1..=devices {
        sim.add_device(Device {
            serial_number: format!("DEPSIM{n:07}"),
            model: Some("MacBook Pro".into()),
            os: Some("OSX".into()),
            device_family: Some("Mac".into()),
            ..Device::default()
        });
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(listen, sim)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, sim: Arc<DepSim>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("depsim listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        let sim = Arc::clone(&sim);
        tokio::spawn(async move {
            let handler = service_fn(move |request| respond(Arc::clone(&sim), request));
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
    sim: Arc<DepSim>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => sim.handle(http::Request::from_parts(parts, body.to_bytes())),
        Err(_) => {
            let mut response = http::Response::new(Bytes::from_static(b"\"TOO_LARGE\""));
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            response
        }
    };
    Ok(response.map(Full::new))
}
