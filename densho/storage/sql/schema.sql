-- The densho schema. One table per entity, never one per queue.
-- Times are epoch milliseconds written by the application; the database clock is never read.

CREATE TABLE IF NOT EXISTS queues (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    attributes  TEXT    NOT NULL,  -- JSON object: AWS attribute name -> value
    tags        TEXT    NOT NULL,  -- JSON object
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    purged_ms   INTEGER,
    UNIQUE (account, name)
);

CREATE TABLE IF NOT EXISTS deleted_queues (
    account    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);

CREATE TABLE IF NOT EXISTS messages (
    -- A row id may be reused after the newest row is deleted; a receipt handle also carries
    -- the random 62-bit nonce of its receive, so a stale handle never matches a newer message.
    seq              INTEGER PRIMARY KEY,
    queue_id         INTEGER NOT NULL,
    message_id       TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    attrs            BLOB,      -- JSON: [[name, type, string, base64], ...]
    sys_attrs        BLOB,
    md5_body         TEXT    NOT NULL,
    md5_attrs        TEXT,
    md5_sys          TEXT,
    sender_id        TEXT    NOT NULL,
    sent_ms          INTEGER NOT NULL,
    visible_ms       INTEGER NOT NULL,  -- the one clock column: delay, visibility, all in one
    receive_count    INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER,
    last_receive_ms  INTEGER,
    nonce            INTEGER NOT NULL DEFAULT 0,
    group_id         TEXT,
    dedup_id         TEXT
);

CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue_id, visible_ms);
