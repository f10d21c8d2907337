"""SNS management: topic permissions and data protection policies (``topic_policy``), mobile
push applications and endpoints (``mobile``), SMS settings, opt-outs and the sandbox (``sms``),
and the engine that applies them to stored state (``engine``).

Must not know: HTTP, botocore, SQL.
"""
