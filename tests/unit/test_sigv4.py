"""The SigV4 verifier against botocore's signer as the oracle.

Every request here is signed by botocore (``SigV4Auth`` for the header form, ``SigV4QueryAuth``
for presigned URLs) exactly as an SDK signs it, for SQS JSON, SQS Query and SNS Query; the
verifier must accept it, and refuse it with AWS's code, status and message once any signed part
is changed, the key or secret is wrong, the clock is off or the URL has expired.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from densho.core.identity import Identity
from densho.protocol.call import Call
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest
from densho.protocol.sigv4 import (
    INVALID_TOKEN,
    MISMATCH,
    MISSING_TOKEN,
    KeyMac,
    Secret,
    Verifier,
    key_mac,
    normalize_path,
)
from densho.protocol.wire import Wire

KEY_A, SECRET_A = "AKIAEXAMPLEA", "secret-a/with+chars="
KEY_B, SECRET_B = "AKIAEXAMPLEB", "secret-b"
TEMP_KEY, TEMP_SECRET, TOKEN = "ASIAEXAMPLET", "secret-t", "session-token-value"
ALICE = Identity("111111111111", "arn:aws:iam::111111111111:user/alice", KEY_A)
BOB = Identity("222222222222", "arn:aws:iam::222222222222:root", KEY_B)
TEMP = Identity("111111111111", "arn:aws:iam::111111111111:root", TEMP_KEY)
KNOWN = {
    KEY_A: Secret(SECRET_A, ALICE),
    KEY_B: Secret(SECRET_B, BOB),
    TEMP_KEY: Secret(TEMP_SECRET, TEMP, session_token=TOKEN),
}
HOST = "localhost:9324"
QUEUE_URL = f"http://{HOST}/111111111111/orders"


def verifier(offset_s: float = 0.0) -> Verifier:
    return Verifier(KNOWN.get, now=lambda: time.time() + offset_s)


def to_http(request: AWSRequest) -> HttpRequest:
    """What densho's server would receive for a botocore request."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = {k.lower(): str(v) for k, v in prepared.headers.items()}
    headers.setdefault("host", parts.netloc)  # the HTTP client adds it
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(
        method=prepared.method,
        path=parts.path,
        query_string=parts.query.encode(),
        headers=headers,
        body=body,
        raw_path=parts.path,
    )


def sqs_json(
    body: bytes = b'{"QueueUrl": "%s", "MessageBody": "hi"}' % QUEUE_URL.encode(),
) -> AWSRequest:
    return AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data=body,
        headers={
            "X-Amz-Target": "AmazonSQS.SendMessage",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )


def sqs_query() -> AWSRequest:
    return AWSRequest(
        method="POST",
        url=QUEUE_URL,
        data={"Action": "SendMessage", "MessageBody": "hello world", "Version": "2012-11-05"},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


def sns_query() -> AWSRequest:
    return AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data={
            "Action": "Publish",
            "TopicArn": "arn:aws:sns:us-east-1:111111111111:t",
            "Message": "hi",
            "Version": "2010-03-31",
        },
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


REQUESTS: dict[str, tuple[Callable[[], AWSRequest], str]] = {
    "sqs-json": (sqs_json, "sqs"),
    "sqs-query": (sqs_query, "sqs"),
    "sns-query": (sns_query, "sns"),
}


def signed(
    make: Callable[[], AWSRequest],
    service: str,
    *,
    key: str = KEY_A,
    secret: str = SECRET_A,
    token: str | None = None,
    region: str = "us-east-1",
) -> AWSRequest:
    request = make()
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(request)
    return request


def presigned(
    make: Callable[[], AWSRequest],
    service: str,
    *,
    expires: int = 60,
    key: str = KEY_A,
    secret: str = SECRET_A,
) -> AWSRequest:
    request = make()
    SigV4QueryAuth(Credentials(key, secret), service, "us-east-1", expires=expires).add_auth(
        request
    )
    return request


def refused(req: HttpRequest, service: str | None, offset_s: float = 0.0) -> AwsError:
    with pytest.raises(AwsError) as caught:
        verifier(offset_s).verify(req, service)
    return caught.value


# --- accepted ---


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_header_signature_is_accepted(kind: str) -> None:
    make, service = REQUESTS[kind]
    assert verifier().verify(to_http(signed(make, service)), service) == ALICE


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_presigned_url_is_accepted(kind: str) -> None:
    make, service = REQUESTS[kind]
    req = to_http(presigned(make, service))
    assert "X-Amz-Signature=" in req.query_string.decode()
    assert verifier().verify(req, service) == ALICE


def test_the_key_decides_the_identity() -> None:
    req = to_http(signed(sqs_query, "sqs", key=KEY_B, secret=SECRET_B))
    assert verifier().verify(req, "sqs") == BOB


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "ap-southeast-2"])
def test_any_region_is_accepted(region: str) -> None:
    assert verifier().verify(to_http(signed(sqs_json, "sqs", region=region)), "sqs") == ALICE


