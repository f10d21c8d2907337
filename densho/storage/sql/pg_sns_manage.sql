-- PostgreSQL overrides of sns_manage.sql (by name).

-- name: sns_app_lock
-- Creating an endpoint holds its application's row: a concurrent delete of the application, or
-- a second create of the same token, waits (several nodes).
SELECT 1 FROM sns_platform_apps WHERE arn = :app_arn FOR UPDATE;
