"""Property-based round trips: any valid body and attribute map survives send + receive
byte for byte, with the digests AWS's algorithm gives, on both protocols.

Valid means: characters in the set the SendMessage reference allows (#x9 | #xA | #xD |
#x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF), up to 10 attributes with names of
alphanumerics, hyphens and underscores, non-empty values, optional custom type suffixes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.helpers import md5_of_attributes, md5_of_body


def _allowed(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


allowed_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(_allowed),
    min_size=1,
    max_size=300,
)
type_suffix = st.one_of(st.just(""), st.from_regex(r"\.[A-Za-z0-9]{1,10}", fullmatch=True))
numbers = st.one_of(
    st.integers(min_value=-(10**18), max_value=10**18).map(str),
    st.tuples(st.integers(-(10**6), 10**6), st.integers(0, 10**6)).map(lambda t: f"{t[0]}.{t[1]}"),
)


@st.composite
def attribute(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["String", "Number", "Binary"]))
    data_type = kind + draw(type_suffix)
    if kind == "String":
        return {"DataType": data_type, "StringValue": draw(allowed_text)}
    if kind == "Number":
        return {"DataType": data_type, "StringValue": draw(numbers)}
    return {"DataType": data_type, "BinaryValue": draw(st.binary(min_size=1, max_size=200))}


attribute_maps = st.dictionaries(
    keys=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    values=attribute(),
    max_size=10,
)

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(body=allowed_text, attrs=attribute_maps)
def test_any_valid_message_round_trips(
    sqs: Any, queue: str, body: str, attrs: dict[str, Any]
) -> None:
    kwargs: dict[str, Any] = {"QueueUrl": queue, "MessageBody": body}
    if attrs:
        kwargs["MessageAttributes"] = attrs
    sent = sqs.send_message(**kwargs)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    assert sent.get("MD5OfMessageAttributes") == md5_of_attributes(attrs)

    resp = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], WaitTimeSeconds=1)
    [msg] = resp["Messages"]
    try:
        assert msg["MessageId"] == sent["MessageId"]
        assert msg["Body"] == body
        assert msg["MD5OfBody"] == md5_of_body(body)
        assert msg.get("MessageAttributes", {}) == attrs
        if attrs:
            assert msg["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    finally:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
