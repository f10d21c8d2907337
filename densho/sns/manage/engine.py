"""SNS management semantics: topic permissions and data protection policies, mobile push
applications and endpoints, account SMS settings, opt-outs, the SMS sandbox, and Publish
straight to a phone number or a platform endpoint.

Owns: applying the rules of ``topic_policy`` / ``mobile`` / ``sms`` to stored state, and
what a direct publish leaves behind: nothing is ever sent to a phone or a push service; each
accepted SMS or push message is recorded (``record_direct_publish``) where users read recorded
deliveries. Topic state goes through ``densho.sns.topics`` (its caches stay right); the rest
lives in the ``SnsManageStore``. Time comes from the injected ``Clock``.
Must not know: HTTP, botocore, wire dict shapes, SQL.

Data protection policies are stored and returned verbatim (after the basic checks); they are
not enforced on Publish (no audit, de-identification or deny).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from densho.core.clock import Clock
from densho.core.ids import uuid4
from densho.core.sns_model import (
    PlatformApp,
    PlatformEndpoint,
    PublishItem,
    Recorded,
    SandboxNumber,
)
from densho.sns import attributes as sattrs
from densho.sns import envelope
from densho.sns.errors import (
    EndpointNotFound,
    PlatformApplicationNotFound,
    Refusal,
    SnsEndpointDisabled,
    SnsInvalidParameter,
    SnsOptedOut,
    SnsPlatformApplicationDisabled,
    SnsResourceNotFound,
    SnsVerificationFailed,
)
from densho.sns.manage import mobile, sms, topic_policy
from densho.sns.publishing.message import Message, check
from densho.sns.topics import Topics
from densho.storage.sns_manage_base import SnsManageStore

log = logging.getLogger(__name__)

SANDBOX_STATUS_IN_SANDBOX = False  # densho is out of the SMS sandbox (see densho.sns.sms)


class SnsManage:
    def __init__(self, store: SnsManageStore, topics: Topics, clock: Clock) -> None:
        self._store = store
        self._topics = topics
        self._clock = clock

    # --- topic permissions and data protection ---

    async def add_permission(
        self, arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]
    ) -> None:
        view = await self._topics.get(arn)
        topic = view.topic
        policy = topic_policy.add_permission(
            topic.attributes.get("Policy") or sattrs.default_policy(topic.arn, topic.account),
            label,
            accounts,
            actions,
            topic.arn,
        )
        await self._topics.store_attributes(view, {**topic.attributes, "Policy": policy})

    async def remove_permission(self, arn: str, label: str) -> None:
        view = await self._topics.get(arn)
        topic = view.topic
        policy = topic_policy.remove_permission(
            topic.attributes.get("Policy") or sattrs.default_policy(topic.arn, topic.account),
            label,
        )
        await self._topics.store_attributes(view, {**topic.attributes, "Policy": policy})

    async def data_protection_policy(self, arn: str) -> str:
        view = await self._topics.get(arn)
        return view.topic.attributes.get("DataProtectionPolicy", "")

    async def put_data_protection_policy(self, arn: str, policy: str) -> None:
        view = await self._topics.get(arn)
        merged = dict(view.topic.attributes)
        if policy:
            topic_policy.check_data_protection_policy(policy)
            merged["DataProtectionPolicy"] = policy
        else:  # an empty document removes the policy
            merged.pop("DataProtectionPolicy", None)
        await self._topics.store_attributes(view, merged)

    # --- SMS settings and opt-outs ---

    async def sms_attributes(
        self, account: str, region: str, names: list[str] | None
    ) -> dict[str, str]:
        return sms.select_sms_attributes(await self._store.sms_attributes(account, region), names)

    async def set_sms_attributes(self, account: str, region: str, given: Mapping[str, str]) -> None:
        await self._store.set_sms_attributes(account, region, sms.check_sms_attributes(given))

    async def is_opted_out(self, account: str, region: str, phone: str) -> bool:
        sms.check_number(phone)
        return await self._store.is_opted_out(account, region, phone)

    async def opted_out(self, account: str, region: str) -> list[str]:
        return await self._store.opted_out(account, region)

    async def opt_in(self, account: str, region: str, phone: str) -> None:
        sms.check_number(phone)
        await self._store.opt_in(account, region, phone)

    async def opt_out(self, account: str, region: str, phone: str) -> None:
        """What a STOP reply from the phone does on AWS; densho has no phones, so tests and
        operators call this to put a number on the opted-out list."""
        sms.check_number(phone)
        await self._store.opt_out(account, region, phone, self._clock.now_ms())

    # --- the SMS sandbox (densho is out of it; the number list still works) ---

    @staticmethod
    def in_sandbox() -> bool:
        return SANDBOX_STATUS_IN_SANDBOX

    async def create_sandbox_number(
        self, account: str, region: str, phone: str, language: str
    ) -> None:
        sms.check_number(phone)
        if await self._store.is_opted_out(account, region, phone):
            raise SnsOptedOut()
        existing = await self._store.get_sandbox_number(account, region, phone)
        if existing is not None and existing.status == sms.SANDBOX_VERIFIED:
            return
        otp = sms.new_otp()
        now = self._clock.now_ms()
        await self._store.put_sandbox_number(
            account, region, SandboxNumber(phone, sms.SANDBOX_PENDING, otp, language, now)
        )
        # The verification SMS AWS would send: recorded, so the code can be read back.
        await self.record_direct_publish("sms", phone, uuid4(), sms.otp_message(otp), None, now)

    async def verify_sandbox_number(self, account: str, region: str, phone: str, otp: str) -> None:
        number = await self._store.get_sandbox_number(account, region, phone)
        if number is None:
            raise SnsResourceNotFound()
        if number.status == sms.SANDBOX_VERIFIED:
            return
        if otp != number.otp:
            raise SnsVerificationFailed()
        await self._store.put_sandbox_number(
            account, region, replace(number, status=sms.SANDBOX_VERIFIED)
        )

    async def delete_sandbox_number(self, account: str, region: str, phone: str) -> None:
        if not await self._store.delete_sandbox_number(account, region, phone):
            raise SnsResourceNotFound()

    async def sandbox_numbers(self, account: str, region: str) -> list[SandboxNumber]:
        return await self._store.sandbox_numbers(account, region)

    # --- platform applications ---

    async def create_platform_app(
        self, account: str, region: str, name: str, platform: str, attributes: Mapping[str, str]
    ) -> PlatformApp:
        shown, credentials = mobile.check_app(name, platform, attributes)
        arn = mobile.app_arn(region, account, platform, name)
        app = PlatformApp(
            arn, account, region, name, platform, shown, credentials, self._clock.now_ms()
        )
        return await self._store.put_platform_app(app)

    async def platform_app(self, arn: str) -> PlatformApp:
        mobile.check_app_arn(arn)
        app = await self._store.get_platform_app(arn)
        if app is None:
            raise PlatformApplicationNotFound()
        return app

    async def set_platform_app_attributes(self, arn: str, attributes: Mapping[str, str]) -> None:
        app = await self.platform_app(arn)
        shown, credentials = mobile.split_app_attributes(attributes)
        merged_credentials = {**app.credentials, **credentials}
        if "PlatformPrincipal" in credentials and "PlatformCredential" not in merged_credentials:
            raise SnsInvalidParameter("Attributes", Refusal.PRINCIPAL_WITHOUT_CREDENTIAL)
        updated = await self._store.update_platform_app(
            arn, {**app.attributes, **shown}, merged_credentials
        )
        if updated is None:
            raise PlatformApplicationNotFound()

    async def platform_apps(self, account: str, region: str) -> list[PlatformApp]:
        return await self._store.list_platform_apps(account, region)

    async def delete_platform_app(self, arn: str) -> None:
        mobile.check_app_arn(arn)
        await self._store.delete_platform_app(arn)  # idempotent, as on AWS

    # --- platform endpoints ---

    async def create_endpoint(
        self,
        app_arn: str,
        token: str,
        custom_user_data: str | None,
        attributes: Mapping[str, str],
    ) -> PlatformEndpoint:
        app = await self.platform_app(app_arn)
        requested = mobile.requested_endpoint(token, custom_user_data, attributes)
        candidate = PlatformEndpoint(
            arn=mobile.endpoint_arn(app, uuid4()),
            app_arn=app.arn,
            token=token,
            attributes=requested,
            created_ms=self._clock.now_ms(),
        )
        try:
            endpoint, created = await self._store.create_endpoint(candidate)
        except LookupError:  # the application was deleted meanwhile
            raise PlatformApplicationNotFound() from None
        if not created and not mobile.same_endpoint(endpoint, requested):
            raise SnsInvalidParameter("Token", Refusal.ENDPOINT_EXISTS, endpoint.arn)
        return endpoint

    async def endpoint(self, arn: str) -> PlatformEndpoint:
        mobile.check_endpoint_arn(arn)
        endpoint = await self._store.get_endpoint(arn)
        if endpoint is None:
            raise EndpointNotFound()
        return endpoint

    async def set_endpoint_attributes(self, arn: str, attributes: Mapping[str, str]) -> None:
        endpoint = await self.endpoint(arn)
        merged = {**endpoint.attributes, **mobile.check_endpoint_attributes(attributes)}
        if await self._store.update_endpoint(arn, merged) is None:
            raise EndpointNotFound()

    async def endpoints(self, app_arn: str) -> list[PlatformEndpoint]:
        app = await self.platform_app(app_arn)
        return await self._store.list_endpoints(app.arn)

    async def delete_endpoint(self, arn: str) -> None:
        mobile.check_endpoint_arn(arn)
        await self._store.delete_endpoint(arn)  # idempotent, as on AWS

    # --- Publish to a phone number or a platform endpoint ---

    async def publish_to_phone(
        self, account: str, region: str, phone: str, message: Message
    ) -> str:
        """Validate a Publish with PhoneNumber and record the SMS; its MessageId."""
        sms.check_publish_number(phone)
        plain, _settings = sms.split_sms_attributes(message.attributes)
        checked = check(replace(message, attributes=plain), fifo=False, content_dedup=False)
        text = checked.text_for("sms")
        sms.check_sms_length(text)
        message_id = uuid4()
        if await self._store.is_opted_out(account, region, phone):
            # Accepted, as AWS accepts it; an opted-out phone receives nothing.
            log.info("SMS to opted-out %s not recorded", phone)
            return message_id
        await self.record_direct_publish("sms", phone, message_id, text, None, self._clock.now_ms())
        return message_id

    async def publish_to_endpoint(self, arn: str, message: Message) -> str:
        """Validate a Publish with TargetArn = a platform endpoint and record the push message;
        its MessageId."""
        mobile.check_endpoint_arn(arn, "TargetArn")
        endpoint = await self._store.get_endpoint(arn)
        if endpoint is None:
            raise SnsInvalidParameter("TargetArn", Refusal.NO_SUCH_ENDPOINT)
        app = await self._store.get_platform_app(endpoint.app_arn)
        if app is not None and not app.enabled:
            raise SnsPlatformApplicationDisabled()
        if not endpoint.enabled:
            raise SnsEndpointDisabled()
        platform = app.platform if app is not None else "default"
        text = _push_text(message, platform)
        message_id = uuid4()
        await self.record_direct_publish(
            "application", arn, message_id, text, message.subject, self._clock.now_ms()
        )
        return message_id

    # ------------------------------------------------------------------------------------
    # record_direct_publish: the one place a direct publish (and a sandbox OTP) is recorded.
    # It writes a ``Recorded`` delivery through ``SnsStore.publish`` (a publish item with no
    # deliveries, only the recorded one), the job that keeps the recorded-deliveries log of
    # densho.sns.outbox, so GET /_densho/sns/recorded shows it next to topic deliveries.
    # ------------------------------------------------------------------------------------
    async def record_direct_publish(
        self,
        protocol: str,
        target: str,
        message_id: str,
        payload: str,
        subject: str | None,
        now_ms: int,
    ) -> None:
        recorded = Recorded(
            protocol=protocol,
            endpoint=target,
            topic_arn="",
            subscription_arn="",
            kind=envelope.NOTIFICATION,
            message_id=message_id,
            payload=payload,
            created_ms=now_ms,
            subject=subject,
        )
        await self._store.publish("", [PublishItem(message_id, None, None, recorded=[recorded])])


def _push_text(message: Message, platform: str) -> str:
    """The text a push message to ``platform`` carries. With MessageStructure=json the
    platform's key (or "default") is used; a direct publish may omit "default" when the
    platform's own key is there."""
    if message.structure != "json":
        check(message, fifo=False, content_dedup=False)
        return message.message
    try:
        doc = json.loads(message.message)
    except ValueError:
        raise SnsInvalidParameter("Message", Refusal.STRUCTURE_NOT_JSON) from None
    if isinstance(doc, dict) and platform in doc and "default" not in doc:
        doc = {**doc, "default": doc[platform]}
    checked = check(replace(message, message=json.dumps(doc)), fifo=False, content_dedup=False)
    return checked.text_for(platform)
