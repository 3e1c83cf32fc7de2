"""A train() call infers the model's shapes once and carries the report: the plan, the
memory estimate, the thread choice and the model build all read the same one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dlp_widgets as dlp
from dlp_widgets.spec import SpecError, shapes

SPEC = {
    "model": {
        "input_shape": [4],
        "layers": [
            {"type": "Linear", "params": {"out_features": 8}},
            {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": 3}},
        ],
    },
    "data": {"target": "y"},
    "training": {"epochs": 1, "batch_size": 32},
}


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    df["y"] = np.digitize(df.a + df.b, [-0.5, 0.5])
    return df


@pytest.fixture
def layer_checks(monkeypatch):
    """How many times a layer was checked against its input shape (once per layer per
    inference: ``shapes.infer`` makes one ``Where`` for each)."""
    seen = []

    class Counting(shapes.Where):
        def __init__(self, *args, **kwargs):
            seen.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(shapes, "Where", Counting)
    return seen


def test_a_train_call_infers_the_shapes_once(tmp_path, monkeypatch, frame, layer_checks):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    run = dlp.train(SPEC, data=frame, epochs=2)  # an epochs override re-reads the spec: still once
    assert run.status == "finished"
    assert len(layer_checks) == len(SPEC["model"]["layers"])


def test_a_bad_model_is_refused_before_the_data_is_read(tmp_path, monkeypatch, frame):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    conv = {"type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}}
    bad = {**SPEC, "model": {"input_shape": [4], "layers": [conv, *SPEC["model"]["layers"]]}}
    with pytest.raises(SpecError) as err:
        dlp.train(bad, data=str(tmp_path / "missing.csv"))  # the file does not exist either
    assert err.value.layer == 0
    assert len(dlp.runs()) == 0