@pytest.mark.parametrize(
    "path",
    ["/", "/111111111111/orders", "/a/./b/../c//d/", "/with space/%7Etilde", "/ünï/çødé", ""],
)
def test_paths_are_canonicalised_as_botocore_does(path: str) -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}{path}?Action=ListQueues")
    SigV4Auth(Credentials(KEY_A, SECRET_A), "sqs", "us-east-1").add_auth(request)
    assert verifier().verify(to_http(request), "sqs") == ALICE


def test_query_string_parameters_are_sorted_and_encoded() -> None:
    request = AWSRequest(
        method="GET",
        url=f"http://{HOST}/?Version=2012-11-05&Action=ListQueues&QueueNamePrefix=a%20b%2Fc~",
    )
    SigV4Auth(Credentials(KEY_A, SECRET_A), "sqs", "us-east-1").add_auth(request)
    assert verifier().verify(to_http(request), "sqs") == ALICE


def test_date_header_instead_of_x_amz_date() -> None:
    request = sqs_query()
    request.headers["Date"] = "placeholder"  # botocore then signs with an HTTP Date header
    SigV4Auth(Credentials(KEY_A, SECRET_A), "sqs", "us-east-1").add_auth(request)
    req = to_http(request)
    assert "x-amz-date" not in req.headers
    assert verifier().verify(req, "sqs") == ALICE


def test_unsigned_payload_is_accepted_and_covers_no_body() -> None:
    request = sqs_query()
    request.url = request.url.replace("http://", "https://")
    request.context["payload_signing_enabled"] = False
    SigV4Auth(Credentials(KEY_A, SECRET_A), "sqs", "us-east-1").add_auth(request)
    req = to_http(request)
    assert req.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert verifier().verify(req, "sqs") == ALICE


def test_declared_payload_hash_must_match_the_body() -> None:
    request = sqs_query()
    request.headers["X-Amz-Content-SHA256"] = "0" * 64
    SigV4Auth(Credentials(KEY_A, SECRET_A), "sqs", "us-east-1").add_auth(request)
    err = refused(to_http(request), "sqs")
    assert (err.code, err.status, err.message) == ("SignatureDoesNotMatch", 403, MISMATCH)


def test_configured_session_token_is_accepted() -> None:
    req = to_http(signed(sqs_json, "sqs", key=TEMP_KEY, secret=TEMP_SECRET, token=TOKEN))
    assert verifier().verify(req, "sqs") == TEMP


def test_derived_keys_are_cached() -> None:
    key_mac.cache_clear()
    for _ in range(5):
        verifier().verify(to_http(signed(sqs_json, "sqs")), "sqs")
    info = key_mac.cache_info()
    assert info.misses == 1 and info.hits == 4


def test_admin_scope_accepts_any_service() -> None:
    req = to_http(signed(sns_query, "execute-api"))
    assert verifier().verify(req, None) == ALICE


