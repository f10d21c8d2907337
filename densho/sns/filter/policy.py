"""SNS subscription filter policies: parse and validate once, then match messages fast.

Owns: the public face of filtering — ``parse(policy_json, scope)`` (raising
``FilterPolicyError`` with AWS's reason) and ``FilterPolicy``, whose ``matches_attributes`` /
``matches_body`` decide whether a published message reaches a subscription.
Must not know: HTTP, botocore, SQL, how messages are stored or delivered.

Pieces: ``filter_parse`` (policy shape, limits), ``filter_conditions`` (one match value),
``filter_patterns`` (wildcard and CIDR operands), ``filter_values`` (a message's leaf values),
``filter_match`` (the compiled closures). Matching never re-reads the policy JSON: ``parse``
compiles it into closures once.

AWS is the spec: Amazon SNS Developer Guide, "Amazon SNS message filtering" and its children
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html).
"""

from __future__ import annotations

from collections.abc import Mapping

from densho.sns.filter.errors import FilterPolicyError, json_failure
from densho.sns.filter.match import BranchTest, compile_branch, uses_absence
from densho.sns.filter.parse import (
    MESSAGE_ATTRIBUTES,
    MESSAGE_BODY,
    SCOPES,
    Branch,
    parse_tree,
    paths,
)
from densho.sns.filter.values import (
    attribute_view,
    attributes_nonempty,
    body_view,
    load_json,
    path_steps,
)

__all__ = [
    "MESSAGE_ATTRIBUTES",
    "MESSAGE_BODY",
    "SCOPES",
    "FilterPolicy",
    "FilterPolicyError",
    "json_failure",
    "parse",
]


class FilterPolicy:
    """A validated, compiled filter policy for one scope."""

    __slots__ = ("_absence", "_paths", "_steps", "_test", "scope")

    def __init__(self, tree: Branch, scope: str) -> None:
        self.scope = scope
        self._paths = paths(tree)
        self._steps = path_steps(self._paths)
        self._test: BranchTest = compile_branch(tree, body=scope == MESSAGE_BODY)
        self._absence = uses_absence(tree)

    def matches(self, attributes: Mapping[str, tuple[str, object]], body: str) -> bool:
        """Match a published message on whichever part this policy's scope names."""
        if self.scope == MESSAGE_BODY:
            return self.matches_body(body)
        return self.matches_attributes(attributes)

    def matches_attributes(self, attributes: Mapping[str, tuple[str, object]]) -> bool:
        """Scope ``MessageAttributes``: ``attributes`` maps a name to (data type, value string).

        ``String.Array`` values are the JSON array text; ``Binary`` attributes are ignored.
        """
        self._require(MESSAGE_ATTRIBUTES)
        view = attribute_view(attributes, self._paths)
        return self._test(view, self._absence and attributes_nonempty(attributes))

    def matches_body(self, body: str) -> bool:
        """Scope ``MessageBody``: a body that is not a JSON object never matches."""
        self._require(MESSAGE_BODY)
        if not body.lstrip().startswith("{"):
            return False  # cheap exit for plain-text messages; only an object can match
        payload = load_json(body)
        return isinstance(payload, dict) and self.matches_payload(payload)

    def matches_payload(self, payload: Mapping[str, object]) -> bool:
        """Scope ``MessageBody`` with the body already parsed, for fan-out to many policies."""
        self._require(MESSAGE_BODY)
        return self._test(body_view(payload, self._paths, self._steps), bool(payload))

    def _require(self, scope: str) -> None:
        if self.scope != scope:
            raise ValueError(f"this filter policy has scope {self.scope}, not {scope}")


def parse(policy_json: str, scope: str = MESSAGE_ATTRIBUTES) -> FilterPolicy:
    """Validate ``policy_json`` for ``scope`` and compile it; raises ``FilterPolicyError``.

    An empty policy is refused here; removing a subscription's policy (AWS accepts
    ``FilterPolicy=""`` as that) is the caller's decision, not a parse.
    """
    return FilterPolicy(parse_tree(policy_json, scope), scope)
