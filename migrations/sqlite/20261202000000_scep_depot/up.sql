-- The SQLite twin of migrations/mysql/20261202000000_scep_depot (see its
-- comments). scep_certificates.seq is the rowid alias, so the put order
-- needs no second counter.
CREATE TABLE scep_serials (
    serial     INTEGER   PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Serial 1 is the CA's own certificate; issued serials count up from 2.
INSERT INTO scep_serials (serial) VALUES (1);

CREATE TABLE scep_certificates (
    seq              INTEGER   PRIMARY KEY AUTOINCREMENT,
    serial           BIGINT    NOT NULL UNIQUE REFERENCES scep_serials (serial),
    name             TEXT      NOT NULL,
    not_valid_before BIGINT    NOT NULL,
    not_valid_after  BIGINT    NOT NULL,
    certificate_pem  TEXT      NOT NULL CHECK (substr(certificate_pem, 1, 27) = '-----BEGIN CERTIFICATE-----'),
    revoked          BOOLEAN   NOT NULL DEFAULT FALSE,
    revoked_at       BIGINT,
    live_subject     TEXT      UNIQUE,
    created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_scep_certificates_name ON scep_certificates (name);

CREATE TRIGGER scep_certificates_updated_at AFTER UPDATE ON scep_certificates FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE scep_certificates SET updated_at = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid;
END;
