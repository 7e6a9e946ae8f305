//! `scep`'s [`Depot`] on the database, in the `scep_serials` and
//! `scep_certificates` tables of jessepeterson/mysqlscepserver (as Fleet
//! used them; differences in the migration's comments).
//!
//! The CA certificate and key are not stored: the server reads them from
//! the environment and hands them to [`ScepDepot::new`].

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_lc_rs::digest::{SHA256, digest};
use cryptoutil::cert::{self, Certificate};
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::der::Encode;
use cryptoutil::x509_cert::name::Name;
use diesel::dsl::now;
use diesel::{BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use scep::BoxError;
use scep::depot::{Depot, Identity, IssuedCertificate, serial_bytes};
use scep::signer::{DuplicateSubjects, IssuancePolicy};

use crate::db::{Db, transaction, with_conn};
use crate::schema::{scep_certificates as c, scep_serials as s};
use crate::store::{Failure, conflict_on_duplicate, from_unix_seconds, unix_seconds};

/// A SCEP CA depot on MySQL or SQLite. Port of mysqlscepserver's depot.
///
/// Serials come from `scep_serials`' auto-increment (never repeated, also
/// across restarts and replicas; 1 is the CA's). Serials are 63-bit: a
/// certificate with a larger serial cannot be stored, and lookups of one
/// find nothing.
///
/// With [`with_issuance_policy`](Self::with_issuance_policy) given a policy
/// that rejects duplicate subjects, `put` itself refuses a certificate
/// whose subject already holds a live certificate outside the renewal
/// window, under a unique key: [`scep::signer::CaSigner`] checks with
/// `find_by_subject` before it issues, but two simultaneous enrollments of
/// one subject both pass that check, and only the database can stop the
/// second.
#[derive(Debug, Clone)]
pub struct ScepDepot {
    db: Db,
    ca: Identity,
    /// The renewal window when duplicate subjects are rejected at `put`.
    unique_subjects: Option<Duration>,
}

impl ScepDepot {
    /// A depot on `db` (migrated, [`crate::db::prepare_db`]) issuing from
    /// `ca`. It stores any number of live certificates per subject.
    pub fn new(db: Db, ca: Identity) -> Self {
        Self {
            db,
            ca,
            unique_subjects: None,
        }
    }

    /// The same depot enforcing `policy`'s duplicate-subject rule at `put`
    /// (give it the policy the signer uses).
    #[must_use]
    pub fn with_issuance_policy(mut self, policy: &IssuancePolicy) -> Self {
        self.unique_subjects = match policy.duplicate_subjects {
            DuplicateSubjects::Allow => None,
            DuplicateSubjects::RejectUnlessRenewing => Some(Duration::from_secs(
                u64::from(policy.allow_renew_days) * 86_400,
            )),
        };
        self
    }
}

/// The `scep_certificates` columns a lookup reads.
type Row = (String, Option<i64>);

/// What `put` writes, computed before the transaction.
struct NewCertificate {
    serial: i64,
    name: String,
    subject: Name,
    subject_sha256: String,
    not_valid_before: i64,
    not_valid_after: i64,
    pem: String,
}

impl NewCertificate {
    fn of(certificate: &Certificate) -> Result<Self, Failure> {
        let tbs = &certificate.tbs_certificate;
        let serial = serial_number(tbs.serial_number.as_bytes()).ok_or_else(|| {
            Failure::Invalid("a certificate whose serial is not a positive 63-bit number".into())
        })?;
        let subject_der = tbs
            .subject
            .to_der()
            .map_err(|e| Failure::Invalid(format!("a certificate subject: {e}")))?;
        let pem = cert::to_pem(certificate)
            .map_err(|e| Failure::Invalid(format!("a certificate: {e}")))?;
        Ok(Self {
            serial,
            name: common_name(&tbs.subject),
            subject: tbs.subject.clone(),
            subject_sha256: hex(digest(&SHA256, &subject_der).as_ref()),
            not_valid_before: unix_seconds(tbs.validity.not_before.to_system_time()),
            not_valid_after: unix_seconds(tbs.validity.not_after.to_system_time()),
            pem,
        })
    }
}

/// The `name` column of `subject`: its common name, or '' without one.
fn common_name(subject: &Name) -> String {
    cert::name_attribute(subject, rfc4519::CN).unwrap_or_default()
}

/// The big-endian INTEGER contents `bytes` as a positive `i64`, if it is
/// one.
fn serial_number(bytes: &[u8]) -> Option<i64> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let first = bytes.iter().position(|b| *b != 0)?;
    let digits = &bytes[first..];
    let mut padded = [0u8; 8];
    padded
        .get_mut(8usize.checked_sub(digits.len())?..)?
        .copy_from_slice(digits);
    let n = i64::from_be_bytes(padded);
    (n > 0).then_some(n)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored row as the certificate it holds.
fn issued((pem, revoked_at): Row) -> Result<IssuedCertificate, Failure> {
    let certificate = cert::from_pem(&pem)
        .ok()
        .and_then(|mut certs| (certs.len() == 1).then(|| certs.remove(0)))
        .ok_or_else(|| Failure::Corrupt("scep_certificates.certificate_pem".into()))?;
    Ok(IssuedCertificate {
        certificate,
        revoked_at: revoked_at.map(from_unix_seconds),
    })
}

fn issued_all(rows: Vec<Row>) -> Result<Vec<IssuedCertificate>, Failure> {
    rows.into_iter().map(issued).collect()
}

/// Refuses `new` when its subject holds a live certificate outside the
/// renewal `window`; else hands the subject's `live_subject` key over to
/// `new` (a concurrent put of the same subject then fails on that key).
///
/// The key is taken only from the rows this check approved and from
/// expired ones. On MySQL the check is a snapshot read but the UPDATE sees
/// the latest rows: clearing every row with the key would also clear a
/// certificate that a concurrent put committed after the snapshot, and
/// both puts would pass.
macro_rules! claim_subject {
    ($conn:ident, $new:expr, $window:expr) => {{
        let new: &NewCertificate = $new;
        let window: Duration = $window;
        let checked_at = SystemTime::now();
        let rows: Vec<(i64, String, Option<i64>)> = c::table
            .filter(c::name.eq(&new.name))
            .filter(c::revoked.eq(false))
            .filter(c::not_valid_after.gt(unix_seconds(checked_at)))
            .select((c::serial, c::certificate_pem, c::revoked_at))
            .load($conn)
            .await?;
        let mut approved = Vec::new();
        for (serial, pem, revoked_at) in rows {
            let existing = issued((pem, revoked_at))?;
            let tbs = &existing.certificate.tbs_certificate;
            if tbs.subject != new.subject {
                continue;
            }
            let not_after = tbs.validity.not_after.to_system_time();
            if !window.is_zero() && checked_at + window < not_after {
                return Err(Failure::Conflict(
                    "the subject already has a valid certificate".into(),
                ));
            }
            approved.push(serial);
        }
        diesel::update(
            c::table
                .filter(c::live_subject.eq(&new.subject_sha256))
                .filter(
                    c::serial
                        .eq_any(&approved)
                        .or(c::not_valid_after.le(unix_seconds(checked_at))),
                ),
        )
        .set(c::live_subject.eq(None::<String>))
        .execute($conn)
        .await?;
    }};
}

impl ScepDepot {
    async fn allocate(&self) -> Result<Vec<u8>, Failure> {
        let last_id = if self.db.is_mysql() {
            "SELECT LAST_INSERT_ID() AS serial"
        } else {
            "SELECT last_insert_rowid() AS serial"
        };
        let serial: i64 = with_conn!(self.db, conn => {
            diesel::insert_into(s::table)
                .values(s::created_at.eq(now))
                .execute(conn)
                .await?;
            diesel::sql_query(last_id)
                .get_result::<LastId>(conn)
                .await?
                .serial
        });
        let serial = u128::try_from(serial)
            .map_err(|_| Failure::Corrupt(format!("scep_serials gave serial {serial}")))?;
        Ok(serial_bytes(serial))
    }

    async fn store(&self, certificate: &Certificate) -> Result<(), Failure> {
        let new = &NewCertificate::of(certificate)?;
        let window = self.unique_subjects;
        transaction!(self.db, conn => {
            if let Some(window) = window {
                claim_subject!(conn, new, window);
            }
            diesel::insert_into(c::table)
                .values((
                    c::serial.eq(new.serial),
                    c::name.eq(&new.name),
                    c::not_valid_before.eq(new.not_valid_before),
                    c::not_valid_after.eq(new.not_valid_after),
                    c::certificate_pem.eq(&new.pem),
                    c::live_subject.eq(window.map(|_| new.subject_sha256.as_str())),
                ))
                .execute(conn)
                .await
                .map_err(|e| {
                    conflict_on_duplicate(e, "a certificate with this serial or this live subject")
                })?;
            Ok::<_, Failure>(())
        })
    }

    async fn mark_revoked(&self, serial: &[u8], at: SystemTime) -> Result<bool, Failure> {
        let Some(serial) = serial_number(serial) else {
            return Ok(false);
        };
        let at = unix_seconds(at);
        transaction!(self.db, conn => {
            let revoked_at: Option<Option<i64>> = c::table
                .find(serial)
                .select(c::revoked_at)
                .first(conn)
                .await
                .optional()?;
            match revoked_at {
                None => Ok::<_, Failure>(false),
                Some(Some(_)) => Ok(true),
                Some(None) => {
                    diesel::update(c::table.find(serial))
                        .set((
                            c::revoked.eq(true),
                            c::revoked_at.eq(at),
                            c::live_subject.eq(None::<String>),
                        ))
                        .execute(conn)
                        .await?;
                    Ok(true)
                }
            }
        })
    }

    async fn by_serial(&self, serial: &[u8]) -> Result<Option<IssuedCertificate>, Failure> {
        let Some(serial) = serial_number(serial) else {
            return Ok(None);
        };
        let row: Option<Row> = with_conn!(self.db, conn => {
            c::table
                .find(serial)
                .select((c::certificate_pem, c::revoked_at))
                .first(conn)
                .await
                .optional()?
        });
        row.map(issued).transpose()
    }

    async fn by_subject(&self, subject: &Name) -> Result<Vec<IssuedCertificate>, Failure> {
        let name = common_name(subject);
        let rows: Vec<Row> = with_conn!(self.db, conn => {
            c::table
                .filter(c::name.eq(&name))
                .order(c::seq.asc())
                .select((c::certificate_pem, c::revoked_at))
                .load(conn)
                .await?
        });
        // The name column holds the CN only: compare whole subjects here.
        let mut found = issued_all(rows)?;
        found.retain(|i| &i.certificate.tbs_certificate.subject == subject);
        Ok(found)
    }

    async fn all(&self) -> Result<Vec<IssuedCertificate>, Failure> {
        let rows: Vec<Row> = with_conn!(self.db, conn => {
            c::table
                .order(c::seq.asc())
                .select((c::certificate_pem, c::revoked_at))
                .load(conn)
                .await?
        });
        issued_all(rows)
    }
}

/// The row of `SELECT LAST_INSERT_ID()` / `last_insert_rowid()`.
#[derive(diesel::QueryableByName)]
struct LastId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    serial: i64,
}

