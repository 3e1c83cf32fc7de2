"""What the training coach reads beyond the loss curves, measured cheaply while a run trains:

* the gradient norm of each layer's weight on a few batches an epoch (two: the first and
  the middle one), after the backward pass — one sync for all layers;
* for every ReLU, which of its units (features, or channels of an image) were active for
  at least one test example, gathered while the test split is evaluated anyway;
* how many test examples the model put in each class;
* once, on the very first batch: its loss (before any step), and the scale of each input
  feature (or image channel) reaching the first layer.

Each epoch's measurements become one plain dict (``epoch_end``), kept in the run's state and
saved in the store with the epoch, so a stored run can be diagnosed as well as a live one."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

# Per-feature input statistics are kept for at most this many features (the extremes are
# kept for any number).
MAX_FEATURES_LISTED = 256
RELU_TYPES = (nn.ReLU, nn.ReLU6)
FIRST_ROWS = 1024  # test rows looked at before the rest, for units that fire at all


def _weighted_layers(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """The layers with a trainable weight of their own, by their module path."""
    out = []
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        if isinstance(weight, nn.Parameter) and weight.requires_grad and name:
            out.append((name, weight))
    return out


class SignalProbe:
    def __init__(self, model: nn.Module) -> None:
        self.layers = _weighted_layers(model)
        self.relus = [(name, m) for name, m in model.named_modules() if isinstance(m, RELU_TYPES) and name]
        self.first_loss: float | None = None
        self.inputs: dict[str, Any] | None = None
        self._grads: list[list[float]] = []
        self._active: dict[str, torch.Tensor] = {}

    # -- while training

    @staticmethod
    def samples(batch: int, n_batches: int) -> bool:
        """Whether this batch's gradients are measured: the first and the middle one."""
        return batch == 1 or batch == n_batches // 2 + 1

    def gradients(self) -> None:
        grads = [w.grad for _, w in self.layers]
        if not grads or any(g is None for g in grads):
            return  # a layer outside the loss (a branch that leads nowhere): nothing to compare
        norms = torch._foreach_norm([g.detach() for g in grads])
        self._grads.append(torch.stack(norms).float().cpu().tolist())

    def first_batch(self, x: torch.Tensor, loss: torch.Tensor) -> None:
        """The loss before any step, and the scale of what reaches the first layer."""
        self.first_loss = float(loss.detach())
        x = x.detach().float()
        if x.dim() < 2 or x.shape[0] < 2:
            return
        dims = [d for d in range(x.dim()) if d != 1]  # per feature, or per channel of an image
        std = x.std(dim=dims).cpu()
        mean = x.mean(dim=dims).cpu()
        peak = x.abs().amax(dim=dims).cpu()
        varying = std[std > 1e-6]  # a constant column (a pixel always blank) says nothing of scale
        self.inputs = {
            "kind": "image" if x.dim() == 4 else "features",
            "count": int(std.numel()),
            "std": std[:MAX_FEATURES_LISTED].tolist(),
            "mean": mean[:MAX_FEATURES_LISTED].tolist(),
            "std_min": float(varying.min()) if varying.numel() else 0.0,
            "std_max": float(varying.max()) if varying.numel() else 0.0,
            "abs_max": float(peak.max()),
            "widest": int(std.argmax()),
            "narrowest": int(torch.where(std > 1e-6, std, torch.inf).argmin()),
        }

    # -- while the test split is evaluated

    @contextmanager
    def watching_units(self) -> Iterator[None]:
        """Forward hooks that note, for each ReLU unit, whether any test example made it active."""

        def fired(out: torch.Tensor) -> torch.Tensor:
            """Per unit (dim 1), whether any row (and position) of ``out`` is above 0."""
            dims = [d for d in range(out.dim()) if d != 1]
            active = (out > 0).any(dim=dims[-1])
            for d in reversed(dims[:-1]):
                active = active.any(dim=d)
            return active

        def hook(name: str):  # noqa: ANN202
            def seen(_module: nn.Module, _inputs: Any, out: torch.Tensor) -> None:
                if out.dim() < 2:
                    return
                before = self._active.get(name)
                if before is not None and before.shape == out.shape[1:2] and bool(before.all()):
                    return  # every unit has fired already: the rest of the test split adds nothing
                # a healthy layer has every unit fire within the first rows: look there first
                active = fired(out[:FIRST_ROWS])
                if not bool(active.all()) and len(out) > FIRST_ROWS:
                    active = active | fired(out[FIRST_ROWS:])
                self._active[name] = active if before is None or before.shape != active.shape else before | active

            return seen

        handles = [m.register_forward_hook(hook(name)) for name, m in self.relus]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    # -- the epoch's record

    def epoch_end(
        self, epoch: int, pred_counts: list[int] | None = None, true_counts: list[int] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"epoch": epoch}
        if self._grads:
            means = [sum(col) / len(col) for col in zip(*self._grads, strict=True)]
            out["grad_norms"] = {name: _finite(v) for (name, _), v in zip(self.layers, means, strict=True)}
        if self._active:
            out["dead_units"] = {
                name: {"dead": int((~active).sum()), "units": int(active.numel())}
                for name, active in ((n, a.cpu()) for n, a in self._active.items())
            }
        if pred_counts is not None:
            out["pred_counts"] = pred_counts
        if true_counts is not None and epoch == 1:
            out["true_counts"] = true_counts  # the test split's: the same every epoch
        if epoch == 1 and self.first_loss is not None:
            out["first_loss"] = _finite(self.first_loss)
        if epoch == 1 and self.inputs is not None:
            out["inputs"] = self.inputs
        self._grads, self._active = [], {}
        return out


def _finite(value: float) -> float | None:
    """JSON has no NaN: a value that is not finite is kept as None (and read as such)."""
    return value if math.isfinite(value) else None
