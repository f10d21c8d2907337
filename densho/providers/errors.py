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

_INVALID = "InvalidParameterValue"

# Domain error class -> (AWS code, message builder). Codes are the JSON-protocol names; messages
# follow the AWS SQS API Reference where it documents them.
_TABLE: dict[type[Exception], tuple[str, Callable[[Any], str]]] = {
    e.QueueNotFound: (
        "QueueDoesNotExist",
        lambda x: "The specified queue does not exist.",
    ),
    e.QueueNameExists: (
        "QueueNameExists",
        lambda x: (
            "A queue already exists with the same name and a different value for attribute(s)."
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
    e.InvalidAttributeValue: (
        "InvalidAttributeValue",
        lambda x: (
            f"Invalid value for the parameter {x.name}."
            + (f" Reason: {x.reason}" if x.reason else "")
        ),
    ),
    # "Value <document> for parameter RedrivePolicy is invalid. Reason: ..." as AWS answers it for
    # RedrivePolicy and RedriveAllowPolicy documents (reasons in densho.sqs.attributes).
    e.InvalidPolicyValue: (
        _INVALID,
        lambda x: f"Value {x.value} for parameter {x.parameter} is invalid. Reason: {x.reason}",
    ),
    e.InvalidParameter: (_INVALID, lambda x: x.reason),
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
    e.PurgeInProgress: (
        "PurgeQueueInProgress",
        lambda x: f"Only one PurgeQueue operation on {x.queue_name} is allowed every 60 seconds.",
    ),
    e.TooManyAttributes: (
        _INVALID,
        lambda x: f"Number of message attributes [{x.count}] exceeds the allowed maximum [10].",
    ),
    e.LabelExists: (
        _INVALID,
        lambda x: f"Value {x.label} for parameter Label is invalid. Reason: Already exists.",
    ),
    e.LabelNotFound: (
        _INVALID,
        lambda x: (
            f"Value {x.label} for parameter Label is invalid. "
            "Reason: can't find label on existing policy."
        ),
    ),
    e.Unsupported: ("UnsupportedOperation", lambda x: x.reason),
    e.EmptyBatch: (
        "EmptyBatchRequest",
        lambda x: "There should be at least one SendMessageBatchRequestEntry in the request.",
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


# Message move tasks. Messages as AWS answers them (recorded against AWS in LocalStack's
# test_sqs_move_task snapshot); ResourceNotFoundException is a 404.
_TABLE.update(
    {
        e.ResourceNotFound: (
            "ResourceNotFoundException",
            lambda x: (
                f"The resource that you specified for the {x.parameter} parameter doesn't exist."
            ),
        ),
        e.MoveTaskNotFound: ("ResourceNotFoundException", lambda x: "Task does not exist."),
    }
)


# SNS: its own table (densho.providers.sns_errors).
_TABLE.update(SNS_TABLE)
