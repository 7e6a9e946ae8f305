-- The SQLite twin of migrations/mysql/20261202000200_munki_repo (see its
-- comments).
CREATE TABLE munki_resources (
    kind        TEXT      NOT NULL,
    path        TEXT      NOT NULL CHECK (path != ''),
    len         BIGINT    NOT NULL CHECK (len >= 0),
    etag        TEXT      NOT NULL,
    chunk_size  INTEGER   NOT NULL CHECK (chunk_size > 0),
    modified_at BIGINT    NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (kind, path)
);

CREATE TABLE munki_resource_chunks (
    kind TEXT    NOT NULL,
    path TEXT    NOT NULL,
    seq  INTEGER NOT NULL,
    data BLOB    NOT NULL,
    PRIMARY KEY (kind, path, seq),
    FOREIGN KEY (kind, path) REFERENCES munki_resources (kind, path) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TRIGGER munki_resources_updated_at AFTER UPDATE ON munki_resources FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE munki_resources SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
