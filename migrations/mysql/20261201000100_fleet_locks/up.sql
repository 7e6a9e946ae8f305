-- Fleet's `locks`: one row per named lock, held by `owner` until
-- `expires_at_ms` (milliseconds since the Unix epoch, from the caller's
-- clock). Periodic jobs take a lock so that one replica runs each.
CREATE TABLE locks (
    name          VARCHAR(255) NOT NULL,
    owner         VARCHAR(255) NOT NULL,
    expires_at_ms BIGINT       NOT NULL,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (name),
    CHECK (name != ''),
    CHECK (owner != '')
);
