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
from ..spec import Spec, SpecError, infer, load_spec
from .build import build_model
from .device import describe, pick_device
from .loop import Diverged, LoopConfig, LoopState, Split, Stopped, Trainer
from .memory import activation_bytes, check_batch_fits, eval_rows
from .objective import check_fit, inverse_frequency, loss_name, make_loss, make_optimizer
from .run_data import (
    DATAFRAME_LABEL,
    default_name,
    describe_dataframe,
    read_record,
    record_data,
    source_label,
    stored_upload,
)
from .threads import threads_for

Callback = Callable[[dict[str, Any]], None]
CHECKPOINT_FORMAT = "dlp_widgets.checkpoint/1"
# what a run keeps in its folder; an export must not replace any of them
RUN_FILES = frozenset({"last.pt", "best.pt", "last.tmp.pt", "best.tmp.pt", "spec.json", "preprocessing.json"})


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
        from ..export import FORMATS, ExportError, check_format, check_target, write_export

        check_format(fmt)
        out = check_target(path) if path is not None else self.folder / FORMATS[fmt]
        if out.name in RUN_FILES and out.resolve().parent == self.folder.resolve():
            raise ExportError(f"{out.name} is this run's own file (needed to load or resume it); choose another name")
        write_export(
            fmt,
            out,
            model=self.model,
            spec=self.spec,
            preprocessing=self.preprocessing,
            metrics=self.metrics,
            check_batch=self._test_inputs(64) if fmt == "onnx" else None,
            frame=self._export_table(fmt, data),
            run_id=self.id,
            name=self.name,
        )
        self.store.add_artefact(self.id, fmt, out)
        return out

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
        if isinstance(data, pd.DataFrame):
            return data
        if data is not None:
            return load_table(data)[0]
        if self._frame is not None:
            return self._frame
        upload = self.stored_data()
        if upload is not None:
            return load_table(upload[1], name=upload[0])[0]
        image_run = (self.preprocessing or {}).get("kind") == "image"
        if self.spec.data.source is None or image_run:
            return None  # the exporter says what is missing
        return load_table(self.spec.data.source)[0]

    def resume(self, data: Any = None, *, background: bool = False) -> Run:
        """Continue an interrupted or stopped run from its last checkpoint, to its epoch count."""
        if not self.done:
            raise RuntimeError("the run is still going")
        record = self.data_record or {}
        source = self.store.get_run(self.id)["source"]
        if data is None and (record.get("kind") == "dataframe" or source == DATAFRAME_LABEL):
            what = describe_dataframe(record) if record else "a DataFrame"
            raise DataError(f"this run trained on {what}, passed from Python: pass it again, resume(data=df)")
        if data is None and record.get("kind") == "upload":
            upload = self.stored_data()
            if upload is None:
                raise DataError(f"the uploaded file this run trained on ({record.get('name')}) is missing or changed")
            data = upload[1]
        trainer, _ = self._prepare(data, resume=True)  # may refuse: the run stays as it was
        self._stop.clear()
        self._done.clear()
        self.store.resume_run(self.id)
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
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{path} is not this run's checkpoint (was it overwritten?)")
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
        ckpt = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise DataError(f"{path} is not this run's checkpoint (was it overwritten?); it cannot be resumed")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        self._history = list(ckpt["history"])
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
        row = state.history[-1]
        self._history = list(state.history)
        self.store.add_epoch(self.id, state.epoch, row)
        ckpt = {
            "format": CHECKPOINT_FORMAT,
            "epoch": state.epoch,
            "model": state.good_state,
            "optimizer": optimizer.state_dict(),
            "generator": state.generator_state,
            "best_test_loss": state.best_test_loss,
            "history": state.history,
        }
        tmp = self._checkpoint_path("last.tmp")
        torch.save(ckpt, tmp)
        os.replace(tmp, self._checkpoint_path())  # a crash mid-write never leaves half a file
        if improved:
            tmp = self._checkpoint_path("best.tmp")
            torch.save({"format": CHECKPOINT_FORMAT, "epoch": state.epoch, "model": state.good_state}, tmp)
            os.replace(tmp, self._checkpoint_path("best"))

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
            error = f"{type(exc).__name__}: {exc}"
            self.warnings.append("".join(traceback.format_exception_only(type(exc), exc)).strip())
            if trainer.state.good_state is not None:
                trainer.model.load_state_dict(trainer.state.good_state)
        try:
            final = trainer.final_metrics() if trainer.state.epoch > 0 else {}
        except Exception as exc:  # noqa: BLE001 - the run's own status matters more
            final = {}
            error = error or f"final evaluation failed: {exc}"
        final["epochs"] = trainer.state.epoch
        final["warnings"] = list(self.warnings)
        self.metrics = final
        self.status, self.error = status, error
        self.store.finish_run(self.id, status, final, error)
        trainer.model.eval()
        self._done.set()
        self._emit({"type": "finished", "status": status, "error": error, "metrics": final})


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
    store = store or open_store()
    probe = Run(store, "", spec)  # validate everything before a run exists in the store
    trainer, prepared = probe._prepare(data, resume=False)
    run_id = store.create_run(
        name=name or store.free_name(default_name(spec, data, data_name)),
        spec=spec.to_dict(),
        source=source_label(spec, data, data_name),
        task=prepared.task,
        device=probe.device,
    )
    probe.id = run_id
    record_data(probe.folder, spec, data, data_name)
    _write_json(probe.folder / "spec.json", spec.to_dict())
    _write_json(probe.folder / "preprocessing.json", probe.preprocessing)
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
