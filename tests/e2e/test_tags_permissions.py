"""TagQueue / UntagQueue / ListQueueTags and AddPermission / RemovePermission.

AWS references: API Reference TagQueue (a new tag with an existing key overwrites it; tags
are case-sensitive), UntagQueue, ListQueueTags, AddPermission ("AddPermission generates a
policy for you"), RemovePermission. The policy's exact shape is as AWS writes it (recorded
from AWS in LocalStack's validated snapshot ``test_sqs_permission_lifecycle``): Version
2008-10-17, Id ``<queue arn>/SQSDefaultPolicy``, one statement per label with the principals
as account root ARNs and the actions prefixed ``SQS:`` (a single value is a string, several a
list), the queue ARN as resource; removing the last label removes the Policy attribute.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.helpers import (
    ACCOUNT_ID,
    attributes,
    expect_error,
    queue_arn,
    queue_name_of,
)

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


# -- tags -----------------------------------------------------------------------------------


def test_new_queue_has_no_tags(sqs: Any, queue: str) -> None:
    assert sqs.list_queue_tags(QueueUrl=queue).get("Tags", {}) == {}


def test_tag_list_untag(sqs: Any, queue: str) -> None:
    tags = {"tag1": "value1", "tag2": "value2", "tag3": ""}
    sqs.tag_queue(QueueUrl=queue, Tags=tags)
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == tags

    sqs.untag_queue(QueueUrl=queue, TagKeys=["tag1", "tag3"])
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"tag2": "value2"}

    sqs.untag_queue(QueueUrl=queue, TagKeys=["tag2"])
    assert sqs.list_queue_tags(QueueUrl=queue).get("Tags", {}) == {}


def test_tag_overwrites_existing_key(sqs: Any, queue: str) -> None:
    sqs.tag_queue(QueueUrl=queue, Tags={"tag1": "value1", "tag2": "value2"})
    sqs.tag_queue(QueueUrl=queue, Tags={"tag1": "VALUE1", "tag3": "value3"})
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {
        "tag1": "VALUE1",
        "tag2": "value2",
        "tag3": "value3",
    }


def test_tags_are_case_sensitive(sqs: Any, queue: str) -> None:
    tags = {"MyTag": "value1", "mytag": "value2"}
    sqs.tag_queue(QueueUrl=queue, Tags=tags)
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == tags


def test_untag_ignores_missing_keys(sqs: Any, queue: str) -> None:
    sqs.tag_queue(QueueUrl=queue, Tags={"tag1": "value1", "tag2": "value2"})
    sqs.untag_queue(QueueUrl=queue, TagKeys=["tag1", "no-such-tag"])
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"tag2": "value2"}


def test_tag_values_with_special_characters(sqs: Any, queue: str) -> None:
    tags = {"k:with/chars": "v <&> \"quoted\" 'single' ü", "emoji": "\U0001f680"}
    sqs.tag_queue(QueueUrl=queue, Tags=tags)
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == tags


@pytest.mark.parametrize("action", ["tag", "untag", "list"])
def test_tags_on_non_existent_queue(sqs: Any, endpoint: str, action: str) -> None:
    url = f"{endpoint}/{ACCOUNT_ID}/no-such-queue-for-tags"
    if action == "tag":
        expect_error(sqs.tag_queue, QueueUrl=url, Tags={"a": "b"}, code=NON_EXISTENT)
    elif action == "untag":
        expect_error(sqs.untag_queue, QueueUrl=url, TagKeys=["a"], code=NON_EXISTENT)
    else:
        expect_error(sqs.list_queue_tags, QueueUrl=url, code=NON_EXISTENT)


# -- permissions ----------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _statements(sqs: Any, queue: str) -> dict[str, dict[str, Any]]:
    raw = attributes(sqs, queue, "Policy").get("Policy")
    if raw is None:
        return {}
    policy = json.loads(raw)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return {s["Sid"]: s for s in statements}


def test_add_permission_writes_policy_as_aws_does(sqs: Any, queue: str) -> None:
    sqs.add_permission(
        QueueUrl=queue, Label="AliceSend", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    arn = queue_arn(queue_name_of(queue))
    policy = json.loads(attributes(sqs, queue, "Policy")["Policy"])
    assert policy == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {
                "Sid": "AliceSend",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "SQS:SendMessage",
                "Resource": arn,
            }
        ],
    }


def test_add_permission_several_accounts_and_actions(sqs: Any, queue: str) -> None:
    accounts = ["111122223333", "444455556666"]
    actions = ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"]
    sqs.add_permission(QueueUrl=queue, Label="multi", AWSAccountIds=accounts, Actions=actions)
    stmt = _statements(sqs, queue)["multi"]
    assert stmt["Effect"] == "Allow"
    assert stmt["Resource"] == queue_arn(queue_name_of(queue))
    assert sorted(_as_list(stmt["Principal"]["AWS"])) == sorted(
        f"arn:aws:iam::{a}:root" for a in accounts
    )
    assert sorted(_as_list(stmt["Action"])) == sorted(f"SQS:{a}" for a in actions)


def test_two_labels_two_statements_and_remove(sqs: Any, queue: str) -> None:
    sqs.add_permission(
        QueueUrl=queue, Label="first", AWSAccountIds=[ACCOUNT_ID], Actions=["ReceiveMessage"]
    )
    sqs.add_permission(
        QueueUrl=queue, Label="second", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    assert set(_statements(sqs, queue)) == {"first", "second"}

    sqs.remove_permission(QueueUrl=queue, Label="first")
    assert set(_statements(sqs, queue)) == {"second"}

    sqs.remove_permission(QueueUrl=queue, Label="second")
    # With its last statement gone, the policy itself is gone.
    assert "Policy" not in attributes(sqs, queue, "All")


def test_add_permission_duplicate_label(sqs: Any, queue: str) -> None:
    sqs.add_permission(
        QueueUrl=queue, Label="dup", AWSAccountIds=[ACCOUNT_ID], Actions=["ReceiveMessage"]
    )
    expect_error(
        sqs.add_permission,
        QueueUrl=queue,
        Label="dup",
        AWSAccountIds=["111122223333"],
        Actions=["ReceiveMessage"],
        code="InvalidParameterValue",
    )
    assert set(_statements(sqs, queue)) == {"dup"}


def test_remove_unknown_label(sqs: Any, queue: str) -> None:
    resp = expect_error(
        sqs.remove_permission, QueueUrl=queue, Label="never-added", code="InvalidParameterValue"
    )
    # AWS's text (LocalStack snapshot get-queue-policy-attribute-delete-non-existent-label).
    assert resp["Error"]["Message"] == (
        "Value never-added for parameter Label is invalid. Reason: can't find label."
    )
    sqs.add_permission(
        QueueUrl=queue, Label="present", AWSAccountIds=[ACCOUNT_ID], Actions=["SendMessage"]
    )
    expect_error(
        sqs.remove_permission, QueueUrl=queue, Label="absent", code="InvalidParameterValue"
    )


EIGHT_ACTIONS = [
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
]


def test_add_permission_at_most_seven_actions(sqs: Any, queue: str) -> None:
    # API Reference AddPermission: at most seven actions per statement; AWS answers 403 OverLimit.
    resp = expect_error(
        sqs.add_permission,
        QueueUrl=queue,
        Label="eight",
        AWSAccountIds=["111111111111"],
        Actions=EIGHT_ACTIONS,
        code="OverLimit",
        status=403,
    )
    assert resp["Error"]["Message"] == "8 Actions were found, maximum allowed is 7."
    assert "Policy" not in attributes(sqs, queue, "All")
    sqs.add_permission(
        QueueUrl=queue, Label="seven", AWSAccountIds=["111111111111"], Actions=EIGHT_ACTIONS[:7]
    )
    assert set(_statements(sqs, queue)) == {"seven"}


def test_add_permission_keeps_a_policy_set_by_hand(sqs: Any, queue: str) -> None:
    arn = queue_arn(queue_name_of(queue))
    manual = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "manual",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(manual)})
    sqs.add_permission(
        QueueUrl=queue, Label="added", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    assert set(_statements(sqs, queue)) == {"manual", "added"}


def test_permissions_on_non_existent_queue(sqs: Any, endpoint: str) -> None:
    url = f"{endpoint}/{ACCOUNT_ID}/no-such-queue-for-permissions"
    expect_error(
        sqs.add_permission,
        QueueUrl=url,
        Label="x",
        AWSAccountIds=[ACCOUNT_ID],
        Actions=["SendMessage"],
        code=NON_EXISTENT,
    )
    expect_error(sqs.remove_permission, QueueUrl=url, Label="x", code=NON_EXISTENT)
