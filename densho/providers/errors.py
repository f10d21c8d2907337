"""The one table that turns domain errors into AWS errors (code, message, status).

Owns: every AWS error code and message text the providers answer with (SNS's are worded in
``densho.providers.sns_errors`` and merged here).
Must not know: which protocol renders the error (the wire layer renames codes for Query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from densho.core import errors as e
from densho.protocol.errors import AwsError
from densho.providers.sns_errors import TABLE as SNS_TABLE
from densho.providers.sns_errors import denial_reason

_INVALID = "InvalidParameterValue"
_INVALID_VALUE = "InvalidAttributeValue"


def _value(reason: Callable[[Any], str]) -> tuple[str, Callable[[Any], str]]:
    """AWS's frame for a parameter value it refuses: "Value <v> for parameter <p> is invalid."."""
    return (
        _INVALID,
        lambda x: f"Value {x.value} for parameter {x.parameter} is invalid. Reason: {reason(x)}",
    )


def _attribute_value(reason: str) -> tuple[str, Callable[[Any], str]]:
    return (_INVALID_VALUE, lambda x: f"Invalid value for the parameter {x.name}. Reason: {reason}")


def _policy(reason: Callable[[Any], str]) -> tuple[str, Callable[[Any], str]]:
    """A RedrivePolicy / RedriveAllowPolicy document that breaks a rule, as AWS answers it."""
    return (
        _INVALID,
        lambda x: f"Value {x.document} for parameter {x.parameter} is invalid. Reason: {reason(x)}",
    )


def _allow_policy(reason: Callable[[Any], str]) -> tuple[str, Callable[[Any], str]]:
    return _policy(lambda x: f"Amazon SQS can't create the redrive allow policy. {reason(x)}")


# The reason AWS gives for an out-of-range value, by parameter (its wording differs by
# parameter: ">= and <=" or "between", ", if provided" for ReceiveMessage's optional ones).
_RANGE_REASONS: dict[str, str] = {
    "DelaySeconds": "DelaySeconds must be >= {low} and <= {high}.",
    "MaxNumberOfMessages": "Must be between {low} and {high}, if provided.",
    "VisibilityTimeout": "Must be >= {low} and <= {high}, if provided.",
    "WaitTimeSeconds": "Must be >= {low} and <= {high}, if provided.",
    "MaxNumberOfMessagesPerSecond": "Must be between {low} and {high}.",
    "MaxResults": "Must be between {low} and {high}.",  # ListMessageMoveTasks
}

