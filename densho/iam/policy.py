"""A policy document (IAM JSON), compiled once into statements that match a request cheaply.

Owns: reading ``Statement`` (a list or one object), ``Effect``, ``Principal`` / ``NotPrincipal``
(``*``, ``{"AWS": ...}`` with ``*``, account ids, account root ARNs and principal ARNs,
``{"Service": ...}``), ``Action`` / ``NotAction`` (``service:action`` with wildcards, case-
insensitive as IAM compares them), ``Resource`` / ``NotResource`` (wildcards, case-sensitive) and
``Condition``; every element a string or a list of strings. A compiled policy is cached by its
text, so a queue's or a credential's policy is parsed once per change.
Must not know: the evaluation logic that combines policies (``densho.iam.evaluate``).

Malformed input never raises: a document that is not JSON or not an object compiles to a policy
with no statement; a malformed statement (no valid Effect, an unknown condition operator, a
Principal in an identity policy, ...) is dropped and marks the policy ``broken``, which grants
nothing — its well-formed Deny statements still deny (fail closed, where AWS would have refused
the document when it was written).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from densho.iam.conditions import ConditionError, Context, Predicate, compile_condition
from densho.iam.patterns import Matcher, wildcard


class Kind(enum.Enum):
    IDENTITY = "identity"  # attached to a caller: no Principal, Resource required
    RESOURCE = "resource"  # attached to a queue or topic: Principal required, Resource implied


class Match(enum.Enum):
    """How a statement's Principal names a caller."""

    NONE = 0
    # By account (its id or root ARN): the account delegates to its principals, which then also
    # need their identity policy to allow (IAM User Guide, "Specifying a principal").
    ACCOUNT = 1
    DIRECT = 2  # "*", the caller's own ARN, or its service


_ACCOUNT = re.compile(r"\d{12}")
_ROOT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):root")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Principals:
    everyone: bool = False
    arns: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()  # lower case

    def match(self, arn: str | None, account: str | None, service: str | None) -> Match:
        if self.everyone:
            return Match.DIRECT
        if service is not None:
            return Match.DIRECT if service in self.services else Match.NONE
        if arn is not None and arn in self.arns:
            return Match.DIRECT
        if account is not None and account in self.accounts:
            # An account's root is that account itself, not a delegate of it.
            root = arn is not None and _ROOT.fullmatch(arn) is not None
            return Match.DIRECT if root else Match.ACCOUNT
        return Match.NONE


@dataclass(frozen=True, slots=True)
class Statement:
    allow: bool
    principals: Principals | None  # None: the element is absent (identity policies)
    not_principal: bool
    actions: tuple[Matcher, ...]
    not_action: bool
    resources: tuple[Matcher, ...] | None  # None: implied (the resource the policy is on)
    not_resource: bool
    conditions: tuple[Predicate, ...]

    def principal(self, arn: str | None, account: str | None, service: str | None) -> Match:
        if self.principals is None:
            return Match.DIRECT
        found = self.principals.match(arn, account, service)
        if not self.not_principal:
            return found
        # NotPrincipal: everyone but the named ones; a principal named by its account alone
        # is not excepted (only the account's root is).
        return Match.NONE if found is Match.DIRECT else Match.DIRECT

    def applies(self, action: str, resource: str, context: Context) -> bool:
        """Action, Resource and Condition all match (the Principal is checked apart)."""
        hit = any(m(action) for m in self.actions)
        if hit == self.not_action:
            return False
        if self.resources is not None:
            hit = any(m(resource) for m in self.resources)
            if hit == self.not_resource:
                return False
        return all(check(context) for check in self.conditions)


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]
    broken: bool  # something was malformed: Allow statements are ignored
    has_conditions: bool  # any statement reads the request context


EMPTY = Policy((), False, False)


def _strings(raw: Any, element: str) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(i, str) for i in items):
        raise PolicyError(element)
    return items


def _principals(raw: Any) -> Principals:
    if raw == "*":
        return Principals(everyone=True)
    if not isinstance(raw, dict) or not raw:
        raise PolicyError("Principal")
    arns: set[str] = set()
    accounts: set[str] = set()
    services: set[str] = set()
    everyone = False
    for kind, value in raw.items():
        names = _strings(value, "Principal")
        if kind == "AWS":
            for name in names:
                root = _ROOT.fullmatch(name)
                if name == "*":
                    everyone = True
                elif _ACCOUNT.fullmatch(name):
                    accounts.add(name)
                elif root:
                    accounts.add(root.group(1))
                else:
                    arns.add(name)
        elif kind == "Service":
            services.update(n.lower() for n in names)
        elif kind in ("Federated", "CanonicalUser"):
            arns.update(names)  # valid IAM, but no densho caller is one of these
        else:
            raise PolicyError("Principal")
    return Principals(everyone, frozenset(arns), frozenset(accounts), frozenset(services))


def _either(doc: dict[str, Any], name: str) -> tuple[Any, bool] | None:
    """(value, negated) of ``name`` or ``Not<name>``; None when neither is present."""
    if name in doc and f"Not{name}" in doc:
        raise PolicyError(name)
    if name in doc:
        return doc[name], False
    if f"Not{name}" in doc:
        return doc[f"Not{name}"], True
    return None


def _action(pattern: str) -> Matcher:
    if pattern != "*" and ":" not in pattern:
        raise PolicyError("Action")
    return wildcard(pattern, ignore_case=True)


def _statement(doc: Any, kind: Kind) -> Statement:
    if not isinstance(doc, dict):
        raise PolicyError("Statement")
    effect = doc.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError("Effect")
    principal = _either(doc, "Principal")
    if kind is Kind.IDENTITY:
        if principal is not None:
            raise PolicyError("Principal")
        principals, not_principal = None, False
    else:
        if principal is None:
            raise PolicyError("Principal")
        principals, not_principal = _principals(principal[0]), principal[1]
    action = _either(doc, "Action")
    if action is None:
        raise PolicyError("Action")
    actions = tuple(_action(a) for a in _strings(action[0], "Action"))
    resource = _either(doc, "Resource")
    resources: tuple[Matcher, ...] | None = None
    not_resource = False
    if resource is not None:
        resources = tuple(wildcard(r) for r in _strings(resource[0], "Resource"))
        not_resource = resource[1]
    elif kind is Kind.IDENTITY:
        raise PolicyError("Resource")
    conditions: tuple[Predicate, ...] = ()
    if "Condition" in doc:
        conditions = compile_condition(doc["Condition"])
    return Statement(
        effect == "Allow",
        principals,
        not_principal,
        actions,
        action[1],
        resources,
        not_resource,
        conditions,
    )


@lru_cache(maxsize=4096)
def compile_policy(text: str, kind: Kind) -> Policy:
    """The compiled policy of ``text``; never raises (see the module docstring)."""
    try:
        doc = orjson.loads(text)
    except (orjson.JSONDecodeError, ValueError, RecursionError):
        return Policy((), True, False)
    if not isinstance(doc, dict) or "Statement" not in doc:
        return Policy((), True, False)
    raw = doc["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    statements: list[Statement] = []
    broken = not items
    for item in items:
        try:
            statements.append(_statement(item, kind))
        except (PolicyError, ConditionError):
            broken = True
    if broken:
        statements = [s for s in statements if not s.allow]
    return Policy(tuple(statements), broken, any(s.conditions for s in statements))
