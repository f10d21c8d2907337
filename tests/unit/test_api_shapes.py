"""The generated wire shapes (densho/api) describe what the wire layer really decodes and encodes.

Each request botocore serializes (the round-trip cases: every SQS operation over JSON and Query,
a set of SNS operations) is decoded by ``Wire`` and must be an instance of the operation's
``Request`` TypedDict to the exact Python type of every member; each case's output, which the
encoders turn into what botocore parses back, must be an instance of its ``Result``. And the
generator: the committed modules are current, and ``--check`` fails on a modified copy. And every
provider handler is annotated with its own operation's types.
"""

from __future__ import annotations

import datetime as dt
import shutil
import types
from pathlib import Path
from typing import Any, NotRequired, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from densho.api import generate, sns, sqs
from densho.protocol import loader
from densho.providers import sns as sns_provider
from densho.providers import sqs as sqs_provider
from tests.support.wire_harness import botocore_parse, botocore_request, run, without_metadata
from tests.unit.test_protocol_roundtrip import SNS_CASES, SQS_CASES

MODULES: dict[str, types.ModuleType] = {"sqs": sqs, "sns": sns}


def mismatches(value: Any, expected: Any, where: str) -> list[str]:
    """Where ``value`` is not an instance of the type ``expected`` (exact scalar types)."""
    if is_typeddict(expected):
        if type(value) is not dict:
            return [f"{where}: {type(value).__name__}, not a dict"]
        hints = get_type_hints(expected, include_extras=True)
        out = [f"{where}.{key}: not a member" for key in value if key not in hints]
        for key, hint in hints.items():
            optional = get_origin(hint) is NotRequired
            member = get_args(hint)[0] if optional else hint
            if key in value:
                out += mismatches(value[key], member, f"{where}.{key}")
            elif not optional:
                out.append(f"{where}.{key}: required, absent")
        return out
    origin = get_origin(expected)
    if origin is list:
        if type(value) is not list:
            return [f"{where}: {type(value).__name__}, not a list"]
        (element,) = get_args(expected)
        return [
            p for i, item in enumerate(value) for p in mismatches(item, element, f"{where}.{i}")
        ]
    if origin is dict:
        if type(value) is not dict:
            return [f"{where}: {type(value).__name__}, not a dict"]
        key_type, value_type = get_args(expected)
        return [
            p
            for key, item in value.items()
            for p in mismatches(key, key_type, f"{where}[{key!r}]")
            + mismatches(item, value_type, f"{where}.{key}")
        ]
    if type(value) is not expected:
        return [f"{where}: {type(value).__name__}, not {expected.__name__}"]
    return []


def shapes(service: str, operation: str) -> tuple[Any, Any]:
    module = MODULES[service]
    return getattr(module, f"{operation}Request"), getattr(module, f"{operation}Result")


