"""Where a key of the configuration file is written: a key path to a line number.

Owns: finding, in a TOML file's raw text, the line of a key path such as
``topics[0].subscriptions[1].attributes.FilterPolicy`` — tomllib reports lines for syntax errors
only, and a mistake found later (a value refused) must still name its line. It walks the N-th
``[[queues]]`` / ``[[topics]]`` / ``[[topics.subscriptions]]`` header, then the key inside that
block (``key =``, a dotted ``key.sub =``, or a ``[parent.key]`` table), then the inner key on
that line or after it. Best effort, never wrong by much: the deepest part it finds wins.
Must not know: what the keys mean.
"""

from __future__ import annotations

import re

_PART = re.compile(r"([A-Za-z0-9_-]+)(?:\[(\d+)\])?")
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def parse_path(path: str) -> list[tuple[str, int | None]]:
    """``queues[1].attributes.X`` -> [("queues", 1), ("attributes", None), ("X", None)]."""
    parts: list[tuple[str, int | None]] = []
    for piece in path.split("."):
        match = _PART.fullmatch(piece)
        if match is None:
            break
        parts.append((match.group(1), None if match.group(2) is None else int(match.group(2))))
    return parts


def _headers(lines: list[str]) -> list[tuple[int, bool, str]]:
    """(index, is an array-of-tables header, its dotted name without spaces or quotes)."""
    out = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match is not None and line.lstrip().startswith("["):
            name = re.sub(r"\s*\.\s*", ".", match.group(2)).replace('"', "").replace("'", "")
            out.append((index, match.group(1) == "[[", name))
    return out


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    """The first line in [start, end) that assigns ``key`` (bare, quoted, or dotted)."""
    pattern = re.compile(rf"""(^|[\s{{,.])["']?{re.escape(key)}["']?\s*[=.]""")
    for index in range(start, end):
        if not lines[index].lstrip().startswith("#") and pattern.search(lines[index]):
            return index
    return None


def locate(text: str, path: str) -> int | None:
    """The 1-based line where ``path`` is written, or None when not even its first part is."""
    lines = text.splitlines()
    headers = _headers(lines)
    start, end = 0, len(lines)
    prefix = ""  # the table the scope is inside ("topics." once in a [[topics]] block)
    best: int | None = None
    for name, index in parse_path(path):
        full = prefix + name
        if index is not None:
            blocks = [h[0] for h in headers if h[1] and h[2] == full and start <= h[0] < end]
            if index < len(blocks):
                begin = blocks[index]
                # The block runs to the next header that is not inside it.
                stop = next(
                    (h[0] for h in headers if h[0] > begin and not h[2].startswith(full + ".")),
                    len(lines),
                )
                start, end, prefix, best = begin + 1, min(stop, end), full + ".", begin
                continue
        # The key is among the table's own keys, before any sub-table header.
        own_end = next((h[0] for h in headers if start <= h[0] < end), end)
        found = _key_line(lines, start, own_end, name)
        if found is not None:
            best, start = found, found  # an inner key may follow on the same line
        else:
            table = [h[0] for h in headers if not h[1] and h[2] == full and start <= h[0] < end]
            if not table:  # [queues.attributes] under its [[queues]]
                break
            best, start = table[0], table[0] + 1
        prefix = full + "."
    return None if best is None else best + 1
