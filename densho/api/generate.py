"""Writes ``densho/api/sqs.py`` and ``sns.py`` from the installed botocore's service models.

    .venv/bin/python -m densho.api.generate          # rewrite both modules
    .venv/bin/python -m densho.api.generate --check  # exit 1 if either differs (scripts/test)

Owns: the mapping from a botocore shape to the Python type the wire layer really hands providers
and accepts back — the decoders of ``densho.protocol.json_codec`` / ``query_decode`` and the
encoders (orjson, ``xml_encode``): strings ``str``, integers and longs ``int``, booleans ``bool``,
blobs ``bytes``, timestamps ``datetime``, lists ``list``, maps ``dict``, structures TypedDicts
whose required members are required keys (the decoders refuse a request without them) and whose
other members are ``NotRequired`` (absent, never ``None``). Enum strings stay ``str``.
Must not know: ``densho.protocol`` (a layer above); nothing imports this module at run time.

SQS is generated from its JSON model: the Query overlay (``protocol/models/sqs-query.json``) changes
only how members are spelled on the wire, never their names or types.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

API_DIR = Path(__file__).resolve().parent
# service -> (API version, title)
SERVICES = {"sqs": ("2012-11-05", "SQS"), "sns": ("2010-03-31", "SNS")}
_SCALARS = {
    "string": "str",
    "integer": "int",
    "long": "int",
    "boolean": "bool",
    "blob": "bytes",
    "timestamp": "dt.datetime",
    "float": "float",
    "double": "float",
}
_COMMAND = "python -m densho.api.generate"


class _Module:
    """The text of one service's module, built from its botocore model."""

    def __init__(self, service: str) -> None:
        version, self.title = SERVICES[service]
        self.service, self.version = service, version
        model: dict[str, Any] = Loader().load_service_model(service, "service-2", version)
        self.shapes: dict[str, Any] = model["shapes"]
        self.operations: dict[str, Any] = model["operations"]
        self.names: dict[str, str] = {}  # botocore structure shape -> class name
        self.uses_datetime = False

    def _name_top_level(self) -> None:
        for op_name in sorted(self.operations):
            op = self.operations[op_name]
            for key, suffix in (("input", "Request"), ("output", "Result")):
                if key in op:
                    shape = op[key]["shape"]
                    if shape in self.names:
                        raise ValueError(f"{self.service}: {shape} is shared by two operations")
                    self.names[shape] = op_name + suffix

    def _nested(self) -> list[str]:
        """Structure shapes reachable from the operations' members, named as botocore does."""
        found: set[str] = set()
        pending = list(self.names)
        while pending:
            for member in self.shapes[pending.pop()].get("members", {}).values():
                for ref in self._structures_in(member["shape"]):
                    if ref not in self.names and ref not in found:
                        found.add(ref)
                        pending.append(ref)
        taken = set(self.names.values())
        for shape in found:
            if shape in taken:
                raise ValueError(f"{self.service}: shape {shape} collides with an operation type")
            self.names[shape] = shape
        return sorted(found)

    def _structures_in(self, shape_name: str) -> Iterator[str]:
        shape = self.shapes[shape_name]
        if shape["type"] == "structure":
            yield shape_name
        elif shape["type"] == "list":
            yield from self._structures_in(shape["member"]["shape"])
        elif shape["type"] == "map":
            yield from self._structures_in(shape["value"]["shape"])

    def _type(self, shape_name: str) -> str:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            return self.names[shape_name]
        if kind == "list":
            return f"list[{self._type(shape['member']['shape'])}]"
        if kind == "map":
            key, value = self._type(shape["key"]["shape"]), self._type(shape["value"]["shape"])
            return f"dict[{key}, {value}]"
        if kind not in _SCALARS:
            raise ValueError(f"{self.service}: shape {shape_name} has unsupported type {kind}")
        self.uses_datetime |= kind == "timestamp"
        return _SCALARS[kind]

    def _class(self, name: str, shape_name: str | None, doc: str) -> list[str]:
        shape = self.shapes[shape_name] if shape_name else {}
        required = set(shape.get("required", ()))
        # One comment line for what a reader cannot guess (a docstring per class would double
        # the module's length for no reader's benefit).
        lines = ["", "", *([f"# {doc}"] if doc else []), f"class {name}(TypedDict):"]
        for member, ref in shape.get("members", {}).items():
            if not member.isidentifier():
                raise ValueError(f"{self.service}: {shape_name}.{member} is no Python name")
            kind = self._type(ref["shape"])
            lines.append(f"    {member}: {kind if member in required else f'NotRequired[{kind}]'}")
        if lines[-1].startswith("class "):  # no members
            lines.append("    pass")
        return lines

    def render(self) -> str:
        self._name_top_level()
        nested = self._nested()
        body: list[str] = []
        for op_name in sorted(self.operations):
            op = self.operations[op_name]
            request = op.get("input", {}).get("shape")
            result = op.get("output", {}).get("shape")
            for name, shape, side in (
                (f"{op_name}Request", request, "input"),
                (f"{op_name}Result", result, "output"),
            ):
                body += self._class(name, shape, _doc(name, shape, side))
        body += ["", "", "# --- structures the operations' members are made of ---"]
        for shape_name in nested:
            body += self._class(shape_name, shape_name, "")
        head = [
            f'"""{self.title} wire shapes, generated from botocore\'s '
            f"{self.service} {self.version} model.",
            "",
            f"Do not edit: regenerate with ``{_COMMAND}``. scripts/test checks (``--check``)",
            "that this file is what the installed botocore produces; ``densho.api.generate`` says",
            "how each shape maps to a Python type.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
        ]
        if self.uses_datetime:
            head.append("import datetime as dt")
        head.append("from typing import NotRequired, TypedDict")
        return "\n".join(head + body) + "\n"


def _doc(name: str, shape: str | None, side: str) -> str:
    if shape is None:
        return "no output: the handler answers {}" if side == "output" else ""
    operation = name.removesuffix("Request").removesuffix("Result")
    guessable = {operation + "Input", operation + "Request", operation + "Response", name}
    return "" if shape in guessable else f"botocore shape {shape}"


def render(service: str) -> str:
    """The module text for ``service`` ("sqs" or "sns") from the installed botocore."""
    return _Module(service).render()


def stale(directory: Path = API_DIR) -> list[str]:
    """Names of the generated modules in ``directory`` that differ from what botocore produces."""
    out = []
    for service in SERVICES:
        path = directory / f"{service}.py"
        if not path.exists() or path.read_text("utf-8") != render(service):
            out.append(path.name)
    return out


def _report(directory: Path, names: list[str]) -> str:
    lines = [
        f"densho/api: {', '.join(names)} differ from what the installed botocore models produce.",
        f"Run `.venv/bin/{_COMMAND}` and commit the result. Differences:",
    ]
    for name in names:
        path = directory / name
        old = path.read_text("utf-8").splitlines() if path.exists() else []
        new = render(name.removesuffix(".py")).splitlines()
        diff = difflib.unified_diff(old, new, f"committed/{name}", f"generated/{name}", lineterm="")
        lines += list(diff)[:60]
    return "\n".join(lines)


def main(argv: list[str], directory: Path = API_DIR) -> int:
    if argv not in ([], ["--check"]):
        print(f"usage: {_COMMAND} [--check]", file=sys.stderr)
        return 2
    if argv == ["--check"]:
        names = stale(directory)
        if names:
            print(_report(directory, names), file=sys.stderr)
            return 1
        return 0
    for service in SERVICES:
        (directory / f"{service}.py").write_text(render(service), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
