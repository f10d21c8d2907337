-- PostgreSQL schema, version 8: DeleteQueue without deleting the queue's rows in one statement.

-- Queues deleted whose rows are still being deleted, in chunks in the background, by any node
-- (see ../schema.sql).
CREATE TABLE queues_deleting (
    queue_id BIGINT PRIMARY KEY
);

-- The foreign key's ON DELETE CASCADE deleted every row of a deleted queue in the DeleteQueue's
-- statement: minutes for millions of rows, holding that many row locks. Its other half stays,
-- written out in the counting triggers below: a row can only go into a queue that exists, and
-- the check holds the queue's row (KEY SHARE, as the foreign key's check did) until the writer
-- commits, so a DeleteQueue waits for writes under way into the queue, and once it committed no
-- row goes in any more: the background deletion, when it finds none left, is done. The error is
-- the foreign key's (23503), which the store reads as "the queue is gone" (``Dangling``).
ALTER TABLE messages DROP CONSTRAINT messages_queue_id_fkey;

-- A FIFO row (fifo_seq set) comes only from densho_send_fifo (migration 0005), which holds its
-- queue's row already (NO KEY UPDATE) and inserts nothing when the queue is gone: its INSERTs,
-- one per message, skip the check.
CREATE OR REPLACE FUNCTION densho_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted INTEGER;
    held INTEGER;
BEGIN
    SELECT count(DISTINCT queue_id) INTO wanted FROM new_rows WHERE fifo_seq IS NULL;
    IF wanted > 0 THEN
        SELECT count(*) INTO held FROM (
            SELECT 1 FROM queues
            WHERE id IN (SELECT queue_id FROM new_rows WHERE fifo_seq IS NULL)
            FOR KEY SHARE
        ) AS q;
        IF held < wanted THEN
            RAISE EXCEPTION 'messages inserted into a queue that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    INSERT INTO queue_count_deltas (queue_id, delta)
    SELECT queue_id, count(*) FROM new_rows GROUP BY queue_id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION densho_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM queues WHERE id = NEW.queue_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a message moved into a queue that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO queue_count_deltas (queue_id, delta)
    VALUES (OLD.queue_id, -1), (NEW.queue_id, 1);
    RETURN NULL;
END;
$$;
