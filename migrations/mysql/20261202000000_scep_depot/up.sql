-- The SCEP CA depot, in the tables of jessepeterson/mysqlscepserver as
-- Fleet used them, with these differences:
--   * not_valid_before / not_valid_after / revoked_at are seconds since the
--     Unix epoch (BIGINT): TIMESTAMP stops in 2038 and follows the session
--     time zone;
--   * revoked_at keeps when a certificate was revoked (`revoked` stays for
--     upstream's readers);
--   * seq is the put order (`Depot::list` is oldest first);
--   * live_subject is the SHA-256 (hex) of the subject while the row is its
--     subject's one live certificate under a policy that rejects duplicate
--     subjects, else NULL: the unique key makes two simultaneous first
--     enrollments of one subject impossible.
CREATE TABLE scep_serials (
    serial     BIGINT    NOT NULL AUTO_INCREMENT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (serial)
);

-- Serial 1 is the CA's own certificate; issued serials count up from 2.
INSERT INTO scep_serials (serial) VALUES (1);

CREATE TABLE scep_certificates (
    serial           BIGINT        NOT NULL,
    seq              BIGINT        NOT NULL AUTO_INCREMENT,
    -- The subject's common name ('' without one).
    name             VARCHAR(1024) NOT NULL,
    not_valid_before BIGINT        NOT NULL,
    not_valid_after  BIGINT        NOT NULL,
    certificate_pem  TEXT          NOT NULL,
    revoked          BOOLEAN       NOT NULL DEFAULT FALSE,
    revoked_at       BIGINT        NULL,
    live_subject     CHAR(64)      NULL,
    created_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (serial),
    UNIQUE KEY idx_scep_certificates_seq (seq),
    UNIQUE KEY idx_scep_certificates_live_subject (live_subject),
    INDEX idx_scep_certificates_name (name(255)),
    FOREIGN KEY (serial) REFERENCES scep_serials (serial),
    CHECK (SUBSTRING(certificate_pem FROM 1 FOR 27) = '-----BEGIN CERTIFICATE-----')
);
