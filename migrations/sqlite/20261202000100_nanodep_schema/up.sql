-- The SQLite twin of migrations/mysql/20261202000100_nanodep_schema (see
-- its comments).
CREATE TABLE dep_names (
    name                           TEXT      NOT NULL PRIMARY KEY CHECK (name != ''),
    consumer_key                   TEXT,
    consumer_secret                TEXT,
    access_token                   TEXT,
    access_secret                  TEXT,
    access_token_expiry            BIGINT,
    config_stored                  BOOLEAN   NOT NULL DEFAULT FALSE,
    config_base_url                TEXT,
    config_server_protocol_version INTEGER,
    tokenpki_cert_pem              TEXT CHECK (tokenpki_cert_pem IS NULL OR substr(tokenpki_cert_pem, 1, 27) = '-----BEGIN CERTIFICATE-----'),
    tokenpki_key_pem               TEXT,
    tokenpki_staging_cert_pem      TEXT CHECK (tokenpki_staging_cert_pem IS NULL OR substr(tokenpki_staging_cert_pem, 1, 27) = '-----BEGIN CERTIFICATE-----'),
    tokenpki_staging_key_pem       TEXT,
    syncer_cursor                  TEXT,
    syncer_cursor_at               BIGINT,
    assigner_profile_uuid          TEXT,
    assigner_profile_uuid_at       BIGINT,
    created_at                     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE dep_assignments (
    name          TEXT      NOT NULL,
    serial_number TEXT      NOT NULL,
    profile_uuid  TEXT      NOT NULL,
    status        TEXT      NOT NULL,
    assigned_at   BIGINT    NOT NULL,
    retry_after   BIGINT,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (name, serial_number)
);
CREATE INDEX idx_dep_assignments_retry_after ON dep_assignments (name, retry_after);

CREATE TRIGGER dep_names_updated_at AFTER UPDATE ON dep_names FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE dep_names SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER dep_assignments_updated_at AFTER UPDATE ON dep_assignments FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE dep_assignments SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
