"""Declared resources in the configuration file without a server: the line a key path is
written on, the shape of ``[[queues]]`` / ``[[topics]]`` entries, the engines' checks with the
API's messages at the right key, and the order queues are created in (dead-letter queues
first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from densho.config import ConfigError, Declared
from densho.config_file import load
from densho.config_lines import locate, parse_path
from densho.providers.declared_check import check, order
from densho.sns.endpoint_rules import EndpointRules

ARN = "arn:aws:sqs:us-east-1:000000000000:"

TEXT = """\
# densho.toml
[server]
port = 9324

[[queues]]
name = "orders-dlq"
[[queues]]
name = "orders"
attributes = { VisibilityTimeout = "60", RedrivePolicy = '{}' }
tags = { team = "checkout" }

[[ topics ]]
name = "events"
attributes.DisplayName = "Events"
[[topics.subscriptions]]
protocol = "sqs"
endpoint = "arn"
[[topics.subscriptions]]  # the second
protocol = "sqs"
attributes = { RawMessageDelivery = "true", FilterPolicy = '{"type": ["order"]}' }

[[topics]]
name = "b"
[topics.attributes]
# DisplayName = "not this line"
"DisplayName" = "B"
[topics.tags]
team = "x"
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("server.port", 3),
        ("queues[0]", 5),
        ("queues[0].name", 6),
        ("queues[1].name", 8),
        ("queues[1].attributes", 9),
        ("queues[1].attributes.RedrivePolicy", 9),
        ("queues[1].tags.team", 10),
        ("queues[1].region", 7),  # not written: its entry's header
        ("topics[0].attributes.DisplayName", 14),
        ("topics[0].subscriptions[0].endpoint", 17),
        ("topics[0].subscriptions[1]", 18),
        ("topics[0].subscriptions[1].attributes.FilterPolicy", 20),
        ("topics[0].subscriptions[1].endpoint", 18),
        ("topics[1].name", 23),
        ("topics[1].attributes.DisplayName", 26),  # a [table] under its entry; not the comment
        ("topics[1].tags.team", 28),
        ("queues[5]", None),
        ("nothing.here", None),
    ],
)
def test_locate_finds_the_line_of_a_key_path(path: str, line: int | None) -> None:
    assert locate(TEXT, path) == line


def test_parse_path() -> None:
    assert parse_path("topics[0].subscriptions[12].attributes.X") == [
        ("topics", 0),
        ("subscriptions", 12),
        ("attributes", None),
        ("X", None),
    ]


def _declared(tmp_path: Path, text: str) -> Declared:
    path = tmp_path / "densho.toml"
    path.write_text(text, encoding="utf-8")
    return load(path).declared.resolved("000000000000", "us-east-1")


def _refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        check(_declared(tmp_path, text), EndpointRules.parse((), ()))
    return str(caught.value).split("densho.toml", 1)[1]


def _queue(name: str, target: str | None = None, fifo: bool = False) -> str:
    attrs = ['FifoQueue = "true"'] if fifo else []
    if target:
        policy = f'{{"deadLetterTargetArn":"{ARN}{target}","maxReceiveCount":"3"}}'
        attrs.append(f"RedrivePolicy = '{policy}'")
    return f'[[queues]]\nname = "{name}"\nattributes = {{ {", ".join(attrs)} }}\n'


def test_dead_letter_queues_come_first(tmp_path: Path) -> None:
    text = _queue("a", "b") + _queue("b", "c") + _queue("c") + _queue("d", "elsewhere")
    declared = _declared(tmp_path, text)
    assert [q.name for q in order(declared)] == ["c", "b", "a", "d"]
    assert [q.name for q in check(declared, EndpointRules.parse((), ()))] == ["c", "b", "a", "d"]
    # a target of another account or region is not the declared queue of that name
    other = _queue("a").replace('name = "a"', 'name = "a"\nregion = "eu-west-1"')
    assert [q.name for q in order(_declared(tmp_path, _queue("x", "a") + other))] == ["x", "a"]


def test_a_cycle_of_dead_letter_queues_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, _queue("a", "b") + _queue("b", "a"))
    assert (
        message
        == ":3: queues[0].attributes.RedrivePolicy: dead-letter queues form a cycle: a -> b -> a"
    )


