-- Named queries of queues and messages, shared by the backends; pg_queries.sql overrides a name
-- where PostgreSQL's SQL differs. Parameters are named (:name); both sqlite3 and the PostgreSQL
-- layer bind them by name. An array parameter (Tx.array) is a JSON text here, read with json_each.
--
-- Reads of a queue's messages name it as "queue_id = (SELECT id FROM queues WHERE id = :queue_id)":
-- the rows of a deleted queue, deleted later in the background (queues_deleting), are then an
-- empty index range (NULL), never delivered nor counted, even for a caller that looked the queue
-- up before it was deleted.

-- name: ping
-- Readiness: the database answers (and, the store being open, its schema is current).
SELECT 1;

-- name: insert_queue
INSERT INTO queues (account, name, region, attributes, tags, created_ms, modified_ms)
VALUES (:account, :name, :region, :attributes, :tags, :now, :now)
ON CONFLICT (account, region, name) DO NOTHING;

-- name: get_queue
SELECT id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms
FROM queues WHERE account = :account AND region = :region AND name = :name;

-- name: list_queues
SELECT id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms
FROM queues
WHERE account = :account AND region = :region AND substr(name, 1, :plen) = :prefix ORDER BY name;

-- name: all_queues
SELECT id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms
FROM queues ORDER BY id;

-- name: mark_deleting
-- A deleted queue's rows are deleted later, in chunks (``purge_step``), resumed after a restart.
INSERT INTO queues_deleting (queue_id) VALUES (:queue_id) ON CONFLICT (queue_id) DO NOTHING;

-- name: delete_queue
DELETE FROM queues WHERE id = :queue_id RETURNING account, region, name;

-- name: remember_deleted
INSERT INTO deleted_queues (account, region, name, deleted_ms)
VALUES (:account, :region, :name, :now)
ON CONFLICT (account, region, name) DO UPDATE SET deleted_ms = excluded.deleted_ms;

-- name: deleted_since
SELECT 1 FROM deleted_queues
WHERE account = :account AND region = :region AND name = :name AND deleted_ms > :since;

-- name: update_queue
UPDATE queues SET attributes = :attributes, tags = :tags, modified_ms = :now WHERE id = :queue_id
RETURNING id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms;

-- name: purge_last
-- The queue's last purge time (a row with NULL: never purged; no row: the queue is gone).
SELECT purged_ms FROM queues WHERE id = :queue_id;

-- name: purge_counts
-- A purge hides every row the queue holds now: counts leave them out until they are deleted.
INSERT INTO queue_counts (queue_id, messages, purging) VALUES (:queue_id, 0, 0)
ON CONFLICT (queue_id) DO UPDATE SET purging = queue_counts.messages;

-- name: mark_purged
-- The purge's rows are those with a row id up to the newest now (a row a dead-letter move or a
-- move task brings in later gets a newer one): receives and counts skip them from here on.
UPDATE queues SET purged_ms = :now, purge_seq = (SELECT coalesce(max(seq), 0) FROM messages)
WHERE id = :queue_id;

-- name: purge_last_seq
-- The newest row id of the queue's purge under way; of a deleted queue whose rows are still
-- being deleted, any row id (all its rows go); no row: nothing to delete.
SELECT purge_seq FROM queues WHERE id = :queue_id AND purge_seq IS NOT NULL
UNION ALL
SELECT 9223372036854775807 FROM queues_deleting WHERE queue_id = :queue_id;

-- name: purges_pending
-- Purges and deleted queues whose rows are still being deleted.
SELECT id FROM queues WHERE purge_seq IS NOT NULL
UNION ALL
SELECT queue_id FROM queues_deleting
ORDER BY 1;

-- name: purge_chunk
-- Up to :limit of a purge's rows, by the queue's visibility index (its oldest first: where
-- receives would have met them).
DELETE FROM messages WHERE seq IN (
    SELECT seq FROM messages INDEXED BY messages_by_visibility
    WHERE queue_id = :queue_id AND seq <= :upto
    LIMIT :limit
);

