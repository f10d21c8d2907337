"""Reads what a request is before any decoding: protocol, service, SigV4 scope, queue URL.

Owns: the SigV4 credential scope parsed from ``Authorization`` or a presigned ``X-Amz-Credential``
(access key, region, service — no signature checking); form parsing of Query requests; choosing
SQS or SNS for an action both define; the queue URL a Query request names by its path.

Must not know: models, codecs, or error rendering.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import unquote

from .errors import AwsError
from .http import HttpRequest


class Scope(NamedTuple):
    access_key: str | None
    region: str | None
    service: str | None


NO_SCOPE = Scope(None, None, None)


def _split_credential(credential: str) -> Scope:
    # AKID/20260101/us-east-1/sqs/aws4_request; the access key never contains "/".
    parts = credential.split("/")
    if len(parts) >= 5:
        return Scope(parts[0] or None, parts[2] or None, parts[3] or None)
    return Scope(parts[0] or None, None, None)


# Scopes by credential text (``AKID/20260101/us-east-1/sqs/aws4_request``): a client sends the
# same one with every request of a day, and a lookup costs less than splitting it again.
_SCOPES: dict[str, Scope] = {}
_SCOPES_MAX = 4096


def header_scope(headers: dict[str, str]) -> Scope:
    auth = headers.get("authorization")
    if not auth:
        return NO_SCOPE
    start = auth.find("Credential=")
    if start < 0:
        return NO_SCOPE
    start += 11
    end = len(auth)
    for sep in (",", " "):
        found = auth.find(sep, start)
        if 0 <= found < end:
            end = found
    credential = auth[start:end]
    scope = _SCOPES.get(credential)
    if scope is None:
        scope = _split_credential(credential)
        if len(_SCOPES) >= _SCOPES_MAX:
            _SCOPES.clear()
        _SCOPES[credential] = scope
    return scope


def form_scope(headers: dict[str, str], tree: dict[str, Any]) -> Scope:
    scope = header_scope(headers)
    if scope.access_key is not None:
        return scope
    credential = tree.get("X-Amz-Credential")
    if type(credential) is str:
        return _split_credential(credential)
    legacy = tree.get("AWSAccessKeyId")  # SigV2 query signing names only the key
    if type(legacy) is str and legacy:
        return Scope(legacy, None, None)
    return NO_SCOPE


def is_json(headers: dict[str, str]) -> bool:
    """An AWS JSON request: a target header, or a JSON content type (even without a target)."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return False
    return "x-amz-target" in headers or content_type.startswith(
        ("application/x-amz-json", "application/json")
    )


def form_pairs(req: HttpRequest) -> list[tuple[str, str]]:
    """Query parameters from the query string, then the form body (body wins on repeats)."""
    # errors="strict": parse_qsl's default would turn bad UTF-8 into U+FFFD, silently changing
    # message bodies; AWS refuses such requests instead.
    try:
        pairs: list[tuple[str, str]] = []
        if req.query_string:
            pairs += parse_form(req.query_string.decode("utf-8"))
        if req.body and req.method != "GET":
            pairs += parse_form(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AwsError(
            "InvalidQueryParameter", "The request is not valid UTF-8 form data."
        ) from None
    return pairs


# Decoded short fields that needed decoding, by their text (``TopicArn=arn%3Aaws%3Asns...``):
# a client names the same topic or queue in every request, and a lookup costs far less than
# unquoting it again.
_DECODED: dict[str, tuple[str, str]] = {}
_DECODED_MAX = 4096
_DECODED_FIELD_MAX = 256  # longer fields (message bodies) are decoded each time


def parse_form(text: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")``, pair for
    pair, in fewer steps: a field without ``%`` or ``+`` (a message body, most names) is taken
    as it is, with no decoding call per name and value."""
    pairs: list[tuple[str, str]] = []
    for field in text.split("&"):
        if not field:
            continue
        if "%" not in field and "+" not in field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
            continue
        pair = _DECODED.get(field)
        if pair is None:
            name, _, value = field.partition("=")
            pair = (
                unquote(name.replace("+", " "), errors="strict"),
                unquote(value.replace("+", " "), errors="strict"),
            )
            if len(field) <= _DECODED_FIELD_MAX:
                if len(_DECODED) >= _DECODED_MAX:
                    _DECODED.clear()
                _DECODED[field] = pair
        pairs.append(pair)
    return pairs


def choose_service(
    action: str,
    scope_service: str | None,
    tree: dict[str, Any],
    sqs_actions: frozenset[str],
    sns_actions: frozenset[str],
) -> str:
    in_sqs, in_sns = action in sqs_actions, action in sns_actions
    if in_sqs != in_sns:
        return "sqs" if in_sqs else "sns"
    # Both define it (AddPermission, RemovePermission) or neither does (answered InvalidAction by
    # whichever service was meant): the signing scope decides, then the parameters, then the path.
    if scope_service in ("sqs", "sns"):
        return scope_service
    if "QueueUrl" in tree:
        return "sqs"
    if "TopicArn" in tree or "ResourceArn" in tree:
        return "sns"
    # A queue URL path means SQS; so does nothing at all (SQS is the service of the root path).
    return "sqs"


def queue_url(req: HttpRequest) -> str:
    """The queue URL a Query request addresses by its path, on densho's URL as the client
    reached it."""
    return f"{req.endpoint}{req.path}"
