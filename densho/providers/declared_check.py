"""Declared resources checked without a store (``densho check-config``, and before a start).

Owns: running the engines' own store-free checks of CreateQueue, CreateTopic and Subscribe on
each declared entry — so a refused value reads as the API's message, prefixed with where it is
written (``densho.toml:12: queues[1].attributes.VisibilityTimeout: Invalid value for ...``) —
names declared twice, and the order queues are created in: a dead-letter queue before the
queues whose RedrivePolicy names it (a cycle among declared queues is refused).
Must not know: the store, how declarations are applied (``densho.providers.declared``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from densho.config import ConfigError, Declared, DeclaredQueue, DeclaredTopic
from densho.core import errors
from densho.providers.errors import to_aws
from densho.sns import attributes as sattrs
from densho.sns import protocols
from densho.sns.endpoint_rules import EndpointRules
from densho.sns.subscriptions import check_endpoint
from densho.sns.topics import check_new_topic
from densho.sns.topics import check_tags as check_topic_tags
from densho.sqs import attributes as qattrs
from densho.sqs.queues import check_new_queue
from densho.sqs.queues import check_tags as check_queue_tags
from densho.sqs.redrive import check_redrive_policy

Check = Callable[[], object]


def refusal(declared: Declared, key: str, exc: errors.DomainError) -> ConfigError:
    """The API's message for ``exc``, at ``key`` of the file."""
    return declared.error(key, to_aws(exc).message)


def _first_refusal(
    declared: Declared, key: str, whole: Check, parts: Iterable[tuple[str, Check]]
) -> None:
    """Run ``whole`` (the engine's check); when it refuses, name the first part (one attribute,
    the name, a tag) that is refused alone — else the entry's ``key`` — with its message."""
    try:
        whole()
    except errors.DomainError as exc:
        for part_key, part in parts:
            try:
                part()
            except errors.DomainError:
                raise refusal(declared, part_key, exc) from None
        raise refusal(declared, key, exc) from None


def check(declared: Declared, rules: EndpointRules) -> tuple[DeclaredQueue, ...]:
    """Refuse what the API would refuse, and names declared twice; the queues in the order
    they are to be created."""
    seen: dict[str, str] = {}  # a queue or topic is its ARN (account, region and name)
    for queue in declared.queues:
        _twice(declared, seen, queue.arn, queue.key, "queue")
        _check_queue(declared, queue)
    for topic in declared.topics:
        _twice(declared, seen, topic.arn, topic.key, "topic")
        _check_topic(declared, topic, rules)
    return order(declared)


def _twice(declared: Declared, seen: dict[str, str], ident: str, key: str, what: str) -> None:
    if ident in seen:
        raise declared.error(f"{key}.name", f"this {what} is declared twice (also {seen[ident]})")
    seen[ident] = key


def _check_queue(declared: Declared, queue: DeclaredQueue) -> None:
    fifo = qattrs.requests_fifo(queue.attributes)
    parts: list[tuple[str, Check]] = [
        (f"{queue.key}.name", lambda: qattrs.validate_queue_name(queue.name, fifo))
    ]
    parts += [
        (f"{queue.key}.attributes.{k}", _one(qattrs.validate, {k: v}, fifo=fifo, creating=True))
        for k, v in queue.attributes.items()
    ]
    parts += [
        (f"{queue.key}.tags.{k}", _one(check_queue_tags, {k: v})) for k, v in queue.tags.items()
    ]
    parts.append((f"{queue.key}.tags", _one(check_queue_tags, queue.tags)))
    whole = _one(check_new_queue, queue.name, queue.attributes, queue.tags)
    _first_refusal(declared, f"{queue.key}.attributes", whole, parts)


