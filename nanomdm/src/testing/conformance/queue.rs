//! The contract of [`CommandQueue`](crate::store::CommandQueue).

use std::sync::Arc;

use super::{answer, device, enqueue, enroll, next, other_device, queued, unknown, user};
use crate::protocol::command::Status;
use crate::store::{AllStorage, CommandResult, QueuedCommand, StoreError};
use crate::testing::{command, report};

/// Acknowledges whatever `channel` is served until nothing is left, and
/// returns the UUIDs in the order served.
async fn drain(
    store: &dyn AllStorage,
    channel: &crate::protocol::enrollment::Channel,
) -> Vec<String> {
    let mut served = Vec::new();
    while let Some(uuid) = next(store, channel, false).await {
        assert!(
            !served.contains(&uuid),
            "{uuid} served again after its Acknowledged"
        );
        answer(store, channel, Status::Acknowledged, &uuid).await;
        served.push(uuid);
    }
    served
}

/// `next_command` is `None` for a channel with an empty queue.
pub async fn next_command_is_none_for_a_channel_with_an_empty_queue(store: Arc<dyn AllStorage>) {
    enroll(store.as_ref(), &device()).await;
    assert_eq!(next(store.as_ref(), &device(), false).await, None);
    assert_eq!(next(store.as_ref(), &device(), true).await, None);
}

/// `next_command` serves commands of equal priority in enqueue order.
pub async fn next_command_serves_commands_of_equal_priority_in_enqueue_order(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    // More than ten, and UUIDs against their order, so neither a textual
    // sort of counters nor of UUIDs passes by chance.
    let uuids: Vec<String> = (0..12).map(|i| format!("CMD-{}", 99 - i)).collect();
    for uuid in &uuids {
        enqueue(store.as_ref(), &[&channel], uuid, 0).await;
    }
    assert_eq!(drain(store.as_ref(), &channel).await, uuids);
}

/// `next_command` serves a higher-priority command first.
pub async fn next_command_serves_a_higher_priority_command_first(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    for (uuid, priority) in [
        ("LOW", -3),
        ("ZERO", 0),
        ("HIGH-1", 5),
        ("HIGH-2", 5),
        ("TOP", 100),
    ] {
        enqueue(store.as_ref(), &[&channel], uuid, priority).await;
    }
    let served = drain(store.as_ref(), &channel).await;
    assert_eq!(served, ["TOP", "HIGH-1", "HIGH-2", "ZERO", "LOW"]);
}

/// `next_command` returns the command bytes exactly as enqueued.
pub async fn next_command_returns_the_command_bytes_exactly_as_enqueued(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    let raw = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- kept -->\n<plist version=\"1.0\"><dict>\
        <key>CommandUUID</key>  <string>EXACT-1</string>\r\n<key>Command</key><dict>\
        <key>RequestType</key><string>ProfileList</string></dict>\
        <key>Extra</key><string>caf\u{e9} &amp; \u{1f600}</string></dict></plist>\n\n";
    let command = QueuedCommand {
        command_uuid: "EXACT-1".to_owned(),
        request_type: "ProfileList".to_owned(),
        raw: raw.as_bytes().to_vec().into(),
        priority: 0,
    };
    store
        .enqueue_command(std::slice::from_ref(&channel.id), &command)
        .await
        .expect("enqueue_command succeeds");
    let served = store
        .next_command(&channel, false)
        .await
        .expect("next_command");
    assert_eq!(served, Some(command));
}

/// `next_command` never returns a command the channel acknowledged, or
/// answered with Error or CommandFormatError.
pub async fn next_command_never_returns_a_command_the_channel_acknowledged_or_answered_with_an_error(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    let statuses = [
        Status::Acknowledged,
        Status::Error,
        Status::CommandFormatError,
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        let uuid = format!("DONE-{i}");
        enqueue(store.as_ref(), &[&channel], &uuid, 0).await;
        assert_eq!(
            next(store.as_ref(), &channel, false).await.as_ref(),
            Some(&uuid)
        );
        answer(store.as_ref(), &channel, status, &uuid).await;
        for skip in [false, true] {
            let served = next(store.as_ref(), &channel, skip).await;
            assert_eq!(served, None, "{uuid} answered {status} is not served again");
        }
    }
    assert!(queued(store.as_ref(), &channel).await.is_empty());
}

