-- Named queries of message move tasks (dead-letter queue redrive), shared by the backends;
-- pg_moves.sql overrides a name where PostgreSQL's differs. Every name starts with move_.

-- name: move_task_insert
INSERT INTO move_tasks (task_id, source_queue_id, source_arn, destination_queue_id,
                        destination_arn, max_per_second, status, to_move, moved, started_ms)
VALUES (:task_id, :source_queue_id, :source_arn, :destination_queue_id, :destination_arn,
        :max_per_second, :status, :to_move, 0, :started_ms);

-- name: move_task_active_for_source
SELECT 1 FROM move_tasks
WHERE source_queue_id = :source_queue_id AND status IN ('RUNNING', 'CANCELLING');

-- name: move_task_prune
DELETE FROM move_tasks
WHERE source_queue_id = :source_queue_id AND status NOT IN ('RUNNING', 'CANCELLING')
  AND id NOT IN (
    SELECT id FROM move_tasks WHERE source_queue_id = :source_queue_id ORDER BY id DESC LIMIT :keep
  );

-- name: move_task_forget_orphans
DELETE FROM move_tasks
WHERE status NOT IN ('RUNNING', 'CANCELLING')
  AND source_queue_id NOT IN (SELECT id FROM queues);

-- name: move_task_get
SELECT task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
       max_per_second, status, to_move, moved, started_ms, failure_reason
FROM move_tasks WHERE task_id = :task_id;

-- name: move_task_list
SELECT task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
       max_per_second, status, to_move, moved, started_ms, failure_reason
FROM move_tasks WHERE source_queue_id = :source_queue_id
ORDER BY started_ms DESC, id DESC
LIMIT :limit;

-- name: move_task_lock
-- One writer: the task as it is (PostgreSQL's also locks it and reads its lease).
SELECT task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
       max_per_second, status, to_move, moved, started_ms, failure_reason
FROM move_tasks WHERE task_id = :task_id;

-- name: move_task_adopt
-- No leases (one process): every active task, those a restart interrupted.
SELECT task_id, source_queue_id, source_arn, destination_queue_id, destination_arn,
       max_per_second, status, to_move, moved, started_ms, failure_reason
FROM move_tasks WHERE status IN ('RUNNING', 'CANCELLING')
ORDER BY id;

-- name: move_task_update
UPDATE move_tasks SET status = :status, moved = :moved, failure_reason = :failure_reason
WHERE task_id = :task_id;

-- name: move_task_cancel
UPDATE move_tasks SET status = 'CANCELLING' WHERE task_id = :task_id AND status = 'RUNNING';

-- name: move_queue_exists
SELECT 1 FROM queues WHERE id = :queue_id;

-- name: move_count_visible
SELECT count(*) FROM messages
WHERE queue_id = :queue_id AND visible_ms <= :now AND sent_ms > :cutoff
  AND seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0);

-- name: move_candidates
-- Oldest first: redrive moves messages in the order the dead-letter queue received them.
SELECT m.seq, m.origin_queue_id, q.id IS NOT NULL
FROM messages AS m LEFT JOIN queues AS q ON q.id = m.origin_queue_id
WHERE m.queue_id = :queue_id AND m.visible_ms <= :now AND m.sent_ms > :cutoff
  AND m.seq > coalesce((SELECT purge_seq FROM queues WHERE id = :queue_id), 0)
ORDER BY m.visible_ms, m.seq
LIMIT :limit;

-- name: move_message
-- The row itself moves (no copy): a new row id orders it after the destination's own messages.
UPDATE messages
SET seq = (SELECT max(seq) + 1 FROM messages), queue_id = :target, message_id = :message_id,
    sent_ms = :now, visible_ms = :now, receive_count = 0, first_receive_ms = NULL,
    last_receive_ms = NULL, nonce = 0, origin_queue_id = NULL, fifo_seq = :fifo_seq
WHERE seq = :seq;
