"""The training section of a spec, from one table.

``TRAINING_FIELDS`` is the only list of training settings: the spec class, its validation,
the JSON Schema, the Playground's controls, the engine's loop and the glossary all read it,
as the layer catalogue is read for layers. A setting is added here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Any

from .errors import SpecError
from .params import describe_value
from .parsing import check_keys, require_object

TASKS = ("classification", "regression")
LOSSES = {
    "CrossEntropyLoss": "classification",
    "NLLLoss": "classification",
    "BCEWithLogitsLoss": "classification",
    "MSELoss": "regression",
    "L1Loss": "regression",
    "HuberLoss": "regression",
}
OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop")
PRECISIONS = ("fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda", "mps")  # and "cuda:N"


@dataclass(frozen=True)
class TrainingField:
    """One training setting: its name in the spec, its words for people, its kind of value
    and range, and where it matters."""

    name: str
    label: str  # as the Playground and the glossary name it
    kind: str  # float, int, bool, choice (one of ``choices``), loss (a loss or null), device
    default: Any
    help: str  # one line: the schema's description and the control's tooltip
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    applies: str = ""  # where it matters, when not everywhere: "SGD and RMSprop", "CUDA"
    explain: str = ""  # the glossary's paragraph, for the settings a learner meets first
    slider: bool = False  # shown as a slider (a bounded fraction), else a box to type in

    def check(self, value: Any) -> Any:
        """``value`` if it is valid for this setting, else a ``SpecError`` naming it."""
        where = f"training.{self.name}"

        def refuse(expected: str) -> SpecError:
            return SpecError(f"{where} must be {expected}, not {describe_value(value)}", path=where, param=self.name)

        if self.kind == "loss":
            if value is not None and (not isinstance(value, str) or value not in LOSSES):
                raise refuse(f"one of {', '.join(LOSSES)} or null")
        elif self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise refuse(
                    " or ".join(f'"{c}"' for c in self.choices)
                    if len(self.choices) == 2
                    else f"one of {', '.join(self.choices)}"
                )
        elif self.kind == "device":
            if not isinstance(value, str) or not valid_device(value):
                raise refuse('"auto", "cpu", "cuda", "cuda:N" or "mps"')
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise refuse("true or false")
        else:
            ok_type = isinstance(value, int) if self.kind == "int" else isinstance(value, (int, float))
            if not ok_type or isinstance(value, bool):
                raise refuse("a whole number" if self.kind == "int" else "a number")
            try:
                in_range = self.min <= value <= self.max
            except OverflowError:
                in_range = False
            if not in_range or value != value:  # NaN compares unequal
                raise refuse(f"between {self.min:g} and {self.max:,}")
        return value

    def to_schema(self) -> dict[str, Any]:
        """This setting as a JSON Schema property."""
        schema: dict[str, Any] = {
            "description": self.help + (f" ({self.applies})" if self.applies else ""),
            "default": self.default,
        }
        if self.kind == "loss":
            schema["enum"] = [*LOSSES, None]
        elif self.kind == "choice":
            schema["enum"] = list(self.choices)
        elif self.kind == "device":
            schema.update(type="string", pattern="^(auto|cpu|mps|cuda(:[0-9]{1,3})?)$")
        elif self.kind == "bool":
            schema["type"] = "boolean"
        else:
            schema.update(type="integer" if self.kind == "int" else "number", minimum=self.min, maximum=self.max)
        return schema


def valid_device(value: str) -> bool:
    if value in DEVICES:
        return True
    head, _, index = value.partition(":")
    return head == "cuda" and index.isdigit() and len(index) <= 3


TRAINING_FIELDS: tuple[TrainingField, ...] = (
    TrainingField(
        "loss",
        "Loss",
        "loss",
        None,
        "loss function; null picks CrossEntropyLoss or MSELoss by task",
        explain="The number training makes smaller: how wrong the predictions are. CrossEntropyLoss for classes, "
        "MSELoss for numbers.",
    ),
    TrainingField(
        "optimizer",
        "Optimizer",
        "choice",
        "Adam",
        "how the weights are updated",
        choices=OPTIMIZERS,
        explain="The rule that turns gradients into weight updates: SGD (with momentum) is the classic; Adam adapts "
        "the step size per weight and usually needs less tuning.",
    ),
    TrainingField(
        "lr",
        "Learning rate",
        "float",
        0.01,
        "learning rate: the size of each update step",
        1e-7,
        10.0,
        explain="The size of each update step. Too large and the loss jumps around or becomes NaN (diverged); "
        "too small and learning crawls. Adam works well from 0.001 to 0.01.",
    ),
    TrainingField(
        "momentum", "Momentum", "float", 0.9, "momentum of the updates", 0.0, 0.999, applies="SGD and RMSprop"
    ),
    TrainingField("weight_decay", "Weight decay", "float", 0.0, "L2 penalty on the weights", 0.0, 1.0),
    TrainingField(
        "epochs",
        "Epochs",
        "int",
        20,
        "passes over the training data",
        1,
        100_000,
        explain="How many times training goes through the whole training split. More epochs let the model fit "
        "better, until it starts to memorise (the test loss rises while the training loss falls).",
    ),
    TrainingField(
        "batch_size",
        "Batch size",
        "int",
        32,
        "examples per update step",
        1,
        1_000_000,
        explain="How many examples are used for one update of the weights. Small batches update often and noisily; "
        "large batches update rarely and smoothly, and use more memory.",
    ),
    TrainingField(
        "test_size",
        "Test split",
        "float",
        0.2,
        "fraction of the data held out for testing",
        0.01,
        0.99,
        slider=True,
        explain="The fraction of the data kept aside and never trained on, to measure how well the model "
        "generalises. 0.2 keeps one example in five.",
    ),
    TrainingField("shuffle", "Shuffle", "bool", True, "shuffle before splitting and every epoch"),
    TrainingField("seed", "Seed", "int", 0, "random seed, for reproducible runs", 0, 2**32 - 1),
    TrainingField("device", "Device", "device", "auto", '"auto", "cpu", "cuda", "cuda:N" or "mps"'),
    TrainingField(
        "class_weights",
        "Class weights",
        "bool",
        False,
        "weight the loss by inverse class frequency",
        applies="classification with CrossEntropyLoss",
    ),
    TrainingField(
        "precision", "Precision", "choice", "fp32", '"bf16" uses autocast', choices=PRECISIONS, applies="CUDA"
    ),
    TrainingField(
        "compile",
        "Compile",
        "bool",
        False,
        "torch.compile the model for the training steps: the first batch waits for the compiler, later ones "
        "may run faster",
        applies="large models on a GPU (off by default: on small models and on the CPU it rarely pays)",
    ),
)
FIELDS: dict[str, TrainingField] = {f.name: f for f in TRAINING_FIELDS}


def _from_dict(cls: type, raw: Any) -> Any:
    raw = require_object(raw, "training", "training")
    check_keys(raw, tuple(FIELDS), "training", "training")
    return cls(**{name: FIELDS[name].check(value) for name, value in raw.items()})


def _to_dict(self: Any) -> dict[str, Any]:
    return {f.name: getattr(self, f.name) for f in TRAINING_FIELDS}


# The spec class is made from the table, so that no setting is listed twice.
TrainingSpec = make_dataclass(
    "TrainingSpec",
    [(f.name, Any, field(default=f.default)) for f in TRAINING_FIELDS],
    namespace={
        "__doc__": "How to train: every field of ``TRAINING_FIELDS``, with its default.",
        "from_dict": classmethod(_from_dict),
        "to_dict": _to_dict,
        "fields": staticmethod(lambda: dict(FIELDS)),
    },
)
TrainingSpec.__module__ = __name__
