"""A run ends with a status and a message in words, whatever fails under it: here the
checkpoint write (no space left, a read-only file system, torch's own error); no half-written
checkpoint is left behind. (The store's writes failing: tests/store/test_store_faults.py.)"""

from __future__ import annotations

import errno
import warnings
from pathlib import Path

import pytest

import dlp_widgets as dlp
from dlp_widgets.runstore import open_store
from run_helpers import iris_spec

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


@pytest.mark.parametrize(
    ("raised", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left"),
        (OSError(errno.EROFS, "Read-only file system"), "cannot be written to"),
        (RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0"), "no space left"),
    ],
    ids=["ENOSPC", "EROFS", "torch's own words"],
)
def test_a_checkpoint_that_cannot_be_written_ends_the_run_in_words(monkeypatch, raised, words):
    from dlp_widgets import home
    from dlp_widgets.engine import checkpoints

    def failing_save(obj, path):
        Path(path).write_bytes(b"half")  # a half-written temporary file
        raise raised

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.torch, "save", failing_save)
        if isinstance(raised, RuntimeError):  # torch says nothing useful: the disk's free space does
            patch.setattr(home.shutil, "disk_usage", lambda _: type("U", (), {"free": 1024})())
        run = dlp.start(iris_spec(epochs=2), dashboard=False)
        assert run.wait(60) == "failed"
    assert words in run.error and "inline_container" not in run.error, run.error
    assert not list(run.folder.glob(".*.part")), "a half-written checkpoint was left behind"
    assert open_store().get_run(run.id)["status"] == "failed"
