"""Durable state behind a narrow, transactional interface.

Owns: the ``Store`` contract (``base``) and its backends (SQLite, embedded; PostgreSQL, shared by
several nodes; ``open.from_url`` picks one from the store URL). Every
method is one atomic transaction; a returned call means its effects are committed (durably, as the
backend's configured synchronous mode promises).
Must not know: HTTP, botocore, wire shapes, AWS error codes.
"""
