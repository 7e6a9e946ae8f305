//! A run: enroll (or reload) the devices, enqueue, connect, summarise.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use mdm_examples::sim::{ApiTarget, Simulator, Target, load_state, run_concurrently, save_state};
use nanomdm::testing::device::{AnswerPolicy, Device};

use crate::args::RunArgs;

/// One simulated device and what happened to it.
struct Simulated {
    device: Device,
    /// Commands it answered over all connect loops.
    answered: u32,
    /// Why it stopped, if it failed (it then takes no further part).
    failure: Option<String>,
}

/// What the summary reports besides the devices.
struct Figures {
    enrolled: usize,
    enrollment: Duration,
    reconnected: usize,
    /// Why devices could not enroll (they are not in the device list).
    enrollment_failures: Vec<String>,
    connecting: Duration,
    /// Index of the first MDM request of the connect loops.
    first_connect_request: usize,
    rounds: u32,
}

/// Runs what `args` ask and prints the summary; `Err` is the one-line
/// reason to exit non-zero with.
pub(crate) async fn run(args: RunArgs) -> anyhow::Result<()> {
    let source = args.profile.as_deref().context("--profile is required")?;
    let target = Target::load(source).await?;
    let policy = AnswerPolicy {
        not_now_percent: args.not_now_percent,
        error_percent: args.error_percent,
    };
    let sim = Arc::new(Simulator::new(target, policy));
    let concurrency = usize::from(args.concurrency);
    let mut reloaded = match &args.state {
        Some(path) => load_state(path)?.unwrap_or_default(),
        None => Vec::new(),
    };
    let wanted = args.devices.unwrap_or(if reloaded.is_empty() {
        1
    } else {
        reloaded.len()
    });
    reloaded.truncate(wanted);
    let reconnected = reloaded.len();

    let started = Instant::now();
    let (enrolled, enrollment_failures) = enroll(&sim, wanted - reconnected, concurrency).await;
    let enrollment = started.elapsed();
    let mut devices: Vec<Simulated> = reloaded
        .into_iter()
        .chain(enrolled)
        .map(Simulated::new)
        .collect();
    save(&args, &devices)?;

    if let (Some(request_type), Some(url), Some(key)) = (&args.enqueue, &args.api, &args.api_key) {
        let api = ApiTarget {
            url: url.clone(),
            key: key.clone(),
        };
        devices = enqueue(&sim, devices, &api, request_type, concurrency).await;
    }
    let first_connect_request = sim.stats().requests();
    let started = Instant::now();
    for _ in 0..args.rounds {
        devices = connect(&sim, devices, concurrency).await;
    }
    let figures = Figures {
        enrolled: devices.len() - reconnected,
        enrollment,
        reconnected,
        enrollment_failures,
        connecting: started.elapsed(),
        first_connect_request,
        rounds: args.rounds,
    };
    save(&args, &devices)?;
    print_summary(&sim, &devices, &figures);
    verdict(&devices, &figures, args.expect_commands)
}

impl Simulated {
    fn new(device: Device) -> Self {
        Self {
            device,
            answered: 0,
            failure: None,
        }
    }
}

/// Enrolls `count` new devices: those enrolled, and why the others failed.
async fn enroll(
    sim: &Arc<Simulator>,
    count: usize,
    concurrency: usize,
) -> (Vec<Device>, Vec<String>) {
    let results = run_concurrently((0..count).collect(), concurrency, |_: usize| {
        let sim = Arc::clone(sim);
        async move {
            let key = sim.generate_key().await?;
            sim.enroll(key).await
        }
    })
    .await;
    let mut devices = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(device) => devices.push(device),
            Err(e) => failures.push(format!("enrollment: {e:#}")),
        }
    }
    (devices, failures)
}

/// Enqueues one `request_type` command per working device.
async fn enqueue(
    sim: &Arc<Simulator>,
    devices: Vec<Simulated>,
    api: &ApiTarget,
    request_type: &str,
    concurrency: usize,
) -> Vec<Simulated> {
    each_working(devices, concurrency, |device| {
        let (sim, api, request_type) = (Arc::clone(sim), api.clone(), request_type.to_owned());
        async move {
            let result = sim.enqueue(&api, &device.device.udid, &request_type).await;
            (device, result.map(|_| 0))
        }
    })
    .await
}

