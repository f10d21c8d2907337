"""Filter policy operators checked against plain-Python oracles over generated messages.

Each property compiles a generated policy and compares ``matches_*`` with the obvious definition
(``str.startswith``, comparisons, ``ipaddress``), in both scopes. The attribute-scope oracle for
strings JSON-escapes the value first: AWS compares ``String`` attributes in escaped form (the
"double escape" note on the filter policy constraints page).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from densho.sns.filter.policy import MESSAGE_ATTRIBUTES, MESSAGE_BODY, parse

A, B = MESSAGE_ATTRIBUTES, MESSAGE_BODY
FAST = settings(max_examples=150, deadline=None)

texts = st.text(max_size=12)
short = st.text(alphabet='ab"\\é', max_size=4)  # collides often, and exercises escaping
numbers = st.one_of(
    st.integers(-1_000_000_000, 1_000_000_000).map(float),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 100.0, 1e9, -1e9, 0.5]),
)


def escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def on_attribute(policy: dict[str, Any], data_type: str, value: str) -> bool:
    return parse(json.dumps(policy), A).matches_attributes({"k": (data_type, value)})


def on_body(policy: dict[str, Any], value: Any) -> bool:
    return parse(json.dumps(policy), B).matches_body(json.dumps({"k": value}))


@st.composite
def numeric_expressions(draw: st.DrawFn) -> tuple[list[Any], Any]:
    """A numeric expression and its oracle."""
    shape = draw(st.sampled_from(["=", "<", "<=", ">", ">=", "range"]))
    a = draw(numbers)
    if shape == "=":
        return ["=", a], lambda v: v == a
    if shape != "range":
        ops = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
        return [shape, a], lambda v: ops[shape](v, a)
    b = draw(numbers.filter(lambda b: b != a))
    lo, hi = min(a, b), max(a, b)
    lo_op, hi_op = draw(st.sampled_from([">", ">="])), draw(st.sampled_from(["<", "<="]))

    def oracle(v: float) -> bool:
        above = v > lo if lo_op == ">" else v >= lo
        below = v < hi if hi_op == "<" else v <= hi
        return above and below

    return [lo_op, lo, hi_op, hi], oracle


@FAST
@given(numeric_expressions(), numbers)
def test_numeric_matches_the_comparison(expression: tuple[list[Any], Any], value: float) -> None:
    spec, oracle = expression
    policy = {"k": [{"numeric": spec}]}
    expected = oracle(value)
    assert on_body(policy, value) is expected
    assert on_attribute(policy, "Number", repr(value)) is expected
    # A string never matches a numeric condition.
    assert on_attribute(policy, "String", repr(value)) is False


@FAST
@given(texts, texts)
def test_prefix_and_suffix_are_startswith_and_endswith(affix: str, value: str) -> None:
    for operator, oracle in (("prefix", str.startswith), ("suffix", str.endswith)):
        policy = {"k": [{operator: affix}]}
        assert on_body(policy, value) is oracle(value, affix)
        assert on_attribute(policy, "String", value) is oracle(escaped(value), affix)
        assert on_attribute(policy, "String.Array", json.dumps([value])) is oracle(value, affix)


@FAST
@given(st.lists(short, min_size=1, max_size=4), short)
def test_anything_but_is_the_negation_of_exact(listed: list[str], value: str) -> None:
    exact = on_body({"k": listed}, value)
    assert on_body({"k": [{"anything-but": listed}]}, value) is (not exact)
    exact_attr = on_attribute({"k": listed}, "String", value)
    assert on_attribute({"k": [{"anything-but": listed}]}, "String", value) is (not exact_attr)


@FAST
@given(st.lists(short, min_size=1, max_size=4), st.lists(short, max_size=4))
def test_arrays_match_when_any_member_matches(listed: list[str], members: list[str]) -> None:
    as_array = json.dumps(members)
    assert on_body({"k": listed}, members) is any(m in listed for m in members)
    assert on_attribute({"k": listed}, "String.Array", as_array) is any(
        m in listed for m in members
    )
    not_listed = any(m not in listed for m in members)
    assert on_body({"k": [{"anything-but": listed}]}, members) is not_listed


@FAST
@given(texts, texts)
def test_equals_ignore_case_compares_lower_case(pattern: str, value: str) -> None:
    policy: dict[str, Any] = {"k": [{"equals-ignore-case": pattern}]}
    assert on_body(policy, value) is (pattern.lower() == value.lower())
    policy = {"k": [{"anything-but": {"equals-ignore-case": pattern}}]}
    assert on_body(policy, value) is (pattern.lower() != value.lower())


@st.composite
def networks(draw: st.DrawFn) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if draw(st.booleans()):
        address = ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
        return ipaddress.ip_network(f"{address}/{draw(st.integers(0, 31))}", strict=False)
    address6 = ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1)))
    return ipaddress.ip_network(f"{address6}/{draw(st.integers(0, 127))}", strict=False)


@FAST
@given(networks(), st.data())
def test_cidr_is_network_membership(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, data: st.DataObject
) -> None:
    inside = network.network_address + data.draw(st.integers(0, network.num_addresses - 1))
    width = network.max_prefixlen
    anywhere = ipaddress.ip_address(data.draw(st.integers(0, 2**width - 1)))
    if network.version == 4:
        anywhere = ipaddress.IPv4Address(int(anywhere))  # small ints parse as IPv4 anyway
    policy = {"k": [{"cidr": str(network)}]}
    assert on_body(policy, str(inside)) is True
    assert on_body(policy, str(anywhere)) is (anywhere in network)
    assert on_attribute(policy, "String", str(anywhere)) is (anywhere in network)


keys = st.text(alphabet="abc", min_size=1, max_size=3)


@FAST
@given(st.lists(keys, min_size=1, max_size=4), short, short)
def test_nested_keys_match_however_the_path_is_split(
    path: list[str], wanted: str, value: str
) -> None:
    nested_policy: Any = [wanted]
    nested_body: Any = value
    for key in reversed(path):
        nested_policy, nested_body = {key: nested_policy}, {key: nested_body}
    expected = value == wanted
    dotted = ".".join(path)
    assert parse(json.dumps(nested_policy), B).matches_body(json.dumps(nested_body)) is expected
    assert parse(json.dumps({dotted: [wanted]}), B).matches_body(json.dumps(nested_body)) is (
        expected
    )
    flat_body = json.dumps({dotted: value})
    assert parse(json.dumps(nested_policy), B).matches_body(flat_body) is expected


@FAST
@given(short, short, short, short)
def test_or_and_and_compose(a_wants: str, b_wants: str, a_has: str, b_has: str) -> None:
    body = json.dumps({"a": a_has, "b": b_has})
    a_ok, b_ok = a_has == a_wants, b_has == b_wants
    either = {"$or": [{"a": [a_wants]}, {"b": [b_wants]}]}
    both = {"a": [a_wants], "b": [b_wants]}
    assert parse(json.dumps(either), B).matches_body(body) is (a_ok or b_ok)
    assert parse(json.dumps(both), B).matches_body(body) is (a_ok and b_ok)
    attrs = {"a": ("String", a_has), "b": ("String", b_has)}
    a_ok, b_ok = escaped(a_has) == a_wants, escaped(b_has) == b_wants
    assert parse(json.dumps(either), A).matches_attributes(attrs) is (a_ok or b_ok)
    assert parse(json.dumps(both), A).matches_attributes(attrs) is (a_ok and b_ok)
