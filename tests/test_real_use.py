"""Real use, not just Iris: the Playground and the dashboard with the data people bring —
messy uploaded tables, 2 to 100 classes, images — driven through the widgets' Python side
as the browser drives them (browser tests in tests/browser/ do the same in Chromium)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from messy_tables import corpus

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
from dlp_widgets.widgets.dashboard import TrainingDashboard

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")
CORPUS = corpus()


@pytest.mark.parametrize("table", CORPUS, ids=[t.name for t in CORPUS])
def test_a_messy_upload_reaches_a_trained_run_from_the_widget_alone(table):
    p = dlp.Playground()
    p.data.set_upload(table.filename, table.csv)
    assert p.data.kind == "Upload" and p.data.summary is not None, p.data.message.value
    assert p.data.target.value == table.target  # guessed, shown for the user to confirm
    assert "guessed" in p.data.target_note.value
    assert tuple(p.data.features.value) == table.features
    for column, reason in table.left_out.items():  # each left-out column is shown with its reason
        row = next(c for c in p.data.summary["columns"] if c["name"] == column)
        assert row["role"] == "unused" and row["reason"] == reason, (column, row)
        assert f"data-column='{column}' data-role='left out'" in p.data.columns_view.value
    assert p.data.summary["task"] == table.task
    p.epochs.value = 30
    run = p.train()
    assert run is not None, p.train_reason.value
    assert run.wait(120) == "finished", run.error
    assert run.name.startswith(f"{table.filename} · ")
    if table.task == "classification":
        assert len(run.classes) == table.n_classes
        per_class = np.asarray(run.metrics["confusion"]).sum(axis=1)  # the test split's rows of each class
        chance = per_class.max() / per_class.sum()
        assert run.metrics["test_accuracy"] > chance + 0.1, (run.metrics["test_accuracy"], chance)
    else:
        assert run.metrics["test_r2"] > 0.5


# ---------------------------------------------------------------- the dashboard, whatever the class count


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


# ---------------------------------------------------------------- the data step


def titanic_like() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "Name": [f"Passenger, Mr. Number {i}" for i in range(n)],
            "Ticket": [f"T-{rng.integers(0, 300)}" for _ in range(n)],
            "Fare": rng.gamma(2, 10, n).round(2),
            "Sex": rng.choice(["male", "female"], n),
        }
    )
    frame["Survived"] = ((frame["Sex"] == "female") ^ (rng.random(n) < 0.15)).astype(int)
    return frame


def test_an_id_like_number_is_left_out_and_can_be_switched_on():
    p = dlp.Playground(titanic_like())
    assert p.data.target.value == "Survived"
    assert "PassengerId" not in p.data.features.value and "Fare" in p.data.features.value
    row = next(c for c in p.data.summary["columns"] if c["name"] == "PassengerId")
    assert row["reason"] == "id" and row["switchable"]
    p.data.features.value = (*p.data.features.value, "PassengerId")  # a deliberate choice is kept
    assert "PassengerId" in p.spec.data.features and not p.train_button.disabled


def test_raising_the_category_cap_brings_in_the_column_it_held_back():
    p = dlp.Playground(titanic_like())
    assert "Ticket" not in p.data.features.value
    assert "raise the cap" in p.data.columns_view.value
    p.data.max_categories.value = 400
    assert "Ticket" in p.data.features.value and p.spec.data.max_categories == 400
    assert not p.train_button.disabled
    run = p.train()
    assert run.wait(60) == "finished" and run.spec.data.max_categories == 400
    p.data.max_categories.value = 50  # lowered again: the column goes out again
    assert "Ticket" not in p.data.features.value


def test_a_feature_that_cannot_be_used_keeps_the_columns_on_screen():
    p = dlp.Playground(titanic_like())
    p.data.features.value = (*p.data.features.value, "Name")
    assert p.train_button.disabled and "free text" in p.train_reason.value
    assert "data-column='Name'" in p.data.columns_view.value  # the choice can be undone here
    p.data.features.value = tuple(f for f in p.data.features.value if f != "Name")
    assert not p.train_button.disabled


def test_only_the_chosen_sources_controls_show():
    p = dlp.Playground()
    shown = {
        kind: (p.data.builtin.layout.display, p.data.upload_row.layout.display, p.data.url_row.layout.display)
        for kind in ("Upload", "URL", "Built-in")
        if not setattr(p.data.source_kind, "value", kind)
    }
    assert shown == {
        "Upload": ("none", None, "none"),
        "URL": ("none", "none", None),
        "Built-in": (None, "none", "none"),
    }


# ---------------------------------------------------------------- Train's reason, on every step


def test_train_says_why_it_is_disabled_on_every_step():
    from dlp_widgets.data import load_table

    p = dlp.Playground(load_table("builtin:digits")[0])  # 10 classes
    assert not p.train_button.disabled and p.train_reason.value == ""
    assert p.data.target.value == "digit"  # the last column, holding a few classes
    shape = list(p.builder.input_shape)  # 61: the three pixels that are 0 everywhere are left out
    p.builder.spec = {"input_shape": shape, "layers": [{"type": "Linear", "params": {"out_features": 5}}]}
    for step in range(4):
        p.steps.selected_index = step
        assert p.train_button.disabled
        assert "ends with 5 value(s) per example, but the data has 10 classes" in p.train_reason.value


def test_a_learning_rate_out_of_range_is_refused_with_a_message_not_clamped():
    p = dlp.Playground()
    p.lr.value = 200
    assert p.lr.value == 200  # what was typed stays, with the reason
    assert "training.lr must be between 1e-07 and 10.0, not 200" in p.settings_message.value
    assert p.train_button.disabled and "training.lr" in p.train_reason.value
    p.lr.value = 0.01
    assert not p.train_button.disabled and p.settings_message.value == ""


def test_the_review_of_image_data_has_no_target_row():
    p = dlp.Playground()
    p.data.builtin.value = "builtin:digits_images"
    p.steps.selected_index = 3
    assert "Target" not in p.review.value and "Classes" in p.review.value and "None" not in p.review.value


# ---------------------------------------------------------------- reopening, names


def test_reopening_a_run_trained_on_an_upload_brings_its_data_back():
    table = CORPUS[0]
    p = dlp.Playground()
    p.data.set_upload(table.filename, table.csv)
    p.epochs.value = 2
    run = p.train()
    run.wait(60)
    again = dlp.Playground.from_run(dlp.load_run(run.id))
    assert again.data.kind == "Upload" and again.data.upload_name == table.filename
    assert again.data.target.value == table.target and tuple(again.data.features.value) == table.features
    assert again.data.summary["classes"] == run.classes  # not Iris
    assert not again.train_button.disabled
    assert dlp.load_run(run.id).export("script").exists()  # the script export finds the upload too


def test_reopening_a_run_trained_on_a_dataframe_asks_for_it():
    frame = titanic_like()
    run = dlp.train(
        {
            "model": default_model([1], 2),
            "data": {"target": "Survived", "features": ["Fare"]},
            "training": {"epochs": 1},
        },
        data=frame,
        dashboard=False,
    )
    p = dlp.Playground.from_run(dlp.load_run(run.id))
    assert p.train_button.disabled
    assert "400 rows with columns PassengerId, Name" in p.data.message.value
    assert "Playground.from_run(run, data=df)" in p.train_reason.value
    assert "iris" not in p.data.message.value.lower()
    back = dlp.Playground.from_run(dlp.load_run(run.id), data=frame)
    assert back.data.kind == "DataFrame" and back.data.features.value == ("Fare",) and not back.train_button.disabled


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


# ---------------------------------------------------------------- exports, the ETA


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


# ---------------------------------------------------------------- every object the package hands out is a spec


def test_whatever_the_package_hands_out_is_accepted_where_a_model_or_spec_goes():
    builder = dlp.LayerBuilder({"input_shape": [13], "layers": [{"type": "Linear", "params": {"out_features": 3}}]})
    data, training = {"source": "builtin:wine"}, {"epochs": 1}
    full = dlp.load_spec({"model": builder.spec, "data": data, "training": training})
    for model in (builder.spec, builder, builder.spec.to_dict(), full.model):
        run = dlp.train({"model": model, "data": data, "training": training}, dashboard=False)
        assert run.status == "finished" and run.spec.model == full.model
    for spec in (full, full.to_dict()):
        assert dlp.train(spec, dashboard=False).status == "finished"
    p = dlp.Playground(spec=full)  # a Playground takes the same, and is one too
    assert p.spec.model == full.model and dlp.load_spec(p).data.source == "builtin:wine"
    assert dlp.ModelSummary(builder.spec).report["total_params"] == 13 * 3 + 3
    with pytest.raises(dlp.SpecError, match=r"LayerBuilder\.model is a method .* use the widget's \.spec"):
        dlp.train({"model": builder.model, "data": data})


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


def test_training_on_every_column_warns_about_an_id():
    from dlp_widgets.data import load_table

    frame = load_table("builtin:iris")[0]
    frame.insert(0, "PassengerId", range(1, len(frame) + 1))
    spec = {"model": default_model([5], 3), "data": {"target": "species"}, "training": {"epochs": 1}}
    run = dlp.train(spec, data=frame, dashboard=False)
    assert any('"PassengerId" looks like an id' in w for w in run.warnings)
    chosen = {**spec, "data": {"target": "species", "features": list(frame.columns[:5])}}
    assert not any("looks like an id" in w for w in dlp.train(chosen, data=frame, dashboard=False).warnings)


def test_a_stopped_run_on_an_upload_resumes_from_its_kept_file():
    from dlp_widgets.data import load_table
    from dlp_widgets.data.summary import summarize_table

    table = CORPUS[1]
    frame, _ = load_table(table.csv, name=table.filename)
    features = list(table.features)
    shape = summarize_table(frame, table.filename, target=table.target, features=features)["input_shape"]
    spec = {
        "model": default_model(shape, 2),
        "data": {"target": table.target, "features": features},
        "training": {"epochs": 4},
    }
    started: list = []  # the run, once dlp.start has returned it

    def stop_after_first_epoch(event):
        if event["type"] == "epoch_end" and event["epoch"] == 1:
            while not started:  # the training thread may get here before the caller has the run
                time.sleep(0.01)
            started[0].stop()

    started.append(
        dlp.start(spec, table.csv, dashboard=False, data_name=table.filename, subscribe=stop_after_first_epoch)
    )
    run = started[0]
    assert run.wait(60) == "stopped"
    again = dlp.load_run(run.id).resume()  # no data passed: the upload kept with the run is used
    assert again.status == "finished" and len(again.history) == 4
    assert dlp.runs().set_index("id").loc[run.id, "source"] == f"upload: {table.filename}"
