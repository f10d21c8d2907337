"""Queue and topic semantics in native Python types.

Owns: what SQS (and later SNS) operations mean — validation of domain values, visibility, delay,
retention, long polling — with time injected through a ``Clock``.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""
