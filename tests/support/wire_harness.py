"""botocore as the oracle for the wire layer: real serializers in, real parsers out.

Owns: turning (operation, params) into the ``HttpRequest`` a real botocore client would send (signed
with SigV4, so the credential scope is real), running it through ``Wire.handle`` with a recording
dispatcher, and parsing the ``HttpResponse`` with botocore's own JSON/Query parsers.

Must not know: servers or providers; nothing here opens a socket.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from densho.protocol import loader
from densho.protocol.call import Call
from densho.protocol.http import HttpRequest, HttpResponse
from densho.protocol.wire import Wire

ENDPOINT = "http://localhost:9324"
ACCESS_KEY = "AKIDEXAMPLE"

MODELS: dict[tuple[str, str], ServiceModel] = {
    ("sqs", "json"): loader.sqs_json_model(),
    ("sqs", "query"): loader.sqs_query_model(),
    ("sns", "query"): loader.sns_model(),
}

_WIRE: list[Wire] = []


def wire() -> Wire:
    """One Wire per test session (compiling the codecs takes ~0.1 s)."""
    if not _WIRE:
        _WIRE.append(Wire(default_region="us-east-1"))
    return _WIRE[0]


def botocore_request(
    service: str,
    protocol: str,
    operation: str,
    params: dict[str, Any],
    region: str = "eu-west-1",
    endpoint: str = ENDPOINT,
    signing_name: str | None = None,
) -> HttpRequest:
    """The request botocore would send for ``operation(**params)``, SigV4-signed."""
    model = MODELS[service, protocol]
    op = model.operation_model(operation)
    request_dict = create_serializer(protocol).serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    aws_request = create_request_object(request_dict)
    credentials = Credentials(ACCESS_KEY, "secret")
    SigV4Auth(credentials, signing_name or model.signing_name, region).add_auth(aws_request)
    prepared = aws_request.prepare()
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()
    }
    url = urlsplit(prepared.url)
    headers.setdefault("host", url.netloc)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(prepared.method, url.path or "/", url.query.encode(), headers, body)


@dataclass
class Recorder:
    """A dispatcher that records each Call and answers ``output`` (or raises it)."""

    output: Any = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    async def __call__(self, call: Call) -> dict[str, Any]:
        self.calls.append(call)
        if isinstance(self.output, BaseException):
            raise self.output
        result: dict[str, Any] = self.output
        return result


def run(request: HttpRequest, output: Any = None) -> tuple[HttpResponse, Recorder]:
    recorder = Recorder({} if output is None else output)
    response = asyncio.run(wire().handle(request, recorder))
    return response, recorder


def response_headers(response: HttpResponse) -> dict[str, str]:
    headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    headers["content-type"] = response.content_type.decode()
    return headers


def botocore_parse(
    service: str, protocol: str, operation: str, response: HttpResponse
) -> dict[str, Any]:
    """``response`` as botocore parses it (``Error`` for errors); ResponseMetadata kept."""
    op = MODELS[service, protocol].operation_model(operation)
    parser = create_parser(protocol)
    raw = {
        "status_code": response.status,
        "headers": response_headers(response),
        "body": response.body,
    }
    parsed: dict[str, Any] = parser.parse(raw, op.output_shape)
    return parsed


def without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
