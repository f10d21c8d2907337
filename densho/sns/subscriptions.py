"""SNS subscriptions: subscribe, confirm by token, unsubscribe, attributes, lists.

Owns: the endpoint rules of each protocol, which subscriptions wait for confirmation and the
SubscriptionConfirmation they are sent (with its token, valid two days; with authentication on,
an SQS queue subscribed by another account than its owner's gets it as a message and waits for
its owner to confirm, as on AWS), confirmation (also of an
UnsubscribeConfirmation's token, which restores the deleted subscription), the
AuthenticateOnUnsubscribe rule, and the attributes GetSubscriptionAttributes shows.
Must not know: HTTP, botocore, wire dict shapes, SQL, how the outbox is delivered.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from densho.core.ids import uuid4
from densho.core.sns_model import OutboxEntry, Subscription, Token
from densho.sns import attributes as sattrs
from densho.sns import envelope, payloads, protocols
from densho.sns.arns import parse_arn, topic_arn
from densho.sns.endpoint_rules import EndpointRules
from densho.sns.errors import (
    Refusal,
    SnsInvalidParameter,
    SubscriptionNotFound,
    TopicNotFound,
    UnsubscribeNeedsAuthentication,
)
from densho.sns.manage import sms
from densho.sns.node import Node
from densho.sns.outbox import delivery_policy
from densho.sns.topics import Topics
from densho.sns.views import (
    AUTH_UNSUBSCRIBE,
    AUTHENTICATED,
    INTERNAL_PREFIX,
    PRINCIPAL,
    SubscriptionView,
    TopicView,
    requires_authentication,
)

TOKEN_TTL_MS = 2 * 86_400_000  # "Confirmation tokens are valid for two days" (Subscribe)
# AWS's tokens (and densho's) are hex; AWS answers another shape with "Invalid token".
_TOKEN = re.compile(r"[0-9a-fA-F]+")


# Puts an SNS-made document (a SubscriptionConfirmation) into a subscription's queue, under the
# rule deliveries follow (the queue's policy must allow SNS); whether it arrived.
ToQueue = Callable[[Subscription, str], Awaitable[bool]]


class Subscriptions:
    def __init__(self, node: Node, topics: Topics, to_queue: ToQueue | None = None) -> None:
        self._node = node
        self._to_queue = to_queue
        self._store = node.store
        self._catalog = node.catalog
        self._clock = node.clock
        self._topics = topics

    async def subscribe(
        self,
        owner: str,
        arn: str,
        protocol: str,
        endpoint: str | None,
        attributes: Mapping[str, str],
        endpoint_url: str = "",
        principal: str | None = None,
    ) -> Subscription:
        """Subscribe; ``endpoint_url`` is the service URL the client used (it goes into the
        SubscribeURL of the confirmation an HTTP/S or email endpoint receives), ``principal``
        the caller's IAM identity (None: the owner account's root)."""
        topic = await self._topics.get(arn)
        endpoint = check_endpoint(topic.config.fifo, protocol, endpoint, self._node.endpoint_rules)
        given = sattrs.check_subscription_attributes(
            attributes, {}, subscribing=True, fifo_topic=topic.config.fifo
        )
        candidate = Subscription(
            arn=f"{arn}:{uuid4()}",
            topic_arn=arn,
            owner=owner,
            protocol=protocol,
            endpoint=endpoint,
            attributes={**given, PRINCIPAL: principal or root_principal(owner)},
            # HTTP/S and email wait for their owner to confirm; AWS confirms the others at once.
            confirmed=protocol in protocols.CONFIRMED_ON_SUBSCRIBE
            and not self._queue_owner_confirms(protocol, endpoint, owner),
            created_ms=self._clock.now_ms(),
        )
        if candidate.confirmed:
            sub, created = await self._store.create_subscription(candidate)
        elif protocol == "sqs":
            sub, created = await self._subscribe_queue_pending(topic, candidate, endpoint_url)
        else:
            sub, created = await self._subscribe_pending(topic, candidate, endpoint_url)
        self._catalog.written(arn)
        # An attribute given at its default matches a subscription that never set it (AWS).
        if not created and any(
            sub.attributes.get(k, sattrs.SUBSCRIPTION_DEFAULTS.get(k)) != v
            for k, v in given.items()
        ):
            raise SnsInvalidParameter("Attributes", Refusal.SUBSCRIPTION_EXISTS)
        return sub

    async def _subscribe_pending(
        self, topic: TopicView, sub: Subscription, endpoint_url: str
    ) -> tuple[Subscription, bool]:
        """Store a subscription that waits for confirmation with a fresh token and its
        SubscriptionConfirmation (re-sent when the same endpoint subscribes again while
        pending, as AWS does)."""
        now, token, entry = self._confirmation(
            payloads.subscription_confirmation, topic, sub, endpoint_url
        )
        send, keep = payloads.route([entry], relay_email=self._node.relay_email)
        found, created = await self._store.subscribe_pending(
            sub, Token(token, topic.topic.arn, sub.arn, now + TOKEN_TTL_MS), send, keep
        )
        if send and not found.confirmed:
            self._node.woken()
        return found, created

    def _queue_owner_confirms(self, protocol: str, endpoint: str, owner: str) -> bool:
        """With authentication on, a queue subscribed by an account other than the queue's
        waits for the queue's owner to confirm (SNS Developer Guide, "Sending Amazon SNS
        messages to an Amazon SQS queue in a different account": the queue owner's own
        subscription needs no confirmation; the topic owner's does)."""
        if not self._node.queue_policies or protocol != "sqs" or self._to_queue is None:
            return False
        return endpoint.split(":", 5)[4] != owner

    async def _subscribe_queue_pending(
        self, topic: TopicView, sub: Subscription, endpoint_url: str
    ) -> tuple[Subscription, bool]:
        """Store a queue's pending subscription and its token, then put the
        SubscriptionConfirmation in the queue (its owner reads the token there and calls
        ConfirmSubscription or opens the SubscribeURL). Not atomic with the subscription: a
        confirmation lost to a crash is sent again by subscribing again, as AWS re-sends."""
        now = self._clock.now_ms()
        token = secrets.token_hex(128)
        arn = topic.topic.arn
        document = envelope.subscription_confirmation(
            message_id=uuid4(),
            topic_arn=arn,
            token=token,
            subscribe_url=envelope.subscribe_url(endpoint_url, arn, token),
            timestamp_ms=now,
            signing=self._node.signatures.signing(topic.config.signature_version, endpoint_url),
        )
        found, created = await self._store.subscribe_pending(
            sub, Token(token, arn, sub.arn, now + TOKEN_TTL_MS), [], []
        )
        if not found.confirmed and self._to_queue is not None:
            await self._to_queue(found, document)
        return found, created

    def _confirmation(
        self,
        build: Callable[..., OutboxEntry],
        topic: TopicView,
        sub: Subscription,
        endpoint_url: str,
    ) -> tuple[int, str, OutboxEntry]:
        """A (Un)SubscriptionConfirmation to ``sub`` with a fresh token: now, the token and
        the entry ``build`` (one of payloads' confirmation makers) makes of them."""
        now = self._clock.now_ms()
        # AWS's tokens are long hex strings; 128 random bytes make guessing one hopeless.
        token = secrets.token_hex(128)
        arn = topic.topic.arn
        entry = build(
            protocol=sub.protocol,
            endpoint=sub.endpoint,
            subscription_arn=sub.arn,
            topic_arn=arn,
            message_id=uuid4(),
            token=token,
            subscribe_url=envelope.subscribe_url(endpoint_url, arn, token),
            timestamp_ms=now,
            signing=self._node.signatures.signing(topic.config.signature_version, endpoint_url),
        )
        return now, token, entry

    async def confirm(
        self,
        topic_arn_: str,
        token: str,
        *,
        authenticated: bool,
        authenticate_on_unsubscribe: bool,
    ) -> Subscription:
        """ConfirmSubscription (and a GET of the SubscribeURL): confirm the subscription the
        token was issued for, or re-create the one an UnsubscribeConfirmation's token names.
        Confirming twice answers the same subscription."""
        if not _TOKEN.fullmatch(token):
            raise SnsInvalidParameter("Token", Refusal.TOKEN_MALFORMED)
        try:
            topic = await self._topics.get(topic_arn_)
        except TopicNotFound:
            raise SnsInvalidParameter("Token") from None  # AWS: the token is what is wrong
        arn = topic.topic.arn
        found = await self._store.get_token(token)
        if found is None or found.topic_arn != arn or found.expires_ms <= self._clock.now_ms():
            raise SnsInvalidParameter("Token")
        marks = {AUTHENTICATED: "true" if authenticated else "false"}
        if authenticated and authenticate_on_unsubscribe:
            marks[AUTH_UNSUBSCRIBE] = "true"
        sub = await self._store.get_subscription(found.subscription_arn)
        if sub is None:
            if found.snapshot is None:
                raise SnsInvalidParameter("Token")
            restored = replace(_from_snapshot(found.snapshot), confirmed=True)
            restored = replace(restored, attributes={**restored.attributes, **marks})
            sub, _ = await self._store.create_subscription(restored)
        elif not sub.confirmed:
            updated = await self._store.update_subscription(
                sub.arn, {**sub.attributes, **marks}, True
            )
            if updated is None:
                raise SnsInvalidParameter("Token")
            sub = updated
        self._catalog.written(arn)
        return sub

    async def get(self, arn: str) -> SubscriptionView:
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        name, _, _ = resource.partition(":")
        topic = await self._catalog.topic(topic_arn(region, account, name))
        if topic is not None:
            for view in await self._catalog.subscriptions(topic):
                if view.sub.arn == arn:
                    return view
        raise SubscriptionNotFound()

    async def find(self, arn: str) -> tuple[SubscriptionView | None, TopicView | None]:
        """The subscription and its topic as stored now (None where gone)."""
        sub = await self._store.get_subscription(arn)
        if sub is None:
            return None, None
        topic = await self._catalog.topic(sub.topic_arn)
        return self._catalog.view(sub, topic), topic

    async def unsubscribe(
        self, arn: str, endpoint_url: str = "", *, authenticated: bool = True
    ) -> None:
        """Delete a subscription. An unauthenticated request (the UnsubscribeURL) is refused
        for a subscription confirmed with AuthenticateOnUnsubscribe; otherwise an HTTP/S
        endpoint gets a final UnsubscribeConfirmation whose SubscribeURL restores it (AWS
        sends it when the requester is not the owner, which an unsigned request cannot be)."""
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        if ":" not in resource:  # a topic's ARN: no subscription id after the name
            raise SnsInvalidParameter("SubscriptionId")
        topic_key = topic_arn(region, account, resource.partition(":")[0])
        sub = None if authenticated else await self._store.get_subscription(arn)
        if sub is not None and requires_authentication(sub):
            raise UnsubscribeNeedsAuthentication()
        topic = None if sub is None else await self._catalog.topic(sub.topic_arn)
        if sub is None or topic is None or not sub.confirmed:
            await self._store.delete_subscription(arn)  # a missing subscription is no error
        elif sub.protocol in protocols.HTTP_PROTOCOLS:
            await self._unsubscribe_noting(topic, sub, endpoint_url)
        else:
            await self._store.delete_subscription(arn)
        self._catalog.written(topic_key)

    async def _unsubscribe_noting(
        self, topic: TopicView, sub: Subscription, endpoint_url: str
    ) -> None:
        now, token, entry = self._confirmation(
            payloads.unsubscribe_confirmation, topic, sub, endpoint_url
        )
        snapshot = _to_snapshot(sub)
        record = Token(token, topic.topic.arn, sub.arn, now + TOKEN_TTL_MS, snapshot)
        if await self._store.delete_subscription_noting(sub.arn, record, [entry]):
            self._node.woken()

    async def of_owner(self, owner: str, region: str) -> list[Subscription]:
        """ListSubscriptions: the owner's subscriptions in ``region`` (its topic's, which the
        topic's ARN names), as AWS lists only the caller's region."""
        return [
            sub
            for sub in await self._store.list_subscriptions(owner)
            if parse_arn(sub.topic_arn, "TopicArn")[0] == region
        ]

    async def of_topic(self, arn: str) -> list[Subscription]:
        topic = await self._topics.get(arn)
        return [view.sub for view in await self._catalog.subscriptions(topic)]

    @staticmethod
    def attributes(view: SubscriptionView) -> dict[str, str]:
        """GetSubscriptionAttributes: the computed attributes, overlaid with the stored ones."""
        sub = view.sub
        authenticated = sub.attributes.get(AUTHENTICATED, "true" if sub.confirmed else "false")
        out = {
            "ConfirmationWasAuthenticated": authenticated,
            "PendingConfirmation": "false" if sub.confirmed else "true",
            "Owner": sub.owner,
            "RawMessageDelivery": "false",
            "TopicArn": sub.topic_arn,
            "Endpoint": sub.endpoint,
            "Protocol": sub.protocol,
            "SubscriptionArn": sub.arn,
            # Kept since Subscribe; a subscription stored before densho kept it shows the root.
            "SubscriptionPrincipal": sub.attributes.get(PRINCIPAL, root_principal(sub.owner)),
        }
        if view.delivery is not None:
            out["EffectiveDeliveryPolicy"] = delivery_policy.subscription_effective_json(
                view.delivery
            )
        out.update((k, v) for k, v in sub.attributes.items() if not k.startswith(INTERNAL_PREFIX))
        if "FilterPolicy" not in out:  # AWS lists the scope only beside a policy (kept though)
            out.pop("FilterPolicyScope", None)
        return out

    async def set_attribute(self, view: SubscriptionView, name: str, value: str) -> None:
        await self.set_attributes(view, {name: value})

    async def set_attributes(self, view: SubscriptionView, given: Mapping[str, str]) -> None:
        """SetSubscriptionAttributes of several attributes at once, checked together (a
        declared subscription's FilterPolicy with its FilterPolicyScope)."""
        sub = view.sub
        topic = await self._catalog.topic(sub.topic_arn)
        fifo = topic is not None and topic.config.fifo
        merged = sattrs.check_subscription_attributes(
            given, sub.attributes, subscribing=False, fifo_topic=fifo
        )
        updated = await self._store.update_subscription(sub.arn, merged, sub.confirmed)
        self._catalog.written(sub.topic_arn)
        if updated is None:
            raise SubscriptionNotFound()


