//! `fleet-server serve --dev` as a newcomer runs it, with device-sim
//! enrolling over the network, on SQLite and on MySQL; and two replicas on
//! one MySQL behind a round-robin TCP balancer.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mdm_examples::HyperTransport;
use scep::client::Transport as _;
use serde_json::{Value, json};
use testkit::mysql::TestDatabase;
use testkit::process::{Running, binary};
use tokio::net::{TcpListener, TcpStream};

/// The stdout line every `serve` prints once it listens.
const LISTENING: &str = "fleet-server listening on ";
const PASSWORD: &str = "correct-horse-battery-1!";

/// `fleet-server serve --dev` on `address`, data in `data`, on MySQL when
/// `mysql` is given, with `extra` environment. Returns the process and the
/// URL it listens on.
fn start(
    data: &Path,
    address: &str,
    mysql: Option<&TestDatabase>,
    extra: &[(&str, &str)],
) -> (Running, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fleet-server"));
    command
        .args(["serve", "--dev", "--server-address", address])
        .arg("--dev-data-dir")
        .arg(data)
        .env("FLEET_CLEANUPS_INTERVAL", "1");
    if let Some(db) = mysql {
        for (name, value) in mysql_env(db.url()) {
            command.env(name, value);
        }
    }
    command.envs(extra.iter().copied());
    let running = Running::start(command, LISTENING);
    let url = running.announced.clone();
    (running, url)
}

/// `mysql://user[:password]@host:port/database` as `FLEET_MYSQL_*`.
fn mysql_env(url: &str) -> Vec<(&'static str, String)> {
    let rest = url.strip_prefix("mysql://").unwrap();
    let (credentials, rest) = rest.split_once('@').unwrap();
    let (address, database) = rest.split_once('/').unwrap();
    let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let mut env = vec![
        ("FLEET_MYSQL_ADDRESS", address.to_owned()),
        ("FLEET_MYSQL_USERNAME", user.to_owned()),
        ("FLEET_MYSQL_DATABASE", database.to_owned()),
    ];
    if !password.is_empty() {
        env.push(("FLEET_MYSQL_PASSWORD", password.to_owned()));
    }
    env
}

