-- Fleet's `apple_manual_enrollments` (the PoC's `mdm_apple_enrollments`:
-- a named manual enrollment whose profile devices download) and `hosts`
-- (MDM-only hosts, fleet.md §2.7: created on Authenticate, matched on the
-- device UDID or the serial number). The MDM enrollment status is kept on
-- the host row rather than in Fleet's later `host_mdm` table.
-- Every TIMESTAMP has an explicit DEFAULT (MariaDB without
-- explicit_defaults_for_timestamp would add ON UPDATE to the first one).

CREATE TABLE apple_manual_enrollments (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    name          VARCHAR(255) NOT NULL,
    configuration TEXT         NULL,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    CHECK (name != '')
);

CREATE TABLE hosts (
    id                         BIGINT       NOT NULL AUTO_INCREMENT,
    uuid                       VARCHAR(255) NOT NULL,
    hardware_serial            VARCHAR(255) NOT NULL DEFAULT '',
    hardware_model             VARCHAR(255) NOT NULL DEFAULT '',
    os_version                 VARCHAR(255) NOT NULL DEFAULT '',
    hostname                   VARCHAR(255) NOT NULL DEFAULT '',
    platform                   VARCHAR(31)  NOT NULL DEFAULT '',
    mdm_enrollment_status      VARCHAR(31)  NOT NULL DEFAULT 'Pending',
    apple_manual_enrollment_id BIGINT       NULL,
    nano_enrollment_id         VARCHAR(255) NULL,
    created_at                 TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                 TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    last_seen_at               TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY idx_hosts_uuid (uuid),
    INDEX idx_hosts_hardware_serial (hardware_serial),
    INDEX idx_hosts_mdm_enrollment_status (mdm_enrollment_status),
    FOREIGN KEY (apple_manual_enrollment_id) REFERENCES apple_manual_enrollments (id) ON DELETE SET NULL,
    CHECK (uuid != ''),
    CHECK (mdm_enrollment_status IN ('On (manual)', 'On (automatic)', 'Pending', 'Off'))
);
