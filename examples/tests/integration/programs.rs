//! The programs device-sim runs against, as child processes: scep's
//! `scepserver` example as the CA and nanomdm's `nanomdm` example as the
//! MDM server; and device-sim itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The challenge password of the test CA.
pub(crate) const CHALLENGE: &str = "device-sim-secret";
/// The nanomdm API key.
pub(crate) const API_KEY: &str = "device-sim-api";
/// The push topic of the test profiles.
pub(crate) const TOPIC: &str = "com.apple.mgmt.External.device-sim";

/// Another package's example `name`, as cargo built it for this test
/// binary's profile: `target/<profile>/deps/integration-…` →
/// `target/<profile>/examples/<name>`. Examples get no `CARGO_BIN_EXE_`
/// variable and are not built for tests: `./test.sh` runs `cargo build
/// --workspace --examples` first.
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} has no profile directory", exe.display()));
    let path = profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the {name} example is not built at {}: run ./test.sh, or `cargo build --workspace \
         --examples` before running the tests another way",
        path.display()
    );
    path
}

/// A child process killed on drop, with the URL it printed.
pub(crate) struct Running {
    child: Child,
    /// The URL from its "listening on" line.
    pub(crate) url: String,
}

impl Running {
    /// Starts `program` and waits for the stdout line that starts with
    /// `prefix`; the rest of that line is the URL.
    fn start(program: &Path, args: &[&str], prefix: &str) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{} exited before listening", program.display()))
                .unwrap();
            if let Some(url) = line.strip_prefix(prefix) {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh CA depot in `dir/depot` (2048-bit key, which keeps issuance
/// quick) and scep's `scepserver` serving it on a free loopback port with
/// [`CHALLENGE`]. Its URL ends in `/scep`.
pub(crate) fn scepserver(dir: &Path) -> Running {
    let depot = dir.join("depot");
    let depot = depot.to_str().unwrap();
    let init = Command::new(example("scepserver"))
        .args(["ca", "--init", "--depot", depot, "--key-size", "2048"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    Running::start(
        &example("scepserver"),
        &[
            "--depot",
            depot,
            "--listen",
            "127.0.0.1:0",
            "--challenge",
            CHALLENGE,
        ],
        "listening on ",
    )
}

/// nanomdm's `nanomdm` example on a free loopback port, trusting the CA of
/// `dir/depot`, with the API under [`API_KEY`], over `storage` (`memory`,
/// or `file` in `dir/db`). Its URL is the base, without a path.
pub(crate) fn nanomdm(dir: &Path, storage: &str) -> Running {
    let ca = dir.join("depot").join("ca.pem");
    let db = dir.join("db");
    Running::start(
        &example("nanomdm"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--ca",
            ca.to_str().unwrap(),
            "--api",
            API_KEY,
            "--storage",
            storage,
            "--storage-dsn",
            db.to_str().unwrap(),
        ],
        "nanomdm listening on ",
    )
}

/// Runs device-sim with `args`.
pub(crate) fn device_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_device-sim"))
        .args(args)
        .output()
        .unwrap()
}

/// Writes the test profile for `scep` and `mdm` to `dir/enroll.mobileconfig`
/// with device-sim's `profile` command and returns its path.
pub(crate) fn profile(dir: &Path, scep: &Running, mdm: &Running, challenge: &str) -> String {
    let out = dir.join("enroll.mobileconfig");
    let out = out.to_str().unwrap().to_owned();
    let server_url = format!("{}/mdm", mdm.url);
    let made = device_sim(&[
        "profile",
        "--scep-url",
        &scep.url,
        "--challenge",
        challenge,
        "--server-url",
        &server_url,
        "--topic",
        TOPIC,
        "--out",
        &out,
    ]);
    assert_success(&made);
    out
}

/// Asserts that `output` is a success, showing its output otherwise, and
/// returns its stdout.
pub(crate) fn assert_success(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
