-- Named SQL of encryption at rest (densho/storage/sealed.py), shared by the backends;
-- pg_sealing.sql overrides a name where PostgreSQL's differs.

-- name: sealing_master_get
SELECT fingerprint FROM sealing_master WHERE id = 1;

-- name: sealing_master_put
-- The first start with a key records it; several nodes starting at once keep the first.
INSERT INTO sealing_master (id, fingerprint, created_ms) VALUES (1, :fingerprint, :now)
ON CONFLICT DO NOTHING;

-- name: data_key_put
INSERT INTO data_keys (id, key_id, wrapped, created_ms) VALUES (:id, :key_id, :wrapped, :now);

-- name: data_key_get
SELECT key_id, wrapped FROM data_keys WHERE id = :id;

-- name: data_keys_list
SELECT id, key_id, created_ms FROM data_keys ORDER BY created_ms, id;
