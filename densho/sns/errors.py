"""Domain errors of SNS, with the fields that explain them. The provider layer words each
(``densho.providers.sns_errors``, the one SNS table: AWS code and message).

Owns: the SNS exception classes below, their fields, and the named refusals (``Refusal``,
``AttributeRefusal``) a refused parameter carries.
Must not know: AWS codes, HTTP statuses, the wording of any message.

    DomainError
    ├── TopicNotFound()                       — NotFound 404
    ├── SubscriptionNotFound()                — NotFound 404
    ├── SnsResourceNotFound()                 — ResourceNotFound 404 (tags, sandbox numbers)
    ├── SnsInvalidParameter(parameter, refusal, value, nested)   — InvalidParameter
    ├── SnsInvalidMessageAttribute(refusal, name, data_type)     — ParameterValueInvalid
    ├── UnsubscribeNeedsAuthentication()      — AuthorizationError 403
    ├── SnsAccessDenied(caller, action, resource, reason) — a policy refused the call
    │                                           (``densho.core.errors.AccessDenied``'s fields)
    ├── TagLimitExceeded()
    ├── mobile push and SMS (densho.sns.manage):
    │   PlatformApplicationNotFound(), EndpointNotFound() — NotFound 404
    │   SnsEndpointDisabled(), SnsPlatformApplicationDisabled() — publishing to a disabled target
    │   SnsVerificationFailed() — a wrong sandbox OTP; SnsOptedOut() — an opted-out number
    └── batch: SnsEmptyBatch, SnsTooManyEntries, SnsBatchIdsNotDistinct, SnsInvalidBatchEntryId,
        SnsBatchTooLong

The filter-policy and delivery-policy languages word their own refusals (``densho.sns.filter``,
``densho.sns.outbox.delivery_policy``: AWS's texts for each rule of the document); such a
refusal reaches the wire as ``Refusal.DOCUMENT`` with the language's reason as its value.
"""

from __future__ import annotations

import enum

from densho.core.errors import AccessDenied, DomainError


class Refusal(enum.Enum):
    """Why SNS refused a parameter (``SnsInvalidParameter.refusal``). None of a refusal's
    fields is prose: ``parameter`` names what was refused, ``value`` is the offending value (or
    the number or name the message quotes)."""

    # --- ARNs and names ---
    ARN_TOO_SHORT = enum.auto()  # value: the number of elements
    ARN_SLASHES = enum.auto()  # a platform application or endpoint ARN of the wrong shape
    FIFO_TOPIC_NAME = enum.auto()
    APP_NAME_TOO_LONG = enum.auto()  # parameter: the name
    APP_NAME_CHARACTERS = enum.auto()  # parameter: the name
    # --- topics and tags ---
    TOPIC_EXISTS = enum.auto()  # parameter: "Attributes" or "Tags", whichever differs
    TAG_KEY = enum.auto()  # value: the key
    TAG_VALUE = enum.auto()  # value: the key
    DUPLICATE_TAG_KEYS = enum.auto()
    # --- attributes (``nested``: inside Subscribe's or CreateTopic's Attributes map) ---
    NOT_BOOLEAN = enum.auto()  # value: what was given
    INVALID_JSON = enum.auto()
    FIFO_ONLY = enum.auto()
    CONTENT_DEDUP_FIFO_ONLY = enum.auto()
    FILTER_POLICY_SCOPE = enum.auto()
    DOCUMENT = enum.auto()  # a policy language's refusal; value: its reason
    DEAD_LETTER_TARGET_MISSING = enum.auto()
    DEAD_LETTER_TARGET_INVALID = enum.auto()
    DEAD_LETTER_NOT_FIFO = enum.auto()  # a standard queue for a FIFO topic's subscription
    UNKNOWN_ATTRIBUTE = enum.auto()  # value: the attribute name
    ATTRIBUTE_VALUE = enum.auto()  # value: the attribute name
    CUSTOM_USER_DATA_TOO_LONG = enum.auto()
    CREDENTIAL_WITHOUT_PRINCIPAL = enum.auto()
    PRINCIPAL_WITHOUT_CREDENTIAL = enum.auto()
    UNSUPPORTED_PLATFORM = enum.auto()  # value: the platform
    # --- subscriptions ---
    UNSUPPORTED_PROTOCOL = enum.auto()  # value: the protocol
    FIFO_QUEUE_ON_STANDARD_TOPIC = enum.auto()
    FIFO_TOPIC_SQS_ONLY = enum.auto()
    ENDPOINT_PROTOCOL_MISMATCH = enum.auto()
    SUBSCRIPTION_EXISTS = enum.auto()
    # --- publishing ---
    TARGET_MISSING = enum.auto()
    MANY_TARGETS = enum.auto()
    EMPTY_MESSAGE = enum.auto()
    INVALID_CHARACTERS = enum.auto()
    MESSAGE_TOO_LONG = enum.auto()
    STRUCTURE_NOT_JSON = enum.auto()
    STRUCTURE_NO_DEFAULT = enum.auto()
    STRUCTURE_NOT_STRINGS = enum.auto()
    FIFO_ID_CHARACTERS = enum.auto()
    DEDUP_ID_ON_STANDARD_TOPIC = enum.auto()
    GROUP_ID_REQUIRED = enum.auto()
    DEDUP_ID_REQUIRED = enum.auto()
    NO_SUCH_ENDPOINT = enum.auto()
    ENDPOINT_EXISTS = enum.auto()  # value: the existing endpoint's ARN
    # --- topic permissions ---
    STATEMENT_EXISTS = enum.auto()
    ACTION_OUT_OF_SCOPE = enum.auto()
    NO_SUCH_LABEL = enum.auto()  # value: the label
    # --- data protection policies (parameter DataProtectionPolicy) ---
    POLICY_TOO_LONG = enum.auto()  # value: the limit
    POLICY_NOT_JSON = enum.auto()
    POLICY_NOT_OBJECT = enum.auto()
    POLICY_VERSION = enum.auto()  # value: the version given
    POLICY_NO_STATEMENTS = enum.auto()
    STATEMENT_NOT_OBJECT = enum.auto()
    STATEMENT_IDENTIFIERS = enum.auto()
    STATEMENT_OPERATION = enum.auto()
    STATEMENT_DIRECTION = enum.auto()
    STATEMENT_PRINCIPAL = enum.auto()
    # --- SMS ---
    NOT_SMS_ATTRIBUTE = enum.auto()  # parameter: the attribute name
    SMS_TYPE = enum.auto()  # value: the type given
    SENDER_ID = enum.auto()
    SAMPLING_RATE = enum.auto()
    SPEND_LIMIT = enum.auto()
    PHONE_NUMBER_FORMAT = enum.auto()
    PHONE_NUMBER_NOT_PUBLISHABLE = enum.auto()  # value: the number
    SMS_SETTING = enum.auto()  # parameter: the reserved attribute; value: what was given


