//! One function per sentence of the [`Depot`] contract. Each panics (with a
//! message naming the broken sentence) when the depot breaks it.
//!
//! Every function expects a fresh, empty depot. Certificates are issued by
//! the depot's own CA, with serials from the depot. Revocation times are
//! whole seconds, which every store can keep exactly.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::x509_cert::name::Name;

use crate::depot::{Depot, IssuedCertificate};

/// How many serials the sequential serial checks allocate: enough to cross
/// 0x80 and 0x100 when counting up from 2.
const SERIALS: usize = 300;
/// How many concurrent `next_serial` calls are made.
const CONCURRENT: usize = 200;

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn name(subject: &str) -> Name {
    subject.parse().expect("a valid subject")
}

/// Issues a certificate for `subject` from the depot's CA with `serial`.
async fn issue_with_serial(depot: &dyn Depot, subject: &str, serial: Vec<u8>) -> Certificate {
    let ca = depot.ca().await.expect("ca succeeds");
    let mut profile = CertificateProfile::new(30).expect("a profile");
    profile.serial = serial;
    let issuer = Issuer {
        certificate: Some(&ca.certificate),
        key: ca.key.as_ref(),
    };
    cert::issue(name(subject), ca.key.public_key(), &profile, issuer).expect("the CA issues")
}

/// Issues a certificate for `subject` with the depot's next serial.
async fn issue(depot: &dyn Depot, subject: &str) -> Certificate {
    let serial = depot.next_serial().await.expect("next_serial succeeds");
    issue_with_serial(depot, subject, serial).await
}

/// Issues and stores a certificate for `subject`.
async fn put_new(depot: &dyn Depot, subject: &str) -> Certificate {
    let certificate = issue(depot, subject).await;
    depot.put(&certificate).await.expect("put succeeds");
    certificate
}

fn serial_of(certificate: &Certificate) -> &[u8] {
    certificate.tbs_certificate.serial_number.as_bytes()
}

fn certificates(issued: &[IssuedCertificate]) -> Vec<&Certificate> {
    issued.iter().map(|i| &i.certificate).collect()
}

/// Polls every future on the caller's task until all are done and returns
/// their outputs in order (a `join_all` without dependencies, so that the
/// calls are in flight together on any runtime).
async fn join_all<'a, T>(futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// `ca` returns the same identity on every call.
pub async fn ca_returns_the_same_identity_on_every_call(depot: Arc<dyn Depot>) {
    let first = depot.ca().await.expect("ca succeeds");
    let certified = cert::public_key(&first.certificate).expect("the CA key is readable");
    assert_eq!(
        first.key.public_key(),
        &certified,
        "the CA key belongs to the CA certificate"
    );
    for _ in 0..3 {
        let again = depot.ca().await.expect("ca succeeds");
        assert_eq!(
            again.certificate, first.certificate,
            "ca returns the same certificate"
        );
        assert_eq!(
            again.key.public_key(),
            first.key.public_key(),
            "ca returns the same key"
        );
    }
}

/// `next_serial` never returns the same serial twice.
pub async fn next_serial_never_returns_the_same_serial_twice(depot: Arc<dyn Depot>) {
    let mut seen = HashSet::new();
    for _ in 0..SERIALS {
        let serial = depot.next_serial().await.expect("next_serial succeeds");
        assert!(
            seen.insert(serial.clone()),
            "serial {serial:02x?} was returned twice"
        );
    }
}

/// `next_serial` never returns the same serial twice under concurrent calls.
pub async fn next_serial_never_returns_the_same_serial_twice_under_concurrent_calls(
    depot: Arc<dyn Depot>,
) {
    let calls = (0..CONCURRENT).map(|_| depot.next_serial()).collect();
    let serials: HashSet<_> = join_all(calls)
        .await
        .into_iter()
        .map(|s| s.expect("next_serial succeeds"))
        .collect();
    assert_eq!(
        serials.len(),
        CONCURRENT,
        "concurrent calls return distinct serials"
    );
}

/// `next_serial` never returns the CA's own serial (1).
pub async fn next_serial_never_returns_the_ca_serial(depot: Arc<dyn Depot>) {
    for _ in 0..SERIALS {
        let serial = depot.next_serial().await.expect("next_serial succeeds");
        assert_ne!(serial, [1], "serial 1 belongs to the CA");
    }
}

