-- PostgreSQL overrides of queries.sql (by name), and queries only the PostgreSQL store runs.
-- Why they differ: lists of row ids are arrays (not JSON), claims lock with FOR UPDATE SKIP
-- LOCKED so receivers on several nodes never claim the same row, row ids come back through
-- RETURNING, and booleans are not numbers.

-- name: insert_message
INSERT INTO messages (queue_id, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys,
                      sender_id, sent_ms, visible_ms, group_id, dedup_id, fifo_seq)
VALUES (:queue_id, :message_id, :body, :attrs, :sys_attrs, :md5_body, :md5_attrs, :md5_sys,
        :sender_id, :sent_ms, :visible_ms, :group_id, :dedup_id, :fifo_seq)
RETURNING seq;

-- name: insert_messages
-- Many rows in one statement (one round trip, one commit): one array per column. Rows are
-- inserted in array order, so their row ids increase in that order.
INSERT INTO messages (queue_id, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys,
                      sender_id, sent_ms, visible_ms, group_id, dedup_id, fifo_seq)
SELECT * FROM unnest(:queue_ids::bigint[], :message_ids::text[], :bodies::text[],
                     :attrs::bytea[], :sys_attrs::bytea[], :md5_bodies::text[],
                     :md5_attrs::text[], :md5_sys::text[], :sender_ids::text[],
                     :sent::bigint[], :visible::bigint[], :group_ids::text[], :dedup_ids::text[],
                     :fifo_seqs::bigint[])
RETURNING message_id, seq;

-- name: send_fifo
-- FIFO sends to one queue in one statement (migration 0005 says why and what it answers).
SELECT r_index, r_message_id, r_fifo_seq
FROM densho_send_fifo(:queue_id, :now::bigint[], :expires::bigint[], :scopes::text[],
                      :message_ids::text[], :bodies::text[], :attrs::bytea[],
                      :sys_attrs::bytea[], :md5_bodies::text[], :md5_attrs::text[],
                      :md5_sys::text[], :sender_ids::text[], :sent::bigint[],
                      :visible::bigint[], :group_ids::text[], :dedup_ids::text[]);

-- name: lock_fifo_queues
SELECT id FROM queues WHERE id = ANY(:ids::bigint[]) ORDER BY id FOR NO KEY UPDATE;

-- name: live_queues
-- Which of these queues still exist (after an insert found one gone: deleted by another node).
SELECT id FROM queues WHERE id = ANY(:ids::bigint[]);

-- name: purge_last
-- Concurrent purges of one queue (several nodes) take turns on its row, so the 60-second rule
-- sees the purge before.
SELECT purged_ms FROM queues WHERE id = :queue_id FOR NO KEY UPDATE;

-- name: expire
-- Maintenance runs on every node: rows another transaction holds (a receive, a delete, another
-- node's expiry) are left for the next round rather than waited for (no lock waits, no
-- deadlocks with requests).
DELETE FROM messages WHERE seq IN (
    SELECT seq FROM messages
    WHERE seq = ANY(:seqs::bigint[]) AND queue_id = :queue_id AND sent_ms <= :cutoff
    FOR UPDATE SKIP LOCKED
);

-- name: expire_dedup
-- As queries.sql's; rows a send holds are left for the next round.
DELETE FROM fifo_dedup WHERE ctid IN (
    SELECT ctid FROM fifo_dedup WHERE expires_ms <= :now ORDER BY expires_ms LIMIT :limit
    FOR UPDATE SKIP LOCKED
);

-- name: expire_attempts
DELETE FROM receive_attempts WHERE ctid IN (
    SELECT ctid FROM receive_attempts WHERE expires_ms <= :now ORDER BY expires_ms LIMIT :limit
    FOR UPDATE SKIP LOCKED
);

-- name: lock_fifo_group
-- A FIFO receive works on a message group only while it holds this lock (until it commits), so
-- two receivers never deliver from one group at once; a group another receiver holds is passed
-- over, as if locked by a message in flight.
SELECT pg_try_advisory_xact_lock(:queue_id::integer, hashtext(:group_id));

