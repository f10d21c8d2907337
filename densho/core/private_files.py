"""Files only densho's own user may read: the data directory (0700) and what densho keeps in it
(0600) — the SQLite database and its WAL / shared-memory files, the SNS signing key and
certificate, key files.

Owns: creating that directory and those files with private modes (never relying on the umask),
and tightening ones an older densho, a copy or a person left readable to others.
Must not know: what the files hold.

Only densho's own names are tightened in a directory it is given, never every file there: a
``--data-dir`` pointed at a shared directory must not change the modes of files densho did not
make.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
# The names densho gives files in its data directory (and SQLite gives the database's companions).
OWN_PREFIXES = ("densho", "sns-signing-", ".sns-signing-")
OWN_SUFFIXES = (".pem", ".key")


def private_dir(directory: Path) -> None:
    """Create ``directory`` (and missing parents, those with the umask's mode) as 0700, or make an
    existing one 0700."""
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        # Another process may make it first; it is tightened below.
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
    _tighten(directory, DIR_MODE)


def create_private(path: Path) -> None:
    """Make sure ``path`` exists as a file of mode 0600 (an existing file keeps its content and is
    tightened): the file SQLite then opens keeps that mode, and SQLite gives its WAL and
    shared-memory files the database file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path)


def tighten(path: Path) -> None:
    """A file others may read or write becomes readable to its owner only (if it exists)."""
    _tighten(path, FILE_MODE)


def tighten_data_dir(directory: Path) -> None:
    """At start: the data directory becomes 0700 and densho's files in it 0600 (a directory that
    does not exist yet is left alone: it is created private when first needed)."""
    if not directory.is_dir():
        return
    _tighten(directory, DIR_MODE)
    for entry in directory.iterdir():
        name = entry.name
        if name.startswith(OWN_PREFIXES) or name.endswith(OWN_SUFFIXES):
            tighten(entry)


def _tighten(path: Path, mode: int) -> None:
    if os.name != "posix":
        return
    try:
        st = path.lstat()  # never follow a link to somewhere else
    except FileNotFoundError:
        return
    wanted_kind = stat.S_ISDIR if mode == DIR_MODE else stat.S_ISREG
    if not wanted_kind(st.st_mode) or not stat.S_IMODE(st.st_mode) & 0o077:
        return
    if st.st_uid != os.getuid():  # not ours to change (chmod would fail anyway)
        log.warning("%s is readable by others and not owned by densho's user", path)
        return
    path.chmod(stat.S_IMODE(st.st_mode) & ~0o077)
    log.info("tightened %s to mode %o", path, stat.S_IMODE(st.st_mode) & ~0o077)
