-- SNS: topics, subscriptions, FIFO topic deduplication. Additive to schema.sql (all IF NOT
-- EXISTS), so a database written before SNS gains these tables on open.

CREATE TABLE IF NOT EXISTS sns_topics (
    arn         TEXT    PRIMARY KEY,
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    attributes  TEXT    NOT NULL,  -- JSON object: writable attribute name -> value
    tags        TEXT    NOT NULL,  -- JSON object
    created_ms  INTEGER NOT NULL,
    seq         INTEGER NOT NULL DEFAULT 0  -- FIFO topics: the last SequenceNumber handed out
);

CREATE INDEX IF NOT EXISTS sns_topics_by_account ON sns_topics (account, arn);

CREATE TABLE IF NOT EXISTS sns_subscriptions (
    arn         TEXT    PRIMARY KEY,
    topic_arn   TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    protocol    TEXT    NOT NULL,
    endpoint    TEXT    NOT NULL,
    attributes  TEXT    NOT NULL,  -- JSON object: writable attribute name -> value
    confirmed   INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sns_subscriptions_by_topic
    ON sns_subscriptions (topic_arn, protocol, endpoint);
CREATE INDEX IF NOT EXISTS sns_subscriptions_by_owner ON sns_subscriptions (owner, arn);

CREATE TABLE IF NOT EXISTS sns_dedup (
    topic_arn   TEXT    NOT NULL,
    scope       TEXT    NOT NULL,  -- '' or the message group
    dedup_id    TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    seq         INTEGER,
    expires_ms  INTEGER NOT NULL,
    PRIMARY KEY (topic_arn, scope, dedup_id)
);
