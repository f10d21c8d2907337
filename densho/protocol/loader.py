"""Loads the service models the wire layer is generated from.

Owns: reading botocore's SQS (JSON) and SNS (Query) models, and deriving the ``sqs-query`` model by
overlaying ``models/sqs-query.json`` on a deep copy of the SQS JSON model, with the Query error
codes of ``quirks`` written into its exception shapes (so botocore clients map them back).

Must not know: how models are compiled into codecs, or anything about requests.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from . import quirks

SQS_API_VERSION = "2012-11-05"
SNS_API_VERSION = "2010-03-31"


@functools.cache
def _botocore_model(service: str, api_version: str) -> dict[str, Any]:
    model: dict[str, Any] = Loader().load_service_model(service, "service-2", api_version)
    return model


def _merge(base: dict[str, Any], overlay: dict[str, Any], where: str, strict: bool) -> None:
    """Merge ``overlay`` into ``base`` in place: dicts recurse, ``None`` deletes, others replace.

    ``strict`` refuses keys the base lacks, so a typo in the overlay fails loudly at start-up
    instead of silently adding an unused shape.
    """
    for key, value in overlay.items():
        if key.startswith("_"):
            continue
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, f"{where}.{key}", strict=False)
        elif strict and key not in base:
            raise ValueError(f"sqs-query overlay names unknown {where}.{key}")
        else:
            base[key] = copy.deepcopy(value)


def _check_members(model: dict[str, Any], overlay: dict[str, Any]) -> None:
    for shape_name, shape in overlay.get("shapes", {}).items():
        base_members = model["shapes"][shape_name].get("members", {})
        for member in shape.get("members", {}):
            if member not in base_members:
                raise ValueError(f"sqs-query overlay names unknown member {shape_name}.{member}")


@functools.cache
def sqs_query_model_dict() -> dict[str, Any]:
    """The SQS model in Query form, as botocore's ``service-2.json`` dict (a private copy)."""
    model = copy.deepcopy(_botocore_model("sqs", SQS_API_VERSION))
    text = resources.files("densho.protocol").joinpath("models/sqs-query.json").read_text("utf-8")
    overlay: dict[str, Any] = json.loads(text)
    _check_members(model, overlay)
    _merge(model["metadata"], overlay.get("metadata", {}), "metadata", strict=False)
    _merge(model["operations"], overlay.get("operations", {}), "operations", strict=True)
    _merge(model["shapes"], overlay.get("shapes", {}), "shapes", strict=True)
    for name, shape in model["shapes"].items():
        if shape.get("exception") and name in quirks.SQS_MODELED_ERRORS:
            code, status = quirks.SQS_MODELED_ERRORS[name]
            shape["error"] = {"code": code, "httpStatusCode": status, "senderFault": True}
    return model


def sqs_json_model() -> ServiceModel:
    return ServiceModel(_botocore_model("sqs", SQS_API_VERSION), service_name="sqs")


def sqs_query_model() -> ServiceModel:
    # ServiceModel does not copy; hand it a copy so callers of sqs_query_model_dict stay unaffected.
    return ServiceModel(copy.deepcopy(sqs_query_model_dict()), service_name="sqs")


def sns_model() -> ServiceModel:
    return ServiceModel(_botocore_model("sns", SNS_API_VERSION), service_name="sns")
