"""The storage contract of SNS management (``densho/storage/sns_manage_base.py``), run against
every backend: mobile push applications and endpoints, SMS attributes, opted-out numbers and
sandbox numbers, each kept per account and region.
"""

from __future__ import annotations

import asyncio

import pytest

from densho.core.sns_model import PlatformApp, PlatformEndpoint, SandboxNumber
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, nodes, run

pytestmark = pytest.mark.timeout(60)

APP = "arn:aws:sns:r:a:app/GCM/one"


def app(arn: str = APP, region: str = "r", **attributes: str) -> PlatformApp:
    return PlatformApp(arn, "a", region, arn.rsplit("/", 1)[-1], "GCM", attributes, {"k": "s"}, T0)


def endpoint(n: int, token: str, app_arn: str = APP) -> PlatformEndpoint:
    return PlatformEndpoint(f"{app_arn}/e{n}", app_arn, token, {"Token": token}, T0 + n)


def test_platform_applications_and_their_endpoints(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        assert await store.put_platform_app(app(Enabled="true")) == app(Enabled="true")
        # Put again: attributes and credentials replaced, creation time kept.
        replaced = PlatformApp(APP, "a", "r", "one", "GCM", {"X": "1"}, {"k": "t"}, T0 + 9)
        assert await store.put_platform_app(replaced) == PlatformApp(
            APP, "a", "r", "one", "GCM", {"X": "1"}, {"k": "t"}, T0
        )
        other = app("arn:aws:sns:r:a:app/GCM/two")
        await store.put_platform_app(other)
        await store.put_platform_app(app("arn:aws:sns:q:a:app/GCM/three", region="q"))
        assert [a.arn for a in await store.list_platform_apps("a", "r")] == [APP, other.arn]
        updated = await store.update_platform_app(APP, {"Y": "2"}, {"k": "u"})
        assert updated is not None and (updated.attributes, updated.credentials) == (
            {"Y": "2"},
            {"k": "u"},
        )
        assert await store.get_platform_app(APP) == updated
        assert await store.update_platform_app("arn:none", {}, {}) is None
        assert await store.get_platform_app("arn:none") is None

        assert await store.create_endpoint(endpoint(1, "t1")) == (endpoint(1, "t1"), True)
        # The application already has an endpoint with this token: that one.
        assert await store.create_endpoint(endpoint(2, "t1")) == (endpoint(1, "t1"), False)
        await store.create_endpoint(endpoint(3, "t3"))
        await store.create_endpoint(endpoint(4, "t1", other.arn))
        with pytest.raises(LookupError):
            await store.create_endpoint(endpoint(5, "t5", "arn:none"))
        assert [e.arn for e in await store.list_endpoints(APP)] == [f"{APP}/e1", f"{APP}/e3"]
        # The token follows the attributes: e3 now has t9.
        moved = await store.update_endpoint(f"{APP}/e3", {"Token": "t9", "Enabled": "false"})
        assert moved is not None and moved.token == "t9" and not moved.enabled
        assert await store.create_endpoint(endpoint(6, "t9")) == (moved, False)
        assert await store.get_endpoint(f"{APP}/e3") == moved
        assert await store.update_endpoint("arn:none", {}) is None
        await store.delete_endpoint(f"{APP}/e1")
        await store.delete_endpoint(f"{APP}/e1")  # gone already: no error
        assert await store.get_endpoint(f"{APP}/e1") is None
        # Deleting an application deletes its endpoints, and only its own.
        await store.delete_platform_app(APP)
        await store.delete_platform_app(APP)
        assert await store.get_platform_app(APP) is None
        assert await store.list_endpoints(APP) == []
        assert [e.token for e in await store.list_endpoints(other.arn)] == ["t1"]

    run(backend, scenario)


def test_one_token_makes_one_endpoint_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        await store.put_platform_app(app())
        async with nodes(backend, store) as both:
            made = await asyncio.gather(
                *(both[i % len(both)].create_endpoint(endpoint(i, "same")) for i in range(6))
            )
        assert sum(created for _, created in made) == 1
        assert len({e.arn for e, _ in made}) == 1
        assert len(await store.list_endpoints(APP)) == 1

    run(backend, scenario)


def test_sms_attributes_opt_outs_and_sandbox_numbers(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        assert await store.sms_attributes("a", "r") == {}
        await store.set_sms_attributes("a", "r", {"DefaultSMSType": "Promotional", "X": "1"})
        await store.set_sms_attributes("a", "q", {"DefaultSMSType": "Transactional"})
        # Set each; an empty value removes the attribute.
        await store.set_sms_attributes("a", "r", {"X": "", "DefaultSenderID": "densho"})
        assert await store.sms_attributes("a", "r") == {
            "DefaultSMSType": "Promotional",
            "DefaultSenderID": "densho",
        }

        await store.opt_out("a", "r", "+15550002", T0)
        await store.opt_out("a", "r", "+15550001", T0)
        await store.opt_out("a", "r", "+15550001", T0 + 1)  # again: no error
        assert await store.is_opted_out("a", "r", "+15550001")
        assert not await store.is_opted_out("a", "q", "+15550001")
        assert await store.opted_out("a", "r") == ["+15550001", "+15550002"]
        assert await store.opt_in("a", "r", "+15550001")
        assert not await store.opt_in("a", "r", "+15550001")
        assert await store.opted_out("a", "r") == ["+15550002"]

        pending = SandboxNumber("+15550009", "Pending", "123456", "en-US", T0)
        await store.put_sandbox_number("a", "r", pending)
        await store.put_sandbox_number(
            "a", "r", SandboxNumber("+15550003", "Pending", "1", "en-US", T0)
        )
        assert await store.get_sandbox_number("a", "r", "+15550009") == pending
        verified = SandboxNumber("+15550009", "Verified", "123456", "en-US", T0 + 5)
        await store.put_sandbox_number("a", "r", verified)  # replaces the entry
        assert [n.phone for n in await store.sandbox_numbers("a", "r")] == [
            "+15550003",
            "+15550009",
        ]
        assert await store.get_sandbox_number("a", "r", "+15550009") == verified
        assert await store.get_sandbox_number("a", "q", "+15550009") is None
        assert await store.delete_sandbox_number("a", "r", "+15550009")
        assert not await store.delete_sandbox_number("a", "r", "+15550009")
        assert await store.sandbox_numbers("a", "q") == []

    run(backend, scenario)
