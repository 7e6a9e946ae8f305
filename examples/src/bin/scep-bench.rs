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
    // One after the other, with the same pre-generated device keys.
    let our_rate = measure(&ours, &devices, args).await?;
    let their_rate = measure(&theirs.url, &devices, args).await?;
    let limit = rsa_signs / 3.0;
    println!(
        "enrollments: {} per server, concurrency {}",
        args.enrollments, args.concurrency
    );
    println!("ours (scep crate):        {our_rate:8.1} enrollments/s");
    println!("micromdm scepserver 2.1.0:{their_rate:8.1} enrollments/s");
    println!("ratio ours / micromdm:    {:8.2}x", our_rate / their_rate);
    println!("RSA-2048 limit (openssl speed sign/s / 3): {limit:.1} enrollments/s");
    println!(
        "ours as a fraction of the RSA limit: {:.0}%",
        100.0 * our_rate / limit
    );
    Ok(())
}

/// RSA-2048 private operations per second, from `openssl speed`.
fn rsa_limit() -> Result<f64, String> {
    let out = run_command("openssl", &["speed", "-seconds", "3", "rsa2048"])?;
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

/// Enrollments per second against the server at `url`.
async fn measure(url: &str, devices: &[Device], args: &Args) -> Result<f64, String> {
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
    send_all(url, timed.to_vec(), args.concurrency).await?;
    Ok(timed.len() as f64 / started.elapsed().as_secs_f64())
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

/// POSTs every request, `concurrency` at a time, and checks each CertRep
/// says SUCCESS.
async fn send_all(url: &str, requests: Vec<Bytes>, concurrency: usize) -> Result<(), String> {
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
            match rep.pki_status {
                Some(PkiStatus::Success) => Ok(()),
                other => Err(format!(
                    "enrollment not issued: {other:?} {:?}",
                    rep.fail_info_text
                )),
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}
