-- PostgreSQL overrides of sns_manage.sql (by name).

-- name: sns_app_lock
-- Creating an endpoint holds its application's row: a concurrent delete of the application, or
-- a second create of the same token, waits (several nodes).
SELECT 1 FROM sns_platform_apps WHERE arn = :app_arn FOR UPDATE;

-- name: sns_sms_attribute_set
INSERT INTO sns_sms_attributes (account, region, name, value)
VALUES (:account, :region, :name, :value)
ON CONFLICT (account, region, name) DO UPDATE SET value = excluded.value;

-- name: sns_opt_out
INSERT INTO sns_opted_out (account, region, phone, since_ms)
VALUES (:account, :region, :phone, :now)
ON CONFLICT DO NOTHING;

-- name: sns_sandbox_put
INSERT INTO sns_sandbox_numbers (account, region, phone, status, otp, language, created_ms)
VALUES (:account, :region, :phone, :status, :otp, :language, :created_ms)
ON CONFLICT (account, region, phone) DO UPDATE
SET status = excluded.status, otp = excluded.otp, language = excluded.language,
    created_ms = excluded.created_ms;
