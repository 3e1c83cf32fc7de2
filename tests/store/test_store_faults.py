"""The run store under faults: a write that fails (a full disk, a read-only store, a lock held
too long, an I/O error) at each place a training run writes, and a store that is read-only
(``chattr +i``). Every run must end with a status and a message a person understands,
``wait()`` must return, and the store must stay readable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import warnings

import pytest

import dlp_widgets as dlp
from dlp_widgets.runstore import open_store
from dlp_widgets.runstore import store as store_module
from run_helpers import immutable as _immutable
from run_helpers import iris_spec

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


# ---------------------------------------------------------------- faults where the store writes


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code
    return exc


STORE_FAULTS = {
    "disk full": (sqlite_error("database or disk is full", sqlite3.SQLITE_FULL), "no space left"),
    "read-only": (sqlite_error("attempt to write a readonly database", sqlite3.SQLITE_READONLY), "read-only"),
    "locked": (sqlite_error("database is locked", sqlite3.SQLITE_BUSY), "locked by another program"),
    "I/O error": (sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR), "cannot be written"),
}
# the statements a run writes while it trains, each a place a fault can strike
STORE_WRITES = {
    "epoch row": "INSERT OR REPLACE INTO epochs",
    "the ending": "UPDATE runs SET status=?, finished=?",
}


class FaultyConnection:
    """A real SQLite connection that raises ``fault`` on statements starting with ``prefix``."""

    def __init__(self, real: sqlite3.Connection, prefix: str, fault: Exception) -> None:
        self._real, self._prefix, self._fault = real, prefix, fault

    def execute(self, sql: str, *args):
        if sql.lstrip().startswith(self._prefix):
            raise self._fault
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._real, name, value)

    def __enter__(self):
        return self._real.__enter__()

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)


@pytest.mark.parametrize("site", list(STORE_WRITES))
@pytest.mark.parametrize("fault", list(STORE_FAULTS))
def test_a_store_write_that_fails_ends_the_run_with_a_message(monkeypatch, site, fault):
    earlier = dlp.train(iris_spec(epochs=1), dashboard=False)
    exc, words = STORE_FAULTS[fault]
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        return FaultyConnection(real_connect(*args, **kwargs), STORE_WRITES[site], exc)

    with monkeypatch.context() as patch:  # (undo() would also undo conftest's DLP_HOME)
        patch.setattr(store_module.sqlite3, "connect", connect)
        run = dlp.start(iris_spec(epochs=3), dashboard=False)
        assert run.wait(60) in ("failed", "finished"), "wait() returned before the run ended"
    assert run.done and words in run.error, run.error
    assert "Traceback" not in run.error and "OperationalError" not in run.error
    runs = dlp.runs()  # the store is intact and readable
    assert earlier.id in set(runs["id"]) and run.id in set(runs["id"])
    row = open_store().get_run(run.id)  # a reopened store never shows it as still training
    assert row["status"] != "running"


# ---------------------------------------------------------------- a read-only store


@pytest.fixture
def read_only_store(tmp_path, monkeypatch):
    home = tmp_path / "ro-home"
    monkeypatch.setenv("DLP_HOME", str(home))
    run = dlp.train(iris_spec(epochs=2), dashboard=False, name="kept")
    paths = [home / "runs.sqlite", home]
    if not _immutable(paths[0], True):
        pytest.skip("chattr +i is not available here: a read-only store cannot be made for root")
    _immutable(paths[1], True)
    try:
        yield run
    finally:
        for p in reversed(paths):
            _immutable(p, False)


def test_a_read_only_store_is_read_not_crashed(read_only_store):
    run = read_only_store
    table = dlp.runs()
    assert list(table["name"]) == ["kept"]
    assert dlp.load_run(run.id).history["epoch"].tolist() == [1, 2]
    env = dict(os.environ)
    for args in (["runs", "--json"], ["show", run.id]):
        out = subprocess.run([sys.executable, "-m", "dlp_widgets.cli", *args], capture_output=True, text=True, env=env)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert run.id in out.stdout
    with pytest.raises(Exception, match="is read-only: runs can be listed and shown but not saved"):
        dlp.train(iris_spec(epochs=1), dashboard=False)
