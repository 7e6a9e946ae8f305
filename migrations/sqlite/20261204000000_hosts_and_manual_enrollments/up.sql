-- The SQLite twin of migrations/mysql/20261204000000_hosts_and_manual_enrollments
-- (updated_at kept by triggers: SQLite has no ON UPDATE clause).

CREATE TABLE apple_manual_enrollments (
    id            INTEGER   NOT NULL PRIMARY KEY AUTOINCREMENT,
    name          TEXT      NOT NULL CHECK (name != ''),
    configuration TEXT      NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE hosts (
    id                         INTEGER   NOT NULL PRIMARY KEY AUTOINCREMENT,
    uuid                       TEXT      NOT NULL UNIQUE CHECK (uuid != ''),
    hardware_serial            TEXT      NOT NULL DEFAULT '',
    hardware_model             TEXT      NOT NULL DEFAULT '',
    os_version                 TEXT      NOT NULL DEFAULT '',
    hostname                   TEXT      NOT NULL DEFAULT '',
    platform                   TEXT      NOT NULL DEFAULT '',
    mdm_enrollment_status      TEXT      NOT NULL DEFAULT 'Pending'
        CHECK (mdm_enrollment_status IN ('On (manual)', 'On (automatic)', 'Pending', 'Off')),
    apple_manual_enrollment_id BIGINT    NULL
        REFERENCES apple_manual_enrollments (id) ON DELETE SET NULL,
    nano_enrollment_id         TEXT      NULL,
    created_at                 TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                 TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at               TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_hosts_hardware_serial ON hosts (hardware_serial);
CREATE INDEX idx_hosts_mdm_enrollment_status ON hosts (mdm_enrollment_status);
CREATE INDEX idx_hosts_apple_manual_enrollment_id ON hosts (apple_manual_enrollment_id);

CREATE TRIGGER apple_manual_enrollments_updated_at AFTER UPDATE ON apple_manual_enrollments FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE apple_manual_enrollments SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER hosts_updated_at AFTER UPDATE ON hosts FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE hosts SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
