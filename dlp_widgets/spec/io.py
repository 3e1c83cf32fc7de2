"""Reading specs from files and JSON text: safely, with errors that say where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .data_section import DataSpec
from .document import Spec
from .errors import SpecError
from .model import ModelSpec
from .shapes import check
from .training import TrainingSpec

MAX_SPEC_BYTES = 10_000_000


def parse_json(text: str | bytes, origin: str = "the spec") -> Any:
    """JSON text to Python values; any failure is a ``SpecError`` naming line and column."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"{origin} is larger than {MAX_SPEC_BYTES:,} bytes")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{origin} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise SpecError(f"{origin} is nested too deeply to be a spec") from None
    except UnicodeDecodeError:
        raise SpecError(f"{origin} is not UTF-8 text") from None
    # after UnicodeDecodeError, itself a ValueError: Python refuses integers of over 4,300 digits
    except ValueError:
        raise SpecError(f"{origin} holds a number with thousands of digits; no spec value is that large") from None


def read_json(path: str | Path) -> Any:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"no such file: {p}") from None
    except IsADirectoryError:
        raise SpecError(f"{p} is a folder, not a spec file") from None
    except OSError as exc:
        raise SpecError(f"cannot read {p}: {exc.strerror}") from None
    return parse_json(data, origin=str(p))


def load_spec(source: Any, *, check_shapes: bool = True) -> Spec:
    """A validated ``Spec`` from a ``Spec``, a ``ModelSpec``, anything with a ``spec`` (a
    ``LayerBuilder``, a ``Playground``), a dict (whose sections may be any of those) or a
    path to a JSON file.

    A dict holding only a model (``input_shape`` and ``layers``) is accepted as a spec with
    default data and training sections.
    """
    source = as_spec_value(source)
    if isinstance(source, Spec):
        spec = source
    else:
        raw = read_json(source) if isinstance(source, (str, Path)) else _plain(as_plain_spec(source))
        if isinstance(raw, dict) and "input_shape" in raw and "model" not in raw:
            raw = {"model": raw}
        spec = Spec.from_dict(raw)
    if check_shapes:
        check(spec.model)
    return spec


def load_model_spec(source: Any) -> ModelSpec:
    source = as_spec_value(source)
    if isinstance(source, Spec):
        source = source.model
    if isinstance(source, ModelSpec):
        check(source)
        return source
    return load_spec(source).model


_SPEC_CLASSES = (Spec, ModelSpec, DataSpec, TrainingSpec)


def as_spec_value(value: Any) -> Any:
    """The spec an object the package hands out stands for: a widget's ``spec`` (a
    ``LayerBuilder``, a ``Playground``); anything else as it is. A method in place of a
    spec (``builder.model`` rather than ``builder.spec``) is refused with the fix."""
    if isinstance(value, (*_SPEC_CLASSES, dict, list, str, Path)) or value is None:
        return value
    owner = getattr(value, "__self__", None)
    if callable(value) and owner is not None and isinstance(getattr(type(owner), "spec", None), property):
        name = getattr(value, "__name__", "method")
        raise SpecError(
            f"{type(owner).__name__}.{name} is a method that builds a torch module, not a spec: "
            f"use the widget's .spec instead of .{name} (e.g. builder.spec)"
        )
    if isinstance(getattr(type(value), "spec", None), property):
        return value.spec  # a widget: its spec, validated by the widget itself
    return value


def as_plain_spec(value: Any, depth: int = 0) -> Any:
    """``value`` with every spec object in it (a ``ModelSpec`` as a spec's model, a widget's
    spec) turned into plain dicts, so that any mix of them validates like JSON."""
    value = as_spec_value(value)
    if isinstance(value, _SPEC_CLASSES):
        return value.to_dict()
    if type(value) is dict and depth < 2:
        return {k: as_plain_spec(v, depth + 1) for k, v in value.items()}
    return value


def _plain(value: Any, depth: int = 0) -> Any:
    """NumPy scalars (an epoch count from ``np.arange``, a rate from ``np.logspace``) as the
    Python numbers a spec holds; everything else is left for validation to judge. NumPy is
    recognised by name so that importing the spec never imports it. A spec is shallow:
    below a few levels values are left as they are (validation refuses such nesting)."""
    if depth > 8:
        return value
    if type(value) is dict:
        return {k: _plain(v, depth + 1) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_plain(v, depth + 1) for v in value)
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value
