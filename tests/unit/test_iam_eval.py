"""The policy evaluator (densho.iam) against cases from AWS's IAM User Guide: "Policy
evaluation logic", "Cross-account policy evaluation logic", "Principal", "NotPrincipal",
"NotAction", "Condition operators" and "Condition with multiple context keys or values"; and
a property: no policy text, however malformed, makes evaluation raise.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from densho.iam import Caller, Outcome, Request, evaluate, service_allows
from densho.iam.policy import Kind, compile_policy

A, B = "111111111111", "222222222222"
ROOT_A = f"arn:aws:iam::{A}:root"
ROOT_B = f"arn:aws:iam::{B}:root"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{B}:user/team/bob"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:orders"
OTHER_QUEUE = f"arn:aws:sqs:us-east-1:{A}:invoices"
TOPIC = f"arn:aws:sns:us-east-1:{A}:events"
NOW = 1_796_000_000_000  # 2026-11-30T...
REQ = Request(NOW, source_ip="10.1.2.3", secure=True)

ALLOW, DENY_ID, DENY_RES = (
    Outcome.ALLOW,
    Outcome.EXPLICIT_DENY_IDENTITY,
    Outcome.EXPLICIT_DENY_RESOURCE,
)
NO_ID, NO_RES = Outcome.NO_IDENTITY_ALLOW, Outcome.NO_RESOURCE_ALLOW


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any = "sqs:*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "sqs:*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, action: Any = "sqs:SendMessage", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": QUEUE, **extra}


def refuse(principal: Any, action: Any = "sqs:SendMessage", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": QUEUE, **extra}


def refuse_not(arn: str) -> dict[str, Any]:
    return {"Effect": "Deny", "NotPrincipal": {"AWS": arn}, "Action": "sqs:*", "Resource": QUEUE}


def decide(
    caller: Caller,
    resource_policy: str | None = None,
    action: str = "sqs:SendMessage",
    resource: str = QUEUE,
    request: Request = REQ,
) -> Outcome:
    owner = resource.split(":")[4] if resource.startswith("arn:") else A
    return evaluate(caller, action, resource, owner, resource_policy, request)


# --- the evaluation logic ---

LOGIC: list[tuple[str, Caller, str | None, Outcome]] = [
    # An account's root with no identity policy may do everything in its own account.
    ("root, own account", Caller(ROOT_A, A), None, ALLOW),
    # A user with no identity policy and no resource policy: implicit deny.
    ("user without policies", Caller(ALICE, A), None, NO_ID),
    # Same account: the identity policy alone suffices...
    ("identity allow", Caller(ALICE, A, doc(allow("sqs:SendMessage", QUEUE))), None, ALLOW),
    # ...and so does a resource policy naming the user.
    ("resource allow names user", Caller(ALICE, A), doc(grant({"AWS": ALICE})), ALLOW),
    # A resource policy naming only the account delegates: the user still needs its own allow.
    ("resource names the account only", Caller(ALICE, A), doc(grant({"AWS": A})), NO_ID),
    (
        "account grant + identity allow",
        Caller(ALICE, A, doc(allow())),
        doc(grant({"AWS": ROOT_A})),
        ALLOW,
    ),
    # Explicit deny wins over every allow, in either policy.
    (
        "identity deny beats resource allow",
        Caller(ALICE, A, doc(allow(), deny("sqs:SendMessage"))),
        doc(grant({"AWS": ALICE})),
        DENY_ID,
    ),
    (
        "resource deny beats identity allow",
        Caller(ALICE, A, doc(allow())),
        doc(refuse({"AWS": ALICE})),
        DENY_RES,
    ),
    ("resource deny beats root", Caller(ROOT_A, A), doc(refuse("*")), DENY_RES),
    (
        "deny to the account covers its users",
        Caller(ALICE, A, doc(allow())),
        doc(refuse({"AWS": A})),
        DENY_RES,
    ),
    # Cross-account: the resource policy must allow and so must the caller's identity policy.
    ("cross-account, no resource policy", Caller(ROOT_B, B), None, NO_RES),
    ("cross-account, resource allows root of B", Caller(ROOT_B, B), doc(grant({"AWS": B})), ALLOW),
    ("cross-account, user of B, no identity allow", Caller(BOB, B), doc(grant({"AWS": B})), NO_ID),
    (
        "cross-account, user of B with identity allow",
        Caller(BOB, B, doc(allow("sqs:SendMessage", QUEUE))),
        doc(grant({"AWS": B})),
        ALLOW,
    ),
    (
        "cross-account, identity allows but resource does not",
        Caller(BOB, B, doc(allow())),
        doc(grant({"AWS": ALICE})),
        NO_RES,
    ),
    ("cross-account, Principal *", Caller(ROOT_B, B), doc(grant("*")), ALLOW),
    ("cross-account, AWS *", Caller(BOB, B, doc(allow())), doc(grant({"AWS": "*"})), ALLOW),
    (
        "cross-account, named user",
        Caller(BOB, B, doc(allow())),
        doc(grant({"AWS": [ALICE, BOB]})),
        ALLOW,
    ),
    # A Service principal does not name an IAM caller.
    ("Service principal", Caller(ROOT_B, B), doc(grant({"Service": "sns.amazonaws.com"})), NO_RES),
    # NotPrincipal: everyone except the named ones.
    (
        "NotPrincipal deny spares named",
        Caller(ALICE, A, doc(allow())),
        doc(refuse_not(ALICE)),
        ALLOW,
    ),
    (
        "NotPrincipal deny hits others",
        Caller(ROOT_B, B),
        doc(grant("*"), refuse_not(ALICE)),
        DENY_RES,
    ),
]
LOGIC += [
    (
        "NotPrincipal allow",
        Caller(ROOT_B, B),
        doc(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": ALICE},
                "Action": "sqs:*",
                "Resource": QUEUE,
            }
        ),
        ALLOW,
    ),
    # A cross-account user whose own policy denies.
    ("cross-account identity deny", Caller(BOB, B, doc(deny())), doc(grant("*")), DENY_ID),
]


@pytest.mark.parametrize(
    ("caller", "resource_policy", "expected"), [c[1:] for c in LOGIC], ids=[c[0] for c in LOGIC]
)
def test_evaluation_logic(caller: Caller, resource_policy: str | None, expected: Outcome) -> None:
    assert decide(caller, resource_policy) is expected


# --- Action / NotAction, Resource / NotResource ---

MATCHING: list[tuple[str, dict[str, Any], str, str, bool]] = [
    # (case, identity statement, action, resource, allowed)
    ("service wildcard", allow("sqs:*"), "sqs:SendMessage", QUEUE, True),
    ("prefix wildcard", allow("SQS:Send*"), "sqs:SendMessage", QUEUE, True),
    ("prefix wildcard misses", allow("sqs:Send*"), "sqs:ReceiveMessage", QUEUE, False),
    ("action name case-insensitive", allow("sqs:sendmessage"), "sqs:SendMessage", QUEUE, True),
    ("single-character wildcard", allow("sqs:?etQueueUrl"), "sqs:GetQueueUrl", QUEUE, True),
    ("other service", allow("sns:*"), "sqs:SendMessage", QUEUE, False),
    ("everything", allow("*"), "sqs:SendMessage", QUEUE, True),
    (
        "action list",
        allow(["sqs:ReceiveMessage", "sqs:SendMessage"]),
        "sqs:SendMessage",
        QUEUE,
        True,
    ),
    (
        "NotAction excludes",
        {"Effect": "Allow", "NotAction": "sqs:Delete*", "Resource": "*"},
        "sqs:DeleteQueue",
        QUEUE,
        False,
    ),
    (
        "NotAction allows the rest",
        {"Effect": "Allow", "NotAction": "sqs:Delete*", "Resource": "*"},
        "sqs:SendMessage",
        QUEUE,
        True,
    ),
    ("resource exact", allow("sqs:*", QUEUE), "sqs:SendMessage", QUEUE, True),
    ("resource other queue", allow("sqs:*", QUEUE), "sqs:SendMessage", OTHER_QUEUE, False),
    (
        "resource wildcard",
        allow("sqs:*", f"arn:aws:sqs:*:{A}:ord*"),
        "sqs:SendMessage",
        QUEUE,
        True,
    ),
    (
        "resource ? wildcard",
        allow("sqs:*", f"arn:aws:sqs:us-east-1:{A}:?rders"),
        "sqs:SendMessage",
        QUEUE,
        True,
    ),
    ("resource case-sensitive", allow("sqs:*", QUEUE.upper()), "sqs:SendMessage", QUEUE, False),
    ("resource list", allow("sqs:*", [OTHER_QUEUE, QUEUE]), "sqs:SendMessage", QUEUE, True),
    (
        "NotResource",
        {"Effect": "Allow", "Action": "sqs:*", "NotResource": OTHER_QUEUE},
        "sqs:SendMessage",
        QUEUE,
        True,
    ),
    (
        "NotResource excludes",
        {"Effect": "Allow", "Action": "sqs:*", "NotResource": QUEUE},
        "sqs:SendMessage",
        QUEUE,
        False,
    ),
    ("SNS spelling", allow("SNS:Publish", TOPIC), "SNS:Publish", TOPIC, True),
]


@pytest.mark.parametrize(
    ("statement", "action", "resource", "allowed"),
    [c[1:] for c in MATCHING],
    ids=[c[0] for c in MATCHING],
)
def test_actions_and_resources(
    statement: dict[str, Any], action: str, resource: str, allowed: bool
) -> None:
    outcome = decide(Caller(ALICE, A, doc(statement)), action=action, resource=resource)
    assert outcome.allowed is allowed


def test_statement_as_a_single_object() -> None:
    policy = json.dumps({"Statement": allow("sqs:SendMessage", QUEUE)})
    assert decide(Caller(ALICE, A, policy)) is ALLOW


# --- conditions ---

CONDITIONS: list[tuple[str, dict[str, Any], bool]] = [
    # (case, Condition block, holds for REQ + the keys below)
    ("StringEquals", {"StringEquals": {"aws:username": "alice"}}, True),
    ("StringEquals misses", {"StringEquals": {"aws:username": "Alice"}}, False),
    ("key names case-insensitive", {"StringEquals": {"AWS:UserName": "alice"}}, True),
    ("StringNotEquals", {"StringNotEquals": {"aws:username": ["bob", "carol"]}}, True),
    ("StringNotEquals misses", {"StringNotEquals": {"aws:username": ["bob", "alice"]}}, False),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, True),
    ("StringNotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}, False),
    ("StringLike", {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}, True),
    ("StringNotLike", {"StringNotLike": {"aws:PrincipalArn": "*:user/b*"}}, True),
    ("values are ORed", {"StringEquals": {"aws:username": ["bob", "alice"]}}, True),
    (
        "keys are ANDed",
        {"StringEquals": {"aws:username": "alice", "aws:PrincipalAccount": B}},
        False,
    ),
    (
        "operators are ANDed",
        {"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:SecureTransport": "false"}},
        False,
    ),
    ("ArnEquals", {"ArnEquals": {"aws:SourceArn": TOPIC}}, True),
    ("ArnLike segments", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:ev*"}}, True),
    ("ArnLike misses", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:other"}}, False),
    ("ArnNotEquals", {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:x"}}, True),
    ("ArnNotLike", {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*"}}, True),  # not six segments
    ("NumericEquals", {"NumericEquals": {"aws:EpochTime": NOW // 1000}}, True),
    ("NumericLessThan", {"NumericLessThan": {"aws:EpochTime": "1"}}, False),
    (
        "NumericGreaterThanEquals",
        {"NumericGreaterThanEquals": {"aws:EpochTime": NOW // 1000}},
        True,
    ),
    ("NumericNotEquals", {"NumericNotEquals": {"aws:EpochTime": 5}}, True),
    ("Numeric not a number", {"NumericEquals": {"aws:username": "1"}}, False),
    ("DateGreaterThan ISO", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, True),
    ("DateLessThan ISO", {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, False),
    (
        "DateLessThanEquals epoch",
        {"DateLessThanEquals": {"aws:CurrentTime": str(NOW // 1000)}},
        True,
    ),
    ("DateNotEquals", {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, True),
    ("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, True),
    ("Bool JSON value", {"Bool": {"aws:SecureTransport": False}}, False),
    ("IpAddress v4 CIDR", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ("IpAddress single", {"IpAddress": {"aws:SourceIp": "10.1.2.3"}}, True),
    (
        "IpAddress misses",
        {"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "2001:db8::/32"]}},
        False,
    ),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, True),
    # A key the request does not carry: false, but true for negated operators (User Guide).
    ("missing key", {"StringEquals": {"aws:SourceAccount": A}}, False),
    ("missing key, negated", {"StringNotEquals": {"aws:SourceAccount": A}}, True),
    ("missing key, ArnNotLike", {"ArnNotLike": {"aws:SourceArn2": "*"}}, True),
    ("missing key, IfExists", {"StringEqualsIfExists": {"aws:SourceAccount": A}}, True),
    ("present key, IfExists", {"StringEqualsIfExists": {"aws:username": "bob"}}, False),
    ("ArnLikeIfExists", {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, True),
    ("Null true: absent", {"Null": {"aws:SourceAccount": "true"}}, True),
    ("Null false: present", {"Null": {"aws:username": "false"}}, True),
    ("Null true: present", {"Null": {"aws:username": "true"}}, False),
    # Set operators over a multivalued key (aws:TagKeys stands for any such key).
    ("ForAnyValue hit", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["b", "z"]}}, True),
    ("ForAnyValue miss", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["z"]}}, False),
    ("ForAllValues hit", {"ForAllValues:StringLike": {"aws:TagKeys": ["a", "b*"]}}, True),
    ("ForAllValues miss", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, False),
    ("ForAllValues missing key: true", {"ForAllValues:StringEquals": {"aws:Nope": ["a"]}}, True),
    ("ForAnyValue missing key: false", {"ForAnyValue:StringEquals": {"aws:Nope": ["a"]}}, False),
    ("ForAllValues negated", {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["c"]}}, True),
    ("ForAnyValue negated", {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}, True),
    (
        "ForAnyValue over single-valued",
        {"ForAnyValue:StringEquals": {"aws:username": ["x", "alice"]}},
        True,
    ),
]


@pytest.mark.parametrize(
    ("condition", "holds"), [c[1:] for c in CONDITIONS], ids=[c[0] for c in CONDITIONS]
)
def test_condition_operators(condition: dict[str, Any], holds: bool) -> None:
    request = Request(
        NOW,
        source_ip="10.1.2.3",
        secure=True,
        extra={"aws:sourcearn": TOPIC, "aws:tagkeys": ("a", "b")},
    )
    caller = Caller(ALICE, A, doc(allow(Condition=condition)))
    assert decide(caller, request=request).allowed is holds
    # The same block on a Deny statement denies exactly when it holds.
    denied = Caller(ALICE, A, doc(allow(), deny(Condition=condition)))
    assert (decide(denied, request=request) is DENY_ID) is holds


def test_ipv6_source() -> None:
    caller = Caller(
        ALICE, A, doc(allow(Condition={"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}))
    )
    assert decide(caller, request=Request(NOW, source_ip="2001:db8::7")).allowed
    assert not decide(caller, request=Request(NOW, source_ip="10.0.0.1")).allowed


def test_conditions_in_a_resource_policy_see_the_caller() -> None:
    policy = doc(grant("*", Condition={"StringEquals": {"aws:PrincipalAccount": B}}))
    assert decide(Caller(ROOT_B, B), policy) is ALLOW
    other = f"arn:aws:iam::{'3' * 12}:root"
    assert decide(Caller(other, "3" * 12), policy) is NO_RES


# --- service principals (SNS delivering to a queue) ---

SNS = {"Service": "sns.amazonaws.com"}
FROM_TOPIC = Request(NOW, extra={"aws:sourcearn": TOPIC, "aws:sourceaccount": A})

SERVICE: list[tuple[str, str | None, bool]] = [
    ("no policy", None, False),
    ("Service principal", doc(grant(SNS)), True),
    (
        "Service principal list",
        doc(grant({"Service": ["s3.amazonaws.com", "sns.amazonaws.com"]})),
        True,
    ),
    ("other service", doc(grant({"Service": "s3.amazonaws.com"})), False),
    ("Principal *", doc(grant("*")), True),
    ("account principal is no service", doc(grant({"AWS": A})), False),
    (
        "SourceArn condition",
        doc(grant(SNS, Condition={"ArnEquals": {"aws:SourceArn": TOPIC}})),
        True,
    ),
    (
        "other topic",
        doc(grant(SNS, Condition={"ArnEquals": {"aws:SourceArn": TOPIC + "x"}})),
        False,
    ),
    ("SourceAccount", doc(grant("*", Condition={"StringEquals": {"aws:SourceAccount": A}})), True),
    (
        "SourceAccount other",
        doc(grant("*", Condition={"StringEquals": {"aws:SourceAccount": B}})),
        False,
    ),
    ("wrong action", doc(grant(SNS, action="sqs:ReceiveMessage")), False),
    ("sqs:* action", doc(grant(SNS, action="sqs:*")), True),
    ("deny wins", doc(grant(SNS), refuse("*")), False),
    ("not JSON", "{", False),
]


@pytest.mark.parametrize(
    ("policy", "allowed"), [c[1:] for c in SERVICE], ids=[c[0] for c in SERVICE]
)
def test_service_principal(policy: str | None, allowed: bool) -> None:
    assert (
        service_allows(policy, "sns.amazonaws.com", "sqs:SendMessage", QUEUE, FROM_TOPIC) is allowed
    )


# --- malformed policies ---

MALFORMED: list[tuple[str, str]] = [
    ("not JSON", "{"),
    ("not an object", "[]"),
    ("no Statement", "{}"),
    ("empty Statement", '{"Statement": []}'),
    ("bad Effect", doc({"Effect": "allow", "Action": "sqs:*", "Resource": "*"})),
    ("no Action", doc({"Effect": "Allow", "Resource": "*"})),
    ("Action without service", doc(allow("SendMessage"))),
    ("Action not a string", doc(allow(5))),
    ("Action and NotAction", doc(allow("sqs:*", NotAction="sqs:x"))),
    ("unknown operator", doc(allow(Condition={"StringSorta": {"aws:username": "alice"}}))),
    (
        "unknown set operator",
        doc(allow(Condition={"ForSome:StringEquals": {"aws:username": "alice"}})),
    ),
    ("condition not an object", doc(allow(Condition=["x"]))),
    (
        "condition value an object",
        doc(allow(Condition={"StringEquals": {"aws:username": {"a": 1}}})),
    ),
    ("Null not boolean", doc(allow(Condition={"Null": {"aws:username": "maybe"}}))),
    ("Principal in identity policy", doc(allow(Principal="*"))),
    ("no Resource in identity policy", doc({"Effect": "Allow", "Action": "sqs:*"})),
]


@pytest.mark.parametrize("policy", [c[1] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_identity_policy_grants_nothing(policy: str) -> None:
    assert not decide(Caller(ALICE, A, policy)).allowed
    # Not even with a well-formed Allow beside the broken statement.
    if policy.startswith('{"Version"'):
        mixed = json.loads(policy)
        mixed["Statement"].append(allow())
        assert not decide(Caller(ALICE, A, json.dumps(mixed))).allowed


def test_malformed_policy_keeps_its_deny() -> None:
    broken = doc(allow("nonsense"), deny("sqs:SendMessage"))
    assert decide(Caller(ALICE, A, broken)) is DENY_ID


def test_resource_policy_needs_a_principal() -> None:
    no_principal = doc({"Effect": "Allow", "Action": "sqs:*", "Resource": QUEUE})
    assert decide(Caller(ROOT_B, B), no_principal) is NO_RES


def test_resource_policy_without_resource_means_itself() -> None:
    implied = doc({"Effect": "Allow", "Principal": "*", "Action": "sqs:*"})
    assert decide(Caller(ROOT_B, B), implied) is ALLOW


def test_compiled_once_per_text() -> None:
    text = doc(allow("sqs:SendMessage", QUEUE))
    assert compile_policy(text, Kind.IDENTITY) is compile_policy(text, Kind.IDENTITY)


# --- property: nothing crashes evaluation ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
element_names = st.sampled_from(
    [
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "Sid",
    ]
)
operators = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "ArnLike",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "IpAddress",
        "NotIpAddress",
        "Null",
        "ForAllValues:StringEquals",
        "ForAnyValue:ArnNotLike",
        "StringEqualsIfExists",
        "NumericEqualsIfExists",
        "Bogus",
    ]
)
keys = st.sampled_from(
    ["aws:SourceArn", "aws:SourceIp", "aws:CurrentTime", "aws:username", "aws:Other"]
)
condition_blocks = st.dictionaries(
    operators, st.dictionaries(keys, json_values, max_size=2), max_size=3
)
statements = st.dictionaries(element_names, json_values, max_size=8).flatmap(
    lambda s: st.builds(
        lambda c: {**s, "Condition": c} if c else s, st.one_of(st.none(), condition_blocks)
    )
)
policies = st.one_of(
    st.text(max_size=40),
    json_values.map(json.dumps),
    st.lists(statements, max_size=4).map(lambda s: json.dumps({"Statement": s})),
    statements.map(lambda s: json.dumps({"Statement": s})),
)


@settings(max_examples=300, deadline=None)
@given(identity=policies, resource=policies, ip=st.sampled_from(["", "10.0.0.1", "::1", "junk"]))
def test_no_policy_crashes_evaluation(identity: str, resource: str, ip: str) -> None:
    request = Request(NOW, source_ip=ip, extra={"aws:sourcearn": TOPIC})
    for caller in (Caller(ALICE, A, identity), Caller(ROOT_B, B, identity), Caller(ROOT_A, A)):
        assert isinstance(evaluate(caller, "sqs:SendMessage", QUEUE, A, resource, request), Outcome)
    assert isinstance(
        service_allows(resource, "sns.amazonaws.com", "sqs:SendMessage", QUEUE, request), bool
    )
