"""IAM wildcards: ``*`` matches any run of characters (also none), ``?`` any one character.

Owns: turning a policy value with wildcards into a compiled matcher, memoised (policies repeat
the same values), and ARN matching segment by segment (``ArnLike``).
Must not know: which policy element a pattern came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=4096)
def wildcard(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher of whole strings against ``pattern``; plain strings compare without a regex."""
    if pattern == "*":
        return lambda value: True
    if "*" not in pattern and "?" not in pattern:
        if ignore_case:
            folded = pattern.casefold()
            return lambda value: value.casefold() == folded
        return pattern.__eq__
    regex = _regex(pattern, ignore_case)
    return lambda value: regex.fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike / ArnEquals: both split in six ``:`` segments, each matched with wildcards (the
    resource part keeps its own colons). A value that is no ARN matches nothing."""
    want = pattern.split(":", 5)
    have = value.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(wildcard(w)(h) for w, h in zip(want, have, strict=True))
