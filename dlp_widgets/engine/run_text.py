"""A run's words: its name as a person gives it and as a file name, and a failure as one line."""

from __future__ import annotations

import re
from typing import Any

MAX_NAME = 200


def clean_name(name: Any) -> str:
    """A run name as given by a person: text, trimmed, on one line, not empty."""
    if not isinstance(name, str):
        raise ValueError(f"a run's name must be text, not {type(name).__name__}")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("a run's name cannot be empty")
    if len(cleaned) > MAX_NAME:
        raise ValueError(f"a run's name can be at most {MAX_NAME} characters (this one has {len(cleaned):,})")
    return cleaned


def failure_message(exc: BaseException) -> str:
    """An exception as one line a person can act on: our own errors by their message, the
    store's and the checkpoints' in words, others with their type."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        return message
    return f"{type(exc).__name__}: {exc}"


def file_stem(name: str) -> str:
    """A run name as a file name: letters, digits, dashes (``digits · CNN 4 layers`` →
    ``digits-CNN-4-layers``)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    return stem[:60] or "model"
