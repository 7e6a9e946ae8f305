//! Hosts from MDM check-ins: `HostHook` in nanomdm's service chain on
//! `NanomdmStore`, driven by the simulated device, on SQLite and MySQL.

use fleet_server::db::Db;
use fleet_server::enrollments::ManualEnrollments;
use fleet_server::hosts::{Host, HostListOptions, HostOrderKey, MdmEnrollmentStatus};
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::store::CommandQueue as _;
use nanomdm::testing::device::{AnswerPolicy, Device};
use plist::Value;

use crate::mdm_server::{MdmServer, on_both_backends};

const MDM: &str = "/mdm/apple/mdm";

async fn only_host(server: &MdmServer) -> Host {
    let hosts = server
        .hosts
        .list(&HostListOptions::default())
        .await
        .unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    hosts.into_iter().next().unwrap()
}

async fn an_enrolling_device_becomes_a_pending_then_manually_enrolled_host(db: Db) {
    let enrollment = ManualEnrollments::new(db.clone())
        .create("Office Macs", None)
        .await
        .unwrap();
    let server = MdmServer::new(&db);
    let device = server.device();
    let uri = format!("{MDM}?enrollment_id={}", enrollment.id);

    server.checkin(&device, &uri, &device.authenticate()).await;
    let host = only_host(&server).await;
    assert_eq!(host.uuid, device.udid);
    assert_eq!(host.hardware_serial, device.serial_number);
    assert_eq!(host.hardware_model, "Mac14,2");
    assert_eq!(host.os_version, "15.1");
    assert_eq!(host.hostname, "Simulated Mac");
    assert_eq!(host.platform, "darwin");
    assert_eq!(host.mdm_enrollment_status, MdmEnrollmentStatus::Pending);
    assert_eq!(host.apple_manual_enrollment_id, Some(enrollment.id));
    assert_eq!(
        host.nano_enrollment_id.as_deref(),
        Some(device.udid.as_str())
    );

    server.checkin(&device, &uri, &device.token_update()).await;
    let enrolled = only_host(&server).await;
    assert_eq!(enrolled.id, host.id);
    assert_eq!(
        enrolled.mdm_enrollment_status,
        MdmEnrollmentStatus::OnManual
    );
    assert!(enrolled.last_seen_at >= host.last_seen_at);
}

async fn a_check_out_turns_the_host_off_and_a_new_authenticate_makes_it_pending(db: Db) {
    let server = MdmServer::new(&db);
    let device = server.device();
    server.enroll(&device, MDM).await;
    server.checkin(&device, MDM, &device.check_out()).await;
    let host = only_host(&server).await;
    assert_eq!(host.mdm_enrollment_status, MdmEnrollmentStatus::Off);

    server.checkin(&device, MDM, &device.authenticate()).await;
    let again = only_host(&server).await;
    assert_eq!(again.id, host.id, "the same host, not a second one");
    assert_eq!(again.mdm_enrollment_status, MdmEnrollmentStatus::Pending);
    assert_eq!(again.apple_manual_enrollment_id, None);
}

async fn a_device_information_answer_updates_the_host(db: Db) {
    let server = MdmServer::new(&db);
    let mut device = server.device();
    server.enroll(&device, MDM).await;
    let command = nanomdm::testing::command(
        "B1F1E2B0-0000-4000-8000-000000000001",
        "DeviceInformation",
        0,
    );
    server
        .store
        .enqueue_command(&[EnrollmentId::new(device.udid.clone())], &command)
        .await
        .unwrap();
    let served = server.report(&device, MDM, &device.idle()).await;
    let mut answer = device
        .answer(served.body(), &AnswerPolicy::always_acknowledge())
        .unwrap();
    let responses = answer
        .get_mut("QueryResponses")
        .and_then(Value::as_dictionary_mut)
        .unwrap();
    responses.insert("DeviceName".to_owned(), "Renamed Mac".into());
    responses.insert("OSVersion".to_owned(), "15.2".into());
    responses.insert("ProductName".to_owned(), "Mac15,3".into());
    server.report(&device, MDM, &answer).await;

    let host = only_host(&server).await;
    assert_eq!(host.hostname, "Renamed Mac");
    assert_eq!(host.os_version, "15.2");
    assert_eq!(host.hardware_model, "Mac15,3");
    assert_eq!(host.hardware_serial, device.serial_number);
    assert_eq!(host.mdm_enrollment_status, MdmEnrollmentStatus::OnManual);
}

async fn a_user_channel_check_in_adds_no_host_and_keeps_the_device_status(db: Db) {
    let server = MdmServer::new(&db);
    let device = server.device();
    server.enroll(&device, MDM).await;
    let user = device.user_token_update("A1B2C3D4-0000-4000-8000-00000000000F", "alice");
    server.checkin(&device, MDM, &user).await;
    let host = only_host(&server).await;
    assert_eq!(host.uuid, device.udid);
    assert_eq!(host.mdm_enrollment_status, MdmEnrollmentStatus::OnManual);
}

async fn a_device_with_a_known_serial_and_a_new_udid_keeps_its_host(db: Db) {
    let server = MdmServer::new(&db);
    let first = server.device();
    server.enroll(&first, MDM).await;
    let before = only_host(&server).await;

    let mut reinstalled = server.device();
    reinstalled.serial_number = first.serial_number.clone();
    server.enroll(&reinstalled, MDM).await;
    let after = only_host(&server).await;
    assert_eq!(after.id, before.id);
    assert_eq!(after.uuid, reinstalled.udid);
    assert_eq!(
        after.nano_enrollment_id.as_deref(),
        Some(reinstalled.udid.as_str())
    );
}

