//! The measured phases: each sends one kind of traffic for every device,
//! and records operations per second, latency and CPU time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use mdm_examples::sim::{ApiTarget, Latency, Simulator, run_concurrently};
use nanomdm::testing::device::Device;

use crate::server::{Server, own_cpu};

/// What one phase measured.
pub(crate) struct Measurement {
    pub(crate) name: &'static str,
    /// Operations completed (each of `requests_per_op` requests).
    pub(crate) ops: usize,
    pub(crate) elapsed: Duration,
    /// Latencies of its MDM requests (API calls are not recorded).
    pub(crate) latencies: Vec<Duration>,
    pub(crate) server_cpu: Duration,
    pub(crate) client_cpu: Duration,
}

impl Measurement {
    pub(crate) fn latency(&self) -> Option<Latency> {
        Latency::of(&mut self.latencies.clone())
    }

    pub(crate) fn ops_per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Server CPU time per operation, in microseconds.
    pub(crate) fn server_us_per_op(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }

    /// This program's CPU time per operation, in microseconds.
    pub(crate) fn client_us_per_op(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }
}

/// The store under measurement: its server, and the simulator talking to
/// it.
pub(crate) struct Bench<'a> {
    pub(crate) sim: Arc<Simulator>,
    pub(crate) server: &'a Server,
    pub(crate) api: ApiTarget,
    pub(crate) concurrency: usize,
}

impl Bench<'_> {
    /// The phases of one store: Authenticate + TokenUpdate per device, then
    /// `rounds` times each: a TokenUpdate per device; a DeviceInformation
    /// enqueued per device through the API, then a connect loop answering
    /// it (Idle, Acknowledged); a connect loop with nothing queued (Idle).
    pub(crate) async fn measure(
        &self,
        devices: Vec<Device>,
        rounds: usize,
    ) -> anyhow::Result<Vec<Measurement>> {
        let enroll = |sim: Arc<Simulator>, device: Device| async move {
            sim.check_in(&device, &device.authenticate()).await?;
            sim.check_in(&device, &device.token_update()).await?;
            Ok((device, 1))
        };
        let (enrolled, devices) = self
            .phase("Authenticate + TokenUpdate", devices, 1, enroll)
            .await?;
        let token_update = |sim: Arc<Simulator>, device: Device| async move {
            sim.check_in(&device, &device.token_update()).await?;
            Ok((device, 1))
        };
        let (token_updates, devices) = self
            .phase("TokenUpdate check-in", devices, rounds, token_update)
            .await?;
        let (enqueued, answered, devices) = self.commands(devices, rounds).await?;
        let (idle, _) = self
            .phase("empty connect (Idle only)", devices, rounds, connect::<0>)
            .await?;
        Ok(vec![enrolled, token_updates, enqueued, answered, idle])
    }

    /// `rounds` times: enqueue a DeviceInformation per device, then answer
    /// it, as a server's commands and a fleet's connects alternate. Each
    /// measurement adds up over the rounds.
    async fn commands(
        &self,
        mut devices: Vec<Device>,
        rounds: usize,
    ) -> anyhow::Result<(Measurement, Measurement, Vec<Device>)> {
        let mut enqueue = Vec::new();
        let mut answer = Vec::new();
        for _ in 0..rounds {
            let api = self.api.clone();
            let task = move |sim: Arc<Simulator>, device: Device| {
                let api = api.clone();
                async move {
                    sim.enqueue(&api, &device.udid, "DeviceInformation").await?;
                    Ok((device, 1))
                }
            };
            let (measurement, back) = self
                .phase("enqueue via API (nopush)", devices, 1, task)
                .await?;
            enqueue.push(measurement);
            let (measurement, back) = self
                .phase(
                    "command round trip (Idle, Acknowledged)",
                    back,
                    1,
                    connect::<1>,
                )
                .await?;
            answer.push(measurement);
            devices = back;
        }
        Ok((sum(enqueue), sum(answer), devices))
    }

    /// Runs `task` on every device `repeat` times (each device's runs in
    /// sequence, devices concurrently) and measures it; returns the
    /// devices.
    async fn phase<F, Fut>(
        &self,
        name: &'static str,
        devices: Vec<Device>,
        repeat: usize,
        task: F,
    ) -> anyhow::Result<(Measurement, Vec<Device>)>
    where
        F: Fn(Arc<Simulator>, Device) -> Fut + Send + Sync + 'static + Clone,
        Fut: Future<Output = anyhow::Result<(Device, usize)>> + Send + 'static,
    {
        let sim = &self.sim;
        let from = sim.stats().requests();
        let (server_before, client_before) = (self.server.cpu()?, own_cpu()?);
        let started = Instant::now();
        let outputs = run_concurrently(devices, self.concurrency, |mut device| {
            let (sim, task) = (Arc::clone(sim), task.clone());
            async move {
                let mut ops = 0;
                for _ in 0..repeat {
                    let (back, done) = task(Arc::clone(&sim), device).await?;
                    device = back;
                    ops += done;
                }
                Ok((device, ops))
            }
        })
        .await;
        let elapsed = started.elapsed();
        let server_cpu = self.server.cpu()? - server_before;
        let client_cpu = own_cpu()? - client_before;
        let mut devices = Vec::with_capacity(outputs.len());
        let mut ops = 0;
        for output in outputs {
            let (device, done) = output.with_context(|| format!("phase {name:?}"))?;
            devices.push(device);
            ops += done;
        }
        let measurement = Measurement {
            name,
            ops,
            elapsed,
            latencies: sim.stats().latencies_since(from),
            server_cpu,
            client_cpu,
        };
        Ok((measurement, devices))
    }
}

/// One connect loop that must answer exactly `N` commands.
async fn connect<const N: u32>(
    sim: Arc<Simulator>,
    mut device: Device,
) -> anyhow::Result<(Device, usize)> {
    match sim.connect(&mut device).await? {
        n if n == N => Ok((device, 1)),
        n => bail!("device {} answered {n} commands, expected {N}", device.udid),
    }
}

/// One measurement of several runs of the same phase.
fn sum(parts: Vec<Measurement>) -> Measurement {
    let mut parts = parts.into_iter();
    let Some(mut total) = parts.next() else {
        return Measurement {
            name: "(no rounds)",
            ops: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            server_cpu: Duration::ZERO,
            client_cpu: Duration::ZERO,
        };
    };
    for part in parts {
        total.ops += part.ops;
        total.elapsed += part.elapsed;
        total.server_cpu += part.server_cpu;
        total.client_cpu += part.client_cpu;
        total.latencies.extend(part.latencies);
    }
    total
}
