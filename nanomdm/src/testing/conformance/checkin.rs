//! The contracts of [`CheckinStore`](crate::store::CheckinStore),
//! [`BootstrapTokenStore`](crate::store::BootstrapTokenStore) and
//! [`PushStore`](crate::store::PushStore).

use std::sync::Arc;

use super::{device, enroll, other_device, token, unknown, update, user};
use crate::protocol::enrollment::EnrollmentId;
use crate::store::{AllStorage, Enrollment, PushInfo};
use crate::testing::{TEST_TOPIC, authenticate, user_authenticate};

/// The enrollment `id`, which must exist.
async fn enrollment_of(store: &dyn AllStorage, id: &EnrollmentId) -> Enrollment {
    store
        .enrollment(id)
        .await
        .expect("enrollment succeeds")
        .unwrap_or_else(|| panic!("{id} is an enrollment"))
}

/// `store_authenticate` never creates an enrollment: a channel is an
/// enrollment only after its first TokenUpdate.
pub async fn store_authenticate_never_creates_an_enrollment(store: Arc<dyn AllStorage>) {
    let channel = device();
    let message = authenticate(&channel);
    store
        .store_authenticate(
            &channel,
            &message.message,
            &message.raw,
            Some(b"identity DER"),
        )
        .await
        .expect("store_authenticate succeeds");
    assert_eq!(
        store.enrollment(&channel.id).await.expect("enrollment"),
        None
    );
    assert_eq!(
        store.token_update_tally(&channel.id).await.expect("tally"),
        0
    );
    let push = store
        .push_info(std::slice::from_ref(&channel.id))
        .await
        .expect("push_info");
    assert!(push.is_empty(), "Authenticate alone gives no push info");
}

/// `store_authenticate` removes the device's bootstrap token.
pub async fn store_authenticate_removes_the_device_bootstrap_token(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    store
        .store_bootstrap_token(&channel, Some(b"escrowed"))
        .await
        .expect("store_bootstrap_token succeeds");
    let message = authenticate(&channel);
    store
        .store_authenticate(&channel, &message.message, &message.raw, None)
        .await
        .expect("store_authenticate succeeds");
    let token = store
        .bootstrap_token(&channel)
        .await
        .expect("bootstrap_token");
    assert_eq!(token, None, "Authenticate removes the bootstrap token");
}

/// `store_token_update` creates an enabled enrollment with tally 1 and the
/// message's push info.
pub async fn store_token_update_creates_an_enabled_enrollment_with_tally_1_and_the_push_info(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    let expected = Enrollment {
        channel: channel.clone(),
        enabled: true,
        token_update_tally: 1,
        push: PushInfo {
            topic: TEST_TOPIC.to_owned(),
            push_magic: "magic-1".to_owned(),
            token: token(&channel, 1),
            enabled: true,
        },
    };
    assert_eq!(enrollment_of(store.as_ref(), &channel.id).await, expected);
}

/// `store_token_update` on an existing enrollment replaces its push info,
/// enables it and increments its tally.
pub async fn store_token_update_on_an_existing_enrollment_replaces_push_info_enables_it_and_increments_its_tally(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    update(store.as_ref(), &channel, 2).await;
    let second = enrollment_of(store.as_ref(), &channel.id).await;
    assert_eq!(
        second.token_update_tally, 2,
        "the tally counts TokenUpdates"
    );
    assert_eq!(
        second.push.token,
        token(&channel, 2),
        "the push token is replaced"
    );
    assert_eq!(
        second.push.push_magic, "magic-2",
        "the push magic is replaced"
    );

    store.disable(&channel).await.expect("disable succeeds");
    update(store.as_ref(), &channel, 3).await;
    let third = enrollment_of(store.as_ref(), &channel.id).await;
    assert!(third.enabled, "a TokenUpdate enables a disabled enrollment");
    assert_eq!(
        third.token_update_tally, 1,
        "the tally restarts from the reset"
    );
    assert_eq!(third.push.token, token(&channel, 3));
}

/// `store_token_update` of a user channel creates an enrollment whose
/// parent is the device channel.
pub async fn store_token_update_of_a_user_channel_creates_an_enrollment_whose_parent_is_the_device_channel(
    store: Arc<dyn AllStorage>,
) {
    enroll(store.as_ref(), &device()).await;
    let user = user();
    enroll(store.as_ref(), &user).await;
    let enrollment = enrollment_of(store.as_ref(), &user.id).await;
    assert_eq!(enrollment.channel, user);
    assert_eq!(enrollment.channel.parent, Some(device().id));
    assert!(enrollment.enabled);
    assert_eq!(enrollment.token_update_tally, 1);
}

