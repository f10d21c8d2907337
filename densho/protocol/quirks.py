"""AWS wire quirks, as data: every place where AWS does not do what the models alone say.

Owns: error-code renames between SQS's JSON and Query protocols, the HTTP status AWS sends for each
code, the codes of framework-level errors (validation, unknown operation, malformed body), and the
few validation rules AWS applies differently from the generic model-driven ones.

Must not know: how the codecs use these tables (see ``errors_out`` and ``validate``), or any queue
or topic semantics. Every entry carries the source it was checked against.

Sources cited below:
- [SMITHY] the ``awsQueryError`` traits of SQS's Smithy model as shipped in aws-sdk-js-v3
  (``clients/client-sqs`` schemas: ``{awsQueryError: [code, status]}`` per error shape).
- [JSONDOC] https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
  (``__type: com.amazonaws.sqs#QueueDoesNotExist`` with
  ``x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender``).
- [COMMON] https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
- [REC] recordings of real AWS SQS/SNS responses published with an SQS-compatible server's docs
  (framework ``__type`` names ``com.amazon.coral.service#...`` for validation errors).
"""

from __future__ import annotations

from typing import Final

# --- SQS modeled errors -------------------------------------------------------------------------
# JSON code (the model's error shape name) -> (Query code, HTTP status). [SMITHY]
# Shapes without an awsQueryError trait keep their name as the Query code and answer 400.
# The Query code is also what JSON responses send in ``x-amzn-query-error``, and what boto3 shows
# (botocore's awsQueryCompatible parsing prefers the header). [JSONDOC]
SQS_MODELED_ERRORS: Final[dict[str, tuple[str, int]]] = {
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidAddress": ("InvalidAddress", 404),
    "InvalidAttributeName": ("InvalidAttributeName", 400),  # no awsQueryError trait
    "InvalidAttributeValue": ("InvalidAttributeValue", 400),  # no awsQueryError trait
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "InvalidIdFormat": ("InvalidIdFormat", 400),  # no awsQueryError trait
    "InvalidMessageContents": ("InvalidMessageContents", 400),  # no awsQueryError trait
    "InvalidSecurity": ("InvalidSecurity", 403),
    "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
    "KmsDisabled": ("KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": ("KMS.InvalidStateException", 400),
    "KmsNotFound": ("KMS.NotFoundException", 400),
    "KmsOptInRequired": ("KMS.OptInRequired", 403),
    "KmsThrottled": ("KMS.ThrottlingException", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "OverLimit": ("OverLimit", 403),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
    "RequestThrottled": ("RequestThrottled", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
}

# Namespace of SQS's modeled error shapes in the JSON ``__type``. [JSONDOC]
SQS_JSON_ERROR_NAMESPACE: Final = "com.amazonaws.sqs#"

# --- Framework-level (common) errors ------------------------------------------------------------
# Code an ``AwsError`` carries (the Query spelling) -> (JSON ``__type``, HTTP status, sender fault).
# These are not SQS model shapes: AWS's request framework ("coral") raises them, so the JSON
# ``__type`` lives in ``com.amazon.coral.service``. [REC] for the SQS ones marked so, [COMMON] for
# statuses. SNS speaks Query only and uses just the code and status.
COMMON_ERRORS: Final[dict[str, tuple[str, int, bool]]] = {
    # Bad value, out of range, bad enum. [REC] __type + header "InvalidParameterValue;Sender".
    "InvalidParameterValue": ("com.amazon.coral.service#InvalidParameterValueException", 400, True),
    # Missing required parameter. [REC] __type + header "MissingParameter;Sender".
    "MissingParameter": ("com.amazon.coral.service#MissingRequiredParameterException", 400, True),
    # Unknown operation / no X-Amz-Target. [REC] __type + header "InvalidAction;Sender".
    "InvalidAction": ("com.amazon.coral.service#UnknownOperationException", 400, True),
    # Body that is not JSON, not an object, or of the wrong JSON types. [REC]: header code is
    # "MalformedInput" (aws-sdk-js-v3's codegen also cites "MalformedInput;Sender" as an example).
    "MalformedInput": ("com.amazon.coral.service#SerializationException", 400, True),
    "InvalidParameterCombination": (
        "com.amazon.coral.service#InvalidParameterCombinationException",
        400,
        True,
    ),
    "InvalidQueryParameter": ("com.amazon.coral.service#InvalidQueryParameterException", 400, True),
    "MissingAction": ("com.amazon.coral.service#MissingActionException", 400, True),
    "AccessDenied": ("com.amazon.coral.service#AccessDeniedException", 403, True),
    "IncompleteSignature": ("com.amazon.coral.service#IncompleteSignatureException", 400, True),
    "InvalidClientTokenId": ("com.amazon.coral.service#InvalidClientTokenIdException", 403, True),
    "SignatureDoesNotMatch": ("com.amazon.coral.service#SignatureDoesNotMatchException", 403, True),
    "MissingAuthenticationToken": (
        "com.amazon.coral.service#MissingAuthenticationTokenException",
        403,
        True,
    ),
    "RequestExpired": ("com.amazon.coral.service#RequestExpiredException", 400, True),
    "ThrottlingException": ("com.amazon.coral.service#ThrottlingException", 400, True),
    "ServiceUnavailable": ("com.amazon.coral.service#ServiceUnavailableException", 503, False),
    # Anything unexpected. [COMMON] status 500, Receiver fault.
    "InternalFailure": ("com.amazon.coral.service#InternalFailure", 500, False),
    # SNS's validation errors (coral "ValidationException" surfaces as Query code ValidationError).
    "ValidationError": ("com.amazon.coral.validate#ValidationException", 400, True),
}

# JSON spellings of common codes that a provider may raise; normalised to the Query spelling.
COMMON_ERROR_ALIASES: Final[dict[str, str]] = {
    "InvalidParameterValueException": "InvalidParameterValue",
    "MissingRequiredParameterException": "MissingParameter",
    "UnknownOperationException": "InvalidAction",
    "SerializationException": "MalformedInput",
    "AccessDeniedException": "AccessDenied",
    "ValidationException": "ValidationError",
}

# [COMMON]: the text AWS documents for InternalFailure; never a stack trace.
INTERNAL_FAILURE_MESSAGE: Final = (
    "The request processing has failed because of an unknown error, exception or failure."
)

# Message for an unknown Query Action / JSON target (the text SQS has long used for InvalidAction).
UNKNOWN_ACTION_MESSAGE: Final = "The action {action} is not valid for this endpoint."
MISSING_ACTION_MESSAGE: Final = "The request must contain the parameter Action."

# A Query GET addressed to a queue URL (the path names a queue), as asserted against AWS in
# LocalStack's aws-validated TestSqsQueryApi: without an Action, AWS's request framework answers
# 404 with this bare body (no <ErrorResponse>, whatever the Accept header); CreateQueue and
# ListQueues are InvalidAction there. GetQueueUrl is served (for any queue name), as are the
# actions on a queue.
QUEUE_URL_GET_REFUSED: Final = frozenset({"CreateQueue", "ListQueues"})
QUEUE_URL_GET_UNKNOWN_STATUS: Final = 404
QUEUE_URL_GET_UNKNOWN_BODY: Final = b"<UnknownOperationException/>\n"
QUEUE_URL_GET_UNKNOWN_CODE: Final = "UnknownOperationException"

# Members whose U+0000 the operation judges itself, with its own error (SQS
# InvalidMessageContents, SNS InvalidParameter); in every other string member the wire refuses
# it as InvalidParameterValue.
NUL_LEFT_TO_PROVIDERS: Final = frozenset({"MessageBody", "Message", "StringValue", "Subject"})

# --- Validation quirks --------------------------------------------------------------------------
# A required member AWS reports with another error than MissingParameter.
# (service, operation or "*", member) -> (code, message).
# [REC]: SendMessage without QueueUrl answers QueueDoesNotExist; GetQueueUrl without QueueName
# answers InvalidParameterValue (message text unverified).
MISSING_MEMBER_ERRORS: Final[dict[tuple[str, str, str], tuple[str, str]]] = {
    ("sqs", "*", "QueueUrl"): ("QueueDoesNotExist", "The specified queue does not exist."),
    ("sqs", "GetQueueUrl", "QueueName"): (
        "InvalidParameterValue",
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
    ),
}

# SQS treats an empty string in a required top-level parameter as missing: an empty MessageBody or
# ReceiptHandle answers MissingParameter. [REC]
EMPTY_STRING_IS_MISSING: Final[frozenset[str]] = frozenset({"sqs"})

# An enum whose violation AWS reports with a service error instead of a generic validation error.
# (service, enum shape) -> (code, message template with {value}).
# SQS reports unknown attribute names as InvalidAttributeName "Unknown Attribute X.".
ENUM_ERRORS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("sqs", "QueueAttributeName"): ("InvalidAttributeName", "Unknown Attribute {value}."),
    ("sqs", "MessageSystemAttributeName"): ("InvalidAttributeName", "Unknown Attribute {value}."),
}

# Members whose enum is wider on the wire than the model says.
# (service, structure shape, member) -> extra enum shape whose values are accepted too.
# ReceiveMessage's deprecated ``AttributeNames`` is modeled as QueueAttributeName, but SDK docs
# (and every client) pass message system attribute names there (SentTimestamp, ...).
ENUM_EXTRA_VALUES: Final[dict[tuple[str, str, str], str]] = {
    ("sqs", "ReceiveMessageRequest", "AttributeNames"): "MessageSystemAttributeName",
}

# --- XML quirks ---------------------------------------------------------------------------------
# SQS escapes '"' as &quot; and carriage returns as &#xD; inside text nodes (a literal CR would be
# normalised away by XML parsers, corrupting message bodies). Applied to every Query response.
XML_TEXT_ESCAPES: Final[tuple[tuple[str, str], ...]] = (
    ("&", "&amp;"),  # first, so the entities below are not escaped again
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#xD;"),
)

# SQS Query responses start with an XML declaration; SNS responses do not.
XML_DECLARATION: Final[dict[str, str]] = {"sqs": '<?xml version="1.0"?>', "sns": ""}

# SQS Query error bodies carry an empty <Detail/> after <Message>; SNS error bodies do not.
XML_ERROR_DETAIL: Final[dict[str, bool]] = {"sqs": True, "sns": False}

# SQS Query error messages that differ from the JSON protocol's for the same error, by Query code.
# A missing queue is "...does not exist for this wsdl version." over Query and "...does not
# exist." over JSON: recorded against AWS (LocalStack's test_non_existent_queue snapshot, key
# queue-does-not-exist-query; moto's _verify_unknown_queue_error for Query-era botocore).
SQS_QUERY_MESSAGES: Final[dict[str, str]] = {
    "AWS.SimpleQueueService.NonExistentQueue": (
        "The specified queue does not exist for this wsdl version."
    ),
}

# --- Query wire names ---------------------------------------------------------------------------
# In the Query protocol SQS serialises ReceiveMessage's ``MessageSystemAttributeNames`` under the
# same name as ``AttributeNames`` (``AttributeName.N``) [SMITHY]: the overlay says so, and the
# decoder fills only the first member (in model order) that claims a wire name.