# --- refused ---


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_tampered_body_is_refused(kind: str) -> None:
    make, service = REQUESTS[kind]
    req = to_http(signed(make, service))
    req.body = req.body.replace(b"hi", b"ho").replace(b"hello", b"HELLO")
    err = refused(req, service)
    assert (err.code, err.status, err.message) == ("SignatureDoesNotMatch", 403, MISMATCH)


@pytest.mark.parametrize("header", ["x-amz-target", "content-type", "host", "x-amz-date"])
def test_tampered_signed_header_is_refused(header: str) -> None:
    req = to_http(signed(sqs_json, "sqs"))
    value = req.headers[header]
    last = -2 if header == "x-amz-date" else -1  # the seconds: the date stays well-formed
    digit = "0" if value[last] != "0" else "1"
    req.headers[header] = value[:last] + digit + value[len(value) + last + 1 :]
    assert refused(req, "sqs").code in ("SignatureDoesNotMatch",)


def test_unsigned_header_may_change() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    req.headers["user-agent"] = "something else"
    assert verifier().verify(req, "sqs") == ALICE


def test_tampered_path_is_refused() -> None:
    req = to_http(signed(sqs_query, "sqs"))
    req.raw_path = req.path = "/111111111111/other"
    assert refused(req, "sqs").code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_tampered_presigned_query_is_refused(kind: str) -> None:
    make, service = REQUESTS[kind]
    req = to_http(presigned(make, service))
    tampered = req.query_string.replace(b"=hi&", b"=ho&").replace(b"=hello", b"=HELLO")
    assert tampered != req.query_string
    req.query_string = tampered
    assert refused(req, service).code == "SignatureDoesNotMatch"


def test_added_presigned_parameter_is_refused() -> None:
    req = to_http(presigned(sqs_query, "sqs"))
    req.query_string += b"&DelaySeconds=5"
    assert refused(req, "sqs").code == "SignatureDoesNotMatch"


def test_wrong_secret_is_refused() -> None:
    err = refused(to_http(signed(sqs_json, "sqs", secret="wrong")), "sqs")
    assert (err.code, err.status, err.message) == ("SignatureDoesNotMatch", 403, MISMATCH)


@pytest.mark.parametrize("form", ["header", "presigned"])
def test_unknown_key_is_refused(form: str) -> None:
    if form == "header":
        request = signed(sqs_json, "sqs", key="AKIAUNKNOWN")
    else:
        request = presigned(sqs_query, "sqs", key="AKIAUNKNOWN")
    err = refused(to_http(request), "sqs")
    assert (err.code, err.status, err.message) == ("InvalidClientTokenId", 403, INVALID_TOKEN)


def test_no_signature_is_refused() -> None:
    err = refused(to_http(sqs_query()), "sqs")
    assert (err.code, err.status, err.message) == ("MissingAuthenticationToken", 403, MISSING_TOKEN)


def test_session_token_refused_unless_configured() -> None:
    err = refused(to_http(signed(sqs_json, "sqs", token="some-token")), "sqs")
    assert (err.code, err.status, err.message) == ("InvalidClientTokenId", 403, INVALID_TOKEN)
    wrong = signed(sqs_json, "sqs", key=TEMP_KEY, secret=TEMP_SECRET, token="other")
    assert refused(to_http(wrong), "sqs").code == "InvalidClientTokenId"
    missing = signed(sqs_json, "sqs", key=TEMP_KEY, secret=TEMP_SECRET)
    assert refused(to_http(missing), "sqs").code == "InvalidClientTokenId"


def test_wrong_service_scope_is_refused() -> None:
    err = refused(to_http(signed(sns_query, "sns")), "sqs")
    assert err.code == "SignatureDoesNotMatch" and err.status == 403
    assert err.message == "Credential should be scoped to correct service: 'sqs'. "


def test_skew_past_is_refused_as_aws_does() -> None:
    err = refused(to_http(signed(sqs_json, "sqs")), "sqs", offset_s=16 * 60)
    assert err.code == "SignatureDoesNotMatch" and err.status == 403
    assert err.message.startswith("Signature expired: ")
    assert "is now earlier than" in err.message and err.message.endswith(" - 15 min.)")


