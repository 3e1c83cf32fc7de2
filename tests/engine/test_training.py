"""Training for real: the model learns, stop and divergence end cleanly, runs survive a
killed process and resume; metrics agree with scikit-learn."""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as skm

import dlp_widgets as dlp
from dlp_widgets.data import load_table
from dlp_widgets.engine import metrics as M
from dlp_widgets.runstore import open_store
from dlp_widgets.spec import SpecError, infer
from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def iris_spec(**training):
    return {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": training}


def test_iris_with_the_default_spec_learns():
    run = dlp.train(iris_spec())
    assert run.status == "finished" and len(run.history) == 20
    assert run.metrics["test_accuracy"] >= 0.9
    assert run.history["train_loss"].iloc[-1] < run.history["train_loss"].iloc[0] / 3


def test_digits_small_cnn_learns():
    spec = {
        "model": {
            "input_shape": [1, 8, 8],
            "layers": [
                {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
                {"type": "ReLU"},
                {"type": "MaxPool2d", "params": {"kernel_size": 2}},
                {"type": "Flatten"},
                {"type": "Linear", "params": {"out_features": 10}},
            ],
        },
        "data": {"source": "builtin:digits"},
        "training": {"epochs": 8},
    }
    run = dlp.train(spec)
    assert run.metrics["test_accuracy"] >= 0.9
    assert len(run.metrics["confusion"]) == 10 and sum(map(sum, run.metrics["confusion"])) == 360  # every test row


def test_diabetes_regression_learns():
    spec = {"model": default_model([10], 1), "data": {"source": "builtin:diabetes"}, "training": {"epochs": 30}}
    run = dlp.train(spec)
    assert run.task == "regression" and run.metrics["test_r2"] >= 0.4
    assert 20 < run.metrics["test_mae"] < 80  # in the target's own units (disease progression)


def test_same_seed_same_run_on_cpu():
    a, b = dlp.train(iris_spec(epochs=5)), dlp.train(iris_spec(epochs=5))
    cols = ["train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    pd.testing.assert_frame_equal(a.history[cols], b.history[cols])


def test_stop_ends_within_one_batch_with_a_usable_model():
    spec = iris_spec(epochs=100_000, batch_size=1)
    batches = []
    run = dlp.start(spec, subscribe=lambda e: batches.append(e["batch"]) if e["type"] == "progress" else None)
    while len(run.history) < 2:
        time.sleep(0.01)
    t0 = time.monotonic()
    run.stop()
    assert run.wait(5) == "stopped"
    assert time.monotonic() - t0 < 1.0
    assert run.history["epoch"].tolist()[:2] == [1, 2]
    model = run.model  # the weights of the last completed epoch
    with torch.no_grad():
        assert model(torch.zeros(3, 4)).shape == (3, 3)
    assert open_store().get_run(run.id)["status"] == "stopped"
    assert run.metrics["epochs"] == len(run.history)


def test_divergence_ends_as_diverged_with_the_last_good_weights():
    spec = {
        "model": default_model([10], 1),
        "data": {"source": "builtin:diabetes"},
        "training": {"epochs": 20, "lr": 10.0, "optimizer": "SGD"},
    }
    run = dlp.train(spec)
    assert run.status == "diverged" and "Lower the learning rate" in run.error
    for p in run.model.parameters():
        assert torch.isfinite(p).all()
    assert open_store().get_run(run.id)["status"] == "diverged"


def test_an_exception_ends_the_run_as_failed_with_its_message():
    run = dlp.start(iris_spec(epochs=50))

    def explode(*_):
        raise RuntimeError("disk full")

    run.store.add_epochs = explode  # the store fails mid-run
    assert run.wait(30) == "failed"
    assert "disk full" in run.error


def test_softmax_before_cross_entropy_warns():
    spec = iris_spec()
    spec["model"]["layers"].append({"type": "Softmax", "params": {"dim": 1}})
    with pytest.warns(dlp.DLPWarning, match="applies softmax itself"):
        run = dlp.train(spec, epochs=1)
    assert any("Softmax" in w for w in run.metrics["warnings"])


@pytest.mark.parametrize(
    "change, words",
    [
        (
            lambda s: s["model"]["layers"][-1]["params"].update(out_features=5),
            "the data has 3 classes; set out_features of the Linear at position 3 to 3",
        ),
        (lambda s: s["model"].update(input_shape=[5]), "the model takes input [5] but the data gives [4]"),
        (
            lambda s: s["training"].update(loss="MSELoss"),
            "MSELoss is a regression loss, but the task is classification",
        ),
        (lambda s: s["training"].update(batch_size=500), "fewer than one batch"),
    ],
)
def test_bad_setups_are_refused_before_a_run_exists(change, words):
    spec = iris_spec()
    change(spec)
    before = len(dlp.runs())
    with pytest.raises((SpecError, dlp.DataError)) as info:
        dlp.train(spec)
    assert words in str(info.value)
    assert len(dlp.runs()) == before


def test_batchnorm_needs_two_examples_per_batch_and_skips_a_last_single_one():
    spec = iris_spec(batch_size=1)
    spec["model"]["layers"].insert(1, {"type": "BatchNorm1d"})
    with pytest.raises(SpecError, match="BatchNorm1d at position 2 normalises over the batch"):
        dlp.train(spec)
    spec["training"]["batch_size"] = 7  # 120 training rows: the last batch holds one row
    run = dlp.train(spec, epochs=2)
    assert run.status == "finished", run.error


def test_dataframe_override_and_class_weights():
    frame, _ = load_table("builtin:wine")
    spec = {"model": default_model([13], 3), "data": {"target": "cultivar"}, "training": {"class_weights": True}}
    run = dlp.train(spec, data=frame)
    assert run.metrics["test_accuracy"] >= 0.9
    assert dlp.runs().iloc[0]["source"] == "DataFrame (passed from Python)"


# ---------------------------------------------------------------- metrics against scikit-learn


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 500)
    logits = torch.from_numpy(rng.normal(size=(500, 4)) + np.eye(4)[y] * 1.5).float()
    pred, probs = M.predicted_classes(logits, False), M.class_probabilities(logits, False)
    assert torch.equal(pred, probs.argmax(1))
    assert M.confusion_matrix(torch.from_numpy(y), pred, 4) == skm.confusion_matrix(y, pred.numpy()).tolist()
    curves = M.roc_curves(torch.from_numpy(y), probs, ["a", "b", "c", "d"])
    for k, name in enumerate("abcd"):
        assert curves[name]["auc"] == pytest.approx(skm.roc_auc_score(y == k, probs[:, k].numpy()), abs=1e-9)
    # binary: one curve, for the positive class
    yb = rng.integers(0, 2, 300)
    scores = rng.normal(size=300) + yb
    fpr, tpr, auc = M.roc_curve(yb, scores, max_points=10_000)
    assert auc == pytest.approx(skm.roc_auc_score(yb, scores), abs=1e-9)
    sk_fpr, sk_tpr, _ = skm.roc_curve(yb, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    thin_fpr, _, thin_auc = M.roc_curve(yb, scores)  # thinned for display, the AUC still exact
    assert len(thin_fpr) <= 201 and thin_auc == auc
    tied = np.round(scores, 1)  # runs of equal scores: one point after each whole run, as scikit-learn has it
    fpr, tpr, auc = M.roc_curve(yb, tied, max_points=10_000)
    sk_fpr, sk_tpr, _ = skm.roc_curve(yb, tied, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    assert auc == pytest.approx(skm.roc_auc_score(yb, tied), abs=1e-9)
    one_logit = torch.tensor([[-2.0], [0.0], [1e-9], [0.5]])  # even odds go to class 0
    assert torch.equal(M.predicted_classes(one_logit, True), torch.tensor([0, 0, 1, 1]))
    # regression
    truth, guess = rng.normal(size=200), rng.normal(size=200)
    r = M.regression_scores(torch.from_numpy(guess), torch.from_numpy(truth), scale=3.0)
    assert r["r2"] == pytest.approx(skm.r2_score(truth, guess))
    assert r["mae"] == pytest.approx(3 * skm.mean_absolute_error(truth, guess))
    assert r["rmse"] == pytest.approx(3 * math.sqrt(skm.mean_squared_error(truth, guess)))


def test_run_metrics_match_scikit_learn_on_its_own_predictions():
    run = dlp.train(iris_spec(epochs=10))
    frame, _ = load_table("builtin:iris")
    data = dlp_widgets_data_prepare(run)
    test_rows = frame.loc[data.test_index]
    pred = run.predict(test_rows.drop(columns=["species"]))
    truth = test_rows["species"].to_numpy()
    assert run.metrics["test_accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))
    assert run.metrics["confusion"] == skm.confusion_matrix(truth, pred, labels=run.classes).tolist()


def test_r2_of_a_constant_test_split_is_finite_as_scikit_learn_has_it():
    from sklearn.metrics import r2_score as oracle

    from dlp_widgets.engine.metrics import regression_scores

    y = torch.full((6,), 3.0)
    for pred in (y.clone(), y + torch.tensor([0.5, 0, 0, 0, 0, 0])):
        assert regression_scores(pred, y, 1.0)["r2"] == oracle(y.numpy(), pred.numpy())


def dlp_widgets_data_prepare(run):
    from dlp_widgets.data import prepare

    return prepare(run.spec)


# ---------------------------------------------------------------- the store and resuming

CHILD = r"""
import sys, time, dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
spec = {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 12, "batch_size": 8}}
def on_event(e):
    if e["type"] == "epoch_end" and e["epoch"] == 3:
        print(e["run_id"], flush=True)
        time.sleep(60)  # a long epoch: the parent kills us here
dlp.train(spec, subscribe=on_event)
"""


def test_killed_process_leaves_an_interrupted_run_that_resumes():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        run_id = child.stdout.readline().strip()
        assert run_id, "the child printed no run id"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    store = open_store()  # opening marks runs of dead processes
    row = store.get_run(run_id)
    assert row["status"] == "interrupted" and row["epochs_done"] == 3
    run = dlp.load_run(run_id)
    assert run.status == "interrupted" and len(run.history) == 3
    run.resume()
    assert run.status == "finished"
    assert run.history["epoch"].tolist() == list(range(1, 13))
    assert [e["epoch"] for e in store.epochs(run_id)] == list(range(1, 13))
    assert run.metrics["test_accuracy"] >= 0.8


def test_resumed_run_equals_an_uninterrupted_one():
    full = dlp.train(iris_spec(epochs=8))
    cut = dlp.start(iris_spec(epochs=8))
    stopped = threading.Event()

    def stop_after_4(e):
        if e["type"] == "epoch_end" and e["epoch"] == 4:
            cut.stop()
            stopped.set()

    cut.subscribe(stop_after_4)
    assert cut.wait(30) == "stopped" and len(cut.history) == 4
    cut.resume()
    cols = ["train_loss", "test_loss", "test_accuracy"]
    pd.testing.assert_frame_equal(cut.history[cols], full.history[cols])


def test_runs_table_and_store_contents():
    run = dlp.train(iris_spec(epochs=3), name="tiny")
    table = dlp.runs()
    row = table[table["id"] == run.id].iloc[0]
    assert row["name"] == "tiny" and row["status"] == "finished" and row["epochs"] == 3 and row["metric"] == "accuracy"
    stored = open_store().get_run(run.id)
    assert stored["spec"]["training"]["epochs"] == 3 and stored["source"] == "builtin:iris"
    assert json.loads(json.dumps(stored["metrics"]))["roc"]["setosa"]["auc"] > 0.9
    assert (run.folder / "last.pt").exists() and (run.folder / "best.pt").exists()
    ckpt = torch.load(run.folder / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 3


def test_warnings_point_at_the_callers_line_and_ids_match_only_as_prefixes(tmp_path):
    store = open_store(tmp_path / "runs.sqlite")
    spec = {
        "model": {
            "input_shape": [4],
            "layers": [{"type": "Linear", "params": {"out_features": 3}}, {"type": "Softmax", "params": {"dim": 1}}],
        },
        "data": {"source": "builtin:iris"},
        "training": {"epochs": 1},
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = dlp.train(spec, dashboard=False, store=store)  # through the public API, two frames deeper
    ours = [w for w in caught if w.category.__name__ == "DLPWarning"]
    assert ours and all(w.filename == __file__ for w in ours), [(w.filename, w.lineno) for w in ours]
    assert dlp.load_run(run.id[:15], store=store).id == run.id
    for pattern in ("%", "_" * 6, run.id[:8] + "%"):
        with pytest.raises(KeyError, match="no run"):
            dlp.load_run(pattern, store=store)


def test_best_epoch_and_best_model_are_the_lowest_test_loss(tmp_path):
    store = open_store(tmp_path / "runs.sqlite")
    spec = {
        "model": {
            "input_shape": [30],
            "layers": [
                {"type": "Linear", "params": {"out_features": 256}},
                {"type": "ReLU"},
                {"type": "Linear", "params": {"out_features": 2}},
            ],
        },
        "data": {"source": "builtin:breast_cancer"},
        "training": {"epochs": 12, "lr": 0.01, "test_size": 0.8},  # few training rows: it overfits
    }
    run = dlp.train(spec, dashboard=False, store=store)
    history = run.history
    best = int(history.loc[history["test_loss"].idxmin(), "epoch"])
    assert run.best_epoch == best < len(history), "the setting should overfit before the last epoch"
    again = dlp.load_run(run.id, store=store)
    assert again.best_epoch == best
    ckpt = torch.load(run.folder / "best.pt", map_location="cpu", weights_only=True)
    assert ckpt["epoch"] == best
    model = again.best_model()
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, ckpt["model"][name])
    assert not all(torch.equal(t, run.model.state_dict()[n]) for n, t in model.state_dict().items())


# ---------------------------------------------------------------- found by trying to break it


@pytest.mark.parametrize("epochs", [0, -1, "3", 2.5, 10**12])
def test_the_epochs_override_is_checked_like_the_spec(epochs):
    with pytest.raises(dlp.SpecError, match=r"training\.epochs must be"):
        dlp.train(iris_spec(), epochs=epochs)


def test_numpy_numbers_in_a_spec_are_plain_numbers():
    spec = iris_spec(epochs=np.int64(2))
    spec["training"]["lr"] = np.float32(0.01)
    run = dlp.train(spec, epochs=np.int64(2))
    assert run.status == "finished" and run.metrics["epochs"] == 2


def test_bad_name_or_store_is_refused_before_a_run_exists():
    before = len(dlp.runs())
    with pytest.raises(dlp.SpecError, match="name must be text"):
        dlp.train(iris_spec(), name=["a"])
    with pytest.raises(TypeError, match="store must be a RunStore"):
        dlp.train(iris_spec(), store="runs.sqlite")
    assert len(dlp.runs()) == before


def test_a_refused_resume_leaves_the_run_as_it_was():
    frame, _ = load_table("builtin:iris")
    spec = {"model": iris_spec()["model"], "data": {"target": "species"}, "training": {"epochs": 2}}
    run = dlp.train(spec, data=frame)
    again = dlp.load_run(run.id)
    with pytest.raises(dlp.DataError, match="has changed since run .* trained on it .*150 rows × 5 columns"):
        again.resume(data=pd.DataFrame({"a": [1, 2, 3]}))  # another table: refused before anything runs
    assert again.done and again.wait() == "finished"  # not left half-started: wait() returns
    assert again.resume(data=frame).status == "finished"  # and a good resume still works


def test_a_run_without_saved_weights_says_so_instead_of_using_random_ones():
    run = dlp.train(iris_spec(epochs=1))
    (run.folder / "last.pt").unlink()
    with pytest.raises(FileNotFoundError, match="no saved weights"):
        dlp.load_run(run.id).model  # noqa: B018


def test_a_batch_that_cannot_fit_in_memory_is_refused_not_run():
    from dlp_widgets.engine.memory import activation_bytes, eval_rows

    model = {
        "input_shape": [1, 4000, 4000],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 10}}],
    }
    resize = [{"type": "Resize", "params": {"size": 4000}}]
    spec = {
        "model": model,
        "data": {"source": "builtin:digits_images", "transforms": {"train": resize, "test": resize}},
        "training": {"batch_size": 8192, "epochs": 1},  # about 3 TB of activations
    }
    before = len(dlp.runs())
    with pytest.raises(dlp.SpecError, match="needs about .* of memory") as info:
        dlp.train(spec)
    assert info.value.path == "training.batch_size" and len(dlp.runs()) == before
    per_example = activation_bytes(infer(model))
    assert per_example == (2 * 4000 * 4000 + 10) * 4  # input + Flatten's output + Linear's
    assert eval_rows(per_example, 8) == 8  # evaluation never takes more rows than fit
    assert eval_rows(activation_bytes(infer(iris_spec()["model"])), 16) == 65_536


# ---------------------------------------------------------------- progress events


def test_the_eta_counts_evaluation_and_checkpoints(monkeypatch):
    from dlp_widgets.engine import runner

    slow = 0.4
    original = runner.Run._on_epoch

    def slow_checkpoint(self, *args):
        time.sleep(slow)
        original(self, *args)

    monkeypatch.setattr(runner.Run, "_on_epoch", slow_checkpoint)
    etas: list[tuple[int, float]] = []
    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 5}},
        dashboard=False,
        subscribe=lambda e: etas.append((e["epoch"], e["eta"])) if e["type"] == "progress" else None,
    )
    assert run.status == "finished"
    second = [eta for epoch, eta in etas if epoch == 2]
    # four epochs' checkpoints (2..5) and the final evaluation are still to come
    assert second and second[0] >= 4 * slow, second
