-- PostgreSQL: a reset of everything empties the tables with TRUNCATE (no row triggers, no dead
-- rows left to vacuum; inside the reset's transaction, so all or nothing). Identities are not
-- restarted: a queue id is never reused.

-- name: reset_everything
TRUNCATE messages, queue_counts, queue_count_deltas, queues_deleting, fifo_dedup, receive_attempts,
    move_tasks, queues, deleted_queues, sns_dedup, sns_outbox, sns_recorded, sns_tokens,
    sns_subscriptions, sns_topics, sns_platform_endpoints, sns_platform_apps, sns_sms_attributes,
    sns_opted_out, sns_sandbox_numbers;
