"""One match value of a filter policy, validated into a typed condition.

Owns: what may appear in a key's array (``"x"``, ``5``, ``true``, ``null``, ``{"prefix": ...}``,
``{"numeric": [...]}``, ``{"anything-but": ...}``, ``{"exists": ...}``, ``{"cidr": ...}``, ...) and
the refusal texts AWS gives for each. The texts are the ones SNS returns (recorded against AWS in
localstack's ``tests/aws/services/sns/test_sns_filter_policy.snapshot.json``), which come from
AWS's rule engine, aws/event-ruler (``JsonRuleCompiler.java``); the order of the checks follows
that engine so that a policy with several faults gets the same refusal.
Must not know: how conditions are evaluated (``filter_match``), the policy's shape or limits
(``filter_parse``), the syntax of wildcard and CIDR operands (``filter_patterns``), messages.

Docs (https://docs.aws.amazon.com/sns/latest/dg/): string-value-matching.html,
numeric-value-matching.html, attribute-key-matching.html,
subscription-filter-policy-constraints.html
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

from densho.sns.filter.errors import FilterPolicyError
from densho.sns.filter.patterns import cidr_range, wildcard_regex

# "the value can range from -10^9 to 10^9" (subscription-filter-policy-constraints.html); the
# refusal is event-ruler's ComparableNumber text, formatted as Java prints the bound.
NUMBER_LIMIT = 1e9
_OUT_OF_RANGE = "Value must be between -1.0E9 and 1.0E9, inclusive"


@dataclass(frozen=True, slots=True)
class Exact:
    """Equal to a string, a number (compared numerically), true, false or null."""

    value: str | float | bool | None


@dataclass(frozen=True, slots=True)
class Prefix:
    text: str


@dataclass(frozen=True, slots=True)
class Suffix:
    text: str


@dataclass(frozen=True, slots=True)
class IgnoreCase:
    """Equal, ignoring case, to one of ``lowered`` (already lower-cased)."""

    lowered: frozenset[str]


@dataclass(frozen=True, slots=True)
class Wildcard:
    pattern: str


@dataclass(frozen=True, slots=True)
class Numeric:
    """``lo < v`` (or ``<=``) and ``v < hi`` (or ``<=``); an unbounded side is a closed infinity."""

    lo: float
    lo_open: bool
    hi: float
    hi_open: bool


@dataclass(frozen=True, slots=True)
class Exists:
    present: bool


@dataclass(frozen=True, slots=True)
class Cidr:
    version: int
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class OneOf:
    """Any of ``values``: all strings or all numbers (AWS refuses a mixed anything-but list)."""

    values: frozenset[str] | frozenset[float]


@dataclass(frozen=True, slots=True)
class AnythingBut:
    """A present value that the inner condition refuses."""

    negated: OneOf | Prefix | Suffix | IgnoreCase | Wildcard


Condition: TypeAlias = (
    Exact | Prefix | Suffix | IgnoreCase | Wildcard | Numeric | Exists | Cidr | AnythingBut
)

_MISSING = object()  # the end of a JSON array, where a member was expected


def _fail(reason: str) -> FilterPolicyError:
    return FilterPolicyError(reason)


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int subclass; JSON true/false are not numbers.
    return type(value) is int or type(value) is float


def _in_range(value: int | float) -> float:
    if not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        raise _fail(_OUT_OF_RANGE)
    return float(value)


def _token(value: object) -> str:
    """The JSON token as AWS's parser quotes it in a refusal."""
    if value is _MISSING:
        return "]"
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, dict):
        return "{"
    if isinstance(value, list):
        return "["
    return str(value)


