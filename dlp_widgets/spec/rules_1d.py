"""Shape rules of the layers over sequences, [channels, length] per example: Conv1d and the
1-d pools. Same arithmetic as torch's, as in ``rules``."""

from __future__ import annotations

from typing import Any

from .rules import RuleResult, Shape, ShapeError, Where, conv_nd, window_out


def need_sequence(shape: Shape, at: Where) -> tuple[int, int]:
    """[C, L], or a refusal that says what arrived: torch itself would take a table's [F] for
    one unbatched sequence (the batch read as channels), so examples would mix."""
    if len(shape) != 2:
        hint = ""
        if len(shape) == 1:
            hint = " On [features] torch would read the batch as channels, mixing examples."
        elif len(shape) == 3:
            hint = " On images use the 2-d layer, or Flatten(start_dim=2) first to make [channels, height·width]."
        raise ShapeError(f"{at.layer} needs a sequence [channels, length], but {at.source}.{hint}")
    return shape  # type: ignore[return-value]


def conv1d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return conv_nd(p, need_sequence(shape, at), at, ("length",))


def _pool1d(p: dict[str, Any], shape: Shape, at: Where, dilation: int) -> RuleResult:
    c, length = need_sequence(shape, at)
    k, pad = p["kernel_size"], p["padding"]
    stride = p["stride"] if p["stride"] is not None else k
    if pad > k // 2:
        raise ShapeError(
            f"{at.layer} has padding {pad}, but padding may be at most half the kernel size ({k // 2} here).",
            param="padding",
        )
    out = window_out(length, k, stride, pad, dilation, p["ceil_mode"])
    if out < 1:
        raise ShapeError(
            f"{at.layer} has a window of {k} that does not fit its input ({at.source}). "
            "Use a smaller kernel_size, or remove a pooling layer before it.",
            param="kernel_size",
        )
    return (c, out), 0, None


def maxpool1d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return _pool1d(p, shape, at, p["dilation"])


def avgpool1d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return _pool1d(p, shape, at, 1)
