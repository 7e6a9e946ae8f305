//! The `munkiserver` example as a child process, spoken to over real TCP
//! with a minimal HTTP/1.1 client, so what hyper puts on the wire (status
//! lines, headers, streamed bodies, HEAD without a body) is what is checked.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use munki::http::Credentials;

use crate::support::{SERIAL, build_repo};

/// A package of several megabytes, many streaming chunks long, with a space
/// in its name so the request path is percent-encoded.
const BIG: &str = "big/Big Tool 2.0.pkg";
const BIG_URL: &str = "/pkgs/big/Big%20Tool%202.0.pkg";
const BIG_LEN: usize = 3 * 1024 * 1024 + 12_345;
/// Where the first ranged request stops: inside a chunk, not on its edge.
const SPLIT: usize = 1_234_567;
const USER: &str = "munki";
const PASS: &str = "s3cret";

/// Bounds on waiting for the server, so a broken one fails the test with a
/// message instead of hanging it. Generous: they time nothing.
const STARTUP: Duration = Duration::from_secs(60);
const IO: Duration = Duration::from_secs(60);

/// This package's example `name`, as cargo built it beside this test
/// binary: `target/<profile>/deps/integration-…` → `target/<profile>/
/// examples/<name>`. Examples get no `CARGO_BIN_EXE_` variable and
/// `cargo nextest` builds none: `./test.sh` runs `cargo build --workspace
/// --examples` first.
fn example(name: &str) -> PathBuf {
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
        "the {name} example is not built at {}: run ./test.sh, or `cargo build -p munki \
         --examples` before running the tests another way",
        path.display()
    );
    path
}

/// A running `munkiserver`, killed when dropped (also when a test panics).
struct Munkiserver {
    child: Child,
    addr: SocketAddr,
}

impl Munkiserver {
    /// Starts it on `127.0.0.1:0` and learns the bound address from the
    /// line it prints once listening.
    fn start(repo: &Path, basic_auth: &str) -> Self {
        let mut child = Command::new(example("munkiserver"))
            .arg("--repo")
            .arg(repo)
            .args(["--listen", "127.0.0.1:0", "--basic-auth", basic_auth])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Held by `server` from here, so an early panic still kills it.
        let mut server = Self {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(STARTUP)
            .unwrap_or_else(|_| panic!("munkiserver printed no address within {STARTUP:?}"));
        let addr = line
            .trim_end()
            .rsplit_once("http://")
            .and_then(|(_, addr)| addr.parse().ok())
            .unwrap_or_else(|| {
                let status = server.child.try_wait().ok().flatten();
                panic!("munkiserver did not print its address (exit status {status:?}): {line:?}")
            });
        server.addr = addr;
        server
    }

    /// Sends one request (`Connection: close`) and reads the whole answer.
    fn send(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Got {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(IO)).unwrap();
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("{method} {target}: reading the answer: {e}"));
        Got::parse(method, &raw)
    }

    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Got {
        self.send("GET", target, headers)
    }
}

impl Drop for Munkiserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 response as it came off the wire.
#[derive(Debug)]
struct Got {
    status: u16,
    /// Lowercase names; each name once (the server repeats none).
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Got {
    fn parse(method: &str, raw: &[u8]) -> Self {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..end]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = HashMap::new();
        for line in lines {
            let (name, value) = line.split_once(':').unwrap();
            let old = headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
            assert!(old.is_none(), "{name} repeated");
        }
        let mut body = raw[end + 4..].to_vec();
        if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
            body = dechunk(&body);
        } else if method != "HEAD" && status != 304 {
            // Reading to EOF must give exactly the declared length.
            let length = headers.get("content-length").expect("a content-length");
            assert_eq!(body.len().to_string(), *length, "{method}: body length");
        }
        Self {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }
}

/// Decodes a `Transfer-Encoding: chunked` body (no trailers expected).
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
}

/// Deterministic, non-repeating content for [`BIG`].
fn big_bytes() -> Vec<u8> {
    (0..BIG_LEN).map(|i| (i * 13 + i / 509) as u8).collect()
}

