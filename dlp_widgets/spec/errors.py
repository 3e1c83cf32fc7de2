"""The one error type of the spec layer: what went wrong and exactly where."""

from __future__ import annotations

from typing import Any

from ..errors import DLPError


class SpecError(DLPError):
    """A spec (or part of one) is invalid.

    ``layer`` is the 0-based index into ``model.layers`` (``None`` when the problem is not
    in a layer); in a graph (spec version 2), ``node`` is the id of the node instead; ``param`` names the offending parameter or key; ``path`` is the JSON path
    to the value (``model.layers[3].params.out_features``). Messages count layer positions
    from 1, as people do.
    """

    def __init__(
        self,
        message: str,
        *,
        layer: int | None = None,
        param: str | None = None,
        path: str | None = None,
        node: str | None = None,
    ) -> None:
        super().__init__(message)
        self.layer = layer
        self.node = node
        self.param = param
        self.path = path

    kind = "spec"

    def where(self) -> dict[str, Any]:
        if self.node is not None:
            return {"node": self.node, "param": self.param, "path": self.path}
        return {"layer": self.layer, "param": self.param, "path": self.path}

    def __repr__(self) -> str:
        place = f"node={self.node!r}" if self.node is not None else f"layer={self.layer!r}"
        return f"SpecError({self.message!r}, {place}, param={self.param!r})"
