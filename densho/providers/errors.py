"""The one table that turns domain errors into AWS errors (code, message, status).

Owns: every AWS error code and message text the providers answer with.
Must not know: which protocol renders the error (the wire layer renames codes for Query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from densho.core import errors as e
from densho.protocol.errors import AwsError
from densho.sns import errors as sns_e

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


# SNS. Codes are the SNS model's wire codes (the renderer takes each one's status from the
# model: NotFound and ResourceNotFound are 404, AuthorizationError 403). Messages as the SNS API
# Reference and AWS's answers have them: "Invalid parameter: <reason>".
_TABLE.update(
    {
        sns_e.TopicNotFound: ("NotFound", lambda x: "Topic does not exist"),
        sns_e.SubscriptionNotFound: ("NotFound", lambda x: "Subscription does not exist"),
        sns_e.SnsResourceNotFound: ("ResourceNotFound", lambda x: "Resource does not exist"),
        sns_e.SnsInvalidParameter: ("InvalidParameter", lambda x: f"Invalid parameter: {x.reason}"),
        sns_e.SnsInvalidParameterValue: ("ParameterValueInvalid", lambda x: x.message),
        sns_e.SnsAuthorizationError: ("AuthorizationError", lambda x: x.message),
        sns_e.TagLimitExceeded: (
            "TagLimitExceeded",
            lambda x: "Could not complete request: tag quota of per resource exceeded",
        ),
        sns_e.SnsEmptyBatch: (
            "EmptyBatchRequest",
            lambda x: "The batch request doesn't contain any entries.",
        ),
        sns_e.SnsTooManyEntries: (
            "TooManyEntriesInBatchRequest",
            lambda x: "The batch request contains more entries than permissible.",
        ),
        sns_e.SnsBatchIdsNotDistinct: (
            "BatchEntryIdsNotDistinct",
            lambda x: "Two or more batch entries in the request have the same Id.",
        ),
        sns_e.SnsInvalidBatchEntryId: (
            "InvalidBatchEntryId",
            lambda x: (
                "The Id of a batch entry in a batch request doesn't abide by the specification."
            ),
        ),
        sns_e.SnsBatchTooLong: (
            "BatchRequestTooLong",
            lambda x: "The length of all the messages put together is more than the limit.",
        ),
        # Mobile push and SMS management (densho.sns.mobile / densho.sns.sms).
        sns_e.PlatformApplicationNotFound: (
            "NotFound",
            lambda x: "PlatformApplication does not exist",
        ),
        sns_e.EndpointNotFound: ("NotFound", lambda x: "Endpoint does not exist"),
        sns_e.SnsEndpointDisabled: ("EndpointDisabled", lambda x: "Endpoint is disabled"),
        sns_e.SnsPlatformApplicationDisabled: (
            "PlatformApplicationDisabled",
            lambda x: "Platform application is disabled",
        ),
        # Not modeled with an error trait: the code is the shape name, the status 400.
        sns_e.SnsVerificationFailed: (
            "VerificationException",
            lambda x: "Invalid one-time password.",
        ),
        sns_e.SnsOptedOut: ("OptedOut", lambda x: "The phone number is opted out."),
    }
)
