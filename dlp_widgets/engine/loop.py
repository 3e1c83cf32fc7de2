"""The training loop: one forward pass per batch, evaluation on the whole test split under
``inference_mode``, stop honoured within a batch, divergence caught, every epoch reported.

Tabular data (and in-memory images without transforms) sit on the device as two tensors and
are batched by index; other images come through a DataLoader.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from . import metrics as M
from .epoch_tally import EpochTally
from .events import EpochEnd, Event, Progress
from .signals import SignalProbe
from .threads import cpu_threads

Emit = Callable[[Event], None]
PROGRESS_INTERVAL = 0.1  # seconds between progress events, whatever the batch count
# seconds between two epochs' pictures (confusion matrix, ROC curves, the plane) while training:
# a dashboard draws charts at most once a second, and on short epochs they cost more than the epoch
EXTRAS_INTERVAL = 1.0
_clock = time.monotonic
EVAL_CHUNK = 65_536
# test outputs kept from the last epoch for the final metrics, at most (values)
KEEP_OUTPUTS_MAX = 16_000_000


@dataclass
class Split:
    """One split: tensors on the device (``x``, ``y``) or a DataLoader factory."""

    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    dataset: Any = None

    def __len__(self) -> int:
        return len(self.y) if self.y is not None else len(self.dataset)


@dataclass
class LoopConfig:
    """What the loop needs beyond the model and the data: the spec's training settings as
    they are (``training``, a ``TrainingSpec``), and what the plan worked out."""

    task: str
    classes: list[str] | None
    loss_name: str
    training: Any  # spec.training: epochs, batch_size, shuffle, seed, precision, ...
    device: torch.device
    target_scale: float = 1.0  # regression: std of the target, for MAE and RMSE in its units
    workers: int = 0
    threads: int | None = None  # intra-op CPU threads while training; None keeps torch's setting
    eval_rows: int = EVAL_CHUNK  # rows per evaluation step (memory.eval_rows)


@dataclass
class LoopState:
    epoch: int = 0  # completed epochs
    history: list[dict[str, Any]] = field(default_factory=list)
    best_test_loss: float = math.inf
    good_state: dict[str, torch.Tensor] | None = None  # weights after the last completed epoch
    generator_state: torch.Tensor | None = None
    final: dict[str, Any] = field(default_factory=dict)
    signals: list[dict[str, Any]] = field(default_factory=list)  # the coach's, one dict an epoch


class Stopped(Exception):
    pass


class Diverged(Exception):
    pass


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


class Trainer:
    def __init__(
        self,
        model: nn.Module,
        loss_fn: nn.Module,
        optimizer: torch.optim.Optimizer,
        train: Split,
        test: Split,
        config: LoopConfig,
        *,
        emit: Emit | None = None,
        stop: threading.Event | None = None,
        on_epoch: Callable[[LoopState, nn.Module, torch.optim.Optimizer, bool], None] | None = None,
        state: LoopState | None = None,
        listened: Callable[[], bool] | None = None,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        # whether anyone receives an epoch's confusion matrix and ROC curves (None: assume so);
        # nobody watching, they are not computed
        self.listened = listened
        self.train_split, self.test_split, self.cfg = train, test, config
        self.emit = emit
        self.stop = stop or threading.Event()
        self.on_epoch = on_epoch
        self.state = state or LoopState()
        self.generator = torch.Generator().manual_seed(config.training.seed)
        if self.state.generator_state is not None:
            self.generator.set_state(self.state.generator_state)
        self.binary_logit = config.loss_name == "BCEWithLogitsLoss" and self._out_dim() == 1
        # batch normalisation cannot train on one example: a last batch of one is skipped
        self.skip_single = any(
            isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)) for m in model.modules()
        )
        self.n_classes = len(config.classes) if config.classes else 0
        use_bf16 = config.training.precision == "bf16" and config.device.type == "cuda"
        self.autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_bf16 else nullcontext
        self._epoch_overhead: float | None = None  # seconds per epoch outside the batches
        self._last_outputs: tuple[int, torch.Tensor, torch.Tensor] | None = None  # epoch, test outputs, labels
        self.probe = SignalProbe(model)
        # training steps through torch.compile when asked; evaluation, the probes' hooks,
        # checkpoints and exports keep the module itself (its state_dict has the plain names)
        self.step_model: Any = torch.compile(model) if config.training.compile else model
        self.plane: Any = None  # the plane view's probe (engine.plane), for two-feature tables
        self._extras_at = 0.0  # when the last epoch's pictures were made (or the training began)

    def _out_dim(self) -> int:
        for module in reversed(list(self.model.modules())):
            if isinstance(module, nn.Linear):
                return module.out_features
        return 0

    # -- targets in the form each loss expects

    def _target(self, y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if self.cfg.task == "regression":
            return y.reshape(out.shape).to(out.dtype)
        if self.cfg.loss_name == "BCEWithLogitsLoss":
            if self.binary_logit:
                return y.reshape(out.shape).to(out.dtype)
            return nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
        return y

    # -- batches

    def _batches(self):  # noqa: ANN202 - yields (x, y) on the device
        split, cfg = self.train_split, self.cfg
        if split.x is not None:
            n = len(split)
            if cfg.training.shuffle:
                order = torch.randperm(n, generator=self.generator).to(cfg.device)
            else:
                order = torch.arange(n, device=cfg.device)
            for i in range(0, n, cfg.training.batch_size):
                idx = order[i : i + cfg.training.batch_size]
                if len(idx) == 1 and self.skip_single and n > 1:
                    continue
                yield split.x.index_select(0, idx), split.y.index_select(0, idx)
            return
        loader = torch.utils.data.DataLoader(
            split.dataset,
            batch_size=cfg.training.batch_size,
            shuffle=cfg.training.shuffle,
            generator=self.generator,
            num_workers=cfg.workers,
            pin_memory=cfg.device.type == "cuda",
            persistent_workers=False,
        )
        for x, y in loader:
            yield x.to(cfg.device, non_blocking=True), y.to(cfg.device, non_blocking=True)

    def _overhead_left(self, epoch: int, epoch_train_seconds: float) -> float:
        """Seconds still to go outside the training batches: each remaining epoch's
        evaluation, checkpoint and events, plus the final evaluation. Measured on the last
        epoch; before one has ended, a forward pass over the test rows is taken to cost a
        third of a training step per example, as it does for most models."""
        per_epoch = self._epoch_overhead
        if per_epoch is None:
            share = len(self.test_split) / max(len(self.train_split), 1)
            per_epoch = epoch_train_seconds * share / 3
        return per_epoch * (self.cfg.training.epochs - epoch + 2)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.train_split) / self.cfg.training.batch_size)

    # -- one epoch

    def _train_epoch(self, epoch: int) -> dict[str, Any]:
        cfg, model = self.cfg, self.model
        model.train()
        n_batches = self.batches_per_epoch
        tally = EpochTally(cfg.task, self.binary_logit)
        t0 = last = time.monotonic()
        for batch, (xb, yb) in enumerate(self._batches(), start=1):
            if self.stop.is_set():
                raise Stopped
            with self.autocast():
                out = self._forward(xb) if batch == 1 else self.step_model(xb)
                loss = self.loss_fn(out, self._target(yb, out))
            if batch == 1 and epoch == 1:
                self.probe.first_batch(xb, loss)  # the loss before any step
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.probe.samples(batch, n_batches):
                self.probe.gradients()
            self.optimizer.step()
            tally.add(loss, out, yb)  # running train metrics from this same forward pass
            if self.emit is not None:
                now = time.monotonic()
                if now - last >= PROGRESS_INTERVAL or batch == n_batches:
                    last = now
                    running = tally.loss()  # the one sync, ~10 times a second
                    if not math.isfinite(running):
                        raise Diverged
                    elapsed = now - t0
                    per_batch = elapsed / batch
                    left = (n_batches - batch) + (cfg.training.epochs - epoch) * n_batches
                    self.emit(
                        Progress(
                            epoch=epoch,
                            epochs=cfg.training.epochs,
                            batch=batch,
                            batches=n_batches,
                            samples=tally.seen,
                            loss=running,
                            elapsed=elapsed,
                            eta=per_batch * left + self._overhead_left(epoch, per_batch * n_batches),
                        )
                    )
        row = tally.row()
        if not math.isfinite(row["train_loss"]):
            raise Diverged
        row["train_seconds"] = time.monotonic() - t0
        row["samples_per_sec"] = tally.seen / row["train_seconds"] if row["train_seconds"] > 0 else float("nan")
        return row

    def evaluate(self, *, full: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """Loss and metrics on the whole test split; extras: confusion matrix and ROC."""
        return self._scores(*self._test_outputs(), full=full)

    @torch.inference_mode()
    def _test_outputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        cfg, model = self.cfg, self.model
        model.eval()
        outs, ys = [], []
        split = self.test_split
        if split.x is not None:
            step = cfg.eval_rows
            for i in range(0, len(split), step):
                with self.autocast():
                    outs.append(model(split.x[i : i + step]).float())
                ys.append(split.y[i : i + step])
        else:
            loader = torch.utils.data.DataLoader(
                split.dataset,
                batch_size=cfg.eval_rows,
                shuffle=False,
                num_workers=cfg.workers,
                pin_memory=cfg.device.type == "cuda",
            )
            for x, y in loader:
                with self.autocast():
                    outs.append(model(x.to(cfg.device, non_blocking=True)).float())
                ys.append(y.to(cfg.device, non_blocking=True))
        return torch.cat(outs), torch.cat(ys)

    def _scores(
        self, out: torch.Tensor, y: torch.Tensor, *, full: bool, extras: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        cfg = self.cfg
        loss = float(self.loss_fn(out, self._target(y, out)))
        row: dict[str, Any] = {"test_loss": loss}
        more: dict[str, Any] = {}
        if cfg.task == "classification":
            pred = M.predicted_classes(out, self.binary_logit)
            row["test_accuracy"] = float((pred == y).float().mean())
            k = max(self.n_classes, 2)
            more["pred_counts"] = torch.bincount(pred, minlength=k).tolist()
            if self.state.epoch == 0:  # the test split's own counts: the same every epoch
                more["true_counts"] = torch.bincount(y.long(), minlength=k).tolist()
            if extras:
                more["confusion"] = M.confusion_matrix(y, pred, self.n_classes)
                if full or len(y) * self.n_classes <= M.ROC_EVERY_EPOCH_MAX:
                    more["roc"] = M.roc_curves(y, M.class_probabilities(out, self.binary_logit), cfg.classes)
        else:
            scores = M.regression_scores(out, y, cfg.target_scale)
            row.update({"test_r2": scores["r2"], "test_mae": scores["mae"], "test_rmse": scores["rmse"]})
        return row, more

    def _forward(self, xb: torch.Tensor) -> torch.Tensor:
        """An epoch's first training forward pass: where torch.compile compiles, and fails."""
        if self.step_model is self.model:
            return self.model(xb)
        try:
            return self.step_model(xb)
        except Exception as exc:  # noqa: BLE001 - the compiler's own text is pages long
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise RuntimeError(
                f"training.compile: torch.compile could not compile this model ({type(exc).__name__}: {first}); "
                "train without it (training.compile = false)"
            ) from None

    def _extras_due(self, epoch: int) -> bool:
        """Pictures with this epoch? The last epoch's always; before it, once ``EXTRAS_INTERVAL``
        has passed since the training began or since the last ones. Not with the first epoch of
        a fast run: its start is when the browser is busiest, and a picture a second is the
        dashboard's rhythm from the start (it waits for them)."""
        now = _clock()
        if epoch >= self.cfg.training.epochs or now - self._extras_at >= EXTRAS_INTERVAL:
            self._extras_at = now
            return True
        return False

    # -- the run

    def fit(self) -> LoopState:
        with cpu_threads(self.cfg.threads):
            return self._fit()

    def _fit(self) -> LoopState:
        cfg, state = self.cfg, self.state
        self._extras_at = _clock()  # the first pictures an interval into the run
        if state.good_state is None:
            state.good_state = _cpu_state(self.model)
        try:
            for epoch in range(state.epoch + 1, cfg.training.epochs + 1):
                t0 = time.monotonic()
                row = self._train_epoch(epoch)
                with self.probe.watching_units():
                    out, y = self._test_outputs()
                extras_wanted = (self.listened is None or self.listened()) and self._extras_due(epoch)
                test_row, extras = self._scores(out, y, full=False, extras=extras_wanted)
                counts = extras.pop("pred_counts", None), extras.pop("true_counts", None)
                state.signals.append(self.probe.epoch_end(epoch, *counts))
                if self.plane is not None and extras_wanted:
                    extras["plane"] = self.plane.snapshot(self.model)
                if not math.isfinite(test_row["test_loss"]):
                    raise Diverged
                row = {
                    "epoch": epoch,
                    **row,
                    **test_row,
                    "epoch_seconds": time.monotonic() - t0,
                    "lr": self.optimizer.param_groups[0]["lr"],
                }
                state.epoch = epoch
                # the run's final metrics are those of its last epoch: kept, not computed again
                self._last_outputs = (epoch, out, y) if out.numel() <= KEEP_OUTPUTS_MAX else None
                state.history.append(row)
                state.good_state = _cpu_state(self.model)
                state.generator_state = self.generator.get_state()
                improved = row["test_loss"] < state.best_test_loss
                if improved:
                    state.best_test_loss = row["test_loss"]
                if self.on_epoch is not None:
                    self.on_epoch(state, self.model, self.optimizer, improved)
                if self.emit is not None:
                    self.emit(EpochEnd(epoch=epoch, epochs=cfg.training.epochs, metrics=row, **extras))
                self._epoch_overhead = time.monotonic() - t0 - row["train_seconds"]
        except (Stopped, Diverged):
            self.model.load_state_dict(state.good_state)  # the last completed epoch's weights
            raise
        return state

    def final_metrics(self) -> dict[str, Any]:
        """The test metrics of the weights the run ends with (those of its last completed
        epoch): that epoch's test outputs when they are still at hand, else a new pass."""
        with cpu_threads(self.cfg.threads), torch.inference_mode():
            kept = self._last_outputs
            if kept is not None and kept[0] == self.state.epoch:
                row, extras = self._scores(kept[1], kept[2], full=True)
            else:
                row, extras = self.evaluate(full=True)
        extras.pop("pred_counts", None), extras.pop("true_counts", None)  # the last epoch's signals hold them
        return {**row, **extras}
