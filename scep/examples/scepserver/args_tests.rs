//! Tests of the flag parser.

use super::*;

fn parse_with(args: &[&str], env: &[(&str, &str)]) -> Result<Command, UsageError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let args = args.iter().map(|a| (*a).to_owned());
    parse(args, move |name| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

fn serve(args: &[&str], env: &[(&str, &str)]) -> ServeArgs {
    match parse_with(args, env) {
        Ok(Command::Serve(args)) => *args,
        other => panic!("{other:?}"),
    }
}

fn ca(args: &[&str]) -> CaArgs {
    match parse_with(args, &[]) {
        Ok(Command::CaInit(args)) => *args,
        other => panic!("{other:?}"),
    }
}

fn usage_error(args: &[&str], env: &[(&str, &str)]) -> UsageError {
    match parse_with(args, env) {
        Err(e) => e,
        Ok(other) => panic!("{other:?}"),
    }
}

#[test]
fn defaults_follow_micromdm_scepserver_but_listen_on_port_2016() {
    let args = serve(&[], &[]);
    assert_eq!(args.listen, Listen::Port(2016));
    assert_eq!(args.listen.to_string(), "0.0.0.0:2016");
    assert_eq!(args.depot, PathBuf::from("depot"));
    assert_eq!((args.crt_valid, args.allow_renew), (365, 14));
    assert!(args.ca_pass.is_empty() && args.challenge.is_none());
    assert!(args.csr_verifier.is_none() && !args.debug && !args.log_json);
}

#[test]
fn single_dash_double_dash_and_inline_values_are_the_same_flags() {
    let args = serve(
        &[
            "-depot",
            "d",
            "--crtvalid=30",
            "-allowrenew=0",
            "--challenge",
            "s",
            "-debug",
            "--log-json=false",
            "-http-addr",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert_eq!(args.listen, Listen::Addr("127.0.0.1:0".into()));
    assert_eq!(args.depot, PathBuf::from("d"));
    assert_eq!((args.crt_valid, args.allow_renew), (30, 0));
    assert_eq!(args.challenge.as_deref(), Some("s"));
    assert!(args.debug && !args.log_json);
    for spelling in ["--listen", "-listen", "--http-addr"] {
        let args = serve(&[spelling, "127.0.0.1:1"], &[]);
        assert_eq!(
            args.listen,
            Listen::Addr("127.0.0.1:1".into()),
            "{spelling}"
        );
        let inline = serve(&[&format!("{spelling}=127.0.0.1:2")], &[]);
        assert_eq!(
            inline.listen,
            Listen::Addr("127.0.0.1:2".into()),
            "{spelling}"
        );
    }
    assert_eq!(serve(&["--port", "9"], &[]).listen, Listen::Port(9));
}

#[test]
fn environment_variables_are_defaults_that_flags_override() {
    let env = [
        ("SCEP_HTTP_LISTEN_PORT", "9000"),
        ("SCEP_FILE_DEPOT", "env-depot"),
        ("SCEP_CA_PASS", "pw"),
        ("SCEP_CERT_VALID", "10"),
        ("SCEP_CERT_RENEW", ""),
        ("SCEP_CHALLENGE_PASSWORD", "env-secret"),
        ("SCEP_CSR_VERIFIER_EXEC", "/bin/true"),
        ("SCEP_LOG_DEBUG", "true"),
        ("SCEP_LOG_JSON", "yes"),
    ];
    let args = serve(&["--depot", "flag-depot"], &env);
    assert_eq!(args.listen, Listen::Port(9000));
    assert_eq!(args.depot, PathBuf::from("flag-depot"));
    assert_eq!((args.ca_pass.as_str(), args.crt_valid), ("pw", 10));
    assert_eq!(args.allow_renew, 14, "an empty variable is unset");
    assert_eq!(args.challenge.as_deref(), Some("env-secret"));
    assert_eq!(args.csr_verifier, Some(PathBuf::from("/bin/true")));
    assert!(args.debug && !args.log_json, "only \"true\" is true");
    assert!(!serve(&["--debug=false"], &env).debug);
}

#[test]
fn listen_wins_over_port_and_either_flag_replaces_both_variables() {
    let addr = Listen::Addr("127.0.0.1:2".into());
    for args in [
        ["--port", "1", "--listen", "127.0.0.1:2"],
        ["--listen", "127.0.0.1:2", "--port", "1"],
        ["-port", "1", "-http-addr", "127.0.0.1:2"],
    ] {
        assert_eq!(serve(&args, &[]).listen, addr, "{args:?}");
    }
    let env = [
        ("SCEP_HTTP_ADDR", "127.0.0.1:2"),
        ("SCEP_HTTP_LISTEN_PORT", "3"),
    ];
    assert_eq!(serve(&[], &env).listen, addr, "SCEP_HTTP_ADDR wins");
    assert_eq!(
        serve(&[], &env[1..]).listen,
        Listen::Port(3),
        "SCEP_HTTP_LISTEN_PORT alone"
    );
    assert_eq!(
        serve(&["--port", "1"], &env).listen,
        Listen::Port(1),
        "a flag replaces both variables"
    );
    assert_eq!(
        serve(&["--listen", "127.0.0.1:4"], &env).listen,
        Listen::Addr("127.0.0.1:4".into())
    );
    let overridden = usage_error(&["--listen", "127.0.0.1:2", "--port", "x"], &[]);
    assert!(
        overridden
            .message
            .starts_with("--port x: not a valid number"),
        "an overridden --port is still checked: {overridden:?}"
    );
    let all = serve(&["--listen", ":8443"], &[]);
    assert_eq!(all.listen, Listen::Addr("0.0.0.0:8443".into()));
    let v6 = serve(&["--http-addr", "[::1]:0"], &[]);
    assert_eq!(v6.listen, Listen::Addr("[::1]:0".into()));
}

#[test]
fn bad_values_and_unknown_flags_are_usage_errors() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["--crtvalid", "soon"],
            "--crtvalid soon: not a valid number",
        ),
        (
            &["--allowrenew", "-1"],
            "--allowrenew -1: not a valid number",
        ),
        (&["--port", "70000"], "--port 70000: not a valid number"),
        (
            &["--http-addr", "localhost"],
            "--http-addr localhost: expected HOST:PORT",
        ),
        (
            &["--listen", "127.0.0.1"],
            "--listen 127.0.0.1: expected HOST:PORT",
        ),
        (&["--sign-server-attrs"], "unknown flag --sign-server-attrs"),
        (&["--depot"], "--depot needs a value"),
        (&["serve"], "unexpected argument serve"),
    ];
    for (args, expected) in cases {
        let error = usage_error(args, &[]);
        assert!(error.message.starts_with(expected), "{args:?}: {error:?}");
        assert_eq!(error.usage, USAGE);
    }
}

