-- The SQLite twin of migrations/mysql/20261203000000_fleet_users.
-- Timestamps are always written by fleet-server (UTC, whole seconds).
CREATE TABLE app_config_json (
    id         INTEGER   NOT NULL PRIMARY KEY CHECK (id = 1),
    json_value TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE users (
    id                          INTEGER   NOT NULL PRIMARY KEY AUTOINCREMENT,
    name                        TEXT      NOT NULL,
    email                       TEXT      NOT NULL UNIQUE CHECK (email != ''),
    password                    TEXT      NOT NULL,
    global_role                 TEXT      NOT NULL,
    api_only                    BOOLEAN   NOT NULL DEFAULT FALSE,
    admin_forced_password_reset BOOLEAN   NOT NULL DEFAULT FALSE,
    gravatar_url                TEXT      NOT NULL DEFAULT '',
    position                    TEXT      NOT NULL DEFAULT '',
    created_at                  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sessions (
    id          INTEGER   NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_sha256  TEXT      NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    accessed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE TABLE activities (
    id            INTEGER   NOT NULL PRIMARY KEY AUTOINCREMENT,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    user_id       BIGINT    NULL REFERENCES users (id) ON DELETE SET NULL,
    user_name     TEXT      NULL,
    user_email    TEXT      NULL,
    activity_type TEXT      NOT NULL,
    details       TEXT      NOT NULL
);
CREATE INDEX idx_activities_created_at ON activities (created_at);
