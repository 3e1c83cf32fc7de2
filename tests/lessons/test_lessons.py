"""Lessons: the question bank checked against torch, answer checking, progress in the store, and
exercises judged on real runs from a temporary store."""

from __future__ import annotations

import json
import pathlib

import pytest
import torch
from torch import nn

from dlp_widgets.engine.runner import train
from dlp_widgets.lessons import EXERCISES, LESSONS, QUESTIONS, ChoiceQuestion, Goal, NumericQuestion, parse_number
from dlp_widgets.lessons import progress as progress_mod
from dlp_widgets.runstore import open_store
from dlp_widgets.widgets.quiz import Exercise, MultipleChoice, ProgressView, question
from dlp_widgets.widgets.quiz import NumericQuestion as NumericWidget

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "runs.sqlite")


# ---------------------------------------------------------------- the bank


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _dropout_scale() -> float:
    torch.manual_seed(0)
    out = nn.Dropout(p=0.2).train()(torch.ones(10_000))
    return float(out[out != 0][0])


# numeric answers that torch can compute for us
ORACLES = {
    "intro-nn/linear-params": lambda: _params(nn.Linear(4, 32)),
    "cnn-images/conv-params": lambda: _params(nn.Conv2d(1, 6, kernel_size=5)),
    "cnn-images/conv-output": lambda: nn.Conv2d(1, 6, kernel_size=5)(torch.zeros(1, 1, 28, 28)).shape[-2],
    "loss-functions/cross-entropy": lambda: float(
        nn.functional.cross_entropy(torch.log(torch.tensor([[0.25, 0.75]])), torch.tensor([0]))
    ),
    "loss-functions/mse": lambda: float(nn.functional.mse_loss(torch.tensor([2.0, 4.0]), torch.tensor([1.0, 1.0]))),
    "overfitting/dropout-scale": _dropout_scale,
    "what-is-ml/split-rows": lambda: 150 - round(0.2 * 150),
    "boundaries/params": lambda: _params(nn.Sequential(nn.Linear(2, 6), nn.Linear(6, 6), nn.Linear(6, 2))),
}


@pytest.mark.parametrize("qid", sorted(ORACLES))
def test_numeric_answers_agree_with_torch(qid):
    q = QUESTIONS[qid]
    assert isinstance(q, NumericQuestion)
    truth = ORACLES[qid]()
    assert q.accepts(truth), (qid, q.answer, truth)
    assert q.check(str(truth)).correct


def test_bank_is_complete_and_consistent():
    assert len(LESSONS) == 6
    for lesson in LESSONS:
        qs = [q for q in QUESTIONS.values() if q.lesson == lesson]
        assert len(qs) >= 3, lesson
        assert {q.kind for q in qs} == {"choice", "numeric"}, f"{lesson} mixes both kinds"
        assert [e for e in EXERCISES.values() if e.lesson == lesson], f"{lesson} has no exercise"
    for q in QUESTIONS.values():
        assert q.lesson in LESSONS and q.explanation and q.prompt.strip()
        if isinstance(q, ChoiceQuestion):
            wrong = [c for c in q.choices if not c.correct]
            assert all(c.why for c in wrong), f"{q.id}: every wrong choice says why it is wrong"
    # numeric questions without a torch oracle are checked by hand here
    unchecked = {q.id for q in QUESTIONS.values() if isinstance(q, NumericQuestion)} - set(ORACLES)
    assert unchecked == set()


def test_each_lesson_notebook_shows_its_questions_and_exercise():
    for lesson in LESSONS.values():
        path = ROOT / "notebooks" / "learn" / lesson.notebook
        assert path.exists(), path
        source = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        for q in QUESTIONS.values():
            if q.lesson == lesson.id:
                assert f'dlp.question("{q.id}")' in source, (lesson.notebook, q.id)
        for e in EXERCISES.values():
            if e.lesson == lesson.id:
                assert f'dlp.exercise("{e.id}")' in source, (lesson.notebook, e.id)


def test_question_answers_never_reach_the_browser():
    for qid, q in QUESTIONS.items():
        w = question(qid)
        state = json.dumps(w.get_state())
        if isinstance(q, NumericQuestion):
            assert "answer" not in w.question
        else:
            assert '"correct"' not in state and all(c.why not in state for c in q.choices if c.why)


