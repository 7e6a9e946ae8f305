//! Programs under test as child processes: finding another package's
//! binaries and examples beside the test binary, and running a server
//! until the line where it says it listens.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server gets to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// `target/<profile>/`, from this test binary's path
/// (`target/<profile>/deps/<test>-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} has no profile directory", exe.display()))
        .to_owned()
}

/// Another package's binary `name` (e.g. `device-sim`), as cargo built it
/// for this profile. Binaries of other packages get no `CARGO_BIN_EXE_`
/// variable: `./test.sh` builds them with `cargo build --workspace --bins`.
pub fn binary(name: &str) -> PathBuf {
    let path = profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{name} is not built at {}: run ./test.sh, or `cargo build --workspace --bins \
         --examples` before running the tests another way",
        path.display()
    );
    path
}

/// Another package's example `name`; see [`binary`].
pub fn example(name: &str) -> PathBuf {
    let path = profile_dir()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the {name} example is not built at {}: run ./test.sh, or `cargo build --workspace \
         --bins --examples` before running the tests another way",
        path.display()
    );
    path
}

/// A child server, killed on drop, with what followed the marker on the
/// line it printed when ready (usually its URL).
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// The rest of the marker line, trimmed.
    pub announced: String,
}

impl Running {
    /// Starts `command` with piped standard output and waits (at most two
    /// minutes) for the line containing `marker`. Standard output keeps
    /// being drained afterwards so that the child never blocks on it.
    ///
    /// # Panics
    ///
    /// When the child cannot start, exits or stays silent before the line.
    pub fn start(mut command: Command, marker: &str) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (found, wait) = mpsc::channel();
        let wanted = marker.to_owned();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(at) = line.find(&wanted) {
                    let _ = found.send(line[at + wanted.len()..].trim().to_owned());
                    break;
                }
            }
            lines.for_each(drop);
        });
        match wait.recv_timeout(START_TIMEOUT) {
            Ok(announced) => Self { child, announced },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("{command:?} did not print {marker:?} (exit: {status:?})");
            }
        }
    }

    /// The child's process ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the child at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the child to stop (SIGTERM) and waits for it, returning whether
    /// it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().is_ok_and(|status| status.success())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh, empty directory for one test, named after it and this test
/// process (so parallel test binaries never share one).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fleet-mdm-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}

/// Fails the test, never skips it, when a peer program is not on `PATH`;
/// `./test.sh` installs the Debian `package` that has it.
pub fn require(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{program} not found on PATH: run ./test.sh, which installs it (Debian package {package})"
    );
}

/// Asserts that `openssl verify -CAfile ca cert` succeeds.
pub fn assert_issued_by(ca: &Path, cert: &Path) {
    require("openssl", "openssl");
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(ca)
        .arg(cert)
        .output()
        .expect("openssl runs");
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
