"""Random requests for every operation of SQS (JSON and Query) and SNS (Query), from botocore's
models: mostly well-shaped, then mutated where parsers break — huge and non-ASCII numbers, odd
list indexes, invalid UTF-8, characters XML forbids, deep nesting, wrong types, junk keys.

Owns: generating a request (path, headers, body) from a seed; nothing here sends it. Serializing
the well-shaped part is botocore's own serializer's job, as in any SDK.
Must not know: densho's code (the fuzzer is an ordinary, hostile client).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.model import ServiceModel, Shape
from botocore.serialize import create_serializer

# Values that have broken parsers somewhere: numbers past every integer type (5,000 digits is
# past Python's int() limit), digits that are not ASCII, characters XML 1.0 cannot carry, NUL,
# unpaired surrogates' UTF-8, very long text.
NASTY_TEXT: tuple[str, ...] = (
    "",
    " ",
    "9" * 5000,
    "-" + "9" * 40,
    "99999999999999999999",
    "2147483648",
    "-1",
    "0",
    "1.5",
    "1e400",
    "NaN",
    "Infinity",
    "\u0661\u0662",  # Arabic-Indic digits
    "²",  # a superscript: str.isdigit() says yes, int() says no
    "\uff11\uff12",  # full-width digits
    "\x00",
    "a\x00b",
    "\x01\x1f",
    "\ufffe",
    "\uffff",
    "\U0001f4a5",
    "<x>&amp;</x>",
    "]]>",
    "%",
    "%00",
    "../../etc/passwd",
    "true",
    "null",
    "{}",
    "[]",
    '{"a":',
    "arn:aws:sqs:us-east-1:000000000000:x",
    "arn:aws:sns:us-east-1:000000000000:x:y",
    "arn:aws:sns:us-east-1:" + "\u0661" * 12 + ":x",
    "arn:",
    "http://127.0.0.1/000000000000/x",
    "A" * 70_000,
)
# Index segments of Query keys (Attribute.N.Name): the model says 1, 2, 3 ...
NASTY_INDEXES: tuple[str, ...] = (
    "0",
    "-1",
    "²",
    "\u0661",  # Arabic-Indic one
    "\uff11",  # full-width one
    "99999999999999999999",
    "9" * 5000,
    "1.5",
    "",
    "x",
    "01",
    "+1",
    " 1",
)
# JSON values of every type, for a member of any type.
NASTY_JSON: tuple[str, ...] = (
    "null",
    "true",
    "0",
    "-0",
    "1e400",
    "-1e400",
    "9" * 5000,
    "1.5",
    '""',
    '"9"',
    "[]",
    "{}",
    '[{"a": []}]',
    '"\\u0000"',
    '"\\ud800"',
    '"\\uffff"',
    "[" * 600 + "]" * 600,
    '{"a":' * 600 + "1" + "}" * 600,
)
# Whole bodies no parser should choke on.
RAW_BODIES: tuple[bytes, ...] = (
    b"",
    b"\xff\xfe\xfd",
    b"{",
    b"[1,2",
    b'{"QueueUrl": "\xff"}',
    b"\x00" * 64,
    b"Action=%FF%FE&Version=%C0%AF",
    b"=&=&&==",
    b"a" * 10_000 + b"=" + b"b" * 10,
)


@dataclass(frozen=True, slots=True)
class Request:
    """One request to send: the body and headers as bytes and text, and what it was made from."""

    operation: str
    headers: dict[str, str]
    body: bytes
    note: str  # what was mutated, for the failure message


class Generator:
    """Makes requests for one service model and wire protocol ("json" or "query")."""

    def __init__(self, model: ServiceModel, protocol: str, endpoint: str) -> None:
        self.model = model
        self.protocol = protocol
        self.endpoint = endpoint
        self._serializer = create_serializer(protocol, include_validation=False)

    @property
    def operations(self) -> list[str]:
        return list(self.model.operation_names)

    def request(self, operation: str, rnd: random.Random) -> Request:
        op = self.model.operation_model(operation)
        params = self._value(op.input_shape, rnd, 0) if op.input_shape is not None else {}
        serialized = self._serializer.serialize_to_request(params, op)
        headers = {k: str(v) for k, v in serialized["headers"].items()}
        if self.protocol == "json":
            body, note = self._mutate_json(serialized["body"], rnd)
        else:
            body, note = self._mutate_query(serialized["body"], rnd)
        if rnd.random() < 0.03:
            body, note = rnd.choice(RAW_BODIES), "raw body"
        return Request(operation, headers, body, note)

    # -- well-shaped values -------------------------------------------------------------------

    def _value(self, shape: Shape, rnd: random.Random, depth: int) -> Any:
        kind = shape.type_name
        if kind == "structure":
            out = {}
            required = set(shape.required_members)
            for name, member in shape.members.items():
                if name in required or rnd.random() < 0.5:
                    out[name] = self._value(member, rnd, depth + 1)
            return out
        if kind == "list":
            count = 0 if depth > 4 else rnd.choice((0, 1, 1, 2, 3))
            return [self._value(shape.member, rnd, depth + 1) for _ in range(count)]
        if kind == "map":
            count = 0 if depth > 4 else rnd.choice((0, 1, 2))
            return {
                self._value(shape.key, rnd, depth + 1): self._value(shape.value, rnd, depth + 1)
                for _ in range(count)
            }
        if kind in ("integer", "long"):
            return rnd.choice((0, 1, 5, 10, 30, 60, 300, 900, 43200, -1, 2**31))
        if kind == "boolean":
            return rnd.random() < 0.5
        if kind == "blob":
            return rnd.randbytes(rnd.choice((0, 1, 16, 300)))
        if kind == "timestamp":
            return rnd.choice((0, 1_700_000_000))
        if kind in ("float", "double"):
            return rnd.choice((0.0, 1.5, -3.25))
        return self._text(shape, rnd)

    def _text(self, shape: Shape, rnd: random.Random) -> str:
        enum = getattr(shape, "enum", None) or []
        if enum and rnd.random() < 0.7:
            return str(rnd.choice(enum))
        name = shape.name.lower()
        word = "".join(rnd.choices(string.ascii_lowercase + string.digits + "-_", k=8))
        if "url" in name:
            return f"{self.endpoint}/000000000000/fz-{word}"
        if "arn" in name or "endpoint" in name:
            service = rnd.choice(("sqs", "sns"))
            return f"arn:aws:{service}:us-east-1:000000000000:fz-{word}"
        return rnd.choice((word, f"fz-{word}", "String", "Number", "All", "1", "{}"))

    # -- mutations ----------------------------------------------------------------------------

    def _mutate_query(self, form: dict[str, Any], rnd: random.Random) -> tuple[bytes, str]:
        pairs = [(str(k), str(v)) for k, v in form.items()]
        notes = []
        for _ in range(rnd.choice((0, 1, 1, 2, 3))):
            roll = rnd.random()
            if roll < 0.35 and pairs:
                i = rnd.randrange(len(pairs))
                pairs[i] = (pairs[i][0], rnd.choice(NASTY_TEXT))
                notes.append(f"value of {pairs[i][0]}")
            elif roll < 0.6 and any(_has_index(k) for k, _ in pairs):
                indexed = [i for i, (k, _) in enumerate(pairs) if _has_index(k)]
                i = rnd.choice(indexed)
                key = _replace_index(pairs[i][0], rnd.choice(NASTY_INDEXES), rnd)
                pairs[i] = (key, pairs[i][1])
                notes.append(f"index {key[:60]!r}")
            elif roll < 0.7:
                depth = rnd.choice((3, 50, 2000))
                key = "Attribute" + ".1.Name" * depth
                pairs.append((key, "x"))
                notes.append(f"nesting {depth}")
            elif roll < 0.8 and pairs:
                dropped = pairs.pop(rnd.randrange(len(pairs)))
                notes.append(f"dropped {dropped[0]}")
            elif roll < 0.9 and pairs:
                key, value = rnd.choice(pairs)
                pairs.append((key, value + "x"))
                notes.append(f"repeated {key}")
            else:
                pairs.append((rnd.choice(("Junk", "Attribute", "Tag.1", ".", "a..b")), "1"))
                notes.append("junk key")
        encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        if rnd.random() < 0.05:  # bytes that are no UTF-8 at all
            encoded += "&MessageBody=%FF%FE%ED%A0%80"
            notes.append("invalid UTF-8")
        return encoded.encode(), ", ".join(notes) or "none"

    def _mutate_json(self, body: bytes, rnd: random.Random) -> tuple[bytes, str]:
        tree = json.loads(body or b"{}")
        notes = []
        raw: dict[str, str] = {}  # placeholder -> JSON text json.dumps cannot write
        for n in range(rnd.choice((0, 1, 1, 2, 3))):
            paths = list(_paths(tree))
            if not paths:
                break
            path = rnd.choice(paths)
            roll = rnd.random()
            if roll < 0.5:
                marker = f"@@raw{n}@@"
                raw[f'"{marker}"'] = rnd.choice(NASTY_JSON)
                _set(tree, path, marker)
                notes.append(
                    f"{'/'.join(map(str, path))} = {raw[f'{chr(34)}{marker}{chr(34)}'][:40]}"
                )
            else:
                _set(tree, path, rnd.choice(NASTY_TEXT))
                notes.append(f"text at {'/'.join(map(str, path))}")
        text = json.dumps(tree)
        for marker, value in raw.items():
            text = text.replace(marker, value)
        return text.encode("utf-8", "surrogatepass"), ", ".join(notes) or "none"


def _has_index(key: str) -> bool:
    return any(part.isdigit() for part in key.split("."))


def _replace_index(key: str, index: str, rnd: random.Random) -> str:
    parts = key.split(".")
    positions = [i for i, part in enumerate(parts) if part.isdigit()]
    parts[rnd.choice(positions)] = index
    return ".".join(parts)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*prefix, key))
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(value, (*prefix, i)))
    return out


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def error_codes(model: ServiceModel) -> set[str]:
    """The error codes a service may answer: its modelled errors (by shape name and by the
    Query code the model gives them) and AWS's common errors."""
    codes = set(COMMON_ERRORS)
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception"):
            codes.add(name)
            error = shape.metadata.get("error") or {}
            if error.get("code"):
                codes.add(str(error["code"]))
    return codes


# AWS's common errors (the Common Errors page of each API reference) and the JSON protocol's.
COMMON_ERRORS = (
    "AccessDenied",
    "AccessDeniedException",
    "IncompleteSignature",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidParameterCombination",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameter",
    "InvalidQueryParameter",
    "MalformedQueryString",
    "MissingAction",
    "MissingAuthenticationToken",
    "MissingParameter",
    "MissingRequiredParameterException",
    "MalformedInput",
    "NotAuthorized",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "ValidationError",
    "ValidationException",
    "SerializationException",
    "UnknownOperationException",
    "RequestEntityTooLarge",
)
