"""The AWS JSON 1.0 codec: JSON values <-> botocore-shaped Python values.

Owns: one decoder closure per input shape, compiled once from the model (types, required members,
constraints, base64 blobs, epoch timestamps); and encoding results with orjson.

Must not know: HTTP, operation routing, error rendering, or what any parameter means.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from .shapes import Decoder, ShapeCompiler
from .validate import DecodeError, int_checks, size_checks

_UTC = dt.UTC


class JsonDecoders(ShapeCompiler):
    """Compiles input shapes of one service model into JSON decoders."""

    def for_input(self, shape: StructureShape | None) -> Callable[[Any], dict[str, Any]]:
        if shape is None:
            return _empty_struct
        decoder: Callable[[Any], dict[str, Any]] = self._structure(shape, top=True)
        return decoder

    def _scalar(self, kind: str, shape: Shape) -> Decoder:
        if kind in ("integer", "long"):
            return _int(int_checks(shape))
        if kind == "boolean":
            return _bool
        if kind == "blob":
            return _blob
        if kind == "timestamp":
            return _timestamp
        if kind in ("float", "double"):
            return _float
        return _passthrough  # document / unknown types: accept as sent

    def _string(self, check: Callable[[Any], None] | None) -> Decoder:
        if check is None:
            return _str

        def decode(value: Any) -> Any:
            if type(value) is not str:
                raise DecodeError("type", "Expected a string", value)
            check(value)
            return value

        return decode

    def _structure(
        self, shape: StructureShape, top: bool = False
    ) -> Callable[[Any], dict[str, Any]]:
        members = {
            name: self._compile(member, shape.name, name) for name, member in shape.members.items()
        }
        required = self._required(shape)
        nonempty = self._nonempty_required(shape, top)
        get = members.get

        def decode(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise DecodeError("type", "Expected an object", value)
            out: dict[str, Any] = {}
            for key, item in value.items():
                dec = get(key)
                if dec is None or item is None:  # unknown members are ignored, as AWS does
                    continue
                try:
                    out[key] = dec(item)
                except DecodeError as err:
                    err.path.append(key)
                    raise
            for name in required:
                if name not in out:
                    raise _missing(name)
            for name in nonempty:
                if out[name] == "":
                    raise _missing(name)
            return out

        return decode

    def _list(self, shape: ListShape, parent: str, member: str) -> Decoder:
        # The enum quirks name the structure member, so its context reaches the elements.
        element = self._compile(shape.member, parent, member)
        size = size_checks(shape)

        def decode(value: Any) -> list[Any]:
            if type(value) is not list:
                raise DecodeError("type", "Expected a list", value)
            out = []
            for index, item in enumerate(value, 1):
                try:
                    out.append(element(item))
                except DecodeError as err:
                    err.path.append(str(index))
                    raise
            if size is not None:
                size(out)
            return out

        return decode

    def _map(self, shape: MapShape) -> Decoder:
        key_dec = self._compile(shape.key)
        value_dec = self._compile(shape.value)
        size = size_checks(shape)

        def decode(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise DecodeError("type", "Expected an object", value)
            out = {}
            for key, item in value.items():
                try:
                    out[key_dec(key)] = value_dec(item)
                except DecodeError as err:
                    err.path.append(str(key))
                    raise
            if size is not None:
                size(out)
            return out

        return decode


def _missing(name: str) -> DecodeError:
    err = DecodeError("missing")
    err.path.append(name)
    return err


def _empty_struct(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise DecodeError("type", "Expected an object", value)
    return {}


def _str(value: Any) -> Any:
    if type(value) is not str:
        raise DecodeError("type", "Expected a string", value)
    return value


def _int(check: Callable[[Any], None]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not int:  # bool is a subclass of int; type() excludes it
            raise DecodeError("type", "Expected an integer", value)
        check(value)
        return value

    return decode


def _bool(value: Any) -> Any:
    if type(value) is not bool:
        raise DecodeError("type", "Expected a boolean", value)
    return value


def _blob(value: Any) -> bytes:
    if type(value) is not str:
        raise DecodeError("type", "Expected a base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError("type", "Invalid base64", value) from None


def _timestamp(value: Any) -> dt.datetime:
    if type(value) in (int, float):
        try:
            return dt.datetime.fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):
            raise DecodeError("type", "Invalid timestamp", value) from None
    if type(value) is str:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise DecodeError("type", "Invalid timestamp", value) from None
    raise DecodeError("type", "Expected a timestamp", value)


def _float(value: Any) -> float:
    if type(value) not in (int, float):
        raise DecodeError("type", "Expected a number", value)
    return float(value)


def _passthrough(value: Any) -> Any:
    return value


def _default(obj: Any) -> Any:
    if isinstance(obj, bytes | bytearray | memoryview):
        return base64.b64encode(obj).decode("ascii")
    if isinstance(obj, dt.datetime):  # JSON protocol timestamps are epoch seconds
        return obj.timestamp()
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def encode(result: dict[str, Any]) -> bytes:
    """A result in JSON 1.0 form: blobs base64, timestamps epoch seconds, absent stays absent."""
    return orjson.dumps(result, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def decode_body(body: bytes) -> Any:
    """Parse a JSON body; an empty body counts as ``{}`` (botocore always sends an object)."""
    if not body:
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise DecodeError("type", "Malformed JSON in request body") from None
