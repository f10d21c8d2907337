"""Prometheus metrics of one densho node, served at ``GET /metrics``.

Owns: the metrics' names, labels and meanings (see README "Metrics"); ``counters`` — this node's
counts of sends, receives, deletes, publishes and notifications, kept as plain integers by the
engines' event hooks (``densho.core.events``); ``gauges`` — every queue's backlog and the SNS
outbox read from the database in the background (the same figures on every node sharing it);
``timings`` — request latency and errors per action, store commit latency; ``service`` — the
registry and its exposition in the format the scraper asks for.
Must not know: HTTP beyond an Accept header and a body, the wire, SQL, SQS or SNS rules. It is
the only part of densho that imports ``prometheus_client``.
"""
