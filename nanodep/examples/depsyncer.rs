//! The syncer and assigner against the DEP simulator, in one process: the
//! whole DEP flow a server runs, without Apple.
//!
//! ```text
//! cargo run -p nanodep --example depsyncer -- [--devices N] [--store DIR]
//! ```
//!
//! Generates the token key pair, "uploads" the certificate to the
//! simulator and decrypts the token file it returns, defines an enrollment
//! profile and makes it the assigner's, then runs two sync steps (devices
//! change in between) and prints every page and assignment. With
//! `--store DIR` state goes to a file store (run it twice: the second run
//! continues from the stored cursor, though the fresh simulator then
//! answers `INVALID_CURSOR` and the syncer starts a full fetch).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use nanodep::api::{Device, DeviceListResponse, Profile};
use nanodep::store::Config;
use nanodep::sync::{DeviceCallback, Phase};
use nanodep::testing::depsim::DepSim;
use nanodep::token_pki::{finalize_token, stage_key_pair};
use nanodep::{Assigner, BoxError, Client, FileStore, MemoryStore, Store, Syncer};

const NAME: &str = "depsim";

/// Prints each page and assigns the profile to new devices.
struct Printer {
    assigner: Assigner,
}

#[async_trait]
impl DeviceCallback for Printer {
    async fn devices(
        &self,
        name: &str,
        phase: Phase,
        page: &DeviceListResponse,
    ) -> Result<(), BoxError> {
        println!("{name}: {phase:?} page, {} devices", page.devices.len());
        for device in &page.devices {
            let op = device.op_type.as_deref().unwrap_or("listed");
            println!("  {op} {}", device.serial_number);
        }
        let report = self.assigner.assign(page, SystemTime::now()).await?;
        for (status, count) in &report.statuses {
            println!("  assigned: {count} {status}");
        }
        Ok(())
    }
}

fn device(serial: String) -> Device {
    Device {
        serial_number: serial,
        model: Some("MacBook Pro".into()),
        device_family: Some("Mac".into()),
        ..Device::default()
    }
}

async fn run(devices: usize, store: Arc<dyn Store>) -> Result<(), BoxError> {
    let sim = Arc::new(DepSim::new());
    (1..=devices).for_each(|n| sim.add_device(device(format!("DEPSIM{n:07}"))));
    let now = SystemTime::now();

    // The token exchange: our certificate to "Apple", its token file back.
    let pair = stage_key_pair(&*store, NAME, "depsyncer", 1, now).await?;
    let p7m = sim.token_file(&pair.certificate_pem)?;
    let tokens = finalize_token(&*store, NAME, &p7m, true, now).await?;
    println!("token for consumer key {}", tokens.consumer_key);
    let config = Config {
        base_url: Some("http://depsim.invalid/".into()),
        server_protocol_version: None,
    };
    store.store_config(NAME, &config).await?;

    let client = Arc::new(Client::new(sim.clone(), store.clone()));
    let profile = Profile {
        profile_name: "depsyncer example".into(),
        url: Some("https://mdm.invalid/mdm/apple/enroll".into()),
        ..Profile::default()
    };
    let uuid = client.define_profile(NAME, &profile).await?.profile_uuid;
    let uuid = uuid.ok_or("no profile UUID in the answer")?;
    store.store_assigner_profile(NAME, &uuid, now).await?;
    println!("profile {uuid}");

    let syncer = Syncer::new(client.clone(), store.clone(), NAME);
    let printer = Printer {
        assigner: Assigner::new(client, store.clone(), NAME),
    };
    let report = syncer.sync_once(&printer, SystemTime::now()).await?;
    println!("step 1: {report:?}");
    sim.add_device(device("NEW0000001".into()));
    sim.add_device(device("NEW0000002".into()));
    sim.delete_device("DEPSIM0000001");
    let report = syncer.sync_once(&printer, SystemTime::now()).await?;
    println!("step 2: {report:?}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut devices = 3;
    let mut store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let parsed = match (arg.as_str(), args.next()) {
            ("--devices", Some(n)) => n
                .parse()
                .map(|n| devices = n)
                .map_err(|_| "bad --devices".into()),
            ("--store", Some(dir)) => FileStore::open(dir)
                .map(|s| store = Arc::new(s))
                .map_err(|e| format!("--store {dir}: {e}")),
            _ => Err(format!(
                "usage: depsyncer [--devices N] [--store DIR] (at {arg})"
            )),
        };
        if let Err(message) = parsed {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(devices, store)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
