//! The `scepserver` and `scepclient` examples as child processes, and what
//! tests of programs need: scratch directories, peers that must be
//! installed (openssl, Debian's `scep`), and a private network namespace
//! for Debian's scepserver.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub(crate) use testkit::process::{assert_issued_by, example, require, scratch};

/// Runs our `scepclient` example in `dir` with `args`.
pub(crate) fn our_scepclient(dir: &Path, args: &[&str]) -> Output {
    Command::new(example("scepclient"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The subject and extensions of a PEM certificate, as openssl prints them.
pub(crate) fn openssl_text(cert: &Path) -> String {
    require("openssl", "openssl");
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-serial", "-ext"])
        .arg("subjectAltName,extendedKeyUsage")
        .arg("-in")
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What a program printed, stdout then stderr.
pub(crate) fn stderr(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `script` with bash in `dir`, inside a new network namespace that
/// has only a loopback interface (brought up before the script), so that
/// servers binding every interface are reachable from nowhere else.
///
/// `unshare --net --pid --fork --kill-child` (util-linux; needs root or
/// CAP_SYS_ADMIN) also gives the script its own PID namespace: whatever it
/// starts dies with it, and it dies with us. Without `unshare`, a named
/// namespace from `ip netns add` is used and removed afterwards.
pub(crate) fn in_private_network(dir: &Path, env: &[(&str, &Path)], script: &str) -> Output {
    require("ip", "iproute2");
    let script = format!(
        "set -euo pipefail\n\
         trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n\
         ip link set lo up\n{script}"
    );
    let mut unshare = Command::new("unshare");
    unshare.args([
        "--net",
        "--pid",
        "--fork",
        "--kill-child",
        "bash",
        "-c",
        &script,
    ]);
    let out = match run_in(dir, env, &mut unshare) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ip_netns(dir, env, &script),
        result => result.unwrap(),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.starts_with("unshare: "),
        "cannot make a private network namespace (run as root, or with CAP_SYS_ADMIN): {err}"
    );
    out
}

fn run_in(dir: &Path, env: &[(&str, &Path)], command: &mut Command) -> std::io::Result<Output> {
    command.current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output()
}

/// The fallback of [`in_private_network`]: `ip netns` (iproute2).
fn ip_netns(dir: &Path, env: &[(&str, &Path)], script: &str) -> Output {
    let name = format!(
        "scep-examples-{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    );
    let added = Command::new("ip")
        .args(["netns", "add", &name])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "neither unshare nor `ip netns add` works (run as root): {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut exec = Command::new("ip");
    exec.args(["netns", "exec", &name, "bash", "-c", script]);
    let out = run_in(dir, env, &mut exec);
    let _ = Command::new("ip").args(["netns", "delete", &name]).status();
    out.unwrap()
}

/// Quotes `word` for bash.
pub(crate) fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Our `scepserver` example, listening on 127.0.0.1 only, with its stderr
/// (the log) in `dir/scepserver.log`; killed on drop.
pub(crate) struct Scepserver {
    child: Child,
    /// The SCEP URL, `http://127.0.0.1:PORT/scep`.
    pub(crate) url: String,
    /// The CA's SHA-256 fingerprint, upper-case hex as printed.
    pub(crate) fingerprint: String,
    log: PathBuf,
}

impl Scepserver {
    /// Starts `scepserver --listen 127.0.0.1:0 ARGS` in `dir` and waits for
    /// its `listening on` line.
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
        let args = [&["--listen", "127.0.0.1:0"], args].concat();
        Self::start_with_env(dir, &args, &[])
    }

    /// Starts `scepserver ARGS` in `dir` with only `env` of micromdm's
    /// variables set; `args` or `env` must say to listen on 127.0.0.1.
    pub(crate) fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = dir.join("scepserver.log");
        let mut command = our_scepserver_command(dir);
        let mut child = command
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut fingerprint = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(hex) = line.strip_prefix("CA certificate SHA-256 fingerprint: ") {
                fingerprint = hex.to_owned();
            }
            if let Some(url) = line.strip_prefix("listening on ") {
                assert!(url.starts_with("http://127.0.0.1:"), "{url}");
                let url = url.to_owned();
                return Self {
                    child,
                    url,
                    fingerprint,
                    log,
                };
            }
        }
        let _ = child.wait();
        panic!(
            "scepserver did not start: {}",
            std::fs::read_to_string(&log).unwrap()
        );
    }

    /// What the server logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Scepserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our `scepserver` in `dir`, without any of micromdm's environment
/// variables that the test run might have.
fn our_scepserver_command(dir: &Path) -> Command {
    let mut command = Command::new(example("scepserver"));
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SCEP_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs our `scepserver` in `dir` with `args` to completion.
pub(crate) fn our_scepserver(dir: &Path, args: &[&str]) -> Output {
    our_scepserver_command(dir).args(args).output().unwrap()
}

/// `scepserver ca --init --depot depot --key-size 2048` in `dir`.
pub(crate) fn init_depot(dir: &Path) -> PathBuf {
    let out = our_scepserver(
        dir,
        &["ca", "--init", "--depot", "depot", "--key-size", "2048"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir.join("depot")
}

/// Runs micromdm's scepclient (Debian's `scep`) in `dir` with `args`.
pub(crate) fn micromdm_scepclient(dir: &Path, args: &[&str]) -> Output {
    require("scepclient", "scep");
    Command::new("scepclient")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The lines of `depot/index.txt`.
pub(crate) fn index_lines(depot: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(depot.join("index.txt")).unwrap();
    text.lines().map(str::to_owned).collect()
}

/// The public key of the first certificate in a PEM file.
pub(crate) fn public_key_of(path: &Path) -> cryptoutil::PublicKey {
    let pem = std::fs::read_to_string(path).unwrap();
    let certificates = cryptoutil::cert::from_pem(&pem).unwrap();
    cryptoutil::cert::public_key(&certificates[0]).unwrap()
}
