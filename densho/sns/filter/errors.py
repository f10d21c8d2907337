"""The one error a filter policy raises: a policy SNS would refuse, worded as AWS words it.

Owns: the reason text and how it is prefixed. Must not know: the wire (the provider adds
"Invalid parameter: " and, for Subscribe, "Attributes Reason: ").
"""

from __future__ import annotations


class FilterPolicyError(ValueError):
    """A refused filter policy (AWS answers ``InvalidParameter``, HTTP 400).

    ``reason`` is AWS's own text, e.g. ``Filter policy is too complex``. ``message`` is what AWS
    puts after ``Invalid parameter: ``: ``FilterPolicy: <reason>`` for almost every refusal, but
    the nesting refusal names no field (``Filter policy scope MessageAttributes does not support
    nested filter policy``) and a bad scope names ``FilterPolicyScope``.

    AWS appends a Jackson parser location (``\\n at [Source: ...; line: 1, column: N]``) to the
    refusals its JSON parser raises; densho leaves it out.
    """

    def __init__(self, reason: str, *, field: str | None = "FilterPolicy") -> None:
        self.reason = reason
        self.field = field
        self.message = f"{field}: {reason}" if field else reason
        super().__init__(self.message)


def json_failure(text: str, pos: int) -> str:
    """Why a policy document is not JSON, as AWS's parser (Jackson) begins its reason: the
    character it stopped at, or the end of the input. AWS prefixes it with ``<field>: failed to
    parse JSON.`` (FilterPolicy, a subscription's RedrivePolicy; recorded against AWS)."""
    if 0 <= pos < len(text):
        char = text[pos]
        return f"Unexpected character ({char!r} (code {ord(char)}))"
    return "Unexpected end-of-input"
