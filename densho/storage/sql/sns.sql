-- Named SQL of SNS (densho/storage/sqlite_sns.py).

-- name: sns_topic_insert
INSERT OR IGNORE INTO sns_topics (arn, account, region, name, attributes, tags, created_ms)
VALUES (:arn, :account, :region, :name, :attributes, :tags, :created_ms);

-- name: sns_topic_get
SELECT arn, account, region, name, attributes, tags, created_ms, seq FROM sns_topics
WHERE arn = :arn;

-- name: sns_topic_list
SELECT arn, account, region, name, attributes, tags, created_ms, seq FROM sns_topics
WHERE account = :account ORDER BY arn;

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
UPDATE sns_topics SET seq = max(seq, :seq) WHERE arn = :arn;

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

-- name: sns_dedup_remember
INSERT OR REPLACE INTO sns_dedup (topic_arn, scope, dedup_id, message_id, seq, expires_ms)
VALUES (:topic_arn, :scope, :dedup_id, :message_id, :seq, :expires);

-- name: sns_dedup_expire
DELETE FROM sns_dedup WHERE expires_ms <= :now;