# Domain error class -> (AWS code, message builder). Codes are the JSON-protocol names; messages
# follow the AWS SQS API Reference where it documents them.
_TABLE: dict[type[Exception], tuple[str, Callable[[Any], str]]] = {
    e.QueueNotFound: (
        "QueueDoesNotExist",
        lambda x: "The specified queue does not exist.",
    ),
    # As AWS answers it (LocalStack snapshots queue-already-exists, create_queue_01/02): the
    # attribute named, no final period.
    e.QueueNameExists: (
        "QueueNameExists",
        lambda x: (
            "A queue already exists with the same name and a different value for attribute "
            f"{x.attribute}"
        ),
    ),
    e.QueueDeletedRecently: (
        "QueueDeletedRecently",
        lambda x: (
            "You must wait 60 seconds after deleting a queue before you can create "
            "another with the same name."
        ),
    ),
    e.InvalidQueueName: (
        _INVALID,
        lambda x: (
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
            "or underscores, must end with .fifo suffix and be 1 to 80 in length."
            if x.fifo
            else "Can only include alphanumeric characters, hyphens, or underscores. "
            "1 to 80 in length"
        ),
    ),
    e.InvalidAttributeName: ("InvalidAttributeName", lambda x: f"Unknown Attribute {x.name}."),
    # AWS's answer for DeduplicationScope / FifoThroughputLimit on a standard queue, at
    # CreateQueue (LocalStack snapshot keys invalid-attribute-deduplication-scope and
    # invalid-attribute-throughput-limit) and SetQueueAttributes.
    e.FifoOnlyAttribute: (
        "InvalidAttributeName",
        lambda x: f"You can specify the {x.name} only when FifoQueue is set to true.",
    ),
    e.InvalidAttributeValue: (
        _INVALID_VALUE,
        lambda x: f"Invalid value for the parameter {x.name}.",
    ),
    e.QueueTypeChange: _attribute_value("Modifying queue type is not supported."),
    e.RedrivePolicyNotAMap: _attribute_value("Redrive policy is not a valid JSON map."),
    e.SseTypeConflict: _attribute_value(
        "You can use one type of server-side encryption (SSE) at one time. You can either "
        "enable KMS SSE or SQS SSE."
    ),
    e.RedriveAllowUnsupported: _attribute_value(
        "Amazon SQS can't create the redrive allow policy, as it\u2019s in an unsupported format."
    ),
    # Parameter values.
    e.OutOfRange: _value(lambda x: _RANGE_REASONS[x.parameter].format(low=x.low, high=x.high)),
    e.PageSizeOutOfRange: (
        _INVALID,
        lambda x: (
            f"Value {x.value} for parameter MaxResults is invalid. Reason: MaxResults must be "
            f"an integer between {x.low} and {x.high}."
        ),
    ),
    e.InvalidNextToken: (_INVALID, lambda x: "Invalid NextToken value."),
    # AWS's own wording, grammar included.
    e.NotForQueueType: _value(
        lambda x: "The request include parameter that is not valid for this queue type."
    ),
    e.InvalidFifoId: _value(
        lambda x: (
            f"{x.parameter} can only include alphanumeric and punctuation characters. "
            "1 to 128 in length."
        )
    ),
    # AWS's code for a batch entry without a group id (SendMessage: MissingParameter).
    e.BatchGroupIdRequired: (
        _INVALID,
        lambda x: "The request must contain the parameter MessageGroupId.",
    ),
    e.DedupIdRequired: (
        _INVALID,
        lambda x: (
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        ),
    ),
    e.VisibilityBeyondLimit: (
        _INVALID,
        lambda x: (
            f"Value {x.value} for parameter VisibilityTimeout is invalid. Reason: Total "
            f"VisibilityTimeout for the message is beyond the limit [{x.limit_s} seconds]"
        ),
    ),
    # API Reference, FifoThroughputLimit.
    e.ThroughputNeedsGroupScope: (
        _INVALID,
        lambda x: (
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope "
            "is messageGroup"
        ),
    ),
    # Message attributes.
    e.InvalidMessageAttributeName: (
        _INVALID,
        lambda x: f"Message (user) attribute name '{x.name}' is invalid.",
    ),
    e.InvalidMessageAttributeType: (
        _INVALID,
        lambda x: (
            f"The type of message (user) attribute '{x.name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        ),
    ),
    e.MessageAttributeWrongField: (
        _INVALID,
        lambda x: (
            f"The message attribute '{x.name}' with type '{x.kind}' must use field "
            f"'{'Binary' if x.kind == 'Binary' else 'String'}'."
        ),
    ),
    e.MessageAttributeEmpty: (
        _INVALID,
        lambda x: (
            f"Message (user) attribute '{x.name}' must contain a non-empty value of type "
            f"'{x.kind}'."
        ),
    ),
    # In attribute values SQS reports bad characters as an invalid parameter, not as
    # InvalidMessageContents (which is for the body).
    e.MessageAttributeCharacter: (
        _INVALID,
        lambda x: (
            f"Invalid binary character '#x{ord(x.char):X}' was found in the value of "
            f"message (user) attribute '{x.name}'."
        ),
    ),
    e.MessageAttributeNotNumber: (
        _INVALID,
        lambda x: f"Can't cast the value of message (user) attribute '{x.name}' to a number.",
    ),
    e.InvalidSystemAttributeName: (
        _INVALID,
        lambda x: f"Message system attribute name '{x.name}' is invalid.",
    ),
    e.InvalidSystemAttributeValue: (
        _INVALID,
        lambda x: f"Message system attribute '{x.name}' must be of type 'String' with a value.",
    ),
    # Tags and permissions.
    e.TooManyTags: (_INVALID, lambda x: f"Too many tags. A queue can have up to {x.limit}."),
    e.InvalidTag: (
        _INVALID,
        lambda x: "Tag keys must be 1 to 128 characters and values at most 256 characters.",
    ),
    e.InvalidLabel: (
        _INVALID,
        lambda x: (
            f"Value {x.label} for parameter Label is invalid. "
            "Reason: Must be alphanumeric, hyphens or underscores."
        ),
    ),
    e.ActionNotAllowed: (
        _INVALID,
        lambda x: (
            f"Value SQS:{x.action} for parameter ActionName is invalid. "
            "Reason: Only the queue owner is allowed to invoke this action."
        ),
    ),
    # Redrive documents. Reason texts as AWS answers them: "Dead-letter queue must be same type
    # of queue as the source.." (double period included) appears verbatim in real CreateQueue
    # failures; the others as recorded by SQS emulators checked against AWS (Inqnuam/local-aws-sqs
    # test suite).
    e.RedriveKeyMissing: _policy(
        lambda x: f"Redrive policy does not contain mandatory attribute: {x.key}."
    ),
    e.MaxReceiveCountOutOfRange: _policy(
        lambda x: (
            f"Invalid value for maxReceiveCount: {x.given}, valid values are from {x.low} to "
            f"{x.high} both inclusive."
        )
    ),
    e.DeadLetterArnNotQualified: _policy(
        lambda x: "Dead-letter target ARN should be fully qualified ARN."
    ),
    e.DeadLetterNotSqs: _policy(
        lambda x: "Only SQS queues are valid resources for deadLetterTargetArn."
    ),
    e.RedriveUnknownKeys: _policy(
        lambda x: "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."
    ),
    e.DeadLetterOwnerDiffers: _policy(
        lambda x: "Dead-letter target owner should be same as the source."
    ),
    e.DeadLetterTargetMissing: _policy(lambda x: "Dead letter target does not exist."),
    e.DeadLetterTypeDiffers: _policy(
        lambda x: "Dead-letter queue must be same type of queue as the source.."
    ),
    # AWS's text for this refusal is not documented; the code is the one of its siblings.
    e.DeadLetterNotAllowed: _policy(
        lambda x: (
            f"The RedriveAllowPolicy of the dead-letter target {x.target_arn} does not "
            f"allow {x.source_arn} to use it as its dead-letter queue."
        )
    ),
    e.AllowSourcesNeedByQueue: _allow_policy(
        lambda x: (
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue."
        )
    ),
    e.AllowSourcesMissing: _allow_policy(
        lambda x: (
            "When you specify the byQueue permission type, you must also specify one or more "
            "sourceQueueArns values."
        )
    ),
    e.AllowTooManySources: _allow_policy(
        lambda x: f"The maximum number of source queue ARNs you can specify is {x.limit}."
    ),
    # Messages.
    e.MissingParameter: (
        "MissingParameter",
        lambda x: f"The request must contain the parameter {x.name}.",
    ),
    e.InvalidMessageContents: (
        "InvalidMessageContents",
        lambda x: (
            f"Invalid binary character '#x{ord(x.char):X}' was found in the message body, "
            "the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD "
            "| #x10000 to #x10FFFF"
        ),
    ),
    e.MessageTooLong: (
        _INVALID,
        lambda x: (
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{x.limit} bytes."
        ),
    ),
    e.ReceiptHandleInvalid: (
        "ReceiptHandleIsInvalid",
        lambda x: f'The input receipt handle "{x.handle}" is not a valid receipt handle.',
    ),
    e.MessageNotAvailable: (
        _INVALID,
        lambda x: (
            f"Value {x.handle} for parameter ReceiptHandle is invalid. Reason: Message "
            "does not exist or is not available for visibility timeout change."
        ),
    ),
    e.MessageNotInflight: ("MessageNotInflight", lambda x: "The message is not in flight."),
    # FIFO DeleteMessage after the receive's visibility timeout ended (the LocalStack snapshot
    # ``delete_after_timeout_fifo``, recorded on AWS; AWS knowledge center "sqs-receipt-handle-
    # error": "The receipt handle has expired").
    e.ReceiptHandleExpired: (
        _INVALID,
        lambda x: (
            f"Value {x.handle} for parameter ReceiptHandle is invalid. Reason: The receipt "
            "handle has expired."
        ),
    ),
    e.PurgeInProgress: (
        "PurgeQueueInProgress",
        lambda x: f"Only one PurgeQueue operation on {x.queue_name} is allowed every 60 seconds.",
    ),
    # AWS's text as a ReceiveMessage at the in-flight limit answered it (captured in
    # github.com/Cbsoftware/pressureNET-server/issues/74), line break included.
    e.TooManyInFlight: (
        "OverLimit",
        lambda x: (
            "Too many messages have been received without being deleted.\n"
            "Please delete your received messages or let them timeout before receiving more."
        ),
    ),
    e.TooManyAttributes: (
        _INVALID,
        lambda x: f"Number of message attributes [{x.count}] exceeds the allowed maximum [10].",
    ),
    e.LabelExists: (
        _INVALID,
        lambda x: f"Value {x.label} for parameter Label is invalid. Reason: Already exists.",
    ),
    # A 403 (quirks.SQS_MODELED_ERRORS). The limit is AddPermission's documented one; the text
    # is moto's, which AWS's documentation does not word.
    e.TooManyActions: (
        "OverLimit",
        lambda x: f"{x.count} Actions were found, maximum allowed is {x.limit}.",
    ),
    # LocalStack snapshot get-queue-policy-attribute-delete-non-existent-label (AWS).
    e.LabelNotFound: (
        _INVALID,
        lambda x: f"Value {x.label} for parameter Label is invalid. Reason: can't find label.",
    ),
    # Batches.
    # The entry type of the batch action: moto's aws-verified DeleteMessageBatch test records
    # "...one DeleteMessageBatchRequestEntry..."; ChangeMessageVisibilityBatch's by analogy.
    e.EmptyBatch: (
        "EmptyBatchRequest",
        lambda x: f"There should be at least one {x.action}RequestEntry in the request.",
    ),
    e.TooManyEntries: (
        "TooManyEntriesInBatchRequest",
        lambda x: f"Maximum number of entries per request are 10. You have sent {x.count}.",
    ),
    e.BatchIdsNotDistinct: (
        "BatchEntryIdsNotDistinct",
        lambda x: f"Id {x.entry_id} repeated.",
    ),
    e.InvalidBatchEntryId: (
        "InvalidBatchEntryId",
        lambda x: (
            "A batch entry id can only contain alphanumeric characters, hyphens and "
            "underscores. It can be at most 80 letters long."
        ),
    ),
    e.BatchTooLong: (
        "BatchRequestTooLong",
        lambda x: (
            f"Batch requests cannot be longer than {x.limit} bytes. You have sent {x.size} bytes."
        ),
    ),
    # Message move tasks. Messages as AWS answers them (recorded against AWS in LocalStack's
    # test_sqs_move_task snapshot); ResourceNotFoundException is a 404.
    e.MoveTasksDisabled: (
        "UnsupportedOperation",
        lambda x: "Message move tasks are not enabled on this server.",
    ),
    e.ResourceNotFound: (
        "ResourceNotFoundException",
        lambda x: f"The resource that you specified for the {x.parameter} parameter doesn't exist.",
    ),
    e.MoveTaskNotFound: ("ResourceNotFoundException", lambda x: "Task does not exist."),
    # A policy's refusal, as SQS words it today: IAM's message with the action in lower case
    # ("... not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:... because no
    # identity-based policy allows the sqs:sendmessage action", as AWS answered a
    # SendMessageBatch in aws/serverless-application-model#3633). Older SQS answered "Access to
    # the resource <url> is denied."; SDKs key on the code, AccessDenied, 403 either way.
    e.AccessDenied: (
        "AccessDenied",
        lambda x: (
            f"User: {x.caller} is not authorized to perform: {x.action.lower()} on resource: "
            f"{x.resource} {denial_reason(x.reason, x.action.lower())}"
        ),
    ),
    e.InvalidTaskHandle: (_INVALID, lambda x: "Value for parameter TaskHandle is invalid."),
    e.InvalidArn: (
        _INVALID,
        lambda x: (
            f"You must use this format to specify the {x.parameter}: "
            "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
        ),
    ),
    e.NotADeadLetterQueue: (
        _INVALID,
        lambda x: "Source queue must be configured as a Dead Letter Queue.",
    ),
    e.MoveToSameQueue: (
        _INVALID,
        lambda x: (
            "Value for parameter DestinationArn is invalid. "
            "Reason: The destination queue must be different from the source queue."
        ),
    ),
    e.MoveTypeDiffers: (
        _INVALID,
        lambda x: (
            "Value for parameter DestinationArn is invalid. Reason: The destination "
            "queue must be of the same type (standard or FIFO) as the source queue."
        ),
    ),
    e.MoveTaskRunning: (
        _INVALID,
        lambda x: (
            "There is already a task running. Only one active task is allowed for a source "
            "queue arn at a given time."
        ),
    ),
}


def to_aws(exc: e.DomainError) -> AwsError:
    code, message = _TABLE[type(exc)]
    return AwsError(code, message(exc))


def batch_entry(exc: Exception) -> tuple[str, str, bool]:
    """(code, message, sender_fault) for one failed batch entry."""
    if isinstance(exc, e.DomainError):
        err = to_aws(exc)
        return err.code, err.message, err.sender
    return "InternalError", "We encountered an internal error. Please try again.", False


# SNS: its own table (densho.providers.sns_errors).
_TABLE.update(SNS_TABLE)
