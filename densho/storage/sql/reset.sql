-- Reset (densho/testing_endpoints.py, Store.reset): every resource of an account and region, or of
-- all (:account, :region NULL), and everything that hangs off them, deleted set-based. The order
-- matters: rows found through queues and topics go before the queues and topics themselves.
-- Kept: the SNS signing key and the sealing keys (no resource's, the store's own).

-- name: reset_counted
SELECT
    (SELECT count(*) FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region)),
    (SELECT count(*) FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region)),
    (SELECT count(*) FROM sns_subscriptions WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region))),
    (SELECT COALESCE(sum(messages), 0) FROM queue_counts WHERE queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region)));

-- name: reset_messages
DELETE FROM messages WHERE queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_queue_counts
DELETE FROM queue_counts WHERE queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_fifo_dedup
DELETE FROM fifo_dedup WHERE queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_receive_attempts
DELETE FROM receive_attempts WHERE queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_move_tasks
DELETE FROM move_tasks WHERE source_queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region)) OR destination_queue_id IN (SELECT id FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_queues
DELETE FROM queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_deleted_queues
-- the names deleted recently: a reset frees them at once (no 60 s QueueDeletedRecently)
DELETE FROM deleted_queues WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_sns_dedup
DELETE FROM sns_dedup WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_outbox
DELETE FROM sns_outbox WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_recorded
DELETE FROM sns_recorded WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_tokens
DELETE FROM sns_tokens WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_subscriptions
DELETE FROM sns_subscriptions WHERE topic_arn IN (SELECT arn FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_topics
DELETE FROM sns_topics WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_sns_platform_endpoints
DELETE FROM sns_platform_endpoints WHERE app_arn IN (SELECT arn FROM sns_platform_apps WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region));

-- name: reset_sns_platform_apps
DELETE FROM sns_platform_apps WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_sns_sms_attributes
DELETE FROM sns_sms_attributes WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_sns_opted_out
DELETE FROM sns_opted_out WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_sns_sandbox_numbers
DELETE FROM sns_sandbox_numbers WHERE (CAST(:account AS TEXT) IS NULL OR account = :account) AND (CAST(:region AS TEXT) IS NULL OR region = :region);

-- name: reset_everything
-- SQLite: nothing more than the deletes above (PostgreSQL truncates here, pg_reset.sql).
SELECT 0;
