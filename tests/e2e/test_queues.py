"""CreateQueue, DeleteQueue, GetQueueUrl and ListQueues, on both wire protocols.

AWS references: API Reference CreateQueue / DeleteQueue / GetQueueUrl / ListQueues, and the
Developer Guide's queue quotas (names: 1-80 characters, alphanumeric, hyphen, underscore;
a FIFO queue's name ends in ``.fifo`` and the 80 include the suffix).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import QueueMaker, make_client, unique_name
from tests.e2e.helpers import (
    ACCOUNT_ID,
    attributes,
    expect_error,
    queue_arn,
    wait_until,
)

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


# -- CreateQueue ----------------------------------------------------------------------


def test_create_queue_returns_url_and_arn(sqs: Any, endpoint: str, make_queue: QueueMaker) -> None:
    name = unique_name("create-basic")
    url = make_queue(name)
    assert url == f"{endpoint}/{ACCOUNT_ID}/{name}"
    assert attributes(sqs, url, "QueueArn") == {"QueueArn": queue_arn(name)}


@pytest.mark.parametrize(
    "kind",
    ["80-chars", "mixed", "leading-hyphen", "leading-underscore", "digits-only"],
)
def test_create_queue_accepts_valid_names(sqs: Any, make_queue: QueueMaker, kind: str) -> None:
    token = unique_name("")[1:]  # 10 hex characters
    name = {
        "80-chars": unique_name("n" * 80),
        "mixed": unique_name("Mixed-Case_name-0123456789"),
        "leading-hyphen": f"-{token}",
        "leading-underscore": f"_{token}",
        "digits-only": str(int(token, 16)),
    }[kind]
    url = make_queue(name)
    assert url.endswith(f"/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_create_queue_accepts_one_character_name(
    sqs: Any, protocol: str, make_queue: QueueMaker
) -> None:
    # One name per protocol: the session's server is shared, and AWS may refuse to
    # re-create a just-deleted name for 60 s.
    name = {"json": "j", "query": "q"}[protocol]
    url = make_queue(name)
    assert url.endswith(f"/{name}")


@pytest.mark.parametrize(
    "name",
    [
        "x" * 81,
        "has space",
        "dot.name",
        "slash/name",
        "colon:name",
        "umlaut-\u00fc",
        "star*",
    ],
    ids=["81-chars", "space", "dot", "slash", "colon", "non-ascii", "star"],
)
def test_create_queue_rejects_invalid_names(sqs: Any, make_queue: QueueMaker, name: str) -> None:
    expect_error(sqs.create_queue, QueueName=name, code="InvalidParameterValue")


def test_fifo_suffix_requires_fifo_attribute(sqs: Any) -> None:
    # A standard queue's name cannot end in .fifo.
    expect_error(
        sqs.create_queue, QueueName=unique_name("std", suffix=".fifo"), code="InvalidParameterValue"
    )


def test_fifo_attribute_requires_fifo_suffix(sqs: Any) -> None:
    expect_error(
        sqs.create_queue,
        QueueName=unique_name("nofifosuffix"),
        Attributes={"FifoQueue": "true"},
        code="InvalidParameterValue",
    )


def test_create_fifo_queue(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("fifo", suffix=".fifo")
    url = make_queue(name, fifo=True)
    assert url.endswith(f"/{name}")
    attrs = attributes(sqs, url, "All")
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"
    assert attrs["QueueArn"] == queue_arn(name)


def test_fifo_name_limit_includes_suffix(sqs: Any, make_queue: QueueMaker) -> None:
    ok = "f" * 64 + unique_name("") + ".fifo"
    assert len(ok) == 80
    make_queue(ok, fifo=True)
    too_long = "g" * 76 + ".fifo"
    expect_error(
        sqs.create_queue,
        QueueName=too_long,
        Attributes={"FifoQueue": "true"},
        code="InvalidParameterValue",
    )


def test_create_queue_is_idempotent_with_identical_attributes(
    sqs: Any, make_queue: QueueMaker
) -> None:
    name = unique_name("idem")
    attrs = {"VisibilityTimeout": "69", "DelaySeconds": "1"}
    url = make_queue(name, attributes=attrs)
    assert sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"] == url
    # Omitted attributes, or a subset with the same values, do not conflict.
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "1"})["QueueUrl"] == url


def test_create_queue_with_different_attributes_fails(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("conflict")
    url = make_queue(name, attributes={"VisibilityTimeout": "69"})
    resp = expect_error(
        sqs.create_queue,
        QueueName=name,
        Attributes={"DelaySeconds": "0", "VisibilityTimeout": "70"},
        code="QueueAlreadyExists",
    )
    # AWS names the attribute (LocalStack snapshots queue-already-exists, create_queue_01/02).
    assert resp["Error"]["Message"] == (
        "A queue already exists with the same name and a different value for attribute "
        "VisibilityTimeout"
    )
    # After SetQueueAttributes, the new value is the one that matches.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "70"})
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "70"})
    assert again["QueueUrl"] == url


def test_create_queue_with_attributes(sqs: Any, make_queue: QueueMaker) -> None:
    given = {
        "DelaySeconds": "7",
        "MaximumMessageSize": "2048",
        "MessageRetentionPeriod": "3600",
        "ReceiveMessageWaitTimeSeconds": "3",
        "VisibilityTimeout": "45",
    }
    url = make_queue(attributes=given)
    attrs = attributes(sqs, url, "All")
    for key, value in given.items():
        assert attrs[key] == value, key


def test_create_queue_with_tags(sqs: Any, make_queue: QueueMaker) -> None:
    tags = {"team": "densho", "env": "e2e", "empty": ""}
    url = make_queue(tags=tags)
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == tags


@pytest.mark.parametrize(
    ("name", "value"),
    [("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")],
)
def test_standard_queue_refuses_high_throughput_attributes(
    sqs: Any, queue: str, name: str, value: str
) -> None:
    # AWS names these two (LocalStack snapshot keys invalid-attribute-deduplication-scope,
    # invalid-attribute-throughput-limit); FifoQueue / ContentBasedDeduplication stay unknown.
    message = f"You can specify the {name} only when FifoQueue is set to true."
    calls: list[tuple[Any, dict[str, Any]]] = [
        (sqs.create_queue, {"QueueName": unique_name("std-fifo-attr")}),
        (sqs.set_queue_attributes, {"QueueUrl": queue}),
    ]
    for call, kwargs in calls:
        resp = expect_error(call, Attributes={name: value}, code="InvalidAttributeName", **kwargs)
        assert resp["Error"]["Message"] == message
    resp = expect_error(
        sqs.create_queue,
        QueueName=unique_name("std-cbd"),
        Attributes={"ContentBasedDeduplication": "true"},
        code="InvalidAttributeName",
    )
    assert resp["Error"]["Message"] == "Unknown Attribute ContentBasedDeduplication."


def test_create_queue_rejects_unknown_attribute(sqs: Any) -> None:
    expect_error(
        sqs.create_queue,
        QueueName=unique_name("badattr"),
        Attributes={"NoSuchAttribute": "1"},
        code="InvalidAttributeName",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VisibilityTimeout", "43201"),
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MessageRetentionPeriod", "59"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
    ],
)
def test_create_queue_rejects_out_of_range_attribute(sqs: Any, name: str, value: str) -> None:
    expect_error(
        sqs.create_queue,
        QueueName=unique_name("range"),
        Attributes={name: value},
        code="InvalidAttributeValue",
    )


def test_queue_url_follows_the_request_host(sqs: Any, protocol: str, endpoint: str) -> None:
    # densho (design §6): queue URLs are built from the request's Host, and a queue is
    # found by account and name whatever host its URL names.
    other_endpoint = endpoint.replace("127.0.0.1", "localhost")
    other = make_client(protocol, other_endpoint)
    name = unique_name("host")
    url = other.create_queue(QueueName=name)["QueueUrl"]
    try:
        assert url == f"{other_endpoint}/{ACCOUNT_ID}/{name}"
        assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == f"{endpoint}/{ACCOUNT_ID}/{name}"
        sqs.send_message(QueueUrl=url, MessageBody="addressed by the other host")
        assert attributes(sqs, url, "ApproximateNumberOfMessages") == {
            "ApproximateNumberOfMessages": "1"
        }
    finally:
        sqs.delete_queue(QueueUrl=url)
        other.close()


# -- GetQueueUrl ----------------------------------------------------------------------


def test_get_queue_url(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("geturl")
    url = make_queue(name)
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_get_queue_url_with_owner_account(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("owner")
    url = make_queue(name)
    got = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=ACCOUNT_ID)
    assert got["QueueUrl"] == url


def test_get_queue_url_of_another_account_does_not_exist(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("owner-other")
    make_queue(name)
    expect_error(
        sqs.get_queue_url,
        QueueName=name,
        QueueOwnerAWSAccountId="111122223333",
        code=NON_EXISTENT,
    )


def test_get_queue_url_non_existent(sqs: Any) -> None:
    expect_error(sqs.get_queue_url, QueueName=unique_name("missing"), code=NON_EXISTENT)


def test_queue_names_are_case_sensitive(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("CaseSensitive")
    make_queue(name)
    expect_error(sqs.get_queue_url, QueueName=name.lower(), code=NON_EXISTENT)


# -- DeleteQueue ----------------------------------------------------------------------


def test_delete_queue(sqs: Any, make_queue: QueueMaker) -> None:
    name = unique_name("delete")
    url = make_queue(name)
    sqs.send_message(QueueUrl=url, MessageBody="goes away with the queue")
    sqs.delete_queue(QueueUrl=url)

    # AWS: deletion "takes up to 60 seconds"; densho is expected to be prompt.
    def gone() -> bool:
        try:
            sqs.get_queue_url(QueueName=name)
        except ClientError as exc:
            return bool(exc.response["Error"]["Code"] == NON_EXISTENT)
        return False

    wait_until(gone, timeout=5, message="queue deleted")
    expect_error(sqs.send_message, QueueUrl=url, MessageBody="x", code=NON_EXISTENT)
    expect_error(sqs.receive_message, QueueUrl=url, code=NON_EXISTENT)
    expect_error(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"], code=NON_EXISTENT)
    assert url not in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])


def test_delete_non_existent_queue(sqs: Any, endpoint: str) -> None:
    url = f"{endpoint}/{ACCOUNT_ID}/{unique_name('never-created')}"
    expect_error(sqs.delete_queue, QueueUrl=url, code=NON_EXISTENT)


# -- ListQueues -----------------------------------------------------------------------


def test_list_queues_by_prefix(sqs: Any, make_queue: QueueMaker) -> None:
    prefix = unique_name("lst")
    a = make_queue(f"{prefix}-a")
    b = make_queue(f"{prefix}-b")
    other = make_queue(f"{prefix}x-c")
    got = sqs.list_queues(QueueNamePrefix=f"{prefix}-").get("QueueUrls", [])
    assert sorted(got) == sorted([a, b])
    assert other not in got
    everything = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    assert sorted(everything) == sorted([a, b, other])


def test_list_queues_without_prefix_includes_new_queue(sqs: Any, queue: str) -> None:
    assert queue in sqs.list_queues().get("QueueUrls", [])


def test_list_queues_no_match_is_empty(sqs: Any) -> None:
    resp = sqs.list_queues(QueueNamePrefix=unique_name("nothing-here"))
    assert resp.get("QueueUrls", []) == []
    assert "NextToken" not in resp


def test_list_queues_pagination(sqs: Any, make_queue: QueueMaker) -> None:
    prefix = unique_name("page")
    urls = {make_queue(f"{prefix}-{i}") for i in range(5)}
    seen: list[str] = []
    pages = 0
    kwargs: dict[str, Any] = {"QueueNamePrefix": prefix, "MaxResults": 2}
    for _ in range(10):  # bounded: 3 pages expected
        resp = sqs.list_queues(**kwargs)
        pages += 1
        page = resp.get("QueueUrls", [])
        assert 1 <= len(page) <= 2
        seen.extend(page)
        token = resp.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == urls


def test_list_queues_without_max_results_has_no_next_token(
    sqs: Any, make_queue: QueueMaker
) -> None:
    prefix = unique_name("nomax")
    for i in range(3):
        make_queue(f"{prefix}-{i}")
    resp = sqs.list_queues(QueueNamePrefix=prefix)
    assert len(resp["QueueUrls"]) == 3
    assert "NextToken" not in resp


@pytest.mark.parametrize("max_results", [0, 1001])
def test_list_queues_max_results_out_of_range(sqs: Any, max_results: int) -> None:
    expect_error(sqs.list_queues, MaxResults=max_results, code="InvalidParameterValue")
