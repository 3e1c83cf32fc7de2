"""The training dashboard following real runs, driven through its Python side as the browser
drives it: 2 to 100 classes (one matrix row per class, counts equal to the test rows), a second
run with other classes, a chart that raises, an event it cannot read, run names and renames,
exports next to the notebook (an ONNX pipeline answering raw rows like ``run.predict``) and the
loss chart's log scale."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
from dlp_widgets.widgets.dashboard import TrainingDashboard

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def generated_table(n_classes: int, rows_per_class: int = 12, seed: int = 0) -> pd.DataFrame:
    """Classes that a small network separates: each class is a cluster in 6 dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (n_classes, 6))
    labels = np.repeat(np.arange(n_classes), rows_per_class)
    x = centres[labels] + rng.normal(0, 0.5, (len(labels), 6))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    frame["label"] = [f"class {k:03d}" for k in labels]
    return frame


@pytest.mark.parametrize("n_classes", [2, 3, 4, 10, 100])
def test_the_dashboard_follows_a_run_to_its_end_for_any_class_count(n_classes):
    frame = generated_table(n_classes, rows_per_class=max(12, 600 // n_classes))
    board = TrainingDashboard()
    spec = {"model": default_model([6], n_classes), "data": {"target": "label"}, "training": {"epochs": 6}}
    run = dlp.train(spec, data=frame, dashboard=False, subscribe=board.on_event)
    board.attach_header(run)
    assert run.status == "finished" and not [w for w in run.warnings if "subscriber" in w], run.warnings
    assert "data-status='finished'" in board.status.value
    assert board.stop_button.disabled and not any(b.disabled for b in board.export_buttons.values())
    heat = board.confusion_view.heatmap
    assert np.asarray(heat.color).shape == (n_classes, n_classes)  # one row per class
    assert np.asarray(heat.color).sum() == len(run.test_labels())  # counts, every test row
    assert heat.display_format == (".0f" if n_classes <= 20 else None)  # numbers in readable cells
    assert all(view.error is None for view in board.views)
    assert board.loss_view.train.x.tolist() == list(range(1, 7))
    if n_classes > 10:
        assert "the 10 lowest are drawn" in board.roc_view.legend.value


def test_a_second_run_with_other_classes_redraws_the_matrix():
    board = TrainingDashboard()
    for n in (3, 10, 4):
        spec = {"model": default_model([6], n), "data": {"target": "label"}, "training": {"epochs": 1}}
        dlp.train(spec, data=generated_table(n, rows_per_class=40), dashboard=False, subscribe=board.on_event)
        assert np.asarray(board.confusion_view.heatmap.color).shape == (n, n)
        assert board.confusion_view.error is None


def test_a_failing_chart_shows_its_error_in_place_and_the_dashboard_ends(tmp_path):
    board = TrainingDashboard()

    def broken(*_):
        raise RuntimeError("the heatmap broke")

    board.confusion_view._update = broken
    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 3}},
        dashboard=False,
        subscribe=board.on_event,
    )
    board.attach_header(run)
    assert run.status == "finished" and not run.warnings
    assert "the heatmap broke" in board.confusion_view.box.children[0].value  # where the chart was
    assert "data-status='finished'" in board.status.value
    assert board.loss_view.error is None and board.loss_view.train.x.tolist() == [1, 2, 3]
    assert not board.export_buttons["pt"].disabled
    board.export_folder.value = str(tmp_path)
    assert board.export("pt")  # exports still work


def test_an_event_the_dashboard_cannot_read_is_shown_not_raised():
    board = TrainingDashboard()
    board.on_event({"type": "epoch_end"})  # no metrics: must not escape into the training thread
    assert "could not follow an event" in board.message.value


def test_runs_are_named_by_their_data_and_model_and_can_be_renamed():
    spec = {"model": default_model([1, 8, 8], 10), "data": {"source": "builtin:digits"}, "training": {"epochs": 1}}
    first = dlp.train(spec, dashboard=False)
    second = dlp.train(spec, dashboard=False)
    assert first.name == "digits · CNN 8 layers" and second.name == "digits · CNN 8 layers #2"
    board = TrainingDashboard(second)
    assert board.name.value == second.name  # the heading shows the name, not the id
    board.name.value = "my digits CNN"
    assert dlp.load_run(second.id).name == "my digits CNN"
    board.name.value = "   "
    assert "cannot be empty" in board.export_result.value and board.name.value == "my digits CNN"
    from dlp_widgets.widgets.history import RunHistory

    history = RunHistory()
    history._on_message(history.table, {"action": "rename", "id": first.id, "name": "first try"}, [])
    assert dlp.load_run(first.id).name == "first try"
    assert any(r["name"] == "first try" for r in history.table.rows)
    history._on_message(history.table, {"action": "rename", "id": first.id, "name": ["x"]}, [])
    assert "must be text" in history.message.value and dlp.load_run(first.id).name == "first try"


def test_exports_land_in_the_chosen_folder_with_every_file_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the notebook's folder
    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 2}},
        dashboard=False,
    )
    board = TrainingDashboard(run)
    assert board.export_folder.value == str(tmp_path)
    files = board.export("script")
    assert [f.name for f in files] == ["iris-MLP-3-layers_train.py", "iris-MLP-3-layers_train_data.csv"]
    assert all(f.parent == tmp_path and f.exists() for f in files)
    assert all(str(f) in board.export_result.value for f in files)
    (tmp_path / "iris-MLP-3-layers.pt").write_text("a file of the user's")
    pt = board.export("pt")[0]
    assert pt.name == "iris-MLP-3-layers-2.pt"  # the user's file is kept
    assert (tmp_path / "iris-MLP-3-layers.pt").read_text() == "a file of the user's"
    assert board.export("pt")[0] == pt  # the run's own export is replaced, not multiplied
    board.export_folder.value = str(tmp_path / "exports")
    assert board.export("code")[0].parent == tmp_path / "exports"


def test_the_dashboards_onnx_with_preprocessing_answers_raw_rows_with_class_names(tmp_path):
    import onnxruntime as ort

    from dlp_widgets.data import load_table
    from dlp_widgets.export.onnx_pipeline import pipeline_inputs

    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 15}},
        dashboard=False,
    )
    board = TrainingDashboard(run, export_folder=tmp_path)
    path = board.export("onnx_pipeline")[0]
    assert path.name == "iris-MLP-3-layers_pipeline.onnx" and str(path) in board.export_result.value
    raw = load_table("builtin:iris")[0].drop(columns="species").iloc[::7]  # raw measurements, unscaled
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(["label", "probabilities"], pipeline_inputs(raw, run.preprocessing))
    assert list(labels) == list(run.predict(raw))  # the oracle: the run's own prediction
    assert set(labels) <= {"setosa", "versicolor", "virginica"}
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_the_loss_chart_switches_to_a_log_scale():
    from bqplot import LinearScale, LogScale

    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 2}},
        dashboard=False,
    )
    view = TrainingDashboard(run).loss_view
    view.log_scale.value = True
    assert isinstance(view.y_axis.scale, LogScale) and view.train.scales["y"] is view.y_axis.scale
    assert view.test.scales["y"] is view.y_axis.scale and view.error is None
    view.log_scale.value = False
    assert isinstance(view.y_axis.scale, LinearScale) and view.train.scales["y"] is view.y_axis.scale
