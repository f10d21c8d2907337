"""SNS management on the embedded SQLite store (``SnsManageStore``), mixed into ``SqliteStore``.

Owns: the jobs of mobile push applications and endpoints, account SMS settings, opted-out
numbers and sandbox numbers; each runs as one job of the store's group commit
(``SqliteStore._call``) and is answered after its commit is durable.
Must not know: SNS rules beyond the ``SnsManageStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from densho.core.sns_model import PlatformApp, PlatformEndpoint, SandboxNumber
from densho.storage import sql
from densho.storage.rows import app_from_row, dumps, endpoint_from_row, sandbox_from_row

T = TypeVar("T")

_M = sql.queries("sns_manage.sql")


class SqliteSnsManage:
    """The ``SnsManageStore`` methods; the class using it provides ``_call`` (``SqliteStore``)."""

    if TYPE_CHECKING:

        async def _call(self, job: Callable[[sqlite3.Connection], T], single: bool = False) -> T:
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

        def job(conn: sqlite3.Connection) -> PlatformApp:
            return app_from_row(conn.execute(_M["sns_app_upsert"], args).fetchone())

        return await self._call(job, single=True)

    async def get_platform_app(self, arn: str) -> PlatformApp | None:
        def job(conn: sqlite3.Connection) -> PlatformApp | None:
            row = conn.execute(_M["sns_app_get"], {"arn": arn}).fetchone()
            return None if row is None else app_from_row(row)

        return await self._call(job, single=True)

    async def list_platform_apps(self, account: str, region: str) -> list[PlatformApp]:
        args = {"account": account, "region": region}

        def job(conn: sqlite3.Connection) -> list[PlatformApp]:
            return [app_from_row(r) for r in conn.execute(_M["sns_app_list"], args)]

        return await self._call(job, single=True)

    async def update_platform_app(
        self, arn: str, attributes: dict[str, str], credentials: dict[str, str]
    ) -> PlatformApp | None:
        args = {"arn": arn, "attributes": dumps(attributes), "credentials": dumps(credentials)}

        def job(conn: sqlite3.Connection) -> PlatformApp | None:
            row = conn.execute(_M["sns_app_update"], args).fetchone()
            return None if row is None else app_from_row(row)

        return await self._call(job, single=True)

    async def delete_platform_app(self, arn: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_M["sns_app_delete"], {"arn": arn})
            conn.execute(_M["sns_app_endpoints_delete"], {"arn": arn})

        await self._call(job)

    # --- platform endpoints ---

    async def create_endpoint(self, endpoint: PlatformEndpoint) -> tuple[PlatformEndpoint, bool]:
        args = {
            "arn": endpoint.arn,
            "app_arn": endpoint.app_arn,
            "token": endpoint.token,
            "attributes": dumps(endpoint.attributes),
            "created_ms": endpoint.created_ms,
        }

        def job(conn: sqlite3.Connection) -> tuple[PlatformEndpoint, bool]:
            # The application's existence and the token's uniqueness are checked in the same
            # transaction as the insert, so a concurrent delete or create cannot slip between.
            if conn.execute(_M["sns_app_get"], {"arn": endpoint.app_arn}).fetchone() is None:
                raise LookupError(endpoint.app_arn)
            row = conn.execute(_M["sns_endpoint_by_token"], args).fetchone()
            if row is not None:
                return endpoint_from_row(row), False
            conn.execute(_M["sns_endpoint_insert"], args)
            return endpoint, True

        return await self._call(job)

    async def get_endpoint(self, arn: str) -> PlatformEndpoint | None:
        def job(conn: sqlite3.Connection) -> PlatformEndpoint | None:
            row = conn.execute(_M["sns_endpoint_get"], {"arn": arn}).fetchone()
            return None if row is None else endpoint_from_row(row)

        return await self._call(job, single=True)

    async def list_endpoints(self, app_arn: str) -> list[PlatformEndpoint]:
        def job(conn: sqlite3.Connection) -> list[PlatformEndpoint]:
            return [
                endpoint_from_row(r)
                for r in conn.execute(_M["sns_endpoint_list"], {"app_arn": app_arn})
            ]

        return await self._call(job, single=True)

    async def update_endpoint(
        self, arn: str, attributes: dict[str, str]
    ) -> PlatformEndpoint | None:
        args = {"arn": arn, "attributes": dumps(attributes), "token": attributes.get("Token", "")}

        def job(conn: sqlite3.Connection) -> PlatformEndpoint | None:
            row = conn.execute(_M["sns_endpoint_update"], args).fetchone()
            return None if row is None else endpoint_from_row(row)

        return await self._call(job, single=True)

    async def delete_endpoint(self, arn: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_M["sns_endpoint_delete"], {"arn": arn})

        await self._call(job, single=True)

    # --- SMS settings and phone numbers ---

    async def sms_attributes(self, account: str, region: str) -> dict[str, str]:
        args = {"account": account, "region": region}

        def job(conn: sqlite3.Connection) -> dict[str, str]:
            return dict(conn.execute(_M["sns_sms_attributes"], args).fetchall())

        return await self._call(job, single=True)

    async def set_sms_attributes(self, account: str, region: str, values: dict[str, str]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            for name, value in values.items():
                args = {"account": account, "region": region, "name": name, "value": value}
                conn.execute(
                    _M["sns_sms_attribute_set" if value else "sns_sms_attribute_delete"], args
                )

        await self._call(job)

    async def is_opted_out(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_M["sns_opted_out_find"], args).fetchone() is not None

        return await self._call(job, single=True)

    async def opted_out(self, account: str, region: str) -> list[str]:
        args = {"account": account, "region": region}

        def job(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute(_M["sns_opted_out_list"], args)]

        return await self._call(job, single=True)

    async def opt_out(self, account: str, region: str, phone: str, now_ms: int) -> None:
        args = {"account": account, "region": region, "phone": phone, "now": now_ms}

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_M["sns_opt_out"], args)

        await self._call(job, single=True)

    async def opt_in(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_M["sns_opt_in"], args).rowcount == 1

        return await self._call(job, single=True)

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

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_M["sns_sandbox_put"], args)

        await self._call(job, single=True)

    async def get_sandbox_number(
        self, account: str, region: str, phone: str
    ) -> SandboxNumber | None:
        args = {"account": account, "region": region, "phone": phone}

        def job(conn: sqlite3.Connection) -> SandboxNumber | None:
            row = conn.execute(_M["sns_sandbox_get"], args).fetchone()
            return None if row is None else sandbox_from_row(row)

        return await self._call(job, single=True)

    async def sandbox_numbers(self, account: str, region: str) -> list[SandboxNumber]:
        args = {"account": account, "region": region}

        def job(conn: sqlite3.Connection) -> list[SandboxNumber]:
            return [sandbox_from_row(r) for r in conn.execute(_M["sns_sandbox_list"], args)]

        return await self._call(job, single=True)

    async def delete_sandbox_number(self, account: str, region: str, phone: str) -> bool:
        args = {"account": account, "region": region, "phone": phone}

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_M["sns_sandbox_delete"], args).rowcount == 1

        return await self._call(job, single=True)
