//! The storage-level steps of nanomdm's end-to-end suite (`test/e2e`),
//! driven the way the core service drives a store, and a check of
//! persistence for stores that outlive the process.

use std::future::Future;
use std::sync::Arc;

use super::{answer, device, enqueue, next, queued, update, user};
use crate::protocol::command::Status;
use crate::protocol::enrollment::Channel;
use crate::store::AllStorage;
use crate::testing::{TEST_TOPIC, authenticate, report};

/// Authenticate as the core service handles it: store it, clear the
/// queue, disable the enrollment.
async fn authenticate_like_the_service(store: &dyn AllStorage, channel: &Channel) {
    let message = authenticate(channel);
    store
        .store_authenticate(channel, &message.message, &message.raw, None)
        .await
        .expect("store_authenticate succeeds");
    store
        .clear_queue(channel)
        .await
        .expect("clear_queue succeeds");
    store.disable(channel).await.expect("disable succeeds");
}

/// A command report as the core service handles it: store it, then
/// fetch the next command, skipping NotNow'd ones after a NotNow.
async fn connect(
    store: &dyn AllStorage,
    channel: &Channel,
    status: Status,
    uuid: Option<&str>,
) -> Option<String> {
    store
        .store_command_report(channel, &report(channel, status, uuid))
        .await
        .expect("store_command_report succeeds");
    next(store, channel, status == Status::NotNow).await
}

/// An Idle report as the core service handles it.
async fn idle(store: &dyn AllStorage, channel: &Channel) -> Option<String> {
    connect(store, channel, Status::Idle, None).await
}

/// The e2e steps enroll, tally, bstoken and re-enroll: a device enrolls
/// (push info as sent, tally 1), sends another TokenUpdate (tally 2),
/// escrows a bootstrap token, then enrolls again: the tally is back to 1
/// and the bootstrap token is gone.
pub async fn enrollment_flow_counts_token_updates_escrows_the_bootstrap_token_and_re_enrollment_resets_both(
    store: Arc<dyn AllStorage>,
) {
    let store = store.as_ref();
    let channel = device();
    authenticate_like_the_service(store, &channel).await;
    update(store, &channel, 1).await;
    let push = store
        .push_info(std::slice::from_ref(&channel.id))
        .await
        .expect("push_info");
    let push = push.get(&channel.id).expect("push info after enrollment");
    assert_eq!(
        (push.topic.as_str(), push.push_magic.as_str()),
        (TEST_TOPIC, "magic-1")
    );
    assert_eq!(
        store.token_update_tally(&channel.id).await.expect("tally"),
        1
    );
    update(store, &channel, 1).await;
    assert_eq!(
        store.token_update_tally(&channel.id).await.expect("tally"),
        2
    );

    let token = store
        .bootstrap_token(&channel)
        .await
        .expect("bootstrap_token");
    assert_eq!(token, None, "no token before escrow");
    store
        .store_bootstrap_token(&channel, Some(b"hello world"))
        .await
        .expect("store_bootstrap_token succeeds");
    let token = store
        .bootstrap_token(&channel)
        .await
        .expect("bootstrap_token");
    assert_eq!(token.as_deref(), Some(&b"hello world"[..]));

    authenticate_like_the_service(store, &channel).await;
    update(store, &channel, 1).await;
    assert_eq!(
        store.token_update_tally(&channel.id).await.expect("tally"),
        1,
        "re-enrolled"
    );
    let token = store
        .bootstrap_token(&channel)
        .await
        .expect("bootstrap_token");
    assert_eq!(token, None, "re-enrollment removes the bootstrap token");
}