/// One HTTP exchange: status and body.
async fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, String) {
    let mut request = http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    let request = request
        .header("Content-Type", "application/json")
        .body(body)
        .unwrap();
    let response = HyperTransport::new().send(request).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

async fn json_call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Value {
    let (status, text) = call(method, url, token, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {url}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap()
}

/// The first admin (as the dev banner says), returning its token.
async fn setup(base: &str) -> String {
    let body = json!({
        "admin": {"email": "admin@example.com", "name": "Admin",
                  "password": PASSWORD, "password_confirmation": PASSWORD},
        "org_info": {"org_name": "Example"},
        "server_url": base,
    });
    let answer = json_call("POST", &format!("{base}/api/v1/setup"), None, Some(body)).await;
    answer["token"].as_str().unwrap().to_owned()
}

/// A manual enrollment, returning the URL devices open.
async fn enrollment_url(base: &str, token: &str) -> String {
    let url = format!("{base}/api/v1/fleet/mdm/apple/enrollments");
    let answer = json_call("POST", &url, Some(token), Some(json!({"name": "e2e"}))).await;
    answer["enrollment"]["url"].as_str().unwrap().to_owned()
}

async fn hosts(base: &str, token: &str) -> Vec<Value> {
    let url = format!("{base}/api/v1/fleet/hosts");
    let answer = json_call("GET", &url, Some(token), None).await;
    answer["hosts"].as_array().unwrap().clone()
}

/// Runs device-sim (on a blocking thread, so the test's balancer keeps
/// running) and returns its standard output, failing on a non-zero exit.
async fn device_sim(args: Vec<String>) -> String {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary("device-sim"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "device-sim failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn sim_args(profile: &str, state: &Path, devices: Option<usize>) -> Vec<String> {
    let mut args = vec![
        "--profile".to_owned(),
        profile.to_owned(),
        "--state".to_owned(),
        state.display().to_string(),
        "--concurrency".to_owned(),
        "8".to_owned(),
    ];
    if let Some(devices) = devices {
        args.extend(["--devices".to_owned(), devices.to_string()]);
    }
    args
}

async fn metrics(base: &str) -> String {
    let (status, text) = call("GET", &format!("{base}/metrics"), None, None).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// The README's path: serve --dev, create the admin and an enrollment, 50
/// devices enroll through the enrollment URL and show as hosts; after a
/// restart everything is still there and the devices reconnect.
async fn fifty_devices_enroll_and_survive_a_restart(mysql: Option<TestDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev");
    let (mut server, base) = start(&data, "127.0.0.1:0", mysql.as_ref(), &[]);
    let token = setup(&base).await;
    let profile = enrollment_url(&base, &token).await;
    let state = dir.path().join("devices.json");
    assert_eq!(
        call("GET", &format!("{base}/healthz"), None, None).await,
        (200, "ok\n".into())
    );
    // Just over the limit: the little the server leaves unread fits in the
    // socket buffers, so the client has sent everything before the answer.
    let over = fleet_server::api::MAX_BODY_BYTES + 1024;
    let huge = json!({"email": "x".repeat(over), "password": "x"});
    let (status, _) = call(
        "POST",
        &format!("{base}/api/v1/fleet/login"),
        None,
        Some(huge),
    )
    .await;
    assert_eq!(
        status, 413,
        "bodies over the API's limit are refused unread"
    );

    let first = device_sim(sim_args(&profile, &state, Some(50))).await;
    assert!(
        first.contains("devices: 50 enrolled, 0 reconnected, 0 failed"),
        "{first}"
    );
    let listed = hosts(&base, &token).await;
    assert_eq!(listed.len(), 50);
    for host in &listed {
        assert_eq!(host["mdm"]["enrollment_status"], "On (manual)", "{host}");
        assert_eq!(host["platform"], "darwin", "{host}");
        assert!(
            !host["hardware_serial"].as_str().unwrap().is_empty(),
            "{host}"
        );
    }
    let text = metrics(&base).await;
    assert!(text.contains("fleet_mdm_enrolled_devices 50\n"), "{text}");
    assert!(
        text.contains("fleet_mdm_checkins_total{message_type=\"TokenUpdate\"} 50\n"),
        "{text}"
    );

    // A graceful stop, then the same address, data and database again.
    assert!(server.terminate(), "serve did not exit cleanly on SIGTERM");
    let address = base.trim_start_matches("http://").to_owned();
    let (_server, again) = start(&data, &address, mysql.as_ref(), &[]);
    assert_eq!(again, base);
    assert_eq!(
        hosts(&base, &token).await.len(),
        50,
        "the session and hosts survive"
    );
    let second = device_sim(sim_args(&profile, &state, None)).await;
    assert!(
        second.contains("devices: 0 enrolled, 50 reconnected, 0 failed"),
        "{second}"
    );
    assert_eq!(hosts(&base, &token).await.len(), 50, "no duplicate hosts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_devices_enroll_on_sqlite_and_survive_a_restart() {
    fifty_devices_enroll_and_survive_a_restart(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_devices_enroll_on_mysql_and_survive_a_restart() {
    let Some(db) = testkit::mysql::fresh_database("serve_fifty_devices").await else {
        return;
    };
    fifty_devices_enroll_and_survive_a_restart(Some(db)).await;
}

/// The distinct serial numbers of the identity certificates in a
/// device-sim state file.
fn issued_serials(state: &Path) -> std::collections::BTreeSet<Vec<u8>> {
    let file: Value = serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    file["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| {
            let pem = device["certificate_pem"].as_str().unwrap();
            let certificate = cryptoutil::cert::from_pem(pem).unwrap().remove(0);
            certificate
                .tbs_certificate
                .serial_number
                .as_bytes()
                .to_vec()
        })
        .collect()
}

/// A TCP balancer on loopback handing each connection to the next backend
/// that accepts it, like a load balancer with health checks.
async fn balancer(backends: Arc<Mutex<Vec<SocketAddr>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut inbound, _)) = listener.accept().await {
            let candidates = backends.lock().unwrap().clone();
            next += 1;
            let first = next;
            tokio::spawn(async move {
                for i in 0..candidates.len() {
                    let backend = candidates[(first + i) % candidates.len()];
                    if let Ok(mut outbound) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    address
}

/// The value of `fleet_job_leader` in a replica's metrics (0 when absent).
async fn leads(base: &str) -> bool {
    metrics(base)
        .await
        .contains("fleet_job_leader{job=\"cleanups_then_aggregation\"} 1\n")
}

async fn wait_for_one_leader(a: &str, b: &str, within: Duration) -> (bool, bool) {
    let deadline = Instant::now() + within;
    loop {
        let state = (leads(a).await, leads(b).await);
        if state.0 != state.1 || Instant::now() > deadline {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_mysql_share_devices_and_one_runs_the_job() {
    let Some(db) = testkit::mysql::fresh_database("serve_two_replicas").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev");
    let backends = Arc::new(Mutex::new(Vec::new()));
    let public = format!("http://{}", balancer(backends.clone()).await);
    let extra = [("FLEET_MDM_APPLE_SERVER_URL", public.as_str())];
    // The first replica generates the shared dev CA and push certificate.
    let (mut a, a_url) = start(&data, "127.0.0.1:0", Some(&db), &extra);
    let (mut b, b_url) = start(&data, "127.0.0.1:0", Some(&db), &extra);
    for url in [&a_url, &b_url] {
        backends
            .lock()
            .unwrap()
            .push(url.trim_start_matches("http://").parse().unwrap());
    }

    let token = setup(&public).await;
    let profile = enrollment_url(&public, &token).await;
    assert!(profile.starts_with(&public), "{profile}");
    let state = dir.path().join("devices.json");
    let first = device_sim(sim_args(&profile, &state, Some(20))).await;
    assert!(
        first.contains("devices: 20 enrolled, 0 reconnected, 0 failed"),
        "{first}"
    );
    for url in [&a_url, &b_url] {
        let text = metrics(url).await;
        assert!(
            text.contains("route=\"mdm\",status=\"200\""),
            "{url} served no MDM request: {text}"
        );
    }
    assert_eq!(
        issued_serials(&state).len(),
        20,
        "both replicas issue from one serial sequence"
    );

    // Exactly one replica runs the job; kill it and the other takes over
    // within the lock's time to live (3 intervals of 1 s).
    let (a_leads, b_leads) = wait_for_one_leader(&a_url, &b_url, Duration::from_secs(10)).await;
    assert!(a_leads != b_leads, "leaders: a={a_leads} b={b_leads}");
    let (survivor, killed) = if a_leads {
        (&b_url, &mut a)
    } else {
        (&a_url, &mut b)
    };
    killed.kill();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !leads(survivor).await {
        assert!(
            Instant::now() < deadline,
            "the surviving replica never took the job over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every device, wherever it enrolled, is served by the survivor.
    let second = device_sim(sim_args(&profile, &state, None)).await;
    assert!(
        second.contains("devices: 0 enrolled, 20 reconnected, 0 failed"),
        "{second}"
    );
    let listed = hosts(survivor, &token).await;
    assert_eq!(listed.len(), 20);
}

/// A device certificate issued by the dev SCEP CA in `data`.
fn dev_device(data: &Path) -> nanomdm::testing::device::Device {
    use cryptoutil::PrivateKey as _;
    use cryptoutil::cert::{self, CertificateProfile, Issuer};
    let ca_pem = std::fs::read_to_string(data.join("scep-ca.pem")).unwrap();
    let ca = cert::from_pem(&ca_pem).unwrap().remove(0);
    let ca_key = cryptoutil::RsaPrivateKey::from_pem(
        &std::fs::read_to_string(data.join("scep-ca.key")).unwrap(),
    )
    .unwrap();
    let key = cryptoutil::RsaPrivateKey::generate(2048).unwrap();
    let certificate = cert::issue(
        "CN=behind a proxy".parse().unwrap(),
        key.public_key(),
        &CertificateProfile::new(30).unwrap(),
        Issuer {
            certificate: Some(&ca),
            key: &ca_key,
        },
    )
    .unwrap();
    nanomdm::testing::device::Device::with_identity(
        "com.apple.mgmt.External.proxy-test",
        certificate,
        key,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_tls_proxy_the_certificate_header_identifies_devices() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev");
    let header = [("FLEET_MDM_APPLE_CLIENT_CERT_HEADER", "X-Client-Cert")];
    let (_server, base) = start(&data, "127.0.0.1:0", None, &header);
    let token = setup(&base).await;
    let device = dev_device(&data);
    let pem = cryptoutil::cert::to_pem(device.certificate()).unwrap();
    let escaped =
        percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC).to_string();
    let uri = format!("{base}/mdm/apple/mdm");
    let checkin = |message: plist::Dictionary, with_header: bool| {
        let mut request = device.checkin_request(&uri, &message).unwrap();
        // Only the proxy's header may identify the device here.
        request.headers_mut().remove("Mdm-Signature");
        if with_header {
            request
                .headers_mut()
                .insert("X-Client-Cert", escaped.parse().unwrap());
        }
        async move { HyperTransport::new().send(request).await.unwrap().status() }
    };

    let refused = checkin(device.authenticate(), false).await;
    assert!(refused.is_client_error() && refused != 401, "{refused}");
    assert_eq!(checkin(device.authenticate(), true).await, 200);
    assert_eq!(checkin(device.token_update(), true).await, 200);
    let listed = hosts(&base, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["mdm"]["enrollment_status"], "On (manual)");
}
