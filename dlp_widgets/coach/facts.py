"""What the coach reads of a run, in one place: its status, task and classes, each epoch's
row, each epoch's signals (``engine.signals``) and its spec — from a run training now or one
read back from the store, which look the same from here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..spec import Spec
from ..spec.fit import loss_name


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass
class RunFacts:
    spec: Spec
    status: str
    task: str | None
    classes: list[str] | None
    history: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of_row(cls, row: dict[str, Any], history: list[dict[str, Any]], signals: list[dict[str, Any]]) -> RunFacts:
        """The facts of a run as the store holds it: its row, epochs and signals."""
        return cls(Spec.from_dict(row["spec"]), row["status"], row.get("task"), None, history, signals)

    @classmethod
    def of(cls, run: Any) -> RunFacts:
        """The facts of a ``Run`` (live or stored)."""
        rows = run.history.to_dict("records") if len(run.history) else []
        return cls(run.spec, run.status, run.task, run.classes, rows, list(run.signals))

    # -- the curves

    def series(self, key: str) -> list[float | None]:
        """One column of the history, epoch by epoch (None where it is missing or NaN)."""
        out = []
        for row in self.history:
            value = _number(row.get(key))
            out.append(value if value is not None and not math.isnan(value) else None)
        return out

    @property
    def epochs(self) -> int:
        return len(self.history)

    @property
    def planned_epochs(self) -> int:
        return int(self.spec.training.epochs)

    @property
    def classify(self) -> bool:
        return self.task == "classification"

    @property
    def n_classes(self) -> int:
        """The class count: the run's classes, or (for a run read from the store) the test
        split's per-class counts."""
        return len(self.classes) if self.classes else len(self.first("true_counts") or [])

    @property
    def metric(self) -> str:
        """The test metric people read: accuracy, or R² for regression."""
        return "accuracy" if self.classify else "r2"

    @property
    def loss(self) -> str:
        return loss_name(self.spec, self.task or "classification")

    def chance_loss(self) -> float | None:
        """The loss of a model that knows nothing, as it starts: −ln(1/C) for cross-entropy
        over C classes (ln 2 for one logit), and 1 for mean squared error on the
        standardised target."""
        if self.classify and self.loss in ("CrossEntropyLoss", "NLLLoss") and self.n_classes >= 2:
            return math.log(self.n_classes)
        if self.classify and self.loss == "BCEWithLogitsLoss":
            return math.log(2)
        if not self.classify and self.loss == "MSELoss":
            return 1.0
        return None

    def chance_accuracy(self) -> float:
        """The accuracy of always answering the largest test class, or 1/C without counts."""
        counts = self.first("true_counts")
        if counts:
            return max(counts) / max(sum(counts), 1)
        return 1 / self.n_classes if self.n_classes else 0.0

    # -- the signals

    def first(self, key: str) -> Any:
        return next((s[key] for s in self.signals if key in s), None)

    def last(self, key: str) -> tuple[int | None, Any]:
        """The last epoch that has ``key`` in its signals, and the value."""
        for s in reversed(self.signals):
            if key in s:
                return s.get("epoch"), s[key]
        return None, None

    def model_types(self) -> list[str]:
        """The layer (or node) types of the model, in order."""
        model = self.spec.model
        return [layer.type for layer in getattr(model, "layers", None) or getattr(model, "nodes", [])]
