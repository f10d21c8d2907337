-- PostgreSQL schema, version 3: SNS management (schema_sns_manage.sql) — mobile push
-- applications and endpoints, account SMS settings, opted-out numbers, SMS sandbox numbers.

CREATE TABLE sns_platform_apps (
    arn          TEXT   PRIMARY KEY,
    account      TEXT   NOT NULL,
    region       TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    platform     TEXT   NOT NULL,
    attributes   TEXT   NOT NULL,
    credentials  TEXT   NOT NULL,  -- never shown
    created_ms   BIGINT NOT NULL
);
CREATE INDEX sns_platform_apps_by_account ON sns_platform_apps (account, region, arn);

CREATE TABLE sns_platform_endpoints (
    arn          TEXT   PRIMARY KEY,
    app_arn      TEXT   NOT NULL,
    token        TEXT   NOT NULL,
    attributes   TEXT   NOT NULL,
    created_ms   BIGINT NOT NULL
);
CREATE INDEX sns_platform_endpoints_by_app ON sns_platform_endpoints (app_arn, arn);
CREATE INDEX sns_platform_endpoints_by_token ON sns_platform_endpoints (app_arn, token);

CREATE TABLE sns_sms_attributes (
    account  TEXT NOT NULL,
    region   TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (account, region, name)
);

CREATE TABLE sns_opted_out (
    account     TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    phone       TEXT   NOT NULL,
    since_ms    BIGINT NOT NULL,
    PRIMARY KEY (account, region, phone)
);

CREATE TABLE sns_sandbox_numbers (
    account     TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    phone       TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    otp         TEXT   NOT NULL,
    language    TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account, region, phone)
);
