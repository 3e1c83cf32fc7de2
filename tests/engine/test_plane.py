"""The plane view's data, checked against the model itself: every grid value is what the
model predicts for that point through the run's own preprocessing (``run.predict`` and a
forward pass by hand are the oracles), each hidden unit's thumbnail is that unit's
activation, and only two-feature tables get a plane, only when someone watches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.engine import loop
from dlp_widgets.engine import plane as P
from dlp_widgets.engine.events import EpochEnd
from dlp_widgets.engine.runner import _new_run


def mlp(inputs, hidden, outputs):
    layers = []
    for width in hidden:
        layers += [{"type": "Linear", "params": {"out_features": width}}, {"type": "Tanh"}]
    return {"input_shape": [inputs], "layers": [*layers, {"type": "Linear", "params": {"out_features": outputs}}]}


def fitted(source, model, epochs=3, data=None, target=None):
    spec = {"model": model, "data": {"source": source, "target": target}, "training": {"epochs": epochs, "lr": 0.01}}
    run, trainer = _new_run(spec, data, store=None)
    trainer.fit()
    return run, trainer


def grid_points(snap, rng, k=150):
    """``k`` grid points at random: (row, column, x, y)."""
    n = len(snap["x"])
    rows, cols = rng.integers(0, n, k), rng.integers(0, n, k)
    return [(i, j, snap["x"][j], snap["y"][i]) for i, j in zip(rows, cols, strict=True)]


@pytest.mark.parametrize(
    ("source", "inputs", "derived"),
    [
        ("toy:circle?noise=0.1", 2, {}),
        ("toy:spiral?add=x1_squared,sin_x2", 4, {"x1_squared": lambda a, b: a**2, "sin_x2": lambda a, b: np.sin(b)}),
    ],
)
def test_every_boundary_value_is_the_models_own_prediction(source, inputs, derived):
    run, trainer = fitted(source, mlp(inputs, [8, 8], 2))
    snap = trainer.plane.snapshot(trainer.model)
    assert snap["kind"] == "classes" and snap["axes"] == ["x1", "x2"] and len(snap["predicted"]) == P.GRID
    points = grid_points(snap, np.random.default_rng(0))
    rows = pd.DataFrame({"x1": [p[2] for p in points], "x2": [p[3] for p in points]})
    for name, formula in derived.items():
        rows[name] = formula(rows.x1.to_numpy(), rows.x2.to_numpy())
    names = run.predict(rows)  # the oracle: a prediction as a user asks for one
    model = trainer.model.eval()
    with torch.no_grad():
        x = torch.from_numpy(dlp.data.Preprocessor.from_dict(run.preprocessing).transform(rows))
        probs = torch.softmax(model(x), 1)
    for k, (i, j, _, _) in enumerate(points):
        assert snap["classes"][snap["predicted"][i][j]] == names[k]
        assert snap["confidence"][i][j] == pytest.approx(float(probs[k].max()), abs=1e-4)
    # the points drawn are the data's own, in its units
    train_x1 = run.training_frame if run.training_frame is not None else None
    assert train_x1 is None and min(snap["train"]["x"]) >= snap["x"][0] and max(snap["train"]["x"]) <= snap["x"][-1]


def test_a_regression_plane_holds_values_in_the_targets_units():
    run, trainer = fitted("toy:gaussian_bumps?n=600", mlp(2, [8], 1), epochs=5)
    snap = trainer.plane.snapshot(trainer.model)
    assert snap["kind"] == "values"
    points = grid_points(snap, np.random.default_rng(1), k=50)
    rows = pd.DataFrame({"x1": [p[2] for p in points], "x2": [p[3] for p in points]})
    values = run.predict(rows)
    for k, (i, j, _, _) in enumerate(points):
        assert snap["values"][i][j] == pytest.approx(float(values[k]), abs=1e-4)


def test_each_hidden_unit_thumbnail_is_that_units_activation():
    run, trainer = fitted("toy:xor", mlp(2, [6, 4], 2))
    snap = trainer.plane.snapshot(trainer.model)
    neurons = snap["neurons"]
    assert [len(layer["units"]) for layer in neurons] == [6, 4]
    _, _, frame = trainer.plane.grid(P.NEURON_GRID)
    x = torch.from_numpy(dlp.data.Preprocessor.from_dict(run.preprocessing).transform(frame))
    model = trainer.model.eval()
    with torch.no_grad():
        first = torch.tanh(model[0](x))  # by hand: Linear, Tanh
        second = torch.tanh(model[2](first))
    for layer, activation in zip(neurons, (first, second), strict=True):
        for k, unit in enumerate(layer["units"]):
            np.testing.assert_allclose(np.array(unit).ravel(), activation[:, k].numpy(), atol=1e-4)


def test_a_table_of_two_numeric_columns_has_a_plane_and_others_do_not():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"height": rng.normal(170, 10, 300), "weight": rng.normal(70, 12, 300)})
    table["fit"] = (table.weight / (table.height / 100) ** 2 < 25).astype(int)
    run, trainer = fitted(None, mlp(2, [8], 2), data=table, target="fit")
    snap = trainer.plane.snapshot(trainer.model)
    assert snap["axes"] == ["height", "weight"] and 130 < snap["x"][0] < snap["x"][-1] < 210
    assert _new_run({"model": mlp(4, [8], 3), "data": {"source": "builtin:iris"}}, None, store=None)[1].plane is None
    table["colour"] = rng.choice(["red", "blue"], 300)
    spec = {"model": mlp(3, [8], 2), "data": {"target": "fit", "features": ["height", "colour"]}}
    assert _new_run(spec, table, store=None)[1].plane is None  # a one-hot column is no axis
    big = {"model": mlp(2, [32], 2), "data": {"source": "toy:moons"}}
    assert "neurons" not in _new_run(big, None, store=None)[1].plane.snapshot(
        torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    )


def test_the_plane_comes_with_each_epoch_only_when_someone_watches(monkeypatch):
    spec = {"model": mlp(2, [8], 2), "data": {"source": "toy:circle"}, "training": {"epochs": 3}}
    planes = []
    monkeypatch.setattr(loop, "EXTRAS_INTERVAL", 0.0)  # every epoch is due
    dlp.train(spec, subscribe=lambda e: planes.append(e.plane) if isinstance(e, EpochEnd) else None, dashboard=False)
    assert len(planes) == 3 and all(p is not None and p["kind"] == "classes" for p in planes)
    first, last = planes[0], planes[-1]
    assert not (
        np.array_equal(first["predicted"], last["predicted"])
        and np.array_equal(first["confidence"], last["confidence"])
    )
    run, trainer = _new_run(spec, None, store=None)
    calls = []
    trainer.plane.snapshot = lambda model: calls.append(1)
    trainer.fit()  # nobody subscribed: no plane computed
    assert calls == []


def test_while_training_a_snapshot_is_taken_at_most_every_interval_and_always_at_the_end(monkeypatch):
    """The dashboard draws the boundary at most once a second, so the loop computes it (and
    the confusion matrix) no more often: once ``EXTRAS_INTERVAL`` has passed since the
    training began (not with the first epoch of a fast run), then since the last, and with
    the last epoch."""
    spec = {"model": mlp(2, [8], 2), "data": {"source": "toy:circle"}, "training": {"epochs": 40}}
    clock = iter(np.arange(0.0, 100.0, 0.3))  # each call to the clock: 0.3 s later
    monkeypatch.setattr(loop, "_clock", lambda: float(next(clock)))
    events = []
    dlp.train(spec, subscribe=lambda e: events.append(e) if isinstance(e, EpochEnd) else None, dashboard=False)
    taken = [e.epoch for e in events if e.plane is not None]
    assert taken == [e.epoch for e in events if e.confusion is not None]
    # the clock read as the training begins, then once an epoch: 1.2 s ≥ 1 s > 0.9 s, every fourth epoch
    assert taken[0] == 4 and taken[-1] == 40
    assert all(b - a == 4 for a, b in zip(taken, taken[1:-1], strict=False))
