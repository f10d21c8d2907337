"""What the JSON and Query request decoders share: walking a model's input shapes once.

Owns: the dispatch from a botocore shape's type to the decoder that compiles it, the string
checks of a member (with the enum values AWS accepts beyond the model, from ``quirks``), and which
top-level required strings count as missing when empty, and which required members are left to
the operation.
Must not know: how either protocol spells a value on the wire (the subclasses do).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from . import quirks
from .validate import string_checks

Decoder = Callable[[Any], Any]


class ShapeCompiler(ABC):
    def __init__(self, model: ServiceModel, service: str) -> None:
        self._model = model
        self._service = service

    def _compile(self, shape: Shape, parent: str = "", member: str = "") -> Decoder:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list(shape, parent, member)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(shape)
        if kind == "string":
            extra = quirks.ENUM_EXTRA_VALUES.get((self._service, parent, member))
            values = list(self._model.shape_for(extra).metadata.get("enum", [])) if extra else None
            nul_allowed = member in quirks.NUL_LEFT_TO_PROVIDERS
            return self._string(string_checks(shape, values, nul_allowed))
        return self._scalar(kind, shape)

    def _required(self, shape: StructureShape) -> tuple[str, ...]:
        """The required members the decoder enforces (some are the operation's to judge)."""
        return tuple(
            name
            for name in shape.required_members
            if (self._service, shape.name, name) not in quirks.REQUIRED_LEFT_TO_PROVIDERS
        )

    def _nonempty_required(self, shape: StructureShape, top: bool) -> tuple[str, ...]:
        """Top-level required strings that AWS also refuses when empty (see quirks)."""
        if not top or self._service not in quirks.EMPTY_STRING_IS_MISSING:
            return ()
        return tuple(
            name for name in shape.required_members if shape.members[name].type_name == "string"
        )

    @abstractmethod
    def _structure(self, shape: StructureShape, top: bool = False) -> Callable[[Any], Any]: ...

    @abstractmethod
    def _list(self, shape: ListShape, parent: str, member: str) -> Decoder: ...

    @abstractmethod
    def _map(self, shape: MapShape) -> Decoder: ...

    @abstractmethod
    def _string(self, check: Callable[[Any], None] | None) -> Decoder: ...

    @abstractmethod
    def _scalar(self, kind: str, shape: Shape) -> Decoder:
        """Integers, booleans, blobs, timestamps, floats, and anything else."""
