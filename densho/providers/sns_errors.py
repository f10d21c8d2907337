"""The SNS part of the error table: every SNS domain error as AWS answers it (code, message).

Owns: the wording of every SNS refusal — ``Invalid parameter: <what was refused>`` for each
``Refusal``, the ParameterValueInvalid texts of message attributes, and the fixed messages of the
other SNS errors. ``densho.providers.errors`` merges ``TABLE`` into the one table it renders.
Must not know: which protocol renders the error, when the engine refuses what.

Codes are the SNS model's wire codes (the renderer takes each one's status from the model:
NotFound and ResourceNotFound are 404, AuthorizationError 403). Messages as the SNS API
Reference and AWS's answers have them (many recorded against AWS in LocalStack's SNS snapshots);
the data protection and SMS refusals, which AWS words nowhere public, are densho's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from densho.sns import errors as e
from densho.sns.errors import AttributeRefusal as A
from densho.sns.errors import Refusal as R

# Why a policy refused a call (``densho.iam.Outcome`` values): how IAM's messages end.
_DENIAL_REASONS = {
    "explicit_deny_identity": "with an explicit deny in an identity-based policy",
    "explicit_deny_resource": "with an explicit deny in a resource-based policy",
    "no_identity_allow": "because no identity-based policy allows the {action} action",
    "no_resource_allow": "because no resource-based policy allows the {action} action",
}


def denial_reason(reason: str, action: str) -> str:
    return _DENIAL_REASONS[reason].format(action=action)


# Refusal -> the text after "Invalid parameter: " (before the "Attributes Reason: " of a nested
# one), from the error's parameter and value.
_INVALID: dict[R, Callable[[str, str], str]] = {
    R.ARN_TOO_SHORT: lambda p, v: f"{p} Reason: An ARN must have at least 6 elements, not {v}",
    R.ARN_SLASHES: lambda p, v: (
        f"{p} Reason: Wrong number of slashes in relative portion of the ARN."
    ),
    R.FIFO_TOPIC_NAME: lambda p, v: (
        "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
        "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and "
        "256 characters long."
    ),
    R.APP_NAME_TOO_LONG: lambda p, v: f"{p} Reason: must be at most 256 characters long",
    R.APP_NAME_CHARACTERS: lambda p, v: (
        f"{p} Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"
    ),
    R.TOPIC_EXISTS: lambda p, v: f"{p} Reason: Topic already exists with different {p.lower()}",
    R.TAG_KEY: lambda p, v: f"{p} Reason: Invalid tag key: {v}",
    R.TAG_VALUE: lambda p, v: f"{p} Reason: Invalid tag value for key {v}",
    R.DUPLICATE_TAG_KEYS: lambda p, v: "Duplicated keys are not allowed.",
    R.NOT_BOOLEAN: lambda p, v: f"{p}: Invalid value [{v}]. Must be true or false.",
    R.INVALID_JSON: lambda p, v: f"{p}: Invalid JSON",
    R.FIFO_ONLY: lambda p, v: f"{p} is only valid for FIFO topics",
    R.CONTENT_DEDUP_FIFO_ONLY: lambda p, v: (
        "Content based deduplication can only be set for FIFO topics"
    ),
    R.FILTER_POLICY_SCOPE: lambda p, v: (
        f"{p}: Invalid filter policy scope, only MessageAttributes and MessageBody are allowed"
    ),
    # The filter-policy and delivery-policy languages' own reasons; a few name no field.
    R.DOCUMENT: lambda p, v: f"{p}: {v}" if p else v,
    R.DEAD_LETTER_TARGET_MISSING: lambda p, v: (
        f"{p}: deadLetterTargetArn is missing from the policy"
    ),
    R.DEAD_LETTER_TARGET_INVALID: lambda p, v: f"{p}: deadLetterTargetArn is an invalid arn",
    R.DEAD_LETTER_NOT_FIFO: lambda p, v: (
        f"{p}: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
    ),
    R.UNKNOWN_ATTRIBUTE: lambda p, v: f"{p} Reason: Invalid attribute name: {v}",
    R.ATTRIBUTE_VALUE: lambda p, v: f"{p} Reason: Invalid value for attribute: {v}",
    R.CUSTOM_USER_DATA_TOO_LONG: lambda p, v: (
        f"{p} Reason: Invalid value for attribute: CustomUserData: must be at most {v} bytes "
        "long in UTF-8 encoding"
    ),
    R.CREDENTIAL_WITHOUT_PRINCIPAL: lambda p, v: (
        f"{p} Reason: PlatformCredential attribute provided without PlatformPrincipal"
    ),
    R.PRINCIPAL_WITHOUT_CREDENTIAL: lambda p, v: (
        f"{p} Reason: PlatformPrincipal attribute provided without PlatformCredential"
    ),
    R.UNSUPPORTED_PLATFORM: lambda p, v: f"{p} Reason: {v} is not supported",
    R.UNSUPPORTED_PROTOCOL: lambda p, v: f"Amazon SNS does not support this protocol string: {v}",
    # AWS repeats its "Invalid parameter: " prefix in these two.
    R.FIFO_QUEUE_ON_STANDARD_TOPIC: lambda p, v: (
        f"Invalid parameter: {p} Reason: FIFO SQS Queues can not be subscribed to standard SNS "
        "topics"
    ),
    R.FIFO_TOPIC_SQS_ONLY: lambda p, v: (
        f"Invalid parameter: {p} Reason: FIFO topic only supports SQS protocol"
    ),
    R.ENDPOINT_PROTOCOL_MISMATCH: lambda p, v: (
        f"{p} Reason: Endpoint must match the specified protocol"
    ),
    R.SUBSCRIPTION_EXISTS: lambda p, v: (
        f"{p} Reason: Subscription already exists with different attributes"
    ),
    R.TARGET_MISSING: lambda p, v: f"{p} Reason: no value for required parameter",
    R.MANY_TARGETS: lambda p, v: (
        f"{p} Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified"
    ),
    R.EMPTY_MESSAGE: lambda p, v: "Empty message",
    R.INVALID_CHARACTERS: lambda p, v: f"{p} Reason: contains invalid characters",
    R.MESSAGE_TOO_LONG: lambda p, v: "Message too long",
    R.STRUCTURE_NOT_JSON: lambda p, v: "Message Structure - JSON message body failed to parse",
    R.STRUCTURE_NO_DEFAULT: lambda p, v: (
        "Message Structure - No default entry in JSON message body"
    ),
    R.STRUCTURE_NOT_STRINGS: lambda p, v: (
        "Message Structure - Message must be a string for each protocol"
    ),
    R.FIFO_ID_CHARACTERS: lambda p, v: (
        f"{p} Reason: {p} can only include alphanumeric and punctuation characters. 1 to 128 in "
        "length."
    ),
    R.DEDUP_ID_ON_STANDARD_TOPIC: lambda p, v: (
        f"{p} Reason: The request includes {p} parameter that is not valid for this topic type"
    ),
    R.GROUP_ID_REQUIRED: lambda p, v: f"The {p} parameter is required for FIFO topics",
    R.DEDUP_ID_REQUIRED: lambda p, v: (
        f"The topic should either have ContentBasedDeduplication enabled or {p} provided explicitly"
    ),
    R.NO_SUCH_ENDPOINT: lambda p, v: f"{p} Reason: No endpoint found for the target arn specified",
    R.ENDPOINT_EXISTS: lambda p, v: (
        f"{p} Reason: Endpoint {v} already exists with the same Token, but different attributes."
    ),
    R.STATEMENT_EXISTS: lambda p, v: "Statement already exists",
    R.ACTION_OUT_OF_SCOPE: lambda p, v: "Policy statement action out of service scope!",
    R.NO_SUCH_LABEL: lambda p, v: f"{p} Reason: No statement with label {v} exists",
    R.POLICY_TOO_LONG: lambda p, v: f"{p} Reason: Policy must be at most {v} characters long",
    R.POLICY_NOT_JSON: lambda p, v: f"{p} Reason: Policy is not valid JSON",
    R.POLICY_NOT_OBJECT: lambda p, v: f"{p} Reason: Policy must be a JSON object",
    R.POLICY_VERSION: lambda p, v: f"{p} Reason: Unsupported policy version: {v}",
    R.POLICY_NO_STATEMENTS: lambda p, v: (
        f"{p} Reason: Policy must contain a non-empty Statement list"
    ),
    R.STATEMENT_NOT_OBJECT: lambda p, v: f"{p} Reason: Each statement must be a JSON object",
    R.STATEMENT_IDENTIFIERS: lambda p, v: (
        f"{p} Reason: Each statement must name a non-empty DataIdentifier list"
    ),
    R.STATEMENT_OPERATION: lambda p, v: (
        f"{p} Reason: Each statement must hold exactly one Operation: Audit, Deidentify or Deny"
    ),
    R.STATEMENT_DIRECTION: lambda p, v: f"{p} Reason: DataDirection must be Inbound or Outbound",
    R.STATEMENT_PRINCIPAL: lambda p, v: f"{p} Reason: Principal must be a list of strings",
    R.NOT_SMS_ATTRIBUTE: lambda p, v: f"{p} is not a valid attribute",
    R.SMS_TYPE: lambda p, v: f"{p} Reason: {v} is not a valid SMS type",
    R.SENDER_ID: lambda p, v: (
        f"{p} Reason: must be 1-11 alphanumeric characters with at least one letter"
    ),
    R.SAMPLING_RATE: lambda p, v: f"{p} Reason: must be an integer from 0 to 100",
    R.SPEND_LIMIT: lambda p, v: f"{p} Reason: must be a whole number of USD",
    R.PHONE_NUMBER_FORMAT: lambda p, v: f"{p} Reason: input incorrectly formatted",
    R.PHONE_NUMBER_NOT_PUBLISHABLE: lambda p, v: f"{p} Reason: {v} is not valid to publish to",
    R.SMS_SETTING: lambda p, v: f"MessageAttributes Reason: {v} is not a valid value for {p}",
}


def _invalid_parameter(x: e.SnsInvalidParameter) -> str:
    text = x.parameter if x.refusal is None else _INVALID[x.refusal](x.parameter, x.value)
    if x.nested:
        text = f"Attributes Reason: {text}"
    return f"Invalid parameter: {text}"


def _field(data_type: str) -> str:
    """The value field a message attribute of ``data_type`` must use."""
    return "Binary" if data_type.split(".", 1)[0] == "Binary" else "String"


# AWS's refusals of a message attribute (recorded against AWS in LocalStack's SNS snapshots,
# test_empty_or_wrong_message_attributes), from the error's name, data type and character.
_ATTRIBUTE: dict[A, Callable[[e.SnsInvalidMessageAttribute], str]] = {
    A.NAME_TOO_LONG: lambda x: "Length of message attribute name must be less than 256 bytes.",
    A.NAME_LEADING_DOT: lambda x: (
        "Invalid message attribute name starting with character '.' was found."
    ),
    A.NAME_TRAILING_DOT: lambda x: (
        "Invalid message attribute name ending with character '.' was found."
    ),
    A.NAME_CHARACTER: lambda x: (
        f"Invalid non-alphanumeric character '#x{ord(x.character):X}' was found in the message "
        "attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots."
    ),
    A.NAME_SUCCESSIVE_DOTS: lambda x: (
        "Message attribute name can not have successive '.' character."
    ),
    A.NAME_RESERVED: lambda x: f"The message attribute name '{x.name}' is invalid.",
    A.TYPE: lambda x: (
        f"The message attribute '{x.name}' has an invalid message attribute type, the set of "
        "supported type prefixes is Binary, Number, and String."
    ),
    A.WRONG_FIELD: lambda x: (
        f"The message attribute '{x.name}' with type '{x.data_type}' must use field "
        f"'{_field(x.data_type)}'."
    ),
    A.EMPTY_VALUE: lambda x: (
        f"The message attribute '{x.name}' must contain non-empty message attribute value for "
        f"message attribute type '{x.data_type}'."
    ),
    A.NOT_A_NUMBER: lambda x: f"Could not cast message attribute '{x.name}' value to number.",
    A.NOT_AN_ARRAY: lambda x: (
        f"The message attribute '{x.name}' with type '{x.data_type}' must contain a JSON array."
    ),
}

# Domain error class -> (AWS code, message builder).
TABLE: dict[type[Exception], tuple[str, Callable[[Any], str]]] = {
    e.TopicNotFound: ("NotFound", lambda x: "Topic does not exist"),
    e.SubscriptionNotFound: ("NotFound", lambda x: "Subscription does not exist"),
    e.SnsResourceNotFound: ("ResourceNotFound", lambda x: "Resource does not exist"),
    e.SnsInvalidParameter: ("InvalidParameter", _invalid_parameter),
    e.SnsInvalidMessageAttribute: ("ParameterValueInvalid", lambda x: _ATTRIBUTE[x.refusal](x)),
    e.UnsubscribeNeedsAuthentication: (
        "AuthorizationError",
        lambda x: "The subscription requires authentication to unsubscribe",
    ),
    # IAM's wording, SNS's spelling of the action (SNS:Publish).
    e.SnsAccessDenied: (
        "AuthorizationError",
        lambda x: (
            f"User: {x.caller} is not authorized to perform: {x.action} on resource: "
            f"{x.resource} {denial_reason(x.reason, x.action)}"
        ),
    ),
    e.TagLimitExceeded: (
        "TagLimitExceeded",
        lambda x: "Could not complete request: tag quota of per resource exceeded",
    ),
    e.SnsEmptyBatch: (
        "EmptyBatchRequest",
        lambda x: "The batch request doesn't contain any entries.",
    ),
    e.SnsTooManyEntries: (
        "TooManyEntriesInBatchRequest",
        lambda x: "The batch request contains more entries than permissible.",
    ),
    e.SnsBatchIdsNotDistinct: (
        "BatchEntryIdsNotDistinct",
        lambda x: "Two or more batch entries in the request have the same Id.",
    ),
    e.SnsInvalidBatchEntryId: (
        "InvalidBatchEntryId",
        lambda x: (
            "The Id of a batch entry in the batch request "
            + ("is too long: " if x.too_long else "contains an impermissible character: ")
            + x.entry_id
        ),
    ),
    e.SnsBatchTooLong: (
        "BatchRequestTooLong",
        lambda x: "The length of all the messages put together is more than the limit.",
    ),
    # Mobile push and SMS management (densho.sns.manage).
    e.PlatformApplicationNotFound: ("NotFound", lambda x: "PlatformApplication does not exist"),
    e.EndpointNotFound: ("NotFound", lambda x: "Endpoint does not exist"),
    e.SnsEndpointDisabled: ("EndpointDisabled", lambda x: "Endpoint is disabled"),
    e.SnsPlatformApplicationDisabled: (
        "PlatformApplicationDisabled",
        lambda x: "Platform application is disabled",
    ),
    # Not modeled with an error trait: the code is the shape name, the status 400.
    e.SnsVerificationFailed: ("VerificationException", lambda x: "Invalid one-time password."),
    e.SnsOptedOut: ("OptedOut", lambda x: "The phone number is opted out."),
}