def test_skew_future_is_refused_as_aws_does() -> None:
    err = refused(to_http(signed(sns_query, "sns")), "sns", offset_s=-16 * 60)
    assert err.code == "SignatureDoesNotMatch" and err.status == 403
    assert err.message.startswith("Signature not yet current: ")
    assert err.message.endswith(" + 15 min.)")


def test_skew_within_fifteen_minutes_is_accepted() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    assert verifier(offset_s=14 * 60).verify(req, "sqs") == ALICE
    assert verifier(offset_s=-14 * 60).verify(req, "sqs") == ALICE


def test_presigned_url_expires_after_x_amz_expires() -> None:
    req = to_http(presigned(sqs_query, "sqs", expires=30))
    assert verifier(offset_s=20).verify(req, "sqs") == ALICE
    err = refused(req, "sqs", offset_s=40)
    assert (err.code, err.status, err.message) == ("RequestExpired", 400, "Request has expired.")


def test_presigned_url_lives_as_long_as_it_says() -> None:
    req = to_http(presigned(sns_query, "sns", expires=3600))
    assert verifier(offset_s=50 * 60).verify(req, "sns") == ALICE


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", "requires 'Credential'"),
        (
            f"AWS4-HMAC-SHA256 Credential={KEY_A}/20260101/us-east-1/sqs/aws4_request, "
            "Signature=abc",
            "requires 'SignedHeaders'",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={KEY_A}/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host",
            "requires 'Signature'",
        ),
        ("AWS AKIAEXAMPLEA:c2lnbmF0dXJl", "requires 'Credential'"),
        (
            f"AWS4-HMAC-SHA256 Credential={KEY_A}/20260101/sqs/aws4_request, "
            "SignedHeaders=host, Signature=abc",
            "exactly 5 slash-delimited elements",
        ),
        ("AWS4-HMAC-SHA256 Credential", "missing equal-sign"),
    ],
)
def test_malformed_header_is_incomplete(authorization: str, fragment: str) -> None:
    req = to_http(signed(sqs_json, "sqs"))
    req.headers["authorization"] = authorization
    err = refused(req, "sqs")
    assert (err.code, err.status) == ("IncompleteSignature", 400)
    assert fragment in err.message


def test_missing_date_is_incomplete() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    del req.headers["x-amz-date"]
    err = refused(req, "sqs")
    assert err.code == "IncompleteSignature"
    assert "either a 'X-Amz-Date' or a 'Date' header" in err.message


def test_bad_date_is_incomplete() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    req.headers["x-amz-date"] = "2026-01-01T00:00:00Z"
    err = refused(req, "sqs")
    assert err.code == "IncompleteSignature" and "ISO-8601 'basic format'" in err.message


@pytest.mark.parametrize("name", ["X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Date"])
def test_presigned_missing_parameter_is_incomplete(name: str) -> None:
    req = to_http(presigned(sqs_query, "sqs"))
    kept = [p for p in req.query_string.split(b"&") if not p.startswith(name.encode() + b"=")]
    req.query_string = b"&".join(kept)
    err = refused(req, "sqs")
    assert (err.code, err.status) == ("IncompleteSignature", 400)
    assert f"must include '{name}'" in err.message


def test_scope_date_must_match_request_date() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    auth = req.headers["authorization"]
    day = req.headers["x-amz-date"][:8]
    req.headers["authorization"] = auth.replace(f"/{day}/", "/19990101/")
    err = refused(req, "sqs")
    assert err.code == "SignatureDoesNotMatch" and "Date in Credential scope" in err.message


def test_wrong_terminator_is_refused() -> None:
    req = to_http(signed(sqs_json, "sqs"))
    req.headers["authorization"] = req.headers["authorization"].replace(
        "aws4_request", "aws5_request"
    )
    err = refused(req, "sqs")
    assert err.code == "SignatureDoesNotMatch" and "valid terminator" in err.message


