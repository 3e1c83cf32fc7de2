"""Exercise goals, checked against a real run from the run store, with advice when it falls short.

Works on the store's rows (plain dicts), so checking needs neither torch nor a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..spec.training import TrainingSpec

METRIC_NAMES = {
    "test_accuracy": "test accuracy",
    "test_r2": "test R²",
    "test_loss": "test loss",
    "train_accuracy": "training accuracy",
}


@dataclass(frozen=True)
class Goal:
    """What a run must reach. ``at_least`` or ``at_most`` bounds ``metric`` (from the run's final
    metrics); the others are extra conditions a learner can read in the exercise text."""

    metric: str = "test_accuracy"
    at_least: float | None = None
    at_most: float | None = None
    source: str | None = None  # the data set the run must use, e.g. "builtin:wine"
    max_params: int | None = None  # a budget on trainable parameters
    max_gap: float | None = None  # train accuracy minus test accuracy must not exceed this
    needs_layer: str | None = None  # e.g. "Conv2d": the model must contain one

    def __post_init__(self) -> None:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a goal needs exactly one of at_least / at_most")

    def describe(self) -> str:
        name = METRIC_NAMES.get(self.metric, self.metric)
        bound = f"≥ {self.at_least:g}" if self.at_least is not None else f"≤ {self.at_most:g}"
        parts = [f"{name} {bound}"]
        if self.source:
            parts.append(f"on {self.source}")
        if self.max_params is not None:
            parts.append(f"with at most {self.max_params:,} trainable parameters")
        if self.max_gap is not None:
            parts.append(f"with training and test accuracy at most {self.max_gap:g} apart")
        if self.needs_layer:
            parts.append(f"using at least one {self.needs_layer} layer")
        return ", ".join(parts)


@dataclass
class Verdict:
    passed: bool
    run_id: str | None
    summary: str
    advice: list[str] = field(default_factory=list)
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "run_id": self.run_id,
            "summary": self.summary,
            "advice": list(self.advice),
            "value": self.value,
        }


def _model_params(spec: dict[str, Any]) -> int | None:
    from ..spec import infer

    report = infer(spec.get("model") or {})
    return None if report.error else report.total_params


def same_source(wanted: str, used: str | None) -> bool:
    """Is ``used`` the data set ``wanted`` names? A toy set is itself whatever its noise,
    points or derived features (``toy:spiral?add=sin_x1`` is the spiral)."""
    if used == wanted:
        return True
    if wanted.startswith("toy:") and "?" not in wanted and used:
        return used.partition("?")[0] == wanted
    return False


def check_run(
    goal: Goal, row: dict[str, Any] | None, history: list[dict[str, Any]], signals: list[dict[str, Any]] | None = None
) -> Verdict:
    """Does this run (a store row, its per-epoch history and the coach's signals) meet the
    goal? Advice when not: the training coach's findings, each with its change to try."""
    if row is None:
        return Verdict(False, None, "No run to check yet.", ["Train a model first (press Train), then check again."])
    run_id, status = row["id"], row["status"]
    label = f"Run {row['name']!r} ({run_id})"
    spec = row.get("spec") or {}
    source = (spec.get("data") or {}).get("source")
    if goal.source and not same_source(goal.source, source):
        return Verdict(
            False,
            run_id,
            f"{label} used {source!r}, but this exercise is on {goal.source!r}.",
            [f"Choose {goal.source} as the data set and train again."],
        )
    if status in ("running",):
        return Verdict(False, run_id, f"{label} is still training.", ["Wait for it to finish, then check again."])
    coached = _coach_advice(row, history, signals or [])
    if status in ("failed", "diverged"):
        advice = coached or _advice_for_failure(row, spec)
        return Verdict(False, run_id, f"{label} {status}: {row.get('error') or 'no metrics'}.", advice)

    metrics = row.get("metrics") or {}
    value = metrics.get(goal.metric)
    if value is None:
        task_hint = "a classification" if "accuracy" in goal.metric else "a regression"
        return Verdict(
            False,
            run_id,
            f"{label} has no {METRIC_NAMES.get(goal.metric, goal.metric)}: it is not {task_hint} run.",
            [f"This exercise needs {task_hint} run on {goal.source or 'the given data'}."],
        )
    value = float(value)
    name = METRIC_NAMES.get(goal.metric, goal.metric)
    met = value >= goal.at_least if goal.at_least is not None else value <= goal.at_most
    failures: list[str] = []
    advice: list[str] = []
    if not met:
        target = goal.at_least if goal.at_least is not None else goal.at_most
        failures.append(f"{name} {value:.3f}, the goal is {'≥' if goal.at_least is not None else '≤'} {target:g}")
        advice += coached or _advice_for_metric(goal, row, spec, history)
    if goal.max_params is not None:
        params = _model_params(spec)
        if params is None or params > goal.max_params:
            failures.append(f"{params:,} trainable parameters, the budget is {goal.max_params:,}")
            advice.append("Use fewer or narrower layers: parameters grow with in_features × out_features.")
    if goal.max_gap is not None:
        gap = _final_gap(history)
        if gap is None or gap > goal.max_gap:
            failures.append(
                f"training and test accuracy are {gap:.3f} apart (at most {goal.max_gap:g})"
                if gap is not None
                else "no training accuracy was recorded"
            )
            advice += _overfit_advice(spec)
    if goal.needs_layer:
        layers = [layer.get("type") for layer in (spec.get("model") or {}).get("layers", [])]
        if goal.needs_layer not in layers:
            failures.append(f"the model has no {goal.needs_layer} layer")
            advice.append(f"Add a {goal.needs_layer} layer to the model.")
    if status != "finished" and failures:
        advice.insert(0, f"The run was {status} before its last epoch: let it finish, or resume it.")
    if failures:
        return Verdict(False, run_id, f"{label}: " + "; ".join(failures) + ".", _dedupe(advice), value)
    return Verdict(True, run_id, f"{label} reached {name} {value:.3f}.", [], value)


def _coach_advice(row: dict[str, Any], history: list[dict[str, Any]], signals: list[dict[str, Any]]) -> list[str]:
    """The coach's problems and warnings for the run (and "train longer" when it says so),
    each as the finding and its change: the same words as ``dlp coach`` and the dashboard."""
    from ..coach import RunFacts, diagnose_facts
    from ..spec import SpecError

    try:
        findings = diagnose_facts(RunFacts.of_row(row, history, signals))
    except (SpecError, KeyError, TypeError, ValueError):  # a row too damaged to read: the plain advice
        return []
    return [
        f"{f.message} Try: {f.fix_words}." if f.fix_words else f.message
        for f in findings
        if f.severity != "info" or f.code == "still_improving"
    ]


def _final_gap(history: list[dict[str, Any]]) -> float | None:
    if not history:
        return None
    last = history[-1]
    if last.get("train_accuracy") is None or last.get("test_accuracy") is None:
        return None
    return float(last["train_accuracy"]) - float(last["test_accuracy"])


def _training(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec's training section with every setting present: the ones it left out
    at the table's defaults, not at numbers typed again here."""
    return {**TrainingSpec().to_dict(), **(spec.get("training") or {})}


def _advice_for_failure(row: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    lr = _training(spec)["lr"]
    if row["status"] == "diverged":
        return [f"The loss blew up: lower the learning rate (it was {lr:g}; try {lr / 10:g})."]
    return ["Read the error above: it names the layer or setting to fix, then train again."]


def _advice_for_metric(
    goal: Goal, row: dict[str, Any], spec: dict[str, Any], history: list[dict[str, Any]]
) -> list[str]:
    training = _training(spec)
    lr, epochs = training["lr"], training["epochs"]
    layers = [layer.get("type") for layer in (spec.get("model") or {}).get("layers", [])]
    advice: list[str] = []
    losses = [h["train_loss"] for h in history if h.get("train_loss") is not None]
    gap = _final_gap(history)
    if gap is not None and gap > 0.1:
        advice += _overfit_advice(spec)
    if len(losses) >= 3:
        start, end, recent = losses[0], losses[-1], losses[-3]
        still_falling = recent - end > 0.02 * max(abs(start), 1e-8)
        barely_moved = start - end < 0.05 * max(abs(start), 1e-8)
        if barely_moved and lr < 1e-3:
            advice.append(f"The loss hardly moved: the learning rate {lr:g} is small; try 0.01 with Adam.")
        elif barely_moved:
            advice.append("The loss hardly moved: check the learning rate and that the last layer fits the task.")
        if still_falling:
            advice.append(f"The loss was still falling at the end: train for more epochs than {epochs}.")
        if len(losses) >= 4 and max(losses[-4:]) - min(losses[-4:]) > 0.5 * abs(losses[-1]) and lr >= 0.05:
            advice.append(f"The loss jumps around: lower the learning rate (it was {lr:g}).")
    else:
        if epochs < 5:
            advice.append(f"{epochs} epoch(s) is very few: try 20 or more.")
        if lr < 1e-3:
            advice.append(f"The learning rate {lr:g} is small: try 0.01 with Adam.")
    hidden = sum(t in ("ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU") for t in layers)
    if hidden == 0 and goal.max_params is None:
        advice.append("The model has no activation between layers, so it is linear: add a hidden layer with ReLU.")
    if not advice:
        advice.append("Try a wider hidden layer, more epochs, or a different learning rate, one change at a time.")
    return advice


def _overfit_advice(spec: dict[str, Any]) -> list[str]:
    layers = [layer.get("type") for layer in (spec.get("model") or {}).get("layers", [])]
    tips = ["It fits the training data much better than the test data (overfitting):"]
    if "Dropout" not in layers:
        tips.append("add a Dropout layer after a hidden layer,")
    if not _training(spec).get("weight_decay"):
        # with Adam a decay of 1e-4 hardly shows; 1e-2 (or AdamW, which applies it directly) does
        tips.append("set a weight decay (e.g. 0.01, or use AdamW),")
    tips.append("use fewer epochs or a smaller model.")
    return [" ".join(tips)]


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if not (x in seen or seen.add(x))]
