"""AddPermission / RemovePermission statements in a resource policy document, as SQS and SNS
write them.

Owns: the statement AddPermission appends (``Sid`` = the label, ``Principal.AWS`` the accounts'
root ARNs, ``Action`` the service-prefixed action names, ``Resource`` the queue or topic ARN;
a single principal or action is written as a string, several as a list, as AWS does) and
finding / removing a statement by label.
Must not know: which actions or labels a service accepts, its default policy, its errors (the
SQS engine and ``densho.sns.manage`` decide those).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Policy = dict[str, Any]


def statements(policy: Policy) -> list[dict[str, Any]]:
    found = policy.get("Statement")
    if isinstance(found, list):
        return found
    found = [found] if isinstance(found, dict) else []
    policy["Statement"] = found
    return found


def has_label(policy: Policy, label: str) -> bool:
    return any(s.get("Sid") == label for s in statements(policy) if isinstance(s, dict))


def grant(
    policy: Policy,
    label: str,
    accounts: Sequence[str],
    actions: Sequence[str],
    service_prefix: str,
    resource: str,
) -> None:
    """Append AddPermission's statement (the caller checked the label is free)."""
    principals = [f"arn:aws:iam::{a}:root" for a in accounts]
    prefixed = [f"{service_prefix}:{a}" for a in actions]
    statements(policy).append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": prefixed[0] if len(prefixed) == 1 else prefixed,
            "Resource": resource,
        }
    )


def revoke(policy: Policy, label: str) -> bool:
    """Remove the statements labelled ``label``; whether there was one."""
    current = statements(policy)
    kept = [s for s in current if not (isinstance(s, dict) and s.get("Sid") == label)]
    policy["Statement"] = kept
    return len(kept) != len(current)
