"""Reading CSV text the way a person means it: delimiter and encoding detected, quoted
fields respected, a file without a header row recognised, column names compared as they
are shown, and every failure turned into a message that names the file and line.

This module reads the file (the checks on a path, the parse, the messages for what pandas
cannot parse); the parts live in their own modules: csv_sniff (encoding and delimiter),
csv_first_record (the first record and the column cap) and csv_header (header or data, and
the header's names). What other modules and the tests import from here is re-exported
(``__all__``).
"""

from __future__ import annotations

import io
import re
import stat
import warnings
from pathlib import Path

import pandas as pd

from .columns import clean_text
from .csv_first_record import MAX_COLUMNS, first_record
from .csv_header import check_header, first_row_is_data, no_header_warning, rows_after
from .csv_sniff import DELIMITER_NAMES, SNIFF_BYTES, detect_delimiter, detect_encoding
from .errors import DataError

__all__ = ["MAX_COLUMNS", "first_row_is_data", "read_csv_bytes"]

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
    first = first_record(data, head, encoding, delimiter, name)
    has_header = not first_row_is_data(first.fields, rows_after(first, head, size, encoding, delimiter), delimiter)
    if has_header:
        check_header(first.fields, name)
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
        "delimiter": DELIMITER_NAMES.get(delimiter, delimiter),
        "encoding": encoding,
        "header": has_header,
    }
    if not has_header:
        frame.attrs["csv"]["warnings"] = [no_header_warning(name, first.fields)]
    return frame


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
            f"(delimiter: {DELIMITER_NAMES.get(delimiter, delimiter)}). A value containing the "
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
