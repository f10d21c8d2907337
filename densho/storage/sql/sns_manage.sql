-- Named SQL of SNS management (densho/storage/sns_manage_base.py), shared by the backends;
-- pg_sns_manage.sql overrides a name where PostgreSQL's differs. Upserts are written with ON
-- CONFLICT, which SQLite and PostgreSQL both read.

-- name: sns_app_upsert
INSERT INTO sns_platform_apps (arn, account, region, name, platform, attributes, credentials,
                               created_ms)
VALUES (:arn, :account, :region, :name, :platform, :attributes, :credentials, :created_ms)
ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes,
                                credentials = excluded.credentials
RETURNING arn, account, region, name, platform, attributes, credentials, created_ms;

-- name: sns_app_get
SELECT arn, account, region, name, platform, attributes, credentials, created_ms
FROM sns_platform_apps WHERE arn = :arn;

-- name: sns_app_list
SELECT arn, account, region, name, platform, attributes, credentials, created_ms
FROM sns_platform_apps WHERE account = :account AND region = :region ORDER BY arn;

-- name: sns_app_update
UPDATE sns_platform_apps SET attributes = :attributes, credentials = :credentials
WHERE arn = :arn
RETURNING arn, account, region, name, platform, attributes, credentials, created_ms;

-- name: sns_app_delete
DELETE FROM sns_platform_apps WHERE arn = :arn;

-- name: sns_app_endpoints_delete
DELETE FROM sns_platform_endpoints WHERE app_arn = :arn;

-- name: sns_app_lock
-- Whether the application exists (PostgreSQL's also holds its row until the commit).
SELECT 1 FROM sns_platform_apps WHERE arn = :app_arn;

-- name: sns_endpoint_by_token
SELECT arn, app_arn, token, attributes, created_ms FROM sns_platform_endpoints
WHERE app_arn = :app_arn AND token = :token ORDER BY created_ms, arn LIMIT 1;

-- name: sns_endpoint_insert
INSERT INTO sns_platform_endpoints (arn, app_arn, token, attributes, created_ms)
VALUES (:arn, :app_arn, :token, :attributes, :created_ms);

-- name: sns_endpoint_get
SELECT arn, app_arn, token, attributes, created_ms FROM sns_platform_endpoints WHERE arn = :arn;

-- name: sns_endpoint_list
SELECT arn, app_arn, token, attributes, created_ms FROM sns_platform_endpoints
WHERE app_arn = :app_arn ORDER BY arn;

-- name: sns_endpoint_update
UPDATE sns_platform_endpoints SET attributes = :attributes, token = :token WHERE arn = :arn
RETURNING arn, app_arn, token, attributes, created_ms;

-- name: sns_endpoint_delete
DELETE FROM sns_platform_endpoints WHERE arn = :arn;

-- name: sns_sms_attributes
SELECT name, value FROM sns_sms_attributes WHERE account = :account AND region = :region;

-- name: sns_sms_attribute_set
INSERT INTO sns_sms_attributes (account, region, name, value)
VALUES (:account, :region, :name, :value)
ON CONFLICT (account, region, name) DO UPDATE SET value = excluded.value;

-- name: sns_sms_attribute_delete
DELETE FROM sns_sms_attributes WHERE account = :account AND region = :region AND name = :name;

-- name: sns_opted_out_find
SELECT 1 FROM sns_opted_out WHERE account = :account AND region = :region AND phone = :phone;

-- name: sns_opted_out_list
SELECT phone FROM sns_opted_out WHERE account = :account AND region = :region ORDER BY phone;

-- name: sns_opt_out
INSERT INTO sns_opted_out (account, region, phone, since_ms)
VALUES (:account, :region, :phone, :now)
ON CONFLICT (account, region, phone) DO NOTHING;

-- name: sns_opt_in
DELETE FROM sns_opted_out WHERE account = :account AND region = :region AND phone = :phone;

-- name: sns_sandbox_put
INSERT INTO sns_sandbox_numbers (account, region, phone, status, otp, language, created_ms)
VALUES (:account, :region, :phone, :status, :otp, :language, :created_ms)
ON CONFLICT (account, region, phone) DO UPDATE SET status = excluded.status,
                                                   otp = excluded.otp,
                                                   language = excluded.language,
                                                   created_ms = excluded.created_ms;

-- name: sns_sandbox_get
SELECT phone, status, otp, language, created_ms FROM sns_sandbox_numbers
WHERE account = :account AND region = :region AND phone = :phone;

-- name: sns_sandbox_list
SELECT phone, status, otp, language, created_ms FROM sns_sandbox_numbers
WHERE account = :account AND region = :region ORDER BY phone;

-- name: sns_sandbox_delete
DELETE FROM sns_sandbox_numbers WHERE account = :account AND region = :region AND phone = :phone;
