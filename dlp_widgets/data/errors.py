"""The data layer's error: what is wrong with the data, and where (column, row, file)."""

from __future__ import annotations

from typing import Any

from ..errors import DLPError


class DataError(DLPError):
    """Bad or unusable data. ``column`` and ``row`` (1-based, as a spreadsheet shows it,
    counting the header as row 1 for CSV files) say where, when known."""

    kind = "data"

    def __init__(
        self, message: str, *, column: str | None = None, row: int | None = None, source: str | None = None
    ) -> None:
        super().__init__(message)
        self.column = column
        self.row = row
        self.source = source

    def where(self) -> dict[str, Any]:
        return {"column": self.column, "row": self.row, "source": self.source}