/// The e2e steps queue/basic, queue/notnow and queue/clear, with a user
/// channel beside the device: commands come one per report in order,
/// NotNow defers a command until the next Idle, and re-authentication
/// drops whatever is pending on the device and its users.
pub async fn queue_flow_serves_in_order_defers_not_now_until_idle_and_clears(
    store: Arc<dyn AllStorage>,
) {
    let store = store.as_ref();
    let (device, user) = (device(), user());
    authenticate_like_the_service(store, &device).await;
    update(store, &device, 1).await;
    update(store, &user, 1).await;

    // queue/basic
    assert_eq!(idle(store, &device).await, None);
    enqueue(store, &[&device], "CMD1", 0).await;
    enqueue(store, &[&device], "CMD2", 0).await;
    assert_eq!(idle(store, &device).await.as_deref(), Some("CMD1"));
    let after = connect(store, &device, Status::Acknowledged, Some("CMD1")).await;
    assert_eq!(after.as_deref(), Some("CMD2"));
    assert_eq!(
        connect(store, &device, Status::Acknowledged, Some("CMD2")).await,
        None
    );
    assert_eq!(idle(store, &device).await, None);

    // queue/notnow
    enqueue(store, &[&device], "CMD3", 0).await;
    assert_eq!(idle(store, &device).await.as_deref(), Some("CMD3"));
    assert_eq!(
        connect(store, &device, Status::NotNow, Some("CMD3")).await,
        None
    );
    assert_eq!(idle(store, &device).await.as_deref(), Some("CMD3"));
    assert_eq!(
        connect(store, &device, Status::Acknowledged, Some("CMD3")).await,
        None
    );
    assert_eq!(idle(store, &device).await, None);

    // queue/clear, reaching the user channel too
    store
        .clear_queue(&device)
        .await
        .expect("clear_queue succeeds");
    enqueue(store, &[&device, &user], "CMD4", 0).await;
    assert_eq!(idle(store, &user).await.as_deref(), Some("CMD4"));
    authenticate_like_the_service(store, &device).await;
    update(store, &device, 1).await;
    update(store, &user, 1).await;
    assert_eq!(idle(store, &device).await, None);
    assert_eq!(idle(store, &user).await, None);
}

/// For persistent stores (not part of
/// [`store_conformance!`](crate::store_conformance)): enrollments, results
/// and queue order survive `reopen`, and commands queued after reopening
/// are served after those queued before.
///
/// `store` must be fresh; `reopen` is called after `store` is dropped and
/// must open the same data again.
pub async fn a_reopened_store_keeps_enrollments_results_and_queue_order<F, Fut>(
    store: Arc<dyn AllStorage>,
    reopen: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Arc<dyn AllStorage>>,
{
    let (device, user) = (device(), user());
    authenticate_like_the_service(store.as_ref(), &device).await;
    update(store.as_ref(), &device, 1).await;
    update(store.as_ref(), &user, 1).await;
    for uuid in ["BEFORE-3", "BEFORE-1", "BEFORE-2"] {
        enqueue(store.as_ref(), &[&device], uuid, 0).await;
    }
    answer(store.as_ref(), &device, Status::Acknowledged, "BEFORE-3").await;
    answer(store.as_ref(), &device, Status::NotNow, "BEFORE-1").await;
    let enrollment = store.enrollment(&user.id).await.expect("enrollment");
    drop(store);

    let store = reopen().await;
    let reopened = store.enrollment(&user.id).await.expect("enrollment");
    assert_eq!(reopened, enrollment, "the enrollment survives");
    let result = store
        .command_result(&device.id, "BEFORE-3")
        .await
        .expect("result");
    assert_eq!(result.map(|r| r.status), Some(Status::Acknowledged));
    for uuid in ["AFTER-0", "AFTER-1"] {
        enqueue(store.as_ref(), &[&device], uuid, 0).await;
    }
    let expected = [
        ("BEFORE-1", true),
        ("BEFORE-2", false),
        ("AFTER-0", false),
        ("AFTER-1", false),
    ];
    assert_eq!(
        queued(store.as_ref(), &device).await,
        expected.map(|(u, n)| (u.to_owned(), n)),
        "queue order survives, new commands go last"
    );
    // Disabling the device reaches the user channel recorded before.
    store.disable(&device).await.expect("disable succeeds");
    let user_enrollment = store.enrollment(&user.id).await.expect("enrollment");
    assert_eq!(user_enrollment.map(|e| e.enabled), Some(false));
}
