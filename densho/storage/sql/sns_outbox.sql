-- Named SQL of SNS delivery outside densho (densho/storage/outbox.py), shared by the backends;
-- pg_sns_outbox.sql overrides a name where PostgreSQL's differs.

-- name: sns_outbox_insert
INSERT INTO sns_outbox (subscription_arn, topic_arn, protocol, endpoint, kind, message_id,
                        payload, created_ms, due_ms)
VALUES (:subscription_arn, :topic_arn, :protocol, :endpoint, :kind, :message_id, :payload,
        :created_ms, :due_ms);

-- name: sns_outbox_claim
-- A claim pushes each due row's due time to the end of the lease and stamps the lease token:
-- other claims skip it until then, and if the claimer dies the row is due again.
UPDATE sns_outbox SET lease = :lease, due_ms = :lease_until, attempts = attempts + 1
WHERE id IN (SELECT id FROM sns_outbox WHERE due_ms <= :now ORDER BY due_ms, id LIMIT :limit)
RETURNING id, attempts, subscription_arn, topic_arn, protocol, endpoint, kind, message_id,
          payload, created_ms;

-- name: sns_outbox_done
DELETE FROM sns_outbox WHERE id = :id AND lease = :lease;

-- name: sns_outbox_retry
UPDATE sns_outbox SET due_ms = :due, lease = NULL, last_error = :error
WHERE id = :id AND lease = :lease;

-- name: sns_outbox_next_due
SELECT min(due_ms) FROM sns_outbox;

-- The outbox as an operator sees it: next due first (sns_outbox_due), never the payload.
-- name: sns_outbox_pending
SELECT id, subscription_arn, topic_arn, protocol, endpoint, kind, message_id, created_ms,
       due_ms, attempts, last_error
FROM sns_outbox ORDER BY due_ms, id LIMIT :limit;

-- name: sns_outbox_release
-- Only for a store one process owns: every lease was taken by a process that is gone.
UPDATE sns_outbox SET due_ms = min(due_ms, :now), lease = NULL WHERE lease IS NOT NULL;

-- name: sns_recorded_insert
INSERT INTO sns_recorded (protocol, endpoint, topic_arn, subscription_arn, kind, message_id,
                          subject, payload, created_ms, recorded_ms)
VALUES (:protocol, :endpoint, :topic_arn, :subscription_arn, :kind, :message_id, :subject,
        :payload, :created_ms, :recorded_ms);

-- name: sns_recorded_list
-- The newest :limit matching rows (the caller puts them oldest first).
SELECT id, recorded_ms, protocol, endpoint, topic_arn, subscription_arn, kind, message_id,
       payload, created_ms, subject
FROM sns_recorded
WHERE (CAST(:protocol AS TEXT) IS NULL OR protocol = :protocol)
  AND (CAST(:endpoint AS TEXT) IS NULL OR endpoint = :endpoint)
  AND (CAST(:topic_arn AS TEXT) IS NULL OR topic_arn = :topic_arn)
ORDER BY id DESC LIMIT :limit;

-- name: sns_recorded_clear
DELETE FROM sns_recorded;

-- name: sns_token_insert
INSERT INTO sns_tokens (token, topic_arn, subscription_arn, snapshot, expires_ms)
VALUES (:token, :topic_arn, :subscription_arn, :snapshot, :expires_ms)
ON CONFLICT (token) DO UPDATE
SET topic_arn = excluded.topic_arn, subscription_arn = excluded.subscription_arn,
    snapshot = excluded.snapshot, expires_ms = excluded.expires_ms;

-- name: sns_token_get
SELECT token, topic_arn, subscription_arn, expires_ms, snapshot FROM sns_tokens
WHERE token = :token;

-- name: sns_token_expire
DELETE FROM sns_tokens WHERE expires_ms <= :now;
