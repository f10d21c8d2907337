"""IAM's policy evaluation logic for one request: allowed, or why not.

Owns: combining a caller's identity policy with a resource's policy (IAM User Guide, "Policy
evaluation logic" and "Cross-account policy evaluation logic"):
- an explicit Deny in either policy wins;
- in the resource owner's account, an Allow of the identity policy or of the resource policy
  suffices (a resource policy naming only the account, not the caller, delegates to the
  identity policy); an account's root with no identity policy may do everything there;
- across accounts, the resource policy must allow the caller (or its account) **and** the
  caller's identity policy must allow; a root with no identity policy allows its own side;
- a service principal (``sns.amazonaws.com`` delivering to a queue) has no identity side: the
  resource policy alone decides (``service_allows``).
and the request context: the request's keys (aws:SourceIp, aws:SecureTransport,
aws:CurrentTime, aws:EpochTime, and whatever the caller passes, e.g. aws:SourceArn) with the
caller's (aws:PrincipalArn, aws:PrincipalAccount, aws:username), built only when a condition
needs it.
Must not know: queues, topics, the wire, error texts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from densho.iam.conditions import Context
from densho.iam.policy import EMPTY, Kind, Match, Policy, compile_policy


class Outcome(enum.Enum):
    """The decision; a refusal names why (AWS's access-denied messages end with the reason)."""

    ALLOW = "allow"
    EXPLICIT_DENY_IDENTITY = "explicit_deny_identity"
    EXPLICIT_DENY_RESOURCE = "explicit_deny_resource"
    NO_IDENTITY_ALLOW = "no_identity_allow"
    NO_RESOURCE_ALLOW = "no_resource_allow"

    @property
    def allowed(self) -> bool:
        return self is Outcome.ALLOW


class Principal(Protocol):
    """Who calls: ``densho.core.identity.Identity`` is one (read as is: no copy per call)."""

    @property
    def arn(self) -> str: ...  # arn:aws:iam::<account>:root or a user's ARN
    @property
    def account_id(self) -> str: ...
    @property
    def policy(self) -> str | None: ...  # the identity policy, IAM JSON; None: none attached
    @property
    def is_root(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """A ``Principal`` made of plain values."""

    arn: str
    account_id: str
    policy: str | None = None

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")


@dataclass(slots=True)  # not frozen: one is made per call, and a frozen __init__ costs more
class Request:
    """What a request carries besides its caller: the keys conditions may read."""

    now_ms: int
    source_ip: str = ""
    secure: bool = False
    extra: Mapping[str, str | tuple[str, ...]] | None = None  # more keys, lower case

    def context(self, caller: Principal | None = None) -> dict[str, str | tuple[str, ...]]:
        seconds = self.now_ms // 1000
        out: dict[str, str | tuple[str, ...]] = {
            "aws:currenttime": _iso(seconds),
            "aws:epochtime": str(seconds),
            "aws:securetransport": "true" if self.secure else "false",
        }
        if self.source_ip:
            out["aws:sourceip"] = self.source_ip
        if caller is not None:
            out["aws:principalarn"] = caller.arn
            out["aws:principalaccount"] = caller.account_id
            _, _, user = caller.arn.partition(":user/")
            if user:
                out["aws:username"] = user.rsplit("/", 1)[-1]
        if self.extra:
            out.update(self.extra)
        return out


@lru_cache(maxsize=4)
def _iso(seconds: int) -> str:
    """aws:CurrentTime of a second (memoised: every request of a second shares it)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _policy(text: str | None, kind: Kind) -> Policy | None:
    return None if text is None else compile_policy(text, kind)


def evaluate(
    caller: Principal,
    action: str,
    resource: str,
    owner: str,
    resource_policy: str | None,
    request: Request,
) -> Outcome:
    """Whether ``caller`` may do ``action`` (``sqs:SendMessage``) on ``resource`` (an ARN, or
    ``*``) owned by account ``owner`` whose policy is ``resource_policy`` (None: none)."""
    identity = _policy(caller.policy, Kind.IDENTITY)
    attached = EMPTY if not resource_policy else compile_policy(resource_policy, Kind.RESOURCE)
    if identity is None and not attached.statements and caller.account_id == owner:
        return Outcome.ALLOW if caller.is_root else Outcome.NO_IDENTITY_ALLOW  # the common case
    context: Context = {}
    if attached.has_conditions or (identity is not None and identity.has_conditions):
        context = request.context(caller)
    identity_allows = identity is None and caller.is_root
    if identity is not None:
        for statement in identity.statements:
            if statement.applies(action, resource, context):
                if not statement.allow:
                    return Outcome.EXPLICIT_DENY_IDENTITY
                identity_allows = True
    granted = Match.NONE
    for statement in attached.statements:
        named = statement.principal(caller.arn, caller.account_id, None)
        if named is Match.NONE or not statement.applies(action, resource, context):
            continue
        if not statement.allow:
            return Outcome.EXPLICIT_DENY_RESOURCE
        if named is Match.DIRECT or granted is Match.NONE:
            granted = named
    if caller.account_id == owner:
        if identity_allows or granted is Match.DIRECT:
            return Outcome.ALLOW
        return Outcome.NO_IDENTITY_ALLOW
    if granted is Match.NONE:
        return Outcome.NO_RESOURCE_ALLOW
    return Outcome.ALLOW if identity_allows else Outcome.NO_IDENTITY_ALLOW


def service_allows(
    resource_policy: str | None, service: str, action: str, resource: str, request: Request
) -> bool:
    """Whether the resource policy lets an AWS service principal (``sns.amazonaws.com``) do
    ``action`` on ``resource``: a service has no identity policy, so the resource policy must
    allow it and no statement deny it. No policy: no."""
    if not resource_policy:
        return False
    attached = compile_policy(resource_policy, Kind.RESOURCE)
    context: Context = request.context() if attached.has_conditions else {}
    allowed = False
    service = service.lower()
    for statement in attached.statements:
        if statement.principal(None, None, service) is Match.NONE:
            continue
        if statement.applies(action, resource, context):
            if not statement.allow:
                return False
            allowed = True
    return allowed