# ---------------------------------------------------------------- checking answers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        (" 0.5 ", 0.5),
        ("1e-3", 1e-3),
        ("12,544", 12544),
        ("12 544", 12544),
        ("50%", 0.5),
        ("-3", -3),
        (7, 7),
    ],
)
def test_parse_number_reads_what_people_type(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1,2", "nan", "inf", None, True, "1e", "--1"])
def test_parse_number_refuses_non_numbers(text):
    assert parse_number(text) is None


def test_numeric_tolerance_and_hints():
    q = QUESTIONS["loss-functions/cross-entropy"]
    assert q.check("1.386").correct and q.check("1.39").correct
    assert not q.check("1.5").correct and "too high" in q.check("1.5").message
    fb = q.check("what")
    assert not fb.counted and "number" in fb.message
    mse = QUESTIONS["loss-functions/mse"]
    assert "L1Loss" in mse.check("2").message


def test_choice_feedback_names_the_misconception():
    q = QUESTIONS["intro-nn/output-size"]
    fb = q.check(2)
    assert not fb.correct and "13" in fb.message and "input features" in fb.message
    assert q.check(1).correct
    assert not q.check(None).counted and not q.check(7).counted
    multi = QUESTIONS["overfitting/remedies"]
    assert multi.multiple
    partial = multi.check([0, 1])
    assert not partial.correct and "1 more" in partial.message
    assert multi.check([0, 1, 2]).correct
    assert not multi.check([0, 1, 2, 3]).correct


def test_widget_answers_from_the_browser_are_checked_and_saved(store):
    w = question("cnn-images/conv-output", store=store)
    w._on_message(w, {"type": "answer", "value": "23"}, [])
    assert w.feedback["correct"] is False and "Off by one" in w.feedback["message"]
    w._on_message(w, {"type": "answer", "value": "24"}, [])
    assert w.feedback["correct"] is True and w.solved and w.attempts == 2
    w._on_message(w, {"type": "answer", "value": "25"}, [])
    assert w.solved, "once answered right it stays answered"
    again = question("cnn-images/conv-output", store=store)  # a new session sees the earlier progress
    assert again.solved and again.attempts == 3


def test_own_questions_keep_their_progress_by_prompt(store):
    a = MultipleChoice("Which is a loss?", ["MSELoss", "ReLU"], 0, "MSELoss is a loss.", store=store)
    a.answer(0)
    b = MultipleChoice("Which is a loss?", ["MSELoss", "ReLU"], 0, store=store)
    assert b.solved
    n = NumericWidget("2 + 2?", 4, store=store, tolerance=0)
    assert not n.answer("5").correct and n.answer("4").correct
    with pytest.raises(ValueError, match="index"):
        MultipleChoice("Q", ["a", "b"], 2)
    own = [r for r in progress_mod.summary(store) if r["lesson"] is None]
    assert own and own[0]["correct"] == 2


# ---------------------------------------------------------------- progress


def test_progress_is_saved_in_the_store_and_survives_reopening(tmp_path):
    path = tmp_path / "runs.sqlite"
    s = open_store(path)
    s.record_progress("question:intro-nn/activation", "question", False, lesson="intro-nn")
    s.record_progress("question:intro-nn/activation", "question", True, lesson="intro-nn")
    s.record_progress("question:intro-nn/activation", "question", False, lesson="intro-nn")
    row = open_store(path).progress("intro-nn")[0]
    assert row["passed"] and row["attempts"] == 3
    view = ProgressView(open_store(path))
    assert "1 / 4" in view.table.value
    question("intro-nn/output-size", store=view.store).answer(1)  # the view redraws by itself
    assert "2 / 4" in view.table.value
    view.reset("intro-nn")
    assert "0 / 4" in view.table.value


# ---------------------------------------------------------------- exercises on real runs


def _mlp(n_in: int, n_out: int, hidden: int = 16) -> dict:
    return {
        "input_shape": [n_in],
        "layers": [
            {"type": "Linear", "params": {"out_features": hidden}},
            {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": n_out}},
        ],
    }


@pytest.mark.slow
def test_exercise_passes_a_run_that_meets_the_goal_and_fails_one_that_does_not(store):
    good = train(
        {"model": _mlp(13, 3), "data": {"source": "builtin:wine"}, "training": {"epochs": 15}},
        name="good",
        store=store,
    )
    weak = train(
        {"model": _mlp(13, 3), "data": {"source": "builtin:wine"}, "training": {"epochs": 4, "lr": 1e-6}},
        name="weak",
        store=store,
    )
    other = train({"model": _mlp(4, 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 2}}, store=store)
    assert good.metrics["test_accuracy"] >= 0.9 and weak.metrics["test_accuracy"] < 0.9

    ex = Exercise("wine-90", store=store)
    verdict = ex.check(good)
    assert verdict.passed and verdict.value == pytest.approx(good.metrics["test_accuracy"])
    assert "Goal met" in ex.result.value

    verdict = ex.check(weak.id)
    assert not verdict.passed and "0.9" in verdict.summary
    # the training coach's finding, with its change: the same words as the dashboard's Coach panel
    assert any("did not fall" in a and "Try: lr 0.001" in a for a in verdict.advice), verdict.advice
    assert "Not yet" in ex.result.value and "lr 0.001" in ex.result.value

    verdict = ex.check(other)
    assert not verdict.passed and "builtin:wine" in verdict.summary

    # with no run named, the latest run on Wine is checked (weak), not the later Iris run
    assert ex.check().run_id == weak.id
    row = [r for r in store.progress() if r["item"] == "exercise:wine-90"][0]
    assert row["passed"] and row["attempts"] == 4, "a pass is kept even when a later check fails"
    labels = [label for label, _ in ex.run_picker.options]
    assert any("good" in label for label in labels) and not any(other.id in label for label in labels)

    with pytest.raises(KeyError, match="no run"):
        ex.check("no-such-run")


@pytest.mark.slow
def test_goal_conditions_parameters_gap_layer_and_status(store):
    run = train(
        {"model": _mlp(13, 3, hidden=64), "data": {"source": "builtin:wine"}, "training": {"epochs": 10}},
        store=store,
    )
    row, history = store.get_run(run.id), store.epochs(run.id)
    from dlp_widgets.lessons import check_run
    from dlp_widgets.spec import infer

    params = infer(run.spec.model.to_dict()).total_params
    assert params == sum(p.numel() for p in run.model.parameters())
    budget = check_run(Goal("test_accuracy", at_least=0.5, max_params=params - 1), row, history)
    assert not budget.passed and f"{params:,}" in budget.summary
    assert check_run(Goal("test_accuracy", at_least=0.5, max_params=params), row, history).passed
    layer = check_run(Goal("test_accuracy", at_least=0.5, needs_layer="Conv2d"), row, history)
    assert not layer.passed and "Conv2d" in layer.summary
    gap = history[-1]["train_accuracy"] - history[-1]["test_accuracy"]
    tight = check_run(Goal("test_accuracy", at_least=0.5, max_gap=gap - 0.01), row, history)
    assert not tight.passed and any("Dropout" in a for a in tight.advice)
    assert not check_run(Goal("test_r2", at_least=0.1), row, history).passed  # not a regression run
    assert check_run(Goal("test_loss", at_most=10.0), row, history).passed

    diverged = dict(row, status="diverged", error="the loss became NaN")
    verdict = check_run(Goal("test_accuracy", at_least=0.5), diverged, history)
    assert not verdict.passed and "lower the learning rate" in verdict.advice[0]
    assert not check_run(Goal("test_accuracy", at_least=0.5), None, []).passed
    with pytest.raises(ValueError):
        Goal("test_accuracy")


# one reference solution per exercise: every goal can be met with the playground's own layers
SOLUTIONS = {
    "iris-90": ({"model": _mlp(4, 3), "training": {"epochs": 30}}),
    "wine-90": ({"model": _mlp(13, 3), "training": {"epochs": 20}}),
    "diabetes-r2": ({"model": _mlp(10, 1, hidden=16), "training": {"epochs": 30}}),
    "digits-cnn": (
        {
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
            "training": {"epochs": 10},
        }
    ),
    "cancer-gap": (
        {
            "model": {
                "input_shape": [30],
                "layers": [
                    {"type": "Linear", "params": {"out_features": 16}},
                    {"type": "ReLU"},
                    {"type": "Dropout", "params": {"p": 0.3}},
                    {"type": "Linear", "params": {"out_features": 2}},
                ],
            },
            "training": {"epochs": 15, "weight_decay": 1e-4},
        }
    ),
    "spiral-budget": (  # two derived features and two hidden layers of 8: 130 parameters
        {
            "model": {
                "input_shape": [4],
                "layers": [
                    {"type": "Linear", "params": {"out_features": 8}},
                    {"type": "Tanh"},
                    {"type": "Linear", "params": {"out_features": 8}},
                    {"type": "Tanh"},
                    {"type": "Linear", "params": {"out_features": 2}},
                ],
            },
            "data": {"source": "toy:spiral?add=sin_x1,sin_x2"},
            "training": {"epochs": 200, "lr": 0.01, "batch_size": 10, "test_size": 0.5},
        }
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_exercise_goal_can_be_met(exercise_id, store):
    goal = EXERCISES[exercise_id].goal
    spec = dict(SOLUTIONS[exercise_id])
    spec["data"] = {"source": goal.source, **spec.get("data", {})}
    run = train(spec, name=f"solution {exercise_id}", store=store)
    verdict = Exercise(exercise_id, store=store).check(run)
    assert verdict.passed, verdict


def test_every_notebook_opens_with_a_guarded_install_cell():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "learn").glob("*.ipynb"))
    assert len(notebooks) == 15
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        first_code = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert 'find_spec("dlp_widgets") is None' in first_code and "%pip install" in first_code, path.name
        assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code"), (
            f"{path.name} is saved with outputs"
        )
