"""One store, several processes: a run training in another process cannot be resumed or
deleted here; a run whose process is gone (killed, or on a machine that restarted under another
host name) is marked interrupted when the store is next opened; runs started at the same moment
by several processes never take the same default name."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

import dlp_widgets as dlp
from dlp_widgets.runstore import open_store
from run_helpers import start_child as _child

TRAIN_IN_CHILD = r"""
import sys, time, dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
spec = {"model": default_model([4], 3), "data": {"source": "builtin:iris"},
        "training": {"epochs": 400, "batch_size": 4}}
def on_event(e):
    if e["type"] == "epoch_end" and e["epoch"] == 2:
        print(e["run_id"], flush=True)
dlp.train(spec, subscribe=on_event)
"""


def test_a_run_training_in_another_process_cannot_be_resumed_or_deleted():
    child, run_id = _child(TRAIN_IN_CHILD)
    try:
        store = open_store()
        assert store.get_run(run_id)["status"] == "running"
        with pytest.raises(Exception, match=rf"run {run_id} is training in process {child.pid} on"):
            dlp.load_run(run_id).resume()
        with pytest.raises(ValueError, match="still training in process"):
            store.delete_run(run_id)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    store = open_store()
    assert store.get_run(run_id)["status"] == "interrupted"
    run = dlp.load_run(run_id)
    run.spec.training.epochs = 4  # the child's 400 epochs are not needed to see it resume
    assert run.resume().status == "finished"


def test_a_run_whose_owner_is_gone_is_interrupted_even_under_a_new_host_name():
    child, run_id = _child(TRAIN_IN_CHILD)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    with sqlite3.connect(open_store().path) as db:  # as after a restart with a new host name
        db.execute("UPDATE runs SET status='running', host='machine-before-restart' WHERE id=?", (run_id,))
    assert open_store().get_run(run_id)["status"] == "interrupted"


def test_default_names_stay_apart_when_processes_start_together(tmp_path):
    code = (
        "import dlp_widgets as dlp\nfrom dlp_widgets.spec.defaults import default_model\n"
        "print(dlp.train({'model': default_model([4], 3), 'data': {'source': 'builtin:iris'},"
        " 'training': {'epochs': 1}}).name)"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        for _ in range(4)
    ]
    names = [c.communicate(timeout=120)[0].strip() for c in children]
    assert len(set(names)) == 4, names
