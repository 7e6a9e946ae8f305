//! The simulator: the HTTP client every device shares, MDM check-ins,
//! connect loops answering commands, and commands enqueued through the
//! nanomdm API.

use std::time::Instant;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use bytes::Bytes;
use cryptoutil::cert::Certificate;
use nanomdm::protocol::command::Command;
use nanomdm::testing::device::{AnswerPolicy, Device};
use plist::{Dictionary, Value};
use scep::client::Transport as _;
use tokio::sync::OnceCell;

use super::{Stats, Target};
use crate::HyperTransport;

/// Commands answered in one connect loop before the simulator gives up on
/// the server ever answering with an empty body.
const MAX_COMMANDS_PER_CONNECT: u32 = 1000;

/// The nanomdm-compatible API to enqueue commands through.
#[derive(Debug, Clone)]
pub struct ApiTarget {
    /// The server's base URL, e.g. `http://127.0.0.1:9000` (the simulator
    /// appends `/v1/enqueue/…`).
    pub url: String,
    /// The API key (HTTP Basic password of user `nanomdm`).
    pub key: String,
}

/// What every simulated device of a run shares: the HTTP clients, the
/// enrollment target, the answer policy and the counters.
#[derive(Debug)]
pub struct Simulator {
    pub(crate) target: Target,
    pub(crate) policy: AnswerPolicy,
    pub(crate) stats: Stats,
    http: HyperTransport,
    pub(crate) scep: scep::client::Client<HyperTransport>,
    pub(crate) ca: OnceCell<Vec<Certificate>>,
}

impl Simulator {
    /// A simulator for `target` answering commands by `policy`.
    pub fn new(target: Target, policy: AnswerPolicy) -> Self {
        let scep = scep::client::Client::new(HyperTransport::new(), target.scep_url.clone());
        Self {
            target,
            policy,
            stats: Stats::default(),
            http: HyperTransport::new(),
            scep,
            ca: OnceCell::new(),
        }
    }

    /// The enrollment target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The counters of the run so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Sends check-in `message` (signed) to the check-in URL; anything but
    /// 200 is an error.
    ///
    /// # Errors
    ///
    /// On a network failure or a status other than 200.
    pub async fn check_in(&self, device: &Device, message: &Dictionary) -> anyhow::Result<()> {
        let message_type = message
            .get("MessageType")
            .and_then(Value::as_string)
            .unwrap_or("check-in")
            .to_owned();
        let request = device.checkin_request(&self.target.check_in_url, message)?;
        self.send_mdm(request, &message_type).await?;
        Ok(())
    }

    /// One connect loop: Idle, then an answer to each command the server
    /// returns, until it returns an empty body. Returns the number of
    /// commands answered.
    ///
    /// # Errors
    ///
    /// On a network failure, a status other than 200, a command the device
    /// cannot read, or a server that never stops sending commands.
    pub async fn connect(&self, device: &mut Device) -> anyhow::Result<u32> {
        let mut report = device.idle();
        let mut answered = 0;
        loop {
            let status = report
                .get("Status")
                .and_then(Value::as_string)
                .unwrap_or("Idle")
                .to_owned();
            let request = device.report_request(&self.target.server_url, &report)?;
            let command = self.send_mdm(request, &status).await?;
            if status != "Idle" {
                self.stats.record_answer(&status);
                answered += 1;
            }
            if command.is_empty() {
                return Ok(answered);
            }
            if answered >= MAX_COMMANDS_PER_CONNECT {
                bail!(
                    "the server sent more than {MAX_COMMANDS_PER_CONNECT} commands in one connect"
                );
            }
            report = device
                .answer(&command, &self.policy)
                .context("answering a command")?;
        }
    }

    /// Enqueues one new command of `request_type` (no other fields) for
    /// `udid` through `api`, without a push. Returns its CommandUUID.
    ///
    /// # Errors
    ///
    /// On a network failure or a status other than 200.
    pub async fn enqueue(
        &self,
        api: &ApiTarget,
        udid: &str,
        request_type: &str,
    ) -> anyhow::Result<String> {
        let command = Command::new(request_type, Dictionary::new());
        let body = command.to_plist_xml().context("encoding the command")?;
        let url = format!(
            "{}/v1/enqueue/{udid}?nopush=1",
            api.url.trim_end_matches('/')
        );
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            nanomdm::http::api::API_USER,
            api.key
        ));
        let request = http::Request::put(&url)
            .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
            .header(http::header::CONTENT_TYPE, "application/x-apple-aspen-mdm")
            .body(Bytes::from(body))
            .with_context(|| format!("API URL {url:?}"))?;
        let response = self.send(request).await.context("enqueueing")?;
        if response.status() != http::StatusCode::OK {
            bail!(
                "enqueueing {request_type} for {udid}: HTTP {}: {}",
                response.status(),
                first_line(response.body())
            );
        }
        Ok(command.command_uuid().to_owned())
    }

    /// Sends an MDM request, recording its latency; its body on 200.
    async fn send_mdm(&self, request: http::Request<Bytes>, what: &str) -> anyhow::Result<Bytes> {
        let url = request.uri().to_string();
        let started = Instant::now();
        let response = self
            .send(request)
            .await
            .with_context(|| format!("{what} to {url}"))?;
        self.stats.record_request(started.elapsed());
        if response.status() != http::StatusCode::OK {
            bail!(
                "{what} to {url}: HTTP {}: {}",
                response.status(),
                first_line(response.body())
            );
        }
        Ok(response.into_body())
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> anyhow::Result<http::Response<Bytes>> {
        self.http
            .send(request)
            .await
            .map_err(|e| anyhow::anyhow!("{}", chain(e.as_ref())))
    }
}

/// `error: cause: cause`, on one line (hyper's errors say little at the top).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// The first line of a response body, for error messages.
fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        "(empty body)".to_owned()
    } else {
        line.chars().take(200).collect()
    }
}
