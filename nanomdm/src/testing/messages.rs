//! Real messages for tests: plists built for a channel and decoded by the
//! same decoders the service uses.

use bytes::Bytes;
use plist::{Dictionary, Value};

use crate::protocol::checkin::{self, Authenticate, CheckinMessage, TokenUpdate, UserAuthenticate};
use crate::protocol::command::{self, Command, Report, Status};
use crate::protocol::enrollment::{
    Channel, EnrollmentId, EnrollmentKeys, EnrollmentType, SHARED_IPAD_USER_ID,
};
use crate::store::QueuedCommand;

/// The APNs topic of every test message.
pub const TEST_TOPIC: &str = "com.apple.mgmt.External.0d5e2ac1-test";

/// A check-in message as the service sees it: typed, with the body and
/// the resolved channel.
#[derive(Debug, Clone)]
pub struct DecodedCheckin<T> {
    /// The typed message.
    pub message: T,
    /// The plist body.
    pub raw: Bytes,
    /// The channel resolved from the body.
    pub channel: Channel,
}

/// The device channel of `udid`.
pub fn device_channel(udid: &str) -> Channel {
    Channel::device(EnrollmentId::new(udid), EnrollmentType::Device)
}

/// The user channel of `user_id` (a GUID) on the device `udid`.
///
/// # Panics
///
/// If `udid` is empty.
pub fn user_channel(udid: &str, user_id: &str) -> Channel {
    let keys = EnrollmentKeys {
        udid: Some(udid.to_owned()),
        user_id: Some(user_id.to_owned()),
        ..EnrollmentKeys::default()
    };
    keys.resolve().expect("a UDID and a user ID resolve")
}

/// The identity keys a device sends on `channel`.
fn identity_keys(channel: &Channel) -> Dictionary {
    let mut keys = Dictionary::new();
    let mut put = |key: &str, value: &str| {
        keys.insert(key.to_owned(), Value::String(value.to_owned()));
    };
    let id = channel.id.as_str();
    let user = channel
        .parent
        .as_ref()
        .and_then(|p| id.strip_prefix(p.as_str())?.strip_prefix(':'))
        .unwrap_or_default();
    let parent = channel.device_id().as_str();
    match channel.kind {
        EnrollmentType::Device => put("UDID", id),
        EnrollmentType::UserEnrollmentDevice => put("EnrollmentID", id),
        EnrollmentType::User => {
            put("UDID", parent);
            put("UserID", user);
        }
        EnrollmentType::SharedIPad => {
            put("UDID", parent);
            put("UserID", SHARED_IPAD_USER_ID);
            put("UserShortName", user);
        }
        EnrollmentType::UserEnrollment => {
            put("EnrollmentID", parent);
            put("EnrollmentUserID", user);
        }
    }
    keys
}

/// `dict` as an XML plist.
fn xml(dict: Dictionary) -> Vec<u8> {
    let mut body = Vec::new();
    Value::Dictionary(dict)
        .to_writer_xml(&mut body)
        .expect("strings and data always encode");
    body
}

/// Decodes a check-in built for `channel`, picking the typed message.
fn decode<T>(
    channel: &Channel,
    mut dict: Dictionary,
    message_type: &str,
    pick: fn(CheckinMessage) -> Option<T>,
) -> DecodedCheckin<T> {
    dict.extend(identity_keys(channel));
    dict.insert("MessageType".to_owned(), message_type.into());
    let decoded = checkin::decode(&xml(dict)).expect("a test check-in decodes");
    assert_eq!(
        &decoded.channel, channel,
        "a test check-in resolves to its channel"
    );
    DecodedCheckin {
        message: pick(decoded.message).expect("the message type was set"),
        raw: decoded.raw,
        channel: decoded.channel,
    }
}

