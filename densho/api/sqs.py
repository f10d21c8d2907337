"""SQS wire shapes, generated from botocore's sqs 2012-11-05 model.

Do not edit: regenerate with ``python -m densho.api.generate``. scripts/test checks (``--check``)
that this file is what the installed botocore produces; ``densho.api.generate`` says
how each shape maps to a Python type.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class AddPermissionRequest(TypedDict):
    QueueUrl: str
    Label: str
    AWSAccountIds: list[str]
    Actions: list[str]


# no output: the handler answers {}
class AddPermissionResult(TypedDict):
    pass


class CancelMessageMoveTaskRequest(TypedDict):
    TaskHandle: str


class CancelMessageMoveTaskResult(TypedDict):
    ApproximateNumberOfMessagesMoved: NotRequired[int]


class ChangeMessageVisibilityRequest(TypedDict):
    QueueUrl: str
    ReceiptHandle: str
    VisibilityTimeout: int


# no output: the handler answers {}
class ChangeMessageVisibilityResult(TypedDict):
    pass


class ChangeMessageVisibilityBatchRequest(TypedDict):
    QueueUrl: str
    Entries: list[ChangeMessageVisibilityBatchRequestEntry]


class ChangeMessageVisibilityBatchResult(TypedDict):
    Successful: list[ChangeMessageVisibilityBatchResultEntry]
    Failed: list[BatchResultErrorEntry]


class CreateQueueRequest(TypedDict):
    QueueName: str
    Attributes: NotRequired[dict[str, str]]
    tags: NotRequired[dict[str, str]]


class CreateQueueResult(TypedDict):
    QueueUrl: NotRequired[str]


class DeleteMessageRequest(TypedDict):
    QueueUrl: str
    ReceiptHandle: str


# no output: the handler answers {}
class DeleteMessageResult(TypedDict):
    pass


class DeleteMessageBatchRequest(TypedDict):
    QueueUrl: str
    Entries: list[DeleteMessageBatchRequestEntry]


class DeleteMessageBatchResult(TypedDict):
    Successful: list[DeleteMessageBatchResultEntry]
    Failed: list[BatchResultErrorEntry]


class DeleteQueueRequest(TypedDict):
    QueueUrl: str


# no output: the handler answers {}
class DeleteQueueResult(TypedDict):
    pass


class GetQueueAttributesRequest(TypedDict):
    QueueUrl: str
    AttributeNames: NotRequired[list[str]]


class GetQueueAttributesResult(TypedDict):
    Attributes: NotRequired[dict[str, str]]


class GetQueueUrlRequest(TypedDict):
    QueueName: str
    QueueOwnerAWSAccountId: NotRequired[str]


class GetQueueUrlResult(TypedDict):
    QueueUrl: NotRequired[str]


class ListDeadLetterSourceQueuesRequest(TypedDict):
    QueueUrl: str
    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListDeadLetterSourceQueuesResult(TypedDict):
    queueUrls: list[str]
    NextToken: NotRequired[str]


class ListMessageMoveTasksRequest(TypedDict):
    SourceArn: str
    MaxResults: NotRequired[int]


class ListMessageMoveTasksResult(TypedDict):
    Results: NotRequired[list[ListMessageMoveTasksResultEntry]]


class ListQueueTagsRequest(TypedDict):
    QueueUrl: str


class ListQueueTagsResult(TypedDict):
    Tags: NotRequired[dict[str, str]]


class ListQueuesRequest(TypedDict):
    QueueNamePrefix: NotRequired[str]
    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListQueuesResult(TypedDict):
    QueueUrls: NotRequired[list[str]]
    NextToken: NotRequired[str]


class PurgeQueueRequest(TypedDict):
    QueueUrl: str


# no output: the handler answers {}
class PurgeQueueResult(TypedDict):
    pass


class ReceiveMessageRequest(TypedDict):
    QueueUrl: str
    AttributeNames: NotRequired[list[str]]
    MessageSystemAttributeNames: NotRequired[list[str]]
    MessageAttributeNames: NotRequired[list[str]]
    MaxNumberOfMessages: NotRequired[int]
    VisibilityTimeout: NotRequired[int]
    WaitTimeSeconds: NotRequired[int]
    ReceiveRequestAttemptId: NotRequired[str]


class ReceiveMessageResult(TypedDict):
    Messages: NotRequired[list[Message]]


class RemovePermissionRequest(TypedDict):
    QueueUrl: str
    Label: str


# no output: the handler answers {}
class RemovePermissionResult(TypedDict):
    pass


class SendMessageRequest(TypedDict):
    QueueUrl: str
    MessageBody: str
    DelaySeconds: NotRequired[int]
    MessageAttributes: NotRequired[dict[str, MessageAttributeValue]]
    MessageSystemAttributes: NotRequired[dict[str, MessageSystemAttributeValue]]
    MessageDeduplicationId: NotRequired[str]
    MessageGroupId: NotRequired[str]


class SendMessageResult(TypedDict):
    MD5OfMessageBody: NotRequired[str]
    MD5OfMessageAttributes: NotRequired[str]
    MD5OfMessageSystemAttributes: NotRequired[str]
    MessageId: NotRequired[str]
    SequenceNumber: NotRequired[str]


class SendMessageBatchRequest(TypedDict):
    QueueUrl: str
    Entries: list[SendMessageBatchRequestEntry]


class SendMessageBatchResult(TypedDict):
    Successful: list[SendMessageBatchResultEntry]
    Failed: list[BatchResultErrorEntry]


class SetQueueAttributesRequest(TypedDict):
    QueueUrl: str
    Attributes: dict[str, str]


# no output: the handler answers {}
class SetQueueAttributesResult(TypedDict):
    pass


class StartMessageMoveTaskRequest(TypedDict):
    SourceArn: str
    DestinationArn: NotRequired[str]
    MaxNumberOfMessagesPerSecond: NotRequired[int]


class StartMessageMoveTaskResult(TypedDict):
    TaskHandle: NotRequired[str]


class TagQueueRequest(TypedDict):
    QueueUrl: str
    Tags: dict[str, str]


# no output: the handler answers {}
class TagQueueResult(TypedDict):
    pass


class UntagQueueRequest(TypedDict):
    QueueUrl: str
    TagKeys: list[str]


# no output: the handler answers {}
class UntagQueueResult(TypedDict):
    pass


# --- structures the operations' members are made of ---


class BatchResultErrorEntry(TypedDict):
    Id: str
    SenderFault: bool
    Code: str
    Message: NotRequired[str]


class ChangeMessageVisibilityBatchRequestEntry(TypedDict):
    Id: str
    ReceiptHandle: str
    VisibilityTimeout: NotRequired[int]


class ChangeMessageVisibilityBatchResultEntry(TypedDict):
    Id: str


class DeleteMessageBatchRequestEntry(TypedDict):
    Id: str
    ReceiptHandle: str


class DeleteMessageBatchResultEntry(TypedDict):
    Id: str


class ListMessageMoveTasksResultEntry(TypedDict):
    TaskHandle: NotRequired[str]
    Status: NotRequired[str]
    SourceArn: NotRequired[str]
    DestinationArn: NotRequired[str]
    MaxNumberOfMessagesPerSecond: NotRequired[int]
    ApproximateNumberOfMessagesMoved: NotRequired[int]
    ApproximateNumberOfMessagesToMove: NotRequired[int]
    FailureReason: NotRequired[str]
    StartedTimestamp: NotRequired[int]


class Message(TypedDict):
    MessageId: NotRequired[str]
    ReceiptHandle: NotRequired[str]
    MD5OfBody: NotRequired[str]
    Body: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]
    MD5OfMessageAttributes: NotRequired[str]
    MessageAttributes: NotRequired[dict[str, MessageAttributeValue]]


class MessageAttributeValue(TypedDict):
    StringValue: NotRequired[str]
    BinaryValue: NotRequired[bytes]
    StringListValues: NotRequired[list[str]]
    BinaryListValues: NotRequired[list[bytes]]
    DataType: str


class MessageSystemAttributeValue(TypedDict):
    StringValue: NotRequired[str]
    BinaryValue: NotRequired[bytes]
    StringListValues: NotRequired[list[str]]
    BinaryListValues: NotRequired[list[bytes]]
    DataType: str


class SendMessageBatchRequestEntry(TypedDict):
    Id: str
    MessageBody: str
    DelaySeconds: NotRequired[int]
    MessageAttributes: NotRequired[dict[str, MessageAttributeValue]]
    MessageSystemAttributes: NotRequired[dict[str, MessageSystemAttributeValue]]
    MessageDeduplicationId: NotRequired[str]
    MessageGroupId: NotRequired[str]


class SendMessageBatchResultEntry(TypedDict):
    Id: str
    MessageId: str
    MD5OfMessageBody: str
    MD5OfMessageAttributes: NotRequired[str]
    MD5OfMessageSystemAttributes: NotRequired[str]
    SequenceNumber: NotRequired[str]
