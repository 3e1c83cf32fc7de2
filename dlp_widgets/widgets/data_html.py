"""What the data step shows of a data summary, as HTML: the first rows, one line per column
with its role (and why a column is left out), the overview line, and for images a few
thumbnails. The CSS classes and ``data-`` attributes here are the hooks the browser tests
find columns by."""

from __future__ import annotations

import html
from typing import Any

from .html_bits import error_html

MAX_CLASSES_LISTED = 20


def _scrolling(table: str) -> str:
    # a wide table scrolls inside the cell instead of widening the notebook
    return f"<div style='overflow-x:auto;max-width:100%'>{table}</div>"


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def preview_table(records: list[dict[str, Any]], limit: int = 5) -> str:
    """The first ``limit`` rows; "" for none."""
    if not records:
        return ""
    cols = list(records[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td style='white-space:nowrap'>{_cell(r.get(c))}</td>" for c in cols) + "</tr>"
        for r in records[:limit]
    )
    return _scrolling(f"<table class='dlp-preview'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def column_role(column: dict[str, Any]) -> str:
    """target, feature, or why an unused column is unused: left out (unusable as it is) or
    not chosen."""
    if column["role"] != "unused":
        return column["role"]
    return "left out" if not column.get("usable", True) else "not chosen"


def _column_note(column: dict[str, Any]) -> str:
    if column.get("problem"):
        return error_html(column["problem"], "", tag="span")
    if column["role"] == "unused" and not column.get("usable", True):
        # the category cap is changed with its own control, not by choosing the column
        can_force = column.get("switchable") and column.get("reason") != "categories"
        hint = " (choose it in Features to use it anyway)" if can_force else ""
        return html.escape(f"{column.get('note', '')}{hint}")
    return ""


def columns_table(summary: dict[str, Any]) -> str:
    """One row per column: name, kind, missing and distinct counts, role, and its note."""
    rows = "".join(
        f"<tr data-column='{html.escape(c['name'], quote=True)}' data-role='{column_role(c)}'>"
        f"<td>{html.escape(c['name'])}</td><td>{c['kind']}</td><td>{c['missing']:,}</td><td>{c['distinct']:,}</td>"
        f"<td>{column_role(c)}</td><td>{_column_note(c)}</td></tr>"
        for c in summary["columns"]
    )
    return _scrolling(
        "<table class='dlp-columns'><tr><th>column</th><th>kind</th>"
        f"<th>missing</th><th>distinct</th><th>role</th><th></th></tr>{rows}</table>"
    )


def _classes_line(balance: dict[str, int] | None) -> str:
    if not balance:
        return ""
    shown = list(balance.items())[:MAX_CLASSES_LISTED]
    more = f", … ({len(balance) - MAX_CLASSES_LISTED} more)" if len(balance) > MAX_CLASSES_LISTED else ""
    return f"<br>{len(balance)} classes: " + ", ".join(f"{html.escape(k)} ({v})" for k, v in shown) + more


def overview_html(summary: dict[str, Any]) -> str:
    """Rows, task, the classes with their counts, and which columns were left out."""
    left_out = [c["name"] for c in summary["columns"] if c["role"] == "unused" and not c.get("usable", True)]
    note = (
        f"<br><span class='dlp-left-out'>Left out of the features: {html.escape(', '.join(left_out))} "
        "(reasons below)</span>"
        if left_out
        else ""
    )
    classes = _classes_line(summary.get("class_balance"))
    return f"<b>{summary['rows']:,} rows</b>, task <b>{summary['task']}</b>{classes}{note}"


def target_note_html(why: str) -> str:
    """Why this column was guessed as the target, and that the guess wants checking."""
    return f"<span class='dlp-target-note'>guessed: {html.escape(why)} — check it, or pick another</span>"


def image_preview_html(summary: dict[str, Any]) -> str:
    """A few example images with their labels."""
    figures = "".join(
        f"<figure style='display:inline-block;margin:4px'><img src='{e['png']}' width=48>"
        f"<figcaption>{html.escape(e['label'])}</figcaption></figure>"
        for e in summary["examples"]
    )
    return f"<div class='dlp-preview dlp-image-preview'>{figures}</div>"


def image_summary_html(summary: dict[str, Any]) -> str:
    """Count, source, classes, and the image shape against the model's input shape."""
    return (
        f"<div class='dlp-image-summary'>{summary['rows']:,} images of {html.escape(str(summary['source']))} · "
        f"classes {', '.join(map(html.escape, summary['classes']))} · "
        f"image {summary['image_shape']} → model input {summary['input_shape']}</div>"
    )
