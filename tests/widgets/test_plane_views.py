"""The dashboard's plane views get what the engine computed: the boundary's colours are the
grid's predictions and confidences (two classes: signed confidence; more: the class), the
points are the run's, and the neuron raster holds each unit's thumbnail — in the pictures
the browser gets as much as in the values behind them; a run of more than two features
shows neither."""

from __future__ import annotations

import io
import time

import numpy as np
import PIL.Image
import pytest

import dlp_widgets as dlp
from dlp_widgets.engine.events import EpochEnd, Started
from dlp_widgets.widgets.dashboard import TrainingDashboard
from dlp_widgets.widgets.grid_picture import hex_rgb
from dlp_widgets.widgets.plane_view import TWO_CLASSES, boundary_colours, colour_words, neuron_raster


def decoded(picture: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(picture)).convert("RGBA"))


def value_of(pixels: np.ndarray) -> np.ndarray:
    """A pixel of the orange–white–blue scale back to its value in [−1, 1]: how far from
    white towards blue (+) or orange (−), along the channel that moves most."""
    white, blue, orange = (np.array(hex_rgb(c), float) for c in (TWO_CLASSES[1], TWO_CLASSES[2], TWO_CLASSES[0]))
    rgb = pixels[..., :3].astype(float)
    towards_blue = ((rgb - white) @ (blue - white)) / ((blue - white) @ (blue - white))
    towards_orange = ((rgb - white) @ (orange - white)) / ((orange - white) @ (orange - white))
    return np.where(towards_blue >= towards_orange, towards_blue, -towards_orange)


def mlp(inputs, hidden, outputs):
    layers = []
    for width in hidden:
        layers += [{"type": "Linear", "params": {"out_features": width}}, {"type": "ReLU"}]
    return {"input_shape": [inputs], "layers": [*layers, {"type": "Linear", "params": {"out_features": outputs}}]}


def trained_board(spec):
    board = TrainingDashboard()
    planes = []

    def watch(event):
        planes.append(getattr(event, "plane", None))
        board.on_event(event)

    run = dlp.train(spec, subscribe=watch, dashboard=False)
    board.attach_header(run)
    board.flush()
    return board, [p for p in planes if p is not None]


def test_the_spiral_run_draws_its_boundary_points_and_neurons():
    board, planes = trained_board(
        {"model": mlp(2, [8, 8], 2), "data": {"source": "toy:spiral"}, "training": {"epochs": 4}}
    )
    last = planes[-1]
    assert board.boundary_view.box.layout.display is None and board.neuron_view.box.layout.display is None
    heat = board.boundary_view.picture.values
    sure = (np.asarray(last["confidence"]) - 0.5) * 2
    np.testing.assert_allclose(np.abs(heat), sure, atol=1e-6)
    assert ((heat > 0) == (np.asarray(last["predicted"]) == 1))[sure > 0].all()
    # the picture the browser gets (decoded by Pillow): blue where class 1 is predicted,
    # orange where class 0, whiter where the model is less sure; its first row the top
    pixels = decoded(board.boundary_view.picture.picture)[::-1].astype(int)
    assert pixels.shape == (100, 100, 4) and (pixels[..., 3] == 255).all()
    clear = sure > 0.1
    bluer = pixels[..., 2] > pixels[..., 0]
    assert (bluer == (np.asarray(last["predicted"]) == 1))[clear].all()
    whiteness = pixels[..., :3].min(-1)
    assert np.corrcoef(whiteness.ravel(), sure.ravel())[0, 1] < -0.95
    assert list(board.boundary_view.train.x) == last["train"]["x"]  # numpy float64 compares equal
    assert len(board.boundary_view.test.x) == len(last["test"]["x"]) > 0
    raster = board.neuron_view.picture.values
    assert raster.shape == (2 * 25, 8 * 25)
    unit = np.asarray(last["neurons"][0]["units"][3])
    top = np.abs(unit).max() or 1.0
    np.testing.assert_allclose(raster[25 : 25 + 24, 3 * 25 : 3 * 25 + 24], unit / top, atol=1e-6)  # first layer on top
    # read back from the picture's colours: each pixel's value within a colour step
    pixels = decoded(board.neuron_view.picture.picture)[::-1]
    np.testing.assert_allclose(value_of(pixels[25 : 25 + 24, 3 * 25 : 3 * 25 + 24]), unit / top, atol=0.01)
    assert (pixels[24, :, 3] == 0).all() and (pixels[:, 24, 3] == 0).all()  # the gaps are transparent


def test_three_classes_colour_by_class_and_regression_by_value():
    three = {
        "kind": "classes",
        "classes": ["a", "b", "c"],
        "predicted": [[0, 2], [1, 1]],
        "confidence": [[0.9, 0.5], [0.4, 1.0]],
    }
    colours, scale = boundary_colours(three)
    assert colours.tolist() == [[0, 2], [1, 1]] and scale["max"] == 2 and len(scale["colors"]) == 3
    values, scale = boundary_colours({"kind": "values", "values": [[-3.0, 1.0], [2.0, 0.0]]})
    assert scale["min"] == -3 and scale["max"] == 3 and values.tolist() == [[-3.0, 1.0], [2.0, 0.0]]
    raster = neuron_raster([{"layer": "1", "units": [[[1.0, -2.0], [0.5, 0.0]]]}])
    assert raster.shape == (3, 3) and raster[0, 1] == -1.0 and np.isnan(raster[2]).all()
    # the legend says what the colours mean for each: no "paler" where confidence is not drawn
    assert "paler" in colour_words({**three, "classes": ["a", "b"]})
    assert "paler" not in colour_words(three) and "gets wrong" in colour_words(three)
    assert "red low, blue high" in colour_words({"kind": "values"})


