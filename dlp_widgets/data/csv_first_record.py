"""A CSV file's first record (its header, or a first row of data), found in the bytes before
pandas parses anything: where it ends and how many fields it has, by pandas' own quoting
rules, read a chunk at a time so that a first line of millions of fields, or one that never
ends, is refused after ``MAX_COLUMNS`` fields or ``MAX_HEADER_BYTES`` without reading the
rest of the file. Separate because it works on raw bytes, below any decoding or parsing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .csv_sniff import SNIFF_BYTES
from .errors import DataError

# No model here uses more inputs, and pandas needs minutes and gigabytes to find out what
# a header of millions of names holds: it is refused after counting, before parsing.
MAX_COLUMNS = 10_000
# 10,000 names of a hundred characters: a first row longer than this is no header.
MAX_HEADER_BYTES = 1 << 20


@dataclass
class Record:
    """The first record of a file (a header or a first data row): its fields, and where in
    the file it starts and ends (byte offsets; ``end`` is where its line break is)."""

    fields: list[str]
    start: int
    end: int


_QUOTED = re.compile(rb'"(?:[^"]|"")*"')
_BOM = b"\xef\xbb\xbf"


def first_record(data: bytes | Path, head: bytes, encoding: str, delimiter: str, name: str) -> Record:
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
    return Record(fields, scan.start, scan.end)


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