/// `next_serial` returns positive big-endian bytes without superfluous
/// leading zeros.
pub async fn next_serial_returns_positive_big_endian_bytes_without_superfluous_zeros(
    depot: Arc<dyn Depot>,
) {
    for _ in 0..SERIALS {
        let serial = depot.next_serial().await.expect("next_serial succeeds");
        assert!(!serial.is_empty(), "a serial has at least one byte");
        assert!(
            serial.len() <= 20,
            "a serial has at most 20 bytes: {serial:02x?}"
        );
        assert_eq!(serial[0] & 0x80, 0, "serial {serial:02x?} is negative");
        let superfluous = serial.len() > 1 && serial[0] == 0 && serial[1] & 0x80 == 0;
        assert!(
            !superfluous,
            "serial {serial:02x?} has a superfluous leading zero"
        );
        assert!(serial.iter().any(|b| *b != 0), "serial 0 is not positive");
    }
}

/// A certificate passed to `put` is returned, not revoked, by
/// `find_by_serial`, by `find_by_subject` with its exact subject, and by
/// `list`.
pub async fn a_put_certificate_is_found_by_serial_by_subject_and_in_the_list_not_revoked(
    depot: Arc<dyn Depot>,
) {
    assert!(
        depot.list().await.expect("list succeeds").is_empty(),
        "a new depot is empty"
    );
    let certificate = put_new(depot.as_ref(), "CN=conformance device,O=scep").await;
    let expected = IssuedCertificate {
        certificate: certificate.clone(),
        revoked_at: None,
    };
    let by_serial = depot.find_by_serial(serial_of(&certificate)).await;
    assert_eq!(
        by_serial.expect("find_by_serial succeeds"),
        Some(expected.clone())
    );
    let by_subject = depot
        .find_by_subject(&certificate.tbs_certificate.subject)
        .await;
    let by_subject = by_subject.expect("find_by_subject succeeds");
    assert_eq!(by_subject, std::slice::from_ref(&expected));
    assert_eq!(depot.list().await.expect("list succeeds"), [expected]);
    let unknown = depot.find_by_serial(&[0x7f, 0x7f, 0x7f]).await;
    assert_eq!(
        unknown.expect("find_by_serial succeeds"),
        None,
        "unknown serials are not found"
    );
}

/// `list` returns certificates in the order they were put.
pub async fn list_returns_certificates_in_the_order_they_were_put(depot: Arc<dyn Depot>) {
    // Put in another order than the serials were allocated in.
    let first = issue(depot.as_ref(), "CN=first").await;
    let second = issue(depot.as_ref(), "CN=second").await;
    let third = issue(depot.as_ref(), "CN=third").await;
    for certificate in [&third, &first, &second] {
        depot.put(certificate).await.expect("put succeeds");
    }
    let listed = depot.list().await.expect("list succeeds");
    assert_eq!(
        certificates(&listed),
        [&third, &first, &second],
        "list is in put order"
    );
    let again = put_new(depot.as_ref(), "CN=first").await;
    let by_subject = depot.find_by_subject(&name("CN=first")).await;
    let by_subject = by_subject.expect("find_by_subject succeeds");
    assert_eq!(certificates(&by_subject), [&first, &again], "oldest first");
}

/// `find_by_subject` matches the whole subject, never a suffix of it.
pub async fn find_by_subject_matches_the_whole_subject_never_a_suffix(depot: Arc<dyn Depot>) {
    let longer = put_new(depot.as_ref(), "CN=device,O=fleet").await;
    let shorter = put_new(depot.as_ref(), "CN=device").await;
    put_new(depot.as_ref(), "CN=device2").await;
    let found = |subject: &'static str| {
        let depot = depot.clone();
        async move {
            let found = depot.find_by_subject(&name(subject)).await;
            found.expect("find_by_subject succeeds")
        }
    };
    assert_eq!(
        certificates(&found("CN=device").await),
        [&shorter],
        "CN=device alone"
    );
    assert_eq!(certificates(&found("CN=device,O=fleet").await), [&longer]);
    assert!(
        found("O=fleet").await.is_empty(),
        "a part of a subject matches nothing"
    );
    assert!(
        found("CN=devic").await.is_empty(),
        "a prefix of a value matches nothing"
    );
}

/// `revoke` marks a stored certificate revoked at the given time and
/// returns true.
pub async fn revoke_marks_a_stored_certificate_revoked_at_the_given_time(depot: Arc<dyn Depot>) {
    let kept = put_new(depot.as_ref(), "CN=kept").await;
    let revoked = put_new(depot.as_ref(), "CN=revoked").await;
    let when = at(1_800_000_000);
    let result = depot.revoke(serial_of(&revoked), when).await;
    assert!(
        result.expect("revoke succeeds"),
        "revoke of a stored serial returns true"
    );
    let found = depot.find_by_serial(serial_of(&revoked)).await;
    let found = found
        .expect("find_by_serial succeeds")
        .expect("still stored");
    assert_eq!(found.revoked_at, Some(when), "revoked at the given time");
    let listed = depot.list().await.expect("list succeeds");
    let states: Vec<_> = listed
        .iter()
        .map(|i| (&i.certificate, i.revoked_at))
        .collect();
    assert_eq!(
        states,
        [(&kept, None), (&revoked, Some(when))],
        "list shows revocation"
    );
    let by_subject = depot
        .find_by_subject(&revoked.tbs_certificate.subject)
        .await;
    let by_subject = by_subject.expect("find_by_subject succeeds");
    assert_eq!(
        by_subject[0].revoked_at,
        Some(when),
        "find_by_subject shows revocation"
    );
}

