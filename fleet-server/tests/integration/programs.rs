//! `fleet-server` as a program: its subcommands, exit codes and messages,
//! TLS as `openssl s_client` sees it (ALPN, client certificates from the
//! SCEP CA), SIGTERM and JSON logs.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use testkit::process::Running;

/// The stdout line every `serve` prints once it listens.
const LISTENING: &str = "fleet-server listening on ";
/// How long one `openssl` or short-lived `fleet-server` run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// A raw HTTP/1.1 request for the health check that asks the server to
/// close the connection after answering.
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// `fleet-server` run in `dir`, without any `FLEET_*` variable of the
/// test's own environment (a developer's or CI's configuration must not
/// change what the tests see).
fn fleet_server(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fleet-server"));
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FLEET_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `command` to its end with `stdin` as input, killing it after
/// [`RUN_TIMEOUT`].
fn run(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let pid = child.id().to_string();
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match wait.recv_timeout(RUN_TIMEOUT) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("{command:?} did not finish within {RUN_TIMEOUT:?}");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `openssl args...` in `dir`, failing the test when openssl fails.
fn openssl(dir: &Path, args: &[&str]) {
    let mut command = Command::new("openssl");
    command.current_dir(dir).args(args);
    let output = run(command, b"");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        text(&output.stderr)
    );
}

/// A self-signed P-256 certificate and key (`<name>.pem`, `<name>.key` in
/// `dir`) for `subject`, with `extensions` (`-addext` values).
fn self_signed(dir: &Path, name: &str, subject: &str, extensions: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
    let mut args = vec![
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        subject,
        "-keyout",
        &key,
        "-out",
        &cert,
    ];
    for extension in extensions {
        args.extend(["-addext", extension]);
    }
    openssl(dir, &args);
    (dir.join(cert), dir.join(key))
}

/// A server certificate for 127.0.0.1 and localhost.
fn server_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    self_signed(
        dir,
        "server",
        "/CN=localhost",
        &["subjectAltName=IP:127.0.0.1,DNS:localhost"],
    )
}

/// `serve --dev` on an ephemeral loopback port with data in `data`, plus
/// `extra` arguments, run in `dir`. Returns the process and `host:port`.
fn serve_dev(dir: &Path, data: &Path, extra: &[&str], stderr: Option<File>) -> (Running, String) {
    let mut command = fleet_server(dir);
    command
        .args(["serve", "--dev", "--server-address", "127.0.0.1:0"])
        .arg("--dev-data-dir")
        .arg(data)
        .args(extra);
    if let Some(file) = stderr {
        command.stderr(file);
    }
    let running = Running::start(command, LISTENING);
    let address = running
        .announced
        .split_once("://")
        .map(|(_, address)| address.to_owned())
        .unwrap();
    (running, address)
}

/// `serve --dev` speaking TLS with a certificate for 127.0.0.1.
fn serve_dev_tls(dir: &Path, data: &Path) -> (Running, String) {
    let (cert, key) = server_certificate(dir);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (running, address) = serve_dev(
        dir,
        data,
        &[
            "--server-tls",
            "true",
            "--server-cert",
            cert,
            "--server-key",
            key,
        ],
        None,
    );
    assert!(
        running.announced.starts_with("https://"),
        "{}",
        running.announced
    );
    (running, address)
}

/// `openssl s_client` to `address` with `args`. With `input`, sends it and
/// waits for the server to close (`-ign_eof`: `input` should ask for
/// that); without, hangs up right after the handshake. Returns its output.
fn s_client(dir: &Path, address: &str, args: &[&str], input: &[u8]) -> Output {
    let mut command = Command::new("openssl");
    command
        .current_dir(dir)
        .args(["s_client", "-connect", address, "-servername", "localhost"])
        .args(args);
    if !input.is_empty() {
        command.arg("-ign_eof");
    }
    run(command, input)
}

