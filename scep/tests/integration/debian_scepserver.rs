//! Debian's scepserver (micromdm 2.1.0) with our examples: our
//! `scepclient` enrolling against it, and a depot made by our `scepserver`
//! served by it. It binds every interface, so it runs in a private
//! network namespace with only loopback (see [`in_private_network`]).

use std::path::Path;

use crate::programs::{
    assert_issued_by, example, in_private_network, init_depot, openssl_text, public_key_of,
    require, scratch, shell_quote, stderr,
};

/// Starts scepserver with a fresh CA in `depot/` (challenge `secret`,
/// plus `server_flags`), waits for its port, then runs `steps`, in which
/// `client NAME ARGS...` runs our scepclient against it and records its
/// exit code in `NAME.code` and its output in `NAME.log`.
const PRELUDE: &str = r#"
scepserver ca -init -depot depot -keySize 2048 >/dev/null
scepserver -depot depot -port 8080 -challenge secret $SERVER_FLAGS >scepserver.log 2>&1 &
up() { (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; }
for _ in $(seq 100); do up && break; sleep 0.1; done
up || { echo "scepserver did not listen on port 8080:" >&2; cat scepserver.log >&2; exit 1; }
client() {
    local name=$1 code=0
    shift
    "$SCEPCLIENT" --server-url http://127.0.0.1:8080/scep "$@" >"$name.log" 2>&1 || code=$?
    echo "$code" >"$name.code"
}
"#;

fn with_debian_scepserver(dir: &Path, server_flags: &str, steps: &[String]) {
    require("scepserver", "scep");
    require("openssl", "openssl");
    let script = format!(
        "SERVER_FLAGS={}\n{PRELUDE}\n{}\n",
        shell_quote(server_flags),
        steps.join("\n")
    );
    let client = example("scepclient");
    let out = in_private_network(dir, &[("SCEPCLIENT", &client)], &script);
    assert!(
        out.status.success(),
        "namespace script failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `client NAME ARGS...`, quoted.
fn client(name: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    format!("client {name} {}", args.join(" "))
}

/// The exit code and output of a `client NAME` step.
fn run(dir: &Path, name: &str) -> (i32, String) {
    let code = std::fs::read_to_string(dir.join(format!("{name}.code"))).unwrap();
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
    (code.trim().parse().unwrap(), log)
}

#[test]
fn our_scepclient_enrolls_against_debian_scepserver() {
    let dir = scratch("debian-enroll");
    let enroll = client(
        "enroll",
        &[
            "--private-key",
            "key.pem",
            "--cn",
            "device-1",
            "--challenge",
            "secret",
        ],
    );
    with_debian_scepserver(&dir, "", &[enroll]);
    let (code, log) = run(&dir, "enroll");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("PKCSReq (19): pkiStatus=SUCCESS"), "{log}");
    assert_issued_by(&dir.join("depot/ca.pem"), &dir.join("client.pem"));
    let text = openssl_text(&dir.join("client.pem"));
    assert!(text.contains("CN = device-1"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_with_a_wrong_challenge_is_refused_by_debian_scepserver_with_bad_request() {
    let dir = scratch("debian-refused");
    let refused = client(
        "refused",
        &["--private-key", "key.pem", "--challenge", "guess"],
    );
    with_debian_scepserver(&dir, "", &[refused]);
    let (code, log) = run(&dir, "refused");
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("PKCSReq (19) request failed"), "{log}");
    assert!(log.contains("failInfo: badRequest (2)"), "{log}");
    assert!(!dir.join("client.pem").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_reuses_an_existing_key_file_against_debian_scepserver() {
    let dir = scratch("debian-reuse");
    let first = ["--private-key", "key.pem", "--certificate", "first.pem"];
    let second = ["--private-key", "key.pem", "--certificate", "second.pem"];
    let steps = [
        client(
            "first",
            &[&first[..], &["--cn", "device-1", "--challenge", "secret"]].concat(),
        ),
        "cp key.pem key-after-first-run.pem".to_owned(),
        client(
            "second",
            &[&second[..], &["--cn", "device-2", "--challenge", "secret"]].concat(),
        ),
    ];
    with_debian_scepserver(&dir, "", &steps);
    let (code, log) = run(&dir, "first");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("created a new RSA key"), "{log}");
    let (code, log) = run(&dir, "second");
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("created a new RSA key"), "{log}");
    let key = std::fs::read(dir.join("key.pem")).unwrap();
    assert_eq!(
        key,
        std::fs::read(dir.join("key-after-first-run.pem")).unwrap()
    );
    assert_issued_by(&dir.join("depot/ca.pem"), &dir.join("second.pem"));
    let first_key = public_key_of(&dir.join("first.pem"));
    assert_eq!(first_key, public_key_of(&dir.join("second.pem")));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_renews_with_its_current_certificate_against_debian_scepserver() {
    let dir = scratch("debian-renew");
    let args = [
        "--private-key",
        "key.pem",
        "--cn",
        "device-1",
        "--challenge",
        "secret",
    ];
    let steps = [
        client("enroll", &args),
        "cp client.pem enrolled.pem".to_owned(),
        client("renew", &args),
    ];
    // -allowrenew 0: renewal is allowed at any time.
    with_debian_scepserver(&dir, "-allowrenew 0", &steps);
    let (code, log) = run(&dir, "renew");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("RenewalReq (17): pkiStatus=SUCCESS"), "{log}");
    assert_issued_by(&dir.join("depot/ca.pem"), &dir.join("client.pem"));
    let enrolled = openssl_text(&dir.join("enrolled.pem"));
    let renewed = openssl_text(&dir.join("client.pem"));
    assert_ne!(enrolled, renewed, "a new certificate (serial) was written");
    assert!(renewed.contains("CN = device-1"), "{renewed}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_depot_made_by_our_scepserver_ca_init_is_served_by_debians() {
    require("scepserver", "scep");
    let dir = scratch("debian-our-depot");
    init_depot(&dir);
    // Debian's scepserver binds every interface: only in a private network.
    let script = "scepserver -depot depot -port 8080 -challenge secret >debian.log 2>&1 &
up() { (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; }
for _ in $(seq 100); do up && break; sleep 0.1; done
scepclient -server-url http://127.0.0.1:8080/scep -private-key key.pem -cn device-1 \\
    -challenge secret >client.log 2>&1 || { cat debian.log client.log >&2; exit 1; }";
    let out = in_private_network(&dir, &[], script);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_issued_by(&dir.join("depot/ca.pem"), &dir.join("client.pem"));
    assert!(dir.join("depot/device-1.2.pem").exists());
    let _ = std::fs::remove_dir_all(dir);
}
