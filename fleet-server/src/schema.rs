// In the shape of `diesel print-schema`, held to the migrations by the
// `schema_rs_matches_the_*_migrations` tests (which read this file and
// compare every table and column with the migrated database, on SQLite and
// on MySQL). Change migrations/ first, then this file (regenerated as
// fleet-server/README.md describes, or by hand in the same shape). Types
// are the portable subset both backends read (TEXT-like columns as Text,
// BLOBs as Binary).

diesel::table! {
    activities (id) {
        id -> BigInt,
        created_at -> Timestamp,
        user_id -> Nullable<BigInt>,
        user_name -> Nullable<Text>,
        user_email -> Nullable<Text>,
        activity_type -> Text,
        details -> Text,
    }
}

diesel::table! {
    app_config_json (id) {
        id -> Integer,
        json_value -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    apple_manual_enrollments (id) {
        id -> BigInt,
        name -> Text,
        configuration -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dep_assignments (name, serial_number) {
        name -> Text,
        serial_number -> Text,
        profile_uuid -> Text,
        status -> Text,
        assigned_at -> BigInt,
        retry_after -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dep_names (name) {
        name -> Text,
        consumer_key -> Nullable<Text>,
        consumer_secret -> Nullable<Text>,
        access_token -> Nullable<Text>,
        access_secret -> Nullable<Text>,
        access_token_expiry -> Nullable<BigInt>,
        config_stored -> Bool,
        config_base_url -> Nullable<Text>,
        config_server_protocol_version -> Nullable<Integer>,
        tokenpki_cert_pem -> Nullable<Text>,
        tokenpki_key_pem -> Nullable<Text>,
        tokenpki_staging_cert_pem -> Nullable<Text>,
        tokenpki_staging_key_pem -> Nullable<Text>,
        syncer_cursor -> Nullable<Text>,
        syncer_cursor_at -> Nullable<BigInt>,
        assigner_profile_uuid -> Nullable<Text>,
        assigner_profile_uuid_at -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hosts (id) {
        id -> BigInt,
        uuid -> Text,
        hardware_serial -> Text,
        hardware_model -> Text,
        os_version -> Text,
        hostname -> Text,
        platform -> Text,
        mdm_enrollment_status -> Text,
        apple_manual_enrollment_id -> Nullable<BigInt>,
        nano_enrollment_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    locks (name) {
        name -> Text,
        owner -> Text,
        expires_at_ms -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    munki_resource_chunks (kind, path, seq) {
        kind -> Text,
        path -> Text,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    munki_resources (kind, path) {
        kind -> Text,
        path -> Text,
        len -> BigInt,
        etag -> Text,
        chunk_size -> Integer,
        modified_at -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_cert_auth_associations (id, sha256) {
        id -> Text,
        sha256 -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_command_results (id, command_uuid) {
        id -> Text,
        command_uuid -> Text,
        status -> Text,
        result -> Text,
        not_now_at -> Nullable<Timestamp>,
        not_now_tally -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_commands (command_uuid) {
        command_uuid -> Text,
        seq -> BigInt,
        request_type -> Text,
        command -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_devices (id) {
        id -> Text,
        identity_cert -> Nullable<Text>,
        serial_number -> Nullable<Text>,
        unlock_token -> Nullable<Binary>,
        unlock_token_at -> Nullable<Timestamp>,
        authenticate -> Text,
        authenticate_at -> Timestamp,
        token_update -> Nullable<Text>,
        token_update_at -> Nullable<Timestamp>,
        bootstrap_token_b64 -> Nullable<Text>,
        bootstrap_token_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_enrollment_queue (id, command_uuid) {
        id -> Text,
        command_uuid -> Text,
        active -> Bool,
        priority -> SmallInt,
        seq -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_enrollments (id) {
        id -> Text,
        device_id -> Text,
        user_id -> Nullable<Text>,
        #[sql_name = "type"]
        type_ -> Text,
        topic -> Text,
        push_magic -> Text,
        token_hex -> Text,
        enabled -> Bool,
        token_update_tally -> Integer,
        last_seen_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_push_certs (topic) {
        topic -> Text,
        cert_pem -> Text,
        key_pem -> Text,
        stale_token -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nano_users (id, device_id) {
        id -> Text,
        device_id -> Text,
        user_short_name -> Nullable<Text>,
        user_long_name -> Nullable<Text>,
        token_update -> Nullable<Text>,
        token_update_at -> Nullable<Timestamp>,
        user_authenticate -> Nullable<Text>,
        user_authenticate_at -> Nullable<Timestamp>,
        user_authenticate_digest -> Nullable<Text>,
        user_authenticate_digest_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scep_certificates (serial) {
        serial -> BigInt,
        seq -> BigInt,
        name -> Text,
        not_valid_before -> BigInt,
        not_valid_after -> BigInt,
        certificate_pem -> Text,
        revoked -> Bool,
        revoked_at -> Nullable<BigInt>,
        live_subject -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scep_serials (serial) {
        serial -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        key_sha256 -> Text,
        created_at -> Timestamp,
        accessed_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        name -> Text,
        email -> Text,
        password -> Text,
        global_role -> Text,
        api_only -> Bool,
        admin_forced_password_reset -> Bool,
        gravatar_url -> Text,
        position -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(hosts -> apple_manual_enrollments (apple_manual_enrollment_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    activities,
    app_config_json,
    apple_manual_enrollments,
    dep_assignments,
    dep_names,
    hosts,
    locks,
    munki_resource_chunks,
    munki_resources,
    nano_cert_auth_associations,
    nano_command_results,
    nano_commands,
    nano_devices,
    nano_enrollment_queue,
    nano_enrollments,
    nano_push_certs,
    nano_users,
    scep_certificates,
    scep_serials,
    sessions,
    users,
);
