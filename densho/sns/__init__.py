"""SNS semantics: topics, subscriptions, publishing and fan-out, delivery rules, management.

    engine.py          SnsEngine: the parts below over one node's cache; node-level duties
    node.py            what the parts share
    topics.py          CreateTopic … tags                 catalog.py   cached typed views
    subscriptions.py   Subscribe … confirmation tokens    views.py     typed topic/subscription
    attributes.py      attribute validation               arns.py      ARNs
    envelope.py        the JSON documents SNS sends       payloads.py  per-protocol deliveries
    protocols.py       subscription protocols             signatures.py  signer + process
    errors.py          the SNS error tree (worded in densho.providers.sns_errors)
    publishing/        message (validation), fanout (pure), publisher (Publish, PublishBatch)
    outbox/            delivery policies, attempts and retries, claimed rows (Deliveries)
    manage/            permissions, data protection, mobile push, SMS (SnsManage)
    filter/            filter policies (pure)          signing/  signatures, signing process

Must not know HTTP, botocore, SQL.
"""
