"""``dlp.docs("Conv2d")``: a layer's wiki page as rich notebook output, with a small picture
drawn by our own code (activation curves, a sliding window). ``dlp.docs()`` lists the layers
and the glossary."""

from __future__ import annotations

import base64
import html
import math
from typing import Any

from .spec import CATALOGUE
from .spec.catalogue import STARTING_VALUES
from .spec.wiki import GLOSSARY, MISTAKES, worked_example

_CURVES = {
    "ReLU": lambda x: max(0.0, x),
    "LeakyReLU": lambda x: x if x >= 0 else 0.1 * x,  # slope exaggerated so it shows
    "ELU": lambda x: x if x > 0 else math.exp(x) - 1,
    "GELU": lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2))),
    "SiLU": lambda x: x / (1 + math.exp(-x)),
    "Tanh": math.tanh,
    "Sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "ReLU6": lambda x: min(max(0.0, x), 6.0),
    "Hardswish": lambda x: x * min(max(x + 3, 0.0), 6.0) / 6,
    "Hardsigmoid": lambda x: min(max(x / 6 + 0.5, 0.0), 1.0),
    "Mish": lambda x: x * math.tanh(math.log1p(math.exp(x))),
}


def _svg_curve(fn: Any) -> str:
    w, h, lo, hi = 160, 110, -4.0, 4.0
    xs = [lo + (hi - lo) * i / 80 for i in range(81)]
    ys = [fn(x) for x in xs]
    ymin, ymax = min(min(ys), -1.0), max(max(ys), 1.0)

    def px(x: float, y: float) -> str:
        return f"{(x - lo) / (hi - lo) * w:.1f},{h - (y - ymin) / (ymax - ymin) * h:.1f}"

    axis = (
        f"<line x1='0' y1='{h - (0 - ymin) / (ymax - ymin) * h:.1f}' x2='{w}' y2='{h - (0 - ymin) / (ymax - ymin) * h:.1f}' stroke='#bbb'/>"
        f"<line x1='{w / 2}' y1='0' x2='{w / 2}' y2='{h}' stroke='#bbb'/>"
    )
    line = (
        "<polyline fill='none' stroke='#1976d2' stroke-width='2' points='"
        + " ".join(px(x, y) for x, y in zip(xs, ys, strict=True))
        + "'/>"
    )
    return f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}'>{axis}{line}</svg>"


def _svg_window(kernel: int = 3, size: int = 6, label: str = "") -> str:
    cell = 18
    w = size * cell
    cells = "".join(
        f"<rect x='{c * cell}' y='{r * cell}' width='{cell}' height='{cell}' fill='#fff' stroke='#bbb'/>"
        for r in range(size)
        for c in range(size)
    )
    window = f"<rect x='{cell}' y='{cell}' width='{kernel * cell}' height='{kernel * cell}' fill='#1976d2' fill-opacity='0.3' stroke='#1976d2' stroke-width='2'/>"
    text = f"<text x='0' y='{w + 14}' font-size='11' fill='#555'>{html.escape(label)}</text>"
    return f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{w + 18}' viewBox='0 0 {w} {w + 18}'>{cells}{window}{text}</svg>"


def picture(name: str) -> str | None:
    """A data URL of a small SVG for the layer, or None where a picture would not help."""
    if name in _CURVES:
        svg = _svg_curve(_CURVES[name])
    elif name == "Conv2d":
        svg = _svg_window(3, 6, "a 3×3 filter slides over the image")
    elif name in ("MaxPool2d", "AvgPool2d"):
        svg = _svg_window(2, 6, "each 2×2 window becomes one value")
    else:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def page(name: str) -> dict[str, Any]:
    """Every section of a layer's page, as plain data."""
    entry = CATALOGUE.get(name)
    if entry is None:
        raise KeyError(f"no layer {name!r}; layers: {', '.join(CATALOGUE)}")
    return {
        "name": name,
        "category": entry.category,
        "summary": entry.summary,
        "formula": entry.formula,
        "shape_rule": entry.shape_rule,
        "example": worked_example(name)["text"],
        "when": entry.when,
        "mistakes": MISTAKES[name],
        "picture": picture(name),
        "params": [(p.name, p.help, _default_words(entry.name, p)) for p in entry.params],
    }


def _default_words(layer: str, p: Any) -> str:
    """How a parameter's default reads on its page: torch's own, or that a spec must give it
    (and what the palette starts with)."""
    if p.required:
        start = STARTING_VALUES.get(layer, {}).get(p.name)
        return "required: torch has no default" + (f"; the palette starts at {start!r}" if start is not None else "")
    return f"default {p.default!r}"


class DocPage:
    def __init__(self, name: str | None) -> None:
        self.name = name

    def _repr_html_(self) -> str:
        if self.name is None:
            layers = ", ".join(f"<code>{n}</code>" for n in CATALOGUE)
            terms = "".join(f"<dt><b>{html.escape(k)}</b></dt><dd>{html.escape(v)}</dd>" for k, v in GLOSSARY.items())
            return f"<div class='dlp-docs'><h3>Layers</h3><p>{layers}</p><h3>Training parameters</h3><dl>{terms}</dl></div>"
        p = page(self.name)
        params = "".join(
            f"<li><code>{html.escape(n)}</code> ({html.escape(d)}): {html.escape(h)}</li>" for n, h, d in p["params"]
        )
        pic = (
            f"<img src='{p['picture']}' alt='picture of {html.escape(p['name'])}' style='float:right;margin-left:1em'>"
            if p["picture"]
            else ""
        )
        sections = [
            ("Formula", f"<code>{html.escape(p['formula'])}</code>"),
            ("Shape", html.escape(p["shape_rule"])),
            ("Worked example", html.escape(p["example"])),
            ("When to use it", html.escape(p["when"])),
            ("Common mistakes", html.escape(p["mistakes"])),
            ("Parameters", f"<ul>{params}</ul>" if params else "none"),
        ]
        body = "".join(f"<h4>{k}</h4><p>{v}</p>" for k, v in sections)
        return f"<div class='dlp-docs'>{pic}<h3>{html.escape(p['name'])} <small>({p['category']})</small></h3><p>{html.escape(p['summary'])}</p>{body}</div>"

    def __str__(self) -> str:
        if self.name is None:
            return "Layers: " + ", ".join(CATALOGUE) + "\n\n" + "\n".join(f"{k}: {v}" for k, v in GLOSSARY.items())
        p = page(self.name)
        return "\n\n".join(
            [
                f"{p['name']} ({p['category']})",
                p["summary"],
                "Formula: " + p["formula"],
                "Shape: " + p["shape_rule"],
                "Example: " + p["example"],
                "When to use it: " + p["when"],
                "Common mistakes: " + p["mistakes"],
            ]
        )

    __repr__ = __str__


def docs(name: str | None = None) -> DocPage:
    """A layer's page (``docs("Conv2d")``), or the list of layers and the glossary."""
    if name is not None and name not in CATALOGUE:
        raise KeyError(f"no layer {name!r}; layers: {', '.join(CATALOGUE)}")
    return DocPage(name)
