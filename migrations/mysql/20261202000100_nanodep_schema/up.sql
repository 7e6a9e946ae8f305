-- nanodep's `dep_names` (storage/mysql/schema.sql with schema.00001.sql's
-- staging key pair), with these differences:
--   * consumer_secret, access_token, access_secret and both tokenpki key
--     columns hold values sealed with FLEET_SERVER_PRIVATE_KEY
--     (`fleet-secret:v1:...`, AES-256-GCM), never plain text;
--   * times are seconds since the Unix epoch (BIGINT): TIMESTAMP stops in
--     2038 and follows the session time zone;
--   * the cursor keeps the time it was stored (syncer_cursor_at), and the
--     client config its protocol version; config_stored tells a stored
--     default config from none.
CREATE TABLE dep_names (
    name                           VARCHAR(255)  NOT NULL,
    consumer_key                   TEXT          NULL,
    consumer_secret                TEXT          NULL,
    access_token                   TEXT          NULL,
    access_secret                  TEXT          NULL,
    access_token_expiry            BIGINT        NULL,
    config_stored                  BOOLEAN       NOT NULL DEFAULT FALSE,
    config_base_url                VARCHAR(255)  NULL,
    config_server_protocol_version INT           NULL,
    tokenpki_cert_pem              TEXT          NULL,
    tokenpki_key_pem               TEXT          NULL,
    tokenpki_staging_cert_pem      TEXT          NULL,
    tokenpki_staging_key_pem       TEXT          NULL,
    syncer_cursor                  VARCHAR(1024) NULL,
    syncer_cursor_at               BIGINT        NULL,
    assigner_profile_uuid          TEXT          NULL,
    assigner_profile_uuid_at       BIGINT        NULL,
    created_at                     TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                     TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (name),
    CHECK (name != ''),
    CHECK (tokenpki_cert_pem IS NULL OR SUBSTRING(tokenpki_cert_pem FROM 1 FOR 27) = '-----BEGIN CERTIFICATE-----'),
    CHECK (tokenpki_staging_cert_pem IS NULL OR SUBSTRING(tokenpki_staging_cert_pem FROM 1 FOR 27) = '-----BEGIN CERTIFICATE-----')
);

-- The assigner's per-device results (nanodep's AssignmentStore; Go nanodep
-- keeps none).
CREATE TABLE dep_assignments (
    name          VARCHAR(255) NOT NULL,
    serial_number VARCHAR(255) NOT NULL,
    profile_uuid  VARCHAR(255) NOT NULL,
    status        VARCHAR(63)  NOT NULL,
    assigned_at   BIGINT       NOT NULL,
    retry_after   BIGINT       NULL,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (name, serial_number),
    INDEX idx_dep_assignments_retry_after (name, retry_after)
);
