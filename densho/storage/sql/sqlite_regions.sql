-- SQLite schema 8, from any older one (densho/storage/sqlite.py runs it when deleted_queues has
-- no region column): a queue belongs to an account AND a region, as in AWS, so the same name in
-- two regions is two queues. SQLite cannot change a table's UNIQUE constraint: queues is
-- rebuilt (sqlite.org/lang_altertable.html, "other kinds of table schema changes"), in one
-- transaction, every queue kept in the region its row names, with its id, and with
-- AUTOINCREMENT's high-water mark (a queue id is never reused: a deleted queue's rows may
-- still be being deleted). The table's definition is schema.sql's.
-- deleted_queues (the 60 s name hold after DeleteQueue) is made anew, empty: its rows never
-- said a region, and none is older than a minute worth keeping.
BEGIN IMMEDIATE;

CREATE TABLE queues_regional (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    attributes  TEXT    NOT NULL,
    tags        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    purged_ms   INTEGER,
    fifo_seq    INTEGER NOT NULL DEFAULT 0,
    purge_seq   INTEGER,
    UNIQUE (account, region, name)
);
INSERT INTO sqlite_sequence (name, seq)
SELECT 'queues_regional', seq FROM sqlite_sequence WHERE name = 'queues';
INSERT INTO queues_regional (id, account, name, region, attributes, tags, created_ms,
                             modified_ms, purged_ms, fifo_seq, purge_seq)
SELECT id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms,
       fifo_seq, purge_seq
FROM queues;
DROP TABLE queues;
ALTER TABLE queues_regional RENAME TO queues;

DROP TABLE deleted_queues;
CREATE TABLE deleted_queues (
    account    TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);

PRAGMA user_version = 8;
COMMIT;