-- name: receive_fifo
-- A FIFO receive without ReceiveRequestAttemptId or dead-letter queue in one statement,
-- committed by itself (migration 0011): the rows claimed, in delivery order, with
-- claim_fifo_rows' columns and a last one as claim's: NULL, or in the one row of NULLs that
-- says none was claimed, next_visible's answer.
WITH r AS MATERIALIZED (
    SELECT * FROM densho_receive_fifo(:queue_id, :now, :cutoff, :limit, :budget, :scans,
                                      :visible_until, :nonce)
)
SELECT r.*, NULL::bigint FROM r
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL,
       (SELECT min(visible_ms) FROM messages
        WHERE queue_id = :queue_id AND visible_ms > :now AND sent_ms > :cutoff)
WHERE NOT EXISTS (SELECT 1 FROM r);

-- name: redeliver
UPDATE messages SET visible_ms = :visible_until
WHERE seq = ANY(:seqs::bigint[]) AND queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND nonce = :nonce
RETURNING seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
          sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
          nonce;

-- name: claim
-- As queries.sql's (a window, then send order); the window's rows are locked (SKIP LOCKED), so
-- concurrent receivers choose among rows nobody else holds. A last column, NULL; when no row is
-- claimed, instead one row of NULLs whose last column is next_visible's answer (the earliest
-- future visible_at): an empty receive in one round trip, not two (claims.plain).
WITH c AS (
    UPDATE messages AS m
    SET visible_ms = :visible_until,
        receive_count = m.receive_count + 1,
        first_receive_ms = COALESCE(m.first_receive_ms, :now),
        last_receive_ms = :now,
        nonce = :nonce
    FROM (
        SELECT seq FROM (
            SELECT seq FROM messages
            WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
              AND visible_ms > coalesce((SELECT purged_ms FROM queues
                                         WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
              AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
            ORDER BY visible_ms, seq
            LIMIT :window
            FOR UPDATE SKIP LOCKED
        ) AS w ORDER BY seq LIMIT :limit
    ) AS c
    WHERE m.seq = c.seq
    RETURNING m.seq, m.message_id, m.body, m.attrs, m.sys_attrs, m.md5_body, m.md5_attrs,
              m.md5_sys, m.sender_id, m.sent_ms, m.receive_count, m.first_receive_ms,
              m.group_id, m.dedup_id, m.fifo_seq, m.origin_queue_id, m.nonce
)
SELECT c.*, NULL::bigint FROM c
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL,
       (SELECT min(visible_ms) FROM messages
        WHERE queue_id = :queue_id AND visible_ms > :now AND sent_ms > :cutoff)
WHERE NOT EXISTS (SELECT 1 FROM c);

-- name: claim_many
-- Several receives of one queue at one time in one statement (a loop turn's, postgres.py): as
-- claim, over a window as large as theirs together; its rows in send order are dealt out in
-- turn, :owners[n] the receive (1-based) that gets the n-th, each receive its own visibility
-- and nonce. Claim's columns, then the receive's number; when fewer rows than :limit were
-- claimed, also a row of NULLs whose last column is next_visible's answer.
WITH c AS (
    UPDATE messages AS m
    SET visible_ms = (:visible_untils::bigint[])[o.k],
        receive_count = m.receive_count + 1,
        first_receive_ms = COALESCE(m.first_receive_ms, :now),
        last_receive_ms = :now,
        nonce = (:nonces::bigint[])[o.k]
    FROM (
        SELECT seq, (:owners::integer[])[row_number() OVER (ORDER BY seq)] AS k FROM (
            SELECT seq FROM messages
            WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
              AND visible_ms > coalesce((SELECT purged_ms FROM queues
                                         WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
              AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
            ORDER BY visible_ms, seq
            LIMIT :window
            FOR UPDATE SKIP LOCKED
        ) AS w ORDER BY seq LIMIT :limit
    ) AS o
    WHERE m.seq = o.seq
    RETURNING m.seq, m.message_id, m.body, m.attrs, m.sys_attrs, m.md5_body, m.md5_attrs,
              m.md5_sys, m.sender_id, m.sent_ms, m.receive_count, m.first_receive_ms,
              m.group_id, m.dedup_id, m.fifo_seq, m.origin_queue_id, m.nonce, o.k
)
SELECT c.*, NULL::bigint FROM c
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL,
       (SELECT min(visible_ms) FROM messages
        WHERE queue_id = :queue_id AND visible_ms > :now AND sent_ms > :cutoff)
WHERE (SELECT count(*) FROM c) < :limit;

-- name: claim_candidates
SELECT seq, receive_count FROM (
    SELECT seq, receive_count FROM messages
    WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now AND sent_ms > :cutoff
      AND visible_ms > coalesce((SELECT purged_ms FROM queues
                                 WHERE id = :queue_id AND purge_seq IS NOT NULL), -1)
      AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
    ORDER BY visible_ms, seq
    LIMIT :window
    FOR UPDATE SKIP LOCKED
) AS w ORDER BY seq LIMIT :limit;

-- name: claim_rows
-- Rows picked by an earlier read of this transaction: claimed only if no other receiver holds
-- or took them meanwhile (standard and fair queues; a row skipped here is simply not delivered).
UPDATE messages AS m
SET visible_ms = :visible_until,
    receive_count = m.receive_count + 1,
    first_receive_ms = COALESCE(m.first_receive_ms, :now),
    last_receive_ms = :now,
    nonce = :nonce
FROM (
    SELECT seq FROM messages
    WHERE seq = ANY(:seqs::bigint[]) AND queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now
    FOR UPDATE SKIP LOCKED
) AS c
WHERE m.seq = c.seq
RETURNING m.seq, m.message_id, m.body, m.attrs, m.sys_attrs, m.md5_body, m.md5_attrs, m.md5_sys,
          m.sender_id, m.sent_ms, m.receive_count, m.first_receive_ms, m.group_id, m.dedup_id,
          m.fifo_seq, m.origin_queue_id, m.nonce;

-- name: claim_fifo_rows
-- FIFO: the group is held (lock_fifo_group), so these rows wait for any other writer rather
-- than being skipped, which would deliver a group out of order.
UPDATE messages
SET visible_ms = :visible_until,
    receive_count = receive_count + 1,
    first_receive_ms = COALESCE(first_receive_ms, :now),
    last_receive_ms = :now,
    nonce = :nonce
WHERE seq = ANY(:seqs::bigint[]) AND queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms <= :now
RETURNING seq, message_id, body, attrs, sys_attrs, md5_body, md5_attrs, md5_sys, sender_id,
          sent_ms, receive_count, first_receive_ms, group_id, dedup_id, fifo_seq, origin_queue_id,
          nonce;

-- name: move_to_queue
-- A new row id, newer than any purge of the dead-letter queue so far, which must not hide it.
UPDATE messages
SET origin_queue_id = queue_id, queue_id = :target, visible_ms = :now, nonce = 0,
    seq = nextval(pg_get_serial_sequence('messages', 'seq'))
WHERE seq = :seq;

-- name: purge_counts
-- As queries.sql's, with the deltas not folded yet.
INSERT INTO queue_counts AS c (queue_id, messages, purging)
VALUES (:queue_id, 0,
        coalesce((SELECT sum(delta) FROM queue_count_deltas WHERE queue_id = :queue_id), 0))
ON CONFLICT (queue_id) DO UPDATE SET purging = c.messages + excluded.purging;

-- name: purge_chunk_plan
-- For the rest of the purge step's transaction: purge_chunk and purge_left walk the queue's
-- visibility index.
-- Right after a fill (statistics not analyzed yet) the planner took the queue for a few hundred
-- rows and chose a bitmap scan of all of them plus a sort spilling to disk: 1-3 s a chunk.
SET LOCAL enable_bitmapscan = off;

-- name: purge_chunk
-- Rows another node's chunk holds are left to it.
DELETE FROM messages WHERE seq IN (
    SELECT seq FROM messages
    WHERE queue_id = :queue_id AND seq <= :upto
    ORDER BY visible_ms
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
);

-- name: purge_left
SELECT 1 FROM messages WHERE queue_id = :queue_id AND seq <= :upto LIMIT 1;

-- name: purge_unhide
UPDATE queue_counts SET purging = greatest(0, purging - :deleted) WHERE queue_id = :queue_id;

-- name: delete_message
-- As queries.sql's. Whether the row was a FIFO queue's (its group may be unlocked now: tell
-- the other nodes); no row: the handle named none.
DELETE FROM messages WHERE seq = :seq AND queue_id = :queue_id
AND (message_id = :message_id OR nonce = :nonce) AND visible_ms > :in_flight_at
RETURNING fifo_seq IS NOT NULL;

-- name: delete_messages
-- Several handles at once, of any queues (the deletes of a loop turn: one statement, one
-- commit), each by message id or by nonce (the other NULL) and in flight at its own time: the
-- rows deleted, each once however many handles named it.
DELETE FROM messages AS m
USING unnest(:seqs::bigint[], :queue_ids::bigint[], :nonces::bigint[], :message_ids::text[],
             :in_flight_at::bigint[]) AS h(seq, queue_id, nonce, message_id, in_flight_at)
WHERE m.seq = h.seq AND m.queue_id = h.queue_id
AND (m.message_id = h.message_id OR m.nonce = h.nonce) AND m.visible_ms > h.in_flight_at
RETURNING m.queue_id, m.seq, m.nonce, m.message_id, m.visible_ms, m.fifo_seq IS NOT NULL;

-- name: visibility_row
SELECT nonce, visible_ms, last_receive_ms, message_id FROM messages
WHERE seq = :seq AND queue_id = :queue_id
FOR UPDATE;

-- name: counts
-- As queries.sql's; the row count is the folded one plus the deltas not folded yet (one
-- snapshot: a fold moves deltas into queue_counts atomically).
SELECT coalesce((SELECT messages - purging FROM queue_counts WHERE queue_id = :queue_id), 0)
       + coalesce((SELECT sum(delta) FROM queue_count_deltas
                   WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id)), 0),
       count(*) FILTER (WHERE receive_count > 0),
       count(*) FILTER (WHERE receive_count = 0)
FROM messages WHERE queue_id = (SELECT id FROM queues WHERE id = :queue_id) AND visible_ms > :now AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0);

-- name: message_total
-- As queries.sql's, plus the deltas not folded yet (as counts).
SELECT coalesce((SELECT messages - purging FROM queue_counts WHERE queue_id = :queue_id), 0)
       + coalesce((SELECT sum(delta) FROM queue_count_deltas WHERE queue_id = :queue_id), 0);

-- name: fold_counts
-- Maintenance, on any node: move the deltas the triggers appended into queue_counts (atomic;
-- a concurrent fold on another node finds the rows already deleted and adds nothing twice).
-- Deltas of deleted queues are dropped.
WITH d AS (DELETE FROM queue_count_deltas RETURNING queue_id, delta)
INSERT INTO queue_counts AS c (queue_id, messages)
SELECT d.queue_id, sum(d.delta) FROM d
WHERE EXISTS (SELECT 1 FROM queues AS q WHERE q.id = d.queue_id)
GROUP BY d.queue_id
ON CONFLICT (queue_id) DO UPDATE SET messages = c.messages + excluded.messages;

-- name: queue_overview
-- As queries.sql's; the attributes are JSON text read with PostgreSQL's operators.
SELECT q.id, q.account, q.name, q.region, q.attributes, q.tags, q.created_ms, q.modified_ms,
       q.purged_ms,
       coalesce((SELECT c.messages - c.purging FROM queue_counts AS c WHERE c.queue_id = q.id), 0)
       + coalesce((SELECT sum(d.delta) FROM queue_count_deltas AS d WHERE d.queue_id = q.id), 0),
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
            (SELECT m.sent_ms FROM messages AS m
             WHERE m.queue_id = q.id AND m.visible_ms <= :now
               AND m.visible_ms >= CASE WHEN q.purge_seq IS NULL THEN -1 ELSE q.purged_ms END
               AND m.seq > coalesce(q.purge_seq, 0)
               AND m.sent_ms > :now::bigint - 1000 * coalesce(
                   (q.attributes::json ->> 'MessageRetentionPeriod')::bigint, :retention_s::bigint)
             ORDER BY m.visible_ms
             LIMIT 100)) AS s
        WHERE s.sent_ms > :now::bigint - 1000 * coalesce(
            (q.attributes::json ->> 'MessageRetentionPeriod')::bigint, :retention_s::bigint))
FROM queues q
ORDER BY q.account, q.region, q.name COLLATE "C";