/// A plain HTTP/1.1 `GET /healthz`, returning the whole answer.
fn healthz_over_http(address: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(RUN_TIMEOUT)).unwrap();
    stream.write_all(HEALTHZ).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = fleet_server(dir.path());
    command.arg("version");
    let output = run(command, b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout).trim_end(),
        format!("fleet-server {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn prepare_db_migrates_an_sqlite_file_and_then_has_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.sqlite3");
    let prepare = || {
        let mut command = fleet_server(dir.path());
        command.args(["prepare", "db", "--sqlite-path"]).arg(&path);
        let output = run(command, b"");
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let first = prepare();
    assert!(first.starts_with("Migrations completed: "), "{first}");
    assert!(path.is_file(), "no database file at {}", path.display());
    let second = prepare();
    assert_eq!(
        second.trim_end(),
        "Migrations already completed. Nothing to do."
    );
}

#[test]
fn a_bad_configuration_exits_non_zero_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let private_key = "a-private-key-of-at-least-32-bytes-0123456789";
    let mdm_without_url = || {
        let mut command = fleet_server(dir.path());
        command.args([
            "serve",
            "--server-address",
            "127.0.0.1:0",
            "--server-tls",
            "false",
            "--mdm-apple-enable",
            "true",
            "--server-private-key",
            private_key,
        ]);
        command
    };

    let output = run(mdm_without_url(), b"");
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("FLEET_MDM_APPLE_SERVER_URL"), "{stderr}");
    assert!(!stderr.contains(private_key), "{stderr}");

    // The SCEP CA certificate both as a file and as contents.
    let secret_pem =
        "-----BEGIN CERTIFICATE-----\nc2VjcmV0LWNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n";
    let mut command = mdm_without_url();
    command
        .args(["--mdm-apple-server-url", "https://mdm.example.com"])
        .env("FLEET_MDM_APPLE_SCEP_CERT_BYTES", secret_pem)
        .env("FLEET_MDM_APPLE_SCEP_CERT", dir.path().join("scep-ca.pem"));
    let output = run(command, b"");
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("FLEET_MDM_APPLE_SCEP_CERT_BYTES"),
        "{stderr}"
    );
    assert!(stderr.contains("FLEET_MDM_APPLE_SCEP_CERT and"), "{stderr}");
    assert!(!stderr.contains("c2VjcmV0"), "{stderr}");
    assert!(!stderr.contains(private_key), "{stderr}");

    // A private key too short, from the environment.
    let short_key = "short-secret-key";
    let mut command = fleet_server(dir.path());
    command
        .args(["serve", "--dev", "--server-address", "127.0.0.1:0"])
        .env("FLEET_SERVER_PRIVATE_KEY", short_key);
    let output = run(command, b"");
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("FLEET_SERVER_PRIVATE_KEY"), "{stderr}");
    assert!(!stderr.contains(short_key), "{stderr}");
}

#[test]
fn serve_speaks_tls_with_http2_and_http11() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, address) = serve_dev_tls(dir.path(), &dir.path().join("dev"));

    let h2 = s_client(dir.path(), &address, &["-alpn", "h2"], b"");
    let out = text(&h2.stdout);
    assert!(
        out.contains("ALPN protocol: h2"),
        "{out}\n{}",
        text(&h2.stderr)
    );

    let http11 = s_client(dir.path(), &address, &["-alpn", "http/1.1"], HEALTHZ);
    let out = text(&http11.stdout);
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    assert!(
        out.contains("HTTP/1.1 200"),
        "{out}\n{}",
        text(&http11.stderr)
    );
    assert!(out.contains("\r\n\r\nok"), "{out}");
}

