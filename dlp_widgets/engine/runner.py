"""Runs: ``train`` (blocking) and ``start`` (a background thread), ``load_run`` and the
``runs()`` table.

A run is planned before it exists (spec, data, the fit between them, memory): whatever the
plan refuses is raised at once and nothing is saved. Once started, every run ends in a
saved status — finished, stopped, diverged or failed — with the weights of its last
completed epoch.
"""

from __future__ import annotations

import json
import sys
import threading
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..runstore import RunStore, open_store
from ..spec import SpecError, load_spec
from .plan import plan_run
from .run import Callback, Run, clean_name, failure_message
from .run_data import default_name, record_data, source_label

__all__ = ["DLPWarning", "Run", "clean_name", "load_run", "runs", "start", "train"]


class DLPWarning(UserWarning):
    """A training setup that will run but probably not as intended."""


def _write_json(path: Path, value: Any) -> None:
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
    displayed: bool = False,
) -> tuple[Run, Any]:
    # the shapes are inferred once, by the plan
    spec = load_spec(spec_like, check_shapes=False)
    if epochs is not None:  # checked like the spec's own value
        raw = spec.to_dict()
        spec = load_spec({**raw, "training": {**raw["training"], "epochs": epochs}}, check_shapes=False)
    if name is not None:
        try:
            name = clean_name(name)
        except ValueError as exc:
            raise SpecError(str(exc)) from None
    if store is not None and not isinstance(store, RunStore):
        raise TypeError(f"store must be a RunStore (dlp_widgets.runstore.open_store(path)), not {type(store).__name__}")
    if isinstance(data, str):  # another source than the spec's: the run's spec says what it used
        raw = spec.to_dict()
        spec = load_spec({**raw, "data": {**raw["data"], "source": data}}, check_shapes=False)
        data = None
    store = store or open_store()
    plan = plan_run(spec, data, displayed=displayed)  # everything checked before a run exists in the store
    run_id = store.create_run(
        name=name,
        default_name=default_name(spec, data, data_name),
        spec=spec.to_dict(),
        source=source_label(spec, data, data_name),
        task=plan.task,
        device=plan.device_name,
    )
    run = Run(store, run_id, spec)
    trainer = run.take_plan(plan)
    try:
        run.claim()
        if isinstance(data, (pd.DataFrame, bytes, bytearray, memoryview)):
            # hashing a table takes as long as a few batches: done on the records' thread
            # while the first epoch trains, from a copy the caller's later edits leave alone
            snapshot = data.copy(deep=False) if isinstance(data, pd.DataFrame) else bytes(data)
            run.write_data_record(partial(record_data, run.folder, spec, snapshot, data_name))
        else:  # a file could change while the epoch trains: its fingerprint is taken now
            record_data(run.folder, spec, data, data_name)
        _write_json(run.folder / "spec.json", spec.to_dict())
        _write_json(run.folder / "preprocessing.json", run.preprocessing)
    except BaseException as exc:  # the row exists: it must not stay "running"
        run.finish_unstarted(failure_message(exc))
        raise
    for message in run.warnings:
        warnings.warn(message, DLPWarning, stacklevel=_caller_level())
    return run, trainer


def train(spec: Any, data: Any = None, *, subscribe: Callback | None = None, **options: Any) -> Run:
    """Train in this thread; returns the finished (or stopped, diverged, failed) run.
    ``options``: ``name`` (default: the data and the model, e.g. ``digits · CNN 5 layers``),
    ``epochs`` (overrides the spec's), ``store``, ``data_name`` (an upload's file name),
    ``displayed`` (a browser draws the run as it trains: see ``plan_run``)."""
    run, trainer = _new_run(spec, data, **options)
    if subscribe is not None:
        run.subscribe(subscribe)
    run.execute(trainer)
    return run


def start(spec: Any, data: Any = None, *, subscribe: Callback | None = None, **options: Any) -> Run:
    """Train in a background thread; returns the running run at once (options as ``train``)."""
    run, trainer = _new_run(spec, data, **options)
    if subscribe is not None:
        run.subscribe(subscribe)
    thread = threading.Thread(target=run.execute, args=(trainer,), name=f"dlp-run-{run.id}", daemon=True)
    thread.start()
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
    pre_path = run.folder / "preprocessing.json"
    if pre_path.exists():
        run.preprocessing = json.loads(pre_path.read_text())
        run.classes = run.preprocessing.get("classes")
    run.mark_loaded(store.epochs(row["id"]))
    return run


RUNS_COLUMNS = [
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


def runs(store: RunStore | None = None) -> pd.DataFrame:
    """Every run in the store, newest first."""
    table = []
    for r in (store or open_store()).list_runs():
        m = r["metrics"] or {}
        table.append(
            {
                "id": r["id"],
                "name": r["name"],
                "status": r["status"],
                "source": r["source"],
                "task": r["task"],
                "epochs": r["epochs_done"],
                "metric": "accuracy" if "test_accuracy" in m else ("r2" if "test_r2" in m else None),
                "best": m.get("test_accuracy", m.get("test_r2")),
                "device": r["device"],
                "created": pd.Timestamp(r["created"], unit="s"),
                "duration_s": (r["finished"] - r["created"]) if r["finished"] else None,
                "error": r["error"] or r.get("note"),
            }
        )
    return pd.DataFrame(table, columns=RUNS_COLUMNS)
