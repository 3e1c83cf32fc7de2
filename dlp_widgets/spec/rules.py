"""Shape rules: how each layer turns the shape of one example into the next, and how many
trainable parameters it holds. Pure arithmetic, the same formulas torch uses, so no forward
pass is needed.

Shapes here never include the batch dimension. A rule receives the layer's parameters
(validated, defaults filled in), the incoming shape and a ``Where`` that names the layer and
the producer of its input for messages; it returns ``(shape, n_params, warning)`` or raises
``ShapeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

from .params import pair

Shape = tuple[int, ...]
RuleResult = tuple[Shape, int, "str | None"]
Rule = Callable[[dict[str, Any], Shape, "Where"], RuleResult]

# Beyond this many values per example a model would exhaust memory before it trained.
MAX_VALUES_PER_EXAMPLE = 100_000_000


class ShapeError(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class Where:
    """Words for messages: ``layer`` is "Conv2d at position 2", ``source`` what fed it.

    Built for every layer on every edit but read only when something is wrong, so the
    words are made on demand.
    """

    __slots__ = ("_type", "_index", "_prev", "_shape")

    def __init__(self, type_: str, index: int, prev: tuple[str, int] | None, shape: Shape) -> None:
        self._type, self._index, self._prev, self._shape = type_, index, prev, shape

    @property
    def layer(self) -> str:
        return f"{self._type} at position {self._index + 1}"

    @property
    def prev_type(self) -> str | None:
        """The type of the layer that fed this one; None for the model input."""
        return self._prev[0] if self._prev is not None else None

    @property
    def source(self) -> str:
        if self._prev is None:
            return f"the model input is {fmt_shape(self._shape)}"
        return f"{self._prev[0]} at position {self._prev[1] + 1} produces {fmt_shape(self._shape)}"


def fmt_shape(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _values(shape: Shape) -> str:
    n = prod(shape)
    return f"{n:,} value" + ("" if n == 1 else "s")


def same_shape(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return shape, 0, None


def need_image(shape: Shape, at: Where, what: str = "an image-shaped input") -> tuple[int, int, int]:
    if len(shape) != 3:
        hint = ""
        if len(shape) == 1 and at.prev_type is None:
            hint = " A table gives one row of numbers per example: use Linear layers, or image data."
        elif len(shape) == 1 and at.prev_type == "Flatten":
            hint = " Remove the Flatten before it, or move this layer earlier."
        elif len(shape) == 1:
            hint = " Image layers come before the Flatten and the Linear layers: move this layer earlier."
        raise ShapeError(f"{at.layer} needs {what} [channels, height, width], but {at.source}.{hint}")
    return shape  # type: ignore[return-value]


def check_inferred(p: dict[str, Any], name: str, actual: int, at: Where) -> None:
    given = p.get(name)
    if given is not None and given != actual:
        raise ShapeError(
            f"{at.layer} has {name}={given:,} but receives {actual:,} ({at.source}). "
            f"Leave {name} empty and it is filled in for you.",
            param=name,
        )


def linear(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    n_in = shape[-1]
    given = p.get("in_features")
    if given is not None and given != n_in:
        total = prod(shape)
        if len(shape) > 1 and total == given:
            msg = (
                f"{at.layer} expects in_features={given:,} but acts on the last dimension "
                f"only, which holds {n_in:,} ({at.source}). Add a Flatten before it."
            )
        else:
            msg = (
                f"{at.layer} expects in_features={given:,} but receives {_values(shape)} "
                f"per example ({at.source}). Leave in_features empty and it is filled in for you."
            )
        raise ShapeError(msg, param="in_features")
    out = p["out_features"]
    n_params = n_in * out + (out if p["bias"] else 0)
    warning = None
    if len(shape) > 1:
        warning = (
            f"{at.layer} receives {fmt_shape(shape)} and acts on the last dimension only "
            f"({n_in:,} values); add a Flatten before it to use all {prod(shape):,} values."
        )
    return (*shape[:-1], out), n_params, warning


def _resolve_dim(dim: int, rank: int, name: str, at: Where) -> int:
    """A torch dim (batch included) against a per-example rank; returns 0..rank."""
    full = rank + 1
    if not -full <= dim < full:
        raise ShapeError(
            f"{at.layer} has {name}={dim}, but its input has {full} dimensions counting the "
            f"batch (0 to {full - 1}, or -{full} to -1 from the end).",
            param=name,
        )
    return dim % full


def _implicit_softmax_dim(rank: int) -> int:
    """The dim torch picks when none is given: its deprecated guess from the number of
    dimensions, batch included."""
    ndim = rank + 1
    return 0 if ndim in (0, 1, 3) else 1


def softmax(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    if p["dim"] is None:
        d = _implicit_softmax_dim(len(shape))
        head = f"{at.layer} has no dim, so torch guesses dim {d} (deprecated; it warns on every call)"
        if d == 0:
            head += ": the batch"
    else:
        d = _resolve_dim(p["dim"], len(shape), "dim", at)
        head = f"{at.layer} normalises across the batch (dim 0)" if d == 0 else ""
    if not head:
        return shape, 0, None
    why = ", so each example's output depends on the others in its batch" if d == 0 else ""
    return shape, 0, f"{head}{why}; dim=1 (or -1) is usual."


def flatten(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    s = _resolve_dim(p["start_dim"], len(shape), "start_dim", at)
    e = _resolve_dim(p["end_dim"], len(shape), "end_dim", at)
    if s == 0 or e == 0:
        param = "start_dim" if s == 0 else "end_dim"
        raise ShapeError(f"{at.layer} would merge the batch dimension (dim 0) into the features.", param)
    if s > e:
        raise ShapeError(f"{at.layer} has start_dim={p['start_dim']} after end_dim={p['end_dim']}.", "start_dim")
    body = shape[s - 1 : e]
    return (*shape[: s - 1], prod(body), *shape[e:]), 0, None


def dropout2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    # torch only warns for non-image input and then drops whole rows; we refuse, since
    # that silently does something else than the layer's name says.
    need_image(shape, at)
    return shape, 0, None


def batchnorm1d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    if len(shape) not in (1, 2):
        raise ShapeError(
            f"{at.layer} needs [features] or [channels, length], but {at.source}. For images use BatchNorm2d."
        )
    check_inferred(p, "num_features", shape[0], at)
    return shape, (2 * shape[0] if p["affine"] else 0), None


def batchnorm2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    c, _, _ = need_image(shape, at)
    check_inferred(p, "num_features", c, at)
    return shape, (2 * c if p["affine"] else 0), None


def layernorm(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    given = p.get("normalized_shape")
    if given is None:
        normalized: Shape = shape[-1:]
    else:
        normalized = (given,) if isinstance(given, int) else tuple(given)
        if len(normalized) > len(shape) or shape[len(shape) - len(normalized) :] != normalized:
            raise ShapeError(
                f"{at.layer} has normalized_shape={fmt_shape(normalized)}, which must equal the "
                f"last dimensions of its input, but {at.source}.",
                param="normalized_shape",
            )
    n = prod(normalized)
    n_params = (n if p["elementwise_affine"] else 0) + (n if p["elementwise_affine"] and p["bias"] else 0)
    return shape, n_params, None


def window_out(size: int, k: int, s: int, pad: int, dil: int, ceil_mode: bool) -> int:
    """Output length of a sliding window, exactly as torch's pooling/conv shape code."""
    span = dil * (k - 1) + 1
    if not ceil_mode:
        return (size + 2 * pad - span) // s + 1
    out = -(-(size + 2 * pad - span) // s) + 1  # ceiling division
    if (out - 1) * s >= size + pad:  # the last window may not start inside the padding
        out -= 1
    return out


def sizes(value: int | list[int] | tuple[int, ...], n: int) -> tuple[int, ...]:
    """An int or an n-sequence as n sizes, one per spatial axis."""
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def check_groups(p: dict[str, Any], c: int, at: Where) -> None:
    """A grouped convolution's channels in and out must both divide by ``groups``."""
    groups, out_c = p["groups"], p["out_channels"]
    if c % groups:
        raise ShapeError(
            f"{at.layer} splits its {c} input channels into groups={groups}, which does not divide them evenly.",
            param="groups",
        )
    if out_c % groups:
        raise ShapeError(
            f"{at.layer} has out_channels={out_c}, which groups={groups} does not divide evenly.",
            param="out_channels",
        )


def conv_nd(p: dict[str, Any], shape: Shape, at: Where, axes: tuple[str, ...]) -> RuleResult:
    """A convolution over ``shape`` = [C, *spatial] (one spatial axis per name in ``axes``):
    Conv1d's [C, L] and Conv2d's [C, H, W], by torch's formula."""
    n = len(axes)
    c, spatial = shape[0], shape[1:]
    check_inferred(p, "in_channels", c, at)
    check_groups(p, c, at)
    groups, out_c = p["groups"], p["out_channels"]
    k, s, d = sizes(p["kernel_size"], n), sizes(p["stride"], n), sizes(p["dilation"], n)
    padding = p["padding"]
    if padding == "same":
        if s != (1,) * n:
            raise ShapeError(
                f'{at.layer} cannot use padding="same" with stride {p["stride"]}: same padding needs stride 1.',
                param="padding",
            )
        sides = [((di * (ki - 1)) // 2, di * (ki - 1) - (di * (ki - 1)) // 2) for ki, di in zip(k, d, strict=True)]
        out = tuple(spatial)
    else:
        pads = (0,) * n if padding == "valid" else sizes(padding, n)
        sides = [(pi, pi) for pi in pads]
        out = tuple(
            (size + 2 * pi - di * (ki - 1) - 1) // si + 1
            for size, pi, di, ki, si in zip(spatial, pads, d, k, s, strict=True)
        )
    mode = p["padding_mode"]
    if mode != "zeros":
        for (lo, hi), size, axis in zip(sides, spatial, axes, strict=True):
            limit_ok = max(lo, hi) < size if mode == "reflect" else max(lo, hi) <= size
            if not limit_ok:
                rel = "smaller than" if mode == "reflect" else "at most"
                raise ShapeError(
                    f'{at.layer} pads by {max(lo, hi)} with padding_mode="{mode}", which must be '
                    f"{rel} the input {axis} ({size}).",
                    param="padding",
                )
    if min(out) < 1:
        kernel = f"a {'×'.join(map(str, k))} kernel" if n > 1 else f"a kernel of {k[0]}"
        raise ShapeError(
            f"{at.layer} has {kernel} (dilation {p['dilation']}) that does not fit its "
            f"input ({at.source}, padding {padding}). Use a smaller kernel_size or more padding.",
            param="kernel_size",
        )
    n_params = out_c * (c // groups) * prod(k) + (out_c if p["bias"] else 0)
    return (out_c, *out), n_params, None


def conv2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return conv_nd(p, need_image(shape, at), at, ("height", "width"))


def _pool(p: dict[str, Any], shape: Shape, at: Where, dilation: Any) -> RuleResult:
    c, h, w = need_image(shape, at)
    kh, kw = pair(p["kernel_size"])
    sh, sw = pair(p["stride"] if p["stride"] is not None else p["kernel_size"])
    ph, pw = pair(p["padding"])
    dh, dw = pair(dilation)
    if ph > kh // 2 or pw > kw // 2:
        raise ShapeError(
            f"{at.layer} has padding {p['padding']}, but padding may be at most half the "
            f"kernel size ({kh // 2}×{kw // 2} here).",
            param="padding",
        )
    out_h = window_out(h, kh, sh, ph, dh, p["ceil_mode"])
    out_w = window_out(w, kw, sw, pw, dw, p["ceil_mode"])
    if out_h < 1 or out_w < 1:
        raise ShapeError(
            f"{at.layer} has a {kh}×{kw} window that does not fit its input ({at.source}). "
            "Use a smaller kernel_size, or remove a pooling layer before it.",
            param="kernel_size",
        )
    return (c, out_h, out_w), 0, None


def maxpool2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return _pool(p, shape, at, p["dilation"])


def avgpool2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    return _pool(p, shape, at, 1)


def adaptive_avgpool2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    c, _, _ = need_image(shape, at)
    oh, ow = pair(p["output_size"])
    return (c, oh, ow), 0, None


def channel_shuffle(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    groups = p["groups"]
    if len(shape) < 2:
        raise ShapeError(
            f"{at.layer} shuffles channels, so it needs [channels, length] or [channels, height, width], "
            f"but {at.source}."
        )
    if shape[0] % groups:
        raise ShapeError(
            f"{at.layer} splits its {shape[0]} channels into groups={groups}, which does not divide them evenly.",
            param="groups",
        )
    return shape, 0, None


def permute(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    """torchvision's Permute reorders every dimension, the batch's too: ``dims`` counts the
    batch as dim 0 (as torch does) and must keep it first, so examples never mix."""
    dims, rank = p["dims"], len(shape) + 1
    if len(dims) != rank:
        raise ShapeError(
            f"{at.layer} has dims={list(dims)}, which must list all {rank} dimensions of its input counting "
            f"the batch as dim 0 ({at.source}).",
            param="dims",
        )
    resolved = []
    for d in dims:
        if not -rank <= d < rank:
            raise ShapeError(
                f"{at.layer} has {d} in dims, but its input has {rank} dimensions counting the batch "
                f"(0 to {rank - 1}, or -{rank} to -1 from the end).",
                param="dims",
            )
        resolved.append(d % rank)
    if len(set(resolved)) != rank:
        raise ShapeError(
            f"{at.layer} has dims={list(dims)}, which is not a permutation: each of 0 to {rank - 1} must appear once.",
            param="dims",
        )
    if resolved[0] != 0:
        raise ShapeError(
            f"{at.layer} has dims={list(dims)}, which moves the batch dimension (dim 0) away from the front; "
            "dims must start with 0.",
            param="dims",
        )
    return tuple(shape[d - 1] for d in resolved[1:]), 0, None
