"""Reading CSV text the way a person means it: delimiter and encoding detected, quoted
fields respected, a file without a header row recognised, column names compared as they
are shown, and every failure turned into a message that names the file and line."""

from __future__ import annotations

import csv
import io
import re
import stat
import warnings
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .columns import clean_text, invisible_difference
from .errors import DataError

SNIFF_BYTES = 64 * 1024
# No model here uses more inputs, and pandas needs minutes and gigabytes to find out what
# a header of millions of names holds: it is refused after counting, before parsing.
MAX_COLUMNS = 10_000
# 10,000 names of a hundred characters: a first row longer than this is no header.
MAX_HEADER_BYTES = 1 << 20
# Rows after the first that decide whether the first row is a header (first_row_is_data).
SAMPLE_ROWS = 50
DELIMITERS = [",", ";", "\t", "|"]
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def detect_encoding(head: bytes) -> str:
    """UTF-8 with BOM, UTF-8, or Latin-1 (which decodes any byte, so it is the fallback)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("the file is UTF-16 encoded; save it as UTF-8 CSV")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "latin-1"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    # Sniffer gives up on some files (one column, many quotes): count fields per line.
    best, best_score = ",", -1
    for delim in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts)
        if score > best_score:
            best, best_score = delim, score
    return best


_LINE = re.compile(r"line (\d+)")
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv_bytes(data: bytes | Path, name: str) -> pd.DataFrame:
    """Parse CSV given as bytes or a path. ``name`` is how messages refer to it.

    The first row is counted before pandas parses anything (at most ``MAX_COLUMNS``
    fields and ``MAX_HEADER_BYTES``). When it looks like data (``first_row_is_data``) the
    columns are named column_1, column_2, ... and ``frame.attrs["csv"]["warnings"]`` says
    so; ``frame.attrs["csv"]["header"]`` tells which. Column names are cleaned
    (``clean_text``), and two that would then be equal are refused."""
    if isinstance(data, Path):
        try:
            info = data.stat()
            # open() on a named pipe waits for a writer, and a device may never end; a
            # folder is opened to get its own message
            readable = stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)
            if readable:
                with open(data, "rb") as fh:
                    head = fh.read(SNIFF_BYTES)
        except FileNotFoundError:
            raise DataError(f"no such file: {data}", source=name) from None
        except IsADirectoryError:
            raise DataError(f"{data} is a folder; use folder:{data} for a folder of images", source=name) from None
        except OSError as exc:
            raise DataError(f"cannot read {data}: {exc.strerror}", source=name) from None
        except ValueError:  # a NUL byte in the path
            raise DataError(f"{str(data)[:80]!r} is not a valid file path", source=name) from None
        if not readable:
            raise DataError(
                f"{data} is not a regular file (it is a named pipe, a device or a socket); "
                "save the data to a file and load that",
                source=name,
            )
        size = info.st_size
    else:
        size, head = len(data), data[:SNIFF_BYTES]
    if size == 0 or not head.strip():
        raise DataError(f"{name} is empty", source=name)
    try:
        encoding = detect_encoding(head)
    except DataError as exc:
        raise DataError(f"{name}: {exc.message}", source=name) from None
    if b"\x00" in head:
        raise DataError(f"{name} is not a text file (it contains binary data); expected CSV", source=name)
    text_head = head.decode(encoding, errors="replace")
    delimiter = detect_delimiter(text_head)
    first = _first_record(data, head, encoding, delimiter, name)
    has_header = not first_row_is_data(first.fields, _rows_after(first, head, size, encoding, delimiter), delimiter)
    if has_header:
        _check_header(first.fields, name)
    names = None if has_header else [f"column_{i}" for i in range(1, len(first.fields) + 1)]
    source = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        frame = _read(source, delimiter, encoding, names)
    except UnicodeDecodeError:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        frame = _read(source, delimiter, "latin-1", names)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty", source=name) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise _parse_error(exc, name, delimiter, has_header) from None
    if frame.shape[1] == 0:
        raise DataError(f"{name} has no columns", source=name)
    if len(frame) == 0:
        raise DataError(f"{name} has a header ({', '.join(map(str, frame.columns[:8]))}) but no data rows", source=name)
    frame.attrs["csv"] = {
        "delimiter": _DELIMITER_NAMES.get(delimiter, delimiter),
        "encoding": encoding,
        "header": has_header,
    }
    if not has_header:
        frame.attrs["csv"]["warnings"] = [_no_header_warning(name, first.fields)]
    return frame


def _check_header(header: list[str], name: str) -> None:
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


def _read(source: Path | io.BytesIO, delimiter: str, encoding: str, names: list[str] | None) -> pd.DataFrame:
    # The C engine: on a 2-core machine it parsed a 151 MB file in half the time of the
    # pyarrow engine (benchmarks/csv_to_tensors.py), and it reports the line of a problem.
    # (low_memory=False would avoid mixed-type chunks but tripled the time; mixed columns
    # are sorted out by the column-kind detection instead)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        if names is None:
            frame = pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c")
        else:
            frame = pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c", header=None, names=names)
    frame.columns = _clean_names(frame.columns)
    return frame


def _clean_names(names: pd.Index | list[str]) -> list[str]:
    """Names as ``clean_text`` shows them; one that is left empty (only invisible
    characters) is called "Unnamed: N" (N from 0), as pandas calls an empty one."""
    return [clean_text(str(c)) or f"Unnamed: {i}" for i, c in enumerate(names)]


def _parse_error(exc: Exception, name: str, delimiter: str, has_header: bool = True) -> DataError:
    text = str(exc)
    fields = _FIELDS.search(text)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return DataError(
            f"{name}, line {line}: expected {expected} fields like the {'header' if has_header else 'first row'}, "
            f"found {saw} "
            f"(delimiter: {_DELIMITER_NAMES.get(delimiter, delimiter)}). A value containing the "
            f"delimiter must be in double quotes.",
            row=line,
            source=name,
        )
    line = _LINE.search(text)
    where = f", line {line.group(1)}" if line else ""
    return DataError(
        f"{name}{where} is not valid CSV: {text.splitlines()[0][:200]}",
        row=int(line.group(1)) if line else None,
        source=name,
    )


# ---------------------------------------------------------------- the first record


@dataclass
class _Record:
    """The first record of a file (a header or a first data row): its fields, and where in
    the file it starts and ends (byte offsets; ``end`` is where its line break is)."""

    fields: list[str]
    start: int
    end: int


_QUOTED = re.compile(rb'"(?:[^"]|"")*"')
_BOM = b"\xef\xbb\xbf"


def _first_record(data: bytes | Path, head: bytes, encoding: str, delimiter: str, name: str) -> _Record:
    """The first record, read past ``head`` when it is longer, a chunk at a time: its
    fields are counted as the chunks come, so a first line of millions of fields, or one
    that never ends, is refused after ``MAX_COLUMNS`` fields or ``MAX_HEADER_BYTES``
    without reading the rest of the file."""
    scan = _RecordScan(delimiter.encode(), start=len(_BOM) if head.startswith(_BOM) else 0)
    with closing(_chunks_after(data, len(head))) as rest:
        chunk, last = head, False
        while True:
            scan.feed(chunk, last)
            if scan.fields > MAX_COLUMNS:
                count = f"{scan.fields:,}" if scan.end is not None else f"more than {MAX_COLUMNS:,}"
                raise DataError(
                    f"{name}: the first row has {count} columns; the playground takes at most {MAX_COLUMNS:,}",
                    source=name,
                )
            if scan.end is not None:
                break
            if len(scan.buffer) > MAX_HEADER_BYTES:
                raise DataError(_endless_first_row(name, scan.in_quotes), source=name)
            chunk = next(rest, b"")
            last = not chunk
    text = bytes(scan.buffer[scan.start : scan.end]).decode(encoding.replace("-sig", ""), errors="replace")
    try:
        fields = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:  # a name over csv's field size limit (128 KiB)
        raise DataError(f"{name}: the first row is not a CSV header ({exc})", source=name) from None
    return _Record(fields, scan.start, scan.end)


def _endless_first_row(name: str, in_quotes: bool) -> str:
    if in_quotes:
        return (
            f'{name}: a double quote (") in the first row is not closed within its first {MAX_HEADER_BYTES:,} bytes; '
            "a quoted value must end with a double quote"
        )
    return (
        f"{name}: the first row is over {MAX_HEADER_BYTES:,} bytes long; a CSV file starts with a header "
        "naming the columns, one line"
    )


def _chunks_after(data: bytes | Path, start: int) -> Iterator[bytes]:
    """The file's bytes from ``start`` on, in chunks, read as they are asked for."""
    if isinstance(data, Path):
        with open(data, "rb") as fh:
            fh.seek(start)
            while chunk := fh.read(SNIFF_BYTES):
                yield chunk
    else:
        for at in range(start, len(data), SNIFF_BYTES):
            yield data[at : at + SNIFF_BYTES]