class AttributeRefusal(enum.Enum):
    """Why a message attribute was refused (``SnsInvalidMessageAttribute.refusal``)."""

    NAME_TOO_LONG = enum.auto()
    NAME_LEADING_DOT = enum.auto()
    NAME_TRAILING_DOT = enum.auto()
    NAME_CHARACTER = enum.auto()  # ``character``: the first one refused
    NAME_SUCCESSIVE_DOTS = enum.auto()
    NAME_RESERVED = enum.auto()
    TYPE = enum.auto()
    WRONG_FIELD = enum.auto()  # a value in StringValue for Binary, or BinaryValue otherwise
    EMPTY_VALUE = enum.auto()
    NOT_A_NUMBER = enum.auto()
    NOT_AN_ARRAY = enum.auto()


class TopicNotFound(DomainError):
    pass


class SubscriptionNotFound(DomainError):
    pass


class SnsResourceNotFound(DomainError):
    pass


class SnsInvalidParameter(DomainError):
    """A refused parameter: ``parameter`` names it (alone, it is the whole refusal), ``refusal``
    says why, ``value`` is what the refusal quotes, and ``nested`` marks a value refused inside
    an ``Attributes`` map (AWS then reports it under ``Attributes``)."""

    def __init__(
        self,
        parameter: str,
        refusal: Refusal | None = None,
        value: str = "",
        *,
        nested: bool = False,
    ) -> None:
        super().__init__(parameter, refusal, value, nested)
        self.parameter = parameter
        self.refusal = refusal
        self.value = value
        self.nested = nested


class SnsInvalidMessageAttribute(DomainError):
    """A refused message attribute of a Publish: its name, its DataType, and for
    ``NAME_CHARACTER`` the character refused."""

    def __init__(
        self, refusal: AttributeRefusal, name: str, data_type: str = "", character: str = ""
    ) -> None:
        super().__init__(refusal, name, data_type, character)
        self.refusal = refusal
        self.name = name
        self.data_type = data_type
        self.character = character


class UnsubscribeNeedsAuthentication(DomainError):
    """An unsigned Unsubscribe (the UnsubscribeURL) of a subscription confirmed with
    AuthenticateOnUnsubscribe."""


class SnsAccessDenied(AccessDenied):
    """A topic policy or the caller's identity policy refused an SNS call."""


class TagLimitExceeded(DomainError):
    pass


class SnsEmptyBatch(DomainError):
    pass


class SnsTooManyEntries(DomainError):
    pass


class SnsBatchIdsNotDistinct(DomainError):
    pass


class SnsInvalidBatchEntryId(DomainError):
    """A batch entry Id with a character other than letters, digits, hyphens and underscores,
    or (``too_long``) longer than 80 characters."""

    def __init__(self, entry_id: str, *, too_long: bool = False) -> None:
        super().__init__(entry_id, too_long)
        self.entry_id = entry_id
        self.too_long = too_long


class SnsBatchTooLong(DomainError):
    pass


class PlatformApplicationNotFound(DomainError):
    pass


class EndpointNotFound(DomainError):
    pass


class SnsEndpointDisabled(DomainError):
    pass


class SnsPlatformApplicationDisabled(DomainError):
    pass


class SnsVerificationFailed(DomainError):
    pass


class SnsOptedOut(DomainError):
    pass
