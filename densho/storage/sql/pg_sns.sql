-- PostgreSQL overrides of sns.sql (by name).

-- name: sns_sub_lock_topic
-- Subscribing finds-or-inserts; concurrent subscribes to one topic take turns (several nodes).
SELECT pg_advisory_xact_lock(-1, hashtext(:topic_arn));

-- name: sns_signing_get
SELECT key_pem, cert_pem FROM sns_signing WHERE id = 1;

-- name: sns_signing_insert
-- The first node to store a key wins; the others read it back and sign with it.
INSERT INTO sns_signing (id, key_pem, cert_pem, created_ms) VALUES (1, :key_pem, :cert_pem, :now)
ON CONFLICT (id) DO NOTHING;

-- name: sns_signing_renew
UPDATE sns_signing SET cert_pem = :new_pem WHERE id = 1 AND cert_pem = :old_pem;
