//! The examples as a user runs them: `depsim` over real HTTP, driven by the
//! `client` feature's hyper transport.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// This package's example `name`, as cargo built it beside this test
/// binary (`target/<profile>/examples/<name>`). `cargo test` builds the
/// examples; with another runner, `cargo build -p nanodep --examples
/// --all-features` first.
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let path = profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the {name} example is not built at {}: run `cargo build -p nanodep --examples \
         --all-features` first",
        path.display()
    );
    path
}

/// A running `depsim` example, killed when dropped.
pub(crate) struct Depsim {
    child: Child,
    pub(crate) url: String,
}

impl Depsim {
    pub(crate) fn start(devices: usize) -> Self {
        let mut child = Command::new(example("depsim"))
            .args(["--listen", "127.0.0.1:0", "--devices", &devices.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("depsim listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for Depsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn depsim_refuses_unknown_arguments_with_exit_code_2() {
    let output = Command::new(example("depsim"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument --bogus"));
}

#[test]
fn depsim_serves_its_admin_hooks_over_plain_http() {
    use std::io::{Read, Write};
    let depsim = Depsim::start(2);
    let address = depsim.url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /_depsim/devices HTTP/1.1\r\nHost: depsim\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer.contains("\"serial_number\":\"DEPSIM0000002\""),
        "{answer}"
    );
}

fn deptokens(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(example("deptokens"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn deptokens_generates_a_pair_then_decrypts_the_token_apple_sends_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate", "--cn", "mdm1", "--days", "2", "--cert", "c.pem", "--key", "k.pem",
    ];
    let out = deptokens(dir.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = std::fs::read_to_string(dir.path().join("c.pem")).unwrap();
    let key = std::fs::read_to_string(dir.path().join("k.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("k.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is private");
    }
    let again = deptokens(dir.path(), &args);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("use --force"));

    let sim = nanodep::testing::depsim::DepSim::new();
    std::fs::write(dir.path().join("t.p7m"), sim.token_file(&cert).unwrap()).unwrap();
    let args = [
        "decrypt", "--cert", "c.pem", "--key", "k.pem", "--token", "t.p7m",
    ];
    let out = deptokens(dir.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens: nanodep::OAuth1Tokens = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tokens, sim.tokens());
}

#[test]
fn deptokens_explains_a_bad_token_file_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["generate", "--cert", "c.pem", "--key", "k.pem"];
    assert!(deptokens(dir.path(), &args).status.success());
    std::fs::write(dir.path().join("t.p7m"), "hello\n").unwrap();
    let args = [
        "decrypt", "--cert", "c.pem", "--key", "k.pem", "--token", "t.p7m",
    ];
    let out = deptokens(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not an S/MIME message"), "{stderr}");
    let out = deptokens(dir.path(), &["decrypt", "--cert", "c.pem"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn depsyncer_runs_the_whole_flow_and_continues_from_a_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let run = || {
        let out = Command::new(example("depsyncer"))
            .args(["--devices", "2", "--store"])
            .arg(&store)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run();
    assert!(first.contains("depsim: Fetch page, 2 devices"), "{first}");
    assert!(first.contains("  added NEW0000002\n"), "{first}");
    assert!(first.contains("  deleted DEPSIM0000001\n"), "{first}");
    assert!(first.contains("  assigned: 2 SUCCESS\n"), "{first}");
    assert!(store.join("depsim.cursor.txt").is_file());
    // A new simulator does not know the stored cursor: a full fetch again.
    let second = run();
    assert!(second.contains("restarted_fetch: true"), "{second}");
}

#[cfg(feature = "client")]
mod over_http {
    use std::sync::Arc;
    use std::time::SystemTime;

    use bytes::Bytes;
    use nanodep::api::FetchDeviceRequest;
    use nanodep::client::HyperTransport;
    use nanodep::store::{Config, ConfigStore};
    use nanodep::token_pki::{finalize_token, stage_key_pair};
    use nanodep::{Client, MemoryStore, Transport};

    use super::Depsim;

    #[tokio::test]
    async fn the_token_flow_and_a_fetch_work_against_depsim_over_http() {
        let depsim = Depsim::start(3);
        let transport = Arc::new(HyperTransport::new().unwrap());
        let store = Arc::new(MemoryStore::new());
        let now = SystemTime::now();
        let pair = stage_key_pair(&*store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        // "Upload" the certificate to the portal and download the token.
        let upload = http::Request::post(format!("{}/_depsim/token", depsim.url))
            .body(Bytes::from(pair.certificate_pem.clone()))
            .unwrap();
        let p7m = transport.send(upload).await.unwrap();
        assert_eq!(p7m.status(), 200);
        finalize_token(&*store, "dep1", p7m.body(), false, now)
            .await
            .unwrap();
        let config = Config {
            base_url: Some(depsim.url.clone()),
            server_protocol_version: None,
        };
        store.store_config("dep1", &config).await.unwrap();
        let client = Client::new(transport, store);
        assert_eq!(
            client.account("dep1").await.unwrap().server_name.as_deref(),
            Some("depsim")
        );
        let page = client
            .fetch_devices("dep1", &FetchDeviceRequest::default())
            .await
            .unwrap();
        let serials: Vec<_> = page
            .devices
            .iter()
            .map(|d| d.serial_number.as_str())
            .collect();
        assert_eq!(serials, ["DEPSIM0000001", "DEPSIM0000002", "DEPSIM0000003"]);
    }
}
