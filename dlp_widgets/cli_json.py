"""The command line's JSON: finite numbers only (NaN and infinity become null), so every
line it prints is JSON that any reader accepts."""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(value: Any, **options: Any) -> str:
    """JSON that every reader accepts: NaN and infinities (a metric with nothing to measure)
    are written as null, never as the bare NaN that strict parsers refuse."""
    return json.dumps(_finite(value), allow_nan=False, **options)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
