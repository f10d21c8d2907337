"""Mobile push rules: platform applications and their endpoints.

Owns: the platforms, application names and ARNs (``app/<platform>/<name>``), endpoint ARNs
(``endpoint/<platform>/<name>/<id>``), the attributes each accepts and shows, and when
CreatePlatformEndpoint answers an existing endpoint. Credentials (``PlatformCredential``,
``PlatformPrincipal``) are kept apart from the attributes and never shown, as AWS never
returns them.
Must not know: storage, the wire.

Source: the SNS API Reference (CreatePlatformApplication, SetPlatformApplicationAttributes,
CreatePlatformEndpoint, SetEndpointAttributes) and the Developer Guide's "Mobile push
notifications".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from densho.core.sns_model import PlatformApp, PlatformEndpoint
from densho.sns.arns import split_arn
from densho.sns.errors import Refusal, SnsInvalidParameter

# Platform codes of the API (GCM is Firebase Cloud Messaging; FCM is accepted as its name too).
PLATFORMS = frozenset(
    {"ADM", "APNS", "APNS_SANDBOX", "BAIDU", "GCM", "FCM", "MACOS", "MACOS_SANDBOX", "MPNS", "WNS"}
)
# Platforms whose credential is a single key (no PlatformPrincipal).
_KEY_ONLY = frozenset({"GCM", "FCM"})
_APP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
CREDENTIALS = frozenset({"PlatformCredential", "PlatformPrincipal"})
APP_ATTRIBUTES = frozenset(
    {
        "Enabled",
        "EventEndpointCreated",
        "EventEndpointDeleted",
        "EventEndpointUpdated",
        "EventDeliveryFailure",
        "SuccessFeedbackRoleArn",
        "FailureFeedbackRoleArn",
        "SuccessFeedbackSampleRate",
        "ApplePlatformTeamID",
        "ApplePlatformBundleID",
    }
)
ENDPOINT_ATTRIBUTES = frozenset({"CustomUserData", "Enabled", "Token"})
MAX_CUSTOM_USER_DATA = 2048  # bytes of UTF-8


def app_arn(region: str, account: str, platform: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:app/{platform}/{name}"


def check_app_arn(arn: str) -> None:
    parameter = "PlatformApplicationArn"
    path = ":".join(split_arn(arn, parameter)[5:]).split("/")
    if len(path) != 3 or path[0] != "app":
        raise SnsInvalidParameter(parameter, Refusal.ARN_SLASHES)


def check_endpoint_arn(arn: str, parameter: str = "EndpointArn") -> None:
    path = ":".join(split_arn(arn, parameter)[5:]).split("/")
    if len(path) != 4 or path[0] != "endpoint":
        raise SnsInvalidParameter(parameter, Refusal.ARN_SLASHES)


def is_endpoint_arn(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 6 and parts[2] == "sns" and ":".join(parts[5:]).startswith("endpoint/")


def endpoint_arn(app: PlatformApp, endpoint_id: str) -> str:
    return (
        f"arn:aws:sns:{app.region}:{app.account}:endpoint/{app.platform}/{app.name}/{endpoint_id}"
    )


def check_app(
    name: str, platform: str, attributes: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Validate CreatePlatformApplication; (attributes to show, credentials to keep)."""
    if not name:
        raise SnsInvalidParameter(name, Refusal.APP_NAME_EMPTY)
    if not _APP_NAME.fullmatch(name):
        too_long = len(name) > 256
        raise SnsInvalidParameter(
            name, Refusal.APP_NAME_TOO_LONG if too_long else Refusal.APP_NAME_CHARACTERS
        )
    if platform not in PLATFORMS:
        raise SnsInvalidParameter("Platform", Refusal.UNSUPPORTED_PLATFORM, platform)
    shown, credentials = split_app_attributes(attributes)
    has_credential = "PlatformCredential" in credentials
    has_principal = "PlatformPrincipal" in credentials
    if has_principal and not has_credential:
        raise SnsInvalidParameter("Attributes", Refusal.PRINCIPAL_WITHOUT_CREDENTIAL)
    if has_credential and not has_principal and platform not in _KEY_ONLY:
        raise SnsInvalidParameter("Attributes", Refusal.CREDENTIAL_WITHOUT_PRINCIPAL)
    return {"Enabled": "true", **shown}, credentials


def split_app_attributes(attributes: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(shown attributes, credentials) of a platform application's attribute map, validated."""
    shown: dict[str, str] = {}
    credentials: dict[str, str] = {}
    for name, value in attributes.items():
        if name in CREDENTIALS:
            credentials[name] = value
            continue
        if name not in APP_ATTRIBUTES:
            raise SnsInvalidParameter("Attributes", Refusal.UNKNOWN_ATTRIBUTE, name)
        if (
            (name == "Enabled" and value not in ("true", "false"))
            or (name == "SuccessFeedbackSampleRate" and (not value.isdigit() or int(value) > 100))
            or (name.startswith("Event") and value and not value.startswith("arn:"))
        ):
            raise SnsInvalidParameter("Attributes", Refusal.ATTRIBUTE_VALUE, name)
        shown[name] = value
    return shown, credentials


def check_endpoint_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    for name, value in attributes.items():
        if name not in ENDPOINT_ATTRIBUTES:
            raise SnsInvalidParameter("Attributes", Refusal.UNKNOWN_ATTRIBUTE, name)
        if (name == "Enabled" and value not in ("true", "false")) or (
            name == "Token" and not value
        ):
            raise SnsInvalidParameter("Attributes", Refusal.ATTRIBUTE_VALUE, name)
        if name == "CustomUserData" and len(value.encode()) > MAX_CUSTOM_USER_DATA:
            raise SnsInvalidParameter(
                "Attributes", Refusal.CUSTOM_USER_DATA_TOO_LONG, str(MAX_CUSTOM_USER_DATA)
            )
    return dict(attributes)


def requested_endpoint(
    token: str, custom_user_data: str | None, attributes: Mapping[str, str]
) -> dict[str, str]:
    """The attributes CreatePlatformEndpoint asks for: Enabled (default true), the token, and
    CustomUserData when given (the Attributes map wins over the parameter)."""
    given = check_endpoint_attributes(attributes)
    out = {"Enabled": "true", "Token": token}
    if custom_user_data is not None:
        out["CustomUserData"] = check_endpoint_attributes({"CustomUserData": custom_user_data})[
            "CustomUserData"
        ]
    out.update(given)
    out["Token"] = token
    return out


def same_endpoint(existing: PlatformEndpoint, requested: Mapping[str, str]) -> bool:
    """Whether CreatePlatformEndpoint may answer ``existing`` (the same token): every attribute
    the request sets has the existing endpoint's value. A request without CustomUserData
    matches whatever CustomUserData the endpoint has."""
    return all(existing.attributes.get(k) == v for k, v in requested.items())
