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
from densho.sns.errors import SnsInvalidParameter

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


def _resource(arn: str, parameter: str) -> list[str]:
    parts = arn.split(":")
    if len(parts) < 6:
        raise SnsInvalidParameter(
            f"{parameter} Reason: An ARN must have at least 6 elements, not {len(parts)}"
        )
    if parts[0] != "arn" or parts[2] != "sns":
        raise SnsInvalidParameter(parameter)
    return ":".join(parts[5:]).split("/")


def check_app_arn(arn: str) -> None:
    path = _resource(arn, "PlatformApplicationArn")
    if len(path) != 3 or path[0] != "app":
        raise SnsInvalidParameter(
            "PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN."
        )


def check_endpoint_arn(arn: str, parameter: str = "EndpointArn") -> None:
    path = _resource(arn, parameter)
    if len(path) != 4 or path[0] != "endpoint":
        raise SnsInvalidParameter(
            f"{parameter} Reason: Wrong number of slashes in relative portion of the ARN."
        )


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
    if not _APP_NAME.fullmatch(name):
        reason = (
            "must be at most 256 characters long"
            if len(name) > 256
            else "must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"
        )
        raise SnsInvalidParameter(f"{name} Reason: {reason}")
    if platform not in PLATFORMS:
        raise SnsInvalidParameter(f"Platform Reason: {platform} is not supported")
    shown, credentials = split_app_attributes(attributes)
    has_credential = "PlatformCredential" in credentials
    has_principal = "PlatformPrincipal" in credentials
    if has_principal and not has_credential:
        raise SnsInvalidParameter(
            "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"
        )
    if has_credential and not has_principal and platform not in _KEY_ONLY:
        raise SnsInvalidParameter(
            "Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"
        )
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
            raise SnsInvalidParameter(f"Attributes Reason: Invalid attribute name: {name}")
        if name == "Enabled" and value not in ("true", "false"):
            raise SnsInvalidParameter("Attributes Reason: Invalid value for attribute: Enabled")
        if name == "SuccessFeedbackSampleRate" and (not value.isdigit() or int(value) > 100):
            raise SnsInvalidParameter(
                "Attributes Reason: Invalid value for attribute: SuccessFeedbackSampleRate"
            )
        if name.startswith("Event") and value and not value.startswith("arn:"):
            raise SnsInvalidParameter(f"Attributes Reason: Invalid value for attribute: {name}")
        shown[name] = value
    return shown, credentials


def check_endpoint_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    for name, value in attributes.items():
        if name not in ENDPOINT_ATTRIBUTES:
            raise SnsInvalidParameter(f"Attributes Reason: Invalid attribute name: {name}")
        if name == "Enabled" and value not in ("true", "false"):
            raise SnsInvalidParameter("Attributes Reason: Invalid value for attribute: Enabled")
        if name == "CustomUserData" and len(value.encode()) > MAX_CUSTOM_USER_DATA:
            raise SnsInvalidParameter(
                "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most "
                "2048 bytes long in UTF-8 encoding"
            )
        if name == "Token" and not value:
            raise SnsInvalidParameter("Attributes Reason: Invalid value for attribute: Token")
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
