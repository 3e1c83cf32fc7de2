"""Small helpers every spec section uses to read untrusted JSON: unknown keys named with a
suggestion, objects required where objects belong."""

from __future__ import annotations

import difflib
from typing import Any

from .errors import SpecError
from .params import describe_value


def key_text(key: Any) -> str:
    text = key if isinstance(key, str) else repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def suggest(word: Any, known: list[str] | tuple[str, ...]) -> str:
    """' Did you mean "X"?' for a near miss (case ignored), else an empty string."""
    if not isinstance(word, str):
        return ""
    lowered = {k.lower(): k for k in known}
    match = lowered.get(word.lower())
    if match is None:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
        match = lowered[close[0]] if close else None
    return f' Did you mean "{match}"?' if match else ""


def unknown_key(key: Any, known: list[str] | tuple[str, ...], where: str) -> str:
    hint = suggest(key, known)
    allowed = ", ".join(known) if known else "none"
    return f'{where} has an unknown key "{key_text(key)}" (allowed: {allowed}).{hint}'


def require_object(value: Any, path: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be an object, not {describe_value(value)}", path=path)
    return value


def check_keys(raw: dict, allowed: tuple[str, ...], path: str, what: str) -> None:
    for key in raw:
        if key not in allowed:
            raise SpecError(unknown_key(key, allowed, what), path=f"{path}.{key_text(key)}", param=key_text(key))