-- name: purge_chunk_plan
-- Nothing here: purge_chunk names its index (pg_queries.sql's sets how PostgreSQL plans it).
SELECT 1;

-- name: purge_left
SELECT 1 FROM messages INDEXED BY messages_by_visibility
WHERE queue_id = :queue_id AND seq <= :upto LIMIT 1;

-- name: purge_unhide
UPDATE queue_counts SET purging = max(0, purging - :deleted) WHERE queue_id = :queue_id;

-- name: purge_done
-- Every row of the purge is gone: nothing to hide any more (unless a newer purge began).
UPDATE queues SET purge_seq = NULL WHERE id = :queue_id AND purge_seq = :upto;

-- name: deletion_done
DELETE FROM queues_deleting WHERE queue_id = :queue_id;

-- name: purge_counts_done
UPDATE queue_counts SET purging = 0
WHERE queue_id = :queue_id
  AND NOT EXISTS (SELECT 1 FROM queues WHERE id = :queue_id AND purge_seq IS NOT NULL);

-- name: insert_message
-- OR FAIL (here, in claim, claim_rows and add_counts), because ABORT, the default, makes SQLite
-- copy each page a statement of several rows changes into a statement journal first (16 KiB
-- each), so that a constraint failing halfway can undo the statement's earlier rows. No
-- constraint can fail here (every NOT NULL column is bound a value; no unique key is written),
-- and a failure of the disk rolls back the whole transaction either way.
INSERT OR FAIL INTO messages (queue_id, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys,
                      sender_id, sent_ms, visible_ms, group_id, dedup_id, fifo_seq)
VALUES (:queue_id, :message_id, :body, :attrs, :sys_attrs, :md5_body, :md5_attrs, :md5_sys,
        :sender_id, :sent_ms, :visible_ms, :group_id, :dedup_id, :fifo_seq);

-- name: claim_dedup
-- Remember a deduplication id for the window, unless it is remembered already, not expired and
-- sent since the queue's last purge (a purge forgets the ids before it without deleting their
-- rows: maintenance does when their window ends): returns a row when this send is new, none
-- when it is a duplicate (then find_duplicate). A send in the purge's own millisecond but
-- before it stays remembered: a duplicate is refused rather than delivered.
INSERT INTO fifo_dedup (queue_id, scope, dedup_id, message_id, fifo_seq, expires_ms)
VALUES (:queue_id, :scope, :dedup_id, :message_id, :fifo_seq, :expires)
ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE
SET message_id = excluded.message_id, fifo_seq = excluded.fifo_seq,
    expires_ms = excluded.expires_ms
WHERE fifo_dedup.expires_ms <= :now
   OR fifo_dedup.expires_ms - (:expires - :now)
      < coalesce((SELECT purged_ms FROM queues WHERE id = :queue_id), 0)
RETURNING 1;

-- name: find_duplicate
SELECT message_id, fifo_seq FROM fifo_dedup
WHERE queue_id = :queue_id AND scope = :scope AND dedup_id = :dedup_id;

-- name: next_fifo_seq
UPDATE queues SET fifo_seq = fifo_seq + 1 WHERE id = :queue_id RETURNING fifo_seq;

-- name: expire_dedup
-- Up to :limit expired deduplication ids, oldest first (maintenance: one short transaction each).
DELETE FROM fifo_dedup WHERE rowid IN (
    SELECT rowid FROM fifo_dedup WHERE expires_ms <= :now ORDER BY expires_ms LIMIT :limit
);

-- name: expire_attempts
DELETE FROM receive_attempts WHERE rowid IN (
    SELECT rowid FROM receive_attempts WHERE expires_ms <= :now ORDER BY expires_ms LIMIT :limit
);

