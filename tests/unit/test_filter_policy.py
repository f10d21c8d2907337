"""Filter policy matching, table-driven from AWS's documented examples, in both scopes.

Each case is (policy, message, expected), with the page it comes from. ``A`` means the
``MessageAttributes`` scope (message = name -> (data type, value)), ``B`` the ``MessageBody``
scope (message = a JSON document, or raw text). Pages are under DOC unless a URL is given; a few
cases come from behaviour recorded against AWS in localstack's AWS-validated SNS filter tests
(REC), for what the docs leave unsaid.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from densho.sns.filter.policy import MESSAGE_ATTRIBUTES, MESSAGE_BODY, FilterPolicy, parse

DOC = "https://docs.aws.amazon.com/sns/latest/dg/"
EXAMPLES = DOC + "example-filter-policies.html"
STRINGS = DOC + "string-value-matching.html"
NUMBERS = DOC + "numeric-value-matching.html"
KEYS = DOC + "attribute-key-matching.html"
LOGIC = DOC + "and-or-logic.html"
CONSTRAINTS = DOC + "subscription-filter-policy-constraints.html"
BLOG = "https://aws.amazon.com/blogs/compute/introducing-payload-based-message-filtering-for-amazon-sns/"
REC = "localstack tests/aws/services/sns/test_sns_filter_policy.py (recorded against AWS)"

A, B = MESSAGE_ATTRIBUTES, MESSAGE_BODY


def S(value: str) -> tuple[str, str]:
    return ("String", value)


def N(value: str) -> tuple[str, str]:
    return ("Number", value)


def SA(*values: object) -> tuple[str, str]:
    return ("String.Array", json.dumps(list(values)))


ACCEPTS = {
    "store": ["example_corp"],
    "event": [{"anything-but": "order_cancelled"}],
    "customer_interests": ["rugby", "football", "baseball"],
    "price_usd": [{"numeric": [">=", 100]}],
}
REJECTS = {
    "store": ["example_corp"],
    "event": ["order_cancelled"],
    "encrypted": [False],
    "customer_interests": ["basketball", "baseball"],
}
EXAMPLE_ATTRS = {
    "customer_interests": SA("soccer", "rugby", "hockey"),
    "store": S("example_corp"),
    "event": S("order_placed"),
    "price_usd": N("210.75"),
}
EXAMPLE_BODY = {
    "customer_interests": ["soccer", "rugby", "hockey"],
    "store": "example_corp",
    "event": "order_placed",
    "price_usd": 210.75,
}
OR_POLICY = {
    "source": ["aws.cloudwatch"],
    "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
}
NESTED_OR = {
    "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]},
    ],
    "detail": {
        "scope": ["Service"],
        "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}],
    },
}
S3_POLICY = {
    "Records": {
        "s3": {"object": {"key": [{"prefix": "auto-"}]}},
        "eventName": [{"prefix": "ObjectCreated:"}],
    }
}


def s3_event(*records: tuple[str, Any]) -> dict[str, Any]:
    return {"Records": [{"eventName": name, "s3": {"object": obj}} for name, obj in records]}


CI = "customer_interests"
Case = tuple[str, str, dict[str, Any], Any, bool]


def case(
    page: str, scope: str, policy: dict[str, Any], match: Any = (), miss: Any = ()
) -> list[Case]:
    """Cases for one policy: messages it must ``match`` and messages it must ``miss``."""
    return [(page, scope, policy, m, True) for m in match] + [
        (page, scope, policy, m, False) for m in miss
    ]


def ci(value: Any) -> dict[str, Any]:
    return {CI: value}


ANYTHING_BUT_SPORTS = {CI: [{"anything-but": ["rugby", "tennis"]}]}
NOT_ORDER = {"event": [{"anything-but": {"prefix": "order-"}}]}
CIDR_24 = {"source_ip": [{"cidr": "10.0.0.0/24"}]}
CIDR_V6 = {"source_ip": [{"cidr": "2001:db8::/32"}]}
NUM_EQ = {"price_usd": [{"numeric": ["=", 301.5]}]}
NOT_PRICES = {"price": [{"anything-but": [100, 500]}]}
RANGE = {"price_usd": [{"numeric": [">", 0, "<=", 150]}]}
HALF_OPEN = {"price_usd": [{"numeric": [">=", 0, "<", 150]}]}
STORE_EXISTS = {"store": [{"exists": True}]}
STORE_ABSENT = {"store": [{"exists": False}]}
FANS_ATTRS = {"store": S("fans"), CI: SA("baseball", "basketball")}
FANS_BODY = {"store": "fans", CI: ["baseball", "basketball"]}
AND_POLICY = {CI: ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
BLOG_POLICY = {
    "object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": False}]},
    "test": [{"exists": False}],
}
FILTERING = DOC + "sns-message-filtering.html"

CASES: list[Case] = [
    # Example filter policies: one message, a policy that accepts it and one that rejects it.
    *case(EXAMPLES, A, ACCEPTS, match=[EXAMPLE_ATTRS]),
    *case(EXAMPLES, A, REJECTS, miss=[EXAMPLE_ATTRS]),
    *case(EXAMPLES, B, ACCEPTS, match=[EXAMPLE_BODY]),
    *case(EXAMPLES, B, REJECTS, miss=[EXAMPLE_BODY]),
    # String exact matching; each member of a String.Array is compared on its own.
    *case(
        STRINGS,
        A,
        {CI: ["rugby", "tennis"]},
        match=[ci(S("rugby")), ci(S("tennis")), ci(SA("rugby", "tennis"))],
        miss=[ci(S("baseball")), ci(SA("baseball"))],
    ),
    *case(
        STRINGS,
        B,
        {CI: ["rugby", "tennis"]},
        match=[ci("rugby"), ci("tennis")],
        miss=[ci("baseball")],
    ),
    # anything-but with a list of strings; an array matches if any member is not listed.
    *case(
        STRINGS,
        A,
        ANYTHING_BUT_SPORTS,
        match=[ci(S("baseball")), ci(S("football")), ci(SA("rugby", "baseball"))],
        miss=[ci(S("rugby")), ci(SA("rugby"))],
    ),
    *case(
        STRINGS,
        B,
        ANYTHING_BUT_SPORTS,
        match=[ci("baseball"), ci("football"), ci(["rugby", "baseball"])],
        miss=[ci(["rugby"])],
    ),
    # anything-but with a prefix, a wildcard (AWS refuses a suffix there: the refusal tests).
    *case(
        STRINGS,
        A,
        NOT_ORDER,
        match=[{"event": S("data-entry")}, {"event": S("order_number")}],
        miss=[{"event": S("order-cancelled")}],
    ),
    *case(
        STRINGS,
        B,
        NOT_ORDER,
        match=[{"event": "data-entry"}, {"event": "order_number"}],
        miss=[{"event": "order-cancelled"}],
    ),
    *case(
        STRINGS,
        B,
        {CI: [{"anything-but": {"wildcard": "*ball"}}]},
        match=[ci(["hockey", "rugby", "soccer"])],
        miss=[ci(["baseball", "basketball"])],
    ),
    *case(
        STRINGS,
        A,
        {CI: [{"anything-but": {"wildcard": "*ball"}}]},
        miss=[ci(SA("baseball", "basketball"))],
    ),
    # equals-ignore-case.
    *case(
        STRINGS,
        A,
        {CI: [{"equals-ignore-case": "tennis"}]},
        match=[ci(S("TENNIS")), ci(S("Tennis"))],
    ),
    *case(
        STRINGS,
        B,
        {CI: [{"equals-ignore-case": "tennis"}]},
        match=[ci("TENNIS"), ci("teNnis")],
        miss=[ci("tennis!")],
    ),
    # IP address matching, IPv4 and IPv6.
    *case(
        STRINGS,
        A,
        CIDR_24,
        match=[{"source_ip": S("10.0.0.0")}, {"source_ip": S("10.0.0.255")}],
        miss=[{"source_ip": S("10.1.1.0")}],
    ),
    *case(
        STRINGS,
        B,
        CIDR_24,
        match=[{"source_ip": "10.0.0.0"}, {"source_ip": "10.0.0.255"}],
        miss=[{"source_ip": "10.1.1.0"}, {"source_ip": "not an address"}],
    ),
    *case(
        STRINGS,
        B,
        CIDR_V6,
        match=[{"source_ip": "2001:db8:ffff::1"}],
        miss=[{"source_ip": "2001:db9::1"}, {"source_ip": "10.0.0.1"}],
    ),
    # Prefix and suffix matching.
    *case(
        STRINGS,
        A,
        {CI: [{"prefix": "bas"}]},
        match=[ci(S("baseball")), ci(S("basketball"))],
        miss=[ci(S("rugby"))],
    ),
    *case(STRINGS, B, {CI: [{"prefix": "bas"}]}, match=[ci("baseball")], miss=[ci("rugby")]),
    *case(
        STRINGS,
        A,
        {CI: [{"suffix": "ball"}]},
        match=[ci(S("baseball")), ci(S("basketball"))],
        miss=[ci(S("rugby"))],
    ),
    *case(STRINGS, B, {CI: [{"suffix": "ball"}]}, match=[ci("basketball")], miss=[ci("rugby")]),
    # Wildcard; "\\*" is a literal star.
    *case(
        STRINGS,
        B,
        {CI: [{"wildcard": "*ball"}]},
        match=[ci(["baseball", "basketball"])],
        miss=[ci("rugby")],
    ),
    *case(
        STRINGS,
        B,
        {"file": [{"wildcard": "a*b\\*c"}]},
        match=[{"file": "axxb*c"}],
        miss=[{"file": "axxbxc"}],
    ),
    # Numeric exact matching; a bare number in the array is an exact numeric match too.
    *case(NUMBERS, A, NUM_EQ, match=[{"price_usd": N("301.5")}, {"price_usd": N("3.015e2")}]),
    *case(
        NUMBERS,
        B,
        NUM_EQ,
        match=[{"price_usd": 301.5}, '{"price_usd": 3.015e2}'],
        miss=[{"price_usd": 301.6}],
    ),
    *case(NUMBERS, A, {"price_usd": [301.5]}, match=[{"price_usd": N("3.015e2")}]),
    # anything-but with numbers; Number.Array as the page shows it.
    *case(
        NUMBERS,
        A,
        NOT_PRICES,
        match=[
            {"price": N("101")},
            {"price": N("100.1")},
            {"price": ("Number.Array", "[100, 50]")},
        ],
        miss=[{"price": N("100")}],
    ),
    *case(
        NUMBERS,
        B,
        NOT_PRICES,
        match=[{"price": 101}, {"price": 100.1}, {"price": [100, 50]}],
        miss=[{"price": 100}],
    ),
    # Value range matching.
    *case(
        NUMBERS,
        A,
        {"price_usd": [{"numeric": ["<", 0]}]},
        match=[{"price_usd": N("-0.5")}],
        miss=[{"price_usd": N("0")}],
    ),
    *case(
        NUMBERS,
        B,
        RANGE,
        match=[{"price_usd": 150}, {"price_usd": 0.001}],
        miss=[{"price_usd": 0}, {"price_usd": 150.01}],
    ),
    *case(
        NUMBERS,
        A,
        HALF_OPEN,
        match=[{"price_usd": N("0")}],
        miss=[{"price_usd": N("150")}],
    ),
    # Key matching: exists true / false, on attributes and on bodies.
    *case(KEYS, A, STORE_EXISTS, match=[FANS_ATTRS], miss=[{CI: SA("baseball")}]),
    *case(KEYS, B, STORE_EXISTS, match=[FANS_BODY], miss=[ci(["baseball", "basketball"])]),
    *case(KEYS, A, STORE_ABSENT, match=[{CI: SA("baseball")}], miss=[FANS_ATTRS]),
    *case(KEYS, B, STORE_ABSENT, match=[ci(["baseball", "basketball"])], miss=[FANS_BODY]),
    # "exists": false only matches if at least one attribute is present.
    *case(KEYS, A, STORE_ABSENT, miss=[{}]),
    *case(KEYS, B, STORE_ABSENT, miss=[{}]),
    # "The key must have a non-null and non-empty value."
    *case(KEYS, B, STORE_EXISTS, miss=[{"store": None}, {"store": []}]),
    *case(KEYS, B, STORE_ABSENT, match=[{"store": None}]),
    # exists on nested keys (leaf nodes only).
    *case(
        KEYS,
        B,
        {"object": {"key": [{"exists": True}]}},
        match=[{"object": {"key": "x"}}],
        miss=[{"object": {"other": "x"}}],
    ),
    *case(
        KEYS,
        B,
        {"object": {"key": [{"exists": False}]}},
        match=[{"object": {"other": "x"}}, {"object": {"key": {"deeper": 1}}}],
    ),
    # AND across keys, OR within a key's array.
    *case(
        LOGIC,
        A,
        AND_POLICY,
        match=[{CI: S("rugby"), "price_usd": N("101")}],
        miss=[{CI: S("rugby"), "price_usd": N("100")}, {CI: S("rugby")}],
    ),
    *case(LOGIC, B, AND_POLICY, match=[{CI: "rugby", "price_usd": 100.5}]),
    *case(LOGIC, A, {CI: ["rugby", "football", "baseball"]}, match=[ci(S("football"))]),
    *case(LOGIC, B, {CI: ["rugby", "football", "baseball"]}, miss=[ci("tennis")]),
    # "$or": source && (metricName || namespace).
    *case(
        LOGIC,
        A,
        OR_POLICY,
        match=[
            {"source": S("aws.cloudwatch"), "metricName": S("CPUUtilization")},
            {"source": S("aws.cloudwatch"), "namespace": S("AWS/EC2")},
        ],
        miss=[
            {"source": S("aws.cloudwatch")},
            {"source": S("aws.events"), "namespace": S("AWS/EC2")},
        ],
    ),
    *case(
        LOGIC,
        B,
        OR_POLICY,
        match=[
            {"source": "aws.cloudwatch", "metricName": "CPUUtilization"},
            {"source": "aws.cloudwatch", "namespace": "AWS/EC2"},
        ],
        miss=[{"source": "aws.cloudwatch", "namespace": "AWS/ES"}],
    ),
    # Nested "$or": (metricName || namespace) && detail.scope && (detail.source || detail.type).
    *case(
        LOGIC,
        B,
        NESTED_OR,
        match=[
            {
                "metricName": "ReadLatency",
                "detail": {"scope": "Service", "source": "aws.cloudwatch"},
            },
            {
                "namespace": "AWS/ES",
                "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"},
            },
        ],
        miss=[
            {"metricName": "CPUUtilization", "detail": {"scope": "Service"}},
            {"metricName": "CPUUtilization", "detail": {"type": "CloudWatch Alarm State Change"}},
            {"metricName": "CPUUtilization", "scope": "Service", "source": "aws.cloudwatch"},
            {
                "namespace": "CPUUtilization",
                "detail": {"scope": "Service", "source": "aws.cloudwatch"},
            },
        ],
    ),
    # "$or" holding a reserved key is an ordinary key named "$or".
    *case(
        LOGIC,
        A,
        {"$or": [{"prefix": "abc"}, {"suffix": "xyz"}]},
        match=[{"$or": S("abc-1")}],
        miss=[{"abc": S("abc-1")}],
    ),
    # Attribute types: Binary is ignored; numbers and strings do not cross; custom type suffixes.
    *case(CONSTRAINTS, A, STORE_EXISTS, miss=[{"store": ("Binary", "AAEC")}]),
    *case(
        CONSTRAINTS,
        A,
        STORE_ABSENT,
        match=[{"store": ("Binary", "AAEC"), "x": S("y")}],
        miss=[{"store": ("Binary", "AAEC")}],
    ),
    *case(CONSTRAINTS, A, {"price": [{"numeric": [">", 1]}]}, miss=[{"price": S("5")}]),
    *case(CONSTRAINTS, A, {"price": ["5"]}, miss=[{"price": N("5")}]),
    *case(
        CONSTRAINTS,
        A,
        {"price": [5]},
        match=[{"price": ("Number.float", "5.0")}],
        miss=[{"price": S("5")}],
    ),
    *case(CONSTRAINTS, A, {"store": ["shop"]}, match=[{"store": ("String.custom", "shop")}]),
    *case(
        CONSTRAINTS,
        A,
        {"flag": [True], "gone": [None]},
        match=[{"flag": SA(True), "gone": SA(None)}],
        miss=[{"flag": S("true"), "gone": SA(None)}],
    ),
    *case(CONSTRAINTS, A, {"n": [{"numeric": [">", 1]}]}, match=[{"n": SA("x", 7)}]),
    # Double-escaped quotes and backslashes match String attributes (the "Important" note).
    *case(
        CONSTRAINTS,
        A,
        {"quote": ['say \\"hi\\"']},
        match=[{"quote": S('say "hi"')}],
    ),
    *case(CONSTRAINTS, A, {"quote": ['say "hi"']}, miss=[{"quote": S('say "hi"')}]),
    *case(CONSTRAINTS, A, {"path": ["C:\\\\dir"]}, match=[{"path": S("C:\\dir")}]),
    *case(CONSTRAINTS, B, {"quote": ['say "hi"']}, match=[{"quote": 'say "hi"'}]),
    # Body scope: JSON types are kept.
    *case(STRINGS, B, {"flag": [True]}, match=[{"flag": True}], miss=[{"flag": "true"}]),
    *case(STRINGS, B, {"flag": [1]}, miss=[{"flag": True}]),
    *case(STRINGS, B, {"gone": [None]}, match=[{"gone": None}], miss=[{}]),
    *case(NUMBERS, B, {"n": ["5"]}, miss=[{"n": 5}]),
    *case(NUMBERS, B, {"n": [5]}, miss=[{"n": "5"}]),
    # Body scope: a body that is not a JSON object never matches.
    *case(FILTERING, B, STORE_ABSENT, miss=["Regular string message", '"a JSON string"']),
    *case(FILTERING, B, {"store": [{"anything-but": "x"}]}, miss=['[{"store": "y"}]']),
    *case(FILTERING, B, {"store": ["y"]}, miss=['{"store": "y"']),
    # Payload-based filtering: nested keys, arrays of objects (values pooled per path).
    *case(
        BLOG,
        B,
        S3_POLICY,
        match=[s3_event(("ObjectCreated:Put", {"key": "auto-insurance-2314.xml"}))],
        miss=[
            s3_event(("ObjectRemoved:Delete", {"key": "auto-insurance-2314.xml"})),
            s3_event(("ObjectCreated:Put", {"key": "home-insurance-2314.xml"})),
        ],
    ),
    *case(
        REC,
        B,
        S3_POLICY,
        match=[
            s3_event(
                ("ObjectCreated:Put", [[{"key": "auto-1.xml"}]]),
                ("ObjectRemoved:Delete", {"key": "home-1.xml"}),
            )
        ],
    ),
    *case(
        REC,
        B,
        {"headers": {"route-to": ["queue1"]}},
        match=[{"headers": {"route-to": ["queue1", "queue2"]}}],
        miss=[{"headers": {"route-to": ["queue3"]}}],
    ),
    # Dots in keys: policy and payload are compared as flattened dot paths.
    *case(
        REC,
        B,
        {"object.nested": ["string.value"]},
        match=[{"object": {"nested": "string.value"}}, {"object.nested": "string.value"}],
        miss=[{"object": {"nested": "test-auto"}}],
    ),
    *case(
        REC,
        B,
        {"object.nested.test": ["string.value"]},
        match=[
            {"object.nested": {"test": "string.value"}},
            {"object": {"nested.test": "string.value"}},
        ],
    ),
    *case(REC, B, {"object": {"nested": {"test": ["v"]}}}, match=[{"object.nested.test": "v"}]),
    # Nested policy with prefix, exact and exists false.
    *case(
        REC,
        B,
        BLOG_POLICY,
        match=[{"object": {"key": "auto-test"}}, {"object": {"key": "hardcodedvalue"}}],
        miss=[
            {"object": {"key": "test-auto"}},
            {"object": {"key": "auto-test"}, "test": "just-exists"},
            {"object": {"key": "auto-test", "nested_key": "x"}},
            {"object": {"test": "auto-test"}},
            {"test": "auto-test"},
        ],
    ),
    # [null] with anything-but does not match a message without attributes.
    *case(REC, A, {"attr1": [None, {"anything-but": "whatever"}]}, miss=[{}]),
    *case(
        REC,
        A,
        {"attr1": [{"numeric": [">", 0, "<=", 100]}]},
        match=[{"attr1": N("99")}],
        miss=[{"attr1": N("111")}],
    ),
    *case(
        REC,
        A,
        {"store": ["value1"]},
        match=[{"store": SA("value1", "value2")}],
        miss=[{"store": SA("value2", "value3")}],
    ),
]


def _ids() -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for page, scope, *_ in CASES:
        label = "recorded" if page == REC else page.rstrip("/").rsplit("/", 1)[-1]
        name = f"{label.removesuffix('.html')[:30]}-{scope}"
        seen[name] = seen.get(name, 0) + 1
        out.append(f"{name}-{seen[name]}")
    return out


def _matches(policy: FilterPolicy, scope: str, message: Any) -> bool:
    if scope == A:
        return policy.matches_attributes(message)
    body = message if isinstance(message, str) else json.dumps(message)
    return policy.matches_body(body)


@pytest.mark.parametrize(("page", "scope", "policy", "message", "expected"), CASES, ids=_ids())
def test_documented_example(
    page: str, scope: str, policy: dict[str, Any], message: Any, expected: bool
) -> None:
    compiled = parse(json.dumps(policy), scope)
    assert _matches(compiled, scope, message) is expected, page


def test_matches_dispatches_on_scope() -> None:
    attrs = {"store": S("x")}
    assert parse('{"store": ["x"]}', A).matches(attrs, '{"store": "y"}')
    assert not parse('{"store": ["x"]}', B).matches(attrs, '{"store": "y"}')


def test_wrong_scope_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="scope"):
        parse('{"a": ["b"]}', A).matches_body("{}")
    with pytest.raises(ValueError, match="scope"):
        parse('{"a": ["b"]}', B).matches_attributes({})


def test_parsed_payload_can_be_shared_across_policies() -> None:
    payload = {"store": "example_corp", "price_usd": 210.75}
    assert parse('{"price_usd": [{"numeric": [">", 200]}]}', B).matches_payload(payload)
    assert not parse('{"store": ["other"]}', B).matches_payload(payload)


def test_matching_never_rereads_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Compile once": after parse, matching must not call back into the policy reader.
    policy = parse(json.dumps(ACCEPTS), A)
    body_policy = parse(json.dumps(NESTED_OR), B)

    def boom(*_: object) -> None:
        raise AssertionError("policy re-read while matching")

    monkeypatch.setattr("densho.sns.filter.parse.parse_tree", boom)
    monkeypatch.setattr("densho.sns.filter.parse.condition", boom)
    monkeypatch.setattr("densho.sns.filter.conditions.condition", boom)
    assert policy.matches_attributes(EXAMPLE_ATTRS)
    assert body_policy.matches_body(
        '{"namespace": "AWS/ES", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}'
    )


def test_huge_numbers_in_a_body_still_compare() -> None:
    policy = parse('{"n": [{"numeric": [">", 1000]}]}', B)
    assert policy.matches_body('{"n": 123456789012345678901234567890}')
    assert policy.matches_body('{"n": 1e400}')  # beyond a double: read as infinity
    assert not policy.matches_body('{"n": -1e400}')