/// `next_command` with `skip_not_now` skips commands answered NotNow;
/// without it, serves them again in queue order.
pub async fn next_command_with_skip_not_now_skips_not_now_commands_and_without_serves_them_in_queue_order(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    for uuid in ["FIRST", "SECOND", "THIRD"] {
        enqueue(store.as_ref(), &[&channel], uuid, 0).await;
    }
    answer(store.as_ref(), &channel, Status::NotNow, "FIRST").await;
    assert_eq!(
        next(store.as_ref(), &channel, true).await.as_deref(),
        Some("SECOND")
    );
    assert_eq!(
        next(store.as_ref(), &channel, false).await.as_deref(),
        Some("FIRST")
    );
    answer(store.as_ref(), &channel, Status::NotNow, "SECOND").await;
    assert_eq!(
        next(store.as_ref(), &channel, true).await.as_deref(),
        Some("THIRD")
    );
    answer(store.as_ref(), &channel, Status::NotNow, "THIRD").await;
    assert_eq!(
        next(store.as_ref(), &channel, true).await,
        None,
        "all deferred"
    );
    assert_eq!(
        next(store.as_ref(), &channel, false).await.as_deref(),
        Some("FIRST")
    );
    answer(store.as_ref(), &channel, Status::Acknowledged, "FIRST").await;
    assert_eq!(
        next(store.as_ref(), &channel, false).await.as_deref(),
        Some("SECOND")
    );
}

/// `next_command` is `None` for a disabled or unknown enrollment.
pub async fn next_command_is_none_for_a_disabled_or_unknown_enrollment(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    enqueue(store.as_ref(), &[&channel], "PENDING", 0).await;
    store.disable(&channel).await.expect("disable succeeds");
    assert_eq!(
        next(store.as_ref(), &channel, false).await,
        None,
        "disabled"
    );
    assert_eq!(
        next(store.as_ref(), &other_device(), false).await,
        None,
        "unknown"
    );
}

/// `enqueue_command` queues one command to several channels, each served
/// it independently.
pub async fn enqueue_command_queues_one_command_to_several_channels_each_served_independently(
    store: Arc<dyn AllStorage>,
) {
    let (device, user, other) = (device(), user(), other_device());
    for channel in [&device, &user, &other] {
        enroll(store.as_ref(), channel).await;
    }
    enqueue(store.as_ref(), &[&device, &user, &other], "SHARED", 0).await;
    answer(store.as_ref(), &device, Status::Acknowledged, "SHARED").await;
    answer(store.as_ref(), &user, Status::NotNow, "SHARED").await;
    assert_eq!(next(store.as_ref(), &device, false).await, None);
    assert_eq!(next(store.as_ref(), &user, true).await, None);
    assert_eq!(
        next(store.as_ref(), &user, false).await.as_deref(),
        Some("SHARED")
    );
    assert_eq!(
        next(store.as_ref(), &other, true).await.as_deref(),
        Some("SHARED")
    );
}

/// `enqueue_command` fails with `NotFound` and queues nothing when an ID is
/// not an enrollment.
pub async fn enqueue_command_to_an_id_that_is_not_an_enrollment_fails_with_not_found_and_queues_nothing(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    let ids = [channel.id.clone(), unknown()];
    let result = store
        .enqueue_command(&ids, &command("PARTIAL", "DeviceInformation", 0))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    assert!(
        queued(store.as_ref(), &channel).await.is_empty(),
        "nothing queued"
    );
    // Nothing stored either: the UUID is still free.
    enqueue(store.as_ref(), &[&channel], "PARTIAL", 0).await;
}

