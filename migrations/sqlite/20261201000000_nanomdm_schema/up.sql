-- The SQLite twin of migrations/mysql/20261201000000_nanomdm_schema: the
-- same tables, columns and constraints, in SQLite's types. Differences:
--   * nano_commands.seq is the rowid alias (INTEGER PRIMARY KEY
--     AUTOINCREMENT: never reused), command_uuid is UNIQUE instead of the
--     primary key; the store reads and writes both the same way;
--   * updated_at is kept by triggers (SQLite has no ON UPDATE clause).

CREATE TABLE nano_devices (
    id                  TEXT      NOT NULL PRIMARY KEY,
    identity_cert       TEXT      NULL CHECK (identity_cert IS NULL OR substr(identity_cert, 1, 27) = '-----BEGIN CERTIFICATE-----'),
    serial_number       TEXT      NULL CHECK (serial_number IS NULL OR serial_number != ''),
    unlock_token        BLOB      NULL,
    unlock_token_at     TIMESTAMP NULL,
    authenticate        TEXT      NOT NULL,
    authenticate_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    token_update        TEXT      NULL,
    token_update_at     TIMESTAMP NULL,
    bootstrap_token_b64 TEXT      NULL,
    bootstrap_token_at  TIMESTAMP NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_nano_devices_serial_number ON nano_devices (serial_number);

CREATE TABLE nano_users (
    id                          TEXT      NOT NULL,
    device_id                   TEXT      NOT NULL REFERENCES nano_devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    user_short_name             TEXT      NULL,
    user_long_name              TEXT      NULL,
    token_update                TEXT      NULL,
    token_update_at             TIMESTAMP NULL,
    user_authenticate           TEXT      NULL,
    user_authenticate_at        TIMESTAMP NULL,
    user_authenticate_digest    TEXT      NULL,
    user_authenticate_digest_at TIMESTAMP NULL,
    created_at                  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, device_id)
);
CREATE INDEX idx_nano_users_device_id ON nano_users (device_id);

CREATE TABLE nano_enrollments (
    id                 TEXT      NOT NULL PRIMARY KEY CHECK (id != ''),
    device_id          TEXT      NOT NULL REFERENCES nano_devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    user_id            TEXT      NULL UNIQUE,
    type               TEXT      NOT NULL CHECK (type != ''),
    topic              TEXT      NOT NULL CHECK (topic != ''),
    push_magic         TEXT      NOT NULL CHECK (push_magic != ''),
    token_hex          TEXT      NOT NULL CHECK (token_hex != ''),
    enabled            BOOLEAN   NOT NULL DEFAULT 1,
    token_update_tally INTEGER   NOT NULL DEFAULT 1,
    last_seen_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id, device_id) REFERENCES nano_users (id, device_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX idx_nano_enrollments_device_id ON nano_enrollments (device_id);
CREATE INDEX idx_nano_enrollments_type ON nano_enrollments (type);

CREATE TABLE nano_commands (
    seq          INTEGER   PRIMARY KEY AUTOINCREMENT,
    command_uuid TEXT      NOT NULL UNIQUE CHECK (command_uuid != ''),
    request_type TEXT      NOT NULL CHECK (request_type != ''),
    command      TEXT      NOT NULL CHECK (substr(command, 1, 5) = '<?xml'),
    created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE nano_command_results (
    id            TEXT      NOT NULL REFERENCES nano_enrollments (id) ON DELETE CASCADE ON UPDATE CASCADE,
    command_uuid  TEXT      NOT NULL REFERENCES nano_commands (command_uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    status        TEXT      NOT NULL CHECK (status != ''),
    result        TEXT      NOT NULL CHECK (substr(result, 1, 5) = '<?xml'),
    not_now_at    TIMESTAMP NULL,
    not_now_tally INTEGER   NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, command_uuid)
);
CREATE INDEX idx_nano_command_results_status ON nano_command_results (status);
CREATE INDEX idx_nano_command_results_command_uuid ON nano_command_results (command_uuid);

CREATE TABLE nano_enrollment_queue (
    id           TEXT      NOT NULL REFERENCES nano_enrollments (id) ON DELETE CASCADE ON UPDATE CASCADE,
    command_uuid TEXT      NOT NULL REFERENCES nano_commands (command_uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    active       BOOLEAN   NOT NULL DEFAULT 1,
    priority     SMALLINT  NOT NULL DEFAULT 0,
    seq          BIGINT    NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, command_uuid)
);
CREATE INDEX idx_nano_enrollment_queue_lookup ON nano_enrollment_queue (id, active, priority, seq);
CREATE INDEX idx_nano_enrollment_queue_command_uuid ON nano_enrollment_queue (command_uuid);

CREATE TABLE nano_push_certs (
    topic       TEXT      NOT NULL PRIMARY KEY CHECK (topic != ''),
    cert_pem    TEXT      NOT NULL CHECK (substr(cert_pem, 1, 27) = '-----BEGIN CERTIFICATE-----'),
    -- The private key: fleet-server must store it encrypted (AES-256-GCM,
    -- FLEET_SERVER_PRIVATE_KEY); the store writes what it is given.
    key_pem     TEXT      NOT NULL,
    stale_token BIGINT    NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE nano_cert_auth_associations (
    id         TEXT      NOT NULL CHECK (id != ''),
    sha256     TEXT      NOT NULL CHECK (sha256 != ''),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, sha256)
);
CREATE INDEX idx_nano_cert_auth_associations_sha256 ON nano_cert_auth_associations (sha256);

CREATE TRIGGER nano_devices_updated_at AFTER UPDATE ON nano_devices FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_devices SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_users_updated_at AFTER UPDATE ON nano_users FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_users SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_enrollments_updated_at AFTER UPDATE ON nano_enrollments FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_enrollments SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_commands_updated_at AFTER UPDATE ON nano_commands FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_commands SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_command_results_updated_at AFTER UPDATE ON nano_command_results FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_command_results SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_enrollment_queue_updated_at AFTER UPDATE ON nano_enrollment_queue FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_enrollment_queue SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_push_certs_updated_at AFTER UPDATE ON nano_push_certs FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_push_certs SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER nano_cert_auth_associations_updated_at AFTER UPDATE ON nano_cert_auth_associations FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE nano_cert_auth_associations SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