def _check_topic(declared: Declared, topic: DeclaredTopic, rules: EndpointRules) -> None:
    fifo = topic.attributes.get("FifoTopic", "false").lower() == "true"
    parts: list[tuple[str, Check]] = [
        (
            f"{topic.key}.attributes.{k}",
            _one(sattrs.check_topic_attributes, {k: v}, fifo=fifo, creating=True),
        )
        for k, v in topic.attributes.items()
    ]
    fifo_only = {"FifoTopic": "true"} if fifo else {}
    parts.append((f"{topic.key}.name", _one(check_new_topic, topic.name, fifo_only, {})))
    parts += [
        (f"{topic.key}.tags.{k}", _one(check_topic_tags, {k: v})) for k, v in topic.tags.items()
    ]
    whole = _one(check_new_topic, topic.name, topic.attributes, topic.tags)
    _first_refusal(declared, f"{topic.key}.tags", whole, parts)
    seen: dict[tuple[str, str], str] = {}
    for sub in topic.subscriptions:
        if (sub.protocol, sub.endpoint) in seen:
            raise declared.error(
                f"{sub.key}.endpoint",
                f"this subscription is declared twice (also {seen[sub.protocol, sub.endpoint]})",
            )
        seen[sub.protocol, sub.endpoint] = sub.key
        where = "protocol" if sub.protocol not in protocols.PROTOCOLS else "endpoint"
        _first_refusal(
            declared,
            f"{sub.key}.{where}",
            _one(check_endpoint, fifo, sub.protocol, sub.endpoint, rules),
            [],
        )
        # A FilterPolicy is read in the scope declared with it.
        scope = {k: v for k, v in sub.attributes.items() if k == "FilterPolicyScope"}
        checks = _one(
            sattrs.check_subscription_attributes,
            sub.attributes,
            {},
            subscribing=True,
            fifo_topic=fifo,
        )
        parts = [
            (
                f"{sub.key}.attributes.{k}",
                _one(
                    sattrs.check_subscription_attributes,
                    {k: v, **(scope if k == "FilterPolicy" else {})},
                    {},
                    subscribing=True,
                    fifo_topic=fifo,
                ),
            )
            for k, v in sub.attributes.items()
        ]
        _first_refusal(declared, f"{sub.key}.attributes", checks, parts)


def _one(fn: Callable[..., object], *args: object, **kwargs: object) -> Check:
    return lambda: fn(*args, **kwargs)


def order(declared: Declared) -> tuple[DeclaredQueue, ...]:
    """The declared queues, each dead-letter queue before the queues that name it (among
    declared ones; a target declared nowhere must exist when they are applied). A cycle, or a
    target of another type, is refused here, as the API would refuse it."""
    by_arn = {q.arn: q for q in declared.queues}
    targets: dict[str, DeclaredQueue] = {}  # source key -> its declared target
    for queue in declared.queues:
        document = queue.attributes.get("RedrivePolicy")
        if not document:
            continue
        key = f"{queue.key}.attributes.RedrivePolicy"
        try:
            target = by_arn.get(check_redrive_policy(document).arn)
        except errors.DomainError as exc:
            raise refusal(declared, key, exc) from None
        if target is None:
            continue
        if qattrs.requests_fifo(target.attributes) != qattrs.requests_fifo(queue.attributes):
            raise refusal(declared, key, errors.DeadLetterTypeDiffers(document))
        targets[queue.key] = target
    out: list[DeclaredQueue] = []
    done: set[str] = set()
    for queue in declared.queues:
        chain: list[DeclaredQueue] = []
        step: DeclaredQueue | None = queue
        while step is not None and step.key not in done:
            if step in chain:
                names = " -> ".join(q.name for q in [*chain[chain.index(step) :], step])
                raise declared.error(
                    f"{step.key}.attributes.RedrivePolicy",
                    f"dead-letter queues form a cycle: {names}",
                )
            chain.append(step)
            step = targets.get(step.key)
        for item in reversed(chain):  # the deepest target first
            done.add(item.key)
            out.append(item)
    return tuple(out)
