-- PostgreSQL overrides of sns_outbox.sql (by name).

-- name: sns_outbox_claim
-- Several nodes claim at once: each takes rows no other claim holds (SKIP LOCKED).
UPDATE sns_outbox AS o SET lease = :lease, due_ms = :lease_until, attempts = o.attempts + 1
FROM (SELECT id FROM sns_outbox WHERE due_ms <= :now ORDER BY due_ms, id LIMIT :limit
      FOR UPDATE SKIP LOCKED) AS c
WHERE o.id = c.id
RETURNING o.id, o.attempts, o.subscription_arn, o.topic_arn, o.protocol, o.endpoint, o.kind,
          o.message_id, o.payload, o.created_ms;

-- name: sns_recorded_list
SELECT id, protocol, endpoint, topic_arn, subscription_arn, kind, message_id, subject, payload,
       created_ms, recorded_ms
FROM sns_recorded
WHERE (:protocol::text IS NULL OR protocol = :protocol::text)
  AND (:endpoint::text IS NULL OR endpoint = :endpoint::text)
  AND (:topic_arn::text IS NULL OR topic_arn = :topic_arn::text)
ORDER BY id DESC LIMIT :limit;

-- name: sns_token_insert
INSERT INTO sns_tokens (token, topic_arn, subscription_arn, snapshot, expires_ms)
VALUES (:token, :topic_arn, :subscription_arn, :snapshot, :expires_ms)
ON CONFLICT (token) DO UPDATE
SET topic_arn = excluded.topic_arn, subscription_arn = excluded.subscription_arn,
    snapshot = excluded.snapshot, expires_ms = excluded.expires_ms;
