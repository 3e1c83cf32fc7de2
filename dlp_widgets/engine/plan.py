"""A run's plan: a spec and its data turned, once and checked once, into everything training
needs — the prepared splits on the device, the model, the loss, the optimizer, the loop's
settings — and what people are told before it starts (warnings, the device). A plan is
made before a run exists: whatever it refuses, nothing is saved."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch

from ..data import ImageData, TabularData, prepare
from ..data.image_memory import held_in_memory
from ..data.image_precompute import with_fixed_steps_done
from ..data.images import TensorImages
from ..spec import Spec, infer
from ..spec.costs import activation_bytes
from ..spec.fit import check_fit, loss_name
from ..spec.shapes import ShapeReport
from .build import build_model
from .device import describe, pick_device
from .loop import LoopConfig, Split
from .memory import check_batch_fits, eval_rows
from .objective import inverse_frequency, make_loss, make_optimizer
from .plane import PlaneProbe
from .threads import threads_for


@dataclass
class RunPlan:
    """Everything a run needs, made from a spec and its data."""

    spec: Spec
    report: ShapeReport  # the spec's shapes, inferred once
    prepared: TabularData | ImageData
    device: torch.device
    model: torch.nn.Module
    loss_fn: torch.nn.Module
    optimizer: torch.optim.Optimizer
    train: Split
    test: Split
    config: LoopConfig
    warnings: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # a table passed from Python, kept for the script export

    @property
    def task(self) -> str:
        return self.prepared.task

    def plane(self) -> PlaneProbe | None:
        """The plane view's probe, for a table of two numeric inputs (``engine.plane``)."""
        if not isinstance(self.prepared, TabularData):
            return None
        return PlaneProbe.for_data(self.prepared, self.spec.data.source)

    @property
    def classes(self) -> list[str] | None:
        return self.prepared.classes

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The preprocessing as plain values, saved with the run and its exports."""
        pre = self.prepared.preprocessor
        return pre.to_dict() if isinstance(self.prepared, TabularData) else pre

    @property
    def device_name(self) -> str:
        return describe(self.device)


def plan_run(spec: Spec, data: Any = None, *, displayed: bool = False) -> RunPlan:
    """The plan for training ``spec`` on ``data`` (``spec.data.source`` when None): raises
    ``SpecError`` or ``DataError`` for anything that would fail, before a run exists.
    ``displayed``: a browser draws the run while it trains (a dashboard), so it shares the
    CPU cores with it: a small model then trains on one thread, which the browser cannot
    stall; with nobody watching, torch keeps its own setting."""
    report = infer(spec.model)  # once for the whole run: the model is refused before any data is read
    report.raise_for_error()
    prepared = prepare(spec, data)
    n_classes = len(prepared.classes) if prepared.classes else None
    warnings = [*prepared.warnings, *check_fit(spec, report, prepared.task, n_classes, prepared.input_shape)]
    t = spec.training
    device = pick_device(t.device)
    if t.precision == "bf16" and device.type != "cuda":
        warnings.append("bf16 precision applies on CUDA only; this run uses fp32")
    per_example = activation_bytes(report)
    check_batch_fits(per_example, t.batch_size, device)
    torch.manual_seed(t.seed)  # the same initial weights for the same seed
    model = build_model(spec.model, report=report).to(device)
    train, test = _splits(prepared, device)
    name = loss_name(spec, prepared.task)
    weights = None
    if t.class_weights and prepared.task == "classification":
        labels = train.y if train.y is not None else torch.as_tensor(prepared.train.labels)
        weights = inverse_frequency(labels, n_classes).to(device)
    config = LoopConfig(
        task=prepared.task,
        classes=prepared.classes,
        loss_name=name,
        training=t,
        device=device,
        target_scale=prepared.preprocessor.target_std if isinstance(prepared, TabularData) else 1.0,
        workers=0 if (os.cpu_count() or 1) <= 2 else min(4, (os.cpu_count() or 2) - 1),
        threads=threads_for(report, t.batch_size, device) if displayed else None,
        eval_rows=eval_rows(per_example, t.batch_size),
    )
    return RunPlan(
        spec=spec,
        report=report,
        prepared=prepared,
        device=device,
        model=model,
        loss_fn=make_loss(name, weights),
        optimizer=make_optimizer(spec, model.parameters()),
        train=train,
        test=test,
        config=config,
        warnings=warnings,
        frame=data if isinstance(data, pd.DataFrame) else None,
    )


def _splits(data: TabularData | ImageData, device: torch.device) -> tuple[Split, Split]:
    if isinstance(data, TabularData):
        x_tr, y_tr, x_te, y_te = data.tensors()
        return Split(x_tr.to(device), y_tr.to(device)), Split(x_te.to(device), y_te.to(device))
    return _image_split(data.train, data.transforms["train"], data.image_shape, device), _image_split(
        data.test, data.transforms["test"], data.image_shape, device
    )


def _image_split(
    images: Any, transforms: list[dict[str, Any]], image_shape: tuple[int, int, int], device: torch.device
) -> Split:
    """An in-memory set with its fixed transforms done once: plain tensors batched by index
    when nothing random is left, else a dataset whose images get only the random steps. A
    folder's files are read into memory first when they fit."""
    images = held_in_memory(images, image_shape)
    if not isinstance(images, TensorImages):
        return Split(dataset=images)  # files, opened one at a time
    images, left = with_fixed_steps_done(images, transforms)
    if left:
        return Split(dataset=images)
    x = images.images.float().div(255) if images.images.dtype == torch.uint8 else images.images.float()
    return Split(x.to(device), torch.as_tensor(images.labels).long().to(device))
