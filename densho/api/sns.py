"""SNS wire shapes, generated from botocore's sns 2010-03-31 model.

Do not edit: regenerate with ``python -m densho.api.generate``. scripts/test checks (``--check``)
that this file is what the installed botocore produces; ``densho.api.generate`` says
how each shape maps to a Python type.
"""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict


class AddPermissionRequest(TypedDict):
    """botocore shape AddPermissionInput."""

    TopicArn: str
    Label: str
    AWSAccountId: list[str]
    ActionName: list[str]


class AddPermissionResult(TypedDict):
    """No output: the handler answers ``{}``."""


class CheckIfPhoneNumberIsOptedOutRequest(TypedDict):
    """botocore shape CheckIfPhoneNumberIsOptedOutInput."""

    phoneNumber: str


class CheckIfPhoneNumberIsOptedOutResult(TypedDict):
    """botocore shape CheckIfPhoneNumberIsOptedOutResponse."""

    isOptedOut: NotRequired[bool]


class ConfirmSubscriptionRequest(TypedDict):
    """botocore shape ConfirmSubscriptionInput."""

    TopicArn: str
    Token: str
    AuthenticateOnUnsubscribe: NotRequired[str]


class ConfirmSubscriptionResult(TypedDict):
    """botocore shape ConfirmSubscriptionResponse."""

    SubscriptionArn: NotRequired[str]


class CreatePlatformApplicationRequest(TypedDict):
    """botocore shape CreatePlatformApplicationInput."""

    Name: str
    Platform: str
    Attributes: dict[str, str]


class CreatePlatformApplicationResult(TypedDict):
    """botocore shape CreatePlatformApplicationResponse."""

    PlatformApplicationArn: NotRequired[str]


class CreatePlatformEndpointRequest(TypedDict):
    """botocore shape CreatePlatformEndpointInput."""

    PlatformApplicationArn: str
    Token: str
    CustomUserData: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]


class CreatePlatformEndpointResult(TypedDict):
    """botocore shape CreateEndpointResponse."""

    EndpointArn: NotRequired[str]


class CreateSMSSandboxPhoneNumberRequest(TypedDict):
    """botocore shape CreateSMSSandboxPhoneNumberInput."""

    PhoneNumber: str
    LanguageCode: NotRequired[str]


class CreateSMSSandboxPhoneNumberResult(TypedDict):
    pass


class CreateTopicRequest(TypedDict):
    """botocore shape CreateTopicInput."""

    Name: str
    Attributes: NotRequired[dict[str, str]]
    Tags: NotRequired[list[Tag]]
    DataProtectionPolicy: NotRequired[str]


class CreateTopicResult(TypedDict):
    """botocore shape CreateTopicResponse."""

    TopicArn: NotRequired[str]


class DeleteEndpointRequest(TypedDict):
    """botocore shape DeleteEndpointInput."""

    EndpointArn: str


class DeleteEndpointResult(TypedDict):
    """No output: the handler answers ``{}``."""


class DeletePlatformApplicationRequest(TypedDict):
    """botocore shape DeletePlatformApplicationInput."""

    PlatformApplicationArn: str


class DeletePlatformApplicationResult(TypedDict):
    """No output: the handler answers ``{}``."""


class DeleteSMSSandboxPhoneNumberRequest(TypedDict):
    """botocore shape DeleteSMSSandboxPhoneNumberInput."""

    PhoneNumber: str


class DeleteSMSSandboxPhoneNumberResult(TypedDict):
    pass


class DeleteTopicRequest(TypedDict):
    """botocore shape DeleteTopicInput."""

    TopicArn: str


class DeleteTopicResult(TypedDict):
    """No output: the handler answers ``{}``."""


class GetDataProtectionPolicyRequest(TypedDict):
    """botocore shape GetDataProtectionPolicyInput."""

    ResourceArn: str


class GetDataProtectionPolicyResult(TypedDict):
    """botocore shape GetDataProtectionPolicyResponse."""

    DataProtectionPolicy: NotRequired[str]


class GetEndpointAttributesRequest(TypedDict):
    """botocore shape GetEndpointAttributesInput."""

    EndpointArn: str


class GetEndpointAttributesResult(TypedDict):
    """botocore shape GetEndpointAttributesResponse."""

    Attributes: NotRequired[dict[str, str]]


class GetPlatformApplicationAttributesRequest(TypedDict):
    """botocore shape GetPlatformApplicationAttributesInput."""

    PlatformApplicationArn: str


class GetPlatformApplicationAttributesResult(TypedDict):
    """botocore shape GetPlatformApplicationAttributesResponse."""

    Attributes: NotRequired[dict[str, str]]


class GetSMSAttributesRequest(TypedDict):
    """botocore shape GetSMSAttributesInput."""

    attributes: NotRequired[list[str]]


class GetSMSAttributesResult(TypedDict):
    """botocore shape GetSMSAttributesResponse."""

    attributes: NotRequired[dict[str, str]]


class GetSMSSandboxAccountStatusRequest(TypedDict):
    """botocore shape GetSMSSandboxAccountStatusInput."""


