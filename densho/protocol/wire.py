"""The wire layer's one entry point: an HTTP request in, the HTTP response AWS would send out.

Owns: compiling, once, a decoder and an encoder per (service, protocol, operation) from the models;
per request: detecting the protocol and operation, decoding into a ``Call``, awaiting the
dispatcher, encoding its result, and answering every ``AwsError`` (and any other failure, as
``InternalFailure``) in that protocol's error shape. One request id per request.

Must not know: what an operation does (the dispatcher decides), queues, topics or storage.

    HttpRequest --detect--> (service, protocol, operation) --decode--> Call
                                                                        | dispatch
    HttpResponse <--encode (JSON / Query XML / error)-- result dict <---+
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple

from botocore.model import ServiceModel

from densho.core.identity import Identity
from densho.core.ids import uuid4

from . import detect, json_codec, loader, quirks
from .call import Call
from .errors import AwsError
from .errors_out import JSON_CONTENT_TYPE, NAMESPACES, XML_CONTENT_TYPE, ErrorRenderer
from .http import HttpRequest, HttpResponse
from .json_codec import JsonDecoders
from .query_decode import QueryDecoders, build_tree
from .sigv4 import Verifier, is_signed
from .validate import DecodeError, to_aws_error
from .xml_encode import compile_response

log = logging.getLogger("densho.protocol")

Dispatch = Callable[[Call], Awaitable[dict[str, Any]]]

# SNS answers these unsigned, as AWS does: the SubscribeURL of a confirmation message and the
# UnsubscribeURL of a notification are plain GETs (the subscription's token or ARN is the key).
UNSIGNED_SNS_ACTIONS = frozenset({"ConfirmSubscription", "Unsubscribe"})


class _Op(NamedTuple):
    service: str
    protocol: str
    name: str
    decode: Callable[[Any], dict[str, Any]]
    encode: Callable[[dict[str, Any], str], bytes]
    takes_queue_url: bool  # Query: a missing QueueUrl may come from the request path


def _json_encode(result: dict[str, Any], request_id: str) -> bytes:
    return json_codec.encode(result)


def request_id() -> str:
    return uuid4()


def _failed(response: HttpResponse, err: AwsError) -> HttpResponse:
    response.error_code = err.code
    return response


def _described(
    response: HttpResponse, rid: str, service: str, action: str, call: Call | None
) -> HttpResponse:
    response.request_id = rid
    response.service = service
    response.action = action
    response.call = call
    return response


def _unknown_operation(rid: str) -> HttpResponse:
    """A Query GET on a queue URL without an Action, answered as AWS does (see ``quirks``)."""
    response = HttpResponse(
        quirks.QUEUE_URL_GET_UNKNOWN_STATUS,
        quirks.QUEUE_URL_GET_UNKNOWN_BODY,
        XML_CONTENT_TYPE,
        [(b"x-amzn-requestid", rid.encode())],
    )
    response.error_code = quirks.QUEUE_URL_GET_UNKNOWN_CODE
    return response


def _internal_failure() -> AwsError:
    return AwsError("InternalFailure", quirks.INTERNAL_FAILURE_MESSAGE, 500, sender=False)


class Wire:
    """Speaks SQS (JSON 1.0 and Query) and SNS (Query) on behalf of a dispatcher."""

    def __init__(self, default_region: str = "us-east-1", verifier: Verifier | None = None) -> None:
        self._region = default_region
        # None: authentication off (any signature or none; the dispatcher picks the account).
        self._verifier = verifier
        sns = loader.sns_model()
        self._json_ops = self._compile_json(loader.sqs_json_model())
        # By the whole X-Amz-Target ("AmazonSQS.SendMessage"): one lookup for a known target.
        self._json_targets = {f"AmazonSQS.{name}": op for name, op in self._json_ops.items()}
        self._query_ops = {
            **self._compile_query(loader.sqs_query_model(), "sqs"),
            **self._compile_query(sns, "sns"),
        }
        self._sqs_actions = frozenset(name for svc, name in self._query_ops if svc == "sqs")
        self._sns_actions = frozenset(name for svc, name in self._query_ops if svc == "sns")
        self._errors = ErrorRenderer(sns)

    @staticmethod
    def _compile_json(model: ServiceModel) -> dict[str, _Op]:
        decoders = JsonDecoders(model, "sqs")
        ops = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            decode = decoders.for_input(op.input_shape)
            ops[name] = _Op("sqs", "json", name, decode, _json_encode, False)
        return ops

    @staticmethod
    def _compile_query(model: ServiceModel, service: str) -> dict[tuple[str, str], _Op]:
        decoders = QueryDecoders(model, service)
        declaration = quirks.XML_DECLARATION[service]
        ops = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            shape = op.input_shape
            takes_url = shape is not None and "QueueUrl" in shape.members
            encode = compile_response(name, op.output_shape, NAMESPACES[service], declaration)
            decode = decoders.for_input(shape)
            ops[service, name] = _Op(service, "query", name, decode, encode, takes_url)
        return ops

    def decode_form(
        self, service: str, operation: str, pairs: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """Parameters given as Query form fields (the console's forms), decoded and validated
        exactly as a request's are; ``AwsError`` as a client would be answered."""
        op = self._query_ops[service, operation]
        try:
            return op.decode(build_tree(pairs))
        except DecodeError as err:
            raise to_aws_error(err, service, "query", op.name) from None

    def handle(self, req: HttpRequest, dispatch: Dispatch) -> Coroutine[Any, Any, HttpResponse]:
        """The response to ``req`` (a coroutine: the protocol's own, one frame fewer)."""
        rid = uuid4()
        if detect.is_json(req.headers):
            return self._handle_json(req, dispatch, rid)
        return self._handle_query(req, dispatch, rid)

    def refuse(self, headers: dict[str, str], err: AwsError) -> HttpResponse:
        """Answer ``err`` before the request is read whole (its body too large), in the shape
        of the protocol and service its headers announce."""
        rid = request_id()
        if detect.is_json(headers):
            response = self._errors.json(err, rid)
            service = "sqs"
        else:
            service = "sns" if detect.header_scope(headers).service == "sns" else "sqs"
            response = self._errors.query(service, err, rid)
        return _described(_failed(response, err), rid, service, "", None)

    def _call(
        self,
        service: str,
        protocol: str,
        operation: str,
        params: dict[str, Any],
        req: HttpRequest,
        scope: detect.Scope,
        identity: Identity | None,
    ) -> Call:
        return Call(
            service,
            protocol,
            operation,
            params,
            scope.region or self._region,
            req.endpoint,
            scope.access_key,
            identity,
            req.client,
            req.secure,
            req.headers.get("x-amzn-trace-id") or None,
        )

    def _authenticate(self, req: HttpRequest, service: str, action: Any) -> Identity | None:
        """The verified caller; None when authentication is off, or for the unsigned SNS
        actions AWS serves to anyone holding their URL."""
        if self._verifier is None:
            return None
        if service == "sns" and action in UNSIGNED_SNS_ACTIONS and not is_signed(req):
            return None
        return self._verifier.verify(req, service)

    async def _handle_json(self, req: HttpRequest, dispatch: Dispatch, rid: str) -> HttpResponse:
        action = ""
        call: Call | None = None
        try:
            identity = self._authenticate(req, "sqs", None)
            target = req.headers.get("x-amz-target", "")
            op = self._json_targets.get(target)
            if op is None:
                name = target.partition(".")[2]
                action = name or target
                raise AwsError(
                    "InvalidAction", quirks.UNKNOWN_ACTION_MESSAGE.format(action=action or "(none)")
                )
            action = op.name
            try:
                params = op.decode(json_codec.decode_body(req.body))
            except DecodeError as err:
                raise to_aws_error(err, "sqs", "json", action) from None
            scope = detect.header_scope(req.headers)
            call = self._call("sqs", "json", action, params, req, scope, identity)
            result = await dispatch(call)
            body = op.encode(result or {}, rid)
            answer_headers = [(b"x-amzn-requestid", rid.encode())]
            return HttpResponse(
                200, body, JSON_CONTENT_TYPE, answer_headers, rid, "sqs", action, call
            )
        except AwsError as err:
            response = _failed(self._errors.json(err, rid), err)
        except Exception:
            log.exception("request %s failed", rid)
            failure = _internal_failure()
            response = _failed(self._errors.json(failure, rid), failure)
        return _described(response, rid, "sqs", action, call)

    async def _handle_query(self, req: HttpRequest, dispatch: Dispatch, rid: str) -> HttpResponse:
        service = "sqs"  # whose error shape to answer in, until the action says otherwise
        action: Any = None
        call: Call | None = None
        try:
            tree = build_tree(detect.form_pairs(req))
            scope = detect.form_scope(req.headers, tree)
            if scope.service == "sns":
                service = "sns"
            action = tree.get("Action")
            if type(action) is str and action:
                service = detect.choose_service(
                    action, scope.service, tree, self._sqs_actions, self._sns_actions
                )
            # Before the action is judged: an unsigned caller learns nothing of the API.
            identity = self._authenticate(req, service, action)
            on_queue_url = service == "sqs" and req.method == "GET" and req.path not in ("", "/")
            if type(action) is not str or not action:
                if on_queue_url:
                    return _described(_unknown_operation(rid), rid, service, "", None)
                raise AwsError("MissingAction", quirks.MISSING_ACTION_MESSAGE)
            op = self._query_ops.get((service, action))
            if op is None or (on_queue_url and action in quirks.QUEUE_URL_GET_REFUSED):
                raise AwsError("InvalidAction", quirks.UNKNOWN_ACTION_MESSAGE.format(action=action))
            if op.takes_queue_url and "QueueUrl" not in tree and req.path not in ("", "/"):
                tree["QueueUrl"] = detect.queue_url(req)
            try:
                params = op.decode(tree)
            except DecodeError as err:
                raise to_aws_error(err, service, "query", op.name) from None
            call = self._call(service, "query", op.name, params, req, scope, identity)
            result = await dispatch(call)
            body = op.encode(result or {}, rid)
            response = HttpResponse(
                200, body, XML_CONTENT_TYPE, [(b"x-amzn-requestid", rid.encode())]
            )
        except AwsError as err:
            response = _failed(self._errors.query(service, err, rid), err)
        except Exception:
            log.exception("request %s failed", rid)
            failure = _internal_failure()
            response = _failed(self._errors.query(service, failure, rid), failure)
        return _described(response, rid, service, action if type(action) is str else "", call)
