//! Check-ins, bootstrap tokens and push info: `nano_devices`, `nano_users`
//! and `nano_enrollments`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::dsl::{exists, now, sql};
use diesel::sql_types::{Nullable, Timestamp};
use diesel::{ExpressionMethods, NullableExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use nanomdm::protocol::checkin::{Authenticate, UserAuthenticate};
use nanomdm::protocol::enrollment::{Channel, EnrollmentId, EnrollmentType};
use nanomdm::store::{Enrollment, PushInfo};

use super::NanomdmStore;
use crate::db::{transaction, with_conn};
use crate::schema::{nano_devices as d, nano_enrollments as e, nano_users as u};
use crate::store::{Failure, text};

/// SQL NULL for a nullable timestamp column.
fn no_time() -> diesel::expression::SqlLiteral<Nullable<Timestamp>> {
    sql::<Nullable<Timestamp>>("NULL")
}

/// Inside a transaction: fails it with `NotFound` unless the device row
/// `$device_id` exists (nanomdm's foreign keys would fail it less clearly).
macro_rules! require_device {
    ($conn:ident, $device_id:expr) => {
        let known: bool = diesel::select(exists(d::table.find($device_id)))
            .get_result($conn)
            .await?;
        if !known {
            return Err(Failure::NotFound(format!(
                "device {} (no Authenticate)",
                $device_id
            )));
        }
    };
}

pub(super) use require_device;

/// An enrollment row: type, device ID, enabled, tally, topic, push magic,
/// token hex.
type EnrollmentRow = (String, String, bool, i32, String, String, String);

impl NanomdmStore {
    pub(super) async fn authenticate(
        &self,
        channel: &Channel,
        message: &Authenticate,
        raw: &[u8],
        identity: Option<&[u8]>,
    ) -> Result<(), Failure> {
        let id = channel.id.as_str();
        let raw = text(raw, "Authenticate message")?;
        let identity = identity.map(certificate_pem);
        let identity = identity.as_deref();
        let serial = message.serial_number.as_deref().filter(|s| !s.is_empty());
        transaction!(self.db, conn => {
            let known: bool = diesel::select(exists(d::table.find(id))).get_result(conn).await?;
            if known {
                diesel::update(d::table.find(id))
                    .set((
                        d::identity_cert.eq(identity),
                        d::serial_number.eq(serial),
                        d::authenticate.eq(raw),
                        d::authenticate_at.eq(now),
                        d::bootstrap_token_b64.eq(None::<&str>),
                        d::bootstrap_token_at.eq(no_time()),
                    ))
                    .execute(conn)
                    .await?;
            } else {
                diesel::insert_into(d::table)
                    .values((
                        d::id.eq(id),
                        d::identity_cert.eq(identity),
                        d::serial_number.eq(serial),
                        d::authenticate.eq(raw),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, Failure>(())
        })
    }

    pub(super) async fn user_authenticate(
        &self,
        channel: &Channel,
        message: &UserAuthenticate,
        raw: &[u8],
    ) -> Result<(), Failure> {
        let id = channel.id.as_str();
        let device_id = channel.device_id().as_str();
        let raw = text(raw, "UserAuthenticate message")?;
        let digest = message.is_digest_response();
        transaction!(self.db, conn => {
            require_device!(conn, device_id);
            let user: bool = diesel::select(exists(u::table.find((id, device_id))))
                .get_result(conn)
                .await?;
            if !user {
                diesel::insert_into(u::table)
                    .values((u::id.eq(id), u::device_id.eq(device_id)))
                    .execute(conn)
                    .await?;
            }
            let row = u::table.find((id, device_id));
            if digest {
                diesel::update(row)
                    .set((
                        u::user_authenticate_digest.eq(raw),
                        u::user_authenticate_digest_at.eq(now.nullable()),
                    ))
                    .execute(conn)
                    .await?;
            } else {
                diesel::update(row)
                    .set((
                        u::user_authenticate.eq(raw),
                        u::user_authenticate_at.eq(now.nullable()),
                    ))
                    .execute(conn)
                    .await?;
            }
            diesel::update(e::table.find(id))
                .set(e::last_seen_at.eq(now))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    pub(super) async fn disable_channel(&self, channel: &Channel) -> Result<(), Failure> {
        let id = channel.id.as_str();
        let reset = (
            e::enabled.eq(false),
            e::token_update_tally.eq(0),
            e::last_seen_at.eq(now),
        );
        with_conn!(self.db, conn => {
            if channel.is_user_channel() {
                diesel::update(e::table.filter(e::id.eq(id)))
                    .set(reset)
                    .execute(conn)
                    .await?;
            } else {
                // A device channel's own row has device_id = id too.
                diesel::update(e::table.filter(e::device_id.eq(id)))
                    .set(reset)
                    .execute(conn)
                    .await?;
            }
        });
        Ok(())
    }

    pub(super) async fn tally(&self, id: &EnrollmentId) -> Result<u32, Failure> {
        let tally: Option<i32> = with_conn!(self.db, conn => {
            e::table
                .find(id.as_str())
                .select(e::token_update_tally)
                .first(conn)
                .await
                .optional()?
        });
        Ok(tally.map_or(0, |t| u32::try_from(t).unwrap_or(0)))
    }

    pub(super) async fn load_enrollment(
        &self,
        id: &EnrollmentId,
    ) -> Result<Option<Enrollment>, Failure> {
        let row: Option<EnrollmentRow> = with_conn!(self.db, conn => {
            e::table
                .find(id.as_str())
                .select((
                    e::type_,
                    e::device_id,
                    e::enabled,
                    e::token_update_tally,
                    e::topic,
                    e::push_magic,
                    e::token_hex,
                ))
                .first(conn)
                .await
                .optional()?
        });
        row.map(|row| enrollment(id, row)).transpose()
    }

    pub(super) async fn set_bootstrap_token(
        &self,
        channel: &Channel,
        token: Option<&[u8]>,
    ) -> Result<(), Failure> {
        let device_id = channel.device_id().as_str();
        let encoded = token.filter(|t| !t.is_empty()).map(|t| STANDARD.encode(t));
        with_conn!(self.db, conn => {
            let row = d::table.find(device_id);
            match &encoded {
                Some(b64) => diesel::update(row)
                    .set((d::bootstrap_token_b64.eq(b64), d::bootstrap_token_at.eq(now.nullable())))
                    .execute(conn)
                    .await?,
                None => diesel::update(row)
                    .set((d::bootstrap_token_b64.eq(None::<&str>), d::bootstrap_token_at.eq(no_time())))
                    .execute(conn)
                    .await?,
            };
            diesel::update(e::table.find(channel.id.as_str()))
                .set(e::last_seen_at.eq(now))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    pub(super) async fn load_bootstrap_token(
        &self,
        channel: &Channel,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let device_id = channel.device_id().as_str();
        let stored: Option<Option<String>> = with_conn!(self.db, conn => {
            d::table
                .find(device_id)
                .select(d::bootstrap_token_b64)
                .first(conn)
                .await
                .optional()?
        });
        match stored.flatten().filter(|b64| !b64.is_empty()) {
            Some(b64) => STANDARD
                .decode(b64)
                .map(Some)
                .map_err(|e| Failure::Corrupt(format!("bootstrap token of {device_id}: {e}"))),
            None => Ok(None),
        }
    }

    pub(super) async fn load_push_info(
        &self,
        ids: &[EnrollmentId],
    ) -> Result<HashMap<EnrollmentId, PushInfo>, Failure> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<&str> = ids.iter().map(EnrollmentId::as_str).collect();
        let rows: Vec<(String, String, String, String, bool)> = with_conn!(self.db, conn => {
            e::table
                .filter(e::id.eq_any(&ids))
                .select((e::id, e::topic, e::push_magic, e::token_hex, e::enabled))
                .load(conn)
                .await?
        });
        rows.into_iter()
            .map(|(id, topic, push_magic, token_hex, enabled)| {
                let token = hex_decode(&token_hex)
                    .ok_or_else(|| Failure::Corrupt(format!("token_hex of {id} is not hex")))?;
                let info = PushInfo {
                    topic,
                    push_magic,
                    token,
                    enabled,
                };
                Ok((EnrollmentId::new(id), info))
            })
            .collect()
    }
}

/// The enrollment `id` from its row.
fn enrollment(id: &EnrollmentId, row: EnrollmentRow) -> Result<Enrollment, Failure> {
    let (kind, device_id, enabled, tally, topic, push_magic, token_hex) = row;
    let kind: EnrollmentType = kind
        .parse()
        .map_err(|e| Failure::Corrupt(format!("type of enrollment {id}: {e}")))?;
    let token = hex_decode(&token_hex)
        .ok_or_else(|| Failure::Corrupt(format!("token_hex of {id} is not hex")))?;
    let parent = kind.is_user_channel().then(|| EnrollmentId::new(device_id));
    Ok(Enrollment {
        channel: Channel {
            id: id.clone(),
            kind,
            parent,
        },
        enabled,
        token_update_tally: u32::try_from(tally).unwrap_or(0),
        push: PushInfo {
            topic,
            push_magic,
            token,
            enabled,
        },
    })
}

/// Bytes from hex (either case); `None` if it is not hex.
fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A certificate's DER as PEM, the form of nanomdm's `identity_cert`.
fn certificate_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // Base64 is ASCII, so every chunk is UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decode_reads_both_cases_and_refuses_odd_or_non_hex_text() {
        assert_eq!(hex_decode("00aBff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode(""), Some(vec![]));
    }

    #[test]
    fn certificate_pem_wraps_base64_at_64_columns() {
        let pem = certificate_pem(&[7; 60]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[3], "-----END CERTIFICATE-----");
    }
}
