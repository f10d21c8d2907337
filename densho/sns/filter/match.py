"""Compiling a parsed filter policy into closures that decide whether a message matches.

Owns: what each condition means for a message value, and how keys combine: AND across keys, OR
within a key's array, "$or" across alternatives; a key matches when any of its values matches any
of its conditions (arrays in the message match if any member matches). Conditions are typed as
in AWS's engine: a string condition never matches a number and a numeric one never matches a
string, ``true``/``false``/``null`` match only themselves.
Must not know: policy JSON or its limits (``filter_parse``), message formats (``filter_values``).

Docs (Amazon SNS Developer Guide): sns-subscription-filter-policies.html (how a message is
accepted), string-value-matching.html, numeric-value-matching.html, attribute-key-matching.html,
and-or-logic.html.
"""

from __future__ import annotations

from collections.abc import Callable

from densho.sns.filter.conditions import (
    AnythingBut,
    Cidr,
    Condition,
    Exact,
    Exists,
    IgnoreCase,
    Numeric,
    OneOf,
    Prefix,
    Suffix,
    Wildcard,
)
from densho.sns.filter.parse import Branch, Leaf
from densho.sns.filter.patterns import ip_value, wildcard_regex
from densho.sns.filter.values import Value, View

ValueTest = Callable[[Value], bool]
KeyTest = Callable[[list[Value] | None, bool], bool]
BranchTest = Callable[[View, bool], bool]


def compile_branch(branch: Branch, *, body: bool) -> BranchTest:
    """A test of a message view; the bool says whether the message has any key at all."""
    keys = tuple((leaf.path, compile_key(leaf, body=body)) for leaf in branch.leaves)
    ors = tuple(tuple(compile_branch(alt, body=body) for alt in alts) for alts in branch.ors)

    def test(view: View, nonempty: bool) -> bool:
        for path, key_test in keys:
            if not key_test(view.get(path), nonempty):
                return False
        return all(any(alt(view, nonempty) for alt in alts) for alts in ors)

    return test


def compile_key(leaf: Leaf, *, body: bool) -> KeyTest:
    """A test of one key's values (None when the key is absent)."""
    exists = {cond.present for cond in leaf.conditions if isinstance(cond, Exists)}
    value_test = compile_values(tuple(c for c in leaf.conditions if not isinstance(c, Exists)))
    if not exists and value_test is not None:
        matches_value = value_test

        def plain(values: list[Value] | None, nonempty: bool) -> bool:
            return values is not None and any(matches_value(v) for v in values)

        return plain
    if_present, if_absent = True in exists, False in exists

    def test(values: list[Value] | None, nonempty: bool) -> bool:
        # A body key whose values are all null is absent for "exists" ("The key must have a
        # non-null and non-empty value", attribute-key-matching.html) yet may match [null].
        present = values is not None and (not body or any(v is not None for v in values))
        if not present:
            # "exists": false "only matches if at least one attribute is present. An empty set
            # of attributes causes the filter not to match." (attribute-key-matching.html)
            if if_absent and nonempty:
                return True
        elif if_present:
            return True
        return value_test is not None and any(value_test(v) for v in values or ())

    return test


def uses_absence(branch: Branch) -> bool:
    """Whether any key asks for ``"exists": false`` (only then is emptiness worth computing)."""
    return any(Exists(False) in leaf.conditions for leaf in branch.leaves) or any(
        uses_absence(alt) for alts in branch.ors for alt in alts
    )


def compile_values(conditions: tuple[Condition, ...]) -> ValueTest | None:
    """One test for a key's value conditions (None if it has none): any condition matching."""
    strings: set[str] = set()
    numbers: set[float] = set()
    literals: set[bool | None] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    others: list[ValueTest] = []
    for cond in conditions:
        if isinstance(cond, Exact):
            if isinstance(cond.value, str):
                strings.add(cond.value)
            elif isinstance(cond.value, float):
                numbers.add(cond.value)
            else:
                literals.add(cond.value)
        elif isinstance(cond, Prefix):
            prefixes.append(cond.text)
        elif isinstance(cond, Suffix):
            suffixes.append(cond.text)
        else:
            others.append(_single(cond))
    if not (strings or numbers or literals or prefixes or suffixes or others):
        return None
    starts, ends = tuple(prefixes), tuple(suffixes)

    def test(value: Value) -> bool:
        if isinstance(value, str):
            if value in strings or (starts and value.startswith(starts)):
                return True
            if ends and value.endswith(ends):
                return True
        elif isinstance(value, float):
            if value in numbers:
                return True
        elif value in literals:  # None, True, False (bool is no float, so never in numbers)
            return True
        return any(other(value) for other in others)

    return test


def _single(cond: Condition) -> ValueTest:
    if isinstance(cond, Numeric):
        return _numeric(cond)
    if isinstance(cond, Cidr):
        return _cidr(cond)
    if isinstance(cond, AnythingBut):
        inner = _positive(cond.negated)
        # Typed like the inner condition: anything-but strings wants a string, and so on.
        wants = float if _is_numeric_set(cond.negated) else str
        return lambda v: isinstance(v, wants) and not inner(v)
    if isinstance(cond, IgnoreCase | Wildcard):
        return _positive(cond)
    raise AssertionError(f"handled by compile_values: {cond!r}")  # pragma: no cover


def _positive(cond: OneOf | Prefix | Suffix | IgnoreCase | Wildcard) -> ValueTest:
    if isinstance(cond, OneOf):
        members: frozenset[object] = cond.values
        wants = float if _is_numeric_set(cond) else str
        return lambda v: isinstance(v, wants) and v in members
    if isinstance(cond, Prefix):
        start = cond.text
        return lambda v: isinstance(v, str) and v.startswith(start)
    if isinstance(cond, Suffix):
        end = cond.text
        return lambda v: isinstance(v, str) and v.endswith(end)
    if isinstance(cond, IgnoreCase):
        lowered = cond.lowered
        return lambda v: isinstance(v, str) and v.lower() in lowered
    pattern = wildcard_regex(cond.pattern)
    return lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None


def _is_numeric_set(cond: object) -> bool:
    return isinstance(cond, OneOf) and any(isinstance(v, float) for v in cond.values)


def _numeric(cond: Numeric) -> ValueTest:
    lo, hi = cond.lo, cond.hi
    if cond.lo_open and cond.hi_open:
        return lambda v: isinstance(v, float) and lo < v < hi
    if cond.lo_open:
        return lambda v: isinstance(v, float) and lo < v <= hi
    if cond.hi_open:
        return lambda v: isinstance(v, float) and lo <= v < hi
    return lambda v: isinstance(v, float) and lo <= v <= hi


def _cidr(cond: Cidr) -> ValueTest:
    version, lo, hi = cond.version, cond.lo, cond.hi

    def test(value: Value) -> bool:
        if not isinstance(value, str):
            return False
        ip = ip_value(value)
        return ip is not None and ip[0] == version and lo <= ip[1] <= hi

    return test
