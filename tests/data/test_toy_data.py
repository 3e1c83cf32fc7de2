"""The two-dimensional playground sets: each one's shape, classes and geometry, its noise,
the same table for the same seed, the derived features equal to their formulas, refusals
that name the setting, and what TensorFlow Playground teaches with them — a model without
a hidden layer cannot separate the circle from x1 and x2, and can from x1² and x2²."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dlp_widgets as dlp
from dlp_widgets.data import DataError, load_table
from dlp_widgets.data.toy import DERIVED, TOY_SETS


def frame(source):
    return load_table(source)[0]


@pytest.mark.parametrize("name", list(TOY_SETS))
def test_each_set_has_its_columns_rows_and_target(name):
    toy = TOY_SETS[name]
    table = frame(f"toy:{name}?n=400")
    assert list(table.columns) == ["x1", "x2", toy.target] and len(table) == 400
    assert np.isfinite(table[["x1", "x2"]].to_numpy()).all()
    assert table[["x1", "x2"]].abs().to_numpy().max() <= 7
    if toy.task == "classification":
        counts = table["label"].value_counts()
        assert set(counts.index) == {0, 1} and counts.min() >= 150  # two classes, about even
    else:
        assert table["y"].std() > 0.1


@pytest.mark.parametrize("name", list(TOY_SETS))
def test_the_same_seed_gives_the_same_table_and_another_seed_another(name):
    a, b = frame(f"toy:{name}?seed=3&noise=0.2"), frame(f"toy:{name}?seed=3&noise=0.2")
    pd.testing.assert_frame_equal(a, b)
    assert not frame(f"toy:{name}?seed=4&noise=0.2").equals(a)


def test_without_noise_the_classes_follow_their_shapes():
    circle = frame("toy:circle")
    radius = np.hypot(circle.x1, circle.x2)
    assert ((radius < 2.5) == (circle.label == 1)).all()
    assert radius[circle.label == 0].min() >= 3.5  # the ring starts at 0.7 of the radius: a gap
    xor = frame("toy:xor")
    assert ((xor.x1 * xor.x2 >= 0) == (xor.label == 1)).all()
    assert xor[["x1", "x2"]].abs().to_numpy().min() >= 0.3
    gaussians = frame("toy:gaussians")
    assert (gaussians.groupby("label")[["x1", "x2"]].mean().loc[1] > 1.5).all()


def test_noise_blurs_the_circle_more_as_it_grows():
    def mixed(noise):
        table = frame(f"toy:circle?noise={noise}&n=2000")
        inner = np.hypot(table.x1, table.x2) < 2.5
        # noise moves points, and each keeps the class of where it landed: what mixes is the
        # empty ring between the classes filling up
        gap = (np.hypot(table.x1, table.x2) > 2.5) & (np.hypot(table.x1, table.x2) < 3.5)
        return gap.mean(), (inner == (table.label == 1)).all()

    assert mixed(0.0)[0] == 0.0
    assert 0 < mixed(0.1)[0] < mixed(0.5)[0]


def test_derived_features_are_their_formulas():
    table = frame("toy:spiral?add=x1_squared,x2_squared,x1_times_x2,sin_x1,sin_x2")
    assert list(table.columns) == ["x1", "x2", *DERIVED, "label"]
    x1, x2 = table.x1.to_numpy(), table.x2.to_numpy()
    np.testing.assert_allclose(table.x1_squared, x1 * x1)
    np.testing.assert_allclose(table.x2_squared, x2 * x2)
    np.testing.assert_allclose(table.x1_times_x2, x1 * x2)
    np.testing.assert_allclose(table.sin_x1, np.sin(x1))
    np.testing.assert_allclose(table.sin_x2, np.sin(x2))


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("toy:spirals", "unknown toy data set 'spirals'"),
        ("toy:spiral?noise=2", "noise must be a number from 0 to 1"),
        ("toy:spiral?noise=nan", "noise must be a number"),
        ("toy:spiral?n=5", "n must be a whole number from 10 to 100000"),
        ("toy:spiral?n=1e3", "n must be a whole number"),
        ("toy:spiral?seed=-1", "seed must be"),
        ("toy:spiral?add=x3_squared", "add lists derived features"),
        ("toy:spiral?add=sin_x1,sin_x1", "add lists derived features"),
        ("toy:spiral?noise=0.1&noise=0.2", "noise is given twice"),
        ("toy:spiral?colour=red", "unknown setting 'colour'"),
        ("toy:spiral?noise", "name=value pairs"),
    ],
)
def test_a_bad_toy_source_is_refused_naming_the_setting(source, words):
    with pytest.raises(DataError) as err:
        load_table(source)
    assert words in err.value.message


def mlp_spec(source, hidden, inputs=2, epochs=40):
    layers = []
    for width in hidden:
        layers += [{"type": "Linear", "params": {"out_features": width}}, {"type": "ReLU"}]
    layers.append({"type": "Linear", "params": {"out_features": 2}})
    return {
        "model": {"input_shape": [inputs], "layers": layers},
        "data": {"source": source},
        "training": {"epochs": epochs, "lr": 0.01},
    }


def test_a_hidden_layer_or_the_squares_separate_the_circle_and_a_line_does_not():
    line = dlp.train(mlp_spec("toy:circle?noise=0.05", []), dashboard=False)
    hidden = dlp.train(mlp_spec("toy:circle?noise=0.05", [8]), dashboard=False)
    squares = dlp.train(mlp_spec("toy:circle?noise=0.05&add=x1_squared,x2_squared", [], inputs=4), dashboard=False)
    assert line.metrics["test_accuracy"] < 0.75  # one straight line through a disc and a ring
    assert hidden.metrics["test_accuracy"] >= 0.95
    assert squares.metrics["test_accuracy"] >= 0.95  # x1² + x2² is the radius: linear again


def test_the_spiral_needs_depth():
    deep = dlp.train(mlp_spec("toy:spiral?n=1000", [16, 16, 16], epochs=200), dashboard=False)
    assert deep.metrics["test_accuracy"] >= 0.95


def test_the_cli_summarises_a_toy_set():
    from dlp_cli import dlp as dlp_command

    out = dlp_command("data", "toy:moons?noise=0.1", "--compact")
    assert out.returncode == 0, out.stderr
    assert '"target": "label"' in out.stdout and '"x1"' in out.stdout