/// One connect loop per working device.
async fn connect(
    sim: &Arc<Simulator>,
    devices: Vec<Simulated>,
    concurrency: usize,
) -> Vec<Simulated> {
    each_working(devices, concurrency, |mut device| {
        let sim = Arc::clone(sim);
        async move {
            let result = sim.connect(&mut device.device).await;
            (device, result)
        }
    })
    .await
}

/// Runs `task` on every device that has not failed; a task's `Ok(n)` adds
/// `n` answered commands, its `Err` marks the device failed.
async fn each_working<F, Fut>(
    devices: Vec<Simulated>,
    concurrency: usize,
    task: F,
) -> Vec<Simulated>
where
    F: Fn(Simulated) -> Fut,
    Fut: Future<Output = (Simulated, anyhow::Result<u32>)> + Send + 'static,
{
    let (working, mut failed): (Vec<_>, Vec<_>) =
        devices.into_iter().partition(|d| d.failure.is_none());
    let results = run_concurrently(working, concurrency, |device| {
        let future = task(device);
        async move { Ok(future.await) }
    })
    .await;
    let mut devices = Vec::with_capacity(results.len() + failed.len());
    for result in results {
        // run_concurrently only fails for a panicked task, whose device is
        // gone with it.
        let Ok((mut device, outcome)) = result else {
            continue;
        };
        match outcome {
            Ok(answered) => device.answered += answered,
            Err(e) => device.failure = Some(format!("device {}: {e:#}", device.device.udid)),
        }
        devices.push(device);
    }
    devices.append(&mut failed);
    devices
}

fn save(args: &RunArgs, devices: &[Simulated]) -> anyhow::Result<()> {
    match &args.state {
        Some(path) => save_state(path, &devices.iter().map(|d| &d.device).collect::<Vec<_>>()),
        None => Ok(()),
    }
}

fn print_summary(sim: &Simulator, devices: &[Simulated], figures: &Figures) {
    let failed =
        figures.enrollment_failures.len() + devices.iter().filter(|d| d.failure.is_some()).count();
    println!(
        "devices: {} enrolled, {} reconnected, {failed} failed",
        figures.enrolled, figures.reconnected
    );
    println!(
        "enrollment: {} in {:.2} s, {:.1} enrollments/s",
        figures.enrolled,
        figures.enrollment.as_secs_f64(),
        per_second(figures.enrolled, figures.enrollment)
    );
    let requests = sim.stats().requests() - figures.first_connect_request;
    println!(
        "connect: {} rounds, {requests} requests in {:.2} s, {:.1} requests/s",
        figures.rounds,
        figures.connecting.as_secs_f64(),
        per_second(requests, figures.connecting)
    );
    match sim.stats().latency_since(0) {
        Some(latency) => println!(
            "latency: {latency} ({} MDM requests)",
            sim.stats().requests()
        ),
        None => println!("latency: no MDM requests"),
    }
    let (acknowledged, not_now, error) = sim.stats().answers();
    println!(
        "commands: {} answered: {acknowledged} Acknowledged, {not_now} NotNow, {error} Error",
        acknowledged + not_now + error
    );
    println!("failures: {failed}");
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `Err` with a one-line reason when a device failed or answered fewer
/// commands than expected.
fn verdict(
    devices: &[Simulated],
    figures: &Figures,
    expect_commands: Option<u32>,
) -> anyhow::Result<()> {
    let failures: Vec<&str> = figures
        .enrollment_failures
        .iter()
        .map(String::as_str)
        .chain(devices.iter().filter_map(|d| d.failure.as_deref()))
        .collect();
    let total = devices.len() + figures.enrollment_failures.len();
    if let Some(first) = failures.first() {
        bail!(
            "{} of {total} devices failed; first: {first}",
            failures.len()
        );
    }
    if let Some(expected) = expect_commands
        && let Some(short) = devices.iter().find(|d| d.answered < expected)
    {
        let count = devices.iter().filter(|d| d.answered < expected).count();
        bail!(
            "{count} of {total} devices answered fewer than {expected} commands; device {} answered {}",
            short.device.udid,
            short.answered
        );
    }
    Ok(())
}
