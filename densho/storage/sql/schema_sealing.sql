-- Encryption at rest (densho/storage/sealed.py): wrapped data keys and the master key's
-- fingerprint. Never the master key itself, nor a key-encryption key. Additive (IF NOT EXISTS),
-- so an older database gains these tables on open; its plaintext rows stay readable.

CREATE TABLE IF NOT EXISTS data_keys (
    id         TEXT    PRIMARY KEY,  -- named by every value it sealed
    key_id     TEXT    NOT NULL,     -- the KmsMasterKeyId (or sqs-managed) it belongs to
    wrapped    BLOB    NOT NULL,     -- nonce + AES-GCM of the key under that key id's KEK
    created_ms INTEGER NOT NULL
);

-- One row: an HMAC of a constant under the master key, so a start with another key is refused.
CREATE TABLE IF NOT EXISTS sealing_master (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);
