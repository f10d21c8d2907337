"""SQS semantics in native Python types.

Owns: what SQS operations mean — validation of domain values, visibility, delay, retention, long
polling — with time injected through a ``Clock``. ``engine.SqsEngine`` puts together ``queues``
(lifecycle and attributes) and ``flow`` (messages); ``attributes`` alone handles AWS attribute
strings, everything else reads ``Queue.config``.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""
