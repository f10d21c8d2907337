-- SNS delivery outside densho: the outbox of HTTP/S and email deliveries, the log of deliveries
-- densho records instead of sending, and subscription confirmation tokens. Additive (IF NOT
-- EXISTS), so an older database gains these tables on open.

CREATE TABLE IF NOT EXISTS sns_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_arn TEXT    NOT NULL,
    topic_arn        TEXT    NOT NULL,
    protocol         TEXT    NOT NULL,
    endpoint         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,  -- Notification, SubscriptionConfirmation, ...
    message_id       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,  -- JSON: body, headers, subject, attributes
    created_ms       INTEGER NOT NULL,  -- the publish: retries stop an hour after it
    due_ms           INTEGER NOT NULL,  -- the next attempt; while claimed, the lease's end
    attempts         INTEGER NOT NULL DEFAULT 0,  -- claims so far
    lease            TEXT,              -- the current claim's token; NULL when unclaimed
    last_error       TEXT
);

CREATE INDEX IF NOT EXISTS sns_outbox_due ON sns_outbox (due_ms);

CREATE TABLE IF NOT EXISTS sns_recorded (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    protocol         TEXT    NOT NULL,
    endpoint         TEXT    NOT NULL,
    topic_arn        TEXT    NOT NULL,
    subscription_arn TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    subject          TEXT,
    payload          TEXT    NOT NULL,  -- what would have been sent
    created_ms       INTEGER NOT NULL,
    recorded_ms      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS sns_tokens (
    token            TEXT    PRIMARY KEY,
    topic_arn        TEXT    NOT NULL,
    subscription_arn TEXT    NOT NULL,
    snapshot         TEXT,              -- UnsubscribeConfirmation: the deleted subscription
    expires_ms       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sns_tokens_by_expiry ON sns_tokens (expires_ms);
