-- Fleet's users, sessions, audit log (activities) and app config, for the
-- REST API's setup, login and user management.

-- Fleet's `app_config_json`: one row (id 1) holding the org info and server
-- settings as JSON. `POST /api/v1/setup` inserts it, so the primary key is
-- what makes exactly one of two concurrent setups win.
CREATE TABLE app_config_json (
    id         INT       NOT NULL,
    json_value TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    CHECK (id = 1)
);

-- `password` is an Argon2id PHC string (salt included), never plain text.
CREATE TABLE users (
    id                          BIGINT       NOT NULL AUTO_INCREMENT,
    name                        VARCHAR(255) NOT NULL,
    email                       VARCHAR(255) NOT NULL,
    password                    VARCHAR(255) NOT NULL,
    global_role                 VARCHAR(64)  NOT NULL,
    api_only                    BOOLEAN      NOT NULL DEFAULT FALSE,
    admin_forced_password_reset BOOLEAN      NOT NULL DEFAULT FALSE,
    gravatar_url                VARCHAR(255) NOT NULL DEFAULT '',
    position                    VARCHAR(255) NOT NULL DEFAULT '',
    created_at                  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY idx_users_email (email),
    CHECK (email != '')
);

-- A session per login. `key_sha256` is the hex SHA-256 of the bearer token
-- (the token itself is never stored). Sessions end with their user.
CREATE TABLE sessions (
    id          BIGINT      NOT NULL AUTO_INCREMENT,
    user_id     BIGINT      NOT NULL,
    key_sha256  VARCHAR(64) NOT NULL,
    created_at  TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    accessed_at TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY idx_sessions_key_sha256 (key_sha256),
    KEY idx_sessions_user_id (user_id),
    CONSTRAINT fk_sessions_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- Fleet's audit log. The actor's name and email are copied so entries
-- outlive the user (whose id is then set to NULL). `details` is JSON text.
CREATE TABLE activities (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    user_id       BIGINT       NULL,
    user_name     VARCHAR(255) NULL,
    user_email    VARCHAR(255) NULL,
    activity_type VARCHAR(255) NOT NULL,
    details       TEXT         NOT NULL,
    PRIMARY KEY (id),
    KEY idx_activities_created_at (created_at),
    CONSTRAINT fk_activities_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
);
