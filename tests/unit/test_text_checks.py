"""The character checks every message goes through, on their fast path for long ASCII texts
(``bytes.translate``) and their regex path, compared with the plain definitions: the first
refused character (outside XML 1.0's) and Jackson's JSON escaping."""

from __future__ import annotations

import pytest

from densho.sns import envelope
from densho.sqs import messages

LONG = "x" * 200  # past the length from which the translate path is taken
SHORT = "x" * 10


def _first_refused(text: str) -> str | None:
    for ch in text:
        code = ord(ch)
        allowed = (
            ch in "\t\n\r"
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )
        if not allowed:
            return ch
    return None


# Every ASCII character, a few non-ASCII ones (Latin-1, BMP, astral, the refused U+FFFE).
SPECIALS = [chr(c) for c in range(0x80)] + ["\u00e9", "\u20ac", "\ufffe", "\U0001f600"]


@pytest.mark.parametrize("body", [LONG, SHORT, ""])
@pytest.mark.parametrize("ch", SPECIALS)
def test_refused_characters_are_found_on_both_paths(body: str, ch: str) -> None:
    for text in (body, ch + body, body + ch, body[:5] + ch + body[5:] + "\x01"):
        assert messages.invalid_character(text) == _first_refused(text), repr(text)


@pytest.mark.parametrize("body", [LONG, SHORT, ""])
@pytest.mark.parametrize("ch", SPECIALS)
def test_json_escaping_is_the_same_on_both_paths(body: str, ch: str) -> None:
    for text in (body, ch + body, body + ch):
        assert envelope._q(text) == '"' + text.translate(envelope._ESCAPES) + '"', repr(text)
