//! The programs device-sim runs against, as child processes: scep's
//! `scepserver` example as the CA and nanomdm's `nanomdm` example as the
//! MDM server; and device-sim itself.

use std::path::Path;
use std::process::{Command, Output};

use testkit::process::{Running, example};

/// The challenge password of the test CA.
pub(crate) const CHALLENGE: &str = "device-sim-secret";
/// The nanomdm API key.
pub(crate) const API_KEY: &str = "device-sim-api";
/// The push topic of the test profiles.
pub(crate) const TOPIC: &str = "com.apple.mgmt.External.device-sim";

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
    let mut command = Command::new(example("scepserver"));
    command.args([
        "--depot",
        depot,
        "--listen",
        "127.0.0.1:0",
        "--challenge",
        CHALLENGE,
    ]);
    Running::start(command, "listening on ")
}

/// nanomdm's `nanomdm` example on a free loopback port, trusting the CA of
/// `dir/depot`, with the API under [`API_KEY`], over `storage` (`memory`,
/// or `file` in `dir/db`). Its URL is the base, without a path.
pub(crate) fn nanomdm(dir: &Path, storage: &str) -> Running {
    let ca = dir.join("depot").join("ca.pem");
    let db = dir.join("db");
    let mut command = Command::new(example("nanomdm"));
    command.args([
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
    ]);
    Running::start(command, "nanomdm listening on ")
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
    let server_url = format!("{}/mdm", mdm.announced);
    let made = device_sim(&[
        "profile",
        "--scep-url",
        &scep.announced,
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
