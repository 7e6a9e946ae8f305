//! device-sim against the example servers, as CI runs it: scep's
//! `scepserver` as the CA, nanomdm's `nanomdm` as the MDM server.

use crate::programs::{
    API_KEY, CHALLENGE, assert_success, device_sim, nanomdm, profile, scepserver,
};
use testkit::process::scratch;

/// device-sim's arguments to enroll `devices` (none: as many as the state
/// holds) and enqueue one DeviceInformation each, every one of which must
/// be answered.
fn enroll_args<'a>(
    profile: &'a str,
    state: &'a str,
    api: &'a str,
    devices: &'a str,
) -> Vec<&'a str> {
    let mut args = vec![
        "--profile",
        profile,
        "--state",
        state,
        "--concurrency",
        "8",
        "--api",
        api,
        "--api-key",
        API_KEY,
        "--enqueue",
        "DeviceInformation",
        "--expect-commands",
        "1",
    ];
    if !devices.is_empty() {
        args.extend(["--devices", devices]);
    }
    args
}

#[test]
fn a_hundred_devices_enroll_answer_device_information_and_reconnect_from_state() {
    let dir = scratch("sim-memory");
    let scep = scepserver(&dir);
    let mdm = nanomdm(&dir, "memory");
    let profile = profile(&dir, &scep, &mdm, CHALLENGE);
    let state = dir.join("state.json");
    let state = state.to_str().unwrap();

    let first = assert_success(&device_sim(&enroll_args(
        &profile,
        state,
        &mdm.announced,
        "100",
    )));
    assert!(
        first.contains("devices: 100 enrolled, 0 reconnected, 0 failed"),
        "{first}"
    );
    assert!(
        first.contains("commands: 100 answered: 100 Acknowledged, 0 NotNow, 0 Error"),
        "{first}"
    );
    // Each device: Authenticate, TokenUpdate, Idle, Acknowledged.
    assert!(first.contains("(400 MDM requests)"), "{first}");
    let issued = std::fs::read_to_string(dir.join("depot").join("index.txt")).unwrap();
    assert_eq!(issued.lines().count(), 100, "one certificate per device");

    // Nothing queued now: one Idle each, answered with an empty body.
    let second = assert_success(&device_sim(&[
        "--profile",
        &profile,
        "--state",
        state,
        "--rounds",
        "1",
    ]));
    assert!(
        second.contains("devices: 0 enrolled, 100 reconnected, 0 failed"),
        "{second}"
    );
    assert!(
        second.contains("connect: 1 rounds, 100 requests"),
        "{second}"
    );
    assert!(second.contains("commands: 0 answered"), "{second}");
    let issued = std::fs::read_to_string(dir.join("depot").join("index.txt")).unwrap();
    assert_eq!(issued.lines().count(), 100, "reconnecting enrolls nobody");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_store_enrollments_survive_a_server_restart() {
    let dir = scratch("sim-file");
    let scep = scepserver(&dir);
    let state = dir.join("state.json");
    let state = state.to_str().unwrap();
    {
        let mdm = nanomdm(&dir, "file");
        let profile = profile(&dir, &scep, &mdm, CHALLENGE);
        let first = assert_success(&device_sim(&enroll_args(
            &profile,
            state,
            &mdm.announced,
            "10",
        )));
        assert!(
            first.contains("devices: 10 enrolled, 0 reconnected, 0 failed"),
            "{first}"
        );
        assert!(
            first.contains("commands: 10 answered: 10 Acknowledged"),
            "{first}"
        );
    }
    // A new server process on the same files (and a new port, so a new
    // profile): it still knows the devices, their certificates and where
    // to queue their commands.
    let mdm = nanomdm(&dir, "file");
    let profile = profile(&dir, &scep, &mdm, CHALLENGE);
    let second = assert_success(&device_sim(&enroll_args(
        &profile,
        state,
        &mdm.announced,
        "",
    )));
    assert!(
        second.contains("devices: 0 enrolled, 10 reconnected, 0 failed"),
        "{second}"
    );
    assert!(
        second.contains("commands: 10 answered: 10 Acknowledged"),
        "{second}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wrong_challenge_fails_the_run_with_a_one_line_reason() {
    let dir = scratch("sim-challenge");
    let scep = scepserver(&dir);
    let mdm = nanomdm(&dir, "memory");
    let profile = profile(&dir, &scep, &mdm, "not-the-challenge");
    let run = device_sim(&["--profile", &profile, "--devices", "2"]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("devices: 0 enrolled, 0 reconnected, 2 failed"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: 2 of 2 devices failed; first: enrollment: SCEP PKCSReq"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn expect_commands_fails_when_nothing_was_queued() {
    let dir = scratch("sim-expect");
    let scep = scepserver(&dir);
    let mdm = nanomdm(&dir, "memory");
    let profile = profile(&dir, &scep, &mdm, CHALLENGE);
    let run = device_sim(&["--profile", &profile, "--expect-commands", "1"]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("devices: 1 enrolled, 0 reconnected, 0 failed"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("error: 1 of 1 devices answered fewer than 1 commands"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
