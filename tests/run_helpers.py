"""Helpers for tests that train small runs, stop them, kill the processes that train them,
and make a store read-only: shared by the tests of the store, the engine, the data and the
exports (each imports what it uses)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model


def iris_spec(epochs: int = 3, **training) -> dict:
    return {
        "model": default_model([4], 3),
        "data": {"source": "builtin:iris"},
        "training": {"epochs": epochs, **training},
    }


def stopped_after_first_epoch(spec: dict, data=None) -> dlp.Run:
    """A run stopped at the end of its first epoch (its spec asks for many more)."""
    holder: list = []

    def stop(event):
        if event["type"] == "epoch_end" and event["epoch"] == 1:
            while not holder:  # the training thread can get here before start() has returned
                time.sleep(0.01)
            holder[0].stop()

    holder.append(dlp.start(spec, data, dashboard=False, subscribe=stop))
    assert holder[0].wait(60) == "stopped"
    return holder[0]


def start_child(code: str) -> tuple[subprocess.Popen, str]:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    run_id = child.stdout.readline().strip()
    assert run_id, "the child printed no run id"
    return child, run_id


def immutable(path: Path, on: bool) -> bool:
    """chattr ±i: read-only even for root (tests run as root). False where not supported."""
    result = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return result.returncode == 0
