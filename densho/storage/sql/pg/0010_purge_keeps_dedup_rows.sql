-- PostgreSQL schema, version 9: PurgeQueue forgets a FIFO queue's deduplication ids without
-- deleting them.

-- A purge deleted the queue's fifo_dedup rows in its own statement: up to a few hundred
-- thousand rows (five minutes of sends) in the one transaction that PurgeQueue answers after.
-- Now an id remembered from before the queue's last purge (sent before purged_ms: its expiry
-- less the window) counts as forgotten, and maintenance deletes the row when its window ends
-- (``expire_windows``, in chunks), as it does a deleted queue's. A send in the purge's own
-- millisecond but before it stays remembered: a duplicate is refused rather than delivered.
-- Otherwise as migration 0005.
CREATE OR REPLACE FUNCTION densho_send_fifo(
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
    purged BIGINT;
    dup_message_id TEXT;
    dup_fifo_seq BIGINT;
BEGIN
    SELECT q.fifo_seq, coalesce(q.purged_ms, 0) INTO counter, purged
    FROM queues AS q WHERE q.id = p_queue_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_message_ids, 1), 0) LOOP
        SELECT d.message_id, d.fifo_seq INTO dup_message_id, dup_fifo_seq
        FROM fifo_dedup AS d
        WHERE d.queue_id = p_queue_id AND d.scope = p_scopes[i] AND d.dedup_id = p_dedup_ids[i]
          AND d.expires_ms > p_now[i]
          AND d.expires_ms - (p_expires[i] - p_now[i]) >= purged;  -- sent since the last purge
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
