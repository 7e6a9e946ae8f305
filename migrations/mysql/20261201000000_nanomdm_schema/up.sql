-- nanomdm's MySQL schema (storage/mysql/schema.sql, migrations 1-11) with
-- Fleet's `nano_` prefix, plus what this port's store contracts need:
--   * nano_commands.seq / nano_enrollment_queue.seq: a monotonic enqueue
--     sequence, so commands of equal priority are served strictly in enqueue
--     order (nanomdm orders by a one-second created_at with no tiebreaker);
--   * priority is SMALLINT (nanomdm: TINYINT) because Diesel reads TINYINT
--     on MySQL only; the store keeps it within -128..=127.
-- Every TIMESTAMP has an explicit NULL or DEFAULT: MariaDB without
-- explicit_defaults_for_timestamp would otherwise give the first NOT NULL
-- one an implicit ON UPDATE CURRENT_TIMESTAMP.
-- No row-alias upserts anywhere (MariaDB 10.11 rejects them).

CREATE TABLE nano_devices (
    id                  VARCHAR(255) NOT NULL,
    identity_cert       TEXT         NULL,
    serial_number       VARCHAR(127) NULL,
    unlock_token        MEDIUMBLOB   NULL,
    unlock_token_at     TIMESTAMP    NULL DEFAULT NULL,
    authenticate        TEXT         NOT NULL,
    authenticate_at     TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    token_update        TEXT         NULL,
    token_update_at     TIMESTAMP    NULL DEFAULT NULL,
    bootstrap_token_b64 TEXT         NULL,
    bootstrap_token_at  TIMESTAMP    NULL DEFAULT NULL,
    created_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    INDEX idx_serial_number (serial_number),
    CHECK (identity_cert IS NULL OR SUBSTRING(identity_cert FROM 1 FOR 27) = '-----BEGIN CERTIFICATE-----'),
    CHECK (serial_number IS NULL OR serial_number != '')
);

CREATE TABLE nano_users (
    id                          VARCHAR(255) NOT NULL,
    device_id                   VARCHAR(255) NOT NULL,
    user_short_name             VARCHAR(255) NULL,
    user_long_name              VARCHAR(255) NULL,
    token_update                TEXT         NULL,
    token_update_at             TIMESTAMP    NULL DEFAULT NULL,
    user_authenticate           TEXT         NULL,
    user_authenticate_at        TIMESTAMP    NULL DEFAULT NULL,
    user_authenticate_digest    TEXT         NULL,
    user_authenticate_digest_at TIMESTAMP    NULL DEFAULT NULL,
    created_at                  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id, device_id),
    FOREIGN KEY (device_id) REFERENCES nano_devices (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE nano_enrollments (
    id                 VARCHAR(255) NOT NULL,
    device_id          VARCHAR(255) NOT NULL,
    user_id            VARCHAR(255) NULL,
    type               VARCHAR(31)  NOT NULL,
    topic              VARCHAR(255) NOT NULL,
    push_magic         VARCHAR(127) NOT NULL,
    token_hex          VARCHAR(255) NOT NULL,
    enabled            BOOLEAN      NOT NULL DEFAULT 1,
    token_update_tally INTEGER      NOT NULL DEFAULT 1,
    last_seen_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY idx_user_id (user_id),
    INDEX idx_device_id (device_id),
    INDEX idx_type (type),
    FOREIGN KEY (device_id) REFERENCES nano_devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (user_id, device_id) REFERENCES nano_users (id, device_id) ON DELETE CASCADE ON UPDATE CASCADE,
    CHECK (id != ''),
    CHECK (type != ''),
    CHECK (topic != ''),
    CHECK (push_magic != ''),
    CHECK (token_hex != '')
);

CREATE TABLE nano_commands (
    command_uuid VARCHAR(127) NOT NULL,
    -- Enqueue order; copied to every queue row of the command.
    seq          BIGINT       NOT NULL AUTO_INCREMENT,
    request_type VARCHAR(63)  NOT NULL,
    command      MEDIUMTEXT   NOT NULL,
    created_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (command_uuid),
    UNIQUE KEY idx_seq (seq),
    CHECK (command_uuid != ''),
    CHECK (request_type != ''),
    CHECK (SUBSTRING(command FROM 1 FOR 5) = '<?xml')
);

CREATE TABLE nano_command_results (
    id            VARCHAR(255) NOT NULL,
    command_uuid  VARCHAR(127) NOT NULL,
    status        VARCHAR(31)  NOT NULL,
    result        MEDIUMTEXT   NOT NULL,
    not_now_at    TIMESTAMP    NULL DEFAULT NULL,
    not_now_tally INTEGER      NOT NULL DEFAULT 0,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id, command_uuid),
    INDEX idx_status (status),
    FOREIGN KEY (id) REFERENCES nano_enrollments (id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (command_uuid) REFERENCES nano_commands (command_uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    CHECK (status != ''),
    CHECK (SUBSTRING(result FROM 1 FOR 5) = '<?xml')
);

CREATE TABLE nano_enrollment_queue (
    id           VARCHAR(255) NOT NULL,
    command_uuid VARCHAR(127) NOT NULL,
    active       BOOLEAN      NOT NULL DEFAULT 1,
    priority     SMALLINT     NOT NULL DEFAULT 0,
    seq          BIGINT       NOT NULL,
    created_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id, command_uuid),
    INDEX idx_queue_lookup (id, active, priority, seq),
    FOREIGN KEY (id) REFERENCES nano_enrollments (id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (command_uuid) REFERENCES nano_commands (command_uuid) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE nano_push_certs (
    topic       VARCHAR(255) NOT NULL,
    cert_pem    TEXT         NOT NULL,
    -- The private key. nanomdm keeps it in plain text; fleet-server must
    -- store it encrypted (AES-256-GCM, FLEET_SERVER_PRIVATE_KEY) before it
    -- reaches this column. The store itself writes what it is given.
    key_pem     TEXT         NOT NULL,
    stale_token BIGINT       NOT NULL,
    created_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (topic),
    CHECK (topic != ''),
    CHECK (SUBSTRING(cert_pem FROM 1 FOR 27) = '-----BEGIN CERTIFICATE-----')
);

CREATE TABLE nano_cert_auth_associations (
    id         VARCHAR(255) NOT NULL,
    sha256     CHAR(64)     NOT NULL,
    created_at TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id, sha256),
    INDEX idx_sha256 (sha256),
    CHECK (id != ''),
    CHECK (sha256 != '')
);
