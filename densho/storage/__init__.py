"""Durable state behind a narrow, transactional interface, written once for two databases.

Owns: the store every engine holds (SQS, move tasks, SNS, SNS management) and its backends:
SQLite (embedded, one process) and PostgreSQL (shared by several nodes); ``open.from_url``
picks one from the store URL. Every operation is one atomic transaction; a returned call means
its effects are committed (durably, as the backend's configured synchronous mode promises).
Must not know: HTTP, botocore, wire shapes, AWS error codes, SQS or SNS rules.

    operations, written once over tx.Tx          what differs, per backend
    ---------------------------------------      -----------------------------------------------
    base.Store        queues, messages           sqlite.SqliteStore: group commit and its
    claims, fair      receive claims, fair         fdatasync process (syncer), SqliteTx, sends
    move_store        message move tasks         postgres.PostgresStore: pool, PgTx (postgres_sql),
    sns_base, outbox  topics, publish, outbox      sends (multi-row INSERT, densho_send_fifo),
    sns_manage_base   SNS management               signing key; postgres_notify (LISTEN/NOTIFY),
    rows              rows <-> records             postgres_migrations
    sql/*.sql         named queries              sql/pg_*.sql: PostgreSQL's overrides by name;
                                                   sql/schema*.sql (SQLite), sql/pg/ (migrations)
"""
