-- SNS management: mobile push applications and endpoints, account SMS settings, opted-out
-- numbers, SMS sandbox numbers. Additive (all IF NOT EXISTS), so an older database gains these
-- tables on open.

CREATE TABLE IF NOT EXISTS sns_platform_apps (
    arn          TEXT    PRIMARY KEY,
    account      TEXT    NOT NULL,
    region       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    attributes   TEXT    NOT NULL,  -- JSON object: the attributes GetPlatformApplicationAttributes shows
    credentials  TEXT    NOT NULL,  -- JSON object: PlatformCredential / PlatformPrincipal, never shown
    created_ms   INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sns_platform_apps_by_account ON sns_platform_apps (account, region, arn);

CREATE TABLE IF NOT EXISTS sns_platform_endpoints (
    arn          TEXT    PRIMARY KEY,
    app_arn      TEXT    NOT NULL,
    token        TEXT    NOT NULL,
    attributes   TEXT    NOT NULL,  -- JSON object: Enabled, Token, CustomUserData
    created_ms   INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sns_platform_endpoints_by_app ON sns_platform_endpoints (app_arn, arn);
CREATE INDEX IF NOT EXISTS sns_platform_endpoints_by_token ON sns_platform_endpoints (app_arn, token);

CREATE TABLE IF NOT EXISTS sns_sms_attributes (
    account  TEXT NOT NULL,
    region   TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (account, region, name)
);

CREATE TABLE IF NOT EXISTS sns_opted_out (
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    since_ms    INTEGER NOT NULL,
    PRIMARY KEY (account, region, phone)
);

CREATE TABLE IF NOT EXISTS sns_sandbox_numbers (
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    status      TEXT    NOT NULL,  -- Pending / Verified
    otp         TEXT    NOT NULL,  -- the one-time password "sent" (recorded) when added
    language    TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (account, region, phone)
);
