"""The "playground" preset: after the cell runs, Train is the only action needed to learn the
spiral with its boundary drawn; the sliders rewrite the model; another toy set keeps it."""

from __future__ import annotations

import warnings

import dlp_widgets as dlp
from dlp_widgets.widgets.dashboard import TrainingDashboard

warnings.filterwarnings("ignore", category=UserWarning)


def hidden_widths(pg):
    layers = pg.builder.layers
    return [layer["params"]["out_features"] for layer in layers if layer["type"] == "Linear"][:-1]


def test_the_preset_learns_the_spiral_with_one_action():
    pg = dlp.Playground.toy("spiral")
    assert pg.spec.data.source.startswith("toy:spiral") and hidden_widths(pg) == [8, 8, 8]
    assert not pg.train_button.disabled
    pg.train_button.click()  # the one action
    run = pg.run
    assert run.wait(300) == "finished"
    assert run.metrics["test_accuracy"] >= 0.9
    board = pg.dashboard
    assert isinstance(board, TrainingDashboard)


def test_the_sliders_rewrite_the_model_and_another_set_keeps_it():
    pg = dlp.Playground.toy("circle")
    pg.preset.units.value = 4
    pg.preset.layers.value = 3
    assert hidden_widths(pg) == [4, 4, 4] and pg.builder.ok
    pg.data.builtin.value = "toy:xor"
    assert pg.spec.data.source == "toy:xor" and hidden_widths(pg) == [4, 4, 4] and not pg.train_button.disabled
    pg.preset.layers.value = 0  # no hidden layer: a line, which the coach can then explain
    assert hidden_widths(pg) == [] and pg.builder.ok
