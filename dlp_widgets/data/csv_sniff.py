"""What the head of a CSV file tells before it is parsed: its encoding (UTF-8 with or without
a byte order mark, else Latin-1; UTF-16 is refused) and its delimiter (comma, semicolon, tab
or pipe). Separate because both are guesses from a sample, made once, that everything after
them (the first record, the header, the parse) depends on."""

from __future__ import annotations

import csv

from .errors import DataError

SNIFF_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
