"""Running the ``dlp`` command in a child process, as a person types it: with this
session's DLP_HOME, or with a store of its own (``dlp_at``), and a store filled with finished
runs written straight into it, no training needed (``stored_runs``)."""

import json
import subprocess
import sys
from pathlib import Path

DLP = [sys.executable, "-m", "dlp_widgets.cli"]


def dlp(*args, stdin=None):
    return subprocess.run([*DLP, *args], capture_output=True, text=True, input=stdin, timeout=120)


IRIS_SPEC = Path(__file__).resolve().parents[1] / "examples" / "iris.json"


def dlp_at(home, *args):
    """``dlp`` with its own DLP_HOME, for tests that need a store of a special kind."""
    import os

    env = {**os.environ, "DLP_HOME": str(home)}
    return subprocess.run([*DLP, *args], capture_output=True, text=True, timeout=120, env=env)


def stored_runs(home, count):
    """``count`` finished runs written straight into the store at ``home``: no training needed."""
    from dlp_widgets.runstore import open_store

    store = open_store(home / "runs.sqlite")
    ids = []
    for i in range(count):
        run_id = store.create_run(
            name=f"stored {i}", spec=json.loads(IRIS_SPEC.read_text()), source="builtin:iris", task=None, device="cpu"
        )
        store.finish_run(run_id, "finished", {"test_accuracy": 0.5})
        ids.append(run_id)
    return store, ids
