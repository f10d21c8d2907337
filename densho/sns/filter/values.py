"""A message as a filter policy sees it: each key path to its list of leaf values.

Owns: turning message attributes (name -> data type, value) or a JSON body into typed leaf values
(``str``, ``float``, ``bool``, ``None``), and which keys count as present.
Must not know: the policy language, the wire, how attributes were sent.

The rules, with the AWS documentation behind each (Amazon SNS Developer Guide):

* Attributes: ``String`` values are strings, ``Number`` values numbers, ``String.Array`` values a
  JSON array whose members keep their JSON types; ``Binary`` attributes are ignored
  (subscription-filter-policy-constraints.html). A custom type suffix (``Number.float``) keeps the
  base type. The docs also show a ``Number.Array`` attribute (numeric-value-matching.html); it is
  read like ``String.Array``.
* ``String`` attribute values are compared as their JSON-escaped text: AWS tells users to
  "double escape" ``"`` and ``\\`` in attribute-based policies or they will not match
  (subscription-filter-policy-constraints.html, "Important").
* Body: the payload must be a JSON object, else nothing matches (message-filtering.html). Keys
  are flattened to dot-joined paths, so ``{"a": {"b": 1}}`` and ``{"a.b": 1}`` both give
  ``a.b`` (AWS behaves so; localstack recorded it against AWS). Arrays contribute each member,
  at any depth, under the array's own path (payload-based filtering of S3 ``Records``).
* A body key with only ``null`` values is absent for ``exists`` ("The key must have a non-null and
  non-empty value", attribute-key-matching.html), though ``[null]`` still matches it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import TypeAlias

import orjson

Value: TypeAlias = str | float | bool | None
View: TypeAlias = dict[str, list[Value]]

_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_ARRAY_TYPES = frozenset({"String.Array", "Number.Array"})


def attribute_view(attributes: Mapping[str, tuple[str, object]], names: Iterable[str]) -> View:
    """The values of the named attributes that filtering sees; absent names are left out."""
    view: View = {}
    for name in names:
        found = attributes.get(name)
        if found is None:
            continue
        data_type, raw = found
        base = data_type.split(".", 1)[0]
        if data_type in _ARRAY_TYPES:
            view[name] = _array_members(raw)
        elif base == "String" and isinstance(raw, str):
            view[name] = [_json_escaped(raw)]
        elif base == "Number" and isinstance(raw, str):
            view[name] = [_number(raw)] if _NUMBER.fullmatch(raw) else []
        # Binary (and anything unknown) is invisible to filters, so the name stays absent.
    return view


def attributes_nonempty(attributes: Mapping[str, tuple[str, object]]) -> bool:
    """Whether any attribute a filter can see is present."""
    return any(not data_type.startswith("Binary") for data_type, _ in attributes.values())


def _json_escaped(text: str) -> str:
    if '"' not in text and "\\" not in text:
        return text
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _number(text: str) -> float:
    try:
        return float(text)
    except OverflowError:  # pragma: no cover - float() of a str saturates to inf
        return math.inf


def _array_members(raw: object) -> list[Value]:
    if not isinstance(raw, str):
        return []
    parsed = load_json(raw)
    members: list[Value] = []
    if isinstance(parsed, list):
        _collect(parsed, members)
    return members


def _collect(items: list[object], into: list[Value]) -> None:
    stack = [items]
    while stack:
        for item in stack.pop():
            if isinstance(item, list):
                stack.append(item)
            elif not isinstance(item, dict):
                into.append(leaf(item))


def leaf(item: object) -> Value:
    """A JSON scalar as a typed value: every number becomes a float (compared numerically)."""
    if item is None or isinstance(item, str | bool | float):
        return item
    if isinstance(item, int):
        try:
            return float(item)
        except OverflowError:
            return math.copysign(math.inf, item)
    return None  # pragma: no cover - JSON has no other scalars


def load_json(text: str) -> object:
    """Parsed JSON, or None when the text is not JSON.

    orjson refuses numbers beyond a double (``1e400``) that the JSON grammar allows; the standard
    library reads those as infinities.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON


def body_view(payload: Mapping[str, object], wanted: frozenset[str], steps: frozenset[str]) -> View:
    """The leaf values at the ``wanted`` paths of a JSON object.

    ``steps`` holds every dot-joined prefix of a wanted path; subtrees off those prefixes are
    skipped unread, so the cost follows the policy, not the payload.
    """
    view: View = {}
    stack: list[tuple[str | None, object]] = [(None, payload)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = key if path is None else f"{path}.{key}"
                if child_path in steps:
                    stack.append((child_path, child))
        elif isinstance(node, list):
            stack.extend((path, item) for item in node)
        elif path is not None and path in wanted:
            view.setdefault(path, []).append(leaf(node))
    return view


def path_steps(wanted: Iterable[str]) -> frozenset[str]:
    """Every prefix of each path that ends at a dot or at the path's end."""
    steps: set[str] = set()
    for path in wanted:
        steps.add(path)
        cut = path.find(".")
        while cut != -1:
            steps.add(path[:cut])
            cut = path.find(".", cut + 1)
    return frozenset(steps)
