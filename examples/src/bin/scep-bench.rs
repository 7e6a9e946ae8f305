//! Benchmark (not a test): complete SCEP enrollments per second over HTTP on
//! loopback, for our `scep` service and for micromdm's scepserver 2.1.0
//! (Debian's `scep` package), driven in the same run by the same client
//! with pre-built requests from pre-generated device keys.
//!
//! It prints both rates, their ratio, and our rate as a fraction of the RSA
//! limit: RSA-2048 private operations per second from `openssl speed`,
//! divided by the 3 private operations of an issuance (unwrap the request's
//! key, sign the certificate, sign the CertRep).
//!
//! scepserver binds every interface, so the benchmark re-runs itself in a
//! private network namespace with only loopback (`unshare --net`, as root).
//!
//! ```text
//! cargo run --release -p mdm-examples --bin scep-bench -- --enrollments 400 --concurrency 16
//! ```

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::{ContentEncryption, RsaPrivateKey};
use mdm_examples::HyperTransport;
use scep::client::Transport;
use scep::message::{MessageType, PkiStatus, Requester};
use scep::signer::DuplicateSubjects;
use scep::{
    ChallengeVerifier, Identity, IssuancePolicy, MemoryDepot, PkiMessage, Service, StaticChallenge,
};

const CHALLENGE: &str = "bench";
const NAMESPACE_MARK: &str = "SCEP_BENCH_IN_NETNS";

