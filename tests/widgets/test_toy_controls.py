"""The toy sets' controls in the data step, as TensorFlow Playground has them: the noise and
the derived-feature switches write the source string, the network keeps its layers when an
input is added, a spec's toy settings come back as written, and the lesson they exist for
holds — a model with no hidden layer cannot draw the circle until x₁² and x₂² are switched
on. A finished run's plane (``run.plane()``, ``dlp.boundary(run)``) is its model's answer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dlp_widgets as dlp
from dlp_widgets.data.toy import ToyRequest, parse_toy, toy_frame, toy_source

warnings.filterwarnings("ignore", category=UserWarning)


def switch(pg, *names, on=True):
    for name in names:
        pg.data.sources.toy.features[name].value = on


def test_the_switches_write_the_source_and_the_network_stays():
    pg = dlp.Playground()
    assert pg.data.sources.toy.layout.display == "none"  # iris: no toy controls
    pg.data.builtin.value = "toy:circle"
    assert pg.data.sources.toy.layout.display is None
    pg.builder.spec = {
        "input_shape": [2],
        "layers": [
            {"type": "Linear", "params": {"out_features": 5}},
            {"type": "Tanh"},
            {"type": "Linear", "params": {"out_features": 2}},
        ],
    }
    switch(pg, "x1_squared", "x2_squared")
    assert pg.spec.data.source == "toy:circle?add=x1_squared,x2_squared"
    assert pg.data.summary["input_shape"] == [4]
    assert [layer["type"] for layer in pg.builder.layers] == ["Linear", "Tanh", "Linear"]  # the user's network
    assert list(pg.builder.input_shape) == [4] and not pg.train_button.disabled
    pg.data.sources.toy.noise.value = 0.25
    assert pg.spec.data.source == "toy:circle?noise=0.25&add=x1_squared,x2_squared"
    switch(pg, "x1_squared", on=False)
    assert pg.spec.data.source == "toy:circle?noise=0.25&add=x2_squared" and pg.data.summary["input_shape"] == [3]
    pg.data.builtin.value = "toy:xor"  # another set keeps the noise and the features, as TF Playground does
    assert pg.spec.data.source == "toy:xor?noise=0.25&add=x2_squared"
    pg.data.builtin.value = "builtin:wine"
    assert pg.data.sources.toy.layout.display == "none" and pg.spec.data.source == "builtin:wine"


def test_the_noise_moves_the_points_the_switch_adds_the_column():
    pg = dlp.Playground.toy("spiral")
    before = pg.data._loaded[1].copy()
    pg.data.sources.toy.noise.value = 0.5
    after = pg.data._loaded[1]
    assert list(after.columns) == ["x1", "x2", "label"] and not np.allclose(before.x1, after.x1)
    pd.testing.assert_frame_equal(after, toy_frame("toy:spiral?noise=0.5"))  # the data step shows the real set
    switch(pg, "sin_x1")
    assert list(pg.data._loaded[1].columns) == ["x1", "x2", "sin_x1", "label"]
    assert pg.data.features.value == ("x1", "x2", "sin_x1")


@pytest.mark.parametrize(
    "source",
    ["toy:spiral?seed=3&add=sin_x2,x1_squared&n=300", "toy:moons?noise=0.15", "toy:gaussian_bumps?n=200&seed=9"],
)
def test_a_spec_s_toy_settings_come_back_as_written(source):
    pg = dlp.Playground()
    request = parse_toy(source)
    inputs = 2 + len(request.add)
    outputs = 2 if request.toy.task == "classification" else 1
    pg.spec = {
        "model": {"input_shape": [inputs], "layers": [{"type": "Linear", "params": {"out_features": outputs}}]},
        "data": {"source": source},
    }
    assert pg.data.kind == "Built-in" and pg.data.builtin.value == f"toy:{request.name}"
    assert pg.spec.data.source == source
    assert pg.data.sources.toy.noise.value == request.noise
    assert {n for n, b in pg.data.sources.toy.features.items() if b.value} == set(request.add)
    switch(pg, "x1_times_x2")  # an edit: the settings without a control (n, seed) stay
    edited = parse_toy(pg.spec.data.source)
    assert (edited.n, edited.seed, set(edited.add)) == (request.n, request.seed, {*request.add, "x1_times_x2"})


def test_every_derived_feature_has_its_switch():
    from dlp_widgets.data.toy import DERIVED
    from dlp_widgets.widgets.toy_controls import LABELS

    assert list(LABELS) == list(DERIVED)
    pg = dlp.Playground.toy("circle")
    assert [b.description for b in pg.data.sources.toy.features.values()] == ["x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂"]


def test_the_written_form_leaves_defaults_out_and_reads_back():
    assert toy_source(ToyRequest("circle")) == "toy:circle"
    request = ToyRequest("xor", noise=0.1, n=300, seed=2, add=("sin_x1",))
    assert parse_toy(toy_source(request)) == request


def test_a_wrong_toy_setting_is_shown_in_the_data_step_naming_it():
    pg = dlp.Playground()
    pg.spec = {
        "model": {"input_shape": [2], "layers": [{"type": "Linear", "params": {"out_features": 2}}]},
        "data": {"source": "toy:spiral?noise=3"},
    }
    assert pg.data.summary is None and "noise must be a number from 0 to 1, not &#x27;3&#x27;" in pg.data.message.value
    assert pg.train_button.disabled


def test_no_hidden_layer_draws_the_circle_only_with_the_squares():
    """TensorFlow Playground's first lesson, through the controls: one Linear layer is a line,
    which the circle defeats; with x₁² and x₂² switched on the same layer draws a circle."""
    pg = dlp.Playground.toy("circle")
    pg.preset.layers.value = 0
    assert [layer["type"] for layer in pg.builder.layers] == ["Linear"]
    pg.train_button.click()
    line = pg.run
    assert line.wait(300) == "finished" and line.metrics["test_accuracy"] < 0.8
    switch(pg, "x1_squared", "x2_squared")
    assert [layer["type"] for layer in pg.builder.layers] == ["Linear"] and list(pg.builder.input_shape) == [4]
    pg.train_button.click()
    circle = pg.run
    assert circle.wait(300) == "finished" and circle.metrics["test_accuracy"] >= 0.95
    plane = circle.plane()
    predicted = np.asarray(plane["predicted"])
    centre, corner = predicted[50, 50], predicted[0, 0]
    assert plane["classes"][centre] == "1" and plane["classes"][corner] == "0"  # the disc is class 1
    # a circle, not a line: the row through the middle changes class twice
    assert np.count_nonzero(np.diff(predicted[50])) == 2


def test_a_finished_run_s_plane_is_its_model_s_answer_and_draws():
    spec = {
        "model": {
            "input_shape": [2],
            "layers": [
                {"type": "Linear", "params": {"out_features": 6}},
                {"type": "ReLU"},
                {"type": "Linear", "params": {"out_features": 2}},
            ],
        },
        "data": {"source": "toy:moons?noise=0.1"},
        "training": {"epochs": 5},
    }
    run = dlp.train(spec, dashboard=False)
    plane = run.plane()
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 100, 40), rng.integers(0, 100, 40)
    frame = pd.DataFrame({"x1": [plane["x"][j] for j in cols], "x2": [plane["y"][i] for i in rows]})
    names = run.predict(frame)  # the oracle: the run's own prediction on those points
    assert [plane["classes"][plane["predicted"][i][j]] for i, j in zip(rows, cols, strict=True)] == list(names)
    reopened = dlp.load_run(run.id)  # from the store, in a fresh handle: the same plane
    assert np.array_equal(reopened.plane()["predicted"], plane["predicted"])
    box = dlp.boundary(run)
    assert len(box.children) == 2  # the boundary and, for this small MLP, its neurons
    assert "Decision boundary" in box.children[0].children[0].title


def test_a_reloaded_dataframe_run_asks_for_its_table():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    table["y"] = (table.a > table.b).astype(int)
    spec = {
        "model": {"input_shape": [2], "layers": [{"type": "Linear", "params": {"out_features": 2}}]},
        "data": {"target": "y"},
        "training": {"epochs": 2},
    }
    reloaded = dlp.load_run(dlp.train(spec, data=table, dashboard=False).id)
    with pytest.raises(dlp.DataError, match=r"no longer holds: pass it, run.plane\(data=df\)"):
        reloaded.plane()
    assert reloaded.plane(table)["axes"] == ["a", "b"]


def test_a_run_without_a_plane_says_so():
    spec = {
        "model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 3}}]},
        "data": {"source": "builtin:iris"},
        "training": {"epochs": 1},
    }
    run = dlp.train(spec, dashboard=False)
    assert run.plane() is None
    assert "no plane to draw" in dlp.boundary(run).value
