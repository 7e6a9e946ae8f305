//! The storage traits for a type that holds a [`Kv`](super::Kv): every
//! method runs the same-named blocking method of the `Kv` on the calling
//! task.

/// Implements every storage trait for `$store` by calling the same-named
/// method of its `$field: Kv`.
macro_rules! forward_all_storage {
    ($store:ty, $field:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::CheckinStore for $store {
            async fn store_authenticate(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                message: &$crate::protocol::checkin::Authenticate,
                raw: &[u8],
                identity: Option<&[u8]>,
            ) -> $crate::store::Result<()> {
                self.$field
                    .store_authenticate(channel, message, raw, identity)
            }

            async fn store_token_update(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                message: &$crate::protocol::checkin::TokenUpdate,
                raw: &[u8],
            ) -> $crate::store::Result<()> {
                self.$field.store_token_update(channel, message, raw)
            }

            async fn store_user_authenticate(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                message: &$crate::protocol::checkin::UserAuthenticate,
                raw: &[u8],
            ) -> $crate::store::Result<()> {
                self.$field.store_user_authenticate(channel, message, raw)
            }

            async fn disable(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
            ) -> $crate::store::Result<()> {
                self.$field.disable(channel)
            }

            async fn token_update_tally(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
            ) -> $crate::store::Result<u32> {
                self.$field.token_update_tally(id)
            }

            async fn enrollment(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
            ) -> $crate::store::Result<Option<$crate::store::Enrollment>> {
                self.$field.enrollment(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::BootstrapTokenStore for $store {
            async fn store_bootstrap_token(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                token: Option<&[u8]>,
            ) -> $crate::store::Result<()> {
                self.$field.store_bootstrap_token(channel, token)
            }

            async fn bootstrap_token(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
            ) -> $crate::store::Result<Option<Vec<u8>>> {
                self.$field.bootstrap_token(channel)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::CommandQueue for $store {
            async fn enqueue_command(
                &self,
                ids: &[$crate::protocol::enrollment::EnrollmentId],
                command: &$crate::store::QueuedCommand,
            ) -> $crate::store::Result<()> {
                self.$field.enqueue_command(ids, command)
            }

            async fn store_command_report(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                report: &$crate::protocol::command::Report,
            ) -> $crate::store::Result<()> {
                self.$field.store_command_report(channel, report)
            }

            async fn next_command(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
                skip_not_now: bool,
            ) -> $crate::store::Result<Option<$crate::store::QueuedCommand>> {
                self.$field.next_command(channel, skip_not_now)
            }

            async fn clear_queue(
                &self,
                channel: &$crate::protocol::enrollment::Channel,
            ) -> $crate::store::Result<()> {
                self.$field.clear_queue(channel)
            }

            async fn command_result(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
                command_uuid: &str,
            ) -> $crate::store::Result<Option<$crate::store::CommandResult>> {
                self.$field.command_result(id, command_uuid)
            }

            async fn queue(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
            ) -> $crate::store::Result<Vec<$crate::store::QueueItem>> {
                self.$field.queue(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PushStore for $store {
            async fn push_info(
                &self,
                ids: &[$crate::protocol::enrollment::EnrollmentId],
            ) -> $crate::store::Result<
                std::collections::HashMap<
                    $crate::protocol::enrollment::EnrollmentId,
                    $crate::store::PushInfo,
                >,
            > {
                self.$field.push_info(ids)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PushCertStore for $store {
            async fn store_push_cert(
                &self,
                cert: &$crate::store::PushCert,
            ) -> $crate::store::Result<u64> {
                self.$field.store_push_cert(cert)
            }

            async fn push_cert(
                &self,
                topic: &str,
            ) -> $crate::store::Result<Option<($crate::store::PushCert, u64)>> {
                self.$field.push_cert(topic)
            }

            async fn is_push_cert_stale(
                &self,
                topic: &str,
                stale_token: u64,
            ) -> $crate::store::Result<bool> {
                self.$field.is_push_cert_stale(topic, stale_token)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::CertAuthStore for $store {
            async fn has_cert_hash(&self, hash: &str) -> $crate::store::Result<bool> {
                self.$field.has_cert_hash(hash)
            }

            async fn enrollment_has_cert_hash(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
            ) -> $crate::store::Result<bool> {
                self.$field.enrollment_has_cert_hash(id)
            }

            async fn is_cert_hash_associated(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
                hash: &str,
            ) -> $crate::store::Result<bool> {
                self.$field.is_cert_hash_associated(id, hash)
            }

            async fn associate_cert_hash(
                &self,
                id: &$crate::protocol::enrollment::EnrollmentId,
                hash: &str,
            ) -> $crate::store::Result<()> {
                self.$field.associate_cert_hash(id, hash)
            }

            async fn enrollment_from_hash(
                &self,
                hash: &str,
            ) -> $crate::store::Result<Option<$crate::protocol::enrollment::EnrollmentId>> {
                self.$field.enrollment_from_hash(hash)
            }
        }
    };
}

pub(crate) use forward_all_storage;
