"""What the parts of one node's SNS engine share.

Owns: ``Node``, the record the engine hands to topics, subscriptions and the publisher: the
store, the clock, the cache of topic and subscription views, the signer, whether emails are
relayed, the delivery worker's wake-up, where HTTP/S and email endpoints may be, and
whether queue policies gate SNS deliveries, who is told of publishes and deliveries.
Must not know: anything the parts do with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from densho.core.clock import Clock
from densho.core.events import NO_SNS_EVENTS, SnsEvents
from densho.sns.catalog import Catalog
from densho.sns.endpoint_rules import DEFAULT, EndpointRules
from densho.sns.signatures import Signatures
from densho.storage.sns_base import SnsStore


@dataclass(frozen=True, slots=True)
class Node:
    store: SnsStore
    clock: Clock
    catalog: Catalog
    signatures: Signatures
    relay_email: bool  # emails are sent through an SMTP relay (else recorded)
    woken: Callable[[], None]  # outbox rows were committed: wake the delivery worker
    endpoint_rules: EndpointRules = DEFAULT  # where HTTP/S and email may deliver
    # Authentication is on: a queue receives a topic's messages only if its policy allows SNS.
    queue_policies: bool = False
    events: SnsEvents = NO_SNS_EVENTS  # publishes and each notification's fate (metrics)
