-- PostgreSQL overrides of sns_outbox.sql (by name).

-- name: sns_outbox_claim
-- Several nodes claim at once: each takes rows no other claim holds (SKIP LOCKED).
UPDATE sns_outbox AS o SET lease = :lease, due_ms = :lease_until, attempts = o.attempts + 1
FROM (SELECT id FROM sns_outbox WHERE due_ms <= :now ORDER BY due_ms, id LIMIT :limit
      FOR UPDATE SKIP LOCKED) AS c
WHERE o.id = c.id
RETURNING o.id, o.attempts, o.subscription_arn, o.topic_arn, o.protocol, o.endpoint, o.kind,
          o.message_id, o.payload, o.created_ms;
