"""The web console at ``/_densho/console``: an operator's view of queues, messages, topics and
SNS deliveries, server-rendered (Jinja2), acting through the same providers as the API."""
