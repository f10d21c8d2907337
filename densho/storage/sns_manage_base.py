"""The store of SNS management — mobile push applications and endpoints, account SMS settings,
opted-out numbers and SMS sandbox numbers — each operation written once for both backends.

Owns: the operations and each one's atomicity promise (every call is one atomic job).
Must not know: SNS rules (which attributes are valid, when an endpoint is "the same"); the
engine (``densho.sns.manage_engine``) decides, storage applies.

Accounts' SMS state is kept per account and region, as AWS keeps it. Times are epoch
milliseconds passed in by the caller.
"""

from __future__ import annotations

from dataclasses import asdict

from densho.core.sns_model import PlatformApp, PlatformEndpoint, SandboxNumber
from densho.storage.rows import app_from_row, dumps, endpoint_from_row
from densho.storage.sns_base import SnsStore
from densho.storage.tx import Tx


class SnsManageStore(SnsStore):
    """The SNS store with the management methods (``SnsStore.publish`` also keeps the
    recorded deliveries of a direct publish)."""

    # --- platform applications ---

    async def put_platform_app(self, app: PlatformApp) -> PlatformApp:
        """Insert the application, or replace the attributes and credentials of the one with
        its ARN (keeping its endpoints and creation time); the stored application."""
        args = {
            **asdict(app),
            "attributes": dumps(app.attributes),
            "credentials": dumps(app.credentials),
        }
        stored = await self._record("sns_app_upsert", args, app_from_row)
        assert stored is not None
        return stored

    async def get_platform_app(self, arn: str) -> PlatformApp | None:
        return await self._record("sns_app_get", {"arn": arn}, app_from_row)

    async def list_platform_apps(self, account: str, region: str) -> list[PlatformApp]:
        """Ordered by ARN."""
        args = {"account": account, "region": region}
        return await self._records("sns_app_list", args, app_from_row)

    async def update_platform_app(
        self, arn: str, attributes: dict[str, str], credentials: dict[str, str]
    ) -> PlatformApp | None:
        """Replace its attributes and credentials; None when it is gone."""
        args = {"arn": arn, "attributes": dumps(attributes), "credentials": dumps(credentials)}
        return await self._record("sns_app_update", args, app_from_row)

    async def delete_platform_app(self, arn: str) -> None:
        """Delete the application and all its endpoints (a missing one is no error)."""

        async def op(tx: Tx) -> None:
            await tx.execute("sns_app_delete", {"arn": arn})
            await tx.execute("sns_app_endpoints_delete", {"arn": arn})

        await self._tx(op)

    # --- platform endpoints ---

    async def create_endpoint(self, endpoint: PlatformEndpoint) -> tuple[PlatformEndpoint, bool]:
        """Insert the endpoint unless its application already has one with the same token;
        then answer that one (created=False). Fails if the application is gone."""
        args = {**asdict(endpoint), "attributes": dumps(endpoint.attributes)}

        async def op(tx: Tx) -> tuple[PlatformEndpoint, bool]:
            # The application's existence and the token's uniqueness are checked in the same
            # transaction as the insert, the application's row held on PostgreSQL, so a
            # concurrent delete or create (another node) cannot slip between.
            if await tx.fetchone("sns_app_lock", args) is None:
                raise LookupError(endpoint.app_arn)
            row = await tx.fetchone("sns_endpoint_by_token", args)
            if row is not None:
                return endpoint_from_row(row), False
            await tx.execute("sns_endpoint_insert", args)
            return endpoint, True

        return await self._tx(op)

    async def get_endpoint(self, arn: str) -> PlatformEndpoint | None:
        return await self._record("sns_endpoint_get", {"arn": arn}, endpoint_from_row)

    async def list_endpoints(self, app_arn: str) -> list[PlatformEndpoint]:
        """The application's endpoints, ordered by ARN."""
        return await self._records("sns_endpoint_list", {"app_arn": app_arn}, endpoint_from_row)

    async def update_endpoint(
        self, arn: str, attributes: dict[str, str]
    ) -> PlatformEndpoint | None:
        """Replace its attributes (its token follows ``attributes["Token"]``); None when gone."""
        args = {"arn": arn, "attributes": dumps(attributes), "token": attributes.get("Token", "")}
        return await self._record("sns_endpoint_update", args, endpoint_from_row)

    async def delete_endpoint(self, arn: str) -> None:
        await self._one(lambda tx: tx.execute("sns_endpoint_delete", {"arn": arn}))

    # --- SMS settings and phone numbers ---

    async def sms_attributes(self, account: str, region: str) -> dict[str, str]:
        args = {"account": account, "region": region}
        return dict(await self._records("sns_sms_attributes", args, tuple))

    async def set_sms_attributes(self, account: str, region: str, values: dict[str, str]) -> None:
        """Set each value; an empty value removes that attribute."""

        async def op(tx: Tx) -> None:
            for name, value in values.items():
                args = {"account": account, "region": region, "name": name, "value": value}
                await tx.execute(
                    "sns_sms_attribute_set" if value else "sns_sms_attribute_delete", args
                )

        await self._tx(op)

    async def is_opted_out(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}
        return await self._record("sns_opted_out_find", args, bool) is not None

    async def opted_out(self, account: str, region: str) -> list[str]:
        """The opted-out numbers, ordered."""
        args = {"account": account, "region": region}
        return await self._records("sns_opted_out_list", args, lambda row: str(row[0]))

    async def opt_out(self, account: str, region: str, phone: str, now_ms: int) -> None:
        args = {"account": account, "region": region, "phone": phone, "now": now_ms}
        await self._one(lambda tx: tx.execute("sns_opt_out", args))

    async def opt_in(self, account: str, region: str, phone: str) -> bool:
        """Remove the number from the opted-out list; whether it was there."""
        args = {"account": account, "region": region, "phone": phone}

        async def op(tx: Tx) -> bool:
            return await tx.execute("sns_opt_in", args) == 1

        return await self._one(op)

    async def put_sandbox_number(self, account: str, region: str, number: SandboxNumber) -> None:
        """Insert or replace the account's sandbox entry for ``number.phone``."""
        args = {"account": account, "region": region, **asdict(number)}
        await self._one(lambda tx: tx.execute("sns_sandbox_put", args))

    async def get_sandbox_number(
        self, account: str, region: str, phone: str
    ) -> SandboxNumber | None:
        args = {"account": account, "region": region, "phone": phone}
        return await self._record("sns_sandbox_get", args, lambda row: SandboxNumber(*row))

    async def sandbox_numbers(self, account: str, region: str) -> list[SandboxNumber]:
        """Ordered by phone number."""
        args = {"account": account, "region": region}
        return await self._records("sns_sandbox_list", args, lambda row: SandboxNumber(*row))

    async def delete_sandbox_number(self, account: str, region: str, phone: str) -> bool:
        """Whether there was one."""
        args = {"account": account, "region": region, "phone": phone}

        async def op(tx: Tx) -> bool:
            return await tx.execute("sns_sandbox_delete", args) == 1

        return await self._one(op)
