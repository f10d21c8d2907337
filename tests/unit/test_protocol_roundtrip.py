"""Every SQS operation (JSON and Query) and a set of SNS operations, with botocore as the oracle.

For each: botocore serializes representative params; ``Wire.handle`` must decode exactly those
params; the dispatcher's representative output, encoded by the wire, must parse back (with
botocore's own parser) to exactly that output.
"""

from __future__ import annotations

from typing import Any

import pytest

from densho.protocol import loader
from tests.support.wire_harness import (
    ACCESS_KEY,
    botocore_parse,
    botocore_request,
    run,
    without_metadata,
)

Q = "http://localhost:9324/000000000000/orders"
Q2 = "http://localhost:9324/000000000000/orders-dlq"
ARN = "arn:aws:sqs:us-east-1:000000000000:orders-dlq"
ARN2 = "arn:aws:sqs:us-east-1:000000000000:orders"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
TRICKY = "a \"quoted\" <body> & 'apos' \r\n\tend \u00e9\u4e2d\U0001f600"

ATTRS: dict[str, Any] = {
    "s": {"DataType": "String", "StringValue": TRICKY},
    "n": {"DataType": "Number.int", "StringValue": "-5.5"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
}

SQS_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "AddPermission": (
        {
            "QueueUrl": Q,
            "Label": "lbl",
            "AWSAccountIds": ["111122223333", "444455556666"],
            "Actions": ["SendMessage", "ReceiveMessage"],
        },
        {},
    ),
    "CancelMessageMoveTask": ({"TaskHandle": "th-1"}, {"ApproximateNumberOfMessagesMoved": 12}),
    "ChangeMessageVisibility": (
        {"QueueUrl": Q, "ReceiptHandle": "rh", "VisibilityTimeout": 0},
        {},
    ),
    "ChangeMessageVisibilityBatch": (
        {
            "QueueUrl": Q,
            "Entries": [
                {"Id": "a", "ReceiptHandle": "rh1", "VisibilityTimeout": 43200},
                {"Id": "b", "ReceiptHandle": "rh2"},
            ],
        },
        {
            "Successful": [{"Id": "a"}],
            "Failed": [
                {"Id": "b", "SenderFault": True, "Code": "ReceiptHandleIsInvalid", "Message": "x"}
            ],
        },
    ),
    "CreateQueue": (
        {
            "QueueName": "orders.fifo",
            "Attributes": {"FifoQueue": "true", "VisibilityTimeout": "45", "Policy": '{"a": 1}'},
            "tags": {"team": "core", "env": ""},
        },
        {"QueueUrl": Q},
    ),
    "DeleteMessage": ({"QueueUrl": Q, "ReceiptHandle": "rh"}, {}),
    "DeleteMessageBatch": (
        {
            "QueueUrl": Q,
            "Entries": [{"Id": "a", "ReceiptHandle": "r1"}, {"Id": "b", "ReceiptHandle": "r2"}],
        },
        {
            "Successful": [{"Id": "a"}, {"Id": "b"}],
            "Failed": [{"Id": "c", "SenderFault": False, "Code": "InternalError"}],
        },
    ),
    "DeleteQueue": ({"QueueUrl": Q}, {}),
    "GetQueueAttributes": (
        {"QueueUrl": Q, "AttributeNames": ["All", "QueueArn"]},
        {"Attributes": {"QueueArn": ARN2, "DelaySeconds": "0", "RedrivePolicy": '{"x":"<&>"}'}},
    ),
    "GetQueueUrl": (
        {"QueueName": "orders", "QueueOwnerAWSAccountId": "000000000000"},
        {"QueueUrl": Q},
    ),
    "ListDeadLetterSourceQueues": (
        {"QueueUrl": Q2, "NextToken": "t", "MaxResults": 10},
        {"queueUrls": [Q, Q2], "NextToken": "n"},
    ),
    "ListMessageMoveTasks": (
        {"SourceArn": ARN, "MaxResults": 5},
        {
            "Results": [
                {
                    "TaskHandle": "th",
                    "Status": "RUNNING",
                    "SourceArn": ARN,
                    "DestinationArn": ARN2,
                    "MaxNumberOfMessagesPerSecond": 50,
                    "ApproximateNumberOfMessagesMoved": 3,
                    "ApproximateNumberOfMessagesToMove": 10,
                    "StartedTimestamp": 1767225600000,
                },
                {"TaskHandle": "th2", "Status": "FAILED", "FailureReason": "gone"},
            ]
        },
    ),
    "ListQueueTags": ({"QueueUrl": Q}, {"Tags": {"a": "1", "b": "two & <three>"}}),
    "ListQueues": (
        {"QueueNamePrefix": "ord", "NextToken": "t", "MaxResults": 1000},
        {"QueueUrls": [Q, Q2], "NextToken": "n"},
    ),
    "PurgeQueue": ({"QueueUrl": Q}, {}),
    "ReceiveMessage": (
        {
            "QueueUrl": Q,
            "AttributeNames": ["All", "SentTimestamp"],
            "MessageAttributeNames": ["All", "a.*"],
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 30,
            "WaitTimeSeconds": 20,
            "ReceiveRequestAttemptId": "attempt",
        },
        {
            "Messages": [
                {
                    "MessageId": "m1",
                    "ReceiptHandle": "rh1",
                    "MD5OfBody": MD5,
                    "Body": TRICKY,
                    "Attributes": {"SenderId": "AID", "SentTimestamp": "1767225600000"},
                    "MD5OfMessageAttributes": MD5,
                    "MessageAttributes": ATTRS,
                },
                {"MessageId": "m2", "ReceiptHandle": "rh2", "MD5OfBody": MD5, "Body": "two"},
            ]
        },
    ),
    "RemovePermission": ({"QueueUrl": Q, "Label": "lbl"}, {}),
    "SendMessage": (
        {
            "QueueUrl": Q,
            "MessageBody": TRICKY,
            "DelaySeconds": 5,
            "MessageAttributes": {
                **ATTRS,
                "l": {
                    "DataType": "String",
                    "StringListValues": ["x", "y"],
                    "BinaryListValues": [b"z"],
                },
            },
            "MessageSystemAttributes": {
                "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988"}
            },
            "MessageDeduplicationId": "dedup",
            "MessageGroupId": "group",
        },
        {
            "MD5OfMessageBody": MD5,
            "MD5OfMessageAttributes": MD5,
            "MD5OfMessageSystemAttributes": MD5,
            "MessageId": "m1",
            "SequenceNumber": "10000000000000000000",
        },
    ),
    "SendMessageBatch": (
        {
            "QueueUrl": Q,
            "Entries": [
                {"Id": "a", "MessageBody": "one", "DelaySeconds": 0, "MessageAttributes": ATTRS},
                {
                    "Id": "b",
                    "MessageBody": TRICKY,
                    "MessageGroupId": "g",
                    "MessageDeduplicationId": "d",
                },
            ],
        },
        {
            "Successful": [
                {
                    "Id": "a",
                    "MessageId": "m1",
                    "MD5OfMessageBody": MD5,
                    "MD5OfMessageAttributes": MD5,
                    "SequenceNumber": "1",
                }
            ],
            "Failed": [
                {"Id": "b", "SenderFault": True, "Code": "InvalidParameterValue", "Message": "no"}
            ],
        },
    ),
    "SetQueueAttributes": (
        {"QueueUrl": Q, "Attributes": {"VisibilityTimeout": "60", "RedrivePolicy": ""}},
        {},
    ),
    "StartMessageMoveTask": (
        {"SourceArn": ARN, "DestinationArn": ARN2, "MaxNumberOfMessagesPerSecond": 100},
        {"TaskHandle": "th"},
    ),
    "TagQueue": ({"QueueUrl": Q, "Tags": {"a": "1", "b": "2"}}, {}),
    "UntagQueue": ({"QueueUrl": Q, "TagKeys": ["a", "b"]}, {}),
}

