"""SNS semantics: topics, subscriptions, fan-out, filter policies, delivery.

Must not know HTTP, botocore, SQL.
"""
