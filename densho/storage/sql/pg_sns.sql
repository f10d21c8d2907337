-- PostgreSQL overrides of sns.sql (by name).

-- name: sns_topic_insert
INSERT INTO sns_topics (arn, account, region, name, attributes, tags, created_ms)
VALUES (:arn, :account, :region, :name, :attributes, :tags, :created_ms)
ON CONFLICT (arn) DO NOTHING;

-- name: sns_topic_seq
UPDATE sns_topics SET seq = GREATEST(seq, :seq) WHERE arn = :arn;

-- name: sns_sub_lock_topic
-- Subscribing finds-or-inserts; concurrent subscribes to one topic take turns (several nodes).
SELECT pg_advisory_xact_lock(-1, hashtext(:topic_arn));

-- name: sns_dedup_claim
-- Remember a FIFO topic deduplication id unless a live one is there: a row back means this
-- publish is the first within the window (a concurrent duplicate waits, then finds none).
INSERT INTO sns_dedup (topic_arn, scope, dedup_id, message_id, seq, expires_ms)
VALUES (:topic_arn, :scope, :dedup_id, :message_id, :seq, :expires)
ON CONFLICT (topic_arn, scope, dedup_id) DO UPDATE
SET message_id = excluded.message_id, seq = excluded.seq, expires_ms = excluded.expires_ms
WHERE sns_dedup.expires_ms <= :now
RETURNING message_id;
