"""SNS delivery outside densho's own queues: the durable outbox's rules — HTTP/S delivery
policies (``delivery_policy``), the outcome of one attempt and when to retry (``attempts``), and
what happens to a claimed row (``deliveries``).

Must not know: HTTP clients, SMTP, SQL (``densho.delivery`` sends; storage keeps the rows).
"""