TOPIC = "arn:aws:sns:us-east-1:000000000000:events"
SUB = TOPIC + ":8f3c1f2e-5e63-4b55-a63d-5f4f1c8c9a01"

SNS_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "CreateTopic": (
        {
            "Name": "events",
            "Attributes": {"DisplayName": "Ev", "FifoTopic": "false"},
            "Tags": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": ""}],
        },
        {"TopicArn": TOPIC},
    ),
    "DeleteTopic": ({"TopicArn": TOPIC}, {}),
    "GetTopicAttributes": (
        {"TopicArn": TOPIC},
        {"Attributes": {"TopicArn": TOPIC, "Policy": '{"Statement": ["<&>"]}'}},
    ),
    "ListTopics": (
        {"NextToken": "t"},
        {"Topics": [{"TopicArn": TOPIC}, {"TopicArn": TOPIC + "2"}], "NextToken": "n"},
    ),
    "Publish": (
        {
            "TopicArn": TOPIC,
            "Message": TRICKY,
            "Subject": "subj",
            "MessageAttributes": {
                "s": {"DataType": "String", "StringValue": "v"},
                "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            },
            "MessageGroupId": "g",
        },
        {"MessageId": "mid", "SequenceNumber": "1"},
    ),
    "PublishBatch": (
        {
            "TopicArn": TOPIC,
            "PublishBatchRequestEntries": [
                {"Id": "1", "Message": "one"},
                {
                    "Id": "2",
                    "Message": "two",
                    "MessageAttributes": {"k": {"DataType": "Number", "StringValue": "1"}},
                },
            ],
        },
        {
            "Successful": [{"Id": "1", "MessageId": "m1"}],
            "Failed": [
                {"Id": "2", "Code": "InvalidParameter", "Message": "bad", "SenderFault": True}
            ],
        },
    ),
    "Subscribe": (
        {
            "TopicArn": TOPIC,
            "Protocol": "sqs",
            "Endpoint": ARN,
            "Attributes": {"RawMessageDelivery": "true"},
            "ReturnSubscriptionArn": True,
        },
        {"SubscriptionArn": SUB},
    ),
    "SetSubscriptionAttributes": (
        {"SubscriptionArn": SUB, "AttributeName": "FilterPolicy", "AttributeValue": '{"a": ["b"]}'},
        {},
    ),
    "ListSubscriptionsByTopic": (
        {"TopicArn": TOPIC},
        {
            "Subscriptions": [
                {
                    "SubscriptionArn": SUB,
                    "Owner": "000000000000",
                    "Protocol": "sqs",
                    "Endpoint": ARN,
                    "TopicArn": TOPIC,
                }
            ]
        },
    ),
    "ListTagsForResource": ({"ResourceArn": TOPIC}, {"Tags": [{"Key": "a", "Value": "1"}]}),
    "TagResource": ({"ResourceArn": TOPIC, "Tags": [{"Key": "a", "Value": "1"}]}, {}),
    "UntagResource": ({"ResourceArn": TOPIC, "TagKeys": ["a"]}, {}),
    "AddPermission": (
        {
            "TopicArn": TOPIC,
            "Label": "l",
            "AWSAccountId": ["111122223333"],
            "ActionName": ["Publish"],
        },
        {},
    ),
}


