"""SNS wire shapes, generated from botocore's sns 2010-03-31 model.

Do not edit: regenerate with ``python -m densho.api.generate``. scripts/test checks (``--check``)
that this file is what the installed botocore produces; ``densho.api.generate`` says
how each shape maps to a Python type.
"""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict


class AddPermissionRequest(TypedDict):
    TopicArn: str
    Label: str
    AWSAccountId: list[str]
    ActionName: list[str]


# no output: the handler answers {}
class AddPermissionResult(TypedDict):
    pass


class CheckIfPhoneNumberIsOptedOutRequest(TypedDict):
    phoneNumber: str


class CheckIfPhoneNumberIsOptedOutResult(TypedDict):
    isOptedOut: NotRequired[bool]


class ConfirmSubscriptionRequest(TypedDict):
    TopicArn: str
    Token: str
    AuthenticateOnUnsubscribe: NotRequired[str]


class ConfirmSubscriptionResult(TypedDict):
    SubscriptionArn: NotRequired[str]


class CreatePlatformApplicationRequest(TypedDict):
    Name: str
    Platform: str
    Attributes: dict[str, str]


class CreatePlatformApplicationResult(TypedDict):
    PlatformApplicationArn: NotRequired[str]


class CreatePlatformEndpointRequest(TypedDict):
    PlatformApplicationArn: str
    Token: str
    CustomUserData: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]


# botocore shape CreateEndpointResponse
class CreatePlatformEndpointResult(TypedDict):
    EndpointArn: NotRequired[str]


class CreateSMSSandboxPhoneNumberRequest(TypedDict):
    PhoneNumber: str
    LanguageCode: NotRequired[str]


class CreateSMSSandboxPhoneNumberResult(TypedDict):
    pass


class CreateTopicRequest(TypedDict):
    Name: str
    Attributes: NotRequired[dict[str, str]]
    Tags: NotRequired[list[Tag]]
    DataProtectionPolicy: NotRequired[str]


class CreateTopicResult(TypedDict):
    TopicArn: NotRequired[str]


class DeleteEndpointRequest(TypedDict):
    EndpointArn: str


# no output: the handler answers {}
class DeleteEndpointResult(TypedDict):
    pass


class DeletePlatformApplicationRequest(TypedDict):
    PlatformApplicationArn: str


# no output: the handler answers {}
class DeletePlatformApplicationResult(TypedDict):
    pass


class DeleteSMSSandboxPhoneNumberRequest(TypedDict):
    PhoneNumber: str


class DeleteSMSSandboxPhoneNumberResult(TypedDict):
    pass


class DeleteTopicRequest(TypedDict):
    TopicArn: str


# no output: the handler answers {}
class DeleteTopicResult(TypedDict):
    pass


class GetDataProtectionPolicyRequest(TypedDict):
    ResourceArn: str


class GetDataProtectionPolicyResult(TypedDict):
    DataProtectionPolicy: NotRequired[str]


class GetEndpointAttributesRequest(TypedDict):
    EndpointArn: str


class GetEndpointAttributesResult(TypedDict):
    Attributes: NotRequired[dict[str, str]]


class GetPlatformApplicationAttributesRequest(TypedDict):
    PlatformApplicationArn: str


class GetPlatformApplicationAttributesResult(TypedDict):
    Attributes: NotRequired[dict[str, str]]


class GetSMSAttributesRequest(TypedDict):
    attributes: NotRequired[list[str]]


class GetSMSAttributesResult(TypedDict):
    attributes: NotRequired[dict[str, str]]


class GetSMSSandboxAccountStatusRequest(TypedDict):
    pass


class GetSMSSandboxAccountStatusResult(TypedDict):
    IsInSandbox: bool


class GetSubscriptionAttributesRequest(TypedDict):
    SubscriptionArn: str


class GetSubscriptionAttributesResult(TypedDict):
    Attributes: NotRequired[dict[str, str]]


class GetTopicAttributesRequest(TypedDict):
    TopicArn: str


class GetTopicAttributesResult(TypedDict):
    Attributes: NotRequired[dict[str, str]]


class ListEndpointsByPlatformApplicationRequest(TypedDict):
    PlatformApplicationArn: str
    NextToken: NotRequired[str]


class ListEndpointsByPlatformApplicationResult(TypedDict):
    Endpoints: NotRequired[list[Endpoint]]
    NextToken: NotRequired[str]


class ListOriginationNumbersRequest(TypedDict):
    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListOriginationNumbersResult(TypedDict):
    NextToken: NotRequired[str]
    PhoneNumbers: NotRequired[list[PhoneNumberInformation]]