/// `enqueue_command` fails with `Conflict` and changes nothing when the
/// command UUID is already stored.
pub async fn enqueue_command_of_a_stored_command_uuid_fails_with_conflict_and_changes_nothing(
    store: Arc<dyn AllStorage>,
) {
    let (device, other) = (device(), other_device());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &other).await;
    let original = command("TWICE", "DeviceInformation", 0);
    store
        .enqueue_command(std::slice::from_ref(&device.id), &original)
        .await
        .expect("enqueue_command succeeds");
    let again = command("TWICE", "ProfileList", 1);
    let result = store
        .enqueue_command(&[device.id.clone(), other.id.clone()], &again)
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let queue = store.queue(&device.id).await.expect("queue succeeds");
    assert_eq!(queue.len(), 1, "queued once");
    assert_eq!(
        queue[0].command, original,
        "the stored command is unchanged"
    );
    assert!(queued(store.as_ref(), &other).await.is_empty());
}

/// `store_command_report` of a completing status stores the result with
/// the raw report.
pub async fn store_command_report_of_a_completing_status_stores_the_result_with_the_raw_report(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    for status in [
        Status::Acknowledged,
        Status::Error,
        Status::CommandFormatError,
    ] {
        let uuid = format!("CMD-{status}");
        enqueue(store.as_ref(), &[&channel], &uuid, 0).await;
        let sent = report(&channel, status, Some(&uuid));
        store
            .store_command_report(&channel, &sent)
            .await
            .expect("store_command_report succeeds");
        let stored = store
            .command_result(&channel.id, &uuid)
            .await
            .expect("command_result");
        let expected = CommandResult {
            status,
            raw: sent.raw.clone(),
            not_now_tally: 0,
        };
        assert_eq!(stored, Some(expected));
    }
}

/// `store_command_report` of NotNow stores the result and counts NotNow
/// reports.
pub async fn store_command_report_of_not_now_stores_the_result_and_counts_not_now_reports(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    enqueue(store.as_ref(), &[&channel], "LATER", 0).await;
    for tally in 1..=2 {
        let sent = report(&channel, Status::NotNow, Some("LATER"));
        store
            .store_command_report(&channel, &sent)
            .await
            .expect("store_command_report succeeds");
        let stored = store
            .command_result(&channel.id, "LATER")
            .await
            .expect("command_result");
        let expected = CommandResult {
            status: Status::NotNow,
            raw: sent.raw.clone(),
            not_now_tally: tally,
        };
        assert_eq!(stored, Some(expected));
    }
    answer(store.as_ref(), &channel, Status::Acknowledged, "LATER").await;
    let stored = store
        .command_result(&channel.id, "LATER")
        .await
        .expect("command_result");
    let stored = stored.expect("a result");
    assert_eq!(
        (stored.status, stored.not_now_tally),
        (Status::Acknowledged, 2)
    );
}

/// `store_command_report` of Idle stores nothing.
pub async fn store_command_report_of_idle_stores_nothing(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    enqueue(store.as_ref(), &[&channel], "WAITING", 0).await;
    store
        .store_command_report(&channel, &report(&channel, Status::Idle, None))
        .await
        .expect("an Idle report succeeds");
    let stored = store
        .command_result(&channel.id, "WAITING")
        .await
        .expect("command_result");
    assert_eq!(stored, None);
    assert_eq!(
        queued(store.as_ref(), &channel).await,
        [("WAITING".to_owned(), false)]
    );
}

