-- Named SQL of SNS topics, subscriptions and publishing (densho/storage/sns_base.py), shared by
-- the backends; pg_sns.sql overrides a name where PostgreSQL's differs.

-- name: sns_topic_insert
INSERT INTO sns_topics (arn, account, region, name, attributes, tags, created_ms)
VALUES (:arn, :account, :region, :name, :attributes, :tags, :created_ms)
ON CONFLICT (arn) DO NOTHING;

-- name: sns_topic_get
SELECT arn, account, region, name, attributes, tags, created_ms, seq FROM sns_topics
WHERE arn = :arn;

-- name: sns_topic_list
SELECT arn, account, region, name, attributes, tags, created_ms, seq FROM sns_topics
WHERE account = :account AND (CAST(:region AS TEXT) IS NULL OR region = :region) ORDER BY arn;

-- name: sns_topic_update
UPDATE sns_topics SET attributes = :attributes, tags = :tags WHERE arn = :arn
RETURNING arn, account, region, name, attributes, tags, created_ms, seq;

-- name: sns_topic_delete
DELETE FROM sns_topics WHERE arn = :arn;

-- name: sns_topic_subscriptions_delete
DELETE FROM sns_subscriptions WHERE topic_arn = :arn RETURNING arn;

-- name: sns_topic_dedup_forget
DELETE FROM sns_dedup WHERE topic_arn = :arn;

-- name: sns_topic_seq
UPDATE sns_topics SET seq = :seq WHERE arn = :arn AND seq < :seq;

-- name: sns_topic_reserve
-- Several nodes: the row lock makes concurrent reservations take turns (no number twice).
UPDATE sns_topics SET seq = seq + :count WHERE arn = :arn RETURNING seq;

-- name: sns_sub_insert
INSERT INTO sns_subscriptions (arn, topic_arn, owner, protocol, endpoint, attributes, confirmed,
                               created_ms)
VALUES (:arn, :topic_arn, :owner, :protocol, :endpoint, :attributes, :confirmed, :created_ms);

-- name: sns_sub_find
SELECT arn, topic_arn, owner, protocol, endpoint, attributes, confirmed, created_ms
FROM sns_subscriptions
WHERE topic_arn = :topic_arn AND protocol = :protocol AND endpoint = :endpoint;

-- name: sns_sub_get
SELECT arn, topic_arn, owner, protocol, endpoint, attributes, confirmed, created_ms
FROM sns_subscriptions WHERE arn = :arn;

-- name: sns_sub_list
SELECT arn, topic_arn, owner, protocol, endpoint, attributes, confirmed, created_ms
FROM sns_subscriptions WHERE owner = :owner ORDER BY arn;

-- name: sns_sub_by_topic
SELECT arn, topic_arn, owner, protocol, endpoint, attributes, confirmed, created_ms
FROM sns_subscriptions WHERE topic_arn = :topic_arn ORDER BY arn;

-- name: sns_sub_update
UPDATE sns_subscriptions SET attributes = :attributes, confirmed = :confirmed WHERE arn = :arn
RETURNING arn, topic_arn, owner, protocol, endpoint, attributes, confirmed, created_ms;

-- name: sns_sub_delete
DELETE FROM sns_subscriptions WHERE arn = :arn;

-- name: sns_dedup_find
SELECT message_id, seq FROM sns_dedup
WHERE topic_arn = :topic_arn AND scope = :scope AND dedup_id = :dedup_id AND expires_ms > :now;

-- name: sns_dedup_claim
-- Remember a FIFO topic deduplication id unless a live one is there: a row back means this
-- publish is the first within the window (on PostgreSQL a concurrent duplicate waits, then finds
-- none).
INSERT INTO sns_dedup (topic_arn, scope, dedup_id, message_id, seq, expires_ms)
VALUES (:topic_arn, :scope, :dedup_id, :message_id, :seq, :expires)
ON CONFLICT (topic_arn, scope, dedup_id) DO UPDATE
SET message_id = excluded.message_id, seq = excluded.seq, expires_ms = excluded.expires_ms
WHERE sns_dedup.expires_ms <= :now
RETURNING message_id;

-- name: sns_dedup_expire
DELETE FROM sns_dedup WHERE expires_ms <= :now;