def condition(value: object) -> Condition:
    """One member of a key's array."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return Exact(value)
    if _is_number(value):
        return Exact(_in_range(value))
    if isinstance(value, dict):
        return _expression(value)
    raise _fail("Match value must be String, number, true, false, or null")


def _expression(expr: dict[str, object]) -> Condition:
    if not expr:
        raise _fail("Match expression name not found")
    name, arg = next(iter(expr.items()))
    build = _OPERATORS.get(name)
    if build is None:
        raise _fail(f"Unrecognized match type {name}")
    built = build(arg)
    if len(expr) > 1:
        # event-ruler reports a second key after numeric/anything-but as a numeric overflow.
        if name in ("numeric", "anything-but"):
            raise _fail("Too many elements in numeric expression")
        raise _fail("Only one key allowed in match expression")
    return built


def _text(name: str, arg: object) -> str:
    if not isinstance(arg, str):
        raise _fail(f"{name} match pattern must be a string")
    return arg


def _exists(arg: object) -> Exists:
    if not isinstance(arg, bool):
        raise _fail("exists match pattern must be either true or false.")
    return Exists(arg)


def _number(value: object, name: str) -> float:
    if not _is_number(value):
        raise _fail(f"Value of {name} must be numeric")
    return _in_range(value)


def _numeric(arg: object) -> Exact | Numeric:
    if not isinstance(arg, list):
        raise _fail("Value of numeric must be an array.")
    items = [*arg, _MISSING, _MISSING, _MISSING]
    op = items[0]
    if not isinstance(op, str):
        raise _fail(f"Invalid member in numeric match: {_token(op)}")
    if op == "=":
        equal = _number(items[1], "equals")
        if len(arg) > 2:
            raise _fail("Too many elements in numeric expression")
        return Exact(equal)
    if op in ("<", "<="):
        top = _number(items[1], op)
        if len(arg) > 2:
            raise _fail("Too many elements in numeric expression")
        return Numeric(-math.inf, False, top, op == "<")
    if op not in (">", ">="):
        raise _fail(f"Unrecognized numeric range operator: {op}")
    bottom = _number(items[1], op)
    if len(arg) == 2:
        return Numeric(bottom, op == ">", math.inf, False)
    op2 = items[2]
    if not isinstance(op2, str):
        raise _fail(f"Bad value in numeric range: {_token(op2)}")
    if op2 not in ("<", "<="):
        raise _fail(f"Bad numeric range operator: {op2}")
    top = _number(items[3], op2)
    if len(arg) > 4:
        raise _fail("Too many terms in numeric range expression")
    if not bottom < top:
        raise _fail("Bottom must be less than top")
    return Numeric(bottom, op == ">", top, op2 == "<")


def _anything_but(arg: object) -> AnythingBut:
    if isinstance(arg, dict):
        return _anything_but_pattern(arg)
    if isinstance(arg, str):
        return AnythingBut(OneOf(frozenset([arg])))
    if _is_number(arg):
        return AnythingBut(OneOf(frozenset([_in_range(arg)])))
    if not isinstance(arg, list):
        raise _fail("Value of anything-but must be an array or single string/number value.")
    strings: set[str] = set()
    numbers: set[float] = set()
    for item in arg:
        if isinstance(item, str):
            strings.add(item)
        elif _is_number(item):
            numbers.add(_in_range(item))
        else:
            raise _fail("Inside anything but list, start|null|boolean is not supported.")
    if bool(strings) == bool(numbers):
        raise _fail(
            "Inside anything but list, either all values are number or string, "
            "mixed type is not supported"
        )
    return AnythingBut(OneOf(frozenset(strings) if strings else frozenset(numbers)))


def _anything_but_pattern(arg: dict[str, object]) -> AnythingBut:
    if not arg:
        raise _fail("Anything-But expression name not found")
    name, inner = next(iter(arg.items()))
    if name == "equals-ignore-case":
        lowered = _ignore_case_values(inner)
        if len(arg) > 1:
            raise _fail("Too many elements in numeric expression")
        return AnythingBut(IgnoreCase(lowered))
    # anything-but takes a prefix or a wildcard. AWS refuses a suffix there: "Unsupported
    # anything-but pattern: suffix" (recorded against AWS in LocalStack's snapshot
    # error-condition-anything-but-suffix).
    if name not in ("prefix", "wildcard"):
        raise _fail(f"Unsupported anything-but pattern: {name}")
    text = _text(name, inner)
    if not text:
        raise _fail("Null prefix/suffix not allowed")
    if len(arg) > 1:
        raise _fail("Only one key allowed in match expression")
    if name == "prefix":
        return AnythingBut(Prefix(text))
    return AnythingBut(_wildcard(text))


def _ignore_case_values(inner: object) -> frozenset[str]:
    if isinstance(inner, str):
        return frozenset([inner.lower()])
    if isinstance(inner, list):
        if not all(isinstance(item, str) for item in inner):
            # sic: AWS's engine spells it "numberic" in this one message.
            raise _fail(
                "Inside anything-but/equals-ignore-case list, "
                "numberic|start|null|boolean is not supported."
            )
        return frozenset(str(item).lower() for item in inner)
    if _is_number(inner):
        raise _fail(
            "Inside anything-but/equals-ignore-case list, "
            "number|start|null|boolean is not supported."
        )
    raise _fail("Value of anything-but must be an array or single string/number value.")


def _wildcard(pattern: str) -> Wildcard:
    wildcard_regex(pattern)  # validates
    return Wildcard(pattern)


def _cidr(arg: object) -> Cidr:
    if not isinstance(arg, str):
        raise _fail("prefix match pattern must be a string")  # sic: AWS names prefix here
    return Cidr(*cidr_range(arg))


_OPERATORS: dict[str, Callable[[object], Condition]] = {
    "exactly": lambda arg: Exact(_text("exact", arg)),
    "prefix": lambda arg: Prefix(_text("prefix", arg)),
    "suffix": lambda arg: Suffix(_text("suffix", arg)),
    "equals-ignore-case": lambda arg: IgnoreCase(
        frozenset([_text("equals-ignore-case", arg).lower()])
    ),
    "wildcard": lambda arg: _wildcard(_text("wildcard", arg)),
    "numeric": _numeric,
    "anything-but": _anything_but,
    "exists": _exists,
    "cidr": _cidr,
}

OPERATORS = frozenset(_OPERATORS)
