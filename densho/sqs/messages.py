"""Validating and preparing messages: characters, attributes, sizes, digests.

Owns: the rules a message must satisfy before it is stored, and which attributes a receive returns.
Must not know: storage, the wire.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from densho.core import errors
from densho.core.sqs_model import Attr

MAX_ATTRIBUTES = 10
# Characters SQS accepts in bodies and string attribute values (the XML 1.0 character set):
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# "Alphanumeric" as AWS reads it includes non-ASCII letters and digits ("attr.1øßä" is accepted:
# LocalStack's aws-validated message attribute name test). \w is Unicode letters, digits and "_".
_ATTR_NAME = re.compile(r"[\w.\-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[A-Za-z0-9_.\-]{1,})?")
_RESERVED_PREFIXES = ("aws.", "amazon.")
SYSTEM_ATTRIBUTES = frozenset({"AWSTraceHeader"})


# The only ASCII characters SQS rejects: C0 controls other than tab, newline, carriage return.
_ASCII_CONTROLS = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
# From this length on, an ASCII text is checked by ``bytes.translate``: shorter ones, the
# regex's set-up costs less than the copy.
_LONG_TEXT = 64


def invalid_character(text: str) -> str | None:
    """The first character SQS and SNS refuse in a message (outside XML 1.0's), or None."""
    # ASCII text (a flag CPython keeps: O(1)) can only hold the C0 controls: deleting them from
    # its bytes is several times cheaper than the regex's scan of a Unicode character class.
    if (
        len(text) >= _LONG_TEXT
        and text.isascii()
        and len(text.encode("ascii").translate(None, _ASCII_CONTROLS)) == len(text)
    ):
        return None
    bad = _INVALID.search(text)
    return None if bad is None else bad.group()


def check_text(text: str) -> None:
    bad = invalid_character(text)
    if bad is not None:
        raise errors.InvalidMessageContents(bad)


def encode_body(body: str) -> bytes:
    """The body's UTF-8 bytes, after checking its characters (one pass over the common ASCII
    case instead of a regex scan: this runs for every message)."""
    try:
        raw = body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let the full check name it
        check_text(body)
        raise
    if len(raw) == len(body):
        if len(raw.translate(None, _ASCII_CONTROLS)) != len(raw):
            check_text(body)
    else:
        check_text(body)
    return raw


def check_attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _ATTR_NAME.fullmatch(name)
        or lowered.startswith(_RESERVED_PREFIXES)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise errors.InvalidMessageAttributeName(name)


def check_attribute(name: str, attr: Attr) -> None:
    if not _DATA_TYPE.fullmatch(attr.data_type) or len(attr.data_type) > 256:
        raise errors.InvalidMessageAttributeType(name)
    if attr.is_binary:
        if attr.binary_value is None or attr.string_value is not None:
            raise errors.MessageAttributeWrongField(name, "Binary")
        if not attr.binary_value:
            raise errors.MessageAttributeEmpty(name, "Binary")
        return
    kind = "Number" if attr.data_type.startswith("Number") else "String"
    if attr.string_value is None or attr.binary_value is not None:
        raise errors.MessageAttributeWrongField(name, kind)
    if attr.string_value == "":
        raise errors.MessageAttributeEmpty(name, kind)
    bad = _INVALID.search(attr.string_value)
    if bad is not None:
        # In attribute values SQS reports bad characters as an invalid parameter, not as
        # InvalidMessageContents (which is for the body).
        raise errors.MessageAttributeCharacter(name, bad.group())
    if kind == "Number":
        try:
            number = Decimal(attr.string_value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise errors.MessageAttributeNotNumber(name)


def check_attributes(attributes: Mapping[str, Attr]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise errors.TooManyAttributes(len(attributes))
    for name, attr in attributes.items():
        check_attribute_name(name)
        check_attribute(name, attr)


def check_system_attributes(attributes: Mapping[str, Attr]) -> None:
    for name, attr in attributes.items():
        if name not in SYSTEM_ATTRIBUTES:
            raise errors.InvalidSystemAttributeName(name)
        if attr.data_type != "String" or not attr.string_value:
            raise errors.InvalidSystemAttributeValue(name)


def size_of(body: str | bytes, attributes: Mapping[str, Attr]) -> int:
    """Message size as SQS counts it: body plus each attribute's name, type and value."""
    # isascii: a flag of the str (no scan); an ASCII text has as many bytes as characters.
    size = len(body) if isinstance(body, bytes) or body.isascii() else len(body.encode("utf-8"))
    for name, attr in attributes.items():
        size += len(name.encode("utf-8")) + len(attr.data_type.encode("utf-8"))
        if attr.binary_value is not None:
            size += len(attr.binary_value)
        elif attr.string_value is not None:
            size += len(attr.string_value.encode("utf-8"))
    return size


def select(attributes: Mapping[str, Attr], names: Iterable[str]) -> dict[str, Attr]:
    """The message attributes a receive returns for MessageAttributeNames.

    ``All``, ``.*`` or ``*`` selects everything (``*`` as AWS answers it: LocalStack snapshot
    all_wildcard_asterisk); ``prefix.*`` selects by prefix; anything else by name.
    """
    wanted = list(names)
    if not wanted or not attributes:
        return {}
    if "All" in wanted or ".*" in wanted or "*" in wanted:
        return dict(attributes)
    prefixes = tuple(n[:-2] for n in wanted if n.endswith(".*"))
    exact = {n for n in wanted if not n.endswith(".*")}
    return {
        k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))
    }
