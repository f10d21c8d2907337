"""Model-driven validation shared by the JSON and Query decoders, and its AWS error texts.

Owns: the checks a botocore shape declares (required, enum, min/max, pattern, integer ranges),
compiled once into small closures; ``DecodeError``, the cheap internal signal decoders raise; and
turning a ``DecodeError`` into the ``AwsError`` each service answers (codes and texts per AWS).

Must not know: HTTP, body formats (the decoders do), or any operation's semantics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from . import quirks
from .errors import AwsError

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class DecodeError(Exception):
    """A parameter failed to decode. ``path`` (wire names: ``MessageAttributes.1.Value``) and
    ``member_path`` (the model's member names as AWS's validation messages write them:
    ``messageAttributes.attr1.member.dataType``, each list index or map key followed by
    ``member``) are built innermost-first while unwinding.

    kind: "missing" (required member absent), "invalid" (value breaks a model constraint),
    "type" (wrong wire type: for JSON a serialization error), "enum" (not an allowed value).
    """

    __slots__ = ("enum_shape", "kind", "member_path", "path", "reason", "value")

    def __init__(
        self, kind: str, reason: str = "", value: Any = None, enum_shape: str = ""
    ) -> None:
        super().__init__(kind, reason)
        self.kind = kind
        self.reason = reason
        self.value = value
        self.enum_shape = enum_shape
        self.path: list[str] = []
        self.member_path: list[str] = []


Check = Callable[[Any], None]


def _len_check(lo: int | None, hi: int | None, what: str) -> Check | None:
    if lo is None and hi is None:
        return None
    low = lo if lo is not None else 0
    high = hi if hi is not None else 2**63

    def check(value: Any) -> None:
        if not low <= len(value) <= high:
            if hi is None:
                reason = f"Member must have {what} greater than or equal to {low}"
            else:
                reason = f"Member must have {what} between {low} and {high}"
            raise DecodeError("invalid", reason, value)

    return check


def _pattern_check(pattern: str) -> Check | None:
    try:
        compiled = re.compile(pattern)
    except re.error:  # a Java-only regex feature: AWS validates it, we cannot; skip, never fail
        return None
    search = compiled.search

    def check(value: Any) -> None:
        if search(value) is None:
            raise DecodeError(
                "invalid", f"Member must satisfy regular expression pattern: {pattern}", value
            )

    return check


def _enum_check(values: frozenset[str], enum_shape: str, shown: list[str]) -> Check:
    listing = ", ".join(shown)

    def check(value: Any) -> None:
        if value not in values:
            raise DecodeError(
                "enum", f"Member must satisfy enum value set: [{listing}]", value, enum_shape
            )

    return check


def string_checks(
    shape: Shape, extra_enum: list[str] | None = None, nul_allowed: bool = False
) -> Check | None:
    """One closure for all of a string shape's constraints, or None when it has none.
    ``nul_allowed``: U+0000 is left to the operation's own rules (message bodies)."""
    checks: list[Check] = [] if nul_allowed else [_no_nul]
    meta = shape.metadata
    enum = meta.get("enum")
    if enum:
        values = list(enum) + list(extra_enum or [])
        checks.append(_enum_check(frozenset(values), shape.name, list(enum)))
    length = _len_check(meta.get("min"), meta.get("max"), "length")
    if length is not None:
        checks.append(length)
    if "pattern" in meta:
        pat = _pattern_check(meta["pattern"])
        if pat is not None:
            checks.append(pat)
    return _combine(checks)


def _no_nul(value: Any) -> None:
    # No name, ARN, URL, tag or attribute holds U+0000: AWS refuses it, XML cannot carry it
    # back, and PostgreSQL cannot store it in text.
    if "\x00" in value:
        raise DecodeError("invalid", "Member must not contain the character U+0000", value)


def int_checks(shape: Shape) -> Check:
    meta = shape.metadata
    bounds = INT64 if shape.type_name == "long" else INT32
    lo = max(meta.get("min", bounds[0]), bounds[0])
    hi = min(meta.get("max", bounds[1]), bounds[1])
    modeled = "min" in meta or "max" in meta

    def check(value: Any) -> None:
        if not lo <= value <= hi:
            if not modeled:  # outside the wire type itself, not a modeled range
                raise DecodeError("type", "Value out of range for its integer type", value)
            raise DecodeError("invalid", f"Member must have value between {lo} and {hi}", value)

    return check


def size_checks(shape: Shape) -> Check | None:
    meta = shape.metadata
    return _len_check(meta.get("min"), meta.get("max"), "length")


def _combine(checks: list[Check]) -> Check | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> None:
        for c in checks:
            c(value)

    return check


# --- DecodeError -> AwsError ---------------------------------------------------------------------


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def member_name(name: str) -> str:
    """A model member's name as AWS's validation messages write it."""
    return _lower_first(name)


def to_aws_error(err: DecodeError, service: str, protocol: str, operation: str) -> AwsError:
    """The error AWS answers for a parameter that failed to decode."""
    path = ".".join(reversed(err.path))
    # SNS's ValidationError names the member as AWS's validator walks the model (a decoder
    # that does not track it leaves the wire path).
    at = ".".join(reversed(err.member_path)) or _lower_first(path)
    if err.kind == "missing":
        override = quirks.MISSING_MEMBER_ERRORS.get((service, operation, path))
        override = override or quirks.MISSING_MEMBER_ERRORS.get((service, "*", path))
        if override is not None:
            return AwsError(*override)
        if service == "sns":
            return AwsError(
                "ValidationError",
                f"1 validation error detected: Value null at '{at}' failed to "
                "satisfy constraint: Member must not be null",
            )
        return AwsError("MissingParameter", f"The request must contain the parameter {path}.")
    if err.kind == "enum":
        special = quirks.ENUM_ERRORS.get((service, err.enum_shape))
        if special is not None:
            return AwsError(special[0], special[1].format(value=err.value))
    if err.kind == "type" and protocol == "json":
        return AwsError("MalformedInput", f"{err.reason} at '{path}'" if path else err.reason)
    if service == "sns":
        if err.kind == "type":
            return AwsError("InvalidParameter", f"Invalid parameter: {path}")
        return AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{err.value}' at '{at}' failed to "
            f"satisfy constraint: {err.reason}",
        )
    return AwsError(
        "InvalidParameterValue",
        f"Value {err.value} for parameter {path} is invalid. Reason: {err.reason}.",
    )
