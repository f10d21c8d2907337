"""Filter policy validation: the limits AWS documents and the refusal texts AWS returns.

Texts marked REC were recorded from AWS itself (localstack's AWS-validated snapshot
``tests/aws/services/sns/test_sns_filter_policy.snapshot.json``; AWS appends a Jackson location
``\\n at [Source: ...]`` that densho leaves out). RULER marks texts taken from aws/event-ruler
(``JsonRuleCompiler.java``, ``CIDR.java``, ``WildcardParser.java``), the engine whose messages
those are. DOC marks limits from the developer guide; OURS marks wording densho chose where AWS
documents the limit but not its text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from densho.sns.filter.errors import FilterPolicyError
from densho.sns.filter.parse import combinations, parse_tree
from densho.sns.filter.policy import MESSAGE_ATTRIBUTES, MESSAGE_BODY, parse

A, B = MESSAGE_ATTRIBUTES, MESSAGE_BODY
CONSTRAINTS = (
    "https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html"
)
LOGIC = "https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html"

NESTED_OR_160 = {
    "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency", "TestValue"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]},
    ],
    "detail": {
        "scope": ["Service", "Test"],
        "$or": [
            {"source": ["aws.cloudwatch"]},
            {"type": ["CloudWatch Alarm State Change", "TestValue", "TestValue2"]},
        ],
    },
}
FLAT_OR_152 = {
    "source": ["aws.cloudwatch", "aws.events", "aws.test", "aws.test2"],
    "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency", "t1", "t2", "t3", "t4"]},
        {
            "metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
            "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4]}],
        },
    ],
}
FLAT_OR_150 = {
    "source": ["aws.cloudwatch", "aws.events", "aws.test"],
    "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency", "v1", "v2", "v3", "v4"]},
        {
            "metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
            "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4, 5, 6, 7]}],
        },
    ],
}
NESTED_216 = {
    "key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}},
    "key_d": {"key_e": ["value_one", "value_two", "value_three"]},
    "key_f": ["value_one", "value_two", "value_three"],
}
SIX_KEYS = {f"key{i}": [f"value{i}"] for i in range(1, 7)}

# (source, scope, policy, reason)
REFUSALS: list[tuple[str, str, Any, str]] = [
    ("REC", A, {"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
    ("REC", A, {"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
    (
        "REC",
        A,
        {"key": [{"suffix": "value", "prefix": "value2"}]},
        "Only one key allowed in match expression",
    ),
    ("REC", A, {"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
    ("REC", A, {"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ("REC", A, {"key": [{"suffix": []}]}, "suffix match pattern must be a string"),
    ("REC", A, {"key": [{"suffix": ["test", "test2"]}]}, "suffix match pattern must be a string"),
    ("REC", A, {"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
    (
        "REC",
        A,
        {"key": {"suffix": "value", "prefix": "value"}},
        '"suffix" must be an object or an array',
    ),
    (
        "REC",
        A,
        {"key": {"not-an-operator": "value"}},
        '"not-an-operator" must be an object or an array',
    ),
    ("REC", B, {"key_a": "value_one"}, '"key_a" must be an object or an array'),
    # numeric
    ("REC", A, {"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    (
        "REC",
        A,
        {"key": [{"numeric": ["operator"]}]},
        "Unrecognized numeric range operator: operator",
    ),
    ("REC", A, {"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ("REC", A, {"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ("REC", A, {"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    (
        "REC",
        A,
        {"key": [{"numeric": ["<", 100, ">", 10]}]},
        "Too many elements in numeric expression",
    ),
    ("REC", A, {"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ("REC", A, {"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ("REC", A, {"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
    ("REC", A, {"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ("REC", A, {"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ("REC", A, {"key": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
    ("REC", A, {"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    (
        "REC",
        A,
        {"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]},
        "Too many terms in numeric range expression",
    ),
    ("RULER", A, {"key": [{"numeric": [">", 5, "<=", 5]}]}, "Bottom must be less than top"),
    ("RULER", A, {"key": [{"numeric": "> 5"}]}, "Value of numeric must be an array."),
    ("RULER", A, {"key": [{"numeric": ["=", 1, 2]}]}, "Too many elements in numeric expression"),
    (
        "RULER",
        A,
        {"key": [{"numeric": ["<", 1], "x": 1}]},
        "Too many elements in numeric expression",
    ),
    ("RULER", A, {"key": [{"numeric": [None]}]}, "Invalid member in numeric match: null"),
    # numbers: "-10^9 to 10^9" (DOC), refused with the engine's text
    (
        "DOC",
        A,
        {"key": [{"numeric": [">", 1e9 + 1]}]},
        "Value must be between -1.0E9 and 1.0E9, inclusive",
    ),
    ("DOC", A, {"key": [-1000000001]}, "Value must be between -1.0E9 and 1.0E9, inclusive"),
    (
        "DOC",
        A,
        {"key": [{"anything-but": [2e9]}]},
        "Value must be between -1.0E9 and 1.0E9, inclusive",
    ),
    # exists
    ("REC", A, {"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ("REC", A, {"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ("RULER", A, {"key": [{"exists": True, "x": 1}]}, "Only one key allowed in match expression"),
    # anything-but
    (
        "REC",
        A,
        {"key": [{"anything-but": {"wrong-operator": None}}]},
        "Unsupported anything-but pattern: wrong-operator",
    ),
    (
        "REC",
        A,
        {"key": [{"anything-but": {"exists": False}}]},
        "Unsupported anything-but pattern: exists",
    ),
    (
        "REC",
        A,
        {"key": [{"anything-but": {"prefix": False}}]},
        "prefix match pattern must be a string",
    ),
    ("RULER", A, {"key": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    # AWS refuses a suffix inside anything-but (LocalStack snapshot
    # error-condition-anything-but-suffix, recorded against AWS), in both scopes.
    (
        "REC",
        A,
        {"key": [{"anything-but": {"suffix": "test"}}]},
        "Unsupported anything-but pattern: suffix",
    ),
    (
        "REC",
        B,
        {"key": [{"anything-but": {"suffix": "test"}}]},
        "Unsupported anything-but pattern: suffix",
    ),
    ("RULER", A, {"key": [{"anything-but": {}}]}, "Anything-But expression name not found"),
    (
        "RULER",
        A,
        {"key": [{"anything-but": ["a", 1]}]},
        "Inside anything but list, either all values are number or string, "
        "mixed type is not supported",
    ),
    (
        "RULER",
        A,
        {"key": [{"anything-but": []}]},
        "Inside anything but list, either all values are number or string, "
        "mixed type is not supported",
    ),
    (
        "RULER",
        A,
        {"key": [{"anything-but": ["a", None]}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    (
        "RULER",
        A,
        {"key": [{"anything-but": True}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        "RULER",
        A,
        {"key": [{"anything-but": {"equals-ignore-case": [1]}}]},
        "Inside anything-but/equals-ignore-case list, "
        "numberic|start|null|boolean is not supported.",
    ),
    (
        "RULER",
        A,
        {"key": [{"anything-but": "x", "y": 1}]},
        "Too many elements in numeric expression",
    ),
    # other operators
    ("RULER", A, {"key": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    (
        "RULER",
        A,
        {"key": [{"equals-ignore-case": 1}]},
        "equals-ignore-case match pattern must be a string",
    ),
    ("RULER", A, {"key": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
    ("RULER", A, {"key": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 1"),
    ("RULER", A, {"key": [{"wildcard": "é\\x"}]}, "Invalid escape character at pos 2"),
    ("RULER", A, {"key": [{}]}, "Match expression name not found"),
    # cidr
    ("RULER", A, {"key": [{"cidr": 10}]}, "prefix match pattern must be a string"),
    ("RULER", A, {"key": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ("RULER", A, {"key": [{"cidr": "10.0.0.0/"}]}, "Malformed CIDR, one '/' required"),
    ("RULER", A, {"key": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    (
        "RULER",
        A,
        {"key": [{"cidr": "10.0.0.0/-1"}]},
        "Malformed CIDR, mask bits must not be negative",
    ),
    ("RULER", A, {"key": [{"cidr": "example.com/8"}]}, "Nonstandard IP address: example.com"),
    ("RULER", A, {"key": [{"cidr": "10.0.0.256/8"}]}, "Invalid IP address: 10.0.0.256"),
    ("RULER", A, {"key": [{"cidr": "10.0.0.0/32"}]}, "IPv4 mask bits must be < 32"),
    ("RULER", A, {"key": [{"cidr": "::/128"}]}, "IPv6 mask bits must be < 128"),
    # shape
    ("aws/aws-cdk#16549 (AWS's answer)", A, {"Amount": []}, "Empty arrays are not allowed"),
    ("RULER", B, {"a": {}}, "Empty objects are not allowed"),
    ("RULER", B, {"$or": [{"a": ["x"]}, {}]}, "Empty objects are not allowed"),
    ("RULER", A, ["a"], "Filter is not an object"),
    ("OURS", A, {}, "Filter policy can not be empty"),
    # limits (DOC for the numbers, REC for the texts)
    ("REC", A, {"key": [f"value{i}" for i in range(151)]}, "Filter policy is too complex"),
    (
        "REC",
        A,
        {"key1": [f"v{i}" for i in range(100)], "key2": [f"v{i}" for i in range(51)]},
        "Filter policy is too complex",
    ),
    ("REC", A, FLAT_OR_152, "Filter policy is too complex"),
    ("REC", B, NESTED_OR_160, "Filter policy is too complex"),
    ("REC", B, NESTED_216, "Filter policy is too complex"),
    ("REC", A, SIX_KEYS, "Filter policy can not have more than 5 keys"),
    ("REC", B, SIX_KEYS, "Filter policy can not have more than 5 keys"),
    (
        "OURS",
        A,
        {"a": ["1"], "$or": [{"b": ["1"]}, {k: ["1"] for k in "cdefg"}]},
        "Filter policy can not have more than 5 keys",
    ),
]


def _id(source: str, reason: str) -> str:
    return f"{source.split()[0]}:{reason[:40]}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # AWS: "FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): ..."
        # (LocalStack snapshot invalid-json-filter-policy; densho stops before Jackson's detail).
        ("{invalidjson}", "failed to parse JSON. Unexpected character ('i' (code 105))"),
        ('{"a": [1,', "failed to parse JSON. Unexpected end-of-input"),
    ],
)
def test_not_json(text: str, reason: str) -> None:
    with pytest.raises(FilterPolicyError) as caught:
        parse(text, A)
    assert caught.value.reason == reason
    assert caught.value.message == f"FilterPolicy: {reason}"


@pytest.mark.parametrize(
    ("source", "scope", "policy", "reason"),
    REFUSALS,
    ids=[_id(src, reason) for src, _, _, reason in REFUSALS],
)
def test_refusal(source: str, scope: str, policy: Any, reason: str) -> None:
    with pytest.raises(FilterPolicyError) as caught:
        parse(json.dumps(policy), scope)
    assert caught.value.reason == reason, source
    assert caught.value.message == f"FilterPolicy: {reason}"
    assert str(caught.value) == caught.value.message


def test_nested_policy_needs_the_body_scope() -> None:
    # REC: the message names no field.
    nested = json.dumps({"object": {"key": [{"prefix": "auto-"}]}})
    with pytest.raises(FilterPolicyError) as caught:
        parse(nested, A)
    assert caught.value.message == (
        "Filter policy scope MessageAttributes does not support nested filter policy"
    )
    assert parse(nested, B).scope == B


def test_unknown_scope() -> None:
    # REC: "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use ..."
    with pytest.raises(FilterPolicyError) as caught:
        parse('{"a": ["b"]}', "RandomValue")
    assert caught.value.message == (
        "FilterPolicyScope: Invalid value [RandomValue]. "
        "Please use either MessageBody or MessageAttributes"
    )


@pytest.mark.parametrize("text", ["", "   ", "{", "not json", '{"a": ["b"]} x', '{"a": NaN}'])
def test_empty_or_malformed_json(text: str) -> None:
    with pytest.raises(FilterPolicyError):
        parse(text, A)


def test_size_limit_is_256_kb() -> None:
    # DOC: "The maximum size of a policy is 256 KB." (constraints page); the text is OURS.
    def sized(total: int) -> str:
        head = '{"k": ["'
        return head + "x" * (total - len(head) - 3) + '"]}'

    assert parse(sized(256 * 1024), A)
    with pytest.raises(FilterPolicyError) as caught:
        parse(sized(256 * 1024 + 1), A)
    assert caught.value.reason == "Filter policy is too long"


ACCEPTED: list[tuple[str, str, Any]] = [
    ("REC: 150 combinations is the limit", A, FLAT_OR_150),
    (
        "DOC: nested policy with 72 combinations",
        B,
        {k: v for k, v in NESTED_216.items() if k != "key_f"},
    ),
    ("DOC: a nested policy counts parent keys only", B, {"p": {f"k{i}": ["v"] for i in range(6)}}),
    ("DOC: five keys", A, {f"k{i}": ["v"] for i in range(5)}),
    ("REC: anything-but single string", A, {"key": [{"anything-but": "test"}]}),
    (
        "RULER: anything-but equals-ignore-case",
        A,
        {"k": [{"anything-but": {"equals-ignore-case": ["A"]}}]},
    ),
    ("DOC: numbers at the bounds", A, {"k": [1e9, -1e9, {"numeric": [">=", -1e9, "<=", 1e9]}]}),
    ("DOC: literals", A, {"k": ["s", 1, 2.5, True, False, None]}),
    (
        "DOC: $or with reserved keys is an ordinary key",
        A,
        {"$or": [{"prefix": "a"}, {"suffix": "b"}]},
    ),
    ("DOC: $or with one object is an ordinary key", A, {"$or": [{"exists": True}]}),
    ("RULER: exactly", A, {"k": [{"exactly": "x"}]}),
    (
        "OURS: five keys per $or alternative",
        A,
        {"a": ["1"], "$or": [{k: ["1"] for k in "bcde"}, {k: ["1"] for k in "fghi"}]},
    ),
    ("DOC: cidr v6", A, {"k": [{"cidr": "2001:db8::/127"}]}),
]


@pytest.mark.parametrize(("source", "scope", "policy"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted(source: str, scope: str, policy: Any) -> None:
    assert parse(json.dumps(policy), scope).scope == scope, source


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # subscription-filter-policy-constraints.html: 3 x 1 x 2 = 6
        ({"key_a": ["1", "2", "3"], "key_b": ["1"], "key_c": ["1", "2"]}, 6),
        # ... nested: 3 x 4 x 2 x 3 = 72
        ({k: v for k, v in NESTED_216.items() if k != "key_f"}, 72),
        (NESTED_216, 216),
        # and-or-logic.html: (1 * 2) + (1 * 1 * 2) + (1 * 1 * 3) = 7
        (
            {
                "source": ["aws.cloudwatch"],
                "$or": [
                    {"metricName": ["CPUUtilization", "ReadLatency"]},
                    {
                        "metricType": ["MetricType"],
                        "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}],
                    },
                ],
            },
            7,
        ),
        # ... nested "$or": (2 * 2 * 2) x 4 = 32
        (
            {
                "$or": [
                    {"metricName": ["CPUUtilization", "ReadLatency"]},
                    {"namespace": ["AWS/EC2", "AWS/ES"]},
                ],
                "detail": {
                    "scope": ["Service"],
                    "$or": [
                        {"source": ["aws.cloudwatch"]},
                        {"type": ["CloudWatch Alarm State Change"]},
                    ],
                },
            },
            32,
        ),
        (FLAT_OR_152, 152),
        (NESTED_OR_160, 160),
        (FLAT_OR_150, 150),
    ],
)
def test_combinations_as_aws_counts_them(policy: dict[str, Any], expected: int) -> None:
    # Counted on the tree before the limit is applied, so over-limit examples can be checked.
    from densho.sns.filter import parse as filter_parse

    reader = filter_parse._Reader()
    tree = reader.branch(policy, None, None, 1, 0)
    assert combinations(tree) == expected, (CONSTRAINTS, LOGIC)


def test_deep_nesting_is_refused_without_recursing_forever() -> None:
    policy: dict[str, Any] = {"leaf": ["x"]}
    for _ in range(400):
        policy = {"n": policy}
    with pytest.raises(FilterPolicyError) as caught:
        parse_tree(json.dumps(policy), B)
    assert caught.value.reason == "Filter policy is too complex"