def test_a_regression_plane_keeps_one_colour_scale_the_targets_range_for_picture_and_points():
    """A colour means one value at every epoch: the scale is the targets' range, set when the
    run starts; the picture is the model's values clipped to it (oracle: the run's own
    predictions on the grid's points, in ``engine.plane``'s tests)."""
    board, planes = trained_board(
        {"model": mlp(2, [8], 1), "data": {"source": "toy:gaussian_bumps?n=400"}, "training": {"epochs": 3}}
    )
    targets = planes[0]["train"]["target"] + planes[0]["test"]["target"]
    assert all(p["range"] == [min(targets), max(targets)] for p in planes)
    colour = board.boundary_view.colour
    assert (colour.min, colour.max) == (min(targets), max(targets)) and colour.min < 0 < colour.max
    np.testing.assert_allclose(board.boundary_view.picture.values, planes[-1]["values"])
    assert list(board.boundary_view.train.color) == planes[-1]["train"]["target"]
    assert "Prediction" in board.boundary_view.figure.title
    assert f"blue {max(targets):.3g} or above" in board.boundary_view.legend.value


def test_the_regression_legend_writes_large_and_small_values_as_a_reader_would():
    plane = {"kind": "values", "range": [-11834.2, 599123.4]}
    assert "red -11,800 or below, blue 599,000 or above" in colour_words(plane)
    assert "red 0.123 or below, blue 3.4 or above" in colour_words({**plane, "range": [0.12345, 3.4]})
    assert "red 1e-05 or below, blue 999 or above" in colour_words({**plane, "range": [1e-5, 999.2]})


def test_a_run_of_four_features_has_no_plane_views():
    board, planes = trained_board(
        {"model": mlp(4, [8], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 2}}
    )
    assert planes == [] and board.boundary_view.box.layout.display == "none"
    assert board.neuron_view.box.layout.display == "none"


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        (mlp(2, [8, 8], 2), (True, True)),
        (mlp(2, [32], 2), (True, False)),  # wider than the neuron view draws
        (
            {"input_shape": [2], "layers": [{"type": "Linear", "params": {"out_features": 2}}]},
            (True, False),
        ),  # no hidden units
    ],
)
def test_the_views_a_run_will_draw_are_shown_when_it_starts_with_the_data_before_its_first_epoch(model, shown):
    """Drawn by the browser before the training is under way, and nothing below them moves
    when the first epoch ends; the boundary holds the data's points from the start, as TF
    Playground shows them before Play, and its picture from the first epoch."""
    run = dlp.start({"model": model, "data": {"source": "toy:circle"}, "training": {"epochs": 1}}, dashboard=False)
    assert run.plane_views == shown
    board = TrainingDashboard()
    board.attach_header(run)
    for view, drawn in zip((board.boundary_view, board.neuron_view), shown, strict=True):
        assert (view.box.layout.display is None) == drawn
        assert (view.figure in view.box.children) == drawn
        assert view.picture.values is None  # no model's picture yet
    ground = run.plane_ground
    train = board.boundary_view.train
    assert len(train.x) == len(ground["train"]["x"]) > 0 and list(train.y) == ground["train"]["y"]
    assert list(board.boundary_view.test.x) == ground["test"]["x"] and board.boundary_view.x.min < min(train.x)
    run.wait()
    assert decoded(board.boundary_view.picture.mark.image.value).shape == (1, 1, 4)  # a clear pixel, not a failed load


def test_while_training_the_charts_are_drawn_at_most_once_a_second_and_the_last_epoch_at_the_end():
    from dlp_widgets.widgets.dashboard import CHART_INTERVAL

    board = TrainingDashboard()
    drawn = {"curves": [], "boundary": [], "neurons": []}
    for name, view in (("curves", board.loss_view), ("boundary", board.boundary_view), ("neurons", board.neuron_view)):

        def timed(*args, _draw=view.update, _name=name):
            drawn[_name].append((time.monotonic(), args))
            _draw(*args)

        view.update = timed
    spec = {"model": mlp(2, [8, 8], 2), "data": {"source": "toy:spiral"}, "training": {"epochs": 250}}

    started = []

    def slow_epochs(event):
        # at least 3 s whatever the machine's speed, so that several draws are due
        if isinstance(event, EpochEnd):
            time.sleep(0.012)
        elif isinstance(event, Started):
            started.append(time.monotonic())
        board.on_event(event)

    slow_epochs.saved_first = False  # as the board's own: the store does not hold it up
    run = dlp.train(spec, subscribe=slow_epochs, dashboard=False)
    assert run.status == "finished"
    for name, draws in drawn.items():
        times = [t for t, _ in draws]
        # the last draw is the run's end, due whenever it comes; the clock is read a moment
        # after the flush's own, hence the few milliseconds given
        assert all(b - a >= CHART_INTERVAL - 0.05 for a, b in zip(times, times[1:-1], strict=False)), (name, times)
    assert len(drawn["boundary"]) == len(drawn["neurons"]) >= 3  # the units with each boundary
    # every chart draw with the loop's fresh pictures, the first an interval into the run (not
    # with the first epochs, when the browser is busiest with the run's start)
    assert len(drawn["curves"]) == len(drawn["boundary"])
    assert drawn["curves"][0][0] - started[0] >= CHART_INTERVAL - 0.05
    assert len(drawn["curves"][0][1][0]) > 10  # epochs of 12 ms and more: dozens in the first interval
    assert drawn["curves"][-1][1][0] == list(range(1, 251))  # every epoch on the last curves
    last = run.plane()
    np.testing.assert_allclose(board.boundary_view.picture.values, boundary_colours(last)[0], atol=1e-5)
