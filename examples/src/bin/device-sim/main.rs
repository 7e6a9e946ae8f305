//! `device-sim`: the network MDM device simulator. It enrolls simulated
//! Macs with an enrollment profile (SCEP, Authenticate, TokenUpdate),
//! optionally enqueues a command for each through the nanomdm API, runs
//! connect loops answering queued commands, and prints a summary.
//!
//! ```text
//! cargo run -p mdm-examples --bin device-sim -- profile --scep-url http://127.0.0.1:2016/scep \
//!     --challenge secret --server-url http://127.0.0.1:9000/mdm \
//!     --topic com.apple.mgmt.External.test --out enroll.mobileconfig
//! cargo run -p mdm-examples --bin device-sim -- --profile enroll.mobileconfig --devices 100 \
//!     --state devices.json --api http://127.0.0.1:9000 --api-key sekrit \
//!     --enqueue DeviceInformation --expect-commands 1
//! ```
//!
//! Exit status 0 when every device did everything asked, 1 with a
//! one-line reason otherwise, 2 on a usage error.

mod args;
mod profile;
mod run;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Tool};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Tool::Profile(args)) => profile::write(&args),
        None => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(run::run(cli.run))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
