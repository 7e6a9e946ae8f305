//! Our `scepserver` (the drop-in for micromdm's) with a file depot:
//! `ca --init`, enrollment by micromdm's scepclient, the CSR verifier
//! program, depots made by Debian's scepserver, flags and environment.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::{
    Scepserver, assert_issued_by, in_private_network, index_lines, init_depot, micromdm_scepclient,
    our_scepclient, our_scepserver, require, scratch, stderr,
};

/// micromdm's scepclient enrolling `cn` with the challenge `secret`.
fn enroll(dir: &Path, server: &Scepserver, cn: &str) -> std::process::Output {
    micromdm_scepclient(
        dir,
        &[
            "-server-url",
            &server.url,
            "-private-key",
            "key.pem",
            "-cn",
            cn,
            "-challenge",
            "secret",
            "-ca-fingerprint",
            &server.fingerprint,
        ],
    )
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    require("openssl", "openssl");
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// An executable shell script `dir/name` with `body`.
fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn our_scepserver_ca_init_writes_micromdms_layout() {
    let dir = scratch("ours-ca-init");
    // micromdm's spellings and ours, mixed.
    let args = [
        "ca",
        "-init",
        "-depot",
        "depot",
        "-keySize",
        "2048",
        "-organizational_unit",
        "Test OU",
        "--common-name",
        "Test CA",
        "-key-password",
        "pw",
    ];
    let out = our_scepserver(&dir, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let depot = dir.join("depot");
    let subject = openssl(&depot, &["x509", "-in", "ca.pem", "-noout", "-subject"]);
    assert!(
        subject.contains("C = US, O = scep-ca, OU = Test OU, CN = Test CA"),
        "{subject}"
    );
    let key = std::fs::read_to_string(depot.join("ca.key")).unwrap();
    assert!(
        key.starts_with(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,"
        ),
        "{key}"
    );
    openssl(
        &depot,
        &[
            "rsa", "-in", "ca.key", "-passin", "pass:pw", "-check", "-noout",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(depot.join("serial")).unwrap(),
        "02\n"
    );
    assert!(index_lines(&depot).is_empty());

    let ca_before = std::fs::read(depot.join("ca.pem")).unwrap();
    let again = our_scepserver(&dir, &args);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(depot.join("ca.pem")).unwrap(), ca_before);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn micromdm_scepclient_enrolls_against_our_scepserver_with_a_file_depot() {
    let dir = scratch("ours-file-depot");
    let depot = init_depot(&dir);
    let server = Scepserver::start(&dir, &["--depot", "depot", "--challenge", "secret"]);
    let out = enroll(&dir, &server, "device-1");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_issued_by(&depot.join("ca.pem"), &dir.join("client.pem"));
    let issued = std::fs::read(depot.join("device-1.2.pem")).unwrap();
    assert_eq!(issued, std::fs::read(dir.join("client.pem")).unwrap());
    let index = index_lines(&depot);
    assert_eq!(index.len(), 1, "{index:?}");
    let fields: Vec<&str> = index[0].split('\t').collect();
    assert_eq!(fields[0], "V", "{index:?}");
    assert_eq!(
        fields[3..],
        [
            "02",
            "device-1.2.pem",
            "/C=US/O=scep-client/OU=MDM/CN=device-1"
        ]
    );
    let log = server.log();
    assert!(log.contains("message_type=PKCSReq"), "{log}");
    assert!(log.contains("outcome=issued serial=02"), "{log}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_csr_verifier_that_exits_non_zero_refuses_the_request() {
    let dir = scratch("ours-verifier-refuses");
    let depot = init_depot(&dir);
    // It does not read its stdin: the broken pipe must not matter.
    let verifier = script(&dir, "refuse.sh", "exit 1");
    let args = ["--depot", "depot", "--challenge", "secret"];
    let server = Scepserver::start(
        &dir,
        &[&args[..], &["--csrverifierexec", &verifier]].concat(),
    );
    let out = our_scepclient(
        &dir,
        &[
            "--server-url",
            &server.url,
            "--private-key",
            "key.pem",
            "--challenge",
            "secret",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("failInfo: badRequest (2), failInfoText: CSR verify failed"),
        "{said}"
    );
    let micromdm = enroll(&dir, &server, "device-1");
    assert!(!micromdm.status.success());
    assert!(
        stderr(&micromdm).contains("failInfo: badRequest"),
        "{}",
        stderr(&micromdm)
    );
    assert!(!dir.join("client.pem").exists());
    assert!(index_lines(&depot).is_empty());
    let log = server.log();
    assert!(
        log.contains("msg=\"CSR verify failed\" err=\"exit status: 1\""),
        "{log}"
    );
    assert!(
        log.contains("outcome=refused fail_info=BadRequest reason=\"CSR verify failed\""),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_csr_verifier_that_exits_zero_gets_the_csr_as_der_on_stdin_and_no_arguments() {
    let dir = scratch("ours-verifier-accepts");
    let depot = init_depot(&dir);
    let seen = dir.join("seen.der");
    let body = format!(
        "[ $# -eq 0 ] || exit 3\ncat >'{0}'\n[ -s '{0}' ] && openssl req -inform DER -in '{0}' -noout",
        seen.display()
    );
    let verifier = script(&dir, "accept.sh", &body);
    let args = [
        "--depot",
        "depot",
        "--challenge",
        "secret",
        "--csrverifierexec",
        &verifier,
    ];
    let server = Scepserver::start(&dir, &args);
    let out = enroll(&dir, &server, "device-1");
    assert!(out.status.success(), "{}\n{}", stderr(&out), server.log());
    assert_issued_by(&depot.join("ca.pem"), &dir.join("client.pem"));
    let subject = openssl(
        &dir,
        &[
            "req", "-inform", "DER", "-in", "seen.der", "-noout", "-subject",
        ],
    );
    assert!(subject.contains("CN = device-1"), "{subject}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_csr_verifier_that_is_missing_or_not_executable_stops_the_server_at_start() {
    let dir = scratch("ours-verifier-checks");
    init_depot(&dir);
    let not_executable = dir.join("plain.sh");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").unwrap();
    let cases = [
        ("plain.sh", "is not executable"),
        ("depot", "is a directory"),
        ("missing.sh", "No such file"),
    ];
    for (program, expected) in cases {
        let out = our_scepserver(
            &dir,
            &[
                "--depot",
                "depot",
                "--http-addr",
                "127.0.0.1:0",
                "--csrverifierexec",
                program,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{program}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{program}: {}",
            stderr(&out)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_depot_made_by_debian_scepserver_ca_init_is_served_by_ours() {
    require("scepserver", "scep");
    let dir = scratch("ours-debian-depot");
    let made = Command::new("scepserver")
        .args(["ca", "-init", "-depot", "depot", "-keySize", "2048"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let server = Scepserver::start(&dir, &["-depot", "depot", "-challenge", "secret"]);
    let out = enroll(&dir, &server, "device-1");
    assert!(out.status.success(), "{}\n{}", stderr(&out), server.log());
    assert_issued_by(&dir.join("depot/ca.pem"), &dir.join("client.pem"));
    assert!(dir.join("depot/device-1.2.pem").exists());
    assert!(index_lines(&dir.join("depot"))[0].starts_with("V\t"));
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

#[test]
fn micromdm_environment_variables_are_the_defaults() {
    let dir = scratch("ours-env");
    init_depot(&dir);
    let env = [
        ("SCEP_HTTP_ADDR", "127.0.0.1:0"),
        ("SCEP_FILE_DEPOT", "depot"),
        ("SCEP_CHALLENGE_PASSWORD", "secret"),
        ("SCEP_LOG_JSON", "true"),
    ];
    let server = Scepserver::start_with_env(&dir, &[], &env);
    let out = enroll(&dir, &server, "device-1");
    assert!(out.status.success(), "{}\n{}", stderr(&out), server.log());
    let log = server.log();
    let issued = log.lines().find(|l| l.contains(r#""outcome":"issued""#));
    let issued = issued.unwrap_or_else(|| panic!("no issued line in {log}"));
    assert!(
        issued.starts_with(r#"{"ts":""#) && issued.ends_with('}'),
        "{issued}"
    );
    assert!(issued.contains(r#""message_type":"PKCSReq""#), "{issued}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_exit_2_with_usage() {
    let dir = scratch("ours-bad-flags");
    let cases: [&[&str]; 5] = [
        &["--crtvalid", "soon"],
        &["--port", "8080", "--http-addr", "127.0.0.1:0"],
        &["--http-addr", "nowhere"],
        &["-bogus"],
        &["ca", "-init", "-keySize", "1024"],
    ];
    for args in cases {
        let out = our_scepserver(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.starts_with("error: "), "{args:?}: {said}");
        assert!(said.contains("usage: scepserver"), "{args:?}: {said}");
    }
    assert!(
        !dir.join("depot").exists(),
        "nothing written on a usage error"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_depot_exits_1_with_a_clear_message() {
    let dir = scratch("ours-missing-depot");
    let out = our_scepserver(&dir, &["--depot", "nowhere", "--http-addr", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("error: cannot open the depot nowhere: cannot read nowhere/ca.pem"),
        "{said}"
    );
    assert!(
        said.contains("scepserver ca --init --depot nowhere"),
        "{said}"
    );
    assert!(!dir.join("nowhere").exists());
    let _ = std::fs::remove_dir_all(dir);
}
