"""Parameter descriptions and the checks that turn untrusted JSON values into valid ones.

Each layer parameter has a *kind*; the kind decides which JSON values are accepted. The
checks never trust Python's lenient typing: ``True`` is not an integer here, ``NaN`` is not
a float, and a string is never coerced into a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# kind -> what the value may be, in words for error messages
KIND_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "choice": "one of the listed choices",
    "size2": "a whole number or a pair [height, width]",
    "padding": 'a whole number, a pair [height, width], "same" or "valid"',
    "opt_size2": "null, a whole number or a pair [height, width]",
    "shape": "a whole number or a list of whole numbers",
    "floats": "a list of numbers",
    "opt_int": "null or a whole number",
    "padding1": 'a whole number, "same" or "valid"',
    "opt_shape": "null, a whole number or a list of whole numbers",
    "opt_scale": "null, a number or a list of numbers",
    "opt_bool": "null, true or false",
    "dims": "a list of whole numbers",
}
# kinds where null is a value of its own: torch's None (not given), or "as another parameter"
OPTIONAL_KINDS = frozenset({"opt_size2", "opt_int", "opt_shape", "opt_scale", "opt_bool"})
# kinds of one whole number, that torch may store as a tuple of one (Conv1d's kernel_size (3,))
ONE_NUMBER_KINDS = frozenset({"int", "opt_int", "padding1"})
# the most a size (kernel, stride, padding, dilation) may be
SIZE_MAX = 256


class ParamError(ValueError):
    """A single value is wrong; the caller knows the layer and parameter."""


@dataclass(frozen=True)
class Param:
    """One constructor argument of a layer, named exactly as in ``torch.nn``.

    ``default`` is torch's own default, so a spec that leaves a parameter out means what the
    same call means in torch. Where torch has none, the parameter is ``required`` (its
    ``default`` is then None) unless it is an inferred input size.
    """

    name: str
    kind: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    inferred: bool = False  # an input size: filled from the previous layer, checked if given
    required: bool = False  # torch has no default and nothing can be inferred: a spec must give it
    default_from: str | None = None  # null means "the value of this other parameter"
    requires: str | None = None  # only matters when this other (boolean) parameter is true

    def __post_init__(self) -> None:
        if self.required and (self.default is not None or self.inferred):
            raise ValueError(f"{self.name}: a required parameter has no default and is not inferred")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "default": self.default,
            "help": self.help,
            "inferred": self.inferred,
        }
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.choices:
            out["choices"] = list(self.choices)
        if self.required:
            out["required"] = True
        return out

    def check(self, value: Any) -> Any:
        """Return ``value`` if valid for this parameter, else raise ``ParamError``."""
        if value is None and (self.inferred or self.kind in OPTIONAL_KINDS):
            return None
        checker = _CHECKERS[self.kind]
        return checker(self, value)


def _range_text(p: Param) -> str:
    if p.min is not None and p.max is not None:
        return f"between {_num(p.min)} and {_num(p.max)}"
    if p.min is not None:
        return f"at least {_num(p.min)}"
    return f"at most {_num(p.max)}"


def _num(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def describe_value(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{text}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "a list" if len(value) != 2 else "a pair"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, int) and value.bit_length() > 64:  # repr of a huge int is slow, or refused
        return f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 24 else text[:21] + "..."
    return f"a {type(value).__name__}"


def _int_in_range(p: Param, value: Any, what: str = "") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParamError(f"{what or p.name} must be {KIND_WORDS['int']}, not {describe_value(value)}")
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise ParamError(f"{what or p.name} must be {_range_text(p)}, not {describe_value(value)}")
    return value


def _check_int(p: Param, value: Any) -> int:
    return _int_in_range(p, value)


def _check_float(p: Param, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ParamError(f"{p.name} must be {KIND_WORDS['float']}, not {describe_value(value)}")
    try:
        as_float = float(value)
    except OverflowError:
        raise ParamError(f"{p.name} must be {_range_text(p)}, not {describe_value(value)}") from None
    if not math.isfinite(as_float):
        raise ParamError(f"{p.name} must be a finite number, not {describe_value(value)}")
    if (p.min is not None and as_float < p.min) or (p.max is not None and as_float > p.max):
        raise ParamError(f"{p.name} must be {_range_text(p)}, not {describe_value(value)}")
    return value


def _check_bool(p: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"{p.name} must be {KIND_WORDS['bool']}, not {describe_value(value)}")
    return value


def _check_choice(p: Param, value: Any) -> str:
    if not isinstance(value, str) or value not in p.choices:
        options = ", ".join(f'"{c}"' for c in p.choices)
        raise ParamError(f"{p.name} must be one of {options}, not {describe_value(value)}")
    return value


def _check_size2(p: Param, value: Any) -> int | list[int]:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ParamError(f"{p.name} must be {KIND_WORDS['size2']}, not a list of {len(value)}")
        return [_int_in_range(p, v, f"each value of {p.name}") for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_in_range(p, value)
    raise ParamError(f"{p.name} must be {KIND_WORDS[p.kind]}, not {describe_value(value)}")


def _check_padding(p: Param, value: Any) -> int | list[int] | str:
    if isinstance(value, str):
        if value in ("same", "valid"):
            return value
        raise ParamError(f"{p.name} must be {KIND_WORDS['padding']}, not {describe_value(value)}")
    return _check_size2(p, value)


def _check_shape(p: Param, value: Any) -> int | list[int]:
    if isinstance(value, (list, tuple)):
        if not 1 <= len(value) <= 3:
            raise ParamError(f"{p.name} must list 1 to 3 sizes, not {len(value)}")
        return [_int_in_range(p, v, f"each value of {p.name}") for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_in_range(p, value)
    raise ParamError(f"{p.name} must be {KIND_WORDS['shape']}, not {describe_value(value)}")


def _check_floats(p: Param, value: Any) -> list[float]:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4:
        raise ParamError(f"{p.name} must be a list of 1 to 4 numbers, not {describe_value(value)}")
    item = Param(f"each value of {p.name}", "float", None, "", p.min, p.max)
    return [_check_float(item, v) for v in value]


def _check_padding1(p: Param, value: Any) -> int | str:
    if isinstance(value, str):
        if value in ("same", "valid"):
            return value
        raise ParamError(f"{p.name} must be {KIND_WORDS['padding1']}, not {describe_value(value)}")
    if isinstance(value, (list, tuple)):
        raise ParamError(f"{p.name} must be {KIND_WORDS['padding1']}, not {describe_value(value)}")
    return _int_in_range(p, value)


def _check_opt_scale(p: Param, value: Any) -> float | list[float]:
    if isinstance(value, (list, tuple)):
        if not 1 <= len(value) <= 3:
            raise ParamError(f"{p.name} must list 1 to 3 numbers, not {len(value)}")
        item = Param(f"each value of {p.name}", "float", None, "", p.min, p.max)
        return [_check_float(item, v) for v in value]
    return _check_float(p, value)


def _check_dims(p: Param, value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4:
        raise ParamError(f"{p.name} must be a list of 1 to 4 whole numbers, not {describe_value(value)}")
    return [_int_in_range(p, v, f"each value of {p.name}") for v in value]


def bias_param(what: str = "a learned bias", requires: str | None = None) -> Param:
    """torch's ``bias=True`` of a layer with weights; ``requires`` names what it depends on."""
    return Param("bias", "bool", True, f"add {what}", requires=requires)


_CHECKERS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "choice": _check_choice,
    "size2": _check_size2,
    "opt_size2": _check_size2,
    "padding": _check_padding,
    "shape": _check_shape,
    "floats": _check_floats,
    "opt_int": _check_int,
    "padding1": _check_padding1,
    "opt_shape": _check_shape,
    "opt_scale": _check_opt_scale,
    "opt_bool": _check_bool,
    "dims": _check_dims,
}


def pair(value: int | list[int] | tuple[int, ...]) -> tuple[int, int]:
    """An int or a 2-sequence as a (height, width) pair."""
    if isinstance(value, int):
        return (value, value)
    return (int(value[0]), int(value[1]))
