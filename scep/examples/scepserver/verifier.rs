//! `--csrverifierexec`: micromdm's executable CSR verifier as a
//! [`CsrSigner`] decorator. Each CSR (DER) goes to the program's stdin,
//! with no arguments; exit status 0 hands the request on to the next
//! signer, anything else (another status, a signal, no exit within
//! [`TIMEOUT`], a program that cannot be started) refuses it with
//! badRequest "CSR verify failed", as upstream does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use scep::message::FailInfo;
use scep::signer::{Decision, SignRequest};
use scep::{BoxError, CsrSigner};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::log::Log;

/// How long the program may take for one CSR.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// The failInfoText of a refusal, upstream's error text.
pub(crate) const REFUSED: &str = "CSR verify failed";

/// Runs a program on each CSR before the next signer sees it.
#[derive(Debug)]
pub(crate) struct ExecutableCsrVerifier {
    program: PathBuf,
    log: Log,
    next: Arc<dyn CsrSigner>,
}

impl ExecutableCsrVerifier {
    /// Wraps `next`. As upstream, `program` must exist, not be a
    /// directory, and have an execute bit.
    pub(crate) fn new(program: &Path, log: Log, next: Arc<dyn CsrSigner>) -> Result<Self, String> {
        let what = format!("--csrverifierexec {}", program.display());
        let metadata = std::fs::metadata(program).map_err(|e| format!("{what}: {e}"))?;
        if metadata.is_dir() {
            return Err(format!("{what}: is a directory, not a program"));
        }
        if metadata.permissions().mode() & 0o111 == 0 {
            return Err(format!("{what}: is not executable"));
        }
        Ok(Self {
            program: program.to_owned(),
            log,
            next,
        })
    }

    /// Whether the program exits 0 on `csr`; `Err` says why not.
    async fn run(&self, csr: &[u8]) -> Result<(), String> {
        let mut child = Command::new(&self.program)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        let mut stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let csr = csr.to_vec();
        // Written alongside the wait: a program that exits without reading
        // must not block us (its broken pipe is not an error here).
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(&csr).await;
        });
        let output = tokio::time::timeout(TIMEOUT, child.wait_with_output()).await;
        writer.abort();
        let output = output
            .map_err(|_| format!("no exit within {} s, killed", TIMEOUT.as_secs()))?
            .map_err(|e| format!("cannot wait for the program: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        match said.lines().next().filter(|l| !l.is_empty()) {
            Some(line) => Err(format!("{}; stderr: {line}", output.status)),
            None => Err(output.status.to_string()),
        }
    }
}

#[async_trait]
impl CsrSigner for ExecutableCsrVerifier {
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError> {
        if let Err(reason) = self.run(request.csr.to_der()).await {
            let fields = [
                ("component", "csrverifier".to_owned()),
                ("transaction_id", request.transaction_id.to_owned()),
                ("msg", REFUSED.to_owned()),
                ("err", reason),
            ];
            self.log.info(&fields);
            return Ok(Decision::refused(FailInfo::BadRequest, REFUSED));
        }
        self.log.debug(&[
            ("component", "csrverifier".to_owned()),
            ("transaction_id", request.transaction_id.to_owned()),
            ("msg", "CSR verified".to_owned()),
        ]);
        self.next.sign(request).await
    }

    async fn poll(&self, transaction_id: &str, now: SystemTime) -> Result<Decision, BoxError> {
        self.next.poll(transaction_id, now).await
    }
}