/// An Authenticate of the device channel `channel`, with the serial
/// number `TESTSERIAL`.
///
/// # Panics
///
/// If `channel` is not a channel a device could send for.
pub fn authenticate(channel: &Channel) -> DecodedCheckin<Authenticate> {
    let mut dict = Dictionary::new();
    dict.insert("Topic".to_owned(), TEST_TOPIC.into());
    dict.insert("SerialNumber".to_owned(), "TESTSERIAL".into());
    dict.insert("Model".to_owned(), "Mac16,10".into());
    decode(channel, dict, "Authenticate", |m| match m {
        CheckinMessage::Authenticate(m) => Some(m),
        _ => None,
    })
}

/// A TokenUpdate of `channel` with [`TEST_TOPIC`], `token` and
/// `push_magic`.
///
/// # Panics
///
/// If `token` or `push_magic` is empty (the decoder refuses them).
pub fn token_update(
    channel: &Channel,
    token: &[u8],
    push_magic: &str,
) -> DecodedCheckin<TokenUpdate> {
    let mut dict = Dictionary::new();
    dict.insert("Topic".to_owned(), TEST_TOPIC.into());
    dict.insert("Token".to_owned(), Value::Data(token.to_vec()));
    dict.insert("PushMagic".to_owned(), push_magic.into());
    decode(channel, dict, "TokenUpdate", |m| match m {
        CheckinMessage::TokenUpdate(m) => Some(m),
        _ => None,
    })
}

/// A UserAuthenticate of the user channel `channel`: the initial request,
/// or with `digest_response` the second one.
pub fn user_authenticate(
    channel: &Channel,
    digest_response: Option<&str>,
) -> DecodedCheckin<UserAuthenticate> {
    let mut dict = Dictionary::new();
    if let Some(digest) = digest_response {
        dict.insert("DigestResponse".to_owned(), digest.into());
    }
    decode(channel, dict, "UserAuthenticate", |m| match m {
        CheckinMessage::UserAuthenticate(m) => Some(m),
        _ => None,
    })
}

/// A command report of `channel` with `status` for `command_uuid` (`None`
/// for Idle). An Acknowledged report carries a small response payload, an
/// Error report an `ErrorChain`.
pub fn report(channel: &Channel, status: Status, command_uuid: Option<&str>) -> Report {
    let mut dict = identity_keys(channel);
    dict.insert("Status".to_owned(), status.as_str().into());
    if let Some(uuid) = command_uuid {
        dict.insert("CommandUUID".to_owned(), uuid.into());
    }
    match status {
        Status::Acknowledged => {
            let mut responses = Dictionary::new();
            responses.insert("DeviceName".to_owned(), "Test Mac".into());
            dict.insert("QueryResponses".to_owned(), Value::Dictionary(responses));
        }
        Status::Error => {
            let mut item = Dictionary::new();
            item.insert("ErrorCode".to_owned(), 12021.into());
            item.insert("ErrorDomain".to_owned(), "MCMDMErrorDomain".into());
            dict.insert(
                "ErrorChain".to_owned(),
                vec![Value::Dictionary(item)].into(),
            );
        }
        _ => {}
    }
    let report = command::decode_report(&xml(dict)).expect("a test report decodes");
    assert_eq!(
        &report.channel, channel,
        "a test report resolves to its channel"
    );
    report
}

/// A command `{CommandUUID, Command: {RequestType}}` as an API client
/// submits it, checked by [`Command::decode`].
pub fn command(command_uuid: &str, request_type: &str, priority: i8) -> QueuedCommand {
    let mut payload = Dictionary::new();
    payload.insert("RequestType".to_owned(), request_type.into());
    let mut dict = Dictionary::new();
    dict.insert("CommandUUID".to_owned(), command_uuid.into());
    dict.insert("Command".to_owned(), Value::Dictionary(payload));
    let raw = xml(dict);
    let decoded = Command::decode(&raw).expect("a test command decodes");
    QueuedCommand {
        command_uuid: decoded.command_uuid().to_owned(),
        request_type: decoded.request_type().to_owned(),
        raw: raw.into(),
        priority,
    }
}
