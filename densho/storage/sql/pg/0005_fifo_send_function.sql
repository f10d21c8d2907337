-- PostgreSQL schema, version 5: a FIFO send in one statement.

-- A FIFO send holds its queue's row until it commits, so sends to one FIFO queue take turns (NO
-- KEY UPDATE, not UPDATE: the foreign key checks of other transactions' inserts into the queue,
-- a dead-letter move in a receive, need not wait for it; a DeleteQueue does). Done as separate statements from the client, the lock was held through five
-- round trips plus the commit, which capped a FIFO queue at a few hundred sends a second. Here
-- the lock, the deduplication look-up, the SequenceNumbers, the inserts, remembering the
-- deduplication ids and advancing the counter are one call: the lock is held for the server's
-- work and the commit only, and the rows of several sends (one array entry per message, in send
-- order) share that call and its commit.
--
-- Rows are taken in array order, each seeing the ones before it: a later entry with the
-- deduplication id of an earlier one (same call or any earlier committed send, on any node)
-- answers that one's MessageId and SequenceNumber and is not enqueued. A scope is the message
-- group for queue-wide deduplication off ('' for the whole queue), as in fifo_dedup.
-- Returns (index into the arrays, message id, SequenceNumber) per entry, or no row at all when
-- the queue does not exist (deleted, perhaps by another node).
CREATE FUNCTION densho_send_fifo(
    p_queue_id    BIGINT,
    p_now         BIGINT[],  -- per entry: entries of a window that ended before are forgotten
    p_expires     BIGINT[],  -- per entry: until when its deduplication id is remembered
    p_scopes      TEXT[],
    p_message_ids TEXT[],
    p_bodies      TEXT[],
    p_attrs       BYTEA[],
    p_sys_attrs   BYTEA[],
    p_md5_bodies  TEXT[],
    p_md5_attrs   TEXT[],
    p_md5_sys     TEXT[],
    p_sender_ids  TEXT[],
    p_sent        BIGINT[],
    p_visible     BIGINT[],
    p_group_ids   TEXT[],
    p_dedup_ids   TEXT[]
) RETURNS TABLE (r_index INTEGER, r_message_id TEXT, r_fifo_seq BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    counter BIGINT;
    dup_message_id TEXT;
    dup_fifo_seq BIGINT;
BEGIN
    SELECT q.fifo_seq INTO counter FROM queues AS q WHERE q.id = p_queue_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_message_ids, 1), 0) LOOP
        SELECT d.message_id, d.fifo_seq INTO dup_message_id, dup_fifo_seq
        FROM fifo_dedup AS d
        WHERE d.queue_id = p_queue_id AND d.scope = p_scopes[i] AND d.dedup_id = p_dedup_ids[i]
          AND d.expires_ms > p_now[i];
        IF FOUND THEN  -- accepted, not enqueued again: answered as the original
            r_index := i - 1;
            r_message_id := dup_message_id;
            r_fifo_seq := dup_fifo_seq;
            RETURN NEXT;
            CONTINUE;
        END IF;
        counter := counter + 1;
        INSERT INTO messages (queue_id, message_id, body, attrs, sys_attrs, md5_body, md5_attrs,
                              md5_sys, sender_id, sent_ms, visible_ms, group_id, dedup_id,
                              fifo_seq)
        VALUES (p_queue_id, p_message_ids[i], p_bodies[i], p_attrs[i], p_sys_attrs[i],
                p_md5_bodies[i], p_md5_attrs[i], p_md5_sys[i], p_sender_ids[i], p_sent[i],
                p_visible[i], p_group_ids[i], p_dedup_ids[i], counter);
        INSERT INTO fifo_dedup AS d (queue_id, scope, dedup_id, message_id, fifo_seq, expires_ms)
        VALUES (p_queue_id, p_scopes[i], p_dedup_ids[i], p_message_ids[i], counter, p_expires[i])
        ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE
        SET message_id = excluded.message_id, fifo_seq = excluded.fifo_seq,
            expires_ms = excluded.expires_ms;
        r_index := i - 1;
        r_message_id := p_message_ids[i];
        r_fifo_seq := counter;
        RETURN NEXT;
    END LOOP;
    UPDATE queues AS q SET fifo_seq = counter WHERE q.id = p_queue_id AND q.fifo_seq <> counter;
END;
$$;