async fn an_unknown_or_malformed_enrollment_id_is_recorded_as_none(db: Db) {
    let server = MdmServer::new(&db);
    let (one, two) = (server.device(), server.device());
    server
        .enroll(&one, &format!("{MDM}?enrollment_id=999"))
        .await;
    server.enroll(&two, &format!("{MDM}?enrollment_id=x")).await;
    let hosts = server
        .hosts
        .list(&HostListOptions::default())
        .await
        .unwrap();
    assert_eq!(hosts.len(), 2);
    assert!(hosts.iter().all(|h| h.apple_manual_enrollment_id.is_none()));
}

async fn deleting_an_enrollment_keeps_its_hosts_without_it(db: Db) {
    let enrollments = ManualEnrollments::new(db.clone());
    let enrollment = enrollments.create("Lab", Some("{\"a\":1}")).await.unwrap();
    let server = MdmServer::new(&db);
    let device = server.device();
    server
        .enroll(&device, &format!("{MDM}?enrollment_id={}", enrollment.id))
        .await;
    enrollments.delete(enrollment.id).await.unwrap();
    let host = only_host(&server).await;
    assert_eq!(host.apple_manual_enrollment_id, None);
    assert_eq!(host.mdm_enrollment_status, MdmEnrollmentStatus::OnManual);
}

/// Three enrolled hosts named `mac-a`, `mac-b`, `ipad`, the last checked out.
async fn three_hosts(server: &MdmServer) -> Vec<Device> {
    let mut devices = Vec::new();
    for name in ["mac-b", "mac-a", "ipad_1%"] {
        let device = server.device();
        let mut authenticate = device.authenticate();
        authenticate.insert("DeviceName".to_owned(), name.into());
        if name.starts_with("ipad") {
            authenticate.insert("ProductName".to_owned(), "iPad13,1".into());
        }
        server.checkin(&device, MDM, &authenticate).await;
        server.checkin(&device, MDM, &device.token_update()).await;
        devices.push(device);
    }
    server
        .checkin(&devices[2], MDM, &devices[2].check_out())
        .await;
    devices
}

async fn hosts_are_listed_filtered_searched_ordered_and_paged(db: Db) {
    let server = MdmServer::new(&db);
    let devices = three_hosts(&server).await;
    let names = |hosts: Vec<Host>| hosts.into_iter().map(|h| h.hostname).collect::<Vec<_>>();
    let list = |options: HostListOptions| {
        let hosts = server.hosts.clone();
        async move { names(hosts.list(&options).await.unwrap()) }
    };

    assert_eq!(
        list(HostListOptions::default()).await,
        ["mac-b", "mac-a", "ipad_1%"]
    );
    let by_name = HostListOptions {
        order_key: HostOrderKey::Hostname,
        ..HostListOptions::default()
    };
    assert_eq!(list(by_name.clone()).await, ["ipad_1%", "mac-a", "mac-b"]);
    let descending = HostListOptions {
        descending: true,
        ..by_name.clone()
    };
    assert_eq!(list(descending).await, ["mac-b", "mac-a", "ipad_1%"]);
    let page = HostListOptions {
        limit: Some(1),
        offset: 1,
        ..by_name.clone()
    };
    assert_eq!(list(page).await, ["mac-a"]);
    let enrolled = HostListOptions {
        statuses: Some(vec![MdmEnrollmentStatus::OnManual]),
        ..by_name.clone()
    };
    assert_eq!(list(enrolled).await, ["mac-a", "mac-b"]);
    let off = HostListOptions {
        statuses: Some(vec![MdmEnrollmentStatus::Off]),
        ..by_name.clone()
    };
    assert_eq!(list(off).await, ["ipad_1%"]);
    let search = |query: &str| HostListOptions {
        query: Some(query.to_owned()),
        ..by_name.clone()
    };
    assert_eq!(
        list(search("MAC-")).await.len(),
        2,
        "case-insensitive on both backends"
    );
    assert_eq!(
        list(search("_1%")).await,
        ["ipad_1%"],
        "wildcards are literal"
    );
    assert!(list(search("c_a")).await.is_empty(), "_ is not a wildcard");
    assert_eq!(list(search(&devices[0].serial_number)).await, ["mac-b"]);
    assert_eq!(list(search(&devices[1].udid[..8])).await, ["mac-a"]);

    let ipad = server
        .hosts
        .by_uuid(&devices[2].udid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ipad.platform, "ipados");
    server.hosts.delete(ipad.id).await.unwrap();
    assert!(server.hosts.get(ipad.id).await.unwrap().is_none());
    assert!(server.hosts.delete(ipad.id).await.is_err());
}

on_both_backends! {
    an_enrolling_device_becomes_a_pending_then_manually_enrolled_host
        => super::an_enrolling_device_becomes_a_pending_then_manually_enrolled_host;
    a_check_out_turns_the_host_off_and_a_new_authenticate_makes_it_pending
        => super::a_check_out_turns_the_host_off_and_a_new_authenticate_makes_it_pending;
    a_device_information_answer_updates_the_host
        => super::a_device_information_answer_updates_the_host;
    a_user_channel_check_in_adds_no_host_and_keeps_the_device_status
        => super::a_user_channel_check_in_adds_no_host_and_keeps_the_device_status;
    a_device_with_a_known_serial_and_a_new_udid_keeps_its_host
        => super::a_device_with_a_known_serial_and_a_new_udid_keeps_its_host;
    an_unknown_or_malformed_enrollment_id_is_recorded_as_none
        => super::an_unknown_or_malformed_enrollment_id_is_recorded_as_none;
    deleting_an_enrollment_keeps_its_hosts_without_it
        => super::deleting_an_enrollment_keeps_its_hosts_without_it;
    hosts_are_listed_filtered_searched_ordered_and_paged
        => super::hosts_are_listed_filtered_searched_ordered_and_paged;
}
