"""SMS management rules: phone numbers, account SMS attributes, the SMS sandbox, and what one
Publish to a phone number carries.

Owns: E.164 validation (and the refusals of Publish and of the opt-out actions), which
endpoints Subscribe takes for the sms protocol, the 1,600-character limit of one SMS Publish,
the SMS attribute names and their values, the sandbox destination numbers' states and one-time
passwords, and the reserved ``AWS.SNS.SMS.*`` / ``AWS.MM.SMS.*`` message attributes of an SMS.
Must not know: storage, the wire.

densho is out of the SMS sandbox: ``GetSMSSandboxAccountStatus`` answers ``IsInSandbox`` false
and Publish to any valid, opted-in number is accepted (and recorded, never sent). The sandbox
number actions still work as AWS's do, so code that manages them runs unchanged.

Source: the SNS API Reference (SetSMSAttributes, CheckIfPhoneNumberIsOptedOut,
CreateSMSSandboxPhoneNumber, VerifySMSSandboxPhoneNumber) and the Developer Guide's
"Publishing to a mobile phone" (message attributes).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from densho.core.sqs_model import Attr
from densho.sns.errors import Refusal, SnsInvalidParameter

# E.164: an optional "+", a country code that does not start with 0, at most 15 digits.
_E164 = re.compile(r"\+?[1-9][0-9]{1,14}")
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")
SMS_TYPES = ("Promotional", "Transactional")
SMS_ATTRIBUTES = frozenset(
    {
        "MonthlySpendLimit",
        "DeliveryStatusIAMRole",
        "DeliveryStatusSuccessSamplingRate",
        "DefaultSenderID",
        "DefaultSMSType",
        "UsageReportS3Bucket",
    }
)
# What GetSMSAttributes shows for an account that never set anything: the default $1 limit.
DEFAULT_SMS_ATTRIBUTES = {"MonthlySpendLimit": "1"}
# Reserved message attributes of an SMS publish (Developer Guide, "Publishing to a mobile phone").
SMS_MESSAGE_ATTRIBUTES = frozenset(
    {
        "AWS.SNS.SMS.SenderID",
        "AWS.SNS.SMS.SMSType",
        "AWS.SNS.SMS.MaxPrice",
        "AWS.MM.SMS.OriginationNumber",
        "AWS.MM.SMS.EntityId",
        "AWS.MM.SMS.TemplateId",
    }
)
SANDBOX_PENDING = "Pending"
SANDBOX_VERIFIED = "Verified"
OTP_DIGITS = 6
MAX_SMS_CHARACTERS = 1600
MAX_SANDBOX_PAGE = 100
MAX_ORIGINATION_PAGE = 30


def is_e164(number: str) -> bool:
    return _E164.fullmatch(number) is not None


# A Subscribe endpoint may separate its digits with single ".", "/" or "-": AWS refuses
# +15--551234567, +15551234567., /+15551234567 and NAA+15551234567 (LocalStack's snapshots,
# recorded against AWS); moto's tests accept +15/55-123.4567 (not verified against AWS).
_SMS_SEPARATED = re.compile(r"\+?[0-9]+([./-][0-9]+)*")


def is_sms_endpoint(endpoint: str) -> bool:
    """Whether Subscribe takes ``endpoint`` for the sms protocol: E.164 once single separators
    between digits are removed."""
    return _SMS_SEPARATED.fullmatch(endpoint) is not None and is_e164(
        re.sub(r"[./-]", "", endpoint)
    )


def check_publish_number(number: str) -> None:
    if not is_e164(number):
        raise SnsInvalidParameter("PhoneNumber", Refusal.PHONE_NUMBER_NOT_PUBLISHABLE, number)


def check_sms_length(text: str) -> None:
    """ "The total size limit for a single SMS Publish action is 1,600 characters" (Publish)."""
    if len(text) > MAX_SMS_CHARACTERS:
        raise SnsInvalidParameter("Message", Refusal.SMS_TOO_LONG, str(MAX_SMS_CHARACTERS))


def check_number(number: str) -> None:
    """The opt-out and sandbox actions' refusal of a number that is not E.164."""
    if not is_e164(number):
        raise SnsInvalidParameter("PhoneNumber", Refusal.PHONE_NUMBER_FORMAT)


def check_sms_attributes(given: Mapping[str, str]) -> dict[str, str]:
    """Validate SetSMSAttributes' map; the values to store ("" removes an attribute)."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if name not in SMS_ATTRIBUTES:
            raise SnsInvalidParameter(name, Refusal.NOT_SMS_ATTRIBUTE)
        if value == "":
            out[name] = value
            continue
        # AWS words a refused DefaultSMSType "DefaultSMSType is invalid"; densho words the
        # other refused values the same way.
        if (
            (name == "DefaultSMSType" and value not in SMS_TYPES)
            or (name == "DefaultSenderID" and not _SENDER_ID.fullmatch(value))
            or (
                name == "DeliveryStatusSuccessSamplingRate"
                and (not value.isdigit() or int(value) > 100)
            )
            or (name == "MonthlySpendLimit" and not value.isdigit())
        ):
            raise SnsInvalidParameter(name, Refusal.SMS_ATTRIBUTE_VALUE)
        out[name] = value
    return out


def select_sms_attributes(stored: Mapping[str, str], names: list[str] | None) -> dict[str, str]:
    """GetSMSAttributes: the defaults overlaid with what was set, filtered to ``names``."""
    merged = {**DEFAULT_SMS_ATTRIBUTES, **stored}
    if not names:
        return merged
    return {k: v for k, v in merged.items() if k in names}


def split_sms_attributes(attrs: Mapping[str, Attr]) -> tuple[dict[str, Attr], dict[str, str]]:
    """(the ordinary message attributes, the reserved SMS settings) of an SMS publish; the
    settings are checked as AWS does (SMSType, SenderID)."""
    plain: dict[str, Attr] = {}
    settings: dict[str, str] = {}
    for name, attr in attrs.items():
        if name not in SMS_MESSAGE_ATTRIBUTES:
            plain[name] = attr
            continue
        value = attr.string_value or ""
        if (name == "AWS.SNS.SMS.SMSType" and value not in SMS_TYPES) or (
            name == "AWS.SNS.SMS.SenderID" and not _SENDER_ID.fullmatch(value)
        ):
            raise SnsInvalidParameter(name, Refusal.SMS_SETTING, value)
        settings[name] = value
    return plain, settings


def new_otp() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(OTP_DIGITS))


def otp_message(otp: str) -> str:
    """The text of the verification SMS CreateSMSSandboxPhoneNumber sends (recorded)."""
    return f"Your Amazon SNS verification code is: {otp}"
