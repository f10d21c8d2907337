"""Renders an ``AwsError`` as each service and protocol answers it.

Owns: the lookup from an error code to AWS's (JSON ``__type``, Query code, HTTP status, fault) —
from ``quirks`` for SQS and common errors, from the model's error traits for SNS — and the
error bodies: SQS JSON (``__type`` + ``x-amzn-query-error`` header) and Query ``<ErrorResponse>``.

Must not know: why an error happened, routing, or parameter decoding.
"""

from __future__ import annotations

from typing import NamedTuple

import orjson
from botocore.model import ServiceModel

from . import quirks
from .errors import AwsError
from .http import HttpResponse
from .xml_encode import escape

JSON_CONTENT_TYPE = b"application/x-amz-json-1.0"
XML_CONTENT_TYPE = b"text/xml"
NAMESPACES = {
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}


class ErrorForm(NamedTuple):
    json_type: str
    query_code: str
    status: int
    sender: bool


def _sqs_table() -> dict[str, ErrorForm]:
    table: dict[str, ErrorForm] = {}
    for code, (json_type, status, sender) in quirks.COMMON_ERRORS.items():
        table[code] = ErrorForm(json_type, code, status, sender)
    for code, (query_code, status) in quirks.SQS_MODELED_ERRORS.items():
        form = ErrorForm(quirks.SQS_JSON_ERROR_NAMESPACE + code, query_code, status, True)
        table.setdefault(query_code, form)  # a provider may raise the Query spelling
        table[code] = form
    for alias, code in quirks.COMMON_ERROR_ALIASES.items():
        table[alias] = table[code]
    return table


def _sns_table(model: ServiceModel) -> dict[str, ErrorForm]:
    table: dict[str, ErrorForm] = {}
    for code, (json_type, status, sender) in quirks.COMMON_ERRORS.items():
        table[code] = ErrorForm(json_type, code, status, sender)
    for shape in model.error_shapes:
        trait = shape.metadata.get("error", {})
        code = trait.get("code", shape.name)
        status = trait.get("httpStatusCode", 400)
        sender = bool(trait.get("senderFault", not shape.metadata.get("fault", False)))
        form = ErrorForm(code, code, status, sender)
        table[shape.name] = form  # providers may raise the shape name (NotFoundException) ...
        table[code] = form  # ... or the wire code (NotFound)
    for alias, code in quirks.COMMON_ERROR_ALIASES.items():
        # SNS models some of these names itself (InvalidParameterValueException is its
        # ParameterValueInvalid): the model wins.
        table.setdefault(alias, table[code])
    return table


class ErrorRenderer:
    """Turns an ``AwsError`` into the HTTP response AWS would send, for any service/protocol."""

    def __init__(self, sns: ServiceModel) -> None:
        self._tables = {"sqs": _sqs_table(), "sns": _sns_table(sns)}

    def form(self, service: str, err: AwsError) -> ErrorForm:
        # For codes AWS models, the status is AWS's, whatever the AwsError says: providers need
        # not know that ReceiptHandleIsInvalid is a 404.
        known = self._tables[service].get(err.code)
        if known is not None:
            return known
        return ErrorForm(
            quirks.SQS_JSON_ERROR_NAMESPACE + err.code, err.code, err.status, err.sender
        )

    def json(self, err: AwsError, request_id: str) -> HttpResponse:
        form = self.form("sqs", err)
        body = orjson.dumps({"__type": form.json_type, "message": err.message})
        fault = "Sender" if form.sender else "Receiver"
        headers = [
            (b"x-amzn-requestid", request_id.encode()),
            (b"x-amzn-query-error", f"{form.query_code};{fault}".encode()),
        ]
        return HttpResponse(form.status, body, JSON_CONTENT_TYPE, headers)

    def query(self, service: str, err: AwsError, request_id: str) -> HttpResponse:
        form = self.form(service, err)
        detail = "<Detail/>" if quirks.XML_ERROR_DETAIL[service] else ""
        message = err.message
        if service == "sqs":
            message = quirks.SQS_QUERY_MESSAGES.get(form.query_code, message)
        body = (
            f"{quirks.XML_DECLARATION[service]}"
            f'<ErrorResponse xmlns="{NAMESPACES[service]}"><Error>'
            f"<Type>{'Sender' if form.sender else 'Receiver'}</Type>"
            f"<Code>{escape(form.query_code)}</Code>"
            f"<Message>{escape(message)}</Message>{detail}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = [(b"x-amzn-requestid", request_id.encode())]
        return HttpResponse(form.status, body.encode(), XML_CONTENT_TYPE, headers)
