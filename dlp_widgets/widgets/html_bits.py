"""The small HTML pieces the widgets write into ``W.HTML`` values: errors, warnings, hints
and status badges. Messages come from users' data, files and runs, so each is escaped here,
once, rather than at every place that shows one."""

from __future__ import annotations

import html
from collections.abc import Iterable

ERROR_STYLE = "color:var(--jp-error-color1,#d32f2f)"
# a view that could not draw keeps its place, boxed, so the gap reads as that view's
VIEW_ERROR_BOX = "padding:8px;border:1px dashed currentColor;border-radius:4px"
HINT_STYLE = "opacity:.8"


def element(tag: str, body: str, css_class: str = "", style: str = "", **data: str) -> str:
    """``<tag class style data-*>body</tag>``; ``body`` is HTML already, the attributes are
    escaped. ``data`` keys become ``data-`` attributes (``run_id`` → ``data-run-id``)."""
    attrs = "".join(
        f" {name}='{html.escape(value)}'"
        for name, value in [("class", css_class), ("style", style)]
        + [(f"data-{k.replace('_', '-')}", v) for k, v in data.items()]
        if value
    )
    return f"<{tag}{attrs}>{body}</{tag}>"


def error_html(
    message: str, css_class: str = "dlp-error", *, tag: str = "div", mark: bool = True, style: str = ""
) -> str:
    """``message`` in the theme's error colour, after a ✖ unless ``mark`` is False. ``tag="span"``
    for one inside a line; ``style`` adds to the colour (a margin, a box)."""
    body = ("✖ " if mark else "") + html.escape(message)
    return element(tag, body, css_class, f"{ERROR_STYLE};{style}" if style else ERROR_STYLE)


def view_error_html(message: str) -> str:
    """A chart or panel that failed: its message boxed in its place (class ``dlp-view-error``)."""
    return error_html(message, "dlp-view-error", style=VIEW_ERROR_BOX)


def warning_html(message: str, css_class: str = "dlp-warning") -> str:
    """Something that works but may not do what was meant, after a ⚠."""
    return element("div", "⚠ " + html.escape(message), css_class)


def warnings_html(messages: Iterable[str], css_class: str = "dlp-warning") -> str:
    """One ``warning_html`` line per message; "" for none."""
    return "".join(warning_html(m, css_class) for m in messages)


def hint_html(message: str, css_class: str = "dlp-hint") -> str:
    """A quiet note: nothing is wrong, something is still to do."""
    return element("div", html.escape(message), css_class, HINT_STYLE)


def badge_html(text: str, colour: str, css_class: str = "dlp-badge", **data: str) -> str:
    """``text`` as a small pill in ``colour``, e.g. a run's status."""
    style = f"background:{colour};color:white;padding:2px 8px;border-radius:10px;margin-right:8px"
    return element("span", html.escape(text), css_class, style, **data)
