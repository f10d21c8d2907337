"""SNS management on the PostgreSQL store (``SnsManageStore``), mixed into ``PostgresStore``.

Owns: mobile push applications and endpoints, account SMS settings, opted-out numbers and
sandbox numbers on PostgreSQL, each method one transaction (or one statement). Creating an
endpoint locks its application's row, so the existence check, the token lookup and the insert
hold against concurrent writers on other nodes.
Must not know: SNS rules beyond the ``SnsManageStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from densho.core.sns_model import PlatformApp, PlatformEndpoint, SandboxNumber
from densho.storage import sql
from densho.storage.postgres_sql import compile_all
from densho.storage.rows import app_from_row, dumps, endpoint_from_row, sandbox_from_row

if TYPE_CHECKING:
    from densho.storage.postgres_sql import Db

_M = compile_all(sql.queries("sns_manage.sql", "pg_sns_manage.sql"))


class PgSnsManage:
    """The ``SnsManageStore`` methods; the class using it provides ``db`` (``PostgresStore``)."""

    if TYPE_CHECKING:

        @property
        def db(self) -> Db:
            raise NotImplementedError

    # --- platform applications ---

    async def put_platform_app(self, app: PlatformApp) -> PlatformApp:
        args = {
            "arn": app.arn,
            "account": app.account,
            "region": app.region,
            "name": app.name,
            "platform": app.platform,
            "attributes": dumps(app.attributes),
            "credentials": dumps(app.credentials),
            "created_ms": app.created_ms,
        }
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_app_upsert"], args)
        assert row is not None
        return app_from_row(tuple(row))

    async def get_platform_app(self, arn: str) -> PlatformApp | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_app_get"], {"arn": arn})
        return None if row is None else app_from_row(tuple(row))

    async def list_platform_apps(self, account: str, region: str) -> list[PlatformApp]:
        args = {"account": account, "region": region}
        async with self.db.one() as c:
            return [app_from_row(tuple(r)) for r in await c.fetch(_M["sns_app_list"], args)]

    async def update_platform_app(
        self, arn: str, attributes: dict[str, str], credentials: dict[str, str]
    ) -> PlatformApp | None:
        args = {"arn": arn, "attributes": dumps(attributes), "credentials": dumps(credentials)}
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_app_update"], args)
        return None if row is None else app_from_row(tuple(row))

    async def delete_platform_app(self, arn: str) -> None:
        async with self.db.tx() as c:
            await c.execute(_M["sns_app_delete"], {"arn": arn})
            await c.execute(_M["sns_app_endpoints_delete"], {"arn": arn})

    # --- platform endpoints ---

    async def create_endpoint(self, endpoint: PlatformEndpoint) -> tuple[PlatformEndpoint, bool]:
        args = {
            "arn": endpoint.arn,
            "app_arn": endpoint.app_arn,
            "token": endpoint.token,
            "attributes": dumps(endpoint.attributes),
            "created_ms": endpoint.created_ms,
        }
        async with self.db.tx() as c:
            if await c.fetchrow(_M["sns_app_lock"], args) is None:
                raise LookupError(endpoint.app_arn)
            row = await c.fetchrow(_M["sns_endpoint_by_token"], args)
            if row is not None:
                return endpoint_from_row(tuple(row)), False
            await c.execute(_M["sns_endpoint_insert"], args)
        return endpoint, True

    async def get_endpoint(self, arn: str) -> PlatformEndpoint | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_endpoint_get"], {"arn": arn})
        return None if row is None else endpoint_from_row(tuple(row))

    async def list_endpoints(self, app_arn: str) -> list[PlatformEndpoint]:
        async with self.db.one() as c:
            rows = await c.fetch(_M["sns_endpoint_list"], {"app_arn": app_arn})
        return [endpoint_from_row(tuple(r)) for r in rows]

    async def update_endpoint(
        self, arn: str, attributes: dict[str, str]
    ) -> PlatformEndpoint | None:
        args = {"arn": arn, "attributes": dumps(attributes), "token": attributes.get("Token", "")}
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_endpoint_update"], args)
        return None if row is None else endpoint_from_row(tuple(row))

    async def delete_endpoint(self, arn: str) -> None:
        async with self.db.one() as c:
            await c.execute(_M["sns_endpoint_delete"], {"arn": arn})

    # --- SMS settings and phone numbers ---

    async def sms_attributes(self, account: str, region: str) -> dict[str, str]:
        args = {"account": account, "region": region}
        async with self.db.one() as c:
            return {r[0]: r[1] for r in await c.fetch(_M["sns_sms_attributes"], args)}

    async def set_sms_attributes(self, account: str, region: str, values: dict[str, str]) -> None:
        async with self.db.tx() as c:
            for name, value in values.items():
                args = {"account": account, "region": region, "name": name}
                if value:
                    await c.execute(_M["sns_sms_attribute_set"], {**args, "value": value})
                else:
                    await c.execute(_M["sns_sms_attribute_delete"], args)

    async def is_opted_out(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}
        async with self.db.one() as c:
            return await c.fetchrow(_M["sns_opted_out_find"], args) is not None

    async def opted_out(self, account: str, region: str) -> list[str]:
        args = {"account": account, "region": region}
        async with self.db.one() as c:
            return [r[0] for r in await c.fetch(_M["sns_opted_out_list"], args)]

    async def opt_out(self, account: str, region: str, phone: str, now_ms: int) -> None:
        args = {"account": account, "region": region, "phone": phone, "now": now_ms}
        async with self.db.one() as c:
            await c.execute(_M["sns_opt_out"], args)

    async def opt_in(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}
        async with self.db.one() as c:
            return await c.execute(_M["sns_opt_in"], args) == 1

    async def put_sandbox_number(self, account: str, region: str, number: SandboxNumber) -> None:
        args = {
            "account": account,
            "region": region,
            "phone": number.phone,
            "status": number.status,
            "otp": number.otp,
            "language": number.language,
            "created_ms": number.created_ms,
        }
        async with self.db.one() as c:
            await c.execute(_M["sns_sandbox_put"], args)

    async def get_sandbox_number(
        self, account: str, region: str, phone: str
    ) -> SandboxNumber | None:
        args = {"account": account, "region": region, "phone": phone}
        async with self.db.one() as c:
            row = await c.fetchrow(_M["sns_sandbox_get"], args)
        return None if row is None else sandbox_from_row(tuple(row))

    async def sandbox_numbers(self, account: str, region: str) -> list[SandboxNumber]:
        args = {"account": account, "region": region}
        async with self.db.one() as c:
            return [sandbox_from_row(tuple(r)) for r in await c.fetch(_M["sns_sandbox_list"], args)]

    async def delete_sandbox_number(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}
        async with self.db.one() as c:
            return await c.execute(_M["sns_sandbox_delete"], args) == 1