#[test]
fn ca_init_takes_micromdms_spellings_and_defaults() {
    let defaults = ca(&["ca", "-init"]);
    assert_eq!(defaults.depot, PathBuf::from("depot"));
    assert_eq!(
        (defaults.options.key_bits, defaults.options.years),
        (4096, 10)
    );
    assert_eq!(defaults.options.common_name, "MICROMDM SCEP CA");
    assert!(defaults.key_password.is_empty());
    let args = ca(&[
        "ca",
        "--init",
        "-keySize",
        "2048",
        "-organizational_unit",
        "U",
        "-common_name=",
        "-key-password",
        "pw",
        "--years",
        "2",
    ]);
    assert_eq!((args.options.key_bits, args.options.years), (2048, 2));
    assert_eq!(args.options.organizational_unit, "U");
    assert_eq!(args.options.common_name, "", "an empty CN is left out");
    assert_eq!(args.key_password, "pw");
    let spelled = ca(&[
        "ca",
        "-init",
        "--key-size",
        "3072",
        "--organizational-unit",
        "V",
    ]);
    assert_eq!(spelled.options.key_bits, 3072);
    assert_eq!(spelled.options.organizational_unit, "V");
}

#[test]
fn ca_without_init_or_with_an_unsupported_key_size_is_a_usage_error() {
    let nothing = usage_error(&["ca"], &[]);
    assert!(nothing.message.contains("pass --init"), "{nothing:?}");
    assert_eq!(nothing.usage, CA_USAGE);
    let small = usage_error(&["ca", "-init", "-keySize", "1024"], &[]);
    assert!(small.message.starts_with("--key-size 1024"), "{small:?}");
    let port = usage_error(&["ca", "-init", "-port", "1"], &[]);
    assert_eq!(port.message, "unknown flag --port");
}
