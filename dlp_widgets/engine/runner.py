"""Runs: ``train`` (blocking) and ``start`` (a background thread), stop, events, the store.

A run validates everything before it starts (spec, data, the fit between them): those
errors are raised at once and nothing is saved. Once started, every run ends in a saved
status — finished, stopped, diverged or failed — with the weights of its last completed
epoch.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..data import DataError, ImageData, TabularData, load_table, prepare
from ..data.images import TensorImages
from ..runstore import RunStore, open_store
from ..runstore.ownership import Claim
from ..spec import Spec, SpecError, infer, load_spec
from .build import build_model
from .checkpoints import CheckpointError, read_checkpoint, write_checkpoint
from .device import describe, pick_device
from .loop import Diverged, LoopConfig, LoopState, Split, Stopped, Trainer
from .memory import activation_bytes, check_batch_fits, eval_rows
from .objective import check_fit, inverse_frequency, loss_name, make_loss, make_optimizer
from .run_data import (
    data_for_run,
    default_name,
    read_record,
    record_data,
    source_label,
    stored_upload,
)
from .threads import threads_for

Callback = Callable[[dict[str, Any]], None]
# the export formats that need the trained weights
NEEDS_WEIGHTS = frozenset({"onnx", "onnx_pipeline", "pt"})


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


class DLPWarning(UserWarning):
    """A training setup that will run but probably not as intended."""


def _splits(data: TabularData | ImageData, device: torch.device) -> tuple[Split, Split]:
    if isinstance(data, TabularData):
        x_tr, y_tr, x_te, y_te = data.tensors()
        return Split(x_tr.to(device), y_tr.to(device)), Split(x_te.to(device), y_te.to(device))
    plain = all(not data.transforms[s] for s in ("train", "test"))
    if plain and isinstance(data.train, TensorImages):  # in memory, nothing random: batch by index

        def tensors(ds: TensorImages) -> Split:
            x = ds.images.float().div(255) if ds.images.dtype == torch.uint8 else ds.images.float()
            return Split(x.to(device), torch.as_tensor(ds.labels).long().to(device))

        return tensors(data.train), tensors(data.test)
    return Split(dataset=data.train), Split(dataset=data.test)


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
        self._model: torch.nn.Module | None = None
        self._history: list[dict[str, Any]] = []
        self._subscribers: list[Callback] = []
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._frame: pd.DataFrame | None = None  # data passed from Python, for script export
        self._claim: Claim | None = None  # this process's hold on the run while it trains

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
    def folder(self) -> Path:
        return self.store.run_dir(self.id)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event: started, progress, epoch_end, finished.
        Returns a function that unsubscribes."""
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

    def export(self, fmt: str, path: str | Path | None = None, data: Any = None) -> Path:
        """Write the model as ``fmt`` ("onnx", "onnx_pipeline", "pt", "code" or "script") to
        ``path`` (default: the run's folder) and record the file with the run. "onnx" is the
        network alone (its input: the preprocessed features); "onnx_pipeline" takes raw table
        columns and answers with class names (or values in the target's units).

        ``data`` matters for "script" only: the table the run trained on when the run no
        longer holds it (reloaded from the store after training on a DataFrame)."""
        from ..export import FORMATS, ExportError, check_format, real_target, write_export

        check_format(fmt)
        out = real_target(path if path is not None else self.folder / FORMATS[fmt])
        protected = self.store.protects(out)
        if protected:
            raise ExportError(f"{out} is {protected}: an export never replaces it; choose another name")
        model = self.model if fmt in NEEDS_WEIGHTS else None  # the code needs no trained weights
        written = write_export(
            fmt,
            out,
            model=model,
            spec=self.spec,
            preprocessing=self.preprocessing,
            metrics=self.metrics,
            check_batch=self._test_inputs(64) if fmt == "onnx" else None,
            frame=self._export_table(fmt, data),
            run_id=self.id,
            name=self.name,
        )
        self.store.add_artefact(self.id, fmt, written)
        return written

    def export_files(self, fmt: str, path: str | Path | None = None, data: Any = None) -> list[Path]:
        """``export``, returning every file written: the script's data file comes beside it."""
        out = self.export(fmt, path, data)
        if fmt != "script":
            return [out]
        from ..export.script import data_path

        table = data_path(out)
        self.store.add_artefact(self.id, "script-data", table)
        return [out, table]

    def predict(self, rows: Any) -> Any:
        """Predictions in the data's own terms (class names, target units) for raw rows."""
        from .saved import predict_with

        return predict_with(self.model, self.spec, self.preprocessing, rows)

    def _test_inputs(self, n: int) -> torch.Tensor | None:
        """Real test rows while the run still holds them (the ONNX check prefers them)."""
        trainer = self._trainer
        if trainer is not None and trainer.test_split.x is not None:
            return trainer.test_split.x[:n].detach().cpu()
        return None

    def _export_table(self, fmt: str, data: Any) -> pd.DataFrame | None:
        """The training table for exports that use it: the script writes it beside itself;
        the ONNX pipeline checks itself on its rows when they are at hand."""
        if fmt == "script":
            return self._training_table(data)
        if fmt == "onnx_pipeline":
            try:
                return self._training_table(data)
            except DataError:
                return None  # it checks itself on rows made from the preprocessing instead
        return None

    @property
    def data_record(self) -> dict[str, Any] | None:
        """What the run trained on (``run_data``): a source, an upload kept in the run's
        folder, or a DataFrame passed from Python (described, not kept)."""
        return read_record(self.folder)

    def stored_data(self) -> tuple[str, bytes] | None:
        """The uploaded file this run trained on, (name, bytes), kept with the run."""
        return stored_upload(self.folder, self.data_record)

    def _training_table(self, data: Any) -> pd.DataFrame | None:
        if data is None and self._frame is not None:
            return self._frame  # the table this process trained on, still in memory
        if data is None and (self.preprocessing or {}).get("kind") == "image":
            return None  # the exporter says what is missing
        if data is None and (self.data_record or {}).get("kind") == "dataframe":
            return None  # the exporter asks for the table
        data = data_for_run(self.folder, self.id, data, self.data_record)
        if isinstance(data, pd.DataFrame):
            return data
        source = data if data is not None else self.spec.data.source
        if source is None:
            return None
        upload = self.stored_data()
        return load_table(source, name=upload[0] if upload and isinstance(source, bytes) else None)[0]

    def resume(self, data: Any = None, *, background: bool = False) -> Run:
        """Continue an interrupted or stopped run from its last checkpoint, to its epoch count.

        It goes on with the data it trained on: its source (checked unchanged), its kept
        upload, or ``data`` (a DataFrame run needs its table again, checked the same)."""
        if not self.done:
            raise RuntimeError("the run is still going")
        data = data_for_run(self.folder, self.id, data, self.data_record)
        claim = self.store.claim(self.id)  # refused while another process trains it
        try:
            trainer, _ = self._prepare(data, resume=True)  # may refuse: the run stays as it was
            self.store.resume_run(self.id)
        except BaseException:
            claim.release()
            raise
        self._claim = claim
        self._stop.clear()
        self._done.clear()
        if background:
            self._thread = threading.Thread(target=self._execute, args=(trainer,), daemon=True)
            self._thread.start()
        else:
            self._execute(trainer)
        return self

    # -- events

    def _emit(self, event: dict[str, Any]) -> None:
        event = {"run_id": self.id, **event}
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception as exc:  # a broken display must not break training
                self.warnings.append(f"an event subscriber failed and was removed: {exc!r}")
                with self._lock:
                    if callback in self._subscribers:
                        self._subscribers.remove(callback)

    # -- loading

    def _checkpoint_path(self, kind: str = "last") -> Path:
        return self.folder / f"{kind}.pt"

    def _load_model(self, kind: str = "last") -> torch.nn.Module:
        path = self._checkpoint_path(kind)
        if not path.exists():  # never hand out untrained weights as if they were the run's
            raise FileNotFoundError(f"run {self.id} has no saved weights ({path.name} is missing): no epoch finished")
        try:
            ckpt = read_checkpoint(path)
        except CheckpointError as exc:
            raise ValueError(exc.message) from None
        model = build_model(self.spec.model)
        model.load_state_dict(ckpt["model"])
        model.eval()
        return model

    # -- running

    def _prepare(self, data: Any, resume: bool) -> tuple[Trainer, Any]:
        spec = self.spec
        prepared = prepare(spec, data)
        self._frame = data if isinstance(data, pd.DataFrame) else None
        report = infer(spec.model)
        report.raise_for_error()
        self.task = prepared.task
        self.classes = prepared.classes
        n_classes = len(prepared.classes) if prepared.classes else None
        self.warnings += list(prepared.warnings)
        self.warnings += check_fit(spec, report, prepared.task, n_classes, prepared.input_shape)
        device = pick_device(spec.training.device)
        if spec.training.precision == "bf16" and device.type != "cuda":
            self.warnings.append("bf16 precision applies on CUDA only; this run uses fp32")
        self.device = describe(device)
        per_example = activation_bytes(spec.model)
        check_batch_fits(per_example, spec.training.batch_size, device)
        self.preprocessing = (
            prepared.preprocessor.to_dict() if isinstance(prepared, TabularData) else prepared.preprocessor
        )
        torch.manual_seed(spec.training.seed)
        model = build_model(spec.model).to(device)
        train, test = _splits(prepared, device)
        name = loss_name(spec, prepared.task)
        weights = None
        if spec.training.class_weights and prepared.task == "classification":
            labels = train.y if train.y is not None else torch.as_tensor(prepared.train.labels)
            weights = inverse_frequency(labels, n_classes).to(device)
        loss_fn = make_loss(name, weights)
        optimizer = make_optimizer(spec, model.parameters())
        config = LoopConfig(
            task=prepared.task,
            classes=prepared.classes,
            loss_name=name,
            epochs=spec.training.epochs,
            batch_size=spec.training.batch_size,
            shuffle=spec.training.shuffle,
            seed=spec.training.seed,
            device=device,
            precision=spec.training.precision,
            target_scale=prepared.preprocessor.target_std if isinstance(prepared, TabularData) else 1.0,
            workers=0 if (os.cpu_count() or 1) <= 2 else min(4, (os.cpu_count() or 2) - 1),
            threads=threads_for(spec.model.to_dict(), spec.training.batch_size, device),
            eval_rows=eval_rows(per_example, spec.training.batch_size),
        )
        state = None
        if resume:
            state = self._restore(model, optimizer, device)
        trainer = Trainer(
            model,
            loss_fn,
            optimizer,
            train,
            test,
            config,
            emit=self._emit,
            stop=self._stop,
            on_epoch=self._on_epoch,
            state=state,
        )
        self._model = model
        return trainer, prepared

    def _restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> LoopState:
        path = self._checkpoint_path()
        if not path.exists():
            return LoopState()
        try:
            ckpt = read_checkpoint(path, device)
        except CheckpointError as exc:
            raise DataError(f"{exc.message}; it cannot be resumed") from None
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        self._history = list(ckpt["history"])
        # the weights decide: epochs the store holds beyond them (a kill between the two
        # writes) are dropped, and any it lacks are written back
        self.store.set_epochs(self.id, self._history)
        return LoopState(
            epoch=ckpt["epoch"],
            history=list(ckpt["history"]),
            best_test_loss=ckpt["best_test_loss"],
            good_state={k: v.cpu() for k, v in ckpt["model"].items()},
            generator_state=ckpt["generator"].cpu(),
        )

    def _on_epoch(
        self, state: LoopState, model: torch.nn.Module, optimizer: torch.optim.Optimizer, improved: bool
    ) -> None:
        # the checkpoint before the epoch's row: a kill between the two leaves weights a row
        # ahead of the store, which a resume puts right (never a row the weights lack)
        write_checkpoint(
            self.folder,
            epoch=state.epoch,
            model_state=state.good_state,
            optimizer_state=optimizer.state_dict(),
            generator_state=state.generator_state,
            best_test_loss=state.best_test_loss,
            history=state.history,
            improved=improved,
        )
        self._history = list(state.history)
        self.store.add_epoch(self.id, state.epoch, state.history[-1])

    def _execute(self, trainer: Trainer) -> None:
        self._trainer = trainer
        cfg = trainer.cfg
        self._emit(
            {
                "type": "started",
                "spec": self.spec.to_dict(),
                "device": self.device,
                "task": self.task,
                "classes": self.classes,
                "epochs": cfg.epochs,
                "start_epoch": trainer.state.epoch,
                "n_train": len(trainer.train_split),
                "n_test": len(trainer.test_split),
                "batches": trainer.batches_per_epoch,
                "warnings": list(self.warnings),
            }
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
            status = "diverged"
            error = (
                "the loss became NaN or infinite; the weights of the last good epoch are kept. "
                "Lower the learning rate (training.lr)."
            )
        except Exception as exc:  # any failure ends the run as failed, with its message saved
            status = "failed"
            error = failure_message(exc)
            self.warnings.append("".join(traceback.format_exception_only(type(exc), exc)).strip())
            if trainer.state.good_state is not None:
                trainer.model.load_state_dict(trainer.state.good_state)
        self._finish(trainer, status, error)

    def _finish_unstarted(self, error: str) -> None:
        """End a run that failed before its training began (its files could not be written)."""
        try:
            self.store.finish_run(self.id, "failed", {"epochs": 0}, error)
        except Exception:  # noqa: BLE001 - the caller raises the first error; this one adds nothing
            pass
        if self._claim is not None:
            self._claim.release()
            self._claim = None
        self.status, self.error = "failed", error
        self._done.set()

    def _finish(self, trainer: Trainer, status: str, error: str | None) -> None:
        """End the run whatever else fails: the status and message are set, ``wait()``
        returns and the finished event goes out, even when the store cannot be written (a
        full disk, a read-only folder, a lock held too long)."""
        final: dict[str, Any] = {}
        try:
            try:
                final = trainer.final_metrics() if trainer.state.epoch > 0 else {}
            except Exception as exc:  # noqa: BLE001 - the run's own status matters more
                error = error or f"final evaluation failed: {failure_message(exc)}"
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
            if self._claim is not None:
                self._claim.release()
                self._claim = None
            self._done.set()
            self._emit({"type": "finished", "status": status, "error": error, "metrics": final})


def failure_message(exc: BaseException) -> str:
    """An exception as one line a person can act on: our own errors by their message, the
    store's and the checkpoints' in words, others with their type."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        return message
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- the API


def _write_json(path: Path, value: Any) -> None:
    import json

    path.write_text(json.dumps(value, indent=1, ensure_ascii=False), encoding="utf-8")


def _caller_level() -> int:
    """The stack level of the first frame outside this package, so that a warning points at the
    user's line (a notebook cell, a script) whichever API function they called."""
    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _new_run(
    spec_like: Any,
    data: Any,
    *,
    name: str | None = None,
    epochs: int | None = None,
    store: RunStore | None = None,
    data_name: str | None = None,
) -> tuple[Run, Trainer]:
    spec = load_spec(spec_like)
    if epochs is not None:  # checked like the spec's own value
        raw = spec.to_dict()
        spec = load_spec({**raw, "training": {**raw["training"], "epochs": epochs}})
    if name is not None:
        try:
            name = clean_name(name)
        except ValueError as exc:
            raise SpecError(str(exc)) from None
    if store is not None and not isinstance(store, RunStore):
        raise TypeError(f"store must be a RunStore (dlp_widgets.runstore.open_store(path)), not {type(store).__name__}")
    if isinstance(data, str):  # another source than the spec's: the run's spec says what it used
        raw = spec.to_dict()
        spec = load_spec({**raw, "data": {**raw["data"], "source": data}})
        data = None
    store = store or open_store()
    probe = Run(store, "", spec)  # validate everything before a run exists in the store
    trainer, prepared = probe._prepare(data, resume=False)
    run_id = store.create_run(
        name=name,
        default_name=default_name(spec, data, data_name),
        spec=spec.to_dict(),
        source=source_label(spec, data, data_name),
        task=prepared.task,
        device=probe.device,
    )
    probe.id = run_id
    try:
        probe._claim = store.claim(run_id)
        record_data(probe.folder, spec, data, data_name)
        _write_json(probe.folder / "spec.json", spec.to_dict())
        _write_json(probe.folder / "preprocessing.json", probe.preprocessing)
    except BaseException as exc:  # the row exists: it must not stay "running"
        probe._finish_unstarted(failure_message(exc))
        raise
    for message in probe.warnings:
        warnings.warn(message, DLPWarning, stacklevel=_caller_level())
    return probe, trainer


def train(spec: Any, data: Any = None, *, subscribe: Callback | None = None, **options: Any) -> Run:
    """Train in this thread; returns the finished (or stopped, diverged, failed) run.
    ``options``: ``name`` (default: the data and the model, e.g. ``digits · CNN 5 layers``),
    ``epochs`` (overrides the spec's), ``store``, ``data_name`` (an upload's file name)."""
    run, trainer = _new_run(spec, data, **options)
    if subscribe is not None:
        run.subscribe(subscribe)
    run._execute(trainer)
    return run


def start(spec: Any, data: Any = None, *, subscribe: Callback | None = None, **options: Any) -> Run:
    """Train in a background thread; returns the running run at once (options as ``train``)."""
    run, trainer = _new_run(spec, data, **options)
    if subscribe is not None:
        run.subscribe(subscribe)
    run._thread = threading.Thread(target=run._execute, args=(trainer,), name=f"dlp-run-{run.id}", daemon=True)
    run._thread.start()
    return run


def load_run(run_id: str, store: RunStore | None = None) -> Run:
    store = store or open_store()
    row = store.get_run(run_id)
    if row is None:
        raise KeyError(f"no run {run_id!r} in {store.path}")
    if row.get("note"):  # its stored spec cannot be read: say so, not what parsing made of it
        raise ValueError(f"run {row['id']} cannot be loaded: {row['note']}")
    run = Run(store, row["id"], load_spec(row["spec"], check_shapes=False))
    run.status, run.error, run.device, run.task = row["status"], row["error"], row["device"], row["task"]
    run.metrics = row["metrics"]
    run._history = store.epochs(row["id"])
    pre_path = run.folder / "preprocessing.json"
    if pre_path.exists():
        import json

        run.preprocessing = json.loads(pre_path.read_text())
        run.classes = run.preprocessing.get("classes")
    run._done.set()
    return run


def runs(store: RunStore | None = None) -> pd.DataFrame:
    """Every run in the store, newest first."""
    rows = (store or open_store()).list_runs()
    table = []
    for r in rows:
        m = r["metrics"] or {}
        best = m.get("test_accuracy", m.get("test_r2"))
        table.append(
            {
                "id": r["id"],
                "name": r["name"],
                "status": r["status"],
                "source": r["source"],
                "task": r["task"],
                "epochs": r["epochs_done"],
                "metric": "accuracy" if "test_accuracy" in m else ("r2" if "test_r2" in m else None),
                "best": best,
                "device": r["device"],
                "created": pd.Timestamp(r["created"], unit="s"),
                "duration_s": (r["finished"] - r["created"]) if r["finished"] else None,
                "error": r["error"] or r.get("note"),
            }
        )
    columns = [
        "id",
        "name",
        "status",
        "source",
        "task",
        "epochs",
        "metric",
        "best",
        "device",
        "created",
        "duration_s",
        "error",
    ]
    return pd.DataFrame(table, columns=columns)


__all__ = ["DLPWarning", "Run", "load_run", "runs", "start", "train"]
