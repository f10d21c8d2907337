-- PostgreSQL schema, version 9: a queue belongs to an account AND a region, as in AWS, so the
-- same name in two regions is two queues. Every queue stays in the region its row names.

ALTER TABLE queues DROP CONSTRAINT queues_account_name_key;
ALTER TABLE queues ADD CONSTRAINT queues_account_region_name_key UNIQUE (account, region, name);

-- The names deleted recently (the 60 s hold after DeleteQueue), by account, region and name.
-- Made anew, empty: its rows never said a region, and none is older than a minute worth keeping.
DROP TABLE deleted_queues;
CREATE TABLE deleted_queues (
    account    TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    deleted_ms BIGINT NOT NULL,
    PRIMARY KEY (account, region, name)
);
