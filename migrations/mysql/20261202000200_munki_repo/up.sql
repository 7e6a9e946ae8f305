-- A Munki repository in the database (munki's `Repo`): one row per
-- resource, its content in chunks so that a range read of a package loads
-- only the chunks it needs. modified_at is seconds since the Unix epoch;
-- etag is the quoted SHA-256 of the content.
CREATE TABLE munki_resources (
    kind        VARCHAR(31)  NOT NULL,
    path        VARCHAR(700) NOT NULL,
    len         BIGINT       NOT NULL,
    etag        VARCHAR(80)  NOT NULL,
    -- The size of every chunk but the last (the chunk size it was put with).
    chunk_size  INT          NOT NULL,
    modified_at BIGINT       NOT NULL,
    created_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (kind, path),
    CHECK (path != ''),
    CHECK (len >= 0),
    CHECK (chunk_size > 0)
);

CREATE TABLE munki_resource_chunks (
    kind VARCHAR(31)  NOT NULL,
    path VARCHAR(700) NOT NULL,
    -- The chunk's place, from 0.
    seq  INT          NOT NULL,
    data MEDIUMBLOB   NOT NULL,
    PRIMARY KEY (kind, path, seq),
    FOREIGN KEY (kind, path) REFERENCES munki_resources (kind, path) ON DELETE CASCADE ON UPDATE CASCADE
);