class _RecordScan:
    """Where the first CSV record in bytes fed to it ends, and how many fields it has, by
    the rules of pandas' reader: leading blank lines are skipped, a field that starts with
    a double quote runs to the closing one (doubled quotes inside), and any other double
    quote is an ordinary character. Needs no decoding: the delimiters, quotes and line
    breaks are single bytes in UTF-8 and Latin-1, never part of another character."""

    def __init__(self, delimiter: bytes, start: int) -> None:
        self.delimiter = delimiter
        self.buffer = bytearray()
        self.start = start  # after the byte order mark, then after leading blank lines
        self.blank_lines_skipped = False
        self.pos = start  # where scanning resumes
        self.at_field_start = True  # or inside an unquoted field (or after a quoted part)
        self.in_quotes = False  # a quoted field waits for its closing quote
        self.fields = 1
        self.end: int | None = None
        self._special = re.compile(b"[" + re.escape(delimiter) + rb"\r\n]")
        self._blank = re.compile(b"(?:[" + re.escape(b" \t".replace(delimiter, b"")) + rb"]*(?:\r\n|\r|\n))*")

    def feed(self, chunk: bytes, last: bool) -> None:
        """Scan ``chunk`` (``last``: nothing follows it); ``end`` is set once known."""
        self.buffer += chunk
        if not self.blank_lines_skipped:
            blank = self._blank.match(self.buffer, self.start)
            if blank.end() == len(self.buffer) and not last:
                return  # the blank lines may go on in the next chunk
            self.start = self.pos = blank.end()
            self.blank_lines_skipped = True
        while self.end is None and self._step(last):
            pass

    def _step(self, last: bool) -> bool:
        """Past one quoted part or up to the next delimiter or line break; False when the
        buffer is used up (``end`` set if ``last``)."""
        buffer, pos = self.buffer, self.pos
        if self.at_field_start and buffer[pos : pos + 1] == b'"':
            quoted = _QUOTED.match(buffer, pos)
            # a quote that ends the buffer may be the first of a doubled one: wait for more
            if quoted is None or (quoted.end() == len(buffer) and not last):
                self.in_quotes = quoted is None
                if last:
                    self.end = len(buffer)
                return False
            self.in_quotes, self.at_field_start, self.pos = False, False, quoted.end()
            return True
        special = self._special.search(buffer, pos)
        if special is None:
            self.at_field_start = self.at_field_start and pos == len(buffer)
            self.pos = len(buffer)
            if last:
                self.end = len(buffer)
            return False
        if buffer[special.start()] in b"\r\n":
            self.end = special.start()
            return False
        self.fields += 1
        self.pos, self.at_field_start = special.end(), True
        return True


# ---------------------------------------------------------------- a first row of data


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


def _rows_after(first: _Record, head: bytes, size: int, encoding: str, delimiter: str) -> list[list[str]]:
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


def _no_header_warning(name: str, first: list[str]) -> str:
    shown = ", ".join(f'"{clean_text(c)}"' for c in first[:5]) + (", …" if len(first) > 5 else "")
    return (
        f"{name} has no header row: its first row ({shown}) looks like data, so it is read as data "
        f"and the columns are named column_1 to column_{len(first)}; if it is meant as a header, give the columns "
        "names that do not look like the values below them"
    )
