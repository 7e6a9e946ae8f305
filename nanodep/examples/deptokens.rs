//! The DEP token exchange from the command line, like Go nanodep's
//! `deptokens`: make the key pair whose certificate goes to Apple Business
//! Manager, then decrypt the `.p7m` token file Apple returns.
//!
//! ```text
//! cargo run -p nanodep --example deptokens -- generate --cn NAME --days N --cert OUT.pem --key OUT.key [--force]
//! cargo run -p nanodep --example deptokens -- decrypt --cert CERT.pem --key KEY.pem --token FILE.p7m
//! ```
//!
//! `generate` refuses to overwrite files without `--force`; `decrypt`
//! prints the token JSON on stdout. On failure: exit code 1 and one line on
//! stderr saying why; 2 for usage errors.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use nanodep::token_pki::{self, KeyPair};

const USAGE: &str = "usage:
  deptokens generate [--cn NAME] [--days N] --cert OUT.pem --key OUT.key [--force]
  deptokens decrypt --cert CERT.pem --key KEY.pem --token FILE.p7m";

enum Failure {
    Usage(String),
    Run(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--flag value` pairs and bare `--force`.
fn options(args: &[String]) -> Result<HashMap<&str, &str>, Failure> {
    let mut options = HashMap::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let Some(name) = arg.strip_prefix("--") else {
            return Err(Failure::Usage(format!("unexpected argument {arg}")));
        };
        if name == "force" {
            options.insert(name, "");
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| Failure::Usage(format!("--{name} needs a value")))?;
        options.insert(name, value.as_str());
    }
    Ok(options)
}

fn run(args: &[String]) -> Result<(), Failure> {
    let (command, rest) = args
        .split_first()
        .ok_or_else(|| Failure::Usage("no command".into()))?;
    let options = options(rest)?;
    let required = |name: &str| {
        options
            .get(name)
            .copied()
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    };
    match command.as_str() {
        "generate" => {
            let allowed = ["cn", "days", "cert", "key", "force"];
            check_known(&options, &allowed)?;
            let days = options.get("days").copied().unwrap_or("1");
            let days = days
                .parse()
                .map_err(|_| Failure::Usage(format!("--days {days} is not a number")))?;
            let cn = options.get("cn").copied().unwrap_or("deptokens");
            let force = options.contains_key("force");
            generate(cn, days, required("cert")?, required("key")?, force)
        }
        "decrypt" => {
            check_known(&options, &["cert", "key", "token"])?;
            decrypt(required("cert")?, required("key")?, required("token")?)
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::Usage(format!("unknown command {other}"))),
    }
}

fn check_known(options: &HashMap<&str, &str>, allowed: &[&str]) -> Result<(), Failure> {
    match options.keys().find(|k| !allowed.contains(k)) {
        Some(unknown) => Err(Failure::Usage(format!("unknown option --{unknown}"))),
        None => Ok(()),
    }
}

fn generate(cn: &str, days: u32, cert: &str, key: &str, force: bool) -> Result<(), Failure> {
    for path in [cert, key] {
        if !force && Path::new(path).exists() {
            return Err(Failure::Run(format!(
                "{path} exists; use --force to overwrite"
            )));
        }
    }
    let pair = token_pki::self_signed_key_pair(cn, days, SystemTime::now())
        .map_err(|e| Failure::Run(e.to_string()))?;
    write(key, &pair.key_pem, true)?;
    write(cert, &pair.certificate_pem, false)
}

fn write(path: &str, contents: &str, secret: bool) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    let mut file = options
        .open(path)
        .map_err(|e| Failure::Run(format!("cannot write {path}: {e}")))?;
    std::io::Write::write_all(&mut file, contents.as_bytes())
        .map_err(|e| Failure::Run(format!("cannot write {path}: {e}")))
}

fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Run(format!("cannot read {path}: {e}")))
}

fn decrypt(cert: &str, key: &str, token: &str) -> Result<(), Failure> {
    let text = |path| {
        read(path).and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| Failure::Run(format!("{path} is not PEM text")))
        })
    };
    let pair = KeyPair {
        certificate_pem: text(cert)?,
        key_pem: text(key)?,
    };
    let tokens = token_pki::decrypt_token(&read(token)?, &pair, SystemTime::now())
        .map_err(|e| Failure::Run(format!("{token}: {e}")))?;
    let json = serde_json::to_string(&tokens).map_err(|e| Failure::Run(e.to_string()))?;
    println!("{json}");
    Ok(())
}
