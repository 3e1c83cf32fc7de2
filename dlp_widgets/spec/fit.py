"""Does a model fit its data? The checks that need no torch — input shape, output size per
task and class count, a loss for the task, batch normalisation and batch size — with errors
and warnings a learner understands. The Playground's review runs them without importing
torch; the engine runs the same ones before a run exists."""

from __future__ import annotations

from .document import Spec
from .errors import SpecError
from .shapes import ShapeReport
from .training import LOSSES

DEFAULT_LOSS = {"classification": "CrossEntropyLoss", "regression": "MSELoss"}


def loss_name(spec: Spec, task: str) -> str:
    return spec.training.loss or DEFAULT_LOSS[task]


def check_fit(spec: Spec, report: ShapeReport, task: str, n_classes: int | None, input_shape: list[int]) -> list[str]:
    """Raise SpecError for a model that cannot train on this data; return warnings."""
    warnings: list[str] = []
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
    last = len(spec.model.layers) - 1
    if out is None or len(out) != 1:
        raise SpecError(
            f"the model must end with one value per output (add a Flatten and a Linear), but it produces {list(out or [])}",
            layer=last if last >= 0 else None,
        )
    linear = _last_linear(spec)

    def fix(n: int) -> str:
        if linear is not None:
            return f"; set out_features of the Linear at position {linear + 1} to {n}"
        return f"; end the model with a Linear layer with out_features={n}"

    if task == "classification":
        binary = name == "BCEWithLogitsLoss" and n_classes == 2
        expected = 1 if binary and out[0] == 1 else n_classes
        if out[0] != expected:
            raise SpecError(
                f"the model ends with {out[0]} value(s) per example, but the data has {n_classes} classes{fix(expected)}",
                layer=linear,
                param="out_features",
            )
        if name == "BCEWithLogitsLoss" and n_classes != 2 and out[0] != n_classes:
            raise SpecError("BCEWithLogitsLoss needs two classes (or one output per class)", param="loss")
    elif out[0] != 1:
        raise SpecError(
            f"a regression model must end with 1 value per example, not {out[0]}{fix(1)}",
            layer=linear,
            param="out_features",
        )
    for i, layer in enumerate(spec.model.layers):
        if layer.type in ("BatchNorm1d", "BatchNorm2d") and spec.training.batch_size < 2:
            raise SpecError(
                f"{layer.type} at position {i + 1} normalises over the batch, so it needs at least 2 examples per batch; "
                "raise training.batch_size",
                layer=i,
                param="batch_size",
            )
    ending = spec.model.layers[-1].type if spec.model.layers else None
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


def _last_linear(spec: Spec) -> int | None:
    for i in range(len(spec.model.layers) - 1, -1, -1):
        if spec.model.layers[i].type == "Linear":
            return i
    return None
