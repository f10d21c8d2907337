"""The sealing package alone: sealed values round trip, tampering and foreign keys fail
authentication, the data-key reuse period follows an injected clock, master keys come from the
right place, and queue/topic attributes name the right key."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from densho.core.queue_config import read
from densho.core.seal import SQS_MANAGED, Seal, for_topic
from densho.sealing import master
from densho.sealing.keyring import Keyring
from densho.sealing.seal import (
    MARK,
    DataKey,
    SealError,
    key_of,
    open_bytes,
    open_text,
    seal_bytes,
    seal_text,
)


class FakeClock:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms


def _keyring(clock: FakeClock | None = None, key: bytes | None = None) -> Keyring:
    return Keyring(key or os.urandom(32), clock or FakeClock())


def _adopted(keyring: Keyring, key_id: str = "k") -> tuple[DataKey, bytes]:
    dk, wrapped, made = keyring.make(key_id)
    keyring.adopt(dk, made)
    return dk, wrapped


def test_text_and_bytes_round_trip_and_name_their_data_key() -> None:
    keyring = _keyring()
    dk, _ = _adopted(keyring)
    text = "héllo \U0001f600 " * 100
    sealed = seal_text(dk, text, b"body")
    assert sealed.startswith(MARK) and "héllo" not in sealed
    assert key_of(sealed) == dk.id
    assert open_text(dk, sealed, b"body") == text
    blob = seal_bytes(dk, b"\x00[1,2]", b"attrs")
    assert key_of(blob) == dk.id
    assert open_bytes(dk, blob, b"attrs") == b"\x00[1,2]"


def test_two_seals_of_one_value_differ() -> None:
    dk, _ = _adopted(_keyring())
    assert seal_text(dk, "x", b"body") != seal_text(dk, "x", b"body")


def test_plain_values_are_not_sealed() -> None:
    for value in ("plain body", '{"body": 1}', b'[["a","String","x",null]]', None, 5, ""):
        assert key_of(value) is None


def test_tampering_fails_authentication() -> None:
    dk, _ = _adopted(_keyring())
    sealed = seal_text(dk, "secret", b"body")
    raw = bytearray(base64.b64decode(sealed.rsplit(":", 1)[1]))
    raw[-1] ^= 1
    tampered = sealed.rsplit(":", 1)[0] + ":" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SealError):
        open_text(dk, tampered, b"body")
    blob = bytearray(seal_bytes(dk, b"secret", b"attrs"))
    blob[-5] ^= 0x80
    with pytest.raises(SealError):
        open_bytes(dk, bytes(blob), b"attrs")


def test_a_value_moved_to_another_column_fails() -> None:
    dk, _ = _adopted(_keyring())
    with pytest.raises(SealError):
        open_text(dk, seal_text(dk, "x", b"payload"), b"body")


def test_wrapped_data_keys_open_only_under_their_master_key_and_key_id() -> None:
    key = os.urandom(32)
    first = _keyring(key=key)
    dk, wrapped = _adopted(first, "alias/a")
    sealed = seal_text(dk, "secret", b"body")
    again = _keyring(key=key)  # a restart: same master key, keys read back from the database
    learned = again.learn(dk.id, "alias/a", wrapped)
    assert open_text(learned, sealed, b"body") == "secret"
    assert again.fingerprint == first.fingerprint
    other = _keyring()
    assert other.fingerprint != first.fingerprint
    with pytest.raises(SealError, match="does not open with this master key"):
        other.learn(dk.id, "alias/a", wrapped)
    with pytest.raises(SealError):
        _keyring(key=key).learn(dk.id, "alias/b", wrapped)


def test_a_data_key_is_reused_for_its_period_then_replaced() -> None:
    clock = FakeClock()
    keyring = _keyring(clock)
    assert keyring.current("k", 300_000) is None
    dk, _ = _adopted(keyring)
    clock.ms += 299_999
    assert keyring.current("k", 300_000) is dk
    assert keyring.current("other", 300_000) is None  # one data key per key id
    clock.ms += 1
    assert keyring.current("k", 300_000) is None
    assert keyring.current("k", 600_000) is dk  # a longer period (another queue) still uses it
    fresh, _ = _adopted(keyring)
    assert fresh is not dk and keyring.current("k", 60_000) is fresh
    assert keyring.known(dk.id) is dk  # old rows still open


def test_queue_and_topic_attributes_name_their_seal() -> None:
    assert read({}).seal == Seal(SQS_MANAGED)  # AWS's default: SSE-SQS
    assert read({"SqsManagedSseEnabled": "false"}).seal is None
    kms = {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/x"}
    assert read(kms).seal == Seal("alias/x", 300_000)
    reuse = {**kms, "KmsDataKeyReusePeriodSeconds": "60"}
    assert read(reuse).seal == Seal("alias/x", 60_000)
    assert for_topic(None) is None and for_topic("") is None
    assert for_topic("alias/t") == Seal("alias/t")


def test_master_key_resolution(tmp_path: Path) -> None:
    given = base64.b64encode(os.urandom(32)).decode()

    def resolve(**kw: object) -> bytes | None:
        args: dict[str, object] = {
            "key": None,
            "key_file": None,
            "data_dir": tmp_path,
            "shared": False,
            "sealed_before": False,
        }
        args.update(kw)
        return master.resolve(**args)  # type: ignore[arg-type]

    assert resolve(key=given) == base64.b64decode(given)
    with pytest.raises(master.MasterKeyError, match="32 bytes"):
        resolve(key=base64.b64encode(b"short").decode())
    with pytest.raises(master.MasterKeyError, match="not base64"):
        resolve(key="!!!")
    assert resolve(shared=True) is None  # PostgreSQL without a key: nothing sealed
    with pytest.raises(master.MasterKeyError, match="shared master key"):
        resolve(shared=True, sealed_before=True)
    created = resolve()
    path = tmp_path / master.KEY_FILE
    assert created is not None and path.stat().st_mode & 0o777 == 0o600
    assert resolve() == created  # read back, not made again
    assert resolve(key_file=path) == created
    path.unlink()
    with pytest.raises(master.MasterKeyError, match="is missing"):
        resolve(sealed_before=True)
    with pytest.raises(master.MasterKeyError, match="cannot read"):
        resolve(key_file=tmp_path / "nope.key")
