"""Domain errors of SNS. The provider layer maps each to AWS's code and message
(``densho.providers.errors``, the one table).

Owns: the SNS exception classes below and the fields that explain them.
Must not know: AWS codes, HTTP statuses.

    DomainError
    ├── TopicNotFound()                       — NotFound 404, "Topic does not exist"
    ├── SubscriptionNotFound()                — NotFound 404, "Subscription does not exist"
    ├── SnsResourceNotFound()                 — ResourceNotFound 404 (tags, sandbox numbers)
    ├── SnsInvalidParameter(reason)           — InvalidParameter, "Invalid parameter: <reason>"
    ├── SnsInvalidParameterValue(message)     — ParameterValueInvalid (message attributes)
    ├── SnsAuthorizationError(message)        — AuthorizationError 403
    ├── TagLimitExceeded()
    ├── mobile push and SMS (densho.sns.mobile / densho.sns.sms):
    │   PlatformApplicationNotFound(), EndpointNotFound() — NotFound 404
    │   SnsEndpointDisabled(), SnsPlatformApplicationDisabled() — publishing to a disabled target
    │   SnsVerificationFailed() — a wrong sandbox OTP; SnsOptedOut() — an opted-out number
    └── batch: SnsEmptyBatch, SnsTooManyEntries, SnsBatchIdsNotDistinct, SnsInvalidBatchEntryId,
        SnsBatchTooLong
"""

from __future__ import annotations

from densho.core.errors import DomainError


class TopicNotFound(DomainError):
    pass


class SubscriptionNotFound(DomainError):
    pass


class SnsResourceNotFound(DomainError):
    pass


class SnsInvalidParameter(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SnsInvalidParameterValue(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SnsAuthorizationError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TagLimitExceeded(DomainError):
    pass


class SnsEmptyBatch(DomainError):
    pass


class SnsTooManyEntries(DomainError):
    pass


class SnsBatchIdsNotDistinct(DomainError):
    pass


class SnsInvalidBatchEntryId(DomainError):
    pass


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
