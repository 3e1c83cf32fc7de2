"""History and weights agree after a kill: a process killed between a checkpoint and its
epoch row, rows the weights never saw, and kills at random moments all leave a store that is
readable and a run that resumes to a history matching its checkpoint."""

from __future__ import annotations

import os
import random
import signal
import time
import warnings

import torch

import dlp_widgets as dlp
from dlp_widgets.runstore import open_store
from run_helpers import iris_spec, stopped_after_first_epoch
from run_helpers import start_child as _child

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


DIE_BETWEEN_WRITES = r"""
import os, dlp_widgets as dlp
from dlp_widgets.engine import epoch_records
from dlp_widgets.runstore.store import RunStore
from dlp_widgets.spec.defaults import default_model
epoch_records.RECORD_INTERVAL = 0  # each epoch written on its own
real = RunStore.add_epochs
def add_epochs(self, run_id, rows):
    if rows[0][0] == 3:
        print(run_id, flush=True)
        os._exit(9)  # killed after the checkpoint of epoch 3, before its row
    real(self, run_id, rows)
RunStore.add_epochs = add_epochs
spec = {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 6, "batch_size": 8}}
dlp.train(spec)
"""


def _assert_history_matches_weights(run_id: str) -> None:
    run = dlp.load_run(run_id)
    ckpt = torch.load(run.folder / "last.pt", weights_only=True)
    stored = [e["epoch"] for e in open_store().epochs(run_id)]
    assert stored == [r["epoch"] for r in ckpt["history"]] == list(range(1, ckpt["epoch"] + 1))
    assert run.history["epoch"].tolist() == stored


def test_a_kill_between_the_checkpoint_and_the_row_is_put_right_on_resume():
    child, run_id = _child(DIE_BETWEEN_WRITES)
    child.wait(30)
    store = open_store()
    assert store.get_run(run_id)["status"] == "interrupted"
    assert [e["epoch"] for e in store.epochs(run_id)] == [1, 2]  # the row of epoch 3 never came
    run = dlp.load_run(run_id).resume()
    assert run.status == "finished"
    _assert_history_matches_weights(run_id)
    assert [e["epoch"] for e in store.epochs(run_id)] == list(range(1, 7))


def test_rows_beyond_the_checkpoint_are_dropped_on_resume():
    cut = stopped_after_first_epoch(iris_spec(epochs=300, batch_size=1))
    store = open_store()
    store.add_epoch(cut.id, 2, {"train_loss": 123.0, "test_loss": 456.0})  # a row the weights never saw
    run = dlp.load_run(cut.id)
    run.spec.training.epochs = 3
    run.resume()
    assert run.status == "finished"
    assert all(e["train_loss"] != 123.0 for e in store.epochs(cut.id))
    _assert_history_matches_weights(cut.id)


KILL_ME = r"""
import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
spec = {"model": default_model([13], 3), "data": {"source": "builtin:wine"}, "training": {"epochs": 100000, "batch_size": 4}}
dlp.train(spec, subscribe=lambda e: print(e["run_id"], flush=True) if e["type"] == "started" else None)
"""


def test_killed_at_random_moments_the_store_stays_readable_and_resumes_consistently():
    rng = random.Random(11)
    for _ in range(5):
        child, run_id = _child(KILL_ME)
        time.sleep(rng.uniform(0.0, 1.5))  # anywhere: mid-batch, mid-checkpoint, between writes
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        store = open_store()  # readable, and the run is interrupted, not running
        assert store.get_run(run_id)["status"] == "interrupted"
        run = dlp.load_run(run_id)
        if not (run.folder / "last.pt").exists():
            continue  # killed before its first epoch ended: nothing to resume
        ckpt = torch.load(run.folder / "last.pt", weights_only=True)
        stored = [e["epoch"] for e in store.epochs(run_id)]
        # the checkpoint is written first: the store is never ahead of it, at most one behind
        assert stored == list(range(1, len(stored) + 1)) and ckpt["epoch"] - len(stored) in (0, 1)
        run.spec.training.epochs = ckpt["epoch"] + 1  # one more epoch is enough to check
        assert run.resume().status == "finished"
        _assert_history_matches_weights(run_id)
