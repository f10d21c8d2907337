-- PostgreSQL schema, version 12: a FIFO send call inserts its messages and deduplication ids
-- with one statement each, not one per message.

-- Migration 0010's function ran two INSERTs per message: each a statement of its own, and each
-- INSERT into messages one run of the counting trigger (a queue_count_deltas row per message);
-- the call holds its queue's row throughout (and through its commit), so every sender of the
-- queue waits for it. Now the loop only decides (deduplication, SequenceNumbers) and the rows
-- go in after it, together, in SequenceNumber order (so their row ids increase in that order).
-- An entry that repeats an earlier entry of the same call is answered as that one, as it was
-- when the earlier one's fifo_dedup row was already written. Otherwise as migration 0010.
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
    k_scopes TEXT[] := '{}';  -- the (scope, id) of each entry enqueued by this call
    k_dedups TEXT[] := '{}';
    taken INTEGER[] := '{}';  -- the entries enqueued (1-based), in order
    seqs BIGINT[] := '{}';    -- and their SequenceNumbers
    j INTEGER;
BEGIN
    SELECT q.fifo_seq, coalesce(q.purged_ms, 0) INTO counter, purged
    FROM queues AS q WHERE q.id = p_queue_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_message_ids, 1), 0) LOOP
        j := NULL;
        FOR t IN 1 .. coalesce(array_length(taken, 1), 0) LOOP
            IF k_scopes[t] = p_scopes[i] AND k_dedups[t] = p_dedup_ids[i] THEN
                j := t;
                EXIT;
            END IF;
        END LOOP;
        IF j IS NOT NULL THEN  -- a repeat of an entry of this call: answered as that one
            r_index := i - 1;
            r_message_id := p_message_ids[taken[j]];
            r_fifo_seq := seqs[j];
            RETURN NEXT;
            CONTINUE;
        END IF;
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
        k_scopes := k_scopes || p_scopes[i];
        k_dedups := k_dedups || p_dedup_ids[i];
        taken := taken || i;
        seqs := seqs || counter;
        r_index := i - 1;
        r_message_id := p_message_ids[i];
        r_fifo_seq := counter;
        RETURN NEXT;
    END LOOP;
    IF coalesce(array_length(taken, 1), 0) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO messages (queue_id, message_id, body, attrs, sys_attrs, md5_body, md5_attrs,
                          md5_sys, sender_id, sent_ms, visible_ms, group_id, dedup_id, fifo_seq)
    SELECT p_queue_id, p_message_ids[u.i], p_bodies[u.i], p_attrs[u.i], p_sys_attrs[u.i],
           p_md5_bodies[u.i], p_md5_attrs[u.i], p_md5_sys[u.i], p_sender_ids[u.i], p_sent[u.i],
           p_visible[u.i], p_group_ids[u.i], p_dedup_ids[u.i], u.s
    FROM unnest(taken, seqs) AS u(i, s)
    ORDER BY u.s;
    INSERT INTO fifo_dedup AS d (queue_id, scope, dedup_id, message_id, fifo_seq, expires_ms)
    SELECT p_queue_id, p_scopes[u.i], p_dedup_ids[u.i], p_message_ids[u.i], u.s, p_expires[u.i]
    FROM unnest(taken, seqs) AS u(i, s)
    ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE
    SET message_id = excluded.message_id, fifo_seq = excluded.fifo_seq,
        expires_ms = excluded.expires_ms;
    UPDATE queues AS q SET fifo_seq = counter WHERE q.id = p_queue_id;
END;
$$;
