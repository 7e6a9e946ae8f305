//! `scep`'s depot conformance suite on [`ScepDepot`], on SQLite and on
//! MySQL, and the duplicate-subject rule under concurrent enrollments.

use std::sync::Arc;

use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use fleet_server::db::{Db, DbConfig};
use fleet_server::store::ScepDepot;
use scep::depot::Depot;
use scep::signer::{DuplicateSubjects, IssuancePolicy};

mod sqlite {
    scep::depot_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        let ca = scep::testing::test_ca();
        crate::shared(fleet_server::store::ScepDepot::new(db, ca), dir)
    });
}

mod mysql {
    scep::depot_conformance!({
        let Some((db, test_db)) = crate::mysql_db("scep_conformance").await else {
            return;
        };
        let ca = scep::testing::test_ca();
        crate::shared(fleet_server::store::ScepDepot::new(db, ca), test_db)
    });
}

/// Fleet's policy: duplicates refused outside a 14-day renewal window.
fn rejecting(db: Db) -> ScepDepot {
    let policy = IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::RejectUnlessRenewing,
        ..IssuancePolicy::default()
    };
    ScepDepot::new(db, scep::testing::test_ca()).with_issuance_policy(&policy)
}

/// A certificate for `subject` valid `days` days, with the depot's next
/// serial.
async fn issue(depot: &dyn Depot, subject: &str, days: u32) -> Certificate {
    let ca = depot.ca().await.unwrap();
    let mut profile = CertificateProfile::new(days).unwrap();
    profile.serial = depot.next_serial().await.unwrap();
    let issuer = Issuer {
        certificate: Some(&ca.certificate),
        key: ca.key.as_ref(),
    };
    cert::issue(
        subject.parse().unwrap(),
        ca.key.public_key(),
        &profile,
        issuer,
    )
    .unwrap()
}

/// Two first enrollments of one subject race: both signers found no
/// certificate for it, and both put theirs at once. One put must fail.
/// Raced for several subjects, each on a depot with a new pool (new
/// connections interleave differently from warm ones).
async fn only_one_of_two_simultaneous_first_enrollments_is_stored(config: DbConfig) {
    for n in 0..12 {
        let depot = rejecting(Db::open(&config).unwrap());
        let subject = format!("CN=racing device {n},O=fleet");
        let first = issue(&depot, &subject, 365).await;
        let second = issue(&depot, &subject, 365).await;
        let depot = rejecting(Db::open(&config).unwrap());
        let name = &first.tbs_certificate.subject;
        let (a, b) = tokio::join!(depot.put(&first), depot.put(&second));
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one put succeeds: {a:?} {b:?}"
        );
        let stored = depot.find_by_subject(name).await.unwrap();
        assert_eq!(stored.len(), 1, "one certificate for the subject");
    }
}

/// A renewal (old certificate in its window), then revocation of the old
/// one, is allowed; a second renewal racing with it is not; and after the
/// new certificate is revoked the subject may enroll again.
async fn a_subject_in_its_renewal_window_renews_once_and_enrolls_again_after_revocation(
    depot: Arc<ScepDepot>,
) {
    let subject = "CN=renewing device";
    let old = issue(depot.as_ref(), subject, 7).await;
    depot.put(&old).await.unwrap();
    let early = issue(depot.as_ref(), subject, 365).await;
    depot.put(&early).await.unwrap();
    let racing = issue(depot.as_ref(), subject, 365).await;
    let refused = depot.put(&racing).await.unwrap_err();
    assert!(
        refused.to_string().contains("valid certificate"),
        "{refused}"
    );
    depot
        .revoke(
            old.tbs_certificate.serial_number.as_bytes(),
            std::time::SystemTime::now(),
        )
        .await
        .unwrap();
    depot
        .revoke(
            early.tbs_certificate.serial_number.as_bytes(),
            std::time::SystemTime::now(),
        )
        .await
        .unwrap();
    let again = issue(depot.as_ref(), subject, 365).await;
    depot.put(&again).await.unwrap();
    let other = issue(depot.as_ref(), "CN=other device", 365).await;
    depot.put(&other).await.unwrap();
}

#[tokio::test]
async fn sqlite_only_one_of_two_simultaneous_first_enrollments_is_stored() {
    let (_db, dir) = crate::sqlite_db().await;
    let config = DbConfig::sqlite(dir.path().join("fleet.sqlite3"));
    only_one_of_two_simultaneous_first_enrollments_is_stored(config).await;
}

#[tokio::test]
async fn mysql_only_one_of_two_simultaneous_first_enrollments_is_stored() {
    let Some((_db, test_db)) = crate::mysql_db("scep_simultaneous_first").await else {
        return;
    };
    let config = DbConfig::mysql(test_db.url());
    only_one_of_two_simultaneous_first_enrollments_is_stored(config).await;
}

#[tokio::test]
async fn sqlite_a_subject_in_its_renewal_window_renews_once_and_enrolls_again_after_revocation() {
    let (db, _dir) = crate::sqlite_db().await;
    let depot = Arc::new(rejecting(db));
    a_subject_in_its_renewal_window_renews_once_and_enrolls_again_after_revocation(depot).await;
}

#[tokio::test]
async fn mysql_a_subject_in_its_renewal_window_renews_once_and_enrolls_again_after_revocation() {
    let Some((db, _test_db)) = crate::mysql_db("scep_renews_once").await else {
        return;
    };
    let depot = Arc::new(rejecting(db));
    a_subject_in_its_renewal_window_renews_once_and_enrolls_again_after_revocation(depot).await;
}

#[tokio::test]
async fn a_reopened_sqlite_depot_never_repeats_a_serial_and_keeps_its_certificates() {
    let (db, dir) = crate::sqlite_db().await;
    let path = dir.path().join("fleet.sqlite3");
    let depot: Arc<dyn Depot> = Arc::new(ScepDepot::new(db, scep::testing::test_ca()));
    scep::testing::conformance::a_reopened_depot_never_repeats_a_serial_and_keeps_its_certificates(
        depot,
        || async move {
            let db = Db::open(&DbConfig::sqlite(path)).unwrap();
            Arc::new(ScepDepot::new(db, scep::testing::test_ca())) as Arc<dyn Depot>
        },
    )
    .await;
}

#[tokio::test]
async fn a_reopened_mysql_depot_never_repeats_a_serial_and_keeps_its_certificates() {
    let Some((db, test_db)) = crate::mysql_db("scep_reopened").await else {
        return;
    };
    let url = test_db.url().to_owned();
    let depot: Arc<dyn Depot> = Arc::new(ScepDepot::new(db, scep::testing::test_ca()));
    scep::testing::conformance::a_reopened_depot_never_repeats_a_serial_and_keeps_its_certificates(
        depot,
        || async move {
            let db = Db::open(&DbConfig::mysql(url)).unwrap();
            Arc::new(ScepDepot::new(db, scep::testing::test_ca())) as Arc<dyn Depot>
        },
    )
    .await;
}
