-- PostgreSQL schema, version 6: encryption at rest (see ../schema_sealing.sql).

CREATE TABLE data_keys (
    id         TEXT   PRIMARY KEY,
    key_id     TEXT   NOT NULL,
    wrapped    BYTEA  NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sealing_master (
    id          SMALLINT PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL
);
