//! The syncer and the assigner, one step per call: the embedding server
//! owns timers, locks and retries. Ported from Go `sync.Syncer` and
//! `sync.Assigner`, with the upstream defects fixed (see each type).

mod assigner;
mod syncer;

pub use self::assigner::{AssignReport, Assigner, AssignerStore, DEFAULT_THROTTLE};
pub use self::syncer::{DeviceCallback, Phase, StopReason, SyncReport, Syncer};
