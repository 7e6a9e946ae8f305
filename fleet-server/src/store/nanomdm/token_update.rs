//! TokenUpdate: the channel's device or user row, then its enrollment.

use diesel::dsl::{exists, now};
use diesel::{ExpressionMethods, NullableExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use nanomdm::protocol::checkin::TokenUpdate;
use nanomdm::protocol::enrollment::Channel;

use super::NanomdmStore;
use super::checkin::require_device;
use crate::db::transaction;
use crate::schema::{nano_devices as d, nano_enrollments as e, nano_users as u};
use crate::store::{Failure, text};

/// What one TokenUpdate writes.
struct Update<'a> {
    id: &'a str,
    device_id: &'a str,
    /// The enrollment ID again for a user channel (`nano_enrollments.user_id`).
    user_id: Option<&'a str>,
    kind: &'a str,
    raw: &'a str,
    topic: &'a str,
    push_magic: &'a str,
    token_hex: String,
    /// A device channel's new unlock token (kept until replaced).
    unlock: Option<&'a [u8]>,
    short_name: Option<&'a str>,
    long_name: Option<&'a str>,
}

/// Creates or updates the `nano_users` row of a user channel.
macro_rules! save_user {
    ($conn:ident, $up:expr) => {{
        let up: &Update<'_> = $up;
        let row = u::table.find((up.id, up.device_id));
        let known: bool = diesel::select(exists(row)).get_result($conn).await?;
        let fields = (
            u::user_short_name.eq(up.short_name),
            u::user_long_name.eq(up.long_name),
            u::token_update.eq(up.raw),
            u::token_update_at.eq(now.nullable()),
        );
        if known {
            diesel::update(row).set(fields).execute($conn).await?;
        } else {
            diesel::insert_into(u::table)
                .values((u::id.eq(up.id), u::device_id.eq(up.device_id), fields))
                .execute($conn)
                .await?;
        }
    }};
}

/// Records a device channel's TokenUpdate (and unlock token) on its
/// `nano_devices` row.
macro_rules! save_device {
    ($conn:ident, $up:expr) => {{
        let up: &Update<'_> = $up;
        diesel::update(d::table.find(up.id))
            .set((
                d::token_update.eq(up.raw),
                d::token_update_at.eq(now.nullable()),
            ))
            .execute($conn)
            .await?;
        if let Some(unlock) = up.unlock {
            diesel::update(d::table.find(up.id))
                .set((
                    d::unlock_token.eq(unlock),
                    d::unlock_token_at.eq(now.nullable()),
                ))
                .execute($conn)
                .await?;
        }
    }};
}

/// Creates the enrollment (enabled, tally 1) or updates it (enabled, tally
/// + 1), with the push info.
macro_rules! save_enrollment {
    ($conn:ident, $up:expr) => {{
        let up: &Update<'_> = $up;
        let fields = (
            e::device_id.eq(up.device_id),
            e::user_id.eq(up.user_id),
            e::type_.eq(up.kind),
            e::topic.eq(up.topic),
            e::push_magic.eq(up.push_magic),
            e::token_hex.eq(&up.token_hex),
            e::enabled.eq(true),
        );
        let known: bool = diesel::select(exists(e::table.find(up.id)))
            .get_result($conn)
            .await?;
        if known {
            diesel::update(e::table.find(up.id))
                .set((
                    fields,
                    e::token_update_tally.eq(e::token_update_tally + 1),
                    e::last_seen_at.eq(now),
                ))
                .execute($conn)
                .await?;
        } else {
            diesel::insert_into(e::table)
                .values((e::id.eq(up.id), fields, e::token_update_tally.eq(1)))
                .execute($conn)
                .await?;
        }
    }};
}

impl NanomdmStore {
    pub(super) async fn token_update(
        &self,
        channel: &Channel,
        message: &TokenUpdate,
        raw: &[u8],
    ) -> Result<(), Failure> {
        let id = channel.id.as_str();
        let keys = &message.enrollment;
        let up = Update {
            id,
            device_id: channel.device_id().as_str(),
            user_id: channel.parent.as_ref().map(|_| id),
            kind: channel.kind.as_str(),
            raw: text(raw, "TokenUpdate message")?,
            topic: &message.topic,
            push_magic: &message.push_magic,
            token_hex: message.token_hex(),
            unlock: match channel.parent {
                None => message.unlock_token.as_deref().filter(|t| !t.is_empty()),
                Some(_) => None,
            },
            short_name: keys.user_short_name.as_deref(),
            long_name: keys.user_long_name.as_deref(),
        };
        let up = &up;
        transaction!(self.db, conn => {
            require_device!(conn, up.device_id);
            if up.user_id.is_some() {
                save_user!(conn, up);
            } else {
                save_device!(conn, up);
            }
            save_enrollment!(conn, up);
            Ok::<_, Failure>(())
        })
    }
}
