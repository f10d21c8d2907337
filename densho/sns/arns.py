"""SNS ARNs: a topic's, and the checks AWS makes of any SNS ARN a request names.

Owns: the topic ARN shape (``arn:aws:sns:<region>:<account>:<name>``; a subscription's adds
``:<id>``) and the refusal of a malformed ARN.
Must not know: whether what an ARN names exists.
"""

from __future__ import annotations

from densho.sns.errors import Refusal, SnsInvalidParameter


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def split_arn(arn: str, parameter: str) -> list[str]:
    """The colon-separated parts of an SNS ARN given as ``parameter``; refuses one with fewer
    than six parts (AWS's text, recorded against AWS in LocalStack's SNS snapshots) or of
    another service."""
    parts = arn.split(":")
    if len(parts) < 6:
        raise SnsInvalidParameter(parameter, Refusal.ARN_TOO_SHORT, str(len(parts)))
    if parts[0] != "arn" or parts[2] != "sns":
        raise SnsInvalidParameter(parameter)
    return parts


def parse_arn(arn: str, parameter: str) -> tuple[str, str, str]:
    """(region, account, resource) of a topic or subscription ARN."""
    parts = split_arn(arn, parameter)
    if not parts[5]:
        raise SnsInvalidParameter(parameter)
    return parts[3], parts[4], ":".join(parts[5:])
