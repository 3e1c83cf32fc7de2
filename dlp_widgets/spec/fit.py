"""Does a model fit its data? The checks that need no torch — input shape, output size per
task and class count, a loss for the task, batch normalisation and batch size — with errors
and warnings a learner understands. The Playground's review runs them without importing
torch; the engine runs the same ones before a run exists."""

from __future__ import annotations

from typing import Any

from .document import Spec
from .errors import SpecError
from .graph import GraphSpec
from .graph_shapes import GraphReport
from .shapes import ShapeReport
from .training import LOSSES

DEFAULT_LOSS = {"classification": "CrossEntropyLoss", "regression": "MSELoss"}


def loss_name(spec: Spec, task: str) -> str:
    return spec.training.loss or DEFAULT_LOSS[task]


class _Layers:
    """The model's layers in order, as the checks read them: a chain's by position, a
    graph's (the nodes that are part of the model) by id; ``place`` and ``words`` say
    where in each one's terms."""

    def __init__(self, spec: Spec, report: ShapeReport | GraphReport) -> None:
        self.graph = isinstance(spec.model, GraphSpec)
        if self.graph:
            nodes = [spec.model.nodes[i] for i in getattr(report, "order", [])]
            self.types = [n.type for n in nodes]
            self.ids = [n.id for n in nodes]
            outputs = spec.model.output_ids
            last = next((k for k, n in enumerate(nodes) if n.id == outputs[0]), None)
            self.ending = self.types[last] if last is not None else None
            if len(spec.model.inputs) > 1 or len(outputs) > 1:
                raise SpecError(
                    f"the model has {len(spec.model.inputs)} input(s) and {len(outputs)} output(s); training takes "
                    "a model of one input and one output"
                )
        else:
            self.types = [layer.type for layer in spec.model.layers]
            self.ids = []
            self.ending = self.types[-1] if self.types else None

    def place(self, i: int | None) -> dict[str, Any]:
        if i is None:
            return {}
        return {"node": self.ids[i]} if self.graph else {"layer": i}

    def words(self, i: int) -> str:
        return f'the {self.types[i]} "{self.ids[i]}"' if self.graph else f"the {self.types[i]} at position {i + 1}"


def check_fit(
    spec: Spec, report: ShapeReport | GraphReport, task: str, n_classes: int | None, input_shape: list[int]
) -> list[str]:
    """Raise SpecError for a model that cannot train on this data; return warnings."""
    warnings: list[str] = []
    layers = _Layers(spec, report)
    if list(spec.model.input_shape) != list(input_shape):
        raise SpecError(
            f"the model takes input {list(spec.model.input_shape)} but the data gives {list(input_shape)} per example; "
            f"set model.input_shape to {list(input_shape)}",
            param="input_shape",
        )
    name = loss_name(spec, task)
    if LOSSES[name] != task:
        fitting = ", ".join(k for k, v in LOSSES.items() if v == task)
        raise SpecError(
            f"{name} is a {LOSSES[name]} loss, but the task is {task}; choose one of {fitting}", param="loss"
        )
    out = report.output_shape
    last = len(layers.types) - 1
    if out is None or len(out) != 1:
        raise SpecError(
            f"the model must end with one value per output (add a Flatten and a Linear), but it produces {list(out or [])}",
            **layers.place(last if last >= 0 else None),
        )
    linear = next((i for i in range(last, -1, -1) if layers.types[i] == "Linear"), None)

    def fix(n: int) -> str:
        if linear is not None:
            return f"; set out_features of {layers.words(linear)} to {n}"
        return f"; end the model with a Linear layer with out_features={n}"

    if task == "classification":
        binary = name == "BCEWithLogitsLoss" and n_classes == 2
        expected = 1 if binary and out[0] == 1 else n_classes
        if out[0] != expected:
            raise SpecError(
                f"the model ends with {out[0]} value(s) per example, but the data has {n_classes} classes{fix(expected)}",
                **layers.place(linear),
                param="out_features",
            )
        if name == "BCEWithLogitsLoss" and n_classes != 2 and out[0] != n_classes:
            raise SpecError("BCEWithLogitsLoss needs two classes (or one output per class)", param="loss")
    elif out[0] != 1:
        raise SpecError(
            f"a regression model must end with 1 value per example, not {out[0]}{fix(1)}",
            **layers.place(linear),
            param="out_features",
        )
    for i, kind in enumerate(layers.types):
        if kind in ("BatchNorm1d", "BatchNorm2d") and spec.training.batch_size < 2:
            raise SpecError(
                f"{layers.words(i)[4:]} normalises over the batch, so it needs at least 2 examples per batch; "
                "raise training.batch_size",
                **layers.place(i),
                param="batch_size",
            )
    ending = layers.ending
    if ending == "Softmax" and name == "CrossEntropyLoss":
        warnings.append(
            "The model ends with Softmax and trains with CrossEntropyLoss, which applies softmax itself: the "
            "probabilities get squashed twice and learning slows or stalls. Remove the final Softmax (add it only "
            "when you read probabilities after training)."
        )
    if ending == "Sigmoid" and name == "BCEWithLogitsLoss":
        warnings.append(
            "The model ends with Sigmoid and trains with BCEWithLogitsLoss, which applies the sigmoid itself; remove the final Sigmoid."
        )
    if name == "NLLLoss" and ending != "LogSoftmax":
        warnings.append("NLLLoss expects log-probabilities: end the model with LogSoftmax (or use CrossEntropyLoss).")
    if ending in ("ReLU", "Sigmoid", "Tanh", "Softmax") and task == "regression":
        warnings.append(
            f"The model ends with {ending}, which limits the values it can predict; regression models usually end with a Linear layer."
        )
    return warnings
