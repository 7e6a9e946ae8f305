//! Benchmark, not a test: check-ins and command round trips per second
//! through nanomdm's example server (`cargo run -p nanomdm --example
//! nanomdm`) on loopback, over its memory and file stores, driven by the
//! device simulator of `device-sim` with pre-enrolled devices (identities
//! issued directly by a CA made at start; SCEP is not measured).
//!
//! ```text
//! cargo build --release -p nanomdm --example nanomdm
//! cargo run --release -p mdm-examples --bin nanomdm-bench -- --devices 200 --rounds 5
//! ```
//!
//! Client and server share the machine: every request is signed by the
//! client (RSA-2048, as devices sign), so the table also gives each side's
//! CPU time per operation. There is no peer server to compare with in the
//! same run; the file/memory ratio compares the stores.

mod phases;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr as _;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile, Issuer, KeyUsage};
use cryptoutil::x509_cert::name::Name;
use mdm_examples::sim::{ApiTarget, Simulator, Target, run_concurrently};
use nanomdm::profile::EnrollmentProfile;
use nanomdm::testing::device::{AnswerPolicy, Device};

use phases::Measurement;

const API_KEY: &str = "nanomdm-bench";
const TOPIC: &str = "com.apple.mgmt.External.nanomdm-bench";

/// Check-ins and command round trips per second through nanomdm's example
/// server, memory and file stores.
#[derive(Debug, Parser)]
#[command(name = "nanomdm-bench", version)]
struct Args {
    /// Simulated devices (pre-enrolled: keys and certificates are made
    /// before any measurement).
    #[arg(long, default_value_t = 200)]
    devices: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Repetitions of each per-device operation after enrollment.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// The nanomdm example server (default: beside this program, in
    /// examples/, as `cargo build --release -p nanomdm --example nanomdm`
    /// puts it).
    #[arg(long)]
    server: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(bench(&args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: &Args) -> anyhow::Result<()> {
    let program = match &args.server {
        Some(path) => path.clone(),
        None => server::default_path()?,
    };
    let dir = std::env::temp_dir().join(format!("nanomdm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = bench_in(args, &program, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench_in(
    args: &Args,
    program: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    eprintln!("making a CA and {} device identities…", args.devices);
    let (ca_pem, devices) = identities(args.devices, usize::from(args.concurrency)).await?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_pem).context("writing ca.pem")?;
    let mut stores = Vec::new();
    for storage in ["memory", "file"] {
        eprintln!("measuring the {storage} store…");
        let server = server::Server::start(
            program,
            storage,
            &ca,
            &dir.join(format!("db-{storage}")),
            API_KEY,
        )?;
        let bench = phases::Bench {
            sim: Arc::new(Simulator::new(
                target(&server.url)?,
                AnswerPolicy::always_acknowledge(),
            )),
            server: &server,
            api: ApiTarget {
                url: server.url.clone(),
                key: API_KEY.to_owned(),
            },
            concurrency: usize::from(args.concurrency),
        };
        let copies = devices
            .iter()
            .map(copy_device)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let measured = bench
            .measure(copies, args.rounds)
            .await
            .with_context(|| format!("{storage} store"))?;
        stores.push((storage, measured));
    }
    print_table(args, &stores);
    Ok(())
}

/// A CA (PEM) and `count` devices with identities it issued.
async fn identities(count: usize, concurrency: usize) -> anyhow::Result<(String, Vec<Device>)> {
    let options = scep::ca::CaOptions {
        key_bits: 2048,
        common_name: "nanomdm-bench CA".into(),
        ..scep::ca::CaOptions::default()
    };
    let (ca_cert, ca_key) = scep::ca::init(&options).context("making the CA")?;
    let ca_pem = cert::to_pem(&ca_cert)?;
    let ca = Arc::new((ca_cert, ca_key));
    let outputs = run_concurrently((0..count).collect(), concurrency, |_: usize| {
        let ca = Arc::clone(&ca);
        async move {
            tokio::task::spawn_blocking(move || device(&ca.0, &ca.1))
                .await
                .context("identity task")?
        }
    })
    .await;
    let devices = outputs.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    Ok((ca_pem, devices))
}

fn device(ca: &cert::Certificate, ca_key: &RsaPrivateKey) -> anyhow::Result<Device> {
    let key = RsaPrivateKey::generate(2048)?;
    let mut profile = CertificateProfile::new(365)?;
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    let subject = Name::from_str("CN=nanomdm-bench device").context("device subject")?;
    let issuer = Issuer {
        certificate: Some(ca),
        key: ca_key,
    };
    let certificate = cert::issue(
        subject,
        cryptoutil::PrivateKey::public_key(&key),
        &profile,
        issuer,
    )?;
    Ok(Device::with_identity(TOPIC, certificate, key))
}

/// The same device again, for a fresh server.
fn copy_device(device: &Device) -> anyhow::Result<Device> {
    let key = RsaPrivateKey::from_pkcs8_der(device.key().to_pkcs8_der())?;
    let mut copy = Device::with_identity(device.topic.clone(), device.certificate().clone(), key);
    copy.udid.clone_from(&device.udid);
    copy.serial_number.clone_from(&device.serial_number);
    copy.push_magic.clone_from(&device.push_magic);
    copy.token.clone_from(&device.token);
    Ok(copy)
}

/// The enrollment target of a server at `url` (the SCEP URL is never
/// contacted: identities exist already).
fn target(url: &str) -> anyhow::Result<Target> {
    let profile = EnrollmentProfile::builder()
        .identifier("nanomdm-bench.enrollment")
        .scep_url("http://127.0.0.1:9/scep")
        .server_url(format!("{url}/mdm"))
        .topic(TOPIC)
        .sign_message(true)
        .allow_insecure_urls()
        .build()?;
    Target::from_profile(&profile)
}

fn print_table(args: &Args, stores: &[(&str, Vec<Measurement>)]) {
    println!(
        "nanomdm example server, {} devices, concurrency {}, {} rounds, loopback",
        args.devices, args.concurrency, args.rounds
    );
    println!();
    println!(
        "| operation | store | ops/s | p50 ms | p99 ms | server CPU µs/op | client CPU µs/op |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (store, measurements) in stores {
        for m in measurements {
            let (p50, p99) = m.latency().map_or_else(
                || ("–".to_owned(), "–".to_owned()),
                |l| {
                    (
                        format!("{:.2}", l.p50.as_secs_f64() * 1e3),
                        format!("{:.2}", l.p99.as_secs_f64() * 1e3),
                    )
                },
            );
            println!(
                "| {} | {store} | {:.0} | {p50} | {p99} | {:.0} | {:.0} |",
                m.name,
                m.ops_per_second(),
                m.server_us_per_op(),
                m.client_us_per_op()
            );
        }
    }
    if let [(_, memory), (_, file)] = stores {
        println!();
        println!("| operation | file/memory ops/s |");
        println!("|---|---:|");
        for (m, f) in memory.iter().zip(file) {
            println!(
                "| {} | {:.3} |",
                m.name,
                f.ops_per_second() / m.ops_per_second().max(f64::EPSILON)
            );
        }
    }
}