class ListPhoneNumbersOptedOutRequest(TypedDict):
    nextToken: NotRequired[str]


class ListPhoneNumbersOptedOutResult(TypedDict):
    phoneNumbers: NotRequired[list[str]]
    nextToken: NotRequired[str]


class ListPlatformApplicationsRequest(TypedDict):
    NextToken: NotRequired[str]


class ListPlatformApplicationsResult(TypedDict):
    PlatformApplications: NotRequired[list[PlatformApplication]]
    NextToken: NotRequired[str]


class ListSMSSandboxPhoneNumbersRequest(TypedDict):
    NextToken: NotRequired[str]
    MaxResults: NotRequired[int]


class ListSMSSandboxPhoneNumbersResult(TypedDict):
    PhoneNumbers: list[SMSSandboxPhoneNumber]
    NextToken: NotRequired[str]


class ListSubscriptionsRequest(TypedDict):
    NextToken: NotRequired[str]


class ListSubscriptionsResult(TypedDict):
    Subscriptions: NotRequired[list[Subscription]]
    NextToken: NotRequired[str]


class ListSubscriptionsByTopicRequest(TypedDict):
    TopicArn: str
    NextToken: NotRequired[str]


class ListSubscriptionsByTopicResult(TypedDict):
    Subscriptions: NotRequired[list[Subscription]]
    NextToken: NotRequired[str]


class ListTagsForResourceRequest(TypedDict):
    ResourceArn: str


class ListTagsForResourceResult(TypedDict):
    Tags: NotRequired[list[Tag]]


class ListTopicsRequest(TypedDict):
    NextToken: NotRequired[str]


class ListTopicsResult(TypedDict):
    Topics: NotRequired[list[Topic]]
    NextToken: NotRequired[str]


class OptInPhoneNumberRequest(TypedDict):
    phoneNumber: str


class OptInPhoneNumberResult(TypedDict):
    pass


class PublishRequest(TypedDict):
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
    MessageId: NotRequired[str]
    SequenceNumber: NotRequired[str]


class PublishBatchRequest(TypedDict):
    TopicArn: str
    PublishBatchRequestEntries: list[PublishBatchRequestEntry]


class PublishBatchResult(TypedDict):
    Successful: NotRequired[list[PublishBatchResultEntry]]
    Failed: NotRequired[list[BatchResultErrorEntry]]


class PutDataProtectionPolicyRequest(TypedDict):
    ResourceArn: str
    DataProtectionPolicy: str


# no output: the handler answers {}
class PutDataProtectionPolicyResult(TypedDict):
    pass


class RemovePermissionRequest(TypedDict):
    TopicArn: str
    Label: str


# no output: the handler answers {}
class RemovePermissionResult(TypedDict):
    pass


class SetEndpointAttributesRequest(TypedDict):
    EndpointArn: str
    Attributes: dict[str, str]


# no output: the handler answers {}
class SetEndpointAttributesResult(TypedDict):
    pass


class SetPlatformApplicationAttributesRequest(TypedDict):
    PlatformApplicationArn: str
    Attributes: dict[str, str]


# no output: the handler answers {}
class SetPlatformApplicationAttributesResult(TypedDict):
    pass


class SetSMSAttributesRequest(TypedDict):
    attributes: dict[str, str]


class SetSMSAttributesResult(TypedDict):
    pass


class SetSubscriptionAttributesRequest(TypedDict):
    SubscriptionArn: str
    AttributeName: str
    AttributeValue: NotRequired[str]


# no output: the handler answers {}
class SetSubscriptionAttributesResult(TypedDict):
    pass


class SetTopicAttributesRequest(TypedDict):
    TopicArn: str
    AttributeName: str
    AttributeValue: NotRequired[str]


# no output: the handler answers {}
class SetTopicAttributesResult(TypedDict):
    pass


class SubscribeRequest(TypedDict):
    TopicArn: str
    Protocol: str
    Endpoint: NotRequired[str]
    Attributes: NotRequired[dict[str, str]]
    ReturnSubscriptionArn: NotRequired[bool]


class SubscribeResult(TypedDict):
    SubscriptionArn: NotRequired[str]


class TagResourceRequest(TypedDict):
    ResourceArn: str
    Tags: list[Tag]


class TagResourceResult(TypedDict):
    pass


class UnsubscribeRequest(TypedDict):
    SubscriptionArn: str


# no output: the handler answers {}
class UnsubscribeResult(TypedDict):
    pass


class UntagResourceRequest(TypedDict):
    ResourceArn: str
    TagKeys: list[str]


class UntagResourceResult(TypedDict):
    pass


class VerifySMSSandboxPhoneNumberRequest(TypedDict):
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
