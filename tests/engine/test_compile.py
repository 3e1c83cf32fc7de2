"""``training.compile``: the training steps go through ``torch.compile`` (off by default).
The run learns what the eager run learns (the same losses, within float error), and what it
saves is the plain module's: checkpoints and exports load as those of any run. A model the
compiler refuses fails the run with one line that names the setting."""

from __future__ import annotations

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.engine import loop
from run_helpers import iris_spec


def test_a_compiled_run_learns_what_the_eager_run_learns_and_saves_plain_weights(tmp_path):
    eager = dlp.train(iris_spec(epochs=5), dashboard=False)
    compiled = dlp.train(iris_spec(epochs=5, compile=True), dashboard=False)
    assert compiled.status == "finished", compiled.error
    assert compiled.metrics["test_accuracy"] >= 0.8  # it learned
    torch.testing.assert_close(
        torch.tensor(compiled.history["train_loss"].to_numpy()),
        torch.tensor(eager.history["train_loss"].to_numpy()),
        rtol=1e-3,
        atol=1e-4,
    )
    saved = torch.load(compiled.folder / "last.pt", weights_only=True)["model"]
    assert list(saved) == list(eager.model.state_dict())  # no "_orig_mod." names
    path = compiled.export("pt", tmp_path / "model.pt")
    rows = dlp.load_run(compiled.id).history  # a reload reads it like any run
    assert len(rows) == 5
    reloaded = dlp.load_model(path).model.eval()
    x = torch.randn(7, 4)
    with torch.no_grad():
        torch.testing.assert_close(reloaded(x), compiled.model.eval()(x))


def test_a_model_the_compiler_refuses_fails_the_run_naming_the_setting(monkeypatch):
    def refuse(model, **_):
        def compiled(x):
            raise RuntimeError("InductorError: CppCompileError: C++ compile error\n... pages of compiler output ...")

        return compiled

    monkeypatch.setattr(loop.torch, "compile", refuse)
    run = dlp.train(iris_spec(epochs=2, compile=True), dashboard=False)
    assert run.status == "failed"
    assert "training.compile: torch.compile could not compile this model" in run.error
    assert "pages of compiler output" not in run.error and "train without it" in run.error


def test_compile_is_off_by_default_and_checked_as_a_bool():
    assert dlp.load_spec(iris_spec()).training.compile is False
    with pytest.raises(dlp.SpecError, match="training.compile"):
        dlp.load_spec(iris_spec(compile="yes"))
