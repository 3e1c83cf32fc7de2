"""The data layer's own functions as source text, for the standalone training script
(``script.py``): the split, the reading of booleans and labels, and the rules of the fitted
preprocessing. A script that did any of these its own way would drift from the run;
tests/export/test_script_agrees.py checks that the two prepare a table alike."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CodeType
from typing import Any

# what the script imports or defines before the copied functions
_SCRIPT_NAMES = {"np", "pd", "math", "unicodedata", "DataError"}


def _copied() -> tuple[dict[str, Any], list[Callable[..., Any]]]:
    """The data layer's constants and functions the script copies, in the order written."""
    from ..data import columns, fast_rows, fitting, preprocessor, split, targets, values

    constants = {
        "TO_PLAIN": columns.TO_PLAIN,
        "TRUE_WORDS": columns.TRUE_WORDS,
        "FALSE_WORDS": columns.FALSE_WORDS,
        "FIT_CHUNK": fast_rows.FIT_CHUNK,
    }
    functions = [
        columns.clean_text,
        columns.as_bool,
        values.json_value,
        targets.label_name,
        targets.target_scale,
        split.split_positions,
        split.shuffled_rows,
        split.positions_by_class,
        split.class_counts,
        fitting.numeric_fit,
        fitting.median_in_place,
        fitting.mean_std,
        fitting.boolean_fill,
        fitting.categories_and_fill,
        preprocessor.boolean_inputs,
        preprocessor.category_name,
        preprocessor.category_positions,
        fast_rows.standardise,
    ]
    return constants, functions


def data_layer_source() -> str:
    """The copied constants, as literals, and functions, as their own source. Each function
    may use only what the script has: its imports, ``DataError`` and what is copied (checked
    here, so that a change in the data layer that breaks the script fails every export)."""
    constants, functions = _copied()
    available = _SCRIPT_NAMES | set(constants) | {fn.__name__ for fn in functions}
    for fn in functions:
        missing = sorted(name for name in _global_names(fn.__code__) - available if name in fn.__globals__)
        if missing:
            raise RuntimeError(f"{fn.__module__}.{fn.__name__}, copied into the script, uses {', '.join(missing)}")
    lines = [f"{name} = {_literal(value)}" for name, value in constants.items()]
    return "\n".join(lines) + "\n\n\n" + "\n\n".join(inspect.getsource(fn) for fn in functions)


def _global_names(code: CodeType) -> set[str]:
    """The global (and attribute) names ``code`` uses, its nested functions' included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _global_names(const)
    return names


def _literal(value: Any) -> str:
    """``repr`` of one of our constants, sets in sorted order: the script's text is then the
    same from one export to the next."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(map(repr, sorted(value))) + "}"
    return repr(value)