def test_key_mac_is_hmac_sha256() -> None:
    import hashlib
    import hmac

    key = hashlib.sha256(b"k").digest()
    for message in (b"", b"x", b"y" * 200):
        expected = hmac.new(key, message, hashlib.sha256).hexdigest()
        assert KeyMac(key).hexdigest(message) == expected


def test_normalize_path_matches_botocore() -> None:
    from botocore.utils import normalize_url_path

    for path in ["/", "", "/a/b/", "/a//b", "/a/../../b", "/./x/.", "/a b/ç", "/%20"]:
        from urllib.parse import quote

        assert normalize_path(path) == quote(normalize_url_path(path), safe="/~")


# --- robustness ---

_PIECES = st.sampled_from(
    [
        "AWS4-HMAC-SHA256",
        " ",
        ",",
        "=",
        "/",
        ";",
        "Credential",
        "SignedHeaders",
        "Signature",
        KEY_A,
        "20260101",
        "us-east-1",
        "sqs",
        "aws4_request",
        "host",
        "x-amz-date",
    ]
)

_QUERY_PIECES = st.sampled_from(
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "&",
        "=",
        "X-Amz-Credential=",
        f"{KEY_A}%2F20260101%2Fus-east-1%2Fsqs%2Faws4_request",
        "X-Amz-Signature=ab",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Date=20260101T000000Z",
        "X-Amz-Expires=",
        "99999999999999999999",
        "-1",
        "%",
        "%zz",
        "/",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    authorization=st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=30).map("".join)),
    query=st.one_of(st.text(max_size=200), st.lists(_QUERY_PIECES, max_size=30).map("".join)),
    date=st.one_of(st.none(), st.text(max_size=20), st.just("20260101T000000Z")),
)
def test_garbage_never_crashes(authorization: str, query: str, date: str | None) -> None:
    """Whatever arrives, the verifier answers an AwsError (or, by luck, an identity)."""
    headers = {"host": HOST, "authorization": authorization}
    if date is not None:
        headers["x-amz-date"] = date
    for form in (headers, {"host": HOST}):
        req = HttpRequest("POST", "/", query.encode("utf-8", "replace"), dict(form), b"{}")
        try:
            verifier().verify(req, "sqs")
        except AwsError as err:
            assert err.status in (400, 403)


# --- in the wire layer ---


def _through_wire(req: HttpRequest) -> tuple[int, bytes, list[Call]]:
    calls: list[Call] = []

    async def dispatch(call: Call) -> dict[str, Any]:
        calls.append(call)
        return {}

    response = asyncio.run(Wire(verifier=verifier()).handle(req, dispatch))
    return response.status, response.body, calls


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_wire_puts_the_identity_on_the_call(kind: str) -> None:
    make, service = REQUESTS[kind]
    status, body, calls = _through_wire(to_http(signed(make, service, key=KEY_B, secret=SECRET_B)))
    assert status == 200, body
    [call] = calls
    assert call.identity == BOB and call.service == service and call.access_key == KEY_B


def test_wire_refuses_before_dispatch() -> None:
    req = to_http(signed(sqs_json, "sqs", secret="wrong"))
    status, body, calls = _through_wire(req)
    assert status == 403 and calls == [] and b"SignatureDoesNotMatch" in body


def test_wire_refuses_unsigned_unknown_actions_as_unsigned() -> None:
    req = HttpRequest("POST", "/", b"", {"host": HOST}, b"Action=NoSuchThing")
    status, body, _ = _through_wire(req)
    assert status == 403 and b"<Code>MissingAuthenticationToken</Code>" in body


def test_wire_serves_unsigned_sns_confirmation_without_identity() -> None:
    query = b"Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Token=x"
    status, body, calls = _through_wire(HttpRequest("GET", "/", query, {"host": HOST}, b""))
    assert status == 200, body
    [call] = calls
    assert call.service == "sns" and call.identity is None
