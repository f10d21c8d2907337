"""The ``Condition`` element: operators compiled to predicates over a request context.

Owns: every supported operator (String*, Arn*, Numeric*, Date*, Bool, IpAddress / NotIpAddress,
Null), the ``...IfExists`` suffix, the ``ForAnyValue:`` / ``ForAllValues:`` set qualifiers, and
AWS's rule for a key the request does not carry: the condition is false, except that negated
operators (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``, ...) are true, ``...IfExists``
is true and ``Null`` tests presence (IAM User Guide, "Condition operators").
Must not know: which keys a service sets; policies' other elements.

A context maps lower-cased key names (condition keys are case-insensitive) to a string or a
tuple of strings (a multivalued key). Within one operator every key must hold; within one key,
a positive operator needs one of the policy's values to match, a negated one needs none to.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from densho.iam.patterns import arn_like, wildcard

Context = Mapping[str, "str | tuple[str, ...]"]
Predicate = Callable[[Context], bool]
# (context value, policy value) -> match. Policy values are strings; a bad one matches nothing.
Compare = Callable[[str, str], bool]


class ConditionError(ValueError):
    """An operator or a block that IAM would refuse: the statement carrying it never applies."""


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _date(text: str) -> float | None:
    """Epoch seconds from ISO 8601 (``2026-12-04T03:00:00Z``, a date alone) or epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _ordered(parse: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Compare:
    def compare(have: str, want: str) -> bool:
        a, b = parse(have), parse(want)
        return a is not None and b is not None and test(a, b)

    return compare


@lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _ip(have: str, want: str) -> bool:
    """IpAddress: the address lies in the CIDR (or is the address); v4 never matches v6."""
    network = _network(want)
    try:
        return network is not None and ipaddress.ip_address(have.strip()) in network
    except ValueError:
        return False


def _eq(a: float, b: float) -> bool:
    return a == b


def _lt(a: float, b: float) -> bool:
    return a < b


def _le(a: float, b: float) -> bool:
    return a <= b


def _gt(a: float, b: float) -> bool:
    return a > b


def _ge(a: float, b: float) -> bool:
    return a >= b


# Operator (lower case) -> (comparison, negated). A negated operator holds when no policy value
# matches the positive comparison.
_OPERATORS: dict[str, tuple[Compare, bool]] = {
    "stringequals": (lambda h, w: h == w, False),
    "stringnotequals": (lambda h, w: h == w, True),
    "stringequalsignorecase": (lambda h, w: h.casefold() == w.casefold(), False),
    "stringnotequalsignorecase": (lambda h, w: h.casefold() == w.casefold(), True),
    "stringlike": (lambda h, w: wildcard(w)(h), False),
    "stringnotlike": (lambda h, w: wildcard(w)(h), True),
    "arnequals": (lambda h, w: arn_like(w, h), False),
    "arnlike": (lambda h, w: arn_like(w, h), False),
    "arnnotequals": (lambda h, w: arn_like(w, h), True),
    "arnnotlike": (lambda h, w: arn_like(w, h), True),
    "numericequals": (_ordered(_number, _eq), False),
    "numericnotequals": (_ordered(_number, _eq), True),
    "numericlessthan": (_ordered(_number, _lt), False),
    "numericlessthanequals": (_ordered(_number, _le), False),
    "numericgreaterthan": (_ordered(_number, _gt), False),
    "numericgreaterthanequals": (_ordered(_number, _ge), False),
    "dateequals": (_ordered(_date, _eq), False),
    "datenotequals": (_ordered(_date, _eq), True),
    "datelessthan": (_ordered(_date, _lt), False),
    "datelessthanequals": (_ordered(_date, _le), False),
    "dategreaterthan": (_ordered(_date, _gt), False),
    "dategreaterthanequals": (_ordered(_date, _ge), False),
    "bool": (lambda h, w: h.lower() == w.lower(), False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
}


def _values(raw: Any) -> tuple[str, ...]:
    """A condition's policy values as strings: a string, number or bool, or a list of them."""
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            raise ConditionError(f"condition value {item!r}")
    if not out:
        raise ConditionError("empty condition values")
    return tuple(out)


def _null(key: str, values: tuple[str, ...]) -> Predicate:
    if len(values) != 1 or values[0].lower() not in ("true", "false"):
        raise ConditionError("Null takes true or false")
    absent = values[0].lower() == "true"

    def check(context: Context) -> bool:
        have = context.get(key)
        missing = have is None or have == ()
        return missing == absent

    return check


def _key_check(
    compare: Compare,
    negated: bool,
    qualifier: str,
    if_exists: bool,
    key: str,
    want: tuple[str, ...],
) -> Predicate:
    def one(value: str) -> bool:
        hit = any(compare(value, w) for w in want)
        return not hit if negated else hit

    def check(context: Context) -> bool:
        have = context.get(key)
        if have is None:
            if if_exists:
                return True
            if qualifier == "forallvalues":
                return True  # vacuously: every one of no values matches
            if qualifier == "foranyvalue":
                return False
            return negated
        values = (have,) if isinstance(have, str) else have
        if qualifier == "forallvalues":
            return all(one(v) for v in values)
        if qualifier == "foranyvalue":
            return any(one(v) for v in values)
        if not values:
            return negated
        # A single-valued operator over a multivalued key: AWS advises against it; the value
        # matches when any of them does (positive) or none does (negated).
        return all(one(v) for v in values) if negated else any(one(v) for v in values)

    return check


def compile_condition(block: Any) -> tuple[Predicate, ...]:
    """The predicates of a ``Condition`` element, all of which must hold. Raises
    ``ConditionError`` for an element IAM would refuse (unknown operator, malformed values)."""
    if not isinstance(block, dict):
        raise ConditionError("Condition must be an object")
    checks: list[Predicate] = []
    for raw_operator, keys in block.items():
        if not isinstance(raw_operator, str) or not isinstance(keys, dict):
            raise ConditionError(f"operator {raw_operator!r}")
        qualifier, _, name = raw_operator.lower().rpartition(":")
        if qualifier not in ("", "foranyvalue", "forallvalues"):
            raise ConditionError(f"set operator {raw_operator}")
        for raw_key, raw_values in keys.items():
            if not isinstance(raw_key, str):
                raise ConditionError("condition key")
            key = raw_key.lower()
            values = _values(raw_values)
            if name == "null" and not qualifier:
                checks.append(_null(key, values))
                continue
            if_exists = name.endswith("ifexists")
            base = name[: -len("ifexists")] if if_exists else name
            found = _OPERATORS.get(base)
            if found is None:
                raise ConditionError(f"operator {raw_operator}")
            compare, negated = found
            checks.append(_key_check(compare, negated, qualifier, if_exists, key, values))
    return tuple(checks)
