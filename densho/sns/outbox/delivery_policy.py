"""HTTP/S delivery policies: parse, validate, merge topic and subscription, schedule retries.

Owns: the DeliveryPolicy documents of topics (``{"http": {"defaultHealthyRetryPolicy": …}}``)
and subscriptions (``{"healthyRetryPolicy": …, "throttlePolicy": …, "requestPolicy": …}``),
AWS's limits on them, the merge into the policy one subscription runs under, its
EffectiveDeliveryPolicy JSON, and the delay before each retry.
Must not know: HTTP, storage, the wire (the provider prefixes ``Invalid parameter: ``).

Sources: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html (phases,
limits, defaults) and the SetTopicAttributes / SetSubscriptionAttributes JSON formats.

A failed first attempt is followed by up to ``numRetries`` retries in four phases:

    immediate    numNoDelayRetries           0 s apart
    pre-backoff  numMinDelayRetries          minDelayTarget apart
    backoff      the rest (numRetries minus  from minDelayTarget up to maxDelayTarget along the
                 the three other counts)     backoffFunction
    post-backoff numMaxDelayRetries          maxDelayTarget apart

AWS shows the backoff functions only as a graph (10 retries from 5 s to 260 s). densho draws the
curves through both end points with x = (k-1)/(n-1) for the k-th of n backoff retries:

    linear       min + (max-min)·x
    arithmetic   min + (max-min)·x²                         (a quadratic, as the graph bends)
    geometric    min - 1 + (max-min+1)^x                     (constant ratio, shifted to min)
    exponential  min + (max-min)·(e^((n-1)x) - 1)/(e^(n-1) - 1)   (flat, then steep at the end)

A single backoff retry waits minDelayTarget ("the delay associated with the first retry").
Delays are deterministic: AWS adds jitter, which is the scheduler's choice, not the policy's.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"

# "The total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds";
# the older guide: "The maximum lifetime of a message in the system is one hour. This one hour
# limit cannot be extended by a delivery policy." So the scheduler gives up (or dead-letters)
# an hour after the first attempt, whatever the policy still allows; a policy is not refused
# for allowing more.
MAX_RETRY_WINDOW_MS = 3_600_000

MAX_RETRIES = 100
MIN_DELAY_TARGET = 1
MAX_DELAY_TARGET = 3600

# headerContentType values the developer guide lists; a "; charset=…" suffix is allowed.
CONTENT_TYPES = frozenset(
    {
        "text/plain",
        "application/json",
        "application/xml",
        "text/css",
        "text/csv",
        "text/html",
        "text/xml",
        "application/atom+xml",
        "application/octet-stream",
        "application/soap+xml",
        "application/x-www-form-urlencoded",
        "application/xhtml+xml",
    }
)


class DeliveryPolicyError(ValueError):
    """A refused DeliveryPolicy (AWS answers ``InvalidParameter``, HTTP 400).

    ``reason`` names the field by its path in the document, e.g.
    ``healthyRetryPolicy.minDelayTarget must be greater than or equal to 1`` (AWS's wording);
    ``message`` is what follows ``Invalid parameter: `` on the wire.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = f"DeliveryPolicy: {reason}"
        super().__init__(self.message)


class BackoffFunction(enum.Enum):
    LINEAR = "linear"
    ARITHMETIC = "arithmetic"
    GEOMETRIC = "geometric"
    EXPONENTIAL = "exponential"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A healthyRetryPolicy; delays in seconds, as in the document. Defaults are AWS's."""

    min_delay_target: int = 20
    max_delay_target: int = 20
    num_retries: int = 3
    num_no_delay_retries: int = 0
    num_min_delay_retries: int = 0
    num_max_delay_retries: int = 0
    backoff_function: BackoffFunction = BackoffFunction.LINEAR

    @property
    def num_backoff_retries(self) -> int:
        return (
            self.num_retries
            - self.num_no_delay_retries
            - self.num_min_delay_retries
            - self.num_max_delay_retries
        )


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """One level's settings; None means "not set here" (the next level decides)."""

    healthy_retry_policy: RetryPolicy | None = None
    max_receives_per_second: int | None = None  # throttlePolicy
    header_content_type: str | None = None  # requestPolicy


@dataclass(frozen=True, slots=True)
class TopicDeliveryPolicy:
    """A topic's ``http`` section: defaults for its HTTP/S subscriptions."""

    http: DeliveryPolicy = DeliveryPolicy()
    disable_subscription_overrides: bool = False


@dataclass(frozen=True, slots=True)
class EffectiveDeliveryPolicy:
    """The policy one HTTP/S subscription is delivered under."""

    retry: RetryPolicy = DEFAULT_RETRY_POLICY
    max_receives_per_second: int | None = None  # None: no throttling
    header_content_type: str = DEFAULT_CONTENT_TYPE
    request_policy_set: bool = False  # whether a requestPolicy was given at some level


# --- parsing ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _load(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise DeliveryPolicyError("invalid JSON") from None
    if not isinstance(document, dict):
        raise DeliveryPolicyError(f"type mismatch, expecting object, received {_kind(document)}")
    return document


def _kind(value: object) -> str:
    # How AWS names a JSON type in "type mismatch, expecting integer, received a string".
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _section(document: Mapping[str, Any], name: str, path: str) -> Mapping[str, Any] | None:
    value = document.get(name)
    if value is None:  # absent, or null as EffectiveDeliveryPolicy writes unset sections
        return None
    if not isinstance(value, dict):
        raise DeliveryPolicyError(
            f"{path}{name} type mismatch, expecting object, received {_kind(value)}"
        )
    return value


def _int(section: Mapping[str, Any], name: str, path: str, default: int | None) -> int:
    value = section.get(name)
    if value is None:
        if default is None:
            raise DeliveryPolicyError(f"{path}.{name} must be specified")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeliveryPolicyError(
            f"{path}.{name} type mismatch, expecting integer, received {_kind(value)}"
        )
    return value


def _at_least(value: int, floor: int, field: str) -> None:
    if value < floor:
        raise DeliveryPolicyError(f"{field} must be greater than or equal to {floor}")


def _at_most(value: int, ceiling: int, field: str) -> None:
    if value > ceiling:
        raise DeliveryPolicyError(f"{field} must be less than or equal to {ceiling}")


def _retry_policy(section: Mapping[str, Any], path: str) -> RetryPolicy:
    # AWS requires the three targets whenever a retry policy is given (the developer guide's
    # {"numRetries": 5} example is refused with "healthyRetryPolicy.minDelayTarget must be
    # specified"); the phase counts and the function default.
    low = _int(section, "minDelayTarget", path, None)
    high = _int(section, "maxDelayTarget", path, None)
    retries = _int(section, "numRetries", path, None)
    no_delay = _int(section, "numNoDelayRetries", path, 0)
    min_delay = _int(section, "numMinDelayRetries", path, 0)
    max_delay = _int(section, "numMaxDelayRetries", path, 0)
    _at_least(low, MIN_DELAY_TARGET, f"{path}.minDelayTarget")
    _at_most(high, MAX_DELAY_TARGET, f"{path}.maxDelayTarget")
    if high < low:
        raise DeliveryPolicyError(
            f"{path}.maxDelayTarget must be greater than or equal to minDelayTarget"
        )
    _at_least(retries, 0, f"{path}.numRetries")
    _at_most(retries, MAX_RETRIES, f"{path}.numRetries")
    for name, count in (
        ("numNoDelayRetries", no_delay),
        ("numMinDelayRetries", min_delay),
        ("numMaxDelayRetries", max_delay),
    ):
        _at_least(count, 0, f"{path}.{name}")
    if no_delay + min_delay + max_delay > retries:
        raise DeliveryPolicyError(
            f"{path}.numRetries must be greater than or equal to the total of "
            "numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries"
        )
    return RetryPolicy(
        min_delay_target=low,
        max_delay_target=high,
        num_retries=retries,
        num_no_delay_retries=no_delay,
        num_min_delay_retries=min_delay,
        num_max_delay_retries=max_delay,
        backoff_function=_backoff(section.get("backoffFunction"), path),
    )


def _backoff(value: object, path: str) -> BackoffFunction:
    if value is None:
        return BackoffFunction.LINEAR
    if not isinstance(value, str):
        raise DeliveryPolicyError(
            f"{path}.backoffFunction type mismatch, expecting string, received {_kind(value)}"
        )
    try:
        # Case-insensitive: the AWS CDK writes its enum names ("EXPONENTIAL") and deploys.
        return BackoffFunction(value.lower())
    except ValueError:
        raise DeliveryPolicyError(
            f"{path}.backoffFunction must be one of linear, arithmetic, geometric, exponential"
        ) from None


def _throttle(section: Mapping[str, Any], path: str) -> int:
    rate = _int(section, "maxReceivesPerSecond", path, None)
    _at_least(rate, 1, f"{path}.maxReceivesPerSecond")
    return rate


def _content_type(section: Mapping[str, Any], path: str) -> str:
    value = section.get("headerContentType")
    field = f"{path}.headerContentType"
    if value is None:
        raise DeliveryPolicyError(f"{field} must be specified")
    if not isinstance(value, str):
        raise DeliveryPolicyError(
            f"{field} type mismatch, expecting string, received {_kind(value)}"
        )
    if value.split(";", 1)[0].strip().lower() not in CONTENT_TYPES:
        raise DeliveryPolicyError(f"{field} {value} is not supported")
    return value


def _level(document: Mapping[str, Any], prefix: str, names: tuple[str, str, str]) -> DeliveryPolicy:
    retry_name, throttle_name, request_name = names
    retry = _section(document, retry_name, prefix)
    throttle = _section(document, throttle_name, prefix)
    request = _section(document, request_name, prefix)
    policy = DeliveryPolicy()
    if retry is not None:
        policy = replace(policy, healthy_retry_policy=_retry_policy(retry, prefix + retry_name))
    if throttle is not None:
        policy = replace(
            policy, max_receives_per_second=_throttle(throttle, prefix + throttle_name)
        )
    if request is not None:
        policy = replace(policy, header_content_type=_content_type(request, prefix + request_name))
    return policy


def parse_subscription_policy(text: str) -> DeliveryPolicy:
    """A subscription's DeliveryPolicy attribute. Unknown keys are ignored, as AWS's own
    EffectiveDeliveryPolicy output (``sicklyRetryPolicy``, ``guaranteed``) must read back."""
    document = _load(text)
    return _level(document, "", ("healthyRetryPolicy", "throttlePolicy", "requestPolicy"))


def parse_topic_policy(text: str) -> TopicDeliveryPolicy:
    """A topic's DeliveryPolicy attribute; only its ``http`` section concerns delivery."""
    document = _load(text)
    http = _section(document, "http", "")
    if http is None:
        return TopicDeliveryPolicy()
    overrides = http.get("disableSubscriptionOverrides", False)
    if not isinstance(overrides, bool):
        raise DeliveryPolicyError(
            "http.disableSubscriptionOverrides type mismatch, expecting boolean, "
            f"received {_kind(overrides)}"
        )
    names = ("defaultHealthyRetryPolicy", "defaultThrottlePolicy", "defaultRequestPolicy")
    return TopicDeliveryPolicy(_level(http, "http.", names), overrides)


# --- merging ---------------------------------------------------------------------------------


def effective_policy(
    topic: TopicDeliveryPolicy | None = None, subscription: DeliveryPolicy | None = None
) -> EffectiveDeliveryPolicy:
    """The policy a subscription runs under.

    Each of the three parts comes from the subscription if it sets it, else from the topic's
    defaults, else from AWS's defaults (3 retries 20 s apart, linear; no throttling;
    ``text/plain; charset=UTF-8``). A part replaces the lower level's part whole: fields a
    subscription's retry policy leaves out take AWS's defaults, not the topic's. With
    ``disableSubscriptionOverrides`` the topic's settings apply and the subscription's are
    ignored.
    """
    levels: list[DeliveryPolicy] = []
    if subscription is not None and not (topic and topic.disable_subscription_overrides):
        levels.append(subscription)
    if topic is not None:
        levels.append(topic.http)
    retry = next((p.healthy_retry_policy for p in levels if p.healthy_retry_policy), None)
    rate = next(
        (p.max_receives_per_second for p in levels if p.max_receives_per_second is not None), None
    )
    content = next(
        (p.header_content_type for p in levels if p.header_content_type is not None), None
    )
    return EffectiveDeliveryPolicy(
        retry=retry or DEFAULT_RETRY_POLICY,
        max_receives_per_second=rate,
        header_content_type=content or DEFAULT_CONTENT_TYPE,
        request_policy_set=content is not None,
    )


def _retry_json(policy: RetryPolicy) -> dict[str, object]:
    # The key order of AWS's EffectiveDeliveryPolicy.
    return {
        "minDelayTarget": policy.min_delay_target,
        "maxDelayTarget": policy.max_delay_target,
        "numRetries": policy.num_retries,
        "numMaxDelayRetries": policy.num_max_delay_retries,
        "numNoDelayRetries": policy.num_no_delay_retries,
        "numMinDelayRetries": policy.num_min_delay_retries,
        "backoffFunction": policy.backoff_function.value,
    }


def topic_effective_json(topic: TopicDeliveryPolicy | None = None) -> str:
    """A topic's EffectiveDeliveryPolicy attribute (compact JSON, as GetTopicAttributes has it)."""
    topic = topic or TopicDeliveryPolicy()
    effective = effective_policy(topic)
    http: dict[str, object] = {
        "defaultHealthyRetryPolicy": _retry_json(effective.retry),
        "disableSubscriptionOverrides": topic.disable_subscription_overrides,
    }
    if effective.max_receives_per_second is not None:
        http["defaultThrottlePolicy"] = {"maxReceivesPerSecond": effective.max_receives_per_second}
    http["defaultRequestPolicy"] = {"headerContentType": effective.header_content_type}
    return json.dumps({"http": http}, separators=(",", ":"))


def subscription_effective_json(effective: EffectiveDeliveryPolicy) -> str:
    """A subscription's EffectiveDeliveryPolicy attribute (compact JSON)."""
    rate = effective.max_receives_per_second
    document: dict[str, object] = {
        "healthyRetryPolicy": _retry_json(effective.retry),
        "sicklyRetryPolicy": None,
        "throttlePolicy": None if rate is None else {"maxReceivesPerSecond": rate},
    }
    if effective.request_policy_set:
        document["requestPolicy"] = {"headerContentType": effective.header_content_type}
    document["guaranteed"] = False
    return json.dumps(document, separators=(",", ":"))


# --- scheduling ------------------------------------------------------------------------------


def _backoff_seconds(policy: RetryPolicy, k: int, n: int) -> float:
    """The delay before the k-th (1-based) of n backoff retries, in seconds."""
    low, high = float(policy.min_delay_target), float(policy.max_delay_target)
    if n == 1 or high == low:
        return low
    x = (k - 1) / (n - 1)
    match policy.backoff_function:
        case BackoffFunction.LINEAR:
            return low + (high - low) * x
        case BackoffFunction.ARITHMETIC:
            return low + (high - low) * x * x
        case BackoffFunction.GEOMETRIC:
            return low - 1 + math.pow(high - low + 1, x)
        case BackoffFunction.EXPONENTIAL:
            return low + (high - low) * math.expm1((n - 1) * x) / math.expm1(n - 1)


def retry_schedule(policy: RetryPolicy) -> list[int]:
    """The delay in milliseconds before each retry, retry 1 first; ``numRetries`` entries.

    A delay counts from the end of the failed attempt (AWS: after a request timeout, "the next
    retry occurs at the specified interval after the timeout").
    """
    low_ms = policy.min_delay_target * 1000
    high_ms = policy.max_delay_target * 1000
    backoff = policy.num_backoff_retries
    return (
        [0] * policy.num_no_delay_retries
        + [low_ms] * policy.num_min_delay_retries
        # Rounded to the millisecond, then clamped: float error must not step outside the range.
        + [
            min(high_ms, max(low_ms, round(_backoff_seconds(policy, k, backoff) * 1000)))
            for k in range(1, backoff + 1)
        ]
        + [high_ms] * policy.num_max_delay_retries
    )


def next_delay_ms(policy: RetryPolicy, attempt: int) -> int | None:
    """The wait after failed attempt ``attempt`` (1 = the initial delivery), or None when the
    policy has no retry left."""
    if attempt < 1:
        raise ValueError(f"attempts count from 1, not {attempt}")
    if attempt > policy.num_retries:
        return None
    return retry_schedule(policy)[attempt - 1]
