"""Topic management rules: AddPermission / RemovePermission on a topic's Policy, and data
protection policy documents.

Owns: which SNS actions a topic policy statement may grant, the refusals of AddPermission and
RemovePermission, the edited Policy document, and the basic checks of a DataProtectionPolicy
(a JSON object of AWS's data protection policy language, at most 30,720 characters).
Must not know: storage, the wire; whether a topic exists (the engine looks it up).

Source: the SNS API Reference, AddPermission / RemovePermission / PutDataProtectionPolicy, and
the Developer Guide's "Data protection policy operations". AWS's refusal of an action outside
the topic scope ("Policy statement action out of service scope!") is the one answered for
``SNS:*`` and account-level actions in topic policies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from densho.sns.errors import SnsInvalidParameter
from densho.sqs import policy_statements

# The actions a topic policy statement may grant: the topic-scoped SNS actions, as in the
# default topic policy.
TOPIC_ACTIONS = frozenset(
    {
        "GetTopicAttributes",
        "SetTopicAttributes",
        "AddPermission",
        "RemovePermission",
        "DeleteTopic",
        "Subscribe",
        "ListSubscriptionsByTopic",
        "Publish",
    }
)
MAX_DATA_PROTECTION_POLICY = 30_720
DATA_PROTECTION_VERSION = "2021-06-01"
_OPERATIONS = frozenset({"Audit", "Deidentify", "Deny"})
_DIRECTIONS = frozenset({"Inbound", "Outbound"})


def _load(policy: str) -> dict[str, Any]:
    doc = json.loads(policy)
    if not isinstance(doc, dict):
        raise ValueError(policy)
    return doc


def add_permission(
    policy: str,
    label: str,
    accounts: Sequence[str],
    actions: Sequence[str],
    topic_arn: str,
) -> str:
    """The topic's Policy (``policy``, its current document) with AddPermission's statement
    appended, compact JSON."""
    doc = _load(policy)
    if policy_statements.has_label(doc, label):
        raise SnsInvalidParameter("Statement already exists")
    if not accounts:
        raise SnsInvalidParameter("AWSAccountId")
    if not actions:
        raise SnsInvalidParameter("ActionName")
    if any(action not in TOPIC_ACTIONS for action in actions):
        raise SnsInvalidParameter("Policy statement action out of service scope!")
    policy_statements.grant(doc, label, accounts, actions, "SNS", topic_arn)
    return json.dumps(doc, separators=(",", ":"))


def remove_permission(policy: str, label: str) -> str:
    """The topic's Policy without the statements labelled ``label``, compact JSON."""
    doc = _load(policy)
    if not policy_statements.revoke(doc, label):
        raise SnsInvalidParameter(f"Label Reason: No statement with label {label} exists")
    return json.dumps(doc, separators=(",", ":"))


def check_data_protection_policy(text: str) -> None:
    """Refuse a DataProtectionPolicy that is not a document of the data protection policy
    language: a JSON object whose ``Statement`` list holds objects naming their
    ``DataIdentifier`` list and exactly one ``Operation`` (Audit, Deidentify or Deny)."""

    def invalid(reason: str) -> SnsInvalidParameter:
        return SnsInvalidParameter(f"DataProtectionPolicy Reason: {reason}")

    if len(text) > MAX_DATA_PROTECTION_POLICY:
        raise invalid(f"Policy must be at most {MAX_DATA_PROTECTION_POLICY} characters long")
    try:
        doc = json.loads(text)
    except ValueError:
        raise invalid("Policy is not valid JSON") from None
    if not isinstance(doc, dict):
        raise invalid("Policy must be a JSON object")
    version = doc.get("Version", DATA_PROTECTION_VERSION)
    if version != DATA_PROTECTION_VERSION:
        raise invalid(f"Unsupported policy version: {version}")
    statements = doc.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise invalid("Policy must contain a non-empty Statement list")
    for statement in statements:
        _check_statement(statement, invalid)


def _check_statement(statement: object, invalid: Callable[[str], SnsInvalidParameter]) -> None:
    if not isinstance(statement, dict):
        raise invalid("Each statement must be a JSON object")
    identifiers = statement.get("DataIdentifier")
    if (
        not isinstance(identifiers, list)
        or not identifiers
        or not all(isinstance(i, str) and i for i in identifiers)
    ):
        raise invalid("Each statement must name a non-empty DataIdentifier list")
    operation = statement.get("Operation")
    if not isinstance(operation, dict) or len(operation) != 1 or set(operation) - _OPERATIONS:
        raise invalid("Each statement must hold exactly one Operation: Audit, Deidentify or Deny")
    direction = statement.get("DataDirection")
    if direction is not None and direction not in _DIRECTIONS:
        raise invalid("DataDirection must be Inbound or Outbound")
    principal = statement.get("Principal")
    if principal is not None and not (
        isinstance(principal, list) and all(isinstance(p, str) for p in principal)
    ):
        raise invalid("Principal must be a list of strings")
