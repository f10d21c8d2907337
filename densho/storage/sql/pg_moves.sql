-- PostgreSQL overrides of moves.sql (by name).

-- name: move_task_insert
-- The partial unique index move_tasks_one_active turns a concurrent second start into no row.
-- The starting node holds the task's lease.
INSERT INTO move_tasks (task_id, source_queue_id, source_arn, destination_queue_id,
                        destination_arn, max_per_second, status, to_move, moved, started_ms,
                        owner, lease_until_ms)
VALUES (:task_id, :source_queue_id, :source_arn, :destination_queue_id, :destination_arn,
        :max_per_second, :status, :to_move, 0, :started_ms, :owner, :lease_until)
ON CONFLICT DO NOTHING;

-- name: move_task_lock
-- A chunk holds its task's row, so chunks of one task never run at once (several nodes); the
-- last two columns are the lease (who runs the task, until when).
SELECT task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
       max_per_second, status, to_move, moved, started_ms, failure_reason, owner, lease_until_ms
FROM move_tasks WHERE task_id = :task_id FOR UPDATE;

-- name: move_task_renew
UPDATE move_tasks SET owner = :owner, lease_until_ms = :lease_until WHERE task_id = :task_id;

-- name: move_task_adopt
-- Active tasks whose node stopped renewing their lease (or that never had one). Two adopters:
-- the second waits for the first's row lock, then re-checks the lease and skips the row.
UPDATE move_tasks SET owner = :owner, lease_until_ms = :lease_until
WHERE status IN ('RUNNING', 'CANCELLING') AND (lease_until_ms IS NULL OR lease_until_ms <= :now)
RETURNING task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
          max_per_second, status, to_move, moved, started_ms, failure_reason;

-- name: move_task_release
-- A node stopping gracefully hands its tasks over: any node may adopt them at once.
UPDATE move_tasks SET lease_until_ms = NULL
WHERE owner = :owner AND status IN ('RUNNING', 'CANCELLING');

-- name: move_candidates
SELECT m.seq, m.origin_queue_id, q.id IS NOT NULL
FROM messages AS m LEFT JOIN queues AS q ON q.id = m.origin_queue_id
WHERE m.queue_id = :queue_id AND m.visible_ms <= :now AND m.sent_ms > :cutoff
  AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY m.visible_ms, m.seq
LIMIT :limit
FOR UPDATE OF m SKIP LOCKED;

-- name: move_message
-- The row itself moves (no copy): a new row id from the sequence orders it after the
-- destination's own messages.
UPDATE messages
SET seq = nextval(pg_get_serial_sequence('messages', 'seq')),
    queue_id = :target, message_id = :message_id, sent_ms = :now, visible_ms = :now,
    receive_count = 0, first_receive_ms = NULL, last_receive_ms = NULL, nonce = 0,
    origin_queue_id = NULL, fifo_seq = :fifo_seq
WHERE seq = :seq;