class GetSMSSandboxAccountStatusResult(TypedDict):
    IsInSandbox: bool


class GetSubscriptionAttributesRequest(TypedDict):
    """botocore shape GetSubscriptionAttributesInput."""

    SubscriptionArn: str


class GetSubscriptionAttributesResult(TypedDict):
    """botocore shape GetSubscriptionAttributesResponse."""

    Attributes: NotRequired[dict[str, str]]


class GetTopicAttributesRequest(TypedDict):
    """botocore shape GetTopicAttributesInput."""

    TopicArn: str


class GetTopicAttributesResult(TypedDict):
    """botocore shape GetTopicAttributesResponse."""

    Attributes: NotRequired[dict[str, str]]


class ListEndpointsByPlatformApplicationRequest(TypedDict):
    """botocore shape ListEndpointsByPlatformApplicationInput."""

    PlatformApplicationArn: str
    NextToken: NotRequired[str]


class ListEndpointsByPlatformApplicationResult(TypedDict):
    """botocore shape ListEndpointsByPlatformApplicationResponse."""

    Endpoints: NotRequired[list[Endpoint]]
    NextToken: NotRequired[str]


class ListOriginationNumbersRequest(TypedDict):
    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListOriginationNumbersResult(TypedDict):
    NextToken: NotRequired[str]
    PhoneNumbers: NotRequired[list[PhoneNumberInformation]]


class ListPhoneNumbersOptedOutRequest(TypedDict):
    """botocore shape ListPhoneNumbersOptedOutInput."""

    nextToken: NotRequired[str]


class ListPhoneNumbersOptedOutResult(TypedDict):
    """botocore shape ListPhoneNumbersOptedOutResponse."""

    phoneNumbers: NotRequired[list[str]]
    nextToken: NotRequired[str]


class ListPlatformApplicationsRequest(TypedDict):
    """botocore shape ListPlatformApplicationsInput."""

    NextToken: NotRequired[str]


class ListPlatformApplicationsResult(TypedDict):
    """botocore shape ListPlatformApplicationsResponse."""

    PlatformApplications: NotRequired[list[PlatformApplication]]
    NextToken: NotRequired[str]


class ListSMSSandboxPhoneNumbersRequest(TypedDict):
    """botocore shape ListSMSSandboxPhoneNumbersInput."""

    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListSMSSandboxPhoneNumbersResult(TypedDict):
    PhoneNumbers: list[SMSSandboxPhoneNumber]
    NextToken: NotRequired[str]


class ListSubscriptionsRequest(TypedDict):
    """botocore shape ListSubscriptionsInput."""

    NextToken: NotRequired[str]


class ListSubscriptionsResult(TypedDict):
    """botocore shape ListSubscriptionsResponse."""

    Subscriptions: NotRequired[list[Subscription]]
    NextToken: NotRequired[str]


class ListSubscriptionsByTopicRequest(TypedDict):
    """botocore shape ListSubscriptionsByTopicInput."""

    TopicArn: str
    NextToken: NotRequired[str]


class ListSubscriptionsByTopicResult(TypedDict):
    """botocore shape ListSubscriptionsByTopicResponse."""

    Subscriptions: NotRequired[list[Subscription]]
    NextToken: NotRequired[str]


class ListTagsForResourceRequest(TypedDict):
    ResourceArn: str


class ListTagsForResourceResult(TypedDict):
    """botocore shape ListTagsForResourceResponse."""

    Tags: NotRequired[list[Tag]]


class ListTopicsRequest(TypedDict):
    """botocore shape ListTopicsInput."""

    NextToken: NotRequired[str]


class ListTopicsResult(TypedDict):
    """botocore shape ListTopicsResponse."""

    Topics: NotRequired[list[Topic]]
    NextToken: NotRequired[str]


class OptInPhoneNumberRequest(TypedDict):
    """botocore shape OptInPhoneNumberInput."""

    phoneNumber: str


class OptInPhoneNumberResult(TypedDict):
    """botocore shape OptInPhoneNumberResponse."""


class PublishRequest(TypedDict):
    """botocore shape PublishInput."""

    TopicArn: NotRequired[str]
    TargetArn: NotRequired[str]
    PhoneNumber: NotRequired[str]
    Message: str
    Subject: NotRequired[str]
    MessageStructure: NotRequired[str]
    MessageAttributes: NotRequired[dict[str, MessageAttributeValue]]
    MessageDeduplicationId: NotRequired[str]
    MessageGroupId: NotRequired[str]


class PublishResult(TypedDict):
    """botocore shape PublishResponse."""

    MessageId: NotRequired[str]
    SequenceNumber: NotRequired[str]


class PublishBatchRequest(TypedDict):
    """botocore shape PublishBatchInput."""

    TopicArn: str
    PublishBatchRequestEntries: list[PublishBatchRequestEntry]


class PublishBatchResult(TypedDict):
    """botocore shape PublishBatchResponse."""

    Successful: NotRequired[list[PublishBatchResultEntry]]
    Failed: NotRequired[list[BatchResultErrorEntry]]


