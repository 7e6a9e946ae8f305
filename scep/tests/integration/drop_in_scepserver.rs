//! The `scepserver` example (the drop-in for micromdm's) with a file
//! depot: `ca --init`, enrollment by micromdm's scepclient 2.1.0 (Debian's
//! `scep`; fresh key, reused key, renewal), the CSR verifier program,
//! depots made by Debian's scepserver, where it listens, flags and
//! environment.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::programs::{
    Scepserver, assert_issued_by, example, in_private_network, index_lines, init_depot,
    micromdm_scepclient, our_scepclient, our_scepserver, public_key_of, require, scratch, stderr,
};

/// micromdm's scepclient enrolling `cn` with the challenge `secret`.
fn enroll(dir: &Path, server: &Scepserver, cn: &str) -> Output {
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
                "--listen",
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
    let cases: [&[&str]; 6] = [
        &["--crtvalid", "soon"],
        &["--listen", "127.0.0.1:0", "--port", "soon"],
        &["--listen", "nowhere"],
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
    let out = our_scepserver(&dir, &["--depot", "nowhere", "--listen", "127.0.0.1:0"]);
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

/// `scepclient -server-url URL -private-key key.pem -challenge secret ARGS`.
fn micromdm_enroll(dir: &Path, server: &Scepserver, args: &[&str]) -> Output {
    let common = [
        "-server-url",
        &server.url,
        "-private-key",
        "key.pem",
        "-challenge",
        "secret",
    ];
    micromdm_scepclient(dir, &[&common[..], args].concat())
}

#[test]
fn micromdm_scepclient_reuses_an_existing_key() {
    let dir = scratch("micromdm-reuse");
    let depot = init_depot(&dir);
    let server = Scepserver::start(&dir, &["--depot", "depot", "--challenge", "secret"]);
    std::fs::create_dir_all(dir.join("first")).unwrap();
    std::fs::create_dir_all(dir.join("second")).unwrap();
    let first = micromdm_enroll(
        &dir,
        &server,
        &["-cn", "device-1", "-certificate", "first/client.pem"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let key = std::fs::read(dir.join("key.pem")).unwrap();
    // scepclient would send its csr.pem (device-1) again, a duplicate subject.
    std::fs::remove_file(dir.join("csr.pem")).unwrap();
    let second = micromdm_enroll(
        &dir,
        &server,
        &["-cn", "device-2", "-certificate", "second/client.pem"],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(std::fs::read(dir.join("key.pem")).unwrap(), key);
    for issued in ["first/client.pem", "second/client.pem"] {
        assert_issued_by(&depot.join("ca.pem"), &dir.join(issued));
    }
    assert_eq!(
        public_key_of(&dir.join("first/client.pem")),
        public_key_of(&dir.join("second/client.pem"))
    );
    assert_ne!(
        std::fs::read(dir.join("first/client.pem")).unwrap(),
        std::fs::read(dir.join("second/client.pem")).unwrap()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn micromdm_scepclient_renews_with_its_current_certificate() {
    let dir = scratch("micromdm-renew");
    let depot = init_depot(&dir);
    // --allowrenew 0: renewal is allowed at any time; --debug logs the
    // certificate that signed each request.
    let args = [
        "--depot",
        "depot",
        "--challenge",
        "secret",
        "--allowrenew",
        "0",
        "--debug",
    ];
    let server = Scepserver::start(&dir, &args);
    let enrolled = micromdm_enroll(&dir, &server, &["-cn", "device-1"]);
    assert!(enrolled.status.success(), "{}", stderr(&enrolled));
    let first = std::fs::read(dir.join("client.pem")).unwrap();
    // client.pem exists now: scepclient 2.1.0 signs a RenewalReq with it.
    let renewed = micromdm_enroll(&dir, &server, &["-cn", "device-1"]);
    assert!(
        renewed.status.success(),
        "{}\n{}",
        stderr(&renewed),
        server.log()
    );
    assert_ne!(std::fs::read(dir.join("client.pem")).unwrap(), first);
    assert_issued_by(&depot.join("ca.pem"), &dir.join("client.pem"));
    let log = server.log();
    let renewal = log.lines().find(|l| l.contains("message_type=RenewalReq"));
    let renewal = renewal.unwrap_or_else(|| panic!("no RenewalReq in {log}"));
    assert!(renewal.contains("requester_serial=02"), "{renewal}");
    assert!(renewal.contains("outcome=issued serial=03"), "{renewal}");
    let index = index_lines(&depot);
    assert_eq!(index.len(), 2, "{index:?}");
    assert!(
        index[0].starts_with("R\t") && index[0].contains("\t02\tdevice-1.2.pem\t"),
        "{index:?}"
    );
    assert!(
        index[1].starts_with("V\t") && index[1].contains("\t03\tdevice-1.3.pem\t"),
        "{index:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn listen_wins_over_port() {
    let dir = scratch("ours-listen-wins");
    init_depot(&dir);
    // --port 0 would listen on every interface; Scepserver checks that the
    // server listens on 127.0.0.1.
    for args in [
        ["--port", "0", "--listen", "127.0.0.1:0"],
        ["--listen", "127.0.0.1:0", "--port", "0"],
        ["--port", "0", "--http-addr", "127.0.0.1:0"],
    ] {
        let server =
            Scepserver::start_with_env(&dir, &[&["--depot", "depot"], &args[..]].concat(), &[]);
        let log = server.log();
        assert!(!log.contains("every interface"), "{args:?}: {log}");
    }
    let env = [
        ("SCEP_HTTP_LISTEN_PORT", "0"),
        ("SCEP_HTTP_ADDR", "127.0.0.1:0"),
    ];
    let server = Scepserver::start_with_env(&dir, &["--depot", "depot"], &env);
    assert!(
        !server.log().contains("every interface"),
        "{}",
        server.log()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_listen_it_listens_on_every_interface_on_port_2016_or_on_port() {
    require("ip", "iproute2");
    let dir = scratch("ours-default-listen");
    init_depot(&dir);
    // Every interface: only in a private network.
    let script = r#"
up() { (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; }
serve() {
    local name=$1 port=$2
    shift 2
    "$SCEPSERVER" --depot depot "$@" >"$name.out" 2>"$name.log" &
    for _ in $(seq 100); do up "$port" && break; sleep 0.1; done
    up "$port" || { cat "$name.out" "$name.log" >&2; exit 1; }
}
serve default 2016
serve port 2017 --port 2017
"#;
    let scepserver = example("scepserver");
    let out = in_private_network(&dir, &[("SCEPSERVER", &scepserver)], script);
    assert!(out.status.success(), "{}", stderr(&out));
    for (name, port) in [("default", 2016), ("port", 2017)] {
        let said = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
        assert!(
            said.lines()
                .any(|l| l == format!("listening on http://0.0.0.0:{port}/scep")),
            "{name}: {said}"
        );
        let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
        assert!(
            log.contains(&format!(
                "note: listening on every interface (0.0.0.0:{port}), as micromdm's scepserver \
                 does; use --listen 127.0.0.1:{port} for loopback only"
            )),
            "{name}: {log}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
