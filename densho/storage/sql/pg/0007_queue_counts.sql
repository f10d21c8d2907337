-- PostgreSQL schema, version 7: counters without counting (see ../schema.sql, queue_counts) and
-- purges that delete their rows in the background (queues.purge_seq).

-- Each queue's row count as of the last fold; what changed since is in queue_count_deltas.
CREATE TABLE queue_counts (
    queue_id BIGINT PRIMARY KEY,
    messages BIGINT NOT NULL DEFAULT 0,
    purging  BIGINT NOT NULL DEFAULT 0  -- of those, hidden by a purge and not deleted yet
);

-- A purge under way (see ../schema.sql): its rows are deleted in chunks in the background.
ALTER TABLE queues ADD COLUMN purge_seq BIGINT;

-- Changes to the row counts, appended by the triggers below in the transaction that inserts,
-- deletes or moves the rows, and folded into queue_counts by maintenance (``fold_counts``).
-- Appended rather than added to queue_counts in place: one counter row per queue would be a
-- lock every send and delete of the queue, from every node, waits for until the other commits.
CREATE TABLE queue_count_deltas (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_id BIGINT NOT NULL,
    delta    BIGINT NOT NULL
);
CREATE INDEX queue_count_deltas_by_queue ON queue_count_deltas (queue_id);

-- Inserts and deletes: one delta row per queue and statement (statement-level, so a multi-row
-- insert of a loop turn's sends costs one small insert, not one per message).
CREATE FUNCTION densho_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_count_deltas (queue_id, delta)
    SELECT queue_id, count(*) FROM new_rows GROUP BY queue_id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION densho_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_count_deltas (queue_id, delta)
    SELECT queue_id, -count(*) FROM old_rows GROUP BY queue_id;
    RETURN NULL;
END;
$$;

-- A row that moves to another queue (a dead-letter move, a message move task): row-level, and
-- only for those (claims and visibility changes never set queue_id), since transition tables
-- cannot be limited to a column.
CREATE FUNCTION densho_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_count_deltas (queue_id, delta)
    VALUES (OLD.queue_id, -1), (NEW.queue_id, 1);
    RETURN NULL;
END;
$$;

CREATE TRIGGER messages_count_inserted AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION densho_count_inserted();
CREATE TRIGGER messages_count_deleted AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION densho_count_deleted();
CREATE TRIGGER messages_count_moved AFTER UPDATE OF queue_id ON messages
    FOR EACH ROW WHEN (OLD.queue_id IS DISTINCT FROM NEW.queue_id)
    EXECUTE FUNCTION densho_count_moved();

-- The rows already there (CREATE TRIGGER above holds the table against writes until this
-- migration commits, so none is missed or counted twice).
INSERT INTO queue_counts (queue_id, messages)
SELECT q.id, (SELECT count(*) FROM messages AS m WHERE m.queue_id = q.id) FROM queues AS q;
