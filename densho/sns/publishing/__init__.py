"""SNS publishing: a published message validated (``message``), what each matching subscription
receives of it (``fanout``, pure), and the Publish / PublishBatch flow that commits it with its
deliveries (``publisher``).

Must not know: HTTP, botocore, SQL.
"""
