//! The command line (clap derive types only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A network MDM device simulator: enrolls simulated Macs with an
/// enrollment profile (SCEP, Authenticate, TokenUpdate), then runs connect
/// loops that answer queued commands, and prints enrollments/s, requests/s
/// and latency percentiles.
///
/// Every check-in and command report is signed (Mdm-Signature) with the
/// device's SCEP identity, even when the profile's SignMessage is false:
/// without TLS client certificates, the signature is how a server behind
/// plain HTTP (such as nanomdm's example) knows the device. Plain HTTP only.
#[derive(Debug, Parser)]
#[command(
    name = "device-sim",
    version,
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Tool>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// Other things device-sim does.
#[derive(Debug, Subcommand)]
pub(crate) enum Tool {
    /// Write an enrollment profile for tests (http URLs allowed,
    /// SignMessage true, Subject O=device-sim, CN=%HardwareUUID%).
    Profile(ProfileArgs),
}

/// Enroll and connect simulated devices.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The enrollment profile: a file (signed or not) or an http:// URL.
    #[arg(long, required = true)]
    pub(crate) profile: Option<String>,
    /// How many devices; with --state, those in the file are reused first
    /// and only the rest are enrolled. Default: every device in the state
    /// file, or 1.
    #[arg(long)]
    pub(crate) devices: Option<usize>,
    /// Devices enrolling or connecting at the same time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// JSON file of every device's identity and state (private keys
    /// included, written with mode 0600): read at start when it exists,
    /// written after enrollment and at the end.
    #[arg(long)]
    pub(crate) state: Option<PathBuf>,
    /// Percentage of commands answered NotNow.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) not_now_percent: u8,
    /// Percentage of commands answered Error.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) error_percent: u8,
    /// Connect loops per device (Idle, then answer commands until the
    /// server returns an empty body); 0 only enrolls.
    #[arg(long, default_value_t = 1)]
    pub(crate) rounds: u32,
    /// Base URL of the nanomdm API (e.g. http://127.0.0.1:9000), for
    /// --enqueue.
    #[arg(long, requires = "enqueue")]
    pub(crate) api: Option<String>,
    /// The API key (HTTP Basic password of user nanomdm).
    #[arg(long, env = "NANOMDM_API", requires = "api")]
    pub(crate) api_key: Option<String>,
    /// Before the connect loops, enqueue one command of this RequestType
    /// (e.g. DeviceInformation) per device through the API, without push.
    #[arg(long, requires_all = ["api", "api_key"])]
    pub(crate) enqueue: Option<String>,
    /// Fail unless every device answered at least this many commands.
    #[arg(long)]
    pub(crate) expect_commands: Option<u32>,
}

/// Settings of the test enrollment profile.
#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    /// The SCEP server URL.
    #[arg(long)]
    pub(crate) scep_url: String,
    /// The SCEP challenge password.
    #[arg(long)]
    pub(crate) challenge: Option<String>,
    /// The MDM ServerURL (check-ins go there too without --check-in-url).
    #[arg(long)]
    pub(crate) server_url: String,
    /// The MDM CheckInURL.
    #[arg(long)]
    pub(crate) check_in_url: Option<String>,
    /// The push topic, com.apple.mgmt.…
    #[arg(long)]
    pub(crate) topic: String,
    /// Where to write the profile (unsigned XML).
    #[arg(long)]
    pub(crate) out: PathBuf,
}
