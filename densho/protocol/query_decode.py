"""The AWS Query request decoder: form fields (``Attribute.1.Name=...``) -> botocore-shaped values.

Owns: splitting flat form keys into a tree once per request, and one decoder closure per input
shape, compiled once from the model's Query traits (``locationName``, ``flattened``,
``member``/``entry`` nesting), with string-to-type conversion and the model's constraints.

Must not know: HTTP details beyond the already-parsed form pairs, routing, or error rendering.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from .shapes import Decoder, ShapeCompiler
from .validate import DecodeError, int_checks, member_name, size_checks

_INT = re.compile(r"-?[0-9]+").fullmatch
# Wider than any integer type: refused before int() spends time on it (or, past 4,300 digits,
# refuses it with a ValueError of its own).
_INT_DIGITS_MAX = 20
# A list index: ASCII digits only, and few enough for int() (a longer one is no index at all).
_INDEX = re.compile(r"[0-9]{1,9}").fullmatch
_FLOAT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?").fullmatch


def build_tree(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``[("A.1.Name", "x")]`` -> ``{"A": {"1": {"Name": "x"}}}``; a dict beats a scalar."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        if "." not in key:
            if type(root.get(key)) is not dict:
                root[key] = value
            continue
        *parents, last = key.split(".")
        node = root
        for part in parents:
            child = node.get(part)
            if type(child) is not dict:
                child = node[part] = {}
            node = child
        if type(node.get(last)) is not dict:
            node[last] = value
    return root


class QueryDecoders(ShapeCompiler):
    """Compiles input shapes of one (Query-flavoured) service model into Query decoders."""

    def for_input(self, shape: StructureShape | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
        if shape is None:
            return lambda tree: {}
        decoder: Callable[[dict[str, Any]], dict[str, Any]] = self._structure(shape, top=True)
        return decoder

    def _string(self, check: Callable[[Any], None] | None) -> Decoder:
        return _scalar(_same, check)

    def _scalar(self, kind: str, shape: Shape) -> Decoder:
        if kind in ("integer", "long"):
            return _scalar(_to_int, int_checks(shape))
        if kind == "boolean":
            return _scalar(_to_bool, None)
        if kind == "blob":
            return _scalar(_to_blob, None)
        if kind == "timestamp":
            return _scalar(_to_timestamp, None)
        if kind in ("float", "double"):
            return _scalar(_to_float, None)
        return _scalar(_same, None)

    def _structure(
        self, shape: StructureShape, top: bool = False
    ) -> Callable[[Any], dict[str, Any]]:
        plan: list[tuple[str, str, str, Decoder]] = []
        claimed: set[str] = set()
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            key = wire
            if member.type_name == "list" and member.serialization.get("flattened"):
                assert isinstance(member, ListShape)
                key = member.member.serialization.get("name", wire)
            if key in claimed:  # two members on one wire name: the first in model order wins
                continue
            claimed.add(key)
            plan.append((name, key, wire, self._compile(member, shape.name, name)))
        names = {name: member_name(name) for name in shape.members}
        required = tuple(shape.required_members)
        nonempty = self._nonempty_required(shape, top)

        def decode(node: Any) -> dict[str, Any]:
            if type(node) is not dict:
                raise DecodeError("type", "Expected a structure", node)
            out: dict[str, Any] = {}
            for name, key, wire, dec in plan:
                value = node.get(key)
                if value is None:
                    if wire == key or node.get(wire) != "":
                        continue
                    value = ""  # ``Names=`` with no ``Name.N``: botocore's empty flattened list
                try:
                    out[name] = dec(value)
                except DecodeError as err:
                    err.path.append(key)
                    err.member_path.append(names[name])
                    raise
            for name in required:
                if name not in out or (name in nonempty and out[name] == ""):
                    missing = DecodeError("missing")
                    missing.path.append(shape.members[name].serialization.get("name", name))
                    missing.member_path.append(names[name])
                    raise missing
            return out

        return decode

    def _list(self, shape: ListShape, parent: str, member: str) -> Decoder:
        # The enum quirks name the structure member, so its context reaches the elements.
        element = self._compile(shape.member, parent, member)
        flattened = bool(shape.serialization.get("flattened"))
        inner = shape.member.serialization.get("name", "member")
        size = size_checks(shape)

        def decode(node: Any) -> list[Any]:
            if node == "":
                return []
            if not flattened:
                node = node.get(inner) if type(node) is dict else None
                if node is None:
                    return []
            out = [_indexed(element, item, index) for index, item in _entries(node)]
            if size is not None:
                size(out)
            return out

        return decode

    def _map(self, shape: MapShape) -> Decoder:
        key_dec = self._compile(shape.key)
        value_dec = self._compile(shape.value)
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = bool(shape.serialization.get("flattened"))
        size = size_checks(shape)

        def decode(node: Any) -> dict[str, Any]:
            if node == "":
                return {}
            if not flattened:
                node = node.get("entry") if type(node) is dict else None
                if node is None:
                    return {}
            out: dict[str, Any] = {}
            for index, entry in _entries(node):
                if type(entry) is not dict:
                    raise _at(DecodeError("type", "Expected a key and a value", entry), index)
                # AWS names the missing part without its index: "Attribute.Name". [quirks: REC]
                if key_name not in entry:
                    raise _at(DecodeError("missing"), key_name)
                if value_name not in entry:
                    raise _at(DecodeError("missing"), value_name)
                key = _indexed(key_dec, entry[key_name], index, key_name)
                out[key] = _indexed(value_dec, entry[value_name], index, value_name, key=key)
            if size is not None:
                size(out)
            return out

        return decode


def _entries(node: Any) -> list[tuple[str, Any]]:
    if type(node) is not dict:
        raise DecodeError("type", "Expected numbered members", node)
    entries = []
    for key, value in node.items():
        if _INDEX(key) is not None:
            entries.append((key, value))
        elif not key.isascii() and any(c.isnumeric() for c in key):
            # "Attribute.².Name", Arabic-Indic or full-width digits: str.isdigit() says yes,
            # the Query protocol says no (and int() fails on some of them).
            raise DecodeError("type", "List indexes are written in ASCII digits", key)
    return sorted(entries, key=lambda kv: int(kv[0]))


def _at(err: DecodeError, *segments: str) -> DecodeError:
    err.path.extend(reversed(segments))
    err.member_path.extend(member_name(s) for s in reversed(segments))
    return err


def _indexed(dec: Decoder, value: Any, index: str, *tail: str, key: str | None = None) -> Any:
    """An element decoded: a list's at ``index``, or a map entry's part ``tail`` (its value
    under ``key``: AWS's member path names a map value by its key, a list element by index)."""
    try:
        return dec(value)
    except DecodeError as err:
        err.path.extend(reversed(tail))
        err.path.append(index)
        err.member_path.append("member")
        err.member_path.append(index if key is None else key)
        raise


def _scalar(convert: Callable[[str], Any], check: Callable[[Any], None] | None) -> Decoder:
    if check is None:

        def plain(value: Any) -> Any:
            if type(value) is not str:
                raise DecodeError("type", "Expected a single value", "")
            return convert(value)

        return plain

    def checked(value: Any) -> Any:
        if type(value) is not str:
            raise DecodeError("type", "Expected a single value", "")
        out = convert(value)
        check(out)
        return out

    return checked


def _same(value: str) -> str:
    return value


def _to_int(value: str) -> int:
    if _INT(value) is None:
        raise DecodeError("type", "Must be an integer", value)
    if len(value) > _INT_DIGITS_MAX:
        raise DecodeError("type", "Value out of range for its integer type", value)
    return int(value)


def _to_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise DecodeError("type", "Must be true or false", value)


def _to_blob(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError("type", "Must be base64-encoded binary", value) from None


def _to_float(value: str) -> float:
    if _FLOAT(value) is None:
        raise DecodeError("type", "Must be a number", value)
    return float(value)


def _to_timestamp(value: str) -> dt.datetime:
    try:
        if _FLOAT(value) is not None:
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise DecodeError("type", "Must be an ISO 8601 timestamp", value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
