"""HTTP/S delivery policies: AWS's documented examples, limits, refusals, merging and schedules.

Source: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html and the
SetTopicAttributes / SetSubscriptionAttributes DeliveryPolicy JSON formats. Refusal texts that
AWS is known to send are quoted from real responses (see each test).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from densho.sns.outbox.delivery_policy import (
    DEFAULT_CONTENT_TYPE,
    DEFAULT_RETRY_POLICY,
    BackoffFunction,
    DeliveryPolicy,
    DeliveryPolicyError,
    EffectiveDeliveryPolicy,
    RetryPolicy,
    TopicDeliveryPolicy,
    effective_policy,
    next_delay_ms,
    parse_subscription_policy,
    parse_topic_policy,
    retry_schedule,
    subscription_effective_json,
    topic_effective_json,
)


def sub(**retry: Any) -> str:
    return json.dumps({"healthyRetryPolicy": retry})


def retry_of(text: str) -> RetryPolicy:
    policy = parse_subscription_policy(text).healthy_retry_policy
    assert policy is not None
    return policy


# --- documented examples ---------------------------------------------------------------------


def test_default_policy_is_three_retries_20_seconds_apart() -> None:
    # "the default is to retry three times in the backoff phase, with a time delay of 20 seconds"
    assert retry_schedule(DEFAULT_RETRY_POLICY) == [20_000, 20_000, 20_000]
    assert effective_policy() == EffectiveDeliveryPolicy()
    assert effective_policy().header_content_type == "text/plain; charset=UTF-8"
    assert effective_policy().max_receives_per_second is None


def test_max_delay_40_gives_20_30_40() -> None:
    # "Amazon SNS attempts the first retry after 20 seconds, the second retry after 30
    # seconds, and the final retry after 40 seconds."
    policy = retry_of(sub(minDelayTarget=20, maxDelayTarget=40, numRetries=3))
    assert retry_schedule(policy) == [20_000, 30_000, 40_000]


DOCUMENTED = {
    "healthyRetryPolicy": {
        "minDelayTarget": 1,
        "maxDelayTarget": 60,
        "numRetries": 50,
        "numNoDelayRetries": 3,
        "numMinDelayRetries": 2,
        "numMaxDelayRetries": 35,
        "backoffFunction": "exponential",
    },
    "throttlePolicy": {"maxReceivesPerSecond": 10},
}


def test_the_guides_fifty_attempt_policy() -> None:
    # "3 times immediately, 2 times (1 second apart), 10 times (exponential backoff from 1
    # second to 60 seconds), 35 times (60 seconds apart)".
    policy = parse_subscription_policy(json.dumps(DOCUMENTED))
    assert policy.max_receives_per_second == 10
    retry = policy.healthy_retry_policy
    assert retry is not None
    assert retry.num_backoff_retries == 10
    schedule = retry_schedule(retry)
    assert len(schedule) == 50
    assert schedule[:3] == [0, 0, 0]
    assert schedule[3:5] == [1000, 1000]
    backoff = schedule[5:15]
    assert backoff[0] == 1000
    assert backoff[-1] == 60_000
    assert backoff == sorted(backoff)
    assert schedule[15:] == [60_000] * 35


def test_topic_policy_format() -> None:
    topic = parse_topic_policy(
        json.dumps(
            {
                "http": {
                    "defaultHealthyRetryPolicy": {
                        "minDelayTarget": 20,
                        "maxDelayTarget": 20,
                        "numRetries": 3,
                        "numMaxDelayRetries": 0,
                        "numNoDelayRetries": 0,
                        "numMinDelayRetries": 0,
                        "backoffFunction": "linear",
                    },
                    "disableSubscriptionOverrides": False,
                    "defaultThrottlePolicy": {"maxReceivesPerSecond": 1},
                    "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
                }
            }
        )
    )
    assert topic == TopicDeliveryPolicy(
        DeliveryPolicy(DEFAULT_RETRY_POLICY, 1, "text/plain; charset=UTF-8"), False
    )


# --- backoff functions -----------------------------------------------------------------------

GRAPH = {"minDelayTarget": 5, "maxDelayTarget": 260, "numRetries": 10}  # the guide's graph


def graph(function: str) -> list[int]:
    return retry_schedule(retry_of(sub(**GRAPH, backoffFunction=function)))


def test_each_backoff_function_on_the_guides_graph() -> None:
    assert graph("linear") == [
        5000,
        33_333,
        61_667,
        90_000,
        118_333,
        146_667,
        175_000,
        203_333,
        231_667,
        260_000,
    ]
    assert graph("arithmetic") == [
        5000,
        8148,
        17_593,
        33_333,
        55_370,
        83_704,
        118_333,
        159_259,
        206_481,
        260_000,
    ]
    assert graph("geometric") == [
        5000,
        5852,
        7429,
        10_350,
        15_758,
        25_773,
        44_317,
        78_658,
        142_248,
        260_000,
    ]
    assert graph("exponential") == [
        5000,
        5054,
        5201,
        5601,
        6687,
        9640,
        17_666,
        39_483,
        98_789,
        260_000,
    ]


def test_backoff_curves_are_ordered_as_in_the_graph() -> None:
    # Between the shared end points: exponential below geometric below arithmetic below linear.
    curves = [graph(f) for f in ("exponential", "geometric", "arithmetic", "linear")]
    for retry in range(1, 9):
        column = [curve[retry] for curve in curves]
        assert column == sorted(column)
        assert len(set(column)) == 4


@pytest.mark.parametrize("function", [f.value for f in BackoffFunction])
def test_one_backoff_retry_waits_the_minimum(function: str) -> None:
    policy = retry_of(
        sub(minDelayTarget=5, maxDelayTarget=50, numRetries=1, backoffFunction=function)
    )
    assert retry_schedule(policy) == [5000]


@pytest.mark.parametrize("function", [f.value for f in BackoffFunction])
def test_equal_targets_give_a_constant_backoff(function: str) -> None:
    policy = retry_of(
        sub(minDelayTarget=7, maxDelayTarget=7, numRetries=4, backoffFunction=function)
    )
    assert retry_schedule(policy) == [7000] * 4


def test_backoff_function_is_case_insensitive() -> None:
    # The AWS CDK writes its enum names ("EXPONENTIAL") into the policy and AWS accepts them.
    policy = retry_of(
        sub(minDelayTarget=1, maxDelayTarget=9, numRetries=3, backoffFunction="EXPONENTIAL")
    )
    assert policy.backoff_function is BackoffFunction.EXPONENTIAL


def test_phases_without_backoff_retries() -> None:
    policy = retry_of(
        sub(
            minDelayTarget=2,
            maxDelayTarget=9,
            numRetries=4,
            numNoDelayRetries=1,
            numMinDelayRetries=1,
            numMaxDelayRetries=2,
        )
    )
    assert policy.num_backoff_retries == 0
    assert retry_schedule(policy) == [0, 2000, 9000, 9000]


def test_zero_retries() -> None:
    policy = retry_of(sub(minDelayTarget=1, maxDelayTarget=1, numRetries=0))
    assert retry_schedule(policy) == []
    assert next_delay_ms(policy, 1) is None


def test_next_delay_follows_the_schedule() -> None:
    policy = retry_of(json.dumps(DOCUMENTED))
    schedule = retry_schedule(policy)
    assert [next_delay_ms(policy, n) for n in range(1, 51)] == schedule
    assert next_delay_ms(policy, 51) is None
    with pytest.raises(ValueError, match="from 1"):
        next_delay_ms(policy, 0)


# --- refusals --------------------------------------------------------------------------------


def refused(text: str, *, topic: bool = False) -> str:
    with pytest.raises(DeliveryPolicyError) as caught:
        (parse_topic_policy if topic else parse_subscription_policy)(text)
    assert caught.value.message == f"DeliveryPolicy: {caught.value.reason}"
    return caught.value.reason


def test_the_guides_short_example_is_refused_as_aws_refuses_it() -> None:
    # AWS: "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be
    # specified" for the guide's own {"healthyRetryPolicy":{"numRetries":5}}.
    assert refused('{"healthyRetryPolicy":{"numRetries":5}}') == (
        "healthyRetryPolicy.minDelayTarget must be specified"
    )
    assert refused(sub(minDelayTarget=1, numRetries=5)) == (
        "healthyRetryPolicy.maxDelayTarget must be specified"
    )
    assert refused(sub(minDelayTarget=1, maxDelayTarget=2)) == (
        "healthyRetryPolicy.numRetries must be specified"
    )
    assert refused('{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}', topic=True) == (
        "http.defaultHealthyRetryPolicy.minDelayTarget must be specified"
    )


def test_min_delay_target_at_least_one() -> None:
    # AWS: "DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1"
    assert refused(sub(minDelayTarget=0, maxDelayTarget=0, numRetries=0)) == (
        "healthyRetryPolicy.minDelayTarget must be greater than or equal to 1"
    )


def test_integers_must_be_json_integers() -> None:
    # AWS: "DeliveryPolicy: http.defaultHealthyRetryPolicy.minDelayTarget type mismatch,
    # expecting integer, received a string"
    document = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": "20"}}}
    assert refused(json.dumps(document), topic=True) == (
        "http.defaultHealthyRetryPolicy.minDelayTarget type mismatch, expecting integer, "
        "received a string"
    )
    assert "received a number" in refused(sub(minDelayTarget=1.5, maxDelayTarget=2, numRetries=1))
    assert "received a boolean" in refused(sub(minDelayTarget=True, maxDelayTarget=2, numRetries=1))


@pytest.mark.parametrize(
    ("retry", "reason"),
    [
        (
            {"minDelayTarget": 1, "maxDelayTarget": 3601, "numRetries": 1},
            "healthyRetryPolicy.maxDelayTarget must be less than or equal to 3600",
        ),
        (
            {"minDelayTarget": 30, "maxDelayTarget": 20, "numRetries": 1},
            "healthyRetryPolicy.maxDelayTarget must be greater than or equal to minDelayTarget",
        ),
        (
            {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 101},
            "healthyRetryPolicy.numRetries must be less than or equal to 100",
        ),
        (
            {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": -1},
            "healthyRetryPolicy.numRetries must be greater than or equal to 0",
        ),
        (
            {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 3, "numNoDelayRetries": -1},
            "healthyRetryPolicy.numNoDelayRetries must be greater than or equal to 0",
        ),
        (
            {
                "minDelayTarget": 1,
                "maxDelayTarget": 2,
                "numRetries": 3,
                "numNoDelayRetries": 2,
                "numMaxDelayRetries": 2,
            },
            "healthyRetryPolicy.numRetries must be greater than or equal to the total of "
            "numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries",
        ),
        (
            {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 3, "backoffFunction": "cubic"},
            "healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric, "
            "exponential",
        ),
        (
            {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 3, "backoffFunction": 1},
            "healthyRetryPolicy.backoffFunction type mismatch, expecting string, received a number",
        ),
    ],
)
def test_limits(retry: dict[str, Any], reason: str) -> None:
    assert refused(json.dumps({"healthyRetryPolicy": retry})) == reason


def test_throttle_and_request_policies() -> None:
    assert refused('{"throttlePolicy":{"maxReceivesPerSecond":0}}') == (
        "throttlePolicy.maxReceivesPerSecond must be greater than or equal to 1"
    )
    assert refused('{"requestPolicy":{"headerContentType":"image/png"}}') == (
        "requestPolicy.headerContentType image/png is not supported"
    )
    assert refused('{"requestPolicy":{}}') == "requestPolicy.headerContentType must be specified"
    policy = parse_subscription_policy('{"requestPolicy":{"headerContentType":"application/json"}}')
    assert policy.header_content_type == "application/json"


def test_malformed_documents() -> None:
    assert refused("") == "invalid JSON"
    assert refused("{") == "invalid JSON"
    assert refused('{"throttlePolicy": {"maxReceivesPerSecond": NaN}}') == "invalid JSON"
    assert refused("[]") == "type mismatch, expecting object, received an array"
    assert refused('{"healthyRetryPolicy": 3}') == (
        "healthyRetryPolicy type mismatch, expecting object, received a number"
    )
    assert refused('{"http": {"disableSubscriptionOverrides": "yes"}}', topic=True) == (
        "http.disableSubscriptionOverrides type mismatch, expecting boolean, received a string"
    )
    assert refused('{"http": []}', topic=True) == (
        "http type mismatch, expecting object, received an array"
    )


def test_unset_parts_and_unknown_keys_are_accepted() -> None:
    # What GetSubscriptionAttributes returns as EffectiveDeliveryPolicy must be settable again.
    policy = parse_subscription_policy(
        '{"healthyRetryPolicy":null,"sicklyRetryPolicy":null,"throttlePolicy":null,'
        '"guaranteed":false}'
    )
    assert policy == DeliveryPolicy()
    assert parse_topic_policy("{}") == TopicDeliveryPolicy()


# --- merging ---------------------------------------------------------------------------------

FAST = RetryPolicy(min_delay_target=1, max_delay_target=2, num_retries=5)
SLOW = RetryPolicy(min_delay_target=30, max_delay_target=60, num_retries=10)


def test_subscription_overrides_topic_part_by_part() -> None:
    topic = TopicDeliveryPolicy(DeliveryPolicy(SLOW, 5, "application/json"))
    subscription = DeliveryPolicy(healthy_retry_policy=FAST)
    merged = effective_policy(topic, subscription)
    assert merged.retry == FAST
    assert merged.max_receives_per_second == 5
    assert merged.header_content_type == "application/json"


def test_topic_defaults_apply_without_a_subscription_policy() -> None:
    topic = TopicDeliveryPolicy(DeliveryPolicy(SLOW))
    assert effective_policy(topic, None).retry == SLOW
    assert effective_policy(topic, DeliveryPolicy()).retry == SLOW


def test_disable_subscription_overrides() -> None:
    topic = TopicDeliveryPolicy(DeliveryPolicy(SLOW), disable_subscription_overrides=True)
    subscription = DeliveryPolicy(FAST, 9, "application/xml")
    merged = effective_policy(topic, subscription)
    assert merged.retry == SLOW
    assert merged.max_receives_per_second is None
    assert merged.header_content_type == DEFAULT_CONTENT_TYPE


def test_a_subscription_retry_policy_replaces_the_topics_whole() -> None:
    # Fields the subscription's retry policy leaves out are AWS's defaults, not the topic's.
    topic = parse_topic_policy(
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":9,'
        '"numRetries":5,"numNoDelayRetries":2,"backoffFunction":"geometric"}}}'
    )
    subscription = parse_subscription_policy(sub(minDelayTarget=3, maxDelayTarget=9, numRetries=2))
    merged = effective_policy(topic, subscription).retry
    assert merged.num_no_delay_retries == 0
    assert merged.backoff_function is BackoffFunction.LINEAR


def test_effective_policy_json() -> None:
    # A new topic's EffectiveDeliveryPolicy as GetTopicAttributes returns it.
    assert topic_effective_json() == (
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,'
        '"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,'
        '"backoffFunction":"linear"},"disableSubscriptionOverrides":false,'
        '"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}'
    )
    assert subscription_effective_json(effective_policy()) == (
        '{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,'
        '"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,'
        '"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,'
        '"guaranteed":false}'
    )


def test_effective_json_reads_back_as_the_same_policy() -> None:
    retry = DOCUMENTED["healthyRetryPolicy"]
    topic = parse_topic_policy(json.dumps({"http": {"defaultHealthyRetryPolicy": retry}}))
    effective = effective_policy(topic, parse_subscription_policy(json.dumps(DOCUMENTED)))
    echoed = parse_subscription_policy(subscription_effective_json(effective))
    assert effective_policy(None, echoed) == effective
    echoed_topic = effective_policy(parse_topic_policy(topic_effective_json(topic)))
    assert echoed_topic.retry == effective_policy(topic).retry
    # The topic's effective JSON spells out the default content type, which sets it.
    assert echoed_topic.header_content_type == DEFAULT_CONTENT_TYPE


# --- properties ------------------------------------------------------------------------------


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(1, 3600))
    high = draw(st.integers(low, 3600))
    retries = draw(st.integers(0, 100))
    no_delay = draw(st.integers(0, retries))
    min_delay = draw(st.integers(0, retries - no_delay))
    max_delay = draw(st.integers(0, retries - no_delay - min_delay))
    function = draw(st.sampled_from([f.value for f in BackoffFunction]))
    return {
        "minDelayTarget": low,
        "maxDelayTarget": high,
        "numRetries": retries,
        "numNoDelayRetries": no_delay,
        "numMinDelayRetries": min_delay,
        "numMaxDelayRetries": max_delay,
        "backoffFunction": function,
    }


@given(valid_documents())
def test_schedule_invariants(document: dict[str, Any]) -> None:
    policy = retry_of(json.dumps({"healthyRetryPolicy": document}))
    schedule = retry_schedule(policy)
    low, high = document["minDelayTarget"] * 1000, document["maxDelayTarget"] * 1000
    assert len(schedule) == document["numRetries"]
    assert schedule == sorted(schedule)  # every phase and every function never shortens a wait
    no_delay = document["numNoDelayRetries"]
    assert schedule[:no_delay] == [0] * no_delay
    assert all(low <= delay <= high for delay in schedule[no_delay:])
    backoff = schedule[no_delay + document["numMinDelayRetries"] :][: policy.num_backoff_retries]
    if backoff:
        assert backoff[0] == low
    if len(backoff) >= 2:
        assert backoff[-1] == high
    assert [next_delay_ms(policy, n) for n in range(1, len(schedule) + 1)] == schedule
    assert next_delay_ms(policy, len(schedule) + 1) is None


@given(valid_documents(), st.sampled_from(["arithmetic", "geometric", "exponential"]))
def test_every_curve_bends_up_below_linear(document: dict[str, Any], function: str) -> None:
    # All three are convex through the same end points, so none waits longer than linear.
    linear = retry_schedule(retry_of(sub(**{**document, "backoffFunction": "linear"})))
    curve = retry_schedule(retry_of(sub(**{**document, "backoffFunction": function})))
    assert all(c <= line for c, line in zip(curve, linear, strict=True))


@given(valid_documents())
def test_valid_documents_round_trip_through_effective_json(document: dict[str, Any]) -> None:
    effective = effective_policy(
        None, parse_subscription_policy(json.dumps({"healthyRetryPolicy": document}))
    )
    assert (
        effective_policy(None, parse_subscription_policy(subscription_effective_json(effective)))
        == effective
    )
