-- PostgreSQL schema, version 11: a FIFO receive in one call (densho_receive_fifo).

-- A FIFO ReceiveMessage was a transaction of about nine round trips between the node and the
-- database (BEGIN, two walks of the heads, a group lock and a head page per group, the claim,
-- COMMIT), each one a wake-up of the node's event loop and of a backend; with ten groups in
-- flight that was most of a send-to-receive latency of 26 ms. This function does the same steps
-- in one statement, committed by itself (its advisory locks are released at that commit, as
-- the transaction's were).
--
-- The same rules as claims.fifo (without a ReceiveRequestAttemptId and without a dead-letter
-- queue, which stay there): groups in the order of their heads, first those among the oldest
-- p_budget visible rows (read lazily, a head test per row), then skip-scans of the groups
-- (at most p_scans, each after groups another receiver holds); a group is looked at only under
-- its transaction-scoped advisory lock, and only after taking it: every statement of a
-- VOLATILE PL/pgSQL function takes a new snapshot (READ COMMITTED), so a group's rows are read
-- after the commit of the receiver that held it before. From each group, its visible rows from
-- the head up to the first that is not. The rows claimed are returned in delivery order.
CREATE FUNCTION densho_receive_fifo(
    p_queue_id      BIGINT,
    p_now           BIGINT,
    p_cutoff        BIGINT,
    p_limit         INTEGER,
    p_budget        INTEGER,
    p_scans         INTEGER,
    p_visible_until BIGINT,
    p_nonce         BIGINT
) RETURNS TABLE (
    r_seq BIGINT, r_message_id TEXT, r_body TEXT, r_attrs BYTEA, r_sys_attrs BYTEA,
    r_md5_body TEXT, r_md5_attrs TEXT, r_md5_sys TEXT, r_sender_id TEXT, r_sent_ms BIGINT,
    r_receive_count INTEGER, r_first_receive_ms BIGINT, r_group_id TEXT, r_dedup_id TEXT,
    r_fifo_seq BIGINT, r_origin_queue_id BIGINT, r_nonce BIGINT
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    chosen BIGINT[] := '{}';
    seen   TEXT[] := '{}';
    heads  INTEGER := 0;
    taken  INTEGER;
    lim    INTEGER;
    fresh  INTEGER;
    ready  INTEGER;
    w      RECORD;
    h      RECORD;
BEGIN
    -- The oldest visible rows, in order, each tested for being its group's head
    -- (queries.sql fifo_walk_heads), until p_limit heads are found.
    FOR w IN
        SELECT m.group_id
        FROM (
            SELECT m.seq, m.group_id,
                   NOT EXISTS (SELECT 1 FROM messages AS o
                               WHERE o.queue_id = p_queue_id AND o.group_id = m.group_id
                                 AND o.seq < m.seq AND o.sent_ms > p_cutoff
                                 AND o.seq > coalesce((SELECT q.purge_seq FROM queues AS q
                                                       WHERE q.id = p_queue_id), 0)) AS head
            FROM messages AS m
            WHERE m.queue_id = (SELECT q.id FROM queues AS q WHERE q.id = p_queue_id)
              AND m.visible_ms <= p_now AND m.sent_ms > p_cutoff
              AND m.visible_ms > coalesce((SELECT q.purged_ms FROM queues AS q
                                           WHERE q.id = p_queue_id AND q.purge_seq IS NOT NULL), -1)
              AND m.seq > coalesce((SELECT q.purge_seq FROM queues AS q WHERE q.id = p_queue_id), 0)
            ORDER BY m.visible_ms, m.seq
            LIMIT p_budget
        ) AS m
        WHERE m.head
    LOOP
        heads := heads + 1;
        IF NOT w.group_id = ANY(seen) THEN
            seen := seen || w.group_id;
            chosen := chosen || densho_fifo_take(p_queue_id, w.group_id, p_now, p_cutoff,
                                                 p_limit - coalesce(array_length(chosen, 1), 0));
        END IF;
        EXIT WHEN coalesce(array_length(chosen, 1), 0) >= p_limit OR heads >= p_limit;
    END LOOP;

    -- Fewer heads than wanted and not every visible row looked at (a deep backlog of few
    -- groups): skip-scans of the groups' heads (queries.sql fifo_ready_groups).
    IF coalesce(array_length(chosen, 1), 0) < p_limit
       AND (heads >= p_limit OR (
            SELECT count(*) FROM (
                SELECT 1 FROM messages AS m
                WHERE m.queue_id = (SELECT q.id FROM queues AS q WHERE q.id = p_queue_id)
                  AND m.visible_ms <= p_now AND m.sent_ms > p_cutoff
                  AND m.visible_ms > coalesce((SELECT q.purged_ms FROM queues AS q
                                               WHERE q.id = p_queue_id AND q.purge_seq IS NOT NULL), -1)
                  AND m.seq > coalesce((SELECT q.purge_seq FROM queues AS q WHERE q.id = p_queue_id), 0)
                LIMIT p_budget) AS v) >= p_budget)
    THEN
        FOR scan IN 1 .. p_scans LOOP
            lim := coalesce(array_length(seen, 1), 0) + 64;
            fresh := 0;
            ready := 0;
            FOR w IN
                WITH RECURSIVE g(group_id) AS (
                    SELECT (SELECT m.group_id FROM messages AS m
                            WHERE m.queue_id = (SELECT q.id FROM queues AS q WHERE q.id = p_queue_id)
                              AND m.group_id > '' ORDER BY m.group_id LIMIT 1)
                    UNION ALL
                    SELECT (SELECT m.group_id FROM messages AS m
                            WHERE m.queue_id = p_queue_id AND m.group_id > g.group_id
                            ORDER BY m.group_id LIMIT 1)
                    FROM g WHERE g.group_id IS NOT NULL
                ),
                hd(seq) AS (
                    SELECT (SELECT m.seq FROM messages AS m
                            WHERE m.queue_id = p_queue_id AND m.group_id = g.group_id
                              AND m.sent_ms > p_cutoff
                              AND m.seq > coalesce((SELECT q.purge_seq FROM queues AS q
                                                    WHERE q.id = p_queue_id), 0)
                            ORDER BY m.seq LIMIT 1)
                    FROM g WHERE g.group_id IS NOT NULL
                )
                SELECT m.group_id FROM hd JOIN messages AS m ON m.seq = hd.seq
                WHERE m.visible_ms <= p_now
                  AND m.visible_ms > coalesce((SELECT q.purged_ms FROM queues AS q
                                               WHERE q.id = p_queue_id AND q.purge_seq IS NOT NULL), -1)
                ORDER BY m.visible_ms, m.seq
                LIMIT lim
            LOOP
                ready := ready + 1;
                CONTINUE WHEN w.group_id = ANY(seen);
                fresh := fresh + 1;
                seen := seen || w.group_id;
                IF coalesce(array_length(chosen, 1), 0) < p_limit THEN
                    chosen := chosen || densho_fifo_take(
                        p_queue_id, w.group_id, p_now, p_cutoff,
                        p_limit - coalesce(array_length(chosen, 1), 0));
                END IF;
            END LOOP;
            EXIT WHEN coalesce(array_length(chosen, 1), 0) >= p_limit OR fresh = 0 OR ready < lim;
        END LOOP;
    END IF;

    IF coalesce(array_length(chosen, 1), 0) = 0 THEN
        RETURN;
    END IF;
    -- The group is held (its lock), so these rows wait for any other writer rather than being
    -- skipped, which would deliver a group out of order (pg_queries.sql claim_fifo_rows).
    RETURN QUERY
    WITH c AS (
        UPDATE messages AS m
        SET visible_ms = p_visible_until,
            receive_count = m.receive_count + 1,
            first_receive_ms = COALESCE(m.first_receive_ms, p_now),
            last_receive_ms = p_now,
            nonce = p_nonce
        WHERE m.seq = ANY(chosen)
          AND m.queue_id = (SELECT q.id FROM queues AS q WHERE q.id = p_queue_id)
          AND m.visible_ms <= p_now
        RETURNING m.seq, m.message_id, m.body, m.attrs, m.sys_attrs, m.md5_body, m.md5_attrs,
                  m.md5_sys, m.sender_id, m.sent_ms, m.receive_count, m.first_receive_ms,
                  m.group_id, m.dedup_id, m.fifo_seq, m.origin_queue_id, m.nonce
    )
    SELECT c.* FROM c ORDER BY array_position(chosen, c.seq);
END;
$$;

-- One group of a FIFO receive (claims._walk_group without redrive): under the group's
-- advisory lock (none taken: another receiver holds the group, nothing), its visible rows from
-- the head up to the first that is not, at most p_need. VOLATILE, so its read takes a snapshot
-- after the lock.
CREATE FUNCTION densho_fifo_take(
    p_queue_id BIGINT,
    p_group_id TEXT,
    p_now      BIGINT,
    p_cutoff   BIGINT,
    p_need     INTEGER
) RETURNS BIGINT[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    take BIGINT[] := '{}';
    h    RECORD;
BEGIN
    IF p_need <= 0 OR NOT pg_try_advisory_xact_lock(p_queue_id::integer, hashtext(p_group_id)) THEN
        RETURN take;
    END IF;
    FOR h IN
        SELECT m.seq, m.visible_ms FROM messages AS m
        WHERE m.queue_id = (SELECT q.id FROM queues AS q WHERE q.id = p_queue_id)
          AND m.group_id = p_group_id AND m.sent_ms > p_cutoff
          AND m.seq > coalesce((SELECT q.purge_seq FROM queues AS q WHERE q.id = p_queue_id), 0)
        ORDER BY m.seq
        LIMIT p_need + 1
    LOOP
        EXIT WHEN h.visible_ms > p_now OR coalesce(array_length(take, 1), 0) >= p_need;
        take := take || h.seq;
    END LOOP;
    RETURN take;
END;
$$;
