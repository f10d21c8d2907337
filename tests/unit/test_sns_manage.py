"""SNS management: the pure rules (policy statements, phone numbers, SMS attributes, platform
applications, endpoints, data protection documents) and ``SnsManage`` over the real SQLite
store with a fake clock — what the wire cannot show: opt-outs (AWS sets them from phone
replies), the recorded SMS and push messages, the sandbox OTP, and state across a reopen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from densho.core.clock import FakeClock
from densho.core.errors import DomainError
from densho.core.sns_model import PlatformEndpoint
from densho.core.sqs_model import Attr
from densho.protocol.call import Call
from densho.providers import sns_manage as provider
from densho.providers.context import SnsContext as Context
from densho.providers.errors import to_aws
from densho.sns.engine import SnsEngine
from densho.sns.errors import SnsInvalidParameter, SnsOptedOut, SnsVerificationFailed
from densho.sns.manage import mobile, sms, topic_policy
from densho.sns.manage.engine import SnsManage
from densho.sns.publishing.message import Message
from densho.sns.signing.signer import Signer
from densho.sqs import policy_statements
from densho.sqs.engine import SqsEngine
from densho.storage.sqlite import SqliteStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _message(exc: DomainError) -> str:
    """The error as the wire words it."""
    return to_aws(exc).message


# --- pure rules ---


def test_statements_are_written_as_aws_writes_them() -> None:
    doc: policy_statements.Policy = {"Statement": []}
    policy_statements.grant(doc, "a", ["111122223333"], ["Publish"], "SNS", "arn:t")
    policy_statements.grant(doc, "b", ["1", "2"], ["Publish", "Subscribe"], "SNS", "arn:t")
    assert doc["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert doc["Statement"][0]["Action"] == "SNS:Publish"
    assert doc["Statement"][1]["Principal"] == {
        "AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]
    }
    assert doc["Statement"][1]["Action"] == ["SNS:Publish", "SNS:Subscribe"]
    assert policy_statements.has_label(doc, "b")
    assert policy_statements.revoke(doc, "a") and not policy_statements.revoke(doc, "a")
    assert [s["Sid"] for s in doc["Statement"]] == ["b"]


def test_a_lone_statement_object_is_treated_as_a_list() -> None:
    doc: policy_statements.Policy = {"Statement": {"Sid": "only"}}
    assert policy_statements.has_label(doc, "only")
    assert policy_statements.revoke(doc, "only") and doc["Statement"] == []


def test_add_permission_refusals() -> None:
    base = json.dumps({"Statement": [{"Sid": "x"}]})
    with pytest.raises(SnsInvalidParameter) as info:
        topic_policy.add_permission(base, "x", ["1"], ["Publish"], "arn:t")
    assert _message(info.value) == "Invalid parameter: Statement already exists"
    with pytest.raises(SnsInvalidParameter) as info:
        topic_policy.add_permission(base, "y", ["1"], ["Publish", "ListTopics"], "arn:t")
    assert (
        _message(info.value) == "Invalid parameter: Policy statement action out of service scope!"
    )
    with pytest.raises(SnsInvalidParameter) as info:
        topic_policy.remove_permission(base, "y")
    assert (
        _message(info.value) == "Invalid parameter: Label Reason: No statement with label y exists"
    )
    for action in topic_policy.TOPIC_ACTIONS:
        assert f'"SNS:{action}"' in topic_policy.add_permission(base, "y", ["1"], [action], "arn:t")


def test_data_protection_policy_size_limit() -> None:
    statement = {"DataIdentifier": ["x"], "Operation": {"Audit": {}}}
    fits = json.dumps({"Statement": [statement], "Name": "n" * 30_000})
    topic_policy.check_data_protection_policy(fits)
    with pytest.raises(SnsInvalidParameter) as info:
        topic_policy.check_data_protection_policy(
            json.dumps({"Statement": [statement], "Name": "n" * 30_720})
        )
    assert "at most 30720 characters" in _message(info.value)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+15551234567", True),
        ("15551234567", True),
        ("+447911123456", True),
        ("+123456789012345", True),  # 15 digits: the E.164 maximum
        ("+1234567890123456", False),
        ("+0123456", False),  # country codes never start with 0
        ("+1", False),
        ("+1a234", False),
        ("NAA+15551234567", False),
        ("+1 555 123", False),
        ("", False),
    ],
)
def test_e164(number: str, valid: bool) -> None:
    assert sms.is_e164(number) is valid


@pytest.mark.parametrize(
    ("endpoint", "valid"),
    [
        ("+15551234567", True),
        ("15551234567", True),
        ("+15/55-123.4567", True),  # single separators between digits (moto's accepted case)
        # Refused by AWS (LocalStack snapshots test_subscribe_invalid_sms).
        ("+15--551234567", False),
        ("NAA+15551234567", False),
        ("+15551234567.", False),
        ("/+15551234567", False),
        ("+0123", False),
        ("", False),
    ],
)
def test_sms_subscribe_endpoint(endpoint: str, valid: bool) -> None:
    assert sms.is_sms_endpoint(endpoint) is valid


def test_sms_length_limit() -> None:
    sms.check_sms_length("é" * sms.MAX_SMS_CHARACTERS)  # characters, not bytes
    with pytest.raises(SnsInvalidParameter):
        sms.check_sms_length("a" * (sms.MAX_SMS_CHARACTERS + 1))


def test_sms_message_attributes_are_split_and_checked() -> None:
    plain, settings = sms.split_sms_attributes(
        {
            "AWS.SNS.SMS.SenderID": Attr("String", "Densho"),
            "AWS.SNS.SMS.SMSType": Attr("String", "Promotional"),
            "custom": Attr("Number", "1"),
        }
    )
    assert list(plain) == ["custom"]
    assert settings == {"AWS.SNS.SMS.SenderID": "Densho", "AWS.SNS.SMS.SMSType": "Promotional"}
    with pytest.raises(SnsInvalidParameter) as info:
        sms.split_sms_attributes({"AWS.SNS.SMS.SenderID": Attr("String", "twelve-chars")})
    assert _message(info.value) == (
        "Invalid parameter: MessageAttributes Reason: twelve-chars is not a valid value for "
        "AWS.SNS.SMS.SenderID"
    )


def test_platform_credentials_rules() -> None:
    shown, credentials = mobile.check_app("fcm", "GCM", {"PlatformCredential": "key"})
    assert shown == {"Enabled": "true"} and credentials == {"PlatformCredential": "key"}
    shown, credentials = mobile.check_app(
        "w", "WNS", {"PlatformPrincipal": "sid", "PlatformCredential": "secret", "Enabled": "false"}
    )
    assert shown == {"Enabled": "false"} and set(credentials) == {
        "PlatformPrincipal",
        "PlatformCredential",
    }
    with pytest.raises(SnsInvalidParameter) as info:
        mobile.check_app("a" * 257, "GCM", {})
    assert "must be at most 256 characters long" in _message(info.value)
    with pytest.raises(SnsInvalidParameter) as info:
        mobile.check_app("a", "GCM", {"SuccessFeedbackSampleRate": "101"})
    assert "SuccessFeedbackSampleRate" in _message(info.value)


def test_create_endpoint_matching_rules() -> None:
    requested = mobile.requested_endpoint("t", "param", {"CustomUserData": "attribute"})
    assert requested == {"Enabled": "true", "Token": "t", "CustomUserData": "attribute"}
    existing = PlatformEndpoint(
        "arn", "app", "t", {"Enabled": "true", "Token": "t", "CustomUserData": "u"}, 0
    )
    assert mobile.same_endpoint(existing, mobile.requested_endpoint("t", None, {}))
    assert mobile.same_endpoint(existing, mobile.requested_endpoint("t", "u", {}))
    assert not mobile.same_endpoint(existing, mobile.requested_endpoint("t", "v", {}))
    assert not mobile.same_endpoint(
        existing, mobile.requested_endpoint("t", None, {"Enabled": "false"})
    )


# --- SnsManage over the real store ---

Scenario = Callable[[SnsManage, SqliteStore, FakeClock], Awaitable[None]]


def _open(path: Path, clock: FakeClock) -> tuple[SqliteStore, SnsEngine, SnsManage]:
    store = SqliteStore(path)
    sns = SnsEngine(
        store, SqsEngine(store, clock), clock, lambda: Signer.load_or_create(path.parent)
    )
    return store, sns, SnsManage(store, sns.topics, clock)


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        clock = FakeClock()
        store, _, manager = _open(tmp_path / "t.db", clock)
        await store.open()
        try:
            await scenario(manager, store, clock)
        finally:
            await store.close()

    asyncio.run(main())


def _context(manager: SnsManage, store: SqliteStore, clock: FakeClock) -> Context:
    call = Call("sns", "query", "ListPhoneNumbersOptedOut", {}, REGION, "http://localhost", None)
    topics = SnsEngine(store, SqsEngine(store, clock), clock, lambda: Signer.load_or_create(Path()))
    return Context(topics, ACCOUNT, call, manager)


def test_opt_outs_are_listed_in_pages_and_opted_in(tmp_path: Path) -> None:
    async def scenario(manager: SnsManage, store: SqliteStore, clock: FakeClock) -> None:
        numbers = [f"+1555000{i:04d}" for i in range(150)]
        for number in numbers:
            await manager.opt_out(ACCOUNT, REGION, number)
        await manager.opt_out(ACCOUNT, "eu-west-1", "+15559999999")  # another region's list
        assert await manager.is_opted_out(ACCOUNT, REGION, numbers[3])
        assert not await manager.is_opted_out(ACCOUNT, REGION, "+15559999999")
        ctx = _context(manager, store, clock)
        first = await provider.list_phone_numbers_opted_out(ctx, {})
        assert first["phoneNumbers"] == numbers[:100] and first["nextToken"]
        second = await provider.list_phone_numbers_opted_out(ctx, {"nextToken": first["nextToken"]})
        assert second == {"phoneNumbers": numbers[100:]}
        await manager.opt_in(ACCOUNT, REGION, numbers[3])
        assert not await manager.is_opted_out(ACCOUNT, REGION, numbers[3])
        assert numbers[3] not in await manager.opted_out(ACCOUNT, REGION)
        with pytest.raises(SnsOptedOut):
            await manager.create_sandbox_number(ACCOUNT, REGION, numbers[4], "en-US")

    run(tmp_path, scenario)


def test_sandbox_number_is_verified_with_the_recorded_code(tmp_path: Path) -> None:
    async def scenario(manager: SnsManage, store: SqliteStore, clock: FakeClock) -> None:
        phone = "+15550101010"
        await manager.create_sandbox_number(ACCOUNT, REGION, phone, "en-US")
        (otp_sms,) = await store.recorded(protocol="sms", endpoint=phone)
        stored = await store.get_sandbox_number(ACCOUNT, REGION, phone)
        assert stored is not None and stored.status == sms.SANDBOX_PENDING
        assert otp_sms.delivery.payload == sms.otp_message(stored.otp)
        assert len(stored.otp) == sms.OTP_DIGITS and stored.otp.isdigit()
        with pytest.raises(SnsVerificationFailed):
            await manager.verify_sandbox_number(ACCOUNT, REGION, phone, "not-it")
        await manager.verify_sandbox_number(ACCOUNT, REGION, phone, stored.otp)
        (number,) = await manager.sandbox_numbers(ACCOUNT, REGION)
        assert number.status == sms.SANDBOX_VERIFIED
        # Adding a verified number again keeps it verified and sends no new code.
        await manager.create_sandbox_number(ACCOUNT, REGION, phone, "en-US")
        assert len(await store.recorded(protocol="sms", endpoint=phone)) == 1
        await manager.verify_sandbox_number(ACCOUNT, REGION, phone, "anything")  # idempotent

    run(tmp_path, scenario)


def test_direct_publishes_are_recorded_not_sent(tmp_path: Path) -> None:
    async def scenario(manager: SnsManage, store: SqliteStore, clock: FakeClock) -> None:
        message_id = await manager.publish_to_phone(
            ACCOUNT, REGION, "+15550202020", Message("hello phone")
        )
        (recorded,) = await store.recorded(protocol="sms", endpoint="+15550202020")
        assert recorded.delivery.message_id == message_id
        assert recorded.delivery.payload == "hello phone"
        assert recorded.delivery.created_ms == clock.now_ms()

        await manager.opt_out(ACCOUNT, REGION, "+15550303030")
        await manager.publish_to_phone(ACCOUNT, REGION, "+15550303030", Message("not sent"))
        assert await store.recorded(protocol="sms", endpoint="+15550303030") == []

        app = await manager.create_platform_app(
            ACCOUNT, REGION, "droid", "GCM", {"PlatformCredential": "k"}
        )
        endpoint = await manager.create_endpoint(app.arn, "device", None, {})
        payload = json.dumps({"default": "plain", "GCM": '{"data":{"k":"v"}}'})
        push_id = await manager.publish_to_endpoint(
            endpoint.arn, Message(payload, subject="s", structure="json")
        )
        (push,) = await store.recorded(protocol="application", endpoint=endpoint.arn)
        assert push.delivery.message_id == push_id
        assert push.delivery.payload == '{"data":{"k":"v"}}'  # the platform's own text
        assert push.delivery.subject == "s"

    run(tmp_path, scenario)


def test_management_state_survives_a_reopen(tmp_path: Path) -> None:
    async def main() -> None:
        clock = FakeClock()
        store, _, manager = _open(tmp_path / "t.db", clock)
        await store.open()
        app = await manager.create_platform_app(
            ACCOUNT,
            REGION,
            "apple",
            "APNS_SANDBOX",
            {"PlatformPrincipal": "cert", "PlatformCredential": "key"},
        )
        endpoint = await manager.create_endpoint(app.arn, "tok", "data", {})
        await manager.set_sms_attributes(ACCOUNT, REGION, {"DefaultSMSType": "Transactional"})
        await manager.opt_out(ACCOUNT, REGION, "+15550404040")
        await store.close()

        store, _, manager = _open(tmp_path / "t.db", clock)
        await store.open()
        try:
            again = await manager.platform_app(app.arn)
            assert again.credentials == {"PlatformPrincipal": "cert", "PlatformCredential": "key"}
            assert again.attributes == {"Enabled": "true"}
            assert (await manager.endpoint(endpoint.arn)).attributes == {
                "Enabled": "true",
                "Token": "tok",
                "CustomUserData": "data",
            }
            assert (await manager.sms_attributes(ACCOUNT, REGION, None))["DefaultSMSType"] == (
                "Transactional"
            )
            assert await manager.opted_out(ACCOUNT, REGION) == ["+15550404040"]
        finally:
            await store.close()

    asyncio.run(main())
