//! nanomdm's example server as a child process, and the CPU time it uses.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The `nanomdm` example beside this program: `target/release/nanomdm-bench`
/// → `target/release/examples/nanomdm`.
pub(crate) fn default_path() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program")?;
    let dir = exe.parent().context("this program has no directory")?;
    Ok(dir.join("examples").join("nanomdm"))
}

/// A running server, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

impl Server {
    /// Starts `program` on a free loopback port over `storage` (`memory`,
    /// or `file` in `db`), trusting `ca`, with the API under `api_key`.
    pub(crate) fn start(
        program: &Path,
        storage: &str,
        ca: &Path,
        db: &Path,
        api_key: &str,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(program)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--storage",
                storage,
                "--api",
                api_key,
            ])
            .arg("--ca")
            .arg(ca)
            .arg("--storage-dsn")
            .arg(db)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it: cargo build --release -p nanomdm --example nanomdm)",
                    program.display()
                )
            })?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                bail!("{} exited before listening", program.display());
            };
            let line = line.context("reading the server's output")?;
            if let Some(url) = line.strip_prefix("nanomdm listening on ") {
                break url.trim().to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child, url })
    }

    /// CPU time (user + system) the server has used so far.
    pub(crate) fn cpu(&self) -> anyhow::Result<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) this process has used so far.
pub(crate) fn own_cpu() -> anyhow::Result<Duration> {
    cpu_of("/proc/self/stat")
}

/// utime + stime of a `/proc/<pid>/stat` file (Linux).
fn cpu_of(stat: &str) -> anyhow::Result<Duration> {
    let text = std::fs::read_to_string(stat).with_context(|| format!("reading {stat}"))?;
    // Fields after the parenthesised command name, which may hold spaces.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("{stat}: no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file; the first here is field 3.
    let ticks = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("{stat}: field {}", i + 3))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / clock_ticks()))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when unknown).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}
