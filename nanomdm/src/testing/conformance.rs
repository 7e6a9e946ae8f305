//! One function per sentence of the storage contracts in
//! [`store`](crate::store), plus the storage-level steps of nanomdm's
//! end-to-end suite ([`enrollment_flow_counts_token_updates_escrows_the_bootstrap_token_and_re_enrollment_resets_both`],
//! [`queue_flow_serves_in_order_defers_not_now_until_idle_and_clears`]).
//! Each panics, with a message naming the broken sentence, when the store
//! breaks it.
//!
//! Every function expects a fresh, empty store. Channels that receive
//! commands or bootstrap tokens are enrolled first (Authenticate, then
//! TokenUpdate), as a device would, so that SQL stores with foreign keys
//! can pass. [`store_conformance!`](crate::store_conformance) runs them
//! all.

mod checkin;
mod flows;
mod queue;
mod registry;

use crate::protocol::command::Status;
use crate::protocol::enrollment::{Channel, EnrollmentId};
use crate::store::AllStorage;
use crate::testing::{authenticate, command, device_channel, report, token_update, user_channel};

pub use checkin::*;
pub use flows::*;
pub use queue::*;
pub use registry::*;

/// The device every test enrolls first.
const UDID: &str = "5E2B0C7A-93D4-5F61-8A0B-C1D2E3F40516";
/// A second device, to check that calls keep to their channel.
const OTHER_UDID: &str = "B7A41F02-6C3E-5D98-9E1A-2B3C4D5E6F70";
/// A user on [`UDID`].
const USER_ID: &str = "A1B2C3D4-E5F6-4789-ABCD-EF0123456789";

/// The device channel of [`UDID`].
fn device() -> Channel {
    device_channel(UDID)
}

/// The device channel of [`OTHER_UDID`].
fn other_device() -> Channel {
    device_channel(OTHER_UDID)
}

/// The user channel of [`USER_ID`] on [`UDID`].
fn user() -> Channel {
    user_channel(UDID, USER_ID)
}

/// An ID no test enrolls.
fn unknown() -> EnrollmentId {
    EnrollmentId::new("UNKNOWN-ENROLLMENT")
}

/// A push token that differs per channel and per `n`.
fn token(channel: &Channel, n: u8) -> Vec<u8> {
    let mut token = channel.id.as_str().as_bytes().to_vec();
    token.push(n);
    token
}

/// Stores a TokenUpdate of `channel` with push token `n`.
async fn update(store: &dyn AllStorage, channel: &Channel, n: u8) {
    let magic = format!("magic-{n}");
    let message = token_update(channel, &token(channel, n), &magic);
    store
        .store_token_update(channel, &message.message, &message.raw)
        .await
        .expect("store_token_update succeeds");
}

/// Enrolls `channel` as a device does: Authenticate (device channels
/// only), then TokenUpdate with push token 1.
async fn enroll(store: &dyn AllStorage, channel: &Channel) {
    if !channel.is_user_channel() {
        let message = authenticate(channel);
        store
            .store_authenticate(channel, &message.message, &message.raw, None)
            .await
            .expect("store_authenticate succeeds");
    }
    update(store, channel, 1).await;
}

/// Queues a DeviceInformation command `uuid` with `priority` to `channels`.
async fn enqueue(store: &dyn AllStorage, channels: &[&Channel], uuid: &str, priority: i8) {
    let ids: Vec<EnrollmentId> = channels.iter().map(|c| c.id.clone()).collect();
    store
        .enqueue_command(&ids, &command(uuid, "DeviceInformation", priority))
        .await
        .expect("enqueue_command succeeds");
}

/// Sends the report of `channel` answering `uuid` with `status`.
async fn answer(store: &dyn AllStorage, channel: &Channel, status: Status, uuid: &str) {
    store
        .store_command_report(channel, &report(channel, status, Some(uuid)))
        .await
        .expect("store_command_report succeeds");
}

/// The UUID of the next command for `channel`.
async fn next(store: &dyn AllStorage, channel: &Channel, skip_not_now: bool) -> Option<String> {
    store
        .next_command(channel, skip_not_now)
        .await
        .expect("next_command succeeds")
        .map(|c| c.command_uuid)
}

/// The UUIDs of `channel`'s queue, each with its NotNow mark.
async fn queued(store: &dyn AllStorage, channel: &Channel) -> Vec<(String, bool)> {
    store
        .queue(&channel.id)
        .await
        .expect("queue succeeds")
        .into_iter()
        .map(|item| (item.command.command_uuid, item.not_now))
        .collect()
}
