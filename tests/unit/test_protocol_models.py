"""The sqs-query overlay: adds Query traits only, leaves the JSON model alone, uses AWS's names."""

from __future__ import annotations

from typing import Any

import pytest

from densho.protocol import loader, quirks

STRIP = {"locationName", "flattened", "resultWrapper", "error", "documentation"}


def _without_query_traits(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_query_traits(v) for k, v in value.items() if k not in STRIP}
    if isinstance(value, list):
        return [_without_query_traits(v) for v in value]
    return value


def test_overlay_adds_only_query_traits() -> None:
    json_model = loader._botocore_model("sqs", loader.SQS_API_VERSION)
    query_model = loader.sqs_query_model_dict()
    for part in ("operations", "shapes"):
        assert _without_query_traits(query_model[part]) == _without_query_traits(json_model[part])
    assert query_model["metadata"]["protocol"] == "query"
    assert query_model["metadata"]["xmlNamespace"] == "http://queue.amazonaws.com/doc/2012-11-05/"
    assert "awsQueryCompatible" not in query_model["metadata"]


def test_json_model_is_untouched() -> None:
    loader.sqs_query_model_dict()
    text = repr(loader._botocore_model("sqs", loader.SQS_API_VERSION))
    assert "locationName" not in text and "resultWrapper" not in text
    assert loader.sqs_json_model().protocol == "json"


def test_every_operation_with_output_has_a_result_wrapper() -> None:
    model = loader.sqs_query_model()
    for name in model.operation_names:
        output = model.operation_model(name).output_shape
        if output is not None:
            assert output.serialization["resultWrapper"] == f"{name}Result"


@pytest.mark.parametrize(
    ("shape", "member", "wire"),
    [
        ("CreateQueueRequest", "Attributes", "Attribute"),
        ("CreateQueueRequest", "tags", "Tag"),
        ("TagQueueRequest", "Tags", "Tag"),
        ("ListQueueTagsResult", "Tags", "Tag"),
        ("SendMessageRequest", "MessageAttributes", "MessageAttribute"),
        ("SendMessageRequest", "MessageSystemAttributes", "MessageSystemAttribute"),
        ("Message", "Attributes", "Attribute"),
        ("GetQueueAttributesResult", "Attributes", "Attribute"),
    ],
)
def test_map_wire_names(shape: str, member: str, wire: str) -> None:
    ref = loader.sqs_query_model().shape_for(shape).members[member]
    assert ref.serialization["name"] == wire
    assert ref.serialization["flattened"] is True


def test_every_flattened_list_names_its_elements() -> None:
    model = loader.sqs_query_model()
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.type_name == "list" and shape.serialization.get("flattened"):
            assert "name" in shape.member.serialization, name


def test_exception_shapes_carry_query_codes() -> None:
    model = loader.sqs_query_model()
    for shape in model.error_shapes:
        code, status = quirks.SQS_MODELED_ERRORS[shape.name]
        assert shape.metadata["error"] == {
            "code": code,
            "httpStatusCode": status,
            "senderFault": True,
        }


def test_quirks_cover_every_sqs_error_shape() -> None:
    names = {shape.name for shape in loader.sqs_json_model().error_shapes}
    assert names == set(quirks.SQS_MODELED_ERRORS)


def test_overlay_typos_fail_loudly() -> None:
    base = {"shapes": {"A": {"type": "structure", "members": {"x": {}}}}}
    with pytest.raises(ValueError, match=r"unknown shapes\.B"):
        loader._merge(base["shapes"], {"B": {}}, "shapes", strict=True)
    with pytest.raises(ValueError, match=r"unknown member A\.y"):
        loader._check_members(base, {"shapes": {"A": {"members": {"y": {}}}}})
