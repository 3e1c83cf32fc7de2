"""The training coach on real runs: for every code, a run that really shows the condition, the
code found with its evidence — and, where the finding has a fix, the fix applied to the
spec and trained again, and the finding gone. Healthy default runs raise no problem."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import dlp_widgets as dlp
from dlp_widgets.coach import CODES, apply_fix
from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning)


def train(spec, data=None):
    run = dlp.train(spec, data=data, dashboard=False)
    assert run.status in ("finished", "diverged"), run.error
    return run


def codes(run) -> dict[str, object]:
    return {f.code: f for f in run.diagnose()}


def mlp(inputs, widths, outputs, activation="ReLU"):
    layers = []
    for width in widths:
        layers += [{"type": "Linear", "params": {"out_features": width}}, {"type": activation}]
    return {"input_shape": [inputs], "layers": [*layers, {"type": "Linear", "params": {"out_features": outputs}}]}


def found_then_fixed(code, spec, data=None):
    """Train ``spec``, find ``code``, apply its fix, train again: the code is gone."""
    run = train(spec, data)
    findings = codes(run)
    assert code in findings, [str(f) for f in findings.values()]
    finding = findings[code]
    assert finding.evidence and finding.message
    assert finding.fix is not None and finding.fix_words
    again = train(apply_fix(run.spec.to_dict(), finding.fix), data)
    after = codes(again)
    assert code not in after, [str(f) for f in after.values()]
    return finding, after


IRIS = {"model": default_model([4], 3), "data": {"source": "builtin:iris"}}


def test_a_loss_that_blows_up_is_diverged_and_a_tenth_of_the_rate_trains():
    spec = {**IRIS, "training": {"optimizer": "SGD", "lr": 5}}
    finding, _ = found_then_fixed("diverged", spec)
    assert finding.severity == "problem" and finding.fix == {"training": {"lr": 0.5}}


def test_a_loss_that_rises_early_is_lr_too_high():
    # ten epochs: at lr 2 the loss jumps about from the start, and over twenty it may blow up
    # on one CPU and not another (floating-point sums differ by instruction set)
    spec = {**IRIS, "training": {"optimizer": "SGD", "lr": 2, "epochs": 10}}
    finding, _ = found_then_fixed("lr_too_high", spec)
    assert finding.evidence["lr"] == 2


def test_a_loss_that_hardly_moves_is_lr_too_low():
    spec = {**IRIS, "training": {"lr": 1e-6, "epochs": 10}}
    finding, _ = found_then_fixed("lr_too_low", spec)
    assert finding.fix == {"training": {"lr": 0.001}} and finding.evidence["drop"] < 0.1


def test_a_wide_network_on_sixty_rows_overfits_and_stopping_early_helps():
    from sklearn.datasets import load_breast_cancer

    rows = load_breast_cancer(as_frame=True).frame.sample(60, random_state=0)
    spec = {
        "model": mlp(30, [512, 512], 2),
        "data": {"target": "target"},
        "training": {"epochs": 60, "lr": 0.01, "batch_size": 8, "test_size": 0.5},
    }
    finding, _ = found_then_fixed("overfitting", spec, rows)
    assert finding.evidence["best_epoch"] < 60


def test_layers_without_activations_underfit_the_circles_until_a_relu_is_added():
    from sklearn.datasets import make_circles

    x, y = make_circles(600, noise=0.05, factor=0.5, random_state=0)
    frame = pd.DataFrame(x, columns=["a", "b"]).assign(label=y)
    spec = {"model": mlp(2, [16], 2, activation=None), "data": {"target": "label"}, "training": {"epochs": 30}}
    spec["model"]["layers"] = [layer for layer in spec["model"]["layers"] if layer["type"]]
    finding, _ = found_then_fixed("underfitting", spec, frame)
    assert [layer["type"] for layer in finding.fix["model"]["layers"]] == ["Linear", "ReLU", "Linear"]


def test_a_deep_sigmoid_network_has_vanishing_gradients_and_relu_fixes_them():
    spec = {**IRIS, "model": mlp(4, [32] * 20, 3, "Sigmoid"), "training": {"optimizer": "SGD", "lr": 0.01}}
    finding, _ = found_then_fixed("vanishing_gradients", spec)
    assert finding.evidence["first_norm"] < 1e-3 * finding.evidence["last_norm"]


def thousands_table():
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {"area": rng.normal(2000, 500, n), "rooms": rng.integers(1, 6, n), "income": rng.normal(50000, 15000, n)}
    )
    frame["label"] = ((frame.area - 2000) / 500 + (frame.income - 50000) / 15000 > 0).astype(int)
    return frame


def test_columns_in_the_thousands_unscaled_are_found_and_scaling_fixes_them():
    frame = thousands_table()
    spec = {"model": default_model([3], 2), "data": {"target": "label", "scale": False}}
    finding, after = found_then_fixed("unscaled_inputs", spec, frame)
    assert finding.fix == {"data": {"scale": True}} and finding.evidence["abs_max"] > 10_000
    assert "initial_loss_off" not in after
    before = codes(train(spec, frame))
    assert before["initial_loss_off"].evidence["first_loss"] > 100 * before["initial_loss_off"].evidence["chance_loss"]


def test_a_rate_that_throws_the_weights_away_has_exploding_gradients():
    spec = {
        "model": default_model([64], 10),
        "data": {"source": "builtin:digits"},
        "training": {"optimizer": "SGD", "lr": 1.0},
    }
    finding, _ = found_then_fixed("exploding_gradients", spec)
    assert finding.evidence["norm"] is None or finding.evidence["norm"] > 1000


def test_unscaled_columns_blow_up_the_gradients_and_scaling_is_the_fix():
    frame = thousands_table()
    run = train({"model": default_model([3], 2), "data": {"target": "label", "scale": False}}, frame)
    finding = codes(run)["exploding_gradients"]
    assert finding.fix == {"data": {"scale": True}}  # not a smaller rate: the inputs are the cause


def test_a_model_answering_the_largest_class_has_collapsed_and_class_weights_help():
    rng = np.random.default_rng(0)
    n = 900
    y = rng.choice([0, 1, 2], size=n, p=[0.6, 0.2, 0.2])
    frame = pd.DataFrame({"a": rng.normal(size=n) + 0.4 * (y == 1), "b": rng.normal(size=n) + 0.4 * (y == 2)})
    frame["label"] = y
    finding, _ = found_then_fixed(
        "class_collapse", {"model": default_model([2], 3), "data": {"target": "label"}}, frame
    )
    assert finding.fix == {"training": {"class_weights": True}} and finding.evidence["predicted_share"] >= 0.9


def test_relus_killed_by_long_steps_are_dead_and_leaky_relu_keeps_them():
    spec = {
        "model": mlp(10, [256] * 3, 1),
        "data": {"source": "builtin:diabetes"},
        "training": {"optimizer": "SGD", "lr": 0.05, "epochs": 10, "batch_size": 8},
    }
    finding, _ = found_then_fixed("dead_relu", spec)
    assert finding.evidence["share"] >= 0.5 and finding.evidence["units"] == 256


def test_a_loss_bouncing_on_a_floor_is_a_plateau_and_smaller_steps_settle_it():
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    flip = rng.random(n) < 0.2  # a fifth of the labels wrong: no model gets past 0.8
    y[flip] = 1 - y[flip]
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)]).assign(label=y)
    spec = {"model": mlp(6, [32], 2), "data": {"target": "label"}, "training": {"lr": 0.03, "epochs": 30}}
    finding, _ = found_then_fixed("plateau", spec, frame)
    assert finding.evidence["epochs_since"] >= 5 and finding.fix == {"training": {"lr": 0.003}}


def test_a_run_cut_short_is_still_improving_and_twice_the_epochs_finish_it():
    finding, after = found_then_fixed("still_improving", IRIS)
    assert finding.severity == "info" and finding.fix == {"training": {"epochs": 40}}
    assert "healthy" in after


@pytest.mark.parametrize(
    ("code", "spec"),
    [
        (
            "sigmoid_before_loss",
            {
                "model": {
                    "input_shape": [30],
                    "layers": [{"type": "Linear", "params": {"out_features": 1}}, {"type": "Sigmoid"}],
                },
                "data": {"source": "builtin:breast_cancer"},
                "training": {"loss": "BCEWithLogitsLoss"},
            },
        ),
        ("nll_without_log_softmax", {**IRIS, "training": {"loss": "NLLLoss"}}),
        (
            "bounded_regression_output",
            {
                "model": {
                    "input_shape": [10],
                    "layers": [{"type": "Linear", "params": {"out_features": 1}}, {"type": "ReLU"}],
                },
                "data": {"source": "builtin:diabetes"},
            },
        ),
    ],
)
def test_spec_mistakes_are_findings_with_their_fix(code, spec):
    found_then_fixed(code, spec)


def test_a_healthy_run_says_so_with_its_best_epoch():
    run = train({**IRIS, "training": {"epochs": 40}})
    findings = run.diagnose()
    assert [f.code for f in findings if f.severity != "info"] == []
    healthy = next(f for f in findings if f.code == "healthy")
    assert healthy.evidence["best_epoch"] == run.best_epoch and healthy.evidence["test_accuracy"] > 0.9


def test_a_softmax_before_cross_entropy_is_found_and_removed():
    model = default_model([4], 3)
    model["layers"].append({"type": "Softmax", "params": {"dim": 1}})
    finding, _ = found_then_fixed("softmax_before_loss", {**IRIS, "model": model})
    assert finding.fix["model"]["layers"][-1]["type"] == "Linear"


def test_the_findings_of_a_stored_run_equal_those_of_the_live_one(tmp_path):
    run = train({**IRIS, "training": {"optimizer": "SGD", "lr": 2, "epochs": 10}})
    live = [f.to_dict() for f in run.diagnose()]
    stored = [f.to_dict() for f in dlp.load_run(run.id).diagnose()]
    assert stored == live
    from dlp_cli import dlp as dlp_command

    out = dlp_command("coach", run.id, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["findings"] == json.loads(json.dumps(live))
    text = dlp_command("coach", run.id[:8])
    assert "lr_too_high" in text.stdout and '"lr": 0.2' in text.stdout


def test_every_code_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code in CODES:
        assert f"`{code}`" in readme, code


HEALTHY = [
    ("builtin:iris", [4], 3),
    ("builtin:wine", [13], 3),
    ("builtin:breast_cancer", [30], 2),
    ("builtin:digits", [64], 10),
    ("builtin:diabetes", [10], 1),
]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("source", "shape", "outputs"), HEALTHY)
def test_healthy_default_runs_raise_no_problem(source, shape, outputs, seed):
    run = train({"model": default_model(shape, outputs), "data": {"source": source}, "training": {"seed": seed}})
    problems = [str(f) for f in run.diagnose() if f.severity == "problem"]
    assert problems == []
