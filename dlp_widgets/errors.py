"""The one base of every error the playground raises on purpose: a message a person can act
on, and where the problem is (a layer and parameter, a column and row, a file). Whatever
the layer that refuses, callers catch ``DLPError`` and show ``to_dict()``: one JSON shape
for every refusal, with its ``kind``."""

from __future__ import annotations

from typing import Any


class DLPError(ValueError):
    """A refusal with its reason. ``kind`` says which part refused (spec, data, export,
    store, home, checkpoint); subclasses add where."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def where(self) -> dict[str, Any]:
        """The place of the problem, for ``to_dict`` (subclasses name theirs)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, **self.where()}
