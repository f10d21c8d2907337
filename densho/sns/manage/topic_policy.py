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
from collections.abc import Sequence
from typing import Any

from densho.sns.errors import Refusal, SnsInvalidParameter
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
        raise SnsInvalidParameter("Label", Refusal.STATEMENT_EXISTS)
    if not accounts:
        raise SnsInvalidParameter("AWSAccountId")
    if not actions:
        raise SnsInvalidParameter("ActionName")
    if any(action not in TOPIC_ACTIONS for action in actions):
        raise SnsInvalidParameter("ActionName", Refusal.ACTION_OUT_OF_SCOPE)
    policy_statements.grant(doc, label, accounts, actions, "SNS", topic_arn)
    return json.dumps(doc, separators=(",", ":"))


def remove_permission(policy: str, label: str) -> str:
    """The topic's Policy without the statements labelled ``label``, compact JSON."""
    doc = _load(policy)
    if not policy_statements.revoke(doc, label):
        raise SnsInvalidParameter("Label", Refusal.NO_SUCH_LABEL, label)
    return json.dumps(doc, separators=(",", ":"))


def check_data_protection_policy(text: str) -> None:
    """Refuse a DataProtectionPolicy that is not a document of the data protection policy
    language: a JSON object whose ``Statement`` list holds objects naming their
    ``DataIdentifier`` list and exactly one ``Operation`` (Audit, Deidentify or Deny)."""
    if len(text) > MAX_DATA_PROTECTION_POLICY:
        raise _invalid(Refusal.POLICY_TOO_LONG, str(MAX_DATA_PROTECTION_POLICY))
    try:
        doc = json.loads(text)
    except ValueError:
        raise _invalid(Refusal.POLICY_NOT_JSON) from None
    if not isinstance(doc, dict):
        raise _invalid(Refusal.POLICY_NOT_OBJECT)
    version = doc.get("Version", DATA_PROTECTION_VERSION)
    if version != DATA_PROTECTION_VERSION:
        raise _invalid(Refusal.POLICY_VERSION, str(version))
    statements = doc.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise _invalid(Refusal.POLICY_NO_STATEMENTS)
    for statement in statements:
        _check_statement(statement)


def _invalid(refusal: Refusal, value: str = "") -> SnsInvalidParameter:
    return SnsInvalidParameter("DataProtectionPolicy", refusal, value)


def _check_statement(statement: object) -> None:
    if not isinstance(statement, dict):
        raise _invalid(Refusal.STATEMENT_NOT_OBJECT)
    identifiers = statement.get("DataIdentifier")
    if (
        not isinstance(identifiers, list)
        or not identifiers
        or not all(isinstance(i, str) and i for i in identifiers)
    ):
        raise _invalid(Refusal.STATEMENT_IDENTIFIERS)
    operation = statement.get("Operation")
    if not isinstance(operation, dict) or len(operation) != 1 or set(operation) - _OPERATIONS:
        raise _invalid(Refusal.STATEMENT_OPERATION)
    direction = statement.get("DataDirection")
    if direction is not None and direction not in _DIRECTIONS:
        raise _invalid(Refusal.STATEMENT_DIRECTION)
    principal = statement.get("Principal")
    if principal is not None and not (
        isinstance(principal, list) and all(isinstance(p, str) for p in principal)
    ):
        raise _invalid(Refusal.STATEMENT_PRINCIPAL)
