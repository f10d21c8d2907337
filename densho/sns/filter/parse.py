"""A filter policy's shape: keys, nesting, ``$or``, and the limits AWS puts on them.

Owns: reading the policy JSON once into a tree of AND-ed key conditions and OR-ed alternatives,
the scope rules (nesting only for ``MessageBody``), and the policy-wide limits with AWS's refusal
texts: size (256 KB), "Filter policy is too complex" (over 150 combinations), "Filter policy can
not have more than 5 keys".
Must not know: what a single match value means (``filter_conditions``), how matching runs
(``filter_match``), message formats.

Docs (Amazon SNS Developer Guide): subscription-filter-policy-constraints.html (limits, nesting,
how combinations are counted), and-or-logic.html ("$or", and how combinations are counted with
it), sns-message-filtering-scope.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

import orjson

from densho.sns.filter.conditions import OPERATORS, Condition, condition
from densho.sns.filter.errors import FilterPolicyError, json_failure

MESSAGE_ATTRIBUTES = "MessageAttributes"
MESSAGE_BODY = "MessageBody"
SCOPES = (MESSAGE_ATTRIBUTES, MESSAGE_BODY)

MAX_POLICY_BYTES = 256 * 1024
MAX_COMBINATIONS = 150
MAX_KEYS = 5

OR_KEY = "$or"
# Keys that make an "$or" array an ordinary key when one of its objects uses them
# (and-or-logic.html, "OR operator"): the match operators, and the rest of event-ruler's
# reserved list.
RESERVED_KEYS = OPERATORS | {
    *("=", "<", "<=", ">", ">="),
    *("regex", "not-wildcard", "not-equals-ignore-case"),
    *("date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range"),
    *("ip-address-in-range", "ip-address-not-in-range"),
}


@dataclass(frozen=True, slots=True)
class Leaf:
    """A key's array: ``path`` (dot-joined for nested body keys), its top-level key, its depth."""

    path: str
    top: str
    depth: int
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """All ``leaves`` hold, and for each entry of ``ors`` one of its alternatives holds."""

    leaves: tuple[Leaf, ...]
    ors: tuple[tuple[Branch, ...], ...]


def parse_tree(policy_json: str, scope: str) -> Branch:
    """Validate a policy for a scope; the tree it describes, or FilterPolicyError."""
    if scope not in SCOPES:
        raise FilterPolicyError(
            f"Invalid value [{scope}]. Please use either MessageBody or MessageAttributes",
            field="FilterPolicyScope",
        )
    if not policy_json.strip():
        raise FilterPolicyError("Filter policy can not be empty")
    if len(policy_json.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise FilterPolicyError("Filter policy is too long")
    try:
        document = orjson.loads(policy_json)
    except orjson.JSONDecodeError as exc:
        raise FilterPolicyError(
            f"failed to parse JSON. {json_failure(policy_json, exc.pos)}"
        ) from None
    if not isinstance(document, dict):
        raise FilterPolicyError("Filter is not an object")
    if not document:
        raise FilterPolicyError("Filter policy can not be empty")
    reader = _Reader()
    root = reader.branch(document, None, None, 1, 0)
    if reader.nested and scope != MESSAGE_BODY:
        # Checked after the whole policy reads cleanly: AWS reports a malformed nested policy
        # by its syntax fault even under MessageAttributes (recorded against AWS).
        raise FilterPolicyError(
            "Filter policy scope MessageAttributes does not support nested filter policy",
            field=None,
        )
    if combinations(root) > MAX_COMBINATIONS:
        raise FilterPolicyError("Filter policy is too complex")
    # Counted per alternative once the complexity bound holds, which bounds the alternatives.
    if max(len(keys) for keys in top_key_sets(root)) > MAX_KEYS:
        raise FilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
    return root


class _Reader:
    def __init__(self) -> None:
        self.nested = False  # whether any key holds an object (allowed for MessageBody only)

    def branch(
        self, obj: dict[str, object], prefix: str | None, top: str | None, depth: int, level: int
    ) -> Branch:
        if level > MAX_COMBINATIONS:
            # Each level of nesting or of "$or" adds at least one combination, so a policy this
            # deep is over the limit anyway; refusing here keeps the reader's recursion bounded.
            raise FilterPolicyError("Filter policy is too complex")
        if not obj:
            raise FilterPolicyError("Empty objects are not allowed")
        leaves: list[Leaf] = []
        ors: list[tuple[Branch, ...]] = []
        for key, value in obj.items():
            if key == OR_KEY and _is_or(value):
                ors.append(tuple(self.branch(alt, prefix, top, depth, level + 1) for alt in value))
                continue
            path = key if prefix is None else f"{prefix}.{key}"
            owner = key if top is None else top
            if isinstance(value, dict):
                self.nested = True
                inner = self.branch(value, path, owner, depth + 1, level + 1)
                leaves.extend(inner.leaves)
                ors.extend(inner.ors)
            elif isinstance(value, list):
                if not value:
                    raise FilterPolicyError("Empty arrays are not allowed")
                conditions = tuple(condition(item) for item in value)
                leaves.append(Leaf(path, owner, depth, conditions))
            else:
                raise FilterPolicyError(f'"{key}" must be an object or an array')
        return Branch(tuple(leaves), tuple(ors))


def _is_or(value: object) -> TypeGuard[list[dict[str, object]]]:
    """AWS reads "$or" as OR only when it holds 2+ objects none of whose keys is reserved;
    otherwise "$or" is an ordinary key (and-or-logic.html, "OR operator")."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(alt, dict) and RESERVED_KEYS.isdisjoint(alt) for alt in value)
    )


def combinations(branch: Branch) -> int:
    """AWS's complexity: per alternative, the product over keys of (nesting depth x values),
    summed over the alternatives "$or" spells out.

    E.g. ``{"a": {"b": {"c": [4 values]}}, "d": {"e": [3 values]}}`` is 3x4 x 2x3 = 72
    (subscription-filter-policy-constraints.html); with "$or" the alternatives add
    (and-or-logic.html).
    """
    total = 1
    for leaf in branch.leaves:
        total *= leaf.depth * len(leaf.conditions)
    for alternatives in branch.ors:
        total *= sum(combinations(alt) for alt in alternatives)
    return total


def top_key_sets(branch: Branch) -> set[frozenset[str]]:
    """The top-level keys of each alternative the policy spells out.

    "A filter policy can have a maximum of five attribute names. For a nested policy, only parent
    keys are counted." With "$or", densho counts per alternative (AWS leaves this open).
    """
    sets = {frozenset(leaf.top for leaf in branch.leaves)}
    for alternatives in branch.ors:
        options = set().union(*(top_key_sets(alt) for alt in alternatives))
        sets = {mine | theirs for mine in sets for theirs in options}
    return sets


def paths(branch: Branch) -> frozenset[str]:
    """Every key path the policy reads."""
    found = {leaf.path for leaf in branch.leaves}
    for alternatives in branch.ors:
        for alt in alternatives:
            found |= paths(alt)
    return frozenset(found)