def test_a_dead_letter_queue_of_another_type_is_refused_as_the_api_does(tmp_path: Path) -> None:
    message = _refused(tmp_path, _queue("a.fifo", "b", fifo=True) + _queue("b"))
    assert message.startswith(":3: queues[0].attributes.RedrivePolicy: Value {")
    assert message.endswith("Reason: Dead-letter queue must be same type of queue as the source..")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[queues]]\nname = "q"\ncolour = "red"\n', ":3: queues[0].colour: unknown key"),
        ("[[queues]]\nattributes = {}\n", ":1: queues[0]: name is missing"),
        ("[[queues]]\nname = 1\n", ":2: queues[0].name: name must be a non-empty string"),
        ('[[queues]]\nname = "q"\naccount = "1"\n', ":3: queues[0].account: must be twelve digits"),
        (
            '[[queues]]\nname = "q"\nattributes = { DelaySeconds = 5 }\n',
            ":3: queues[0].attributes.DelaySeconds: must be a string, as on the wire "
            '(DelaySeconds = "5")',
        ),
        ('[[queues]]\nname = "q"\ntags = "x"\n', ":3: queues[0].tags: must be a table"),
        ("queues = 1\n", ":1: queues: must be an array of tables ([[queues]])"),
        (
            '[[topics]]\nname = "t"\n[[topics.subscriptions]]\nprotocol = "sqs"\n',
            ":3: topics[0].subscriptions[0]: endpoint is missing",
        ),
    ],
)
def test_shape_mistakes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "densho.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}{message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[queues]]\nname = "q"\n\n'
            'attributes = { DelaySeconds = "0", VisibilityTimeout = "-1" }\n',
            ":4: queues[0].attributes.VisibilityTimeout: Invalid value for the parameter "
            "VisibilityTimeout.",
        ),
        (
            '[[queues]]\nname = "q!"\n',
            ":2: queues[0].name: Can only include alphanumeric characters, hyphens, or "
            "underscores. 1 to 80 in length",
        ),
        (
            '[[queues]]\nname = "q"\nattributes = { ContentBasedDeduplication = "true" }\n',
            ":3: queues[0].attributes.ContentBasedDeduplication: Unknown Attribute "
            "ContentBasedDeduplication.",
        ),
        (
            '[[queues]]\nname = "q"\n[[queues]]\nname = "q"\naccount = "000000000000"\n',
            ":4: queues[1].name: this queue is declared twice (also queues[0])",
        ),
        (
            '[[topics]]\nname = "t"\n[[topics]]\nname = "t"\nregion = "us-east-1"\n',
            ":4: topics[1].name: this topic is declared twice (also topics[0])",
        ),
        (
            '[[topics]]\nname = "t"\nattributes = { DeliveryPolicy = "{" }\n',
            ":3: topics[0].attributes.DeliveryPolicy: Invalid parameter: ",
        ),
        (
            '[[topics]]\nname = "t"\ntags = { "aws:x" = "y" }\n',
            ":3: topics[0].tags.aws:x: Invalid parameter: Tags",
        ),
        (
            '[[topics]]\nname = "t"\n[[topics.subscriptions]]\nprotocol = "carrier-pigeon"\n'
            'endpoint = "x"\n',
            ":4: topics[0].subscriptions[0].protocol: Invalid parameter: ",
        ),
        (
            '[[topics]]\nname = "t"\n[[topics.subscriptions]]\nprotocol = "http"\n'
            'endpoint = "ftp://x"\n',
            ":5: topics[0].subscriptions[0].endpoint: Invalid parameter: Endpoint",
        ),
        (
            '[[topics]]\nname = "t"\n[[topics.subscriptions]]\nprotocol = "sqs"\n'
            f'endpoint = "{ARN}q"\n'
            '[[topics.subscriptions]]\nprotocol = "sqs"\n'
            f'endpoint = "{ARN}q"\n',
            ":8: topics[0].subscriptions[1].endpoint: this subscription is declared twice",
        ),
        (
            '[[topics]]\nname = "t.fifo"\nattributes = { FifoTopic = "true" }\n'
            '[[topics.subscriptions]]\nprotocol = "sqs"\n'
            f'endpoint = "{ARN}q.fifo"\n'
            f'attributes = {{ RedrivePolicy = \'{{"deadLetterTargetArn": "{ARN}dlq"}}\' }}\n',
            ":7: topics[0].subscriptions[0].attributes.RedrivePolicy: Invalid parameter: "
            "Attributes Reason: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO "
            "Subscription to a FIFO Topic.",
        ),
    ],
)
def test_refused_as_the_api_refuses(tmp_path: Path, text: str, message: str) -> None:
    assert _refused(tmp_path, text).startswith(message)


def test_a_filter_policy_is_read_in_its_declared_scope(tmp_path: Path) -> None:
    sub = (
        '[[topics]]\nname = "t"\n[[topics.subscriptions]]\nprotocol = "sqs"\n'
        f'endpoint = "{ARN}q"\n'
        'attributes = { FilterPolicy = \'{"a": {"b": ["c"]}}\', '
        'FilterPolicyScope = "MessageBody", RawMessageDelivery = "maybe" }\n'
    )
    # the nested (body) policy is fine in its scope: the refusal is RawMessageDelivery's
    assert _refused(tmp_path, sub).startswith(
        ":6: topics[0].subscriptions[0].attributes.RawMessageDelivery: "
    )
    fine = sub.replace('"maybe"', '"true"')
    assert check(_declared(tmp_path, fine), EndpointRules.parse((), ())) == ()
