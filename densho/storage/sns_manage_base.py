"""The storage contract of SNS management: mobile push applications and endpoints, account SMS
settings, opted-out numbers and SMS sandbox numbers.

Owns: the method list and each method's atomicity promise (every call is one atomic job).
Must not know: SNS rules (which attributes are valid, when an endpoint is "the same"); the
engine (``densho.sns.manage_engine``) decides, storage applies.

Accounts' SMS state is kept per account and region, as AWS keeps it. Times are epoch
milliseconds passed in by the caller.
"""

from __future__ import annotations

from typing import Protocol

from densho.core.sns_model import PlatformApp, PlatformEndpoint, SandboxNumber
from densho.storage.sns_base import SnsStore


class SnsManageStore(SnsStore, Protocol):
    """The SNS store with the management methods (``SnsStore.publish`` also keeps the
    recorded deliveries of a direct publish)."""

    # --- platform applications ---
    async def put_platform_app(self, app: PlatformApp) -> PlatformApp:
        """Insert the application, or replace the attributes and credentials of the one with
        its ARN (keeping its endpoints and creation time); the stored application."""
        ...

    async def get_platform_app(self, arn: str) -> PlatformApp | None: ...

    async def list_platform_apps(self, account: str, region: str) -> list[PlatformApp]:
        """Ordered by ARN."""
        ...

    async def update_platform_app(
        self, arn: str, attributes: dict[str, str], credentials: dict[str, str]
    ) -> PlatformApp | None:
        """Replace its attributes and credentials; None when it is gone."""
        ...

    async def delete_platform_app(self, arn: str) -> None:
        """Delete the application and all its endpoints (a missing one is no error)."""
        ...

    # --- platform endpoints ---
    async def create_endpoint(self, endpoint: PlatformEndpoint) -> tuple[PlatformEndpoint, bool]:
        """Insert the endpoint unless its application already has one with the same token;
        then answer that one (created=False). Fails if the application is gone."""
        ...

    async def get_endpoint(self, arn: str) -> PlatformEndpoint | None: ...

    async def list_endpoints(self, app_arn: str) -> list[PlatformEndpoint]:
        """The application's endpoints, ordered by ARN."""
        ...

    async def update_endpoint(
        self, arn: str, attributes: dict[str, str]
    ) -> PlatformEndpoint | None:
        """Replace its attributes (its token follows ``attributes["Token"]``); None when gone."""
        ...

    async def delete_endpoint(self, arn: str) -> None: ...

    # --- SMS settings and phone numbers ---
    async def sms_attributes(self, account: str, region: str) -> dict[str, str]: ...

    async def set_sms_attributes(self, account: str, region: str, values: dict[str, str]) -> None:
        """Set each value; an empty value removes that attribute."""
        ...

    async def is_opted_out(self, account: str, region: str, phone: str) -> bool: ...

    async def opted_out(self, account: str, region: str) -> list[str]:
        """The opted-out numbers, ordered."""
        ...

    async def opt_out(self, account: str, region: str, phone: str, now_ms: int) -> None: ...

    async def opt_in(self, account: str, region: str, phone: str) -> bool:
        """Remove the number from the opted-out list; whether it was there."""
        ...

    async def put_sandbox_number(self, account: str, region: str, number: SandboxNumber) -> None:
        """Insert or replace the account's sandbox entry for ``number.phone``."""
        ...

    async def get_sandbox_number(
        self, account: str, region: str, phone: str
    ) -> SandboxNumber | None: ...

    async def sandbox_numbers(self, account: str, region: str) -> list[SandboxNumber]:
        """Ordered by phone number."""
        ...

    async def delete_sandbox_number(self, account: str, region: str, phone: str) -> bool:
        """Whether there was one."""
        ...
