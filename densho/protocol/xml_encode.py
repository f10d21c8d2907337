"""The AWS Query response encoder: botocore-shaped results -> XML text.

Owns: one writer closure per output shape, compiled once from the model's Query traits
(``locationName``, ``flattened``, ``member``/``entry`` wrapping, ``resultWrapper``), and the text
escaping AWS applies (see ``quirks.XML_TEXT_ESCAPES``).

Must not know: HTTP, routing, error semantics, or which operation means what.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from . import quirks

# A writer appends the XML text of ``value`` (content only, no enclosing tag) to ``out``.
Writer = Callable[[list[str], Any], None]


def escape(text: str) -> str:
    for char, entity in quirks.XML_TEXT_ESCAPES:
        if char in text:
            text = text.replace(char, entity)
    return text


def _text(value: Any) -> str:
    return escape(value if type(value) is str else str(value))


def _bool_text(value: Any) -> str:
    return "true" if value is True or value == "true" else "false"


def _blob_text(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def _timestamp_text(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromtimestamp(float(value), dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    text: str = value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


_SCALARS: dict[str, Callable[[Any], str]] = {
    "boolean": _bool_text,
    "blob": _blob_text,
    "timestamp": _timestamp_text,
}


def compile_writer(shape: Shape) -> Writer:
    """The writer for ``shape``'s content."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _structure(shape)
    if kind == "list":
        assert isinstance(shape, ListShape)
        return _list_content(shape)
    if kind == "map":
        assert isinstance(shape, MapShape)
        return _map_content(shape)
    render = _SCALARS.get(kind, _text)

    def scalar(out: list[str], value: Any) -> None:
        out.append(render(value))

    return scalar


def _structure(shape: StructureShape) -> Writer:
    plan: list[tuple[str, Writer]] = []
    for name, member in shape.members.items():
        plan.append((name, _member(member, member.serialization.get("name", name))))

    def write(out: list[str], value: Any) -> None:
        get = value.get
        for name, writer in plan:
            item = get(name)
            if item is not None:
                writer(out, item)

    return write


def _member(shape: Shape, tag: str) -> Writer:
    """Writer for one member, enclosing tag(s) included."""
    flattened = shape.serialization.get("flattened")
    if flattened and isinstance(shape, ListShape):
        element = shape.member.serialization.get("name", tag)
        return _repeat(compile_writer(shape.member), f"<{element}>", f"</{element}>")
    if flattened and isinstance(shape, MapShape):
        return _map_entries(shape, f"<{tag}>", f"</{tag}>")
    inner = compile_writer(shape)
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"

    def write(out: list[str], value: Any) -> None:
        out.append(open_tag)
        inner(out, value)
        out.append(close_tag)

    return write


def _repeat(inner: Writer, open_tag: str, close_tag: str) -> Writer:
    def write(out: list[str], values: Any) -> None:
        for item in values:
            out.append(open_tag)
            inner(out, item)
            out.append(close_tag)

    return write


def _list_content(shape: ListShape) -> Writer:
    element = shape.member.serialization.get("name", "member")
    return _repeat(compile_writer(shape.member), f"<{element}>", f"</{element}>")


def _map_entries(shape: MapShape, open_tag: str, close_tag: str) -> Writer:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    key_writer = compile_writer(shape.key)
    value_writer = compile_writer(shape.value)
    key_open, key_close = f"<{key_tag}>", f"</{key_tag}>"
    value_open, value_close = f"<{value_tag}>", f"</{value_tag}>"

    def write(out: list[str], mapping: Any) -> None:
        for key, item in mapping.items():
            out.append(open_tag)
            out.append(key_open)
            key_writer(out, key)
            out.append(key_close)
            out.append(value_open)
            value_writer(out, item)
            out.append(value_close)
            out.append(close_tag)

    return write


def _map_content(shape: MapShape) -> Writer:
    return _map_entries(shape, "<entry>", "</entry>")


def compile_response(
    operation: str, output: StructureShape | None, namespace: str, declaration: str
) -> Callable[[dict[str, Any], str], bytes]:
    """Whole-response encoder: ``(result, request_id) -> XML bytes`` for one operation."""
    head = f'{declaration}<{operation}Response xmlns="{namespace}">'
    tail = f"</{operation}Response>"
    meta_open = "<ResponseMetadata><RequestId>"
    meta_close = "</RequestId></ResponseMetadata>"
    if output is None:

        def encode_empty(result: dict[str, Any], request_id: str) -> bytes:
            return f"{head}{meta_open}{request_id}{meta_close}{tail}".encode()

        return encode_empty
    wrapper = output.serialization.get("resultWrapper", f"{operation}Result")
    writer = _structure(output)
    result_open, result_close, result_empty = f"<{wrapper}>", f"</{wrapper}>", f"<{wrapper}/>"

    def encode(result: dict[str, Any], request_id: str) -> bytes:
        out = [head, result_open]
        writer(out, result)
        if len(out) == 2:
            out[1] = result_empty
        else:
            out.append(result_close)
        out.append(meta_open)
        out.append(request_id)
        out.append(meta_close)
        out.append(tail)
        return "".join(out).encode()

    return encode