def test_the_checker_sees_wrong_types() -> None:
    request, result = shapes("sqs", "SendMessage")
    assert mismatches({"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 1}, request, "p") == []
    assert mismatches({"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": True}, request, "p")
    assert mismatches({"QueueUrl": "u"}, request, "p") == ["p.MessageBody: required, absent"]
    assert mismatches({"QueueUrl": "u", "MessageBody": "b", "Nope": 1}, request, "p")
    attr = {"DataType": "Binary", "BinaryValue": "not bytes"}
    params = {"QueueUrl": "u", "MessageBody": "b", "MessageAttributes": {"a": attr}}
    assert mismatches(params, request, "p") == ["p.MessageAttributes.a.BinaryValue: str, not bytes"]
    assert mismatches({"MessageId": "m"}, result, "r") == []


@pytest.mark.parametrize("protocol", ["json", "query"])
@pytest.mark.parametrize("operation", sorted(SQS_CASES))
def test_decoded_sqs_params_and_results_are_the_generated_types(
    protocol: str, operation: str
) -> None:
    params, output = SQS_CASES[operation]
    _, recorder = run(botocore_request("sqs", protocol, operation, params), output)
    [call] = recorder.calls
    request, result = shapes("sqs", operation)
    assert mismatches(call.params, request, operation) == []
    assert mismatches(output, result, operation) == []


@pytest.mark.parametrize("operation", sorted(SNS_CASES))
def test_decoded_sns_params_and_results_are_the_generated_types(operation: str) -> None:
    params, output = SNS_CASES[operation]
    _, recorder = run(botocore_request("sns", "query", operation, params), output)
    [call] = recorder.calls
    request, result = shapes("sns", operation)
    assert mismatches(call.params, request, operation) == []
    assert mismatches(output, result, operation) == []


def test_blobs_arrive_as_bytes_on_both_protocols() -> None:
    attr = {"DataType": "Binary", "BinaryValue": b"\x00\xff"}
    params = {"QueueUrl": "http://h/0/q", "MessageBody": "b", "MessageAttributes": {"a": attr}}
    for protocol in ("json", "query"):
        _, recorder = run(botocore_request("sqs", protocol, "SendMessage", params), {})
        decoded = recorder.calls[0].params
        assert decoded["MessageAttributes"]["a"]["BinaryValue"] == b"\x00\xff"
        assert mismatches(decoded, sqs.SendMessageRequest, "SendMessage") == []


def test_a_datetime_result_is_encoded_as_botocore_parses_it() -> None:
    created = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    number = {"PhoneNumber": "+15550001111", "CreatedAt": created, "NumberCapabilities": ["SMS"]}
    output = {"PhoneNumbers": [number]}
    assert mismatches(output, sns.ListOriginationNumbersResult, "out") == []
    response, _ = run(botocore_request("sns", "query", "ListOriginationNumbers", {}), output)
    assert without_metadata(botocore_parse("sns", "query", "ListOriginationNumbers", response)) == {
        "PhoneNumbers": [number]
    }


def test_every_operation_has_a_request_and_a_result() -> None:
    for service, model in (("sqs", loader.sqs_json_model()), ("sns", loader.sns_model())):
        for operation in model.operation_names:
            request, result = shapes(service, operation)
            assert is_typeddict(request) and is_typeddict(result)


@pytest.mark.parametrize(
    ("service", "handlers"), [("sqs", sqs_provider.HANDLERS), ("sns", sns_provider.HANDLERS)]
)
def test_every_handler_takes_and_answers_its_operations_types(
    service: str, handlers: dict[str, Any]
) -> None:
    """The dispatch table is keyed by name, so mypy cannot pair a handler with its operation."""
    model = loader.sqs_json_model() if service == "sqs" else loader.sns_model()
    assert set(handlers) == set(model.operation_names)
    for operation, handler in handlers.items():
        hints = get_type_hints(handler)
        assert (hints["p"], hints["return"]) == shapes(service, operation), operation


def test_the_query_overlay_keeps_sqs_member_names_and_types() -> None:
    """The generator reads SQS's JSON model; the Query decoder the overlaid one: same shapes."""
    query = loader.sqs_query_model()
    json = loader.sqs_json_model()
    for name in json.shape_names:
        json_shape, query_shape = json.shape_for(name), query.shape_for(name)
        assert query_shape.type_name == json_shape.type_name
        json_members = getattr(json_shape, "members", {})
        query_members = getattr(query_shape, "members", {})
        assert {k: m.name for k, m in query_members.items()} == {
            k: m.name for k, m in json_members.items()
        }


# --- the generator ---


def test_the_committed_modules_are_what_botocore_produces() -> None:
    assert generate.stale() == []
    assert generate.main(["--check"]) == 0


def test_check_fails_on_a_modified_copy_and_regenerating_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("sqs.py", "sns.py"):
        shutil.copy(generate.API_DIR / name, tmp_path / name)
    edited = tmp_path / "sqs.py"
    text = edited.read_text("utf-8")
    edited.write_text(text.replace("    QueueName: str\n", "    QueueName: int\n", 1), "utf-8")

    assert generate.stale(tmp_path) == ["sqs.py"]
    assert generate.main(["--check"], tmp_path) == 1
    err = capsys.readouterr().err
    assert "sqs.py differ" in err and "python -m densho.api.generate" in err
    assert "-    QueueName: int" in err and "+    QueueName: str" in err

    assert generate.main([], tmp_path) == 0
    assert generate.stale(tmp_path) == []
    assert edited.read_text("utf-8") == text


def test_check_fails_when_a_module_is_missing(tmp_path: Path) -> None:
    shutil.copy(generate.API_DIR / "sns.py", tmp_path / "sns.py")
    assert generate.stale(tmp_path) == ["sqs.py"]