/// `revoke` returns false for an unknown serial.
pub async fn revoke_returns_false_for_an_unknown_serial(depot: Arc<dyn Depot>) {
    let stored = put_new(depot.as_ref(), "CN=stored").await;
    let result = depot.revoke(&[0x7f, 0x7f, 0x7f], at(1_800_000_000)).await;
    assert!(
        !result.expect("revoke succeeds"),
        "revoke of an unknown serial returns false"
    );
    let found = depot.find_by_serial(serial_of(&stored)).await;
    let found = found
        .expect("find_by_serial succeeds")
        .expect("still stored");
    assert_eq!(found.revoked_at, None, "other certificates stay valid");
}

/// Revoking twice keeps the first time.
pub async fn revoking_twice_keeps_the_first_time(depot: Arc<dyn Depot>) {
    let certificate = put_new(depot.as_ref(), "CN=twice").await;
    let serial = serial_of(&certificate);
    let (first, second) = (at(1_800_000_000), at(1_800_086_400));
    assert!(depot.revoke(serial, first).await.expect("revoke succeeds"));
    let again = depot.revoke(serial, second).await;
    assert!(
        again.expect("revoke succeeds"),
        "revoking again still returns true"
    );
    let found = depot.find_by_serial(serial).await;
    let found = found
        .expect("find_by_serial succeeds")
        .expect("still stored");
    assert_eq!(
        found.revoked_at,
        Some(first),
        "the first revocation time is kept"
    );
}

/// `put` of a serial already stored is an error and changes nothing.
pub async fn put_of_a_stored_serial_is_an_error_and_changes_nothing(depot: Arc<dyn Depot>) {
    let original = put_new(depot.as_ref(), "CN=original").await;
    let serial = serial_of(&original).to_vec();
    let impostor = issue_with_serial(depot.as_ref(), "CN=impostor", serial.clone()).await;
    assert!(
        depot.put(&impostor).await.is_err(),
        "put of a stored serial is an error"
    );
    assert!(
        depot.put(&original).await.is_err(),
        "put of the same certificate is an error"
    );
    let listed = depot.list().await.expect("list succeeds");
    assert_eq!(certificates(&listed), [&original], "the list is unchanged");
    let found = depot.find_by_serial(&serial).await;
    let found = found
        .expect("find_by_serial succeeds")
        .expect("still stored");
    assert_eq!(
        found.certificate, original,
        "find_by_serial still gives the original"
    );
    let by_subject = depot.find_by_subject(&name("CN=impostor")).await;
    assert!(
        by_subject.expect("find_by_subject succeeds").is_empty(),
        "no impostor stored"
    );
}

/// `next_serial` never returns the same serial twice across restarts of a
/// persistent depot, and a restarted depot keeps its certificates and CA.
///
/// Not part of [`depot_conformance!`](crate::depot_conformance): call it
/// with a fresh depot and a function that opens a second instance on the
/// same storage (after the first has been used).
pub async fn a_reopened_depot_never_repeats_a_serial_and_keeps_its_certificates<F, Fut>(
    depot: Arc<dyn Depot>,
    reopen: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Arc<dyn Depot>>,
{
    let stored = put_new(depot.as_ref(), "CN=before the restart").await;
    let mut seen = HashSet::from([serial_of(&stored).to_vec()]);
    for _ in 0..10 {
        seen.insert(depot.next_serial().await.expect("next_serial succeeds"));
    }
    let ca = depot.ca().await.expect("ca succeeds").certificate;
    let reopened = reopen().await;
    assert_eq!(
        reopened.ca().await.expect("ca succeeds").certificate,
        ca,
        "same CA"
    );
    for _ in 0..10 {
        let serial = reopened.next_serial().await.expect("next_serial succeeds");
        assert!(
            seen.insert(serial.clone()),
            "serial {serial:02x?} repeated after a restart"
        );
    }
    let listed = reopened.list().await.expect("list succeeds");
    assert_eq!(
        certificates(&listed),
        [&stored],
        "certificates survive a restart"
    );
}
