"""Reading CSV text the way a person means it: delimiter and encoding detected, quoted
fields respected, and every failure turned into a message that names the file and line."""

from __future__ import annotations

import csv
import io
import re
import stat
import warnings
from pathlib import Path

import pandas as pd

from .errors import DataError

SNIFF_BYTES = 64 * 1024
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
    """Parse CSV given as bytes or a path. ``name`` is how messages refer to it."""
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
    _check_header(text_head, delimiter, name)
    source = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        frame = _read(source, delimiter, encoding)
    except UnicodeDecodeError:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        frame = _read(source, delimiter, "latin-1")
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty", source=name) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise _parse_error(exc, name, delimiter) from None
    if frame.shape[1] == 0:
        raise DataError(f"{name} has no columns", source=name)
    if len(frame) == 0:
        raise DataError(f"{name} has a header ({', '.join(map(str, frame.columns[:8]))}) but no data rows", source=name)
    frame.attrs["csv"] = {"delimiter": _DELIMITER_NAMES.get(delimiter, delimiter), "encoding": encoding}
    return frame


def _check_header(text: str, delimiter: str, name: str) -> None:
    """Refuse a header that names a column twice: pandas would quietly rename the second
    one ``a.1`` and the table would train on a column nobody named."""
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter), [])
    first: dict[str, int] = {}
    for position, raw in enumerate(header, start=1):
        column = raw.strip()
        if not column:
            continue  # unnamed columns get pandas' "Unnamed: N", which cannot collide
        if column in first:
            raise DataError(
                f'{name}: the header names column "{column}" twice (columns {first[column]} and {position}); '
                "rename one of them",
                column=column,
                source=name,
            )
        first[column] = position


def _read(source: Path | io.BytesIO, delimiter: str, encoding: str) -> pd.DataFrame:
    # The C engine: on a 2-core machine it parsed a 151 MB file in half the time of the
    # pyarrow engine (benchmarks/csv_to_tensors.py), and it reports the line of a problem.
    # (low_memory=False would avoid mixed-type chunks but tripled the time; mixed columns
    # are sorted out by the column-kind detection instead)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        frame = pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _parse_error(exc: Exception, name: str, delimiter: str) -> DataError:
    text = str(exc)
    fields = _FIELDS.search(text)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return DataError(
            f"{name}, line {line}: expected {expected} fields like the header, found {saw} "
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
