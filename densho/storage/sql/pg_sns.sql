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

-- name: sns_signing_get
SELECT key_pem, cert_pem FROM sns_signing WHERE id = 1;

-- name: sns_signing_insert
-- The first node to store a key wins; the others read it back and sign with it.
INSERT INTO sns_signing (id, key_pem, cert_pem, created_ms) VALUES (1, :key_pem, :cert_pem, :now)
ON CONFLICT (id) DO NOTHING;

-- name: sns_signing_renew
UPDATE sns_signing SET cert_pem = :new_pem WHERE id = 1 AND cert_pem = :old_pem;