struct Args {
    enrollments: usize,
    concurrency: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        enrollments: 400,
        concurrency: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: usize = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))?;
        match flag.as_str() {
            "--enrollments" => args.enrollments = value.max(1),
            "--concurrency" => args.concurrency = value.max(1),
            other => {
                return Err(format!(
                    "unknown argument {other} (use --enrollments N --concurrency N)"
                ));
            }
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    if std::env::var_os(NAMESPACE_MARK).is_none() {
        return rerun_in_namespace();
    }
    let result = parse_args().and_then(|args| {
        run_command("ip", &["link", "set", "lo", "up"])?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        runtime.block_on(bench(&args))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this program again inside a new network namespace.
fn rerun_in_namespace() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find this program: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status = Command::new("unshare")
        .args(["--net", "--fork", "--kill-child"])
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(NAMESPACE_MARK, "1")
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run unshare (util-linux, as root): {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_command(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn bench(args: &Args) -> Result<(), String> {
    let rsa_signs = rsa_limit()?;
    let devices = devices(16)?;
    let ours = start_ours().await?;
    let theirs = Scepserver::start()?;
    let limit = rsa_signs / 3.0;
    println!(
        "{} enrollments per server and run; RSA-2048 limit {limit:.1} enrollments/s",
        args.enrollments
    );
    println!("(openssl speed -multi: {rsa_signs:.0} private ops/s on all cores, 3 per issuance)");
    let (mut best_ours, mut best_theirs) = (0.0f64, 0.0f64);
    for concurrency in [1, args.concurrency] {
        let run = Args {
            enrollments: args.enrollments,
            concurrency,
        };
        let our = measure(&ours, &devices, &run)
            .await
            .map_err(|e| format!("our server: {e}"))?;
        let their = measure(&theirs.url, &devices, &run)
            .await
            .map_err(|e| format!("micromdm scepserver: {e}"))?;
        println!("\nconcurrency {concurrency}:");
        println!(
            "  ours (scep crate):          {:8.1} enrollments/s{}",
            our.rate,
            our.refusals()
        );
        println!(
            "  micromdm scepserver 2.1.0:  {:8.1} enrollments/s{}",
            their.rate,
            their.refusals()
        );
        println!(
            "  ratio ours / micromdm:      {:8.2}x",
            our.rate / their.rate
        );
        println!(
            "  ours / RSA limit:           {:8.0}%",
            100.0 * our.rate / limit
        );
        best_ours = best_ours.max(our.rate);
        best_theirs = best_theirs.max(their.rate);
    }
    println!("\nbest of each: ours {best_ours:.1}/s, micromdm {best_theirs:.1}/s");
    println!(
        "  ratio ours / micromdm:      {:8.2}x",
        best_ours / best_theirs
    );
    println!(
        "  ours / RSA limit:           {:8.0}%",
        100.0 * best_ours / limit
    );
    Ok(())
}

/// The outcome of one timed run: issued enrollments per second, and how
/// many requests were refused.
struct Measurement {
    rate: f64,
    refused: usize,
    total: usize,
}

impl Measurement {
    fn refusals(&self) -> String {
        if self.refused == 0 {
            String::new()
        } else {
            format!("  ({} of {} refused)", self.refused, self.total)
        }
    }
}

/// RSA-2048 private operations per second on every core, from
/// `openssl speed -multi` (the server uses every core too).
fn rsa_limit() -> Result<f64, String> {
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .to_string();
    let out = run_command(
        "openssl",
        &["speed", "-seconds", "3", "-multi", &cores, "rsa2048"],
    )?;
    out.lines()
        .find(|l| l.starts_with("rsa 2048 bits"))
        .and_then(|l| l.split_whitespace().nth(5))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("cannot read openssl speed output: {out}"))
}

struct Device {
    key: RsaPrivateKey,
    certificate: Certificate,
}

fn devices(count: usize) -> Result<Vec<Device>, String> {
    (0..count)
        .map(|i| {
            let key = RsaPrivateKey::generate(2048).map_err(|e| e.to_string())?;
            let profile = CertificateProfile::new(1).map_err(|e| e.to_string())?;
            let subject = format!("CN=bench signer {i}")
                .parse()
                .map_err(|e| format!("{e}"))?;
            let certificate =
                cert::self_signed(subject, &key, &profile).map_err(|e| e.to_string())?;
            Ok(Device { key, certificate })
        })
        .collect()
}

async fn start_ours() -> Result<String, String> {
    let options = scep::ca::CaOptions {
        key_bits: 2048,
        ..Default::default()
    };
    let (certificate, key) = scep::ca::init(&options).map_err(|e| e.to_string())?;
    let depot = Arc::new(MemoryDepot::new(Identity {
        certificate,
        key: Arc::new(key),
    }));
    let challenge: Arc<dyn ChallengeVerifier> = Arc::new(StaticChallenge::new(CHALLENGE));
    let policy = IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::Allow,
        ..IssuancePolicy::default()
    };
    let service = Arc::new(Service::standard(depot, Some(challenge), policy));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/scep",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(mdm_examples::serve_scep(listener, service));
    Ok(url)
}

/// Debian's scepserver with a fresh 2048-bit CA in a scratch directory.
struct Scepserver {
    child: std::process::Child,
    dir: std::path::PathBuf,
    url: String,
}

impl Scepserver {
    fn start() -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("scep-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let depot = dir.join("depot");
        let depot = depot.to_str().ok_or("temporary directory is not UTF-8")?;
        run_command(
            "scepserver",
            &["ca", "-init", "-depot", depot, "-keySize", "2048"],
        )?;
        let child = Command::new("scepserver")
            .args(["-depot", depot, "-port", "18443", "-challenge", CHALLENGE])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("scepserver (apt-get install scep): {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect("127.0.0.1:18443").is_err() {
            if Instant::now() > deadline {
                return Err("scepserver did not start".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            child,
            dir,
            url: "http://127.0.0.1:18443/scep".into(),
        })
    }
}

impl Drop for Scepserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Issued enrollments per second against the server at `url`.
async fn measure(url: &str, devices: &[Device], args: &Args) -> Result<Measurement, String> {
    let client = scep::client::Client::new(
        HyperTransport::new(),
        url.parse().map_err(|e| format!("{e}"))?,
    );
    let ca = client
        .ca_certificates(None)
        .await
        .map_err(|e| e.to_string())?;
    let requests = build_requests(devices, &ca, args.enrollments + args.concurrency)?;
    let (warmup, timed) = requests.split_at(args.concurrency);
    send_all(url, warmup.to_vec(), args.concurrency).await?;
    let started = Instant::now();
    let refused = send_all(url, timed.to_vec(), args.concurrency).await?;
    let issued = timed.len() - refused;
    Ok(Measurement {
        rate: issued as f64 / started.elapsed().as_secs_f64(),
        refused,
        total: timed.len(),
    })
}

fn build_requests(
    devices: &[Device],
    ca: &[Certificate],
    count: usize,
) -> Result<Vec<Bytes>, String> {
    (0..count)
        .map(|i| {
            let device = &devices[i % devices.len()];
            let subject = format!("CN=bench-{i}-{}", std::process::id())
                .parse()
                .map_err(|e| format!("{e}"))?;
            let csr = cryptoutil::csr::build(subject, &device.key, Some(CHALLENGE), &[])
                .map_err(|e| e.to_string())?;
            let requester = Requester {
                certificate: &device.certificate,
                key: &device.key,
            };
            let tx = format!("bench-{i}");
            let nonce = [i as u8; 16];
            scep::message::build_request(
                MessageType::PkcsReq,
                &csr,
                requester,
                ca,
                &tx,
                &nonce,
                ContentEncryption::Aes128Cbc,
            )
            .map(Bytes::from)
            .map_err(|e| e.to_string())
        })
        .collect()
}

/// POSTs every request, `concurrency` at a time, and returns how many
/// CertReps did not say SUCCESS. Transport and parse errors abort.
async fn send_all(url: &str, requests: Vec<Bytes>, concurrency: usize) -> Result<usize, String> {
    let transport = Arc::new(HyperTransport::new());
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for body in requests {
        let (transport, permits) = (transport.clone(), permits.clone());
        let uri = format!("{url}?operation=PKIOperation");
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.map_err(|e| e.to_string())?;
            let request = http::Request::post(uri)
                .body(body)
                .map_err(|e| e.to_string())?;
            let response = transport.send(request).await.map_err(|e| e.to_string())?;
            let rep = PkiMessage::parse(response.body()).map_err(|e| e.to_string())?;
            Ok::<_, String>(rep.pki_status == Some(PkiStatus::Success))
        }));
    }
    let mut refused = 0;
    for task in tasks {
        if !task.await.map_err(|e| e.to_string())?? {
            refused += 1;
        }
    }
    Ok(refused)
}
