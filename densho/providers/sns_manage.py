"""SNS management operations: wire parameters in, ``SnsManage`` calls, wire results out.

Owns: one async function per management action (AddPermission / RemovePermission, data
protection policies, SMS settings, opt-outs and the sandbox, origination numbers, platform
applications and endpoints), the direct Publish to a phone number or a platform endpoint
(``publish_direct``), and these actions' pagination tokens and result shapes. ``HANDLERS`` is
merged into ``densho.providers.sns.HANDLERS``.
Must not know: HTTP, the Query encoding, SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from densho.api import sns as api
from densho.core.sns_model import PlatformApp
from densho.providers import paging
from densho.providers.context import SnsContext
from densho.sns.errors import Refusal, SnsInvalidParameter
from densho.sns.manage import mobile
from densho.sns.manage.engine import SnsManage
from densho.sns.publishing.message import Message

PAGE = 100


def _manage(ctx: SnsContext) -> SnsManage:
    assert ctx.manage is not None, "the server builds the SNS management engine"
    return ctx.manage


def _page(keys: Sequence[str], token: str | None, size: int) -> tuple[int, int, str | None]:
    """(start, end, next token) of a page of ``size`` among sorted ``keys``."""
    try:
        start = paging.start_after(keys, token)
    except ValueError:
        raise SnsInvalidParameter("NextToken") from None
    end = min(start + size, len(keys))
    return start, end, paging.token_for(keys[end - 1]) if end < len(keys) else None


# --- topic permissions and data protection ---


async def add_permission(ctx: SnsContext, p: api.AddPermissionRequest) -> api.AddPermissionResult:
    await _manage(ctx).add_permission(
        p["TopicArn"], p["Label"], p.get("AWSAccountId") or [], p.get("ActionName") or []
    )
    return {}


async def remove_permission(
    ctx: SnsContext, p: api.RemovePermissionRequest
) -> api.RemovePermissionResult:
    await _manage(ctx).remove_permission(p["TopicArn"], p["Label"])
    return {}


async def get_data_protection_policy(
    ctx: SnsContext, p: api.GetDataProtectionPolicyRequest
) -> api.GetDataProtectionPolicyResult:
    return {"DataProtectionPolicy": await _manage(ctx).data_protection_policy(p["ResourceArn"])}


async def put_data_protection_policy(
    ctx: SnsContext, p: api.PutDataProtectionPolicyRequest
) -> api.PutDataProtectionPolicyResult:
    await _manage(ctx).put_data_protection_policy(p["ResourceArn"], p["DataProtectionPolicy"])
    return {}


# --- SMS settings, opt-outs, sandbox, origination numbers ---


async def set_sms_attributes(
    ctx: SnsContext, p: api.SetSMSAttributesRequest
) -> api.SetSMSAttributesResult:
    await _manage(ctx).set_sms_attributes(ctx.account, ctx.call.region, p.get("attributes") or {})
    return {}


async def get_sms_attributes(
    ctx: SnsContext, p: api.GetSMSAttributesRequest
) -> api.GetSMSAttributesResult:
    values = await _manage(ctx).sms_attributes(ctx.account, ctx.call.region, p.get("attributes"))
    return {"attributes": values}


async def check_if_phone_number_is_opted_out(
    ctx: SnsContext, p: api.CheckIfPhoneNumberIsOptedOutRequest
) -> api.CheckIfPhoneNumberIsOptedOutResult:
    opted_out = await _manage(ctx).is_opted_out(ctx.account, ctx.call.region, p["phoneNumber"])
    return {"isOptedOut": opted_out}


async def list_phone_numbers_opted_out(
    ctx: SnsContext, p: api.ListPhoneNumbersOptedOutRequest
) -> api.ListPhoneNumbersOptedOutResult:
    numbers = await _manage(ctx).opted_out(ctx.account, ctx.call.region)
    start, end, token = _page(numbers, p.get("nextToken"), PAGE)
    out: api.ListPhoneNumbersOptedOutResult = {"phoneNumbers": numbers[start:end]}
    if token:
        out["nextToken"] = token
    return out


async def opt_in_phone_number(
    ctx: SnsContext, p: api.OptInPhoneNumberRequest
) -> api.OptInPhoneNumberResult:
    await _manage(ctx).opt_in(ctx.account, ctx.call.region, p["phoneNumber"])
    return {}


async def get_sms_sandbox_account_status(
    ctx: SnsContext, p: api.GetSMSSandboxAccountStatusRequest
) -> api.GetSMSSandboxAccountStatusResult:
    return {"IsInSandbox": _manage(ctx).in_sandbox()}


async def create_sms_sandbox_phone_number(
    ctx: SnsContext, p: api.CreateSMSSandboxPhoneNumberRequest
) -> api.CreateSMSSandboxPhoneNumberResult:
    await _manage(ctx).create_sandbox_number(
        ctx.account, ctx.call.region, p["PhoneNumber"], p.get("LanguageCode") or "en-US"
    )
    return {}


async def verify_sms_sandbox_phone_number(
    ctx: SnsContext, p: api.VerifySMSSandboxPhoneNumberRequest
) -> api.VerifySMSSandboxPhoneNumberResult:
    await _manage(ctx).verify_sandbox_number(
        ctx.account, ctx.call.region, p["PhoneNumber"], p["OneTimePassword"]
    )
    return {}


async def delete_sms_sandbox_phone_number(
    ctx: SnsContext, p: api.DeleteSMSSandboxPhoneNumberRequest
) -> api.DeleteSMSSandboxPhoneNumberResult:
    await _manage(ctx).delete_sandbox_number(ctx.account, ctx.call.region, p["PhoneNumber"])
    return {}


async def list_sms_sandbox_phone_numbers(
    ctx: SnsContext, p: api.ListSMSSandboxPhoneNumbersRequest
) -> api.ListSMSSandboxPhoneNumbersResult:
    numbers = await _manage(ctx).sandbox_numbers(ctx.account, ctx.call.region)
    start, end, token = _page(
        [n.phone for n in numbers], p.get("NextToken"), p.get("MaxResults") or PAGE
    )
    out: api.ListSMSSandboxPhoneNumbersResult = {
        "PhoneNumbers": [{"PhoneNumber": n.phone, "Status": n.status} for n in numbers[start:end]]
    }
    if token:
        out["NextToken"] = token
    return out


async def list_origination_numbers(
    ctx: SnsContext, p: api.ListOriginationNumbersRequest
) -> api.ListOriginationNumbersResult:
    # densho owns no origination numbers (it sends no SMS): always an empty list. A NextToken
    # it did not hand out is refused, as for the other lists.
    _page([], p.get("NextToken"), p.get("MaxResults") or 30)
    return {"PhoneNumbers": []}


# --- platform applications ---


def _app_entry(app: PlatformApp) -> api.PlatformApplication:
    return {"PlatformApplicationArn": app.arn, "Attributes": dict(app.attributes)}


async def create_platform_application(
    ctx: SnsContext, p: api.CreatePlatformApplicationRequest
) -> api.CreatePlatformApplicationResult:
    app = await _manage(ctx).create_platform_app(
        ctx.account, ctx.call.region, p["Name"], p["Platform"], p.get("Attributes") or {}
    )
    return {"PlatformApplicationArn": app.arn}


async def get_platform_application_attributes(
    ctx: SnsContext, p: api.GetPlatformApplicationAttributesRequest
) -> api.GetPlatformApplicationAttributesResult:
    app = await _manage(ctx).platform_app(p["PlatformApplicationArn"])
    return {"Attributes": dict(app.attributes)}


async def set_platform_application_attributes(
    ctx: SnsContext, p: api.SetPlatformApplicationAttributesRequest
) -> api.SetPlatformApplicationAttributesResult:
    await _manage(ctx).set_platform_app_attributes(
        p["PlatformApplicationArn"], p.get("Attributes") or {}
    )
    return {}


async def list_platform_applications(
    ctx: SnsContext, p: api.ListPlatformApplicationsRequest
) -> api.ListPlatformApplicationsResult:
    apps = await _manage(ctx).platform_apps(ctx.account, ctx.call.region)
    start, end, token = _page([a.arn for a in apps], p.get("NextToken"), PAGE)
    out: api.ListPlatformApplicationsResult = {
        "PlatformApplications": [_app_entry(a) for a in apps[start:end]]
    }
    if token:
        out["NextToken"] = token
    return out


async def delete_platform_application(
    ctx: SnsContext, p: api.DeletePlatformApplicationRequest
) -> api.DeletePlatformApplicationResult:
    await _manage(ctx).delete_platform_app(p["PlatformApplicationArn"])
    return {}


# --- platform endpoints ---


async def create_platform_endpoint(
    ctx: SnsContext, p: api.CreatePlatformEndpointRequest
) -> api.CreatePlatformEndpointResult:
    endpoint = await _manage(ctx).create_endpoint(
        p["PlatformApplicationArn"], p["Token"], p.get("CustomUserData"), p.get("Attributes") or {}
    )
    return {"EndpointArn": endpoint.arn}


async def get_endpoint_attributes(
    ctx: SnsContext, p: api.GetEndpointAttributesRequest
) -> api.GetEndpointAttributesResult:
    endpoint = await _manage(ctx).endpoint(p["EndpointArn"])
    return {"Attributes": dict(endpoint.attributes)}


async def set_endpoint_attributes(
    ctx: SnsContext, p: api.SetEndpointAttributesRequest
) -> api.SetEndpointAttributesResult:
    await _manage(ctx).set_endpoint_attributes(p["EndpointArn"], p.get("Attributes") or {})
    return {}


async def list_endpoints_by_platform_application(
    ctx: SnsContext, p: api.ListEndpointsByPlatformApplicationRequest
) -> api.ListEndpointsByPlatformApplicationResult:
    endpoints = await _manage(ctx).endpoints(p["PlatformApplicationArn"])
    start, end, token = _page([e.arn for e in endpoints], p.get("NextToken"), PAGE)
    out: api.ListEndpointsByPlatformApplicationResult = {
        "Endpoints": [
            {"EndpointArn": e.arn, "Attributes": dict(e.attributes)} for e in endpoints[start:end]
        ]
    }
    if token:
        out["NextToken"] = token
    return out


async def delete_endpoint(
    ctx: SnsContext, p: api.DeleteEndpointRequest
) -> api.DeleteEndpointResult:
    await _manage(ctx).delete_endpoint(p["EndpointArn"])
    return {}


# --- Publish straight to a phone number or a platform endpoint ---


def is_direct(p: api.PublishRequest) -> bool:
    """Whether a Publish goes to a phone number or a platform endpoint (not a topic)."""
    target = p.get("TargetArn")
    return p.get("PhoneNumber") is not None or (
        target is not None and mobile.is_endpoint_arn(str(target))
    )


async def publish_direct(
    ctx: SnsContext, p: api.PublishRequest, message: Message
) -> api.PublishResult:
    """Publish with PhoneNumber, or TargetArn naming a platform endpoint: validated as AWS does
    and recorded (never sent); answers the MessageId."""
    phone = p.get("PhoneNumber")
    if phone is not None and (p.get("TopicArn") is not None or p.get("TargetArn") is not None):
        raise SnsInvalidParameter("TopicArn", Refusal.MANY_TARGETS)
    if phone is not None:
        message_id = await _manage(ctx).publish_to_phone(
            ctx.account, ctx.call.region, str(phone), message
        )
    else:
        message_id = await _manage(ctx).publish_to_endpoint(str(p["TargetArn"]), message)
    return {"MessageId": message_id}


# A handler takes its operation's api Request and answers its Result (test_api_shapes checks).
Handler = Callable[[SnsContext, Any], Awaitable[Any]]

HANDLERS: dict[str, Handler] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetDataProtectionPolicy": get_data_protection_policy,
    "PutDataProtectionPolicy": put_data_protection_policy,
    "SetSMSAttributes": set_sms_attributes,
    "GetSMSAttributes": get_sms_attributes,
    "CheckIfPhoneNumberIsOptedOut": check_if_phone_number_is_opted_out,
    "ListPhoneNumbersOptedOut": list_phone_numbers_opted_out,
    "OptInPhoneNumber": opt_in_phone_number,
    "GetSMSSandboxAccountStatus": get_sms_sandbox_account_status,
    "CreateSMSSandboxPhoneNumber": create_sms_sandbox_phone_number,
    "VerifySMSSandboxPhoneNumber": verify_sms_sandbox_phone_number,
    "DeleteSMSSandboxPhoneNumber": delete_sms_sandbox_phone_number,
    "ListSMSSandboxPhoneNumbers": list_sms_sandbox_phone_numbers,
    "ListOriginationNumbers": list_origination_numbers,
    "CreatePlatformApplication": create_platform_application,
    "GetPlatformApplicationAttributes": get_platform_application_attributes,
    "SetPlatformApplicationAttributes": set_platform_application_attributes,
    "ListPlatformApplications": list_platform_applications,
    "DeletePlatformApplication": delete_platform_application,
    "CreatePlatformEndpoint": create_platform_endpoint,
    "GetEndpointAttributes": get_endpoint_attributes,
    "SetEndpointAttributes": set_endpoint_attributes,
    "ListEndpointsByPlatformApplication": list_endpoints_by_platform_application,
    "DeleteEndpoint": delete_endpoint,
}
