"""MD5 digests as SQS computes them, checked against a published vector and a second encoding."""

from __future__ import annotations

import hashlib
import struct

from densho.core.sqs_model import Attr
from densho.sqs import md5
from densho.sqs.md5 import md5_of_attributes, md5_of_body


def _independent(attrs: dict[str, tuple[str, str | bytes]]) -> str:
    """A second, deliberately plain rendering of AWS's documented algorithm."""
    buf = b""
    for name in sorted(attrs):
        dtype, value = attrs[name]
        buf += struct.pack(">I", len(name.encode())) + name.encode()
        buf += struct.pack(">I", len(dtype.encode())) + dtype.encode()
        raw = value if isinstance(value, bytes) else value.encode()
        buf += b"\x02" if isinstance(value, bytes) else b"\x01"
        buf += struct.pack(">I", len(raw)) + raw
    return hashlib.md5(buf).hexdigest()


def test_published_vector_single_string_attribute() -> None:
    # The AWS developer guide's example attribute; its digest is quoted by several SDK test suites.
    assert (
        md5_of_attributes({"SellerName": Attr("String", "Example Store")})
        == "cd28f3b68aeee4b2eac9c66f2f694b58"
    )


def test_body_digest_is_md5_of_utf8() -> None:
    assert md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592"
    assert md5_of_body("héllo ✓") == hashlib.md5("héllo ✓".encode()).hexdigest()


def test_no_attributes_means_no_digest() -> None:
    assert md5_of_attributes({}) is None


def test_all_types_custom_suffixes_and_ordering() -> None:
    attrs = {
        "zeta": Attr("Number.float", "3.14"),
        "alpha": Attr("Binary.gif", binary_value=b"\x00\xff\x10"),
        "Mid": Attr("String.custom", "ünïcode"),
        "n": Attr("Number", "-12"),
    }
    expected = _independent(
        {
            "zeta": ("Number.float", "3.14"),
            "alpha": ("Binary.gif", b"\x00\xff\x10"),
            "Mid": ("String.custom", "ünïcode"),
            "n": ("Number", "-12"),
        }
    )
    assert md5_of_attributes(attrs) == expected
    # Insertion order must not matter: AWS sorts by name.
    assert md5_of_attributes(dict(reversed(list(attrs.items())))) == expected


def test_a_shared_prefix_hashed_once_gives_each_body_s_md5() -> None:
    digests = md5.SharedPrefix('{\n  "Message" : "héllo 😀",\n  "UnsubscribeURL" : ')
    for rest in ('"http://h/?a=1"\n}', "", "ü"):
        body = '{\n  "Message" : "héllo 😀",\n  "UnsubscribeURL" : ' + rest
        assert digests.md5_of_body(rest) == md5.md5_of_body(body)