def test_every_sqs_operation_has_a_case() -> None:
    assert set(SQS_CASES) == set(loader.sqs_json_model().operation_names)


@pytest.mark.parametrize("protocol", ["json", "query"])
@pytest.mark.parametrize("operation", sorted(SQS_CASES))
def test_sqs_round_trip(protocol: str, operation: str) -> None:
    params, output = SQS_CASES[operation]
    request = botocore_request("sqs", protocol, operation, params)
    response, recorder = run(request, output)

    assert response.status == 200, response.body
    [call] = recorder.calls
    assert (call.service, call.protocol, call.operation) == ("sqs", protocol, operation)
    assert call.params == params
    assert (call.region, call.access_key, call.endpoint) == (
        "eu-west-1",
        ACCESS_KEY,
        "http://localhost:9324",
    )
    parsed = botocore_parse("sqs", protocol, operation, response)
    assert without_metadata(parsed) == output
    request_id = dict(response.headers)[b"x-amzn-requestid"].decode()
    assert parsed["ResponseMetadata"]["RequestId"] == request_id


@pytest.mark.parametrize("operation", sorted(SNS_CASES))
def test_sns_round_trip(operation: str) -> None:
    params, output = SNS_CASES[operation]
    request = botocore_request("sns", "query", operation, params)
    response, recorder = run(request, output)

    assert response.status == 200, response.body
    [call] = recorder.calls
    assert (call.service, call.protocol, call.operation) == ("sns", "query", operation)
    assert call.params == params
    assert without_metadata(botocore_parse("sns", "query", operation, response)) == output


def test_json_message_system_attribute_names_round_trip() -> None:
    params = {"QueueUrl": Q, "MessageSystemAttributeNames": ["SenderId", "All"]}
    response, recorder = run(botocore_request("sqs", "json", "ReceiveMessage", params), {})
    assert response.status == 200
    assert recorder.calls[0].params == params


def test_query_message_system_attribute_names_arrive_as_attribute_names() -> None:
    # Both members are AttributeName.N on the Query wire (quirks): the first member claims it.
    params = {"QueueUrl": Q, "MessageSystemAttributeNames": ["SenderId", "All"]}
    response, recorder = run(botocore_request("sqs", "query", "ReceiveMessage", params), {})
    assert response.status == 200
    assert recorder.calls[0].params == {"QueueUrl": Q, "AttributeNames": ["SenderId", "All"]}


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_empty_receive(protocol: str) -> None:
    response, _ = run(botocore_request("sqs", protocol, "ReceiveMessage", {"QueueUrl": Q}), {})
    assert without_metadata(botocore_parse("sqs", protocol, "ReceiveMessage", response)) == {}
    if protocol == "query":
        assert b"<ReceiveMessageResult/>" in response.body


def test_query_carriage_return_and_quotes_are_escaped_as_aws_does() -> None:
    output = {"Messages": [{"MessageId": "m", "Body": 'x\r\ny "z"'}]}
    response, _ = run(botocore_request("sqs", "query", "ReceiveMessage", {"QueueUrl": Q}), output)
    assert b"<Body>x&#xD;\ny &quot;z&quot;</Body>" in response.body


def test_query_response_shape_for_operation_without_output() -> None:
    response, _ = run(botocore_request("sqs", "query", "DeleteQueue", {"QueueUrl": Q}), {})
    body = response.body.decode()
    assert body.startswith(
        '<?xml version="1.0"?><DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
        "<ResponseMetadata><RequestId>"
    )
    assert response.content_type == b"text/xml"


def test_json_response_for_operation_without_output() -> None:
    response, _ = run(botocore_request("sqs", "json", "DeleteQueue", {"QueueUrl": Q}), {})
    assert (response.status, response.body) == (200, b"{}")
    assert response.content_type == b"application/x-amz-json-1.0"
