-- PostgreSQL schema, version 4: several densho nodes on one database.

-- A message row references its queue, so a send racing a DeleteQueue on another node never
-- leaves rows behind: the insert fails (the queue is gone), or the queue's delete removes them.
-- Rows such a race left before this migration are removed first.
DELETE FROM messages AS m WHERE NOT EXISTS (SELECT 1 FROM queues AS q WHERE q.id = m.queue_id);
ALTER TABLE messages
    ADD CONSTRAINT messages_queue_id_fkey
    FOREIGN KEY (queue_id) REFERENCES queues (id) ON DELETE CASCADE;

-- A message move task runs on one node at a time: the one holding its lease, which each chunk
-- renews; when a node stops renewing (it died), another adopts the task after lease_until_ms.
ALTER TABLE move_tasks
    ADD COLUMN owner TEXT,
    ADD COLUMN lease_until_ms BIGINT;

-- The SNS signing key and certificate every node signs with and serves (one row, created by the
-- first node that needs it). The key is unencrypted: whoever reads this table can sign as SNS.
CREATE TABLE sns_signing (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    key_pem    TEXT   NOT NULL,  -- PKCS#8
    cert_pem   TEXT   NOT NULL,
    created_ms BIGINT NOT NULL
);
