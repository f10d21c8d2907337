"""NextToken pagination over keys in sorted order, shared by the SQS and SNS providers.

Owns: the token format (the last key of the page, base64url) and where the next page starts.
Must not know: page sizes or the error each service answers for a bad token (the callers do).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence


def token_for(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode()).decode()


def start_after(keys: Sequence[str], token: str | None) -> int:
    """Index of the first key after the token's key; ValueError for a token we did not make."""
    if not token:
        return 0
    try:
        after = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(token) from None
    return next((i for i, key in enumerate(keys) if key > after), len(keys))