/// `store_command_report` for a command not queued to the channel fails
/// with `NotFound`.
pub async fn store_command_report_for_a_command_not_queued_to_the_channel_fails_with_not_found(
    store: Arc<dyn AllStorage>,
) {
    let (device, other) = (device(), other_device());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &other).await;
    enqueue(store.as_ref(), &[&other], "ELSEWHERE", 0).await;
    for uuid in ["NEVER-QUEUED", "ELSEWHERE"] {
        for status in [Status::Acknowledged, Status::NotNow] {
            let result = store
                .store_command_report(&device, &report(&device, status, Some(uuid)))
                .await;
            assert!(
                matches!(result, Err(StoreError::NotFound(_))),
                "{uuid}: {result:?}"
            );
        }
    }
    let stored = store
        .command_result(&other.id, "ELSEWHERE")
        .await
        .expect("command_result");
    assert_eq!(stored, None, "another channel's result is untouched");
    assert_eq!(
        next(store.as_ref(), &other, true).await.as_deref(),
        Some("ELSEWHERE")
    );
}

/// `clear_queue` of a device channel drops the pending and NotNow'd
/// commands of the device and all its user channels.
pub async fn clear_queue_of_a_device_channel_drops_pending_and_not_now_commands_of_the_device_and_its_user_channels(
    store: Arc<dyn AllStorage>,
) {
    let (device, user, other) = (device(), user(), other_device());
    for channel in [&device, &user, &other] {
        enroll(store.as_ref(), channel).await;
    }
    enqueue(store.as_ref(), &[&device, &user, &other], "PENDING", 0).await;
    enqueue(store.as_ref(), &[&device, &user], "DEFERRED", 0).await;
    answer(store.as_ref(), &device, Status::NotNow, "DEFERRED").await;
    answer(store.as_ref(), &user, Status::NotNow, "DEFERRED").await;
    store
        .clear_queue(&device)
        .await
        .expect("clear_queue succeeds");
    for channel in [&device, &user] {
        assert!(
            queued(store.as_ref(), channel).await.is_empty(),
            "{}",
            channel.id
        );
        assert_eq!(
            next(store.as_ref(), channel, false).await,
            None,
            "{}",
            channel.id
        );
    }
    assert_eq!(
        queued(store.as_ref(), &other).await,
        [("PENDING".to_owned(), false)]
    );
}

/// `clear_queue` keeps stored results readable.
pub async fn clear_queue_keeps_stored_results_readable(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    enqueue(store.as_ref(), &[&channel], "DONE", 0).await;
    enqueue(store.as_ref(), &[&channel], "DEFERRED", 0).await;
    answer(store.as_ref(), &channel, Status::Acknowledged, "DONE").await;
    answer(store.as_ref(), &channel, Status::NotNow, "DEFERRED").await;
    store
        .clear_queue(&channel)
        .await
        .expect("clear_queue succeeds");
    for (uuid, status) in [("DONE", Status::Acknowledged), ("DEFERRED", Status::NotNow)] {
        let stored = store
            .command_result(&channel.id, uuid)
            .await
            .expect("command_result");
        assert_eq!(stored.map(|r| r.status), Some(status), "{uuid}");
    }
}

/// `queue` lists a channel's pending commands in serve order, marking
/// NotNow'd ones.
pub async fn queue_lists_pending_commands_in_serve_order_marking_not_now_ones(
    store: Arc<dyn AllStorage>,
) {
    let (device, other) = (device(), other_device());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &other).await;
    for (uuid, priority) in [("A", 0), ("B", 0), ("URGENT", 1), ("DONE", 0)] {
        enqueue(store.as_ref(), &[&device], uuid, priority).await;
    }
    enqueue(store.as_ref(), &[&other], "OTHER", 0).await;
    answer(store.as_ref(), &device, Status::NotNow, "A").await;
    answer(store.as_ref(), &device, Status::Acknowledged, "DONE").await;
    let expected = [("URGENT", false), ("A", true), ("B", false)].map(|(u, n)| (u.to_owned(), n));
    assert_eq!(queued(store.as_ref(), &device).await, expected);
    let listed = store.queue(&device.id).await.expect("queue succeeds");
    assert_eq!(listed[0].command, command("URGENT", "DeviceInformation", 1));
}