#[async_trait]
impl Depot for ScepDepot {
    async fn ca(&self) -> Result<Identity, BoxError> {
        Ok(self.ca.clone())
    }

    async fn next_serial(&self) -> Result<Vec<u8>, BoxError> {
        Ok(self.allocate().await?)
    }

    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError> {
        Ok(self.store(certificate).await?)
    }

    async fn revoke(&self, serial: &[u8], at: SystemTime) -> Result<bool, BoxError> {
        Ok(self.mark_revoked(serial, at).await?)
    }

    async fn find_by_serial(&self, serial: &[u8]) -> Result<Option<IssuedCertificate>, BoxError> {
        Ok(self.by_serial(serial).await?)
    }

    async fn find_by_subject(&self, subject: &Name) -> Result<Vec<IssuedCertificate>, BoxError> {
        Ok(self.by_subject(subject).await?)
    }

    async fn list(&self) -> Result<Vec<IssuedCertificate>, BoxError> {
        Ok(self.all().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::serial_number;

    #[test]
    fn serials_read_as_positive_63_bit_numbers_only() {
        assert_eq!(serial_number(&[2]), Some(2));
        assert_eq!(serial_number(&[0, 0x80]), Some(0x80));
        assert_eq!(serial_number(&[0x7f; 8]), Some(0x7f7f_7f7f_7f7f_7f7f));
        assert_eq!(serial_number(&[0x7f; 9]), None, "too large");
        assert_eq!(serial_number(&[0x80]), None, "negative");
        assert_eq!(serial_number(&[0]), None, "zero");
        assert_eq!(serial_number(&[]), None, "empty");
    }
}
