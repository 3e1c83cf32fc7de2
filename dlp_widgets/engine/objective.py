"""Losses and optimizers from the spec (the checks that they fit the data are torch-free,
in ``spec.fit``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..spec import Spec
from ..spec.fit import DEFAULT_LOSS, check_fit, loss_name

__all__ = ["DEFAULT_LOSS", "check_fit", "inverse_frequency", "loss_name", "make_loss", "make_optimizer"]


def make_loss(name: str, class_weights: torch.Tensor | None = None) -> nn.Module:
    cls = getattr(nn, name)
    if class_weights is not None and name in ("CrossEntropyLoss", "NLLLoss"):
        return cls(weight=class_weights)
    return cls()


def inverse_frequency(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    counts = torch.bincount(labels.cpu(), minlength=n_classes).float().clamp(min=1)
    return counts.sum() / (n_classes * counts)


def make_optimizer(spec: Spec, params: Any) -> torch.optim.Optimizer:
    """The spec's optimizer, with PyTorch's fused kernel where it has one for these
    parameters: one kernel a step for every tensor instead of several each (a fifth of a
    small model's CPU step), the same algorithm; else its default implementation."""
    t = spec.training
    settings: dict[str, Any] = {"lr": t.lr, "weight_decay": t.weight_decay}
    if t.optimizer in ("SGD", "RMSprop"):
        settings["momentum"] = t.momentum
    cls, params = getattr(torch.optim, t.optimizer), list(params)
    try:
        return cls(params, fused=True, **settings)
    except (TypeError, RuntimeError, ValueError):  # no fused kernel for this optimizer, device or dtype
        return cls(params, **settings)
