"""Where the master key comes from: ``DENSHO_MASTER_KEY`` (base64), ``--master-key-file``, or a
key file created on first start in the data directory.

Owns: reading and creating key files (mode 0600, created exclusively so two processes never
write two keys), and the decision table below, with its error messages.
Must not know: the database (the caller says whether it is shared by several nodes and whether
it already holds sealed data), SQS, SNS.

    given key (variable or file) ........................  that key
    SQLite, ``master.key`` in the data directory .........  that file
    SQLite, no file, database never sealed ...............  a new file, created now
    SQLite, no file, database sealed before ..............  refused: the key was lost or moved
    SQLite in memory (no data directory) .................  a new key, in memory only: the
                                                            database dies with the process
    PostgreSQL, no key given .............................  None: nothing is encrypted (a key
                                                            made here would be this node's
                                                            alone; the other nodes could not
                                                            read what it sealed)
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from densho.sealing.seal import KEY_BYTES

KEY_FILE = "master.key"


class MasterKeyError(RuntimeError):
    """No usable master key: the message says which and what to do."""


def parse(text: str, where: str) -> bytes:
    """A master key written as base64 (32 bytes)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{where}: the master key is not base64") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{where}: the master key must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def read_file(path: Path) -> bytes:
    try:
        return parse(path.read_text(encoding="ascii"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"cannot read the master key file {path}: {exc}") from None


def create_file(path: Path) -> bytes:
    """A new random key in a new file readable by its owner only."""
    key = os.urandom(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(key).decode() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def resolve(
    *,
    key: str | None,
    key_file: Path | None,
    data_dir: Path | None,
    shared: bool,
    sealed_before: bool,
) -> bytes | None:
    """The master key to seal with (None: encrypt nothing), per the table above."""
    if key:
        return parse(key, "DENSHO_MASTER_KEY")
    if key_file is not None:
        return read_file(key_file)
    if shared:
        if sealed_before:
            raise MasterKeyError(
                "this database holds encrypted messages: give every node the shared master key "
                "(--master-key-file or DENSHO_MASTER_KEY)"
            )
        return None
    if data_dir is None:
        return os.urandom(KEY_BYTES)
    path = data_dir / KEY_FILE
    if path.exists():
        return read_file(path)
    if sealed_before:
        raise MasterKeyError(
            f"this database holds encrypted messages but {path} is missing: restore that file "
            "(or give the key with --master-key-file or DENSHO_MASTER_KEY)"
        )
    return create_file(path)
