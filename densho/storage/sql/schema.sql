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
    fifo_seq    INTEGER NOT NULL DEFAULT 0,  -- the last FIFO SequenceNumber handed out
    -- A purge under way: its rows (row ids up to this one) are hidden from receives and counts
    -- and deleted in chunks in the background; NULL when none is.
    purge_seq   INTEGER,
    -- A queue belongs to one account and one region, as in AWS: the same name in two regions
    -- is two queues.
    UNIQUE (account, region, name)
);

-- Queues deleted (DeleteQueue answered, the name free, the counts gone) whose message rows are
-- still being deleted, in chunks in the background (a purge's machinery, ``purge_step``); a
-- queue's id is never reused, so until then its rows belong to no queue and nothing reads them.
CREATE TABLE IF NOT EXISTS queues_deleting (
    queue_id INTEGER PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS deleted_queues (
    account    TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
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
    dedup_id         TEXT,
    -- Set when redrive moved the row to a dead-letter queue: the queue it came from.
    origin_queue_id  INTEGER,
    fifo_seq         INTEGER  -- FIFO queues: the message's SequenceNumber
);

-- How many message rows each queue holds, kept in the transactions that insert, delete or move
-- rows (SQLite: the store adds each group commit's changes before COMMIT; PostgreSQL: triggers
-- append to queue_count_deltas, folded in here by maintenance). GetQueueAttributes' counters
-- read it instead of counting: visible = messages - (in flight + delayed), the latter an index
-- range of the rows with visible_ms in the future. A queue without a row holds none.
CREATE TABLE IF NOT EXISTS queue_counts (
    queue_id INTEGER PRIMARY KEY,
    messages INTEGER NOT NULL DEFAULT 0,
    purging  INTEGER NOT NULL DEFAULT 0  -- of those, hidden by a purge and not deleted yet
);

CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue_id, visible_ms);
-- FIFO: a group's messages in order. Partial, so standard queues pay nothing for it.
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (queue_id, group_id, seq)
    WHERE group_id IS NOT NULL;
-- Fair queues (standard queues whose messages carry MessageGroupId; densho/storage/fair.py):
-- each group's messages by visibility, so a receive finds a group's oldest visible message and
-- counts its messages in flight from the index alone, without reading the group's backlog.
-- Partial: only grouped rows of standard queues (FIFO rows carry fifo_seq), so plain standard
-- queues and FIFO queues pay nothing for it. fifo_seq is always NULL here; it is a column only so
-- that queries testing it are answered from the index. On a queue known to hold groups, a message
-- sent without MessageGroupId is stored with group_id '' (never a valid group id): it is found
-- here too, and read back as having no group.
CREATE INDEX IF NOT EXISTS messages_fair
    ON messages (queue_id, group_id, visible_ms, receive_count, fifo_seq)
    WHERE group_id IS NOT NULL AND fifo_seq IS NULL;

-- FIFO deduplication: a deduplication id is remembered for 5 minutes, whether or not its
-- message still exists. scope is the message group under DeduplicationScope=messageGroup,
-- else ''.
CREATE TABLE IF NOT EXISTS fifo_dedup (
    queue_id   INTEGER NOT NULL,
    scope      TEXT    NOT NULL,
    dedup_id   TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    fifo_seq   INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, scope, dedup_id)
);
-- Expired ids are forgotten in chunks by maintenance, oldest first (``expire_windows``).
CREATE INDEX IF NOT EXISTS fifo_dedup_by_expiry ON fifo_dedup (expires_ms);

-- FIFO ReceiveRequestAttemptId: what a receive returned, so a retry returns the same.
CREATE TABLE IF NOT EXISTS receive_attempts (
    queue_id   INTEGER NOT NULL,
    attempt_id TEXT    NOT NULL,
    nonce      INTEGER NOT NULL,
    seqs       TEXT    NOT NULL,  -- JSON array of row ids, in delivery order
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, attempt_id)
);
CREATE INDEX IF NOT EXISTS receive_attempts_by_expiry ON receive_attempts (expires_ms);

-- Message move tasks (dead-letter queue redrive), durable so a task resumes after a restart.
CREATE TABLE IF NOT EXISTS move_tasks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id              TEXT    NOT NULL UNIQUE,
    source_queue_id      INTEGER NOT NULL,
    source_arn           TEXT    NOT NULL,
    destination_queue_id INTEGER,  -- NULL: each message back to the queue it was redriven from
    destination_arn      TEXT,
    max_per_second       INTEGER,  -- NULL: not given
    status               TEXT    NOT NULL,  -- RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
    to_move              INTEGER NOT NULL,
    moved                INTEGER NOT NULL DEFAULT 0,
    started_ms           INTEGER NOT NULL,
    failure_reason       TEXT
);

CREATE INDEX IF NOT EXISTS move_tasks_by_source ON move_tasks (source_queue_id, id);
-- One active task per source queue (AWS: "Only one active message movement task is supported
-- per queue at any given time").
CREATE UNIQUE INDEX IF NOT EXISTS move_tasks_one_active ON move_tasks (source_queue_id)
    WHERE status IN ('RUNNING', 'CANCELLING');