/// `disable` of a device channel disables it and all its user channels and
/// resets their tallies to 0.
pub async fn disable_of_a_device_channel_disables_it_and_its_user_channels_and_resets_their_tallies(
    store: Arc<dyn AllStorage>,
) {
    let (device, user, other) = (device(), user(), other_device());
    for channel in [&device, &user, &other] {
        enroll(store.as_ref(), channel).await;
        update(store.as_ref(), channel, 2).await;
    }
    store.disable(&device).await.expect("disable succeeds");
    for channel in [&device, &user] {
        let enrollment = enrollment_of(store.as_ref(), &channel.id).await;
        assert!(!enrollment.enabled, "{} is disabled", channel.id);
        assert_eq!(
            enrollment.token_update_tally, 0,
            "{} tally reset",
            channel.id
        );
        assert_eq!(
            store.token_update_tally(&channel.id).await.expect("tally"),
            0
        );
    }
    let untouched = enrollment_of(store.as_ref(), &other.id).await;
    assert!(untouched.enabled, "another device stays enabled");
    assert_eq!(untouched.token_update_tally, 2);
}

/// `disable` of a user channel disables only that channel.
pub async fn disable_of_a_user_channel_disables_only_that_channel(store: Arc<dyn AllStorage>) {
    let (device, user) = (device(), user());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &user).await;
    store.disable(&user).await.expect("disable succeeds");
    assert!(!enrollment_of(store.as_ref(), &user.id).await.enabled);
    let parent = enrollment_of(store.as_ref(), &device.id).await;
    assert!(parent.enabled, "the device channel stays enabled");
    assert_eq!(parent.token_update_tally, 1);
}

/// `disable` of an unknown channel succeeds and changes nothing.
pub async fn disable_of_an_unknown_channel_succeeds_and_changes_nothing(
    store: Arc<dyn AllStorage>,
) {
    enroll(store.as_ref(), &device()).await;
    let before = enrollment_of(store.as_ref(), &device().id).await;
    store
        .disable(&other_device())
        .await
        .expect("disable of an unknown channel succeeds");
    assert_eq!(enrollment_of(store.as_ref(), &device().id).await, before);
    let created = store
        .enrollment(&other_device().id)
        .await
        .expect("enrollment");
    assert_eq!(created, None, "disable creates no enrollment");
}

/// `token_update_tally` is 0 for an unknown enrollment.
pub async fn token_update_tally_is_0_for_an_unknown_enrollment(store: Arc<dyn AllStorage>) {
    let tally = store.token_update_tally(&unknown()).await;
    assert_eq!(tally.expect("token_update_tally succeeds"), 0);
}

/// `enrollment` is `None` for an unknown enrollment.
pub async fn enrollment_is_none_for_an_unknown_enrollment(store: Arc<dyn AllStorage>) {
    enroll(store.as_ref(), &device()).await;
    let enrollment = store.enrollment(&unknown()).await;
    assert_eq!(enrollment.expect("enrollment succeeds"), None);
}

/// `store_user_authenticate` succeeds for a user channel that has no
/// enrollment yet (UserAuthenticate precedes the user's TokenUpdate).
pub async fn store_user_authenticate_succeeds_for_a_user_channel_without_an_enrollment(
    store: Arc<dyn AllStorage>,
) {
    enroll(store.as_ref(), &device()).await;
    let user = user();
    for digest in [None, Some("a digest response")] {
        let message = user_authenticate(&user, digest);
        store
            .store_user_authenticate(&user, &message.message, &message.raw)
            .await
            .expect("store_user_authenticate succeeds before the user's TokenUpdate");
    }
}

/// `bootstrap_token` is `None` before any token is stored.
pub async fn bootstrap_token_is_none_before_any_token_is_stored(store: Arc<dyn AllStorage>) {
    enroll(store.as_ref(), &device()).await;
    let token = store.bootstrap_token(&device()).await;
    assert_eq!(token.expect("bootstrap_token succeeds"), None);
}

