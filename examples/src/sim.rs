//! The network device simulator behind `device-sim` and `nanomdm-bench`:
//! simulated Macs ([`nanomdm::testing::device::Device`]) that enroll over
//! HTTP (SCEP with the `scep` client, then Authenticate and TokenUpdate),
//! run connect loops answering queued commands, and keep their state in a
//! file so a later run reconnects the same devices.
//!
//! Start with [`Target::load`] (what the enrollment profile says), then
//! [`Simulator`] (one per run, shared by every device); [`run_concurrently`]
//! drives many devices at once and [`Stats`] collects the figures.

mod concurrency;
mod enroll;
mod identity;
mod mdm;
mod state;
mod stats;
mod target;

pub use concurrency::run_concurrently;
pub use identity::substitute;
pub use mdm::{ApiTarget, Simulator};
pub use state::{load_state, save_state};
pub use stats::{Latency, Stats};
pub use target::Target;