class PutDataProtectionPolicyRequest(TypedDict):
    """botocore shape PutDataProtectionPolicyInput."""

    ResourceArn: str
    DataProtectionPolicy: str


class PutDataProtectionPolicyResult(TypedDict):
    """No output: the handler answers ``{}``."""


class RemovePermissionRequest(TypedDict):
    """botocore shape RemovePermissionInput."""

    TopicArn: str
    Label: str


class RemovePermissionResult(TypedDict):
    """No output: the handler answers ``{}``."""


class SetEndpointAttributesRequest(TypedDict):
    """botocore shape SetEndpointAttributesInput."""

    EndpointArn: str
    Attributes: dict[str, str]


class SetEndpointAttributesResult(TypedDict):
    """No output: the handler answers ``{}``."""


class SetPlatformApplicationAttributesRequest(TypedDict):
    """botocore shape SetPlatformApplicationAttributesInput."""

    PlatformApplicationArn: str
    Attributes: dict[str, str]


class SetPlatformApplicationAttributesResult(TypedDict):
    """No output: the handler answers ``{}``."""


class SetSMSAttributesRequest(TypedDict):
    """botocore shape SetSMSAttributesInput."""

    attributes: dict[str, str]


class SetSMSAttributesResult(TypedDict):
    """botocore shape SetSMSAttributesResponse."""


class SetSubscriptionAttributesRequest(TypedDict):
    """botocore shape SetSubscriptionAttributesInput."""

    SubscriptionArn: str
    AttributeName: str
    AttributeValue: NotRequired[str]


class SetSubscriptionAttributesResult(TypedDict):
    """No output: the handler answers ``{}``."""


class SetTopicAttributesRequest(TypedDict):
    """botocore shape SetTopicAttributesInput."""

    TopicArn: str
    AttributeName: str
    AttributeValue: NotRequired[str]


class SetTopicAttributesResult(TypedDict):
    """No output: the handler answers ``{}``."""


class SubscribeRequest(TypedDict):
    """botocore shape SubscribeInput."""

    TopicArn: str
    Protocol: str
    Endpoint: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]
    ReturnSubscriptionArn: NotRequired[bool]


class SubscribeResult(TypedDict):
    """botocore shape SubscribeResponse."""

    SubscriptionArn: NotRequired[str]


class TagResourceRequest(TypedDict):
    ResourceArn: str
    Tags: list[Tag]


class TagResourceResult(TypedDict):
    """botocore shape TagResourceResponse."""


class UnsubscribeRequest(TypedDict):
    """botocore shape UnsubscribeInput."""

    SubscriptionArn: str


class UnsubscribeResult(TypedDict):
    """No output: the handler answers ``{}``."""


class UntagResourceRequest(TypedDict):
    ResourceArn: str
    TagKeys: list[str]


class UntagResourceResult(TypedDict):
    """botocore shape UntagResourceResponse."""


class VerifySMSSandboxPhoneNumberRequest(TypedDict):
    """botocore shape VerifySMSSandboxPhoneNumberInput."""

    PhoneNumber: str
    OneTimePassword: str


class VerifySMSSandboxPhoneNumberResult(TypedDict):
    pass


# --- structures the operations' members are made of ---


class BatchResultErrorEntry(TypedDict):
    Id: str
    Code: str
    Message: NotRequired[str]
    SenderFault: bool


class Endpoint(TypedDict):
    EndpointArn: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]


class MessageAttributeValue(TypedDict):
    DataType: str
    StringValue: NotRequired[str]
    BinaryValue: NotRequired[bytes]


class PhoneNumberInformation(TypedDict):
    CreatedAt: NotRequired[dt.datetime]
    PhoneNumber: NotRequired[str]
    Status: NotRequired[str]
    Iso2CountryCode: NotRequired[str]
    RouteType: NotRequired[str]
    NumberCapabilities: NotRequired[list[str]]


class PlatformApplication(TypedDict):
    PlatformApplicationArn: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]


class PublishBatchRequestEntry(TypedDict):
    Id: str
    Message: str
    Subject: NotRequired[str]
    MessageStructure: NotRequired[str]
    MessageAttributes: NotRequired[dict[str, MessageAttributeValue]]
    MessageDeduplicationId: NotRequired[str]
    MessageGroupId: NotRequired[str]


class PublishBatchResultEntry(TypedDict):
    Id: NotRequired[str]
    MessageId: NotRequired[str]
    SequenceNumber: NotRequired[str]


class SMSSandboxPhoneNumber(TypedDict):
    PhoneNumber: NotRequired[str]
    Status: NotRequired[str]


class Subscription(TypedDict):
    SubscriptionArn: NotRequired[str]
    Owner: NotRequired[str]
    Protocol: NotRequired[str]
    Endpoint: NotRequired[str]
    TopicArn: NotRequired[str]


class Tag(TypedDict):
    Key: str
    Value: str


class Topic(TypedDict):
    TopicArn: NotRequired[str]