/// `bootstrap_token` returns the stored token.
pub async fn bootstrap_token_returns_the_stored_token(store: Arc<dyn AllStorage>) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    enroll(store.as_ref(), &other_device()).await;
    for token in [&b"hello world"[..], &[0, 159, 255, 10, 13]] {
        store
            .store_bootstrap_token(&channel, Some(token))
            .await
            .expect("store_bootstrap_token succeeds");
        let stored = store
            .bootstrap_token(&channel)
            .await
            .expect("bootstrap_token");
        assert_eq!(
            stored.as_deref(),
            Some(token),
            "the latest token is returned"
        );
    }
    let other = store
        .bootstrap_token(&other_device())
        .await
        .expect("bootstrap_token");
    assert_eq!(other, None, "another device has no token");
}

/// Storing an empty or absent bootstrap token removes the stored one.
pub async fn storing_an_empty_or_absent_bootstrap_token_removes_the_stored_one(
    store: Arc<dyn AllStorage>,
) {
    let channel = device();
    enroll(store.as_ref(), &channel).await;
    for removal in [Some(&b""[..]), None] {
        store
            .store_bootstrap_token(&channel, Some(b"escrowed"))
            .await
            .expect("store_bootstrap_token succeeds");
        store
            .store_bootstrap_token(&channel, removal)
            .await
            .expect("removing the bootstrap token succeeds");
        let token = store
            .bootstrap_token(&channel)
            .await
            .expect("bootstrap_token");
        assert_eq!(token, None, "storing {removal:?} removes the token");
    }
}

/// A user channel reads and writes its device's bootstrap token.
pub async fn a_user_channel_reads_and_writes_its_device_bootstrap_token(
    store: Arc<dyn AllStorage>,
) {
    let (device, user) = (device(), user());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &user).await;
    store
        .store_bootstrap_token(&user, Some(b"from the user channel"))
        .await
        .expect("store_bootstrap_token succeeds");
    let read = store
        .bootstrap_token(&device)
        .await
        .expect("bootstrap_token");
    assert_eq!(read.as_deref(), Some(&b"from the user channel"[..]));
    store
        .store_bootstrap_token(&device, Some(b"from the device channel"))
        .await
        .expect("store_bootstrap_token succeeds");
    let read = store.bootstrap_token(&user).await.expect("bootstrap_token");
    assert_eq!(read.as_deref(), Some(&b"from the device channel"[..]));
}

/// `push_info` returns the topic, push magic and token of the latest
/// TokenUpdate of each known ID.
pub async fn push_info_returns_topic_push_magic_and_token_of_the_latest_token_update(
    store: Arc<dyn AllStorage>,
) {
    let (device, user, other) = (device(), user(), other_device());
    for channel in [&device, &user, &other] {
        enroll(store.as_ref(), channel).await;
    }
    update(store.as_ref(), &device, 2).await;
    let ids = [device.id.clone(), user.id.clone(), other.id.clone()];
    let push = store.push_info(&ids).await.expect("push_info succeeds");
    assert_eq!(push.len(), 3);
    for (channel, n) in [(&device, 2), (&user, 1), (&other, 1)] {
        let expected = PushInfo {
            topic: TEST_TOPIC.to_owned(),
            push_magic: format!("magic-{n}"),
            token: token(channel, n),
            enabled: true,
        };
        assert_eq!(push.get(&channel.id), Some(&expected), "{}", channel.id);
    }
}

/// `push_info` silently omits unknown IDs.
pub async fn push_info_silently_omits_unknown_ids(store: Arc<dyn AllStorage>) {
    let invalid = EnrollmentId::new("INVALID");
    let push = store.push_info(std::slice::from_ref(&invalid)).await;
    assert!(
        push.expect("push_info of an unknown ID succeeds")
            .is_empty()
    );
    enroll(store.as_ref(), &device()).await;
    let push = store
        .push_info(&[invalid, device().id])
        .await
        .expect("push_info succeeds");
    assert_eq!(push.keys().collect::<Vec<_>>(), [&device().id]);
}

/// `push_info` marks disabled enrollments as not enabled.
pub async fn push_info_marks_disabled_enrollments_as_not_enabled(store: Arc<dyn AllStorage>) {
    let (device, other) = (device(), other_device());
    enroll(store.as_ref(), &device).await;
    enroll(store.as_ref(), &other).await;
    store.disable(&device).await.expect("disable succeeds");
    let push = store
        .push_info(&[device.id.clone(), other.id.clone()])
        .await
        .expect("push_info succeeds");
    assert_eq!(push.get(&device.id).map(|p| p.enabled), Some(false));
    assert_eq!(push.get(&other.id).map(|p| p.enabled), Some(true));
}