#[test]
fn a_device_certificate_from_the_scep_ca_is_accepted_over_tls_and_a_foreign_one_fails_the_handshake()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev");
    let (_server, address) = serve_dev_tls(dir.path(), &data);

    // A device identity issued by the dev SCEP CA, as SCEP would.
    std::fs::write(
        dir.path().join("device.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let (ca_cert, ca_key) = (data.join("scep-ca.pem"), data.join("scep-ca.key"));
    openssl(
        dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=device",
            "-keyout",
            "device.key",
            "-out",
            "device.csr",
        ],
    );
    openssl(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "device.csr",
            "-CA",
            ca_cert.to_str().unwrap(),
            "-CAkey",
            ca_key.to_str().unwrap(),
            "-set_serial",
            "4242",
            "-days",
            "2",
            "-extfile",
            "device.ext",
            "-out",
            "device.pem",
        ],
    );
    let device = s_client(
        dir.path(),
        &address,
        &[
            "-alpn",
            "http/1.1",
            "-cert",
            "device.pem",
            "-key",
            "device.key",
        ],
        HEALTHZ,
    );
    let out = text(&device.stdout);
    // The server asked for a certificate from the SCEP CA.
    assert!(
        out.contains("Acceptable client certificate CA names")
            && out.contains("CN = fleet-server dev SCEP CA"),
        "{out}"
    );
    assert!(
        out.contains("HTTP/1.1 200"),
        "{out}\n{}",
        text(&device.stderr)
    );

    // No certificate at all (browsers, fleetctl) is fine too.
    let anonymous = s_client(dir.path(), &address, &["-alpn", "http/1.1"], HEALTHZ);
    let out = text(&anonymous.stdout);
    assert!(
        out.contains("HTTP/1.1 200"),
        "{out}\n{}",
        text(&anonymous.stderr)
    );

    // A certificate from anyone else: the server ends the handshake with
    // an alert and never answers.
    self_signed(
        dir.path(),
        "foreign",
        "/CN=device",
        &["extendedKeyUsage=clientAuth"],
    );
    let foreign = s_client(
        dir.path(),
        &address,
        &[
            "-alpn",
            "http/1.1",
            "-cert",
            "foreign.pem",
            "-key",
            "foreign.key",
        ],
        HEALTHZ,
    );
    let (out, err) = (text(&foreign.stdout), text(&foreign.stderr));
    assert!(!out.contains("HTTP/1.1"), "{out}");
    assert!(err.contains("alert"), "{out}\n{err}");
    assert!(!foreign.status.success(), "{out}\n{err}");
}

#[test]
fn sigterm_stops_serve_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, address) = serve_dev(dir.path(), &dir.path().join("dev"), &[], None);
    let answer = healthz_over_http(&address);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(server.terminate(), "serve did not exit cleanly on SIGTERM");
    assert!(
        TcpStream::connect(&address).is_err(),
        "{address} still accepts connections after serve stopped"
    );
}

#[test]
fn logs_are_json_lines_with_logging_json() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let (mut server, address) = serve_dev(
        dir.path(),
        &dir.path().join("dev"),
        &["--logging-json", "true"],
        Some(File::create(&log).unwrap()),
    );
    let answer = healthz_over_http(&address);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let stopped = server.terminate();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(stopped, "serve did not exit cleanly on SIGTERM:\n{logged}");
    let lines: Vec<Value> = logged
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let request = lines
        .iter()
        .find(|line| line["fields"]["route"] == "healthz")
        .unwrap_or_else(|| panic!("no request line for /healthz in:\n{logged}"));
    assert_eq!(request["fields"]["status"], 200, "{request}");
    assert_eq!(request["fields"]["method"], "GET", "{request}");
    assert_eq!(request["fields"]["path"], "/healthz", "{request}");
    assert_eq!(request["fields"]["message"], "request", "{request}");
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "stopped"),
        "no line for the stop in:\n{logged}"
    );
}

#[test]
fn text_logs_written_to_a_file_carry_no_terminal_colours() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let (mut server, _) = serve_dev(
        dir.path(),
        &dir.path().join("dev"),
        &[],
        Some(File::create(&log).unwrap()),
    );
    assert!(server.terminate(), "serve did not exit cleanly on SIGTERM");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("stopped"), "{logged}");
    assert!(
        !logged.contains('\x1b'),
        "escape codes in a log file:\n{logged:?}"
    );
}
