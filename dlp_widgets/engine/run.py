"""``Run``: one training run — what users look at (status, history, model, metrics), what
they do with it (stop, wait, subscribe, predict, export, resume), and its life: it starts
from a plan, saves each epoch's checkpoint and history row (short epochs together), and
always ends with a saved status and message, whatever fails."""

from __future__ import annotations

import dataclasses
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..runstore import RunStore
from ..runstore.ownership import Claim
from ..spec import Spec
from .checkpoints import load_weights, restore_state, write_checkpoint
from .epoch_records import EpochRecords
from .events import EpochEnd, Event, Finished, Started, waits_for_saving
from .loop import Diverged, LoopState, Stopped, Trainer
from .plan import RunPlan, plan_run
from .plane import plane_of
from .run_data import data_for_run, read_record, stored_upload
from .run_exports import export_run
from .run_text import clean_name, failure_message

Callback = Callable[[Event], None]
DIVERGED = "the loss became NaN or infinite; the weights of the last good epoch are kept. Lower the learning rate (training.lr)."


class Run:
    """One training run. Create with ``train``, ``start`` or ``load_run``."""

    def __init__(self, store: RunStore, run_id: str, spec: Spec) -> None:
        self.store, self.id, self.spec = store, run_id, spec
        self.status = "running"
        self.error: str | None = None
        self.warnings: list[str] = []
        self.metrics: dict[str, Any] = {}
        self.device = "cpu"
        self.task: str | None = None
        self.classes: list[str] | None = None
        self.preprocessing: dict[str, Any] | None = None
        self.training_frame: pd.DataFrame | None = None  # a table passed from Python, while this process holds it
        self.plane_views = (False, False)  # the boundary, the hidden units: what its training will draw
        self.plane_ground: dict[str, Any] | None = None  # the data on the plane: drawn before the training
        self._model: torch.nn.Module | None = None
        self._history: list[dict[str, Any]] = []
        self._subscribers: list[Callback] = []
        self._stop, self._done = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._claim: Claim | None = None  # this process's hold on the run while it trains
        self._records = EpochRecords(None)
        self._data_written: Future | None = None

    # -- what users look at

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.name!r} {self.status}, {len(self._history)} epoch(s)>"

    @property
    def name(self) -> str:
        row = self.store.get_run(self.id)
        return row["name"] if row else self.id

    def rename(self, name: str) -> None:
        """Give the run a new name (shown in the dashboard, RunHistory and ``dlp runs``)."""
        self.store.rename(self.id, clean_name(name))

    def artefacts(self) -> list[dict[str, Any]]:
        """The files exported from this run: kind, path, sha256, bytes, created."""
        return self.store.artefacts(self.id)

    @property
    def history(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._history))

    @property
    def model(self) -> torch.nn.Module:
        if self._model is None:
            self._model = self._load_model()
        return self._model

    @property
    def best_epoch(self) -> int | None:
        """The epoch with the lowest test loss (the weights ``best_model()`` returns)."""
        rows = [r for r in self._history if r.get("test_loss") is not None]
        return min(rows, key=lambda r: r["test_loss"])["epoch"] if rows else None

    def best_model(self) -> torch.nn.Module:
        """The model as it was at ``best_epoch``: early stopping after the fact."""
        if not self._checkpoint_path("best").exists():
            raise FileNotFoundError(f"run {self.id} has no best checkpoint yet (no epoch finished)")
        return self._load_model("best")

    @property
    def signals(self) -> list[dict[str, Any]]:
        """What the loop measured for the coach, one dict an epoch (``engine.signals``)."""
        live = list(self._trainer.state.signals) if self._trainer is not None else []
        first = live[0]["epoch"] if live else None
        if first == 1:  # a run trained from its start in this process: nothing older is stored
            return live
        return [s for s in self.store.signals(self.id) if first is None or s["epoch"] < first] + live

    def plane(self, data: Any = None) -> dict[str, Any] | None:
        """The model's answer over the plane, as the dashboard draws it (``engine.plane``)."""
        return plane_of(self, data)

    def diagnose(self) -> list[Any]:
        """The training coach's findings, most important first (``dlp_widgets.coach``)."""
        from ..coach import diagnose

        return diagnose(self)

    @property
    def folder(self) -> Path:
        return self.store.run_dir(self.id)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def data_record(self) -> dict[str, Any] | None:
        """What the run trained on (``run_data``): a source with its fingerprint, an upload
        kept in the run's folder, or a DataFrame passed from Python (described, not kept)."""
        if self._data_written is not None:
            self._data_written.result()  # still being written while the first epoch trains
        return read_record(self.folder)

    def write_data_record(self, record: Callable[[], None]) -> None:
        """Write what the run trains on (``record``) on the records' thread, before any epoch."""
        self._data_written = self._records.write(record)

    def stored_data(self) -> tuple[str, bytes] | None:
        """The uploaded file this run trained on, (name, bytes), kept with the run."""
        return stored_upload(self.folder, self.data_record)

    def test_inputs(self, n: int) -> torch.Tensor | None:
        """Up to ``n`` prepared test rows while this process still holds them."""
        split = self._trainer.test_split if self._trainer is not None else None
        return split.x[:n].detach().cpu() if split is not None and split.x is not None else None

    def test_labels(self) -> torch.Tensor | None:
        """The test split's labels (or targets) while this process holds them."""
        trainer = self._trainer
        return trainer.test_split.y.detach().cpu() if trainer is not None and trainer.test_split.y is not None else None

    # -- what users do

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event (``events.Started``, ``Progress``,
        ``EpochEnd``, ``Finished``). Returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def stop(self) -> None:
        """Ask the run to stop; it ends within one batch with status "stopped"."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> str:
        self._done.wait(timeout)
        return self.status

    def predict(self, rows: Any) -> Any:
        """Predictions in the data's own terms (class names, target units) for raw rows."""
        from ..export.predict import predict_with

        return predict_with(self.model, self.spec, self.preprocessing, rows)

    def export(self, fmt: str, path: str | Path | None = None, data: Any = None) -> Path:
        """Write the model as ``fmt`` ("onnx", "onnx_pipeline", "pt", "code" or "script") to ``path``
        (default: the run's folder) and record the file with the run. "onnx" is the network alone
        (its input: the preprocessed features); "onnx_pipeline" takes raw table columns and answers
        with class names (or values in the target's units). ``data`` matters for "script" (and helps
        "onnx_pipeline" check itself): the table the run trained on, when the run no longer holds it."""
        return export_run(self, fmt, path, data)[0]

    def export_files(self, fmt: str, path: str | Path | None = None, data: Any = None) -> list[Path]:
        """``export``, returning every file written: the script's data file comes beside it."""
        return export_run(self, fmt, path, data)

    def resume(self, data: Any = None, *, background: bool = False, displayed: bool = False) -> Run:
        """Continue an interrupted or stopped run from its last checkpoint, to its epoch count.

        It goes on with the data it trained on: its source (checked unchanged), its kept
        upload, or ``data`` (a DataFrame run needs its table again, checked the same).
        ``displayed``: a browser draws it as it trains (see ``plan_run``)."""
        if not self.done:
            raise RuntimeError("the run is still going")
        data = data_for_run(self.folder, self.id, data, self.data_record)
        claim = self.store.claim(self.id)  # refused while another process trains it
        try:
            plan = plan_run(self.spec, data, displayed=displayed)  # may refuse: the run stays as it was
            trainer = self.take_plan(plan, resume=True)
            self.store.resume_run(self.id)
        except BaseException:
            claim.release()
            raise
        self._claim = claim
        self._stop.clear()
        self._done.clear()
        if background:
            self._thread = threading.Thread(target=self.execute, args=(trainer,), daemon=True)
            self._thread.start()
        else:
            self.execute(trainer)
        return self

    # -- its life

    def take_plan(self, plan: RunPlan, *, resume: bool = False) -> Trainer:
        """Adopt a plan: the run's task, classes, device, warnings and preprocessing from it,
        and the trainer that will run it (from the last checkpoint when resuming)."""
        self.task, self.classes = plan.task, plan.classes
        self.device = plan.device_name
        self.preprocessing = plan.preprocessing
        self.training_frame = plan.frame
        self.warnings += plan.warnings
        state = self._restore(plan.model, plan.optimizer, plan.device) if resume else None
        self._model = plan.model
        self._records = EpochRecords(plan.model, save=self._save_epochs)
        trainer = Trainer(
            plan.model,
            plan.loss_fn,
            plan.optimizer,
            plan.train,
            plan.test,
            plan.config,
            emit=self._emit,
            stop=self._stop,
            on_epoch=self._on_epoch,
            state=state,
            listened=lambda: bool(self._subscribers),
        )
        trainer.plane = probe = plan.plane()
        self.plane_ground = probe.ground() if probe is not None else None
        self.plane_views = (probe is not None, probe is not None and probe.hidden_layers(plan.model) is not None)
        return trainer

    def claim(self) -> None:
        """Hold the run for this process while it trains (``store.claim``)."""
        self._claim = self.store.claim(self.id)

    def execute(self, trainer: Trainer) -> None:
        """Train to the end, then end the run (``_finish``): in this thread."""
        self._trainer = trainer
        cfg = trainer.cfg
        self._emit(
            Started(
                spec=self.spec.to_dict(),
                device=self.device,
                task=self.task,
                classes=self.classes,
                epochs=cfg.training.epochs,
                start_epoch=trainer.state.epoch,
                n_train=len(trainer.train_split),
                n_test=len(trainer.test_split),
                batches=trainer.batches_per_epoch,
                warnings=list(self.warnings),
            )
        )
        status, error = "finished", None
        try:
            trainer.fit()
        except Stopped:
            status = "stopped"
        except KeyboardInterrupt:
            trainer.model.load_state_dict(trainer.state.good_state)
            status = "stopped"
        except Diverged:
            status, error = "diverged", DIVERGED
        except Exception as exc:  # any failure ends the run as failed, with its message saved
            status = "failed"
            error = failure_message(exc)
            self.warnings.append("".join(traceback.format_exception_only(type(exc), exc)).strip())
            if trainer.state.good_state is not None:
                trainer.model.load_state_dict(trainer.state.good_state)
        self._finish(trainer, status, error)

    def finish_unstarted(self, error: str) -> None:
        """End a run that failed before its training began (its files could not be written)."""
        try:
            self.store.finish_run(self.id, "failed", {"epochs": 0}, error)
        except Exception:  # noqa: BLE001 - the caller raises the first error; this one adds nothing
            pass
        self._release()
        self.status, self.error = "failed", error
        self._done.set()

    def _finish(self, trainer: Trainer, status: str, error: str | None) -> None:
        """End the run whatever else fails: the status and message are set, ``wait()``
        returns and the finished event goes out, even when the store cannot be written (a
        full disk, a read-only folder, a lock held too long)."""
        final: dict[str, Any] = {}
        try:
            self._records.write_unsaved()  # while the final metrics are taken
            try:
                final = trainer.final_metrics() if trainer.state.epoch > 0 else {}
            except Exception as exc:  # noqa: BLE001 - the run's own status matters more
                error = error or f"final evaluation failed: {failure_message(exc)}"
            try:  # every epoch's checkpoint and row (written while the final metrics were taken)
                self._records.wait()
            except Exception as exc:  # a record that could not be written fails the run, as in fit
                if status != "failed":
                    status, error = "failed", failure_message(exc)
            final["epochs"] = trainer.state.epoch
            final["warnings"] = list(self.warnings)
            try:
                self.store.finish_run(self.id, status, final, error)
            except Exception as exc:  # noqa: BLE001 - said in the run's error, never a dead thread
                note = f"its ending could not be saved: {failure_message(exc)}"
                error = f"{error}; {note}" if error else note
            trainer.model.eval()
        finally:
            self.metrics = final
            self.status, self.error = status, error
            self._release()
            self._done.set()
            self._emit(Finished(status=status, error=error, metrics=final))

    def _release(self) -> None:
        if self._claim is not None:
            self._claim.release()
            self._claim = None

    def _emit(self, event: Event) -> None:
        event = dataclasses.replace(event, run_id=self.id)
        with self._lock:
            subscribers = list(self._subscribers)
        if isinstance(event, EpochEnd) and any(map(waits_for_saving, subscribers)):
            self._records.flush()  # what a watcher is shown of an epoch is saved
        for callback in subscribers:
            try:
                callback(event)
            except Exception as exc:  # a broken display must not break training
                self.warnings.append(f"an event subscriber failed and was removed: {exc!r}")
                with self._lock:
                    if callback in self._subscribers:
                        self._subscribers.remove(callback)

    # -- checkpoints

    def _checkpoint_path(self, kind: str = "last") -> Path:
        return self.folder / f"{kind}.pt"

    def _load_model(self, kind: str = "last") -> torch.nn.Module:
        return load_weights(self._checkpoint_path(kind), self.spec.model, self.id)

    def _restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> LoopState:
        state = restore_state(self._checkpoint_path(), model, optimizer, device)
        self._history = list(state.history)
        # the weights decide: epochs the store holds beyond them (a kill between the two
        # writes) are dropped, and any it lacks are written back
        if self._checkpoint_path().exists():
            self.store.set_epochs(self.id, self._history)
        return state

    def _on_epoch(
        self, state: LoopState, model: torch.nn.Module, optimizer: torch.optim.Optimizer, improved: bool
    ) -> None:
        self._history = list(state.history)
        epoch = state.epoch
        signals = state.signals[-1] if state.signals and state.signals[-1].get("epoch") == epoch else None
        checkpoint = {
            "epoch": epoch,
            "model_state": state.good_state,  # a fresh copy each epoch: nothing changes it later
            "optimizer_state": self._records.optimizer_snapshot(optimizer),
            "generator_state": state.generator_state,
            "best_test_loss": state.best_test_loss,
            "history": list(state.history),
        }
        with self._lock:
            urgent = any(map(waits_for_saving, self._subscribers))
        self._records.add_epoch(checkpoint, (epoch, state.history[-1], signals), improved=improved, urgent=urgent)

    def _save_epochs(self, checkpoint: dict[str, Any], best: tuple[int, dict] | None, rows: list) -> None:
        # the checkpoint before the epochs' rows: a kill between the two leaves weights rows
        # ahead of the store, which a resume puts right (never a row the weights lack)
        write_checkpoint(self.folder, **checkpoint, best=best)
        self.store.add_epochs(self.id, rows)

    def mark_loaded(self, history: list[dict[str, Any]]) -> None:
        """A run read back from the store (``load_run``): its epochs; it has ended here."""
        self._history = list(history)
        self._done.set()
