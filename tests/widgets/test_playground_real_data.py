"""The Playground with the data people bring, not just Iris: 13 messy uploaded tables each
reach a trained, learning run from the widget alone (target guessed, unusable columns left out
with their reason); the data step's choices, Train's reason on every step, reopening a run
trained on an upload or a DataFrame, and whatever the package hands out taken as a spec.
Driven through the widgets' Python side as the browser drives them (tests/browser/ does the
same in Chromium; the dashboard: test_dashboard_real_runs.py)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from messy_tables import corpus

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model

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


# ---------------------------------------------------------------- reopening


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
