"""Whether a CSV file's first row is a header, and whether its names can be used: a file
without a header row (like UCI's ``iris.data``) is recognised from a sample of the rows below
(``first_row_is_data``) and gets named columns with a warning; a header that names a column
twice, or two columns that look the same on screen, is refused. Separate because these are
judgements about the first record, independent of how the file is then parsed."""

from __future__ import annotations

import csv
import io
import re

from .columns import clean_text, invisible_difference
from .csv_first_record import Record
from .errors import DataError

# Rows after the first that decide whether the first row is a header (first_row_is_data).
SAMPLE_ROWS = 50


def check_header(header: list[str], name: str) -> None:
    """Refuse a header that names a column twice: pandas would quietly rename the second
    one ``a.1`` and the table would train on a column nobody named. Names are compared as
    they are shown (``clean_text``): two that differ only in invisible characters or in how
    an accent is written could not be told apart on screen, so they are refused too."""
    first: dict[str, tuple[int, str]] = {}
    for position, raw in enumerate(header, start=1):
        column = clean_text(raw)
        if not column:
            continue  # unnamed columns get pandas' "Unnamed: N", which cannot collide
        if column in first:
            earlier, earlier_raw = first[column]
            if earlier_raw.strip() == raw.strip():
                raise DataError(
                    f'{name}: the header names column "{column}" twice (columns {earlier} and {position}); '
                    "rename one of them",
                    column=column,
                    source=name,
                )
            raise DataError(
                f'{name}: columns {earlier} and {position} are both named "{column}" once invisible differences '
                f"are removed ({invisible_difference(earlier_raw, raw)}); rename one of them",
                column=column,
                source=name,
            )
        first[column] = (position, raw)


# numbers as a data file writes them; a decimal comma where the comma is not the delimiter
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# cells that stand for a missing value, in the first row or below: they say nothing
_MISSING = {"", "?", "-", "--", ".", "na", "n/a", "nan", "null", "none"}


def first_row_is_data(first: list[str], below: list[list[str]], delimiter: str = ",") -> bool:
    """Whether a CSV file's first row is data rather than column names (a file without a
    header, like UCI's ``iris.data``), judged from the rows ``below`` it (a sample).

    The rule, column by column (cells trimmed; empty cells and missing-value markers such
    as "?" or "NA" ignored; a column is numeric when all its cells below are numbers):

    - a word (not a number) in the first row over a numeric column is a name over its
      values: the first row is a header, whatever the other columns say;
    - a number in the first row over a numeric column is a value, unless the first row's
      numbers (over numeric columns) rise strictly from left to right, as names that are
      numbers do (years ``2019,2020,2021``, positions ``1,2,3``, or a single number);
    - a cell of the first row that occurs again in its (non-numeric) column below is a
      value ("Iris-setosa" in a column of species).

    The first row is data when some cell is a value and none is a name over numbers, and
    the rows below have as many fields as it; but a first row of words only that recurs
    whole below is a header repeated in a file joined from several. Otherwise the first
    row is a header, as pandas reads it.

    Limits: a header-less file whose first row holds rising numbers only (``1,2,5``) or
    only words that do not recur in the sample (every column free text) keeps that row as
    its header, as before; a header whose names are all numbers that do not rise
    (``3,1,2``) over numeric columns is read as data, with a warning."""
    rows = [row for row in below if len(row) == len(first)]
    if not rows or len(rows) < 0.9 * len(below):
        return False
    number = _NUMBER if delimiter == "," else _NUMBER_DECIMAL_COMMA
    if first in rows and not any(number.fullmatch(cell.strip()) for cell in first):
        return False
    numbers: list[float] = []  # the first row's numbers over numeric columns
    recurs = False
    for j, cell in enumerate(c.strip() for c in first):
        column = [v for v in (row[j].strip() for row in rows) if v.lower() not in _MISSING]
        if cell.lower() in _MISSING or not column:
            continue
        if all(number.fullmatch(v) for v in column):
            if not number.fullmatch(cell):
                return False  # a name over its numbers
            numbers.append(float(cell.replace(",", ".")))
        elif cell in column:
            recurs = True
    rising = all(a < b for a, b in zip(numbers, numbers[1:], strict=False))
    return recurs or (bool(numbers) and not rising)


def rows_after(first: Record, head: bytes, size: int, encoding: str, delimiter: str) -> list[list[str]]:
    """Up to ``SAMPLE_ROWS`` rows after the first record, from the head of the file (none
    when the first record runs past it); a line cut off by the end of the head is left out."""
    if first.end >= len(head):
        return []
    text = head[first.end :].decode(encoding.replace("-sig", ""), errors="replace")
    if len(head) < size:
        text = text[: text.rfind("\n") + 1]
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in row):  # pandas skips blank lines too
                rows.append(row)
                if len(rows) == SAMPLE_ROWS:
                    break
    except csv.Error:  # a row csv cannot take (a huge field): judged on the rows before it
        pass
    return rows


def no_header_warning(name: str, first: list[str]) -> str:
    shown = ", ".join(f'"{clean_text(c)}"' for c in first[:5]) + (", …" if len(first) > 5 else "")
    return (
        f"{name} has no header row: its first row ({shown}) looks like data, so it is read as data "
        f"and the columns are named column_1 to column_{len(first)}; if it is meant as a header, give the columns "
        "names that do not look like the values below them"
    )
