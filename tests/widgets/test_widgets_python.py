"""The widgets' Python side: browser payloads are untrusted input, the dashboard throttles
what it sends, specs flow both ways."""

import time
import warnings

import pytest
from hypothesis import given, settings

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
from dlp_widgets.widgets import LayerBuilder
from dlp_widgets.widgets.charts import integer_ticks
from dlp_widgets.widgets.dashboard import TrainingDashboard
from specgen import json_values

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def browser_sets(widget, **state):
    """What an update from the browser does: ipywidgets hands the state to set_state."""
    widget.set_state(state)


def chain_graph(layers, shape=(4,)):
    """The builder's ``graph`` for a chain of ``layers``, ids as the browser makes them."""
    nodes = [{"id": f"n{i}", **layer} for i, layer in enumerate(layers)]
    return {"inputs": [{"id": "x", "shape": list(shape)}], "nodes": nodes}


@pytest.mark.parametrize(
    "payload",
    [
        "garbage",
        42,
        None,
        {"type": "Linear"},
        [{"type": "Linear", "params": "out_features=3"}],
        [{"type": "Linear", "params": {"out_features": "__import__('os').system('echo pwned')"}}],
        [{"type": "eval"}],
        [[["deep"]]] * 3,
        [{"type": "Linear", "params": {"out_features": 10**100}}],
        [{"type": "Linear"}] * 5000,
    ],
)
def test_malformed_layers_from_the_browser_become_errors_in_the_widget(payload):
    b = LayerBuilder({"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 10}}]})
    for graph in (
        {"inputs": [{"id": "x", "shape": [4]}], "nodes": payload},
        payload,  # the whole graph malformed
        chain_graph(payload) if isinstance(payload, list) and all(isinstance(x, dict) for x in payload) else payload,
    ):
        browser_sets(b, graph=graph)
        assert "error" in b.report
        assert b.report["error"]["message"]
        with pytest.raises(dlp.SpecError):
            b.spec  # noqa: B018 - the strict view refuses, the widget stays usable
        browser_sets(b, graph=chain_graph([{"type": "Linear", "params": {"out_features": 2}}]))
        assert b.ok and b.report["nodes"][0]["output_shape"] == [2]


@settings(max_examples=150)
@given(json_values, json_values, json_values, json_values)
def test_any_browser_state_leaves_a_working_widget(nodes, shape, selected, collapsed):
    b = LayerBuilder({"input_shape": [4], "layers": []})
    browser_sets(b, graph={"inputs": [{"id": "x", "shape": shape}], "nodes": nodes}, selected=selected)
    assert isinstance(b.report, dict) and isinstance(b.report["blocks"], list)
    assert isinstance(b.selected, list) and all(isinstance(v, str) for v in b.selected)
    browser_sets(b, graph=nodes, collapsed=collapsed)
    assert isinstance(b.report, dict) and "nodes" in b.report


def test_spec_syncs_both_ways_and_builds():
    b = LayerBuilder()
    conv = {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}
    b.spec = {
        "input_shape": [1, 8, 8],
        "layers": [conv, {"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 10}}],
    }
    assert b.layers[0] == conv and b.report["output_shape"] == [10]
    browser_sets(b, graph={**b.graph, "nodes": [*b.graph["nodes"], {"id": "relu1", "type": "ReLU"}]})
    assert [layer.type for layer in b.spec.layers][-1] == "ReLU"
    assert tuple(b.model()(__import__("torch").zeros(2, 1, 8, 8)).shape) == (2, 10)
    assert "nn.Conv2d(1, 8, 3, padding=1)" in b.code()
    from torch import nn

    b2 = LayerBuilder.from_torch(nn.Sequential(nn.Linear(3, 5), nn.Tanh()), [3])
    assert b2.layers == [{"type": "Linear", "params": {"out_features": 5}}, {"type": "Tanh"}]


def test_dashboard_sends_about_ten_updates_a_second_whatever_the_batch_count():
    board = TrainingDashboard()
    flushes = []
    original = board.flush

    def counting_flush():
        flushes.append(time.monotonic())
        original()

    board.flush = counting_flush
    t0 = time.monotonic()
    run = dlp.train(
        {
            "model": default_model([4], 3),
            "data": {"source": "builtin:iris"},
            "training": {"epochs": 40, "batch_size": 1},
        },
        dashboard=False,
        subscribe=board.on_event,
    )
    seconds = time.monotonic() - t0
    batches = 40 * 120
    assert run.status == "finished"
    assert len(flushes) <= seconds * 10 + 4, (len(flushes), seconds)  # not one per batch (4,800) or epoch (40)
    assert board.loss_view.train.x.tolist() == list(range(1, 41))  # yet every epoch reached the chart
    assert batches > 10 * len(flushes)


@pytest.mark.parametrize(("epochs", "marker"), [(12, "circle"), (60, None)])
def test_the_epoch_axis_is_set_once_for_the_whole_run_and_long_runs_drop_the_markers(epochs, marker):
    board = TrainingDashboard()
    changes = []
    for view in (board.loss_view, board.score_view):
        for part in (view.x, view.x_axis):
            part.observe(lambda change: changes.append(change["name"]), names=["min", "max", "tick_values"])
    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": epochs}},
        dashboard=False,
        subscribe=board.on_event,
    )
    assert run.status == "finished"
    assert sorted(changes) == sorted(["min", "max", "tick_values"] * 2)  # with the first epoch, never again
    for view in (board.loss_view, board.score_view):
        assert (view.x.min, view.x.max) == (1.0, float(epochs))
        assert view.x_axis.tick_values.tolist() == integer_ticks(epochs)
        assert view.train.x.tolist() == list(range(1, epochs + 1))
        assert view.train.marker == view.test.marker == marker


def test_the_curves_reach_the_browser_before_their_axis_spans_the_run(monkeypatch):
    """bqplot redraws a line when its scale's domain changes and fails on one without points:
    the first points are sent before the scale's limits, never the limits alone."""
    import ipywidgets

    board = TrainingDashboard()
    view = board.loss_view
    sent = []
    original = ipywidgets.Widget.send_state

    def recorded(widget, key=None):
        sent.append((widget, sorted(key) if isinstance(key, (list, set, tuple)) else key))
        return original(widget, key)

    monkeypatch.setattr(ipywidgets.Widget, "send_state", recorded)
    view.plan(30)
    assert [w for w, _ in sent if w is view.x] == []  # no limits while the lines are empty
    view.update([1], [0.9], [1.0])
    order = [w for w, _ in sent]
    assert view.x in order and view.train in order and view.test in order
    assert order.index(view.train) < order.index(view.x) and order.index(view.test) < order.index(view.x)
    assert (view.x.min, view.x.max) == (1.0, 30.0)


def test_a_board_without_the_start_still_fits_its_axis_to_the_epochs():
    board = TrainingDashboard()
    board.loss_view.update([1, 2, 3], [0.9, 0.5, 0.4], [1.0, 0.6, 0.5])
    assert board.loss_view.x.max is None and board.loss_view.x_axis.tick_values.tolist() == [1, 2, 3]


def test_dashboard_of_a_failed_run_shows_its_message():
    run = dlp.train(
        {
            "model": default_model([10], 1),
            "data": {"source": "builtin:diabetes"},
            "training": {"epochs": 5, "lr": 10.0, "optimizer": "SGD"},
        },
        dashboard=False,
    )
    board = TrainingDashboard(run)
    assert "data-status='diverged'" in board.status.value
    assert "Lower the learning rate" in board.message.value


def test_run_history_ignores_malformed_messages_and_selection():
    from dlp_widgets.widgets.history import RunHistory

    run = dlp.train(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 2}}, dashboard=False
    )
    history = RunHistory()
    assert history.table.rows[0]["id"] == run.id
    for bad in ("x", 3, {"action": "rm -rf"}, {"action": "delete", "id": ["a"]}, {"action": "delete", "id": "nope"}):
        history._on_message(history.table, bad, [])
    assert len(history.table.rows) == 1
    history.table.set_state({"selected": {"not": "a list"}})
    history.table.set_state({"selected": [run.id, 5, None]})
    assert history.curves.labels == [history.table.rows[0]["name"]]
    folder = run.folder
    assert folder.exists()
    history._on_message(history.table, {"action": "delete", "id": run.id}, [])
    assert history.table.rows == [] and not folder.exists()


def test_colab_widget_manager_is_switched_on_only_in_colab(monkeypatch):
    import sys
    import types

    from dlp_widgets.widgets import frontends

    assert frontends.prepare_colab() is False  # not in Colab: nothing done
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert frontends.prepare_colab() is True and calls == [1]


def test_a_refused_run_leaves_no_empty_dashboard(monkeypatch):
    from dlp_widgets import api
    from dlp_widgets.widgets import dashboard

    made = []

    class Recording(dashboard.TrainingDashboard):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(dashboard, "TrainingDashboard", Recording)
    bad = {"model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 0}}]}}
    with pytest.raises(dlp.SpecError, match="out_features"):
        api.train(bad, dashboard=True)
    assert len(made) == 1 and made[0].comm is None, "the dashboard shown for the refused run was not closed"


# ---------------------------------------------------------------- payloads found by trying to break the widgets


def test_a_malformed_url_clears_the_old_data_and_disables_train():
    p = dlp.Playground()
    assert "species" in p.data.target.options and not p.train_button.disabled
    p.data.url.value = "https://example.com/my data.csv"
    p.data.source_kind.value = "URL"  # no exception escapes into the cell
    assert "contains spaces" in p.data.message.value
    assert p.data.target.options == () and p.data.preview.value == "" and p.train_button.disabled
    assert "contains spaces" in p.train_reason.value  # the reason stands beside the button
    assert p.train() is None and p.run is None
    p.data.source_kind.value = "Built-in"
    assert "species" in p.data.target.options and not p.train_button.disabled


def test_a_transform_list_sent_for_table_data_is_ignored():
    p = dlp.Playground()
    for box in (p.data.train_transforms, p.data.test_transforms):
        browser_sets(box, items=[{"type": "RandomHorizontalFlip"}])
    assert p.builder.ok and not p.train_button.disabled


def test_a_builder_shape_that_is_not_a_list_does_not_break_the_data_step():
    p = dlp.Playground()
    browser_sets(p.builder, graph={**p.builder.graph, "inputs": [{"id": "x", "shape": 5}]})
    assert "error" in p.builder.report and p.builder.input_shape is None
    p.data.target.value = "sepal_length"  # a new target re-checks the data and rebuilds the model
    assert p.builder.ok and p.builder.input_shape == [6]  # 3 measurements + 3 one-hot species


def test_train_is_refused_while_a_run_is_going():
    p = dlp.Playground()
    p.epochs.value, p.batch_size.value = 100_000, 1
    run = p.train()
    try:
        assert p.train_button.disabled
        assert p.train() is None and "a run is training" in p.train_reason.value and p.run is run
    finally:
        run.stop()
        assert run.wait(10) == "stopped"
    assert not p.train_button.disabled  # the finished event gives the button back


def test_a_reopened_spec_keeps_features_task_device_and_image_data():
    spec = {
        "model": default_model([2], 3),
        "data": {
            "source": "builtin:iris",
            "target": "species",
            "features": ["sepal_length", "sepal_width"],
            "task": "classification",
        },
        "training": {"device": "cpu", "epochs": 7},
    }
    p = dlp.Playground(spec=spec)
    assert p.data.features.value == ("sepal_length", "sepal_width")
    assert p.data.task.value == "classification" and p.device.value == "cpu" and p.epochs.value == 7
    assert p.spec.data.features == ["sepal_length", "sepal_width"] and p.builder.ok
    p.data.task.value = None  # choosing the task again keeps the features picked
    assert p.data.features.value == ("sepal_length", "sepal_width")
    images = {
        "model": {
            "input_shape": [1, 8, 8],
            "layers": [{"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 10}}],
        },
        "data": {"source": "builtin:digits"},  # as runs saved before digits-as-images had a name
    }
    p = dlp.Playground(spec=images)
    assert p.data.builtin.value == "builtin:digits_images" and p.builder.ok and not p.train_button.disabled


def test_traits_only_python_sets_are_not_taken_from_the_browser():
    b = LayerBuilder()
    browser_sets(b, graph=chain_graph([{"type": "Linear", "params": {"out_features": 0}}]))
    assert not b.ok
    browser_sets(b, report={}, catalogue=[])
    assert not b.ok and b.catalogue  # both refused (and Python's values sent back)
    from dlp_widgets.widgets.transforms import TransformList

    t = TransformList("train", image_shape=(1, 8, 8), items=[{"type": "Resize", "params": {"size": 0}}])
    assert t.error
    browser_sets(t, error="")
    assert t.error


def test_values_equal_to_the_old_ones_but_of_the_wrong_type_are_still_checked():
    b = LayerBuilder(
        {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 3}}, {"type": "ReLU"}]}
    )
    browser_sets(b, selected=["1"])
    assert b.selected == ["1"]
    graph = b.graph
    graph["nodes"][0]["params"]["out_features"] = 3.0  # 3.0 == 3
    browser_sets(b, graph=graph)
    assert not b.ok and "out_features" in b.report["error"]["message"]
    browser_sets(b, selected=[True])  # True == 1
    assert b.selected == []


def test_deleting_a_run_that_is_still_training_is_refused():
    from dlp_widgets.widgets.history import RunHistory

    run = dlp.start(
        {
            "model": default_model([4], 3),
            "data": {"source": "builtin:iris"},
            "training": {"epochs": 100_000, "batch_size": 1},
        },
        dashboard=False,
    )
    try:
        history = RunHistory()
        history._on_message(history.table, {"action": "delete", "id": run.id}, [])
        assert "still training" in history.message.value
        assert run.store.get_run(run.id) is not None and run.folder.exists()
    finally:
        run.stop()
        run.wait(10)
    assert run.status == "stopped"
    history._on_message(history.table, {"action": "delete", "id": run.id}, [])
    assert run.store.get_run(run.id) is None


def test_checking_an_exercise_on_a_run_deleted_meanwhile():
    run = dlp.train(
        {"model": default_model([13], 3), "data": {"source": "builtin:wine"}, "training": {"epochs": 1}},
        dashboard=False,
    )
    ex = dlp.exercise("wine-90")
    ex.run_picker.value = run.id
    run.store.delete_run(run.id)
    ex.check_button.click()
    assert "no longer in the store" in ex.result.value
    assert run.id not in [v for _, v in ex.run_picker.options]


def test_numbers_no_one_typed_are_not_counted_as_answers():
    q = dlp.question("intro-nn/linear-params")  # a numeric question
    assert q.question["kind"] == "numeric"
    before = q.attempts  # earlier tests may have answered it in this store
    for value in ("1e400", "9" * 400, 10**400, "x" * 2_000_000):
        q._on_message(q, {"type": "answer", "value": value}, [])
        assert q.attempts == before and not q.feedback["counted"]


def test_export_before_the_run_has_ended_says_so():
    board = TrainingDashboard()
    board.export("onnx")
    assert "nothing to export yet" in board.export_result.value


# ---------------------------------------------------------------- one table of training settings

from hypothesis import strategies as st  # noqa: E402

from dlp_widgets.spec.training import LOSSES, TRAINING_FIELDS, TrainingSpec  # noqa: E402


def _setting_values(f):
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "int":
        return st.integers(int(f.min), int(f.max))
    if f.kind == "float":
        return st.floats(f.min, f.max, allow_nan=False)
    if f.kind == "loss":
        return st.sampled_from([None, *LOSSES])
    if f.kind == "device":
        return st.sampled_from(["auto", "cpu", "cuda", "cuda:1", "mps"])
    return st.sampled_from(f.choices)


training_sections = st.fixed_dictionaries({f.name: _setting_values(f) for f in TRAINING_FIELDS})


@settings(max_examples=60)
@given(training_sections)
def test_any_valid_spec_set_on_the_playground_comes_back_field_for_field(training):
    spec = dlp.load_spec(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris", "target": "species"}, "training": training}
    )
    p = PLAYGROUND
    p.spec = spec
    assert p.spec.training == spec.training  # weight_decay, precision, class_weights... nothing lost
    assert p.spec.data == spec.data


PLAYGROUND = None


@pytest.fixture(autouse=True, scope="module")
def _one_playground():
    global PLAYGROUND
    PLAYGROUND = dlp.Playground()  # one for the property test's many examples: building one takes time
    yield


def test_every_training_setting_has_a_control_schema_entry_and_a_check():
    from dlp_widgets.spec.schema import json_schema

    names = [f.name for f in TRAINING_FIELDS]
    p = dlp.Playground()
    assert list(p.settings.controls) == names
    schema = json_schema()["properties"]["training"]["oneOf"][1]["properties"]
    assert list(schema) == names
    assert list(dlp.load_spec({"model": default_model([4], 3)}).training.to_dict()) == names
    for f in TRAINING_FIELDS:  # the spec's default is the table's, and the control starts there
        assert getattr(TrainingSpec(), f.name) == f.default == p.settings.controls[f.name].value


def test_a_spec_without_scaling_keeps_it_on_the_playground():
    spec = dlp.load_spec(
        {"model": default_model([4], 3), "data": {"source": "builtin:iris", "target": "species", "scale": False}}
    )
    p = dlp.Playground(spec=spec)
    assert p.data.scale.value is False and p.spec.data.scale is False
    p.data.scale.value = True
    assert p.spec.data.scale is True and "scale" not in p.spec.to_dict()["data"]
