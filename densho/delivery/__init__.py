"""SNS delivery to subscribers outside densho: the worker that drains the outbox, its HTTP/S and
SMTP transports, and the ``/_densho/sns/*`` endpoints (signing certificate, recorded
deliveries). The rules (what to send, when to retry, where to dead-letter) are in ``densho.sns``.
"""