/// The repository of `support`, plus [`BIG`]: served though no pkginfo
/// names it, as `pkgs/` is served as files.
fn repo_with_big_package(root: &Path) {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(build_repo(root));
    let path = root.join("pkgs").join(BIG);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, big_bytes()).unwrap();
}

fn basic() -> String {
    Credentials::Basic {
        user: USER.into(),
        password: PASS.into(),
    }
    .header_value()
    .unwrap()
}

#[test]
fn manifests_and_catalogs_are_served_only_with_the_right_basic_credentials() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_big_package(dir.path());
    let server = Munkiserver::start(dir.path(), &format!("{USER}:{PASS}"));
    let auth = basic();

    let manifest = server.get(&format!("/manifests/{SERIAL}"), &[("Authorization", &auth)]);
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("content-type"), "application/xml");
    let parsed = munki::Manifest::from_bytes(&manifest.body).unwrap();
    assert_eq!(parsed.included_manifests, Some(vec!["groups/base".into()]));

    let denied = server.get(&format!("/manifests/{SERIAL}"), &[]);
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("www-authenticate"), "Basic realm=\"Munki\"");
    assert!(denied.body.is_empty());
    let wrong = Credentials::Basic {
        user: USER.into(),
        password: "guess".into(),
    }
    .header_value()
    .unwrap();
    let denied = server.get(
        &format!("/manifests/{SERIAL}"),
        &[("Authorization", &wrong)],
    );
    assert_eq!(denied.status, 401);

    let all = server.get("/catalogs/all", &[("Authorization", &auth)]);
    assert_eq!(all.status, 200);
    let catalog = munki::Catalog::from_bytes(&all.body).unwrap();
    assert_eq!(catalog.items_named("Tool").count(), 1);
}

#[test]
fn a_package_downloads_in_two_ranges_revalidates_and_heads_without_a_body() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_big_package(dir.path());
    let server = Munkiserver::start(dir.path(), &format!("{USER}:{PASS}"));
    let auth = basic();
    let auth = ("Authorization", auth.as_str());

    let first = server.get(BIG_URL, &[auth, ("Range", &format!("bytes=0-{SPLIT}"))]);
    assert_eq!(first.status, 206);
    assert_eq!(
        first.header("content-range"),
        format!("bytes 0-{SPLIT}/{BIG_LEN}")
    );
    assert_eq!(first.body.len(), SPLIT + 1);
    let rest = server.get(
        BIG_URL,
        &[auth, ("Range", &format!("bytes={}-", SPLIT + 1))],
    );
    assert_eq!(rest.status, 206);
    assert_eq!(
        rest.header("content-range"),
        format!("bytes {}-{}/{BIG_LEN}", SPLIT + 1, BIG_LEN - 1)
    );
    let etag = first.header("etag");
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    assert_eq!(rest.header("etag"), etag);
    let mut whole = first.body.clone();
    whole.extend_from_slice(&rest.body);
    assert!(whole == big_bytes(), "the two ranges differ from the file");

    let again = server.get(BIG_URL, &[auth, ("If-None-Match", etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);

    let head = server.send("HEAD", BIG_URL, &[auth]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), BIG_LEN.to_string());
    assert_eq!(head.header("etag"), etag);
    assert!(head.body.is_empty(), "HEAD sent {} bytes", head.body.len());
}

#[test]
fn traversal_out_of_pkgs_is_not_found_raw_or_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_big_package(dir.path());
    let server = Munkiserver::start(dir.path(), &format!("{USER}:{PASS}"));
    let auth = basic();
    for target in [
        "/pkgs/../../etc/passwd",
        "/pkgs/%2e%2e/%2e%2e/etc/passwd",
        "/pkgs/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "/pkgs/big/..%2f..%2fmanifests/site_default",
    ] {
        let got = server.get(target, &[("Authorization", &auth)]);
        assert_eq!(got.status, 404, "{target}");
        assert!(got.body.is_empty(), "{target}");
    }
}
