-- The SQLite twin of migrations/mysql/20261201000100_fleet_locks.
CREATE TABLE locks (
    name          TEXT      NOT NULL PRIMARY KEY CHECK (name != ''),
    owner         TEXT      NOT NULL CHECK (owner != ''),
    expires_at_ms BIGINT    NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER locks_updated_at AFTER UPDATE ON locks FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE locks SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