def root_principal(account: str) -> str:
    """The principal of an account's root user, the caller densho assumes when none is known
    (authentication off, or a subscription declared in the configuration file)."""
    return f"arn:aws:iam::{account}:root"


def check_endpoint(fifo: bool, protocol: str, endpoint: str | None, rules: EndpointRules) -> str:
    """The endpoint, unless the protocol (or a FIFO topic) does not allow it, or it points
    where ``[sns] http_endpoints`` refuses (names are not resolved here: delivery checks what
    they resolve to)."""
    if protocol not in protocols.PROTOCOLS:
        raise SnsInvalidParameter("Protocol", Refusal.UNSUPPORTED_PROTOCOL, protocol)
    if not endpoint:
        raise SnsInvalidParameter("Endpoint")
    if protocol == "sqs":
        if not sattrs.is_sqs_arn(endpoint):
            raise SnsInvalidParameter("SQS endpoint ARN")
        # A FIFO topic may feed a standard queue too (AWS's FIFO example subscribes one for
        # analytics); a standard topic may not feed a FIFO queue.
        if not fifo and endpoint.endswith(".fifo"):
            raise SnsInvalidParameter("Endpoint", Refusal.FIFO_QUEUE_ON_STANDARD_TOPIC)
    elif fifo:
        raise SnsInvalidParameter("Endpoint", Refusal.FIFO_TOPIC_SQS_ONLY)
    elif protocol in protocols.HTTP_PROTOCOLS and not endpoint.lower().startswith(f"{protocol}://"):
        raise SnsInvalidParameter("Endpoint", Refusal.ENDPOINT_PROTOCOL_MISMATCH)
    elif protocol in protocols.EMAIL_PROTOCOLS and "@" not in endpoint:
        raise SnsInvalidParameter("Email address")
    elif protocol == "sms" and not sms.is_sms_endpoint(endpoint):
        raise SnsInvalidParameter("Endpoint", Refusal.SMS_ENDPOINT, endpoint)
    if (protocol in protocols.HTTP_PROTOCOLS and not rules.url_allowed(endpoint)) or (
        protocol in protocols.EMAIL_PROTOCOLS and not rules.email_allowed(endpoint)
    ):
        raise SnsInvalidParameter("Unreachable Endpoint")
    return endpoint


def _to_snapshot(sub: Subscription) -> str:
    return json.dumps(
        {
            "arn": sub.arn,
            "topic_arn": sub.topic_arn,
            "owner": sub.owner,
            "protocol": sub.protocol,
            "endpoint": sub.endpoint,
            "attributes": sub.attributes,
            "created_ms": sub.created_ms,
        }
    )


def _from_snapshot(text: str) -> Subscription:
    doc = json.loads(text)
    return Subscription(
        arn=doc["arn"],
        topic_arn=doc["topic_arn"],
        owner=doc["owner"],
        protocol=doc["protocol"],
        endpoint=doc["endpoint"],
        attributes=doc["attributes"],
        confirmed=False,
        created_ms=doc["created_ms"],
    )