-- name: find_attempt
SELECT nonce, seqs FROM receive_attempts
WHERE queue_id = :queue_id AND attempt_id = :attempt_id AND expires_ms > :now;

-- name: remember_attempt
INSERT INTO receive_attempts (queue_id, attempt_id, nonce, seqs, expires_ms)
VALUES (:queue_id, :attempt_id, :nonce, :seqs, :expires)
ON CONFLICT (queue_id, attempt_id) DO UPDATE
SET nonce = excluded.nonce, seqs = excluded.seqs, expires_ms = excluded.expires_ms;

-- name: redeliver
UPDATE messages SET visible_ms = :visible_until
WHERE seq IN (SELECT value FROM json_each(:seqs)) AND queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND nonce = :nonce
RETURNING seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
          sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
          nonce;

-- name: group_head
SELECT seq, visible_ms, receive_count FROM messages
WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND group_id = :group_id AND sent_ms > :cutoff AND seq > :after
  AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY seq
LIMIT :limit;

-- FIFO: a group is ready when its head (its oldest live message) is visible; groups are served
-- in the order of their heads (visible_ms, seq), as AWS serves the group that waited longest.
-- name: fifo_walk_heads
-- Of the oldest :budget visible rows (messages_by_visibility, in order), the first :want that
-- are their group's head. Read lazily: rows are looked at only until :want heads are found.
-- The head test (one seek of messages_by_group) sits in the inner select list so that
-- PostgreSQL runs it per row read (a subplan on the row's group), never as an anti-join.
SELECT seq, visible_ms, group_id FROM (
    SELECT m.seq, m.visible_ms, m.group_id,
           NOT EXISTS (SELECT 1 FROM messages AS o
                       WHERE o.queue_id = :queue_id AND o.group_id = m.group_id
                         AND o.seq < m.seq AND o.sent_ms > :cutoff
                         AND o.seq > coalesce((SELECT purge_seq FROM queues
                                               WHERE id = :queue_id), 0)) AS head
    FROM messages AS m
    WHERE m.queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND m.visible_ms <= :now AND m.sent_ms > :cutoff
      AND m.visible_ms > coalesce((SELECT purged_ms FROM queues
                                   WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
      AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
    ORDER BY m.visible_ms, m.seq
    LIMIT :budget
) AS w
WHERE head
LIMIT :want;

-- name: fifo_visible_upto
-- How many rows are visible, counted up to :budget (an index range, no head tests).
SELECT count(*) FROM (
    SELECT 1 FROM messages AS m
    WHERE m.queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND m.visible_ms <= :now AND m.sent_ms > :cutoff
      AND m.visible_ms > coalesce((SELECT purged_ms FROM queues
                                   WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
      AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
    LIMIT :budget
) AS v;

-- name: fifo_ready_groups
-- Skip-scan of the queue's groups (one messages_by_group seek each) and each one's head: the
-- ready ones, in the order of their heads. Costs the number of groups, not of messages: for
-- queues whose visible rows are mostly behind heads in flight.
WITH RECURSIVE g(group_id) AS (
    SELECT (SELECT group_id FROM messages
            WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND group_id > '' ORDER BY group_id LIMIT 1)
    UNION ALL
    SELECT (SELECT m.group_id FROM messages AS m
            WHERE m.queue_id = :queue_id AND m.group_id > g.group_id
            ORDER BY m.group_id LIMIT 1)
    FROM g WHERE g.group_id IS NOT NULL
),
heads(seq) AS (
    SELECT (SELECT m.seq FROM messages AS m
            WHERE m.queue_id = :queue_id AND m.group_id = g.group_id AND m.sent_ms > :cutoff
              AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
            ORDER BY m.seq LIMIT 1)
    FROM g WHERE g.group_id IS NOT NULL
)
SELECT m.seq, m.visible_ms, m.group_id FROM heads JOIN messages AS m ON m.seq = heads.seq
WHERE m.visible_ms <= :now
  AND m.visible_ms > coalesce((SELECT purged_ms FROM queues
                               WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
ORDER BY m.visible_ms, m.seq
LIMIT :limit;

-- name: claim
-- Standard queues: of the oldest visible rows (a window of :window, by the visibility index),
-- the :limit sent first, so a message back from flight comes before newer ones that became
-- visible earlier (AWS), at the cost of a few more index rows, never of the backlog.
UPDATE OR FAIL messages
SET visible_ms = :visible_until,
    receive_count = receive_count + 1,
    first_receive_ms = COALESCE(first_receive_ms, :now),
    last_receive_ms = :now,
    nonce = :nonce
WHERE seq IN (
    SELECT seq FROM (
        SELECT seq FROM messages
        WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
          AND visible_ms > coalesce((SELECT purged_ms FROM queues
                                     WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
          AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
        ORDER BY visible_ms, seq
        LIMIT :window
    ) ORDER BY seq LIMIT :limit
)
RETURNING seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
          sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
          nonce;

-- name: next_visible
SELECT min(visible_ms) FROM messages
WHERE queue_id = :queue_id AND visible_ms > :now AND sent_ms > :cutoff;

-- name: delete_message
-- The row of the handle's message: by its id (any receive of it) or by the nonce of the
-- handle's receive (the other one NULL), in flight at :in_flight_at (or any time: a past one).
DELETE FROM messages WHERE seq = :seq AND queue_id = :queue_id
AND (message_id = :message_id OR nonce = :nonce) AND visible_ms > :in_flight_at;

-- name: message_named
-- Whether the handle's message is still there (by its id or by the nonce of its receive).
SELECT 1 FROM messages WHERE seq = :seq AND queue_id = :queue_id
AND (message_id = :message_id OR nonce = :nonce);

-- name: visibility_row
SELECT nonce, visible_ms, last_receive_ms, message_id FROM messages
WHERE seq = :seq AND queue_id = :queue_id;

-- name: set_visibility
UPDATE messages SET visible_ms = :visible WHERE seq = :seq;

-- name: counts
-- The queue's rows (queue_counts), and of them those in flight and delayed: an index range of
-- the rows whose visible_ms is in the future, so the cost is theirs, not the backlog's. Rows past
-- retention count until maintenance deletes them (AWS's counts are approximate too).
SELECT coalesce((SELECT messages - purging FROM queue_counts WHERE queue_id = :queue_id), 0),
       count(*) FILTER (WHERE receive_count > 0),
       count(*) FILTER (WHERE receive_count = 0)
FROM messages WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms > :now AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0);

-- name: message_total
-- The queue's rows as queue_counts keeps them (one row read, no counting): ReceiveMessage's
-- in-flight limit counts the rows in flight only when the queue holds enough to reach it.
SELECT coalesce((SELECT messages - purging FROM queue_counts WHERE queue_id = :queue_id), 0);

-- name: in_flight
-- The queue's rows in flight: an index range of the rows whose visible_ms is in the future.
SELECT count(*) FROM messages
WHERE queue_id = :queue_id AND visible_ms > :now AND receive_count > 0
  AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0);

-- name: add_counts
-- A group commit's changes to one queue's row count (SQLite), unless the queue is gone.
INSERT OR FAIL INTO queue_counts (queue_id, messages)
SELECT :queue_id, :delta WHERE EXISTS (SELECT 1 FROM queues WHERE id = :queue_id)
ON CONFLICT (queue_id) DO UPDATE SET messages = messages + excluded.messages;

-- name: forget_counts
DELETE FROM queue_counts WHERE queue_id = :queue_id;

-- name: backfill_counts
-- Counting every queue's rows once: a database written before queue_counts existed.
INSERT INTO queue_counts (queue_id, messages)
SELECT q.id, (SELECT count(*) FROM messages AS m WHERE m.queue_id = q.id) FROM queues AS q
WHERE true
ON CONFLICT (queue_id) DO UPDATE SET messages = excluded.messages;

-- name: queue_overview
-- Every queue with its backlog (the counts of ``counts``, and its oldest unexpired message's send
-- time) in one statement: the metrics' gauges and the console's queue list. The counts come from
-- queue_counts and the rows in flight or delayed; the oldest message is the oldest of those rows
-- and of the first 100 the queue would deliver next (two index ranges, never the backlog):
-- approximate, as AWS's ApproximateAgeOfOldestMessage — a message delayed, or made visible again
-- by an expired visibility timeout, may stand behind younger ones at the head. Run off the event
-- loop all the same (``Backend._read``): one statement for every queue.
SELECT q.id, q.account, q.name, q.region, q.attributes, q.tags, q.created_ms, q.modified_ms,
       q.purged_ms,
       coalesce((SELECT c.messages - c.purging FROM queue_counts AS c WHERE c.queue_id = q.id), 0),
       (SELECT count(*) FROM messages AS m
        WHERE m.queue_id = q.id AND m.visible_ms > :now AND m.receive_count > 0
          AND m.seq > coalesce(q.purge_seq, 0)),
       (SELECT count(*) FROM messages AS m
        WHERE m.queue_id = q.id AND m.visible_ms > :now AND m.receive_count = 0
          AND m.seq > coalesce(q.purge_seq, 0)),
       (SELECT min(s.sent_ms) FROM (
            SELECT m.sent_ms FROM messages AS m
            WHERE m.queue_id = q.id AND m.visible_ms > :now AND m.seq > coalesce(q.purge_seq, 0)
            UNION ALL
            SELECT * FROM (
                SELECT m.sent_ms FROM messages AS m
                WHERE m.queue_id = q.id AND m.visible_ms <= :now
                  AND m.visible_ms >= CASE WHEN q.purge_seq IS NULL THEN -1 ELSE q.purged_ms END
                  AND m.seq > coalesce(q.purge_seq, 0)
                  AND m.sent_ms > :now - 1000 * coalesce(
                      CAST(json_extract(q.attributes, '$.MessageRetentionPeriod') AS INTEGER),
                      :retention_s)
                ORDER BY m.visible_ms
                LIMIT 100)) AS s
        WHERE s.sent_ms > :now - 1000 * coalesce(
            CAST(json_extract(q.attributes, '$.MessageRetentionPeriod') AS INTEGER),
            :retention_s))
FROM queues q
ORDER BY q.account, q.region, q.name;

-- name: expire_candidates
-- Rows past retention: a read of the queue's rows, run off the event loop (``Backend._read``).
SELECT seq FROM messages WHERE queue_id = :queue_id AND sent_ms <= :cutoff LIMIT :limit;

-- name: expire
-- Of those rows, the ones still there and still the queue's.
DELETE FROM messages
WHERE seq IN (SELECT value FROM json_each(:seqs)) AND queue_id = :queue_id
  AND sent_ms <= :cutoff;

-- name: claim_candidates
-- As claim's choice (a window, then send order).
SELECT seq, receive_count FROM (
    SELECT seq, receive_count FROM messages
    WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
      AND visible_ms > coalesce((SELECT purged_ms FROM queues
                                 WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
      AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
    ORDER BY visible_ms, seq
    LIMIT :window
) ORDER BY seq LIMIT :limit;

-- name: move_to_queue
-- One row (SQLite evaluates the new row id once per statement): a new row id, newer than any
-- purge of the dead-letter queue so far, which must not hide it.
UPDATE messages
SET origin_queue_id = queue_id, queue_id = :target, visible_ms = :now, nonce = 0,
    seq = (SELECT max(seq) + 1 FROM messages)
WHERE seq = :seq;

-- name: claim_rows
UPDATE OR FAIL messages
SET visible_ms = :visible_until,
    receive_count = receive_count + 1,
    first_receive_ms = COALESCE(first_receive_ms, :now),
    last_receive_ms = :now,
    nonce = :nonce
WHERE seq IN (SELECT value FROM json_each(:seqs))
  AND queue_id = (SELECT id FROM queues WHERE id = :queue_id)
RETURNING seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
          sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
          nonce;

-- Fair queues (standard queues with message groups): see densho/storage/fair.py. Every
-- query tests "fifo_seq IS NULL" and a group_id comparison so SQLite uses the partial index
-- messages_fair; '' is the ungrouped messages of a fair queue, so group scans start after it.

-- name: fair_probe
SELECT 1 FROM messages WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND group_id > '' AND fifo_seq IS NULL LIMIT 1;

-- name: fair_groups
-- Skip-scan: up to :max_groups distinct groups after :after (one index seek each), with each
-- group's visible messages (counted up to :need) and, when it has some, its messages in flight
-- (counted up to :cap), both from the index alone.
WITH RECURSIVE g(group_id, n) AS (
    SELECT (SELECT group_id FROM messages
            WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND group_id > :after AND fifo_seq IS NULL
            ORDER BY group_id LIMIT 1), 1
    UNION ALL
    SELECT (SELECT m.group_id FROM messages AS m
            WHERE m.queue_id = :queue_id AND m.group_id > g.group_id AND m.fifo_seq IS NULL
            ORDER BY m.group_id LIMIT 1), g.n + 1
    FROM g WHERE g.group_id IS NOT NULL AND g.n < :max_groups
),
v(group_id, visible) AS (
    SELECT g.group_id,
           (SELECT count(*) FROM (
                SELECT 1 FROM messages AS m
                WHERE m.queue_id = :queue_id AND m.group_id = g.group_id AND m.fifo_seq IS NULL
                  AND m.visible_ms <= :now
                  AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
                LIMIT :need) AS s)
    FROM g WHERE g.group_id IS NOT NULL
)
SELECT v.group_id, v.visible,
       CASE WHEN v.visible > 0 THEN (SELECT count(*) FROM (
            SELECT 1 FROM messages AS m
            WHERE m.queue_id = :queue_id AND m.group_id = v.group_id AND m.fifo_seq IS NULL
              AND m.visible_ms > :now AND m.receive_count > 0
              AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
            LIMIT :cap) AS s) ELSE 0 END
FROM v;

-- name: fair_group_heads
SELECT seq, visible_ms, receive_count FROM messages
WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND group_id = :group_id AND fifo_seq IS NULL
  AND visible_ms <= :now AND sent_ms > :cutoff
  AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY visible_ms
LIMIT :limit;

-- name: fair_window
SELECT seq, visible_ms, receive_count, group_id FROM messages
WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
  AND visible_ms > coalesce((SELECT purged_ms FROM queues
                             WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
  AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY visible_ms, seq
LIMIT :window;

-- Browsing without consuming (the console): keyset pages on messages_by_visibility
-- (queue_id, visible_ms, seq; SQLite's index carries seq as its rowid), LIMIT n, so a page
-- costs the same on a queue of millions. The row value comparison is answered from the index.

-- name: peek_forward
SELECT seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
       sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
       nonce, visible_ms
FROM messages
WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND (visible_ms, seq) > (:after_visible, :after_seq)
  AND sent_ms > :cutoff AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY visible_ms, seq
LIMIT :limit;

-- name: peek_backward
SELECT seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
       sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
       nonce, visible_ms
FROM messages
WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND (visible_ms, seq) < (:after_visible, :after_seq)
  AND sent_ms > :cutoff AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY visible_ms DESC, seq DESC
LIMIT :limit;

-- One message a browser saw, by its row and message id together: a row id SQLite reuses
-- after a deletion never carries the same message id, so a stale page deletes nothing.
-- name: delete_peeked
DELETE FROM messages WHERE seq = :seq AND queue_id = :queue_id AND message_id = :message_id;

