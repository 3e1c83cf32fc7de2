"""Two-dimensional playground data, as TensorFlow Playground has it, made on the fly and
offline: ``toy:NAME`` with optional ``noise``, ``n``, ``seed`` and derived features, e.g.
``toy:spiral?noise=0.1&n=500`` or ``toy:circle?add=x1_squared,x2_squared``.

Classification sets (two classes, 0 and 1): ``circle``, ``xor``, ``gaussians``, ``spiral``,
``moons``. Regression sets (target ``y``): ``plane``, ``gaussian_bumps``. Points lie in about
[-6, 6] × [-6, 6] in columns ``x1`` and ``x2``; ``noise`` (0 to 1) moves them (or their
target) by up to that share of the plane. The derived features — x₁², x₂², x₁x₂, sin x₁,
sin x₂ — are the ones TensorFlow Playground offers: with them even a model without a hidden
layer can draw a circle."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd

from .errors import DataError

RADIUS = 6.0  # the plane's half width, as in TensorFlow Playground
MAX_POINTS = 100_000

DERIVED: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1_squared": lambda a, b: a * a,
    "x2_squared": lambda a, b: b * b,
    "x1_times_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}

Points = tuple[np.ndarray, np.ndarray, np.ndarray]  # x1, x2, label (or y)


def _circle(n: int, noise: float, rng: np.random.Generator) -> Points:
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * math.pi, n)
    x1, x2 = r * np.sin(angle), r * np.cos(angle)
    x1 = x1 + rng.uniform(-radius, radius, n) * noise
    x2 = x2 + rng.uniform(-radius, radius, n) * noise
    label = (np.hypot(x1, x2) < radius * 0.5).astype(int)  # the class of where the point landed
    return x1, x2, label


def _xor(n: int, noise: float, rng: np.random.Generator) -> Points:
    pad = 0.3  # keep points off the axes, where the class flips
    x1 = rng.uniform(-5, 5, n)
    x2 = rng.uniform(-5, 5, n)
    x1 = x1 + np.where(x1 > 0, pad, -pad)
    x2 = x2 + np.where(x2 > 0, pad, -pad)
    label = (x1 * x2 >= 0).astype(int)
    x1 = x1 + rng.uniform(-5, 5, n) * noise
    x2 = x2 + rng.uniform(-5, 5, n) * noise
    return x1, x2, label


def _gaussians(n: int, noise: float, rng: np.random.Generator) -> Points:
    spread = 0.5 + 3.5 * noise  # TensorFlow Playground's variance from 0.5 to 4
    half = n // 2
    label = np.concatenate([np.ones(half, int), np.zeros(n - half, int)])
    centre = np.where(label == 1, 2.0, -2.0)
    x1 = rng.normal(centre, math.sqrt(spread))
    x2 = rng.normal(centre, math.sqrt(spread))
    return x1, x2, label


def _spiral(n: int, noise: float, rng: np.random.Generator) -> Points:
    half = n // 2
    xs, ys, labels = [], [], []
    for label, delta, count in ((1, 0.0, half), (0, math.pi, n - half)):
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * math.pi + delta
        xs.append(r * np.sin(t) + rng.uniform(-1, 1, count) * noise)
        ys.append(r * np.cos(t) + rng.uniform(-1, 1, count) * noise)
        labels.append(np.full(count, label))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(labels)


def _moons(n: int, noise: float, rng: np.random.Generator) -> Points:
    half = n // 2
    t_out, t_in = rng.uniform(0, math.pi, half), rng.uniform(0, math.pi, n - half)
    x1 = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), 0.5 - np.sin(t_in)])
    label = np.concatenate([np.zeros(half, int), np.ones(n - half, int)])
    # scaled into the plane, then moved by the noise in the plane's units
    x1 = (x1 - 0.5) * 3 + rng.normal(0, 1, n) * noise * 2
    x2 = (x2 - 0.25) * 3 + rng.normal(0, 1, n) * noise * 2
    return x1, x2, label


def _plane(n: int, noise: float, rng: np.random.Generator) -> Points:
    x1 = rng.uniform(-RADIUS, RADIUS, n)
    x2 = rng.uniform(-RADIUS, RADIUS, n)
    y = (x1 + x2) / (2 * RADIUS) + rng.uniform(-1, 1, n) * noise
    return x1, x2, y


BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _gaussian_bumps(n: int, noise: float, rng: np.random.Generator) -> Points:
    x1 = rng.uniform(-RADIUS, RADIUS, n)
    x2 = rng.uniform(-RADIUS, RADIUS, n)
    y = sum(sign * np.exp(-((x1 - cx) ** 2 + (x2 - cy) ** 2) / 2) for cx, cy, sign in BUMPS)
    return x1, x2, y + rng.uniform(-1, 1, n) * noise


@dataclass(frozen=True)
class ToySet:
    name: str
    task: str
    make: Callable[[int, float, np.random.Generator], Points]
    description: str

    @property
    def target(self) -> str:
        return "label" if self.task == "classification" else "y"


TOY_SETS: dict[str, ToySet] = {
    t.name: t
    for t in (
        ToySet("circle", "classification", _circle, "a disc inside a ring"),
        ToySet("xor", "classification", _xor, "the four quadrants, opposite ones alike"),
        ToySet("gaussians", "classification", _gaussians, "two clouds of points"),
        ToySet("spiral", "classification", _spiral, "two arms winding round each other"),
        ToySet("moons", "classification", _moons, "two interleaved half circles"),
        ToySet("plane", "regression", _plane, "a tilted plane"),
        ToySet("gaussian_bumps", "regression", _gaussian_bumps, "six bumps and dips"),
    )
}


@dataclass(frozen=True)
class ToyRequest:
    name: str
    noise: float = 0.0
    n: int = 500
    seed: int = 0
    add: tuple[str, ...] = ()

    @property
    def toy(self) -> ToySet:
        return TOY_SETS[self.name]


def parse_toy(source: str) -> ToyRequest:
    """``toy:NAME?noise=0.1&n=500&seed=0&add=x1_squared,sin_x1`` read and checked; each
    refusal names the part of the source that is wrong."""
    body = source[len("toy:") :]
    name, _, query = body.partition("?")
    if name not in TOY_SETS:
        raise DataError(
            f"unknown toy data set {name!r}; choose one of {', '.join('toy:' + k for k in TOY_SETS)}", source=source
        )
    values: dict = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise DataError(f"{source}: the part after ? must be name=value pairs joined by &", source=source) from None
    for key, text in pairs:
        if key in values:
            raise DataError(f"{source}: {key} is given twice", source=source)
        if key == "noise":
            values[key] = _number(source, key, text, float, 0.0, 1.0)
        elif key == "n":
            values[key] = _number(source, key, text, int, 10, MAX_POINTS)
        elif key == "seed":
            values[key] = _number(source, key, text, int, 0, 2**32 - 1)
        elif key == "add":
            names = tuple(x for x in text.split(",") if x)
            unknown = [x for x in names if x not in DERIVED]
            if unknown or len(set(names)) != len(names):
                raise DataError(
                    f"{source}: add lists derived features from {', '.join(DERIVED)}, each once; not {unknown or names}",
                    source=source,
                )
            values[key] = names
        else:
            raise DataError(
                f"{source}: unknown setting {key!r}; the settings are noise, n, seed and add", source=source
            )
    return ToyRequest(name, **values)


def toy_source(request: ToyRequest) -> str:
    """The source string for ``request``, settings at their defaults left out (so the plain
    set is ``toy:NAME``, as the data step's list of sets has it)."""
    parts = []
    if request.noise:
        parts.append(f"noise={request.noise:g}")
    if request.n != ToyRequest.n:
        parts.append(f"n={request.n}")
    if request.seed != ToyRequest.seed:
        parts.append(f"seed={request.seed}")
    if request.add:
        parts.append("add=" + ",".join(request.add))
    return f"toy:{request.name}" + ("?" + "&".join(parts) if parts else "")


def _number(source: str, key: str, text: str, kind: type, low: float, high: float) -> float | int:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not (low <= value <= high) or (kind is float and not math.isfinite(value)):
        word = "a whole number" if kind is int else "a number"
        raise DataError(f"{source}: {key} must be {word} from {low:g} to {high:g}, not {text!r}", source=source)
    return value


def toy_frame(source: str) -> pd.DataFrame:
    """The table ``source`` names: x1, x2, the derived features asked for, and the target."""
    request = parse_toy(source)
    rng = np.random.default_rng(request.seed)
    x1, x2, target = request.toy.make(request.n, request.noise, rng)
    frame = pd.DataFrame({"x1": x1, "x2": x2})
    for name in request.add:
        frame[name] = DERIVED[name](x1, x2)
    frame[request.toy.target] = target
    return frame
