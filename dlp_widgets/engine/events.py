"""What a run tells its subscribers, as typed events: ``Started``, ``Progress``, ``EpochEnd``
and ``Finished``. The dashboard, the CLI's progress, the Playground and user callbacks read
their fields; no one parses a dict by hand. For callbacks written against dicts, an event
also answers ``event["epoch"]`` and ``event.get("roc")``; ``to_dict()`` gives the plain
form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    run_id: str = ""

    @property
    def type(self) -> str:
        return self.kind

    def __getitem__(self, key: str) -> Any:
        if key == "type":
            return self.kind
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return key == "type" or (isinstance(key, str) and hasattr(self, key) and getattr(self, key) is not None)

    def get(self, key: str, default: Any = None) -> Any:
        value = self[key] if key in self else None
        return default if value is None else value

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Started(Event):
    kind: ClassVar[str] = "started"
    spec: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    task: str | None = None
    classes: list[str] | None = None
    epochs: int = 0
    start_epoch: int = 0  # epochs already done (a resumed run)
    n_train: int = 0
    n_test: int = 0
    batches: int = 0  # per epoch
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Progress(Event):
    """At most about ten a second, whatever the batch count."""

    kind: ClassVar[str] = "progress"
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    samples: int = 0  # seen in this epoch so far
    loss: float = 0.0  # running mean of this epoch
    elapsed: float = 0.0  # seconds in this epoch
    eta: float = 0.0  # seconds to the end of the run, evaluation and checkpoints counted


@dataclass(frozen=True)
class EpochEnd(Event):
    kind: ClassVar[str] = "epoch_end"
    epoch: int = 0
    epochs: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)  # the history row
    confusion: list[list[int]] | None = None
    roc: dict[str, Any] | None = None
    plane: dict[str, Any] | None = None  # two-feature tables: the model over the plane (engine.plane)


@dataclass(frozen=True)
class Finished(Event):
    kind: ClassVar[str] = "finished"
    status: str = "finished"
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


EVENTS = (Started, Progress, EpochEnd, Finished)


def waits_for_saving(callback: Any) -> bool:
    """Is ``callback`` handed an epoch's end only once the epoch's checkpoint and row are
    written? Yes by default: what a subscriber sees is saved, and stopping the run at an
    epoch's end stops it there. A subscriber that only shows what it is told (the dashboard,
    the CLI's progress line) sets ``saved_first = False`` on its function and never holds
    training up: on a small model's short epochs the wait cost a fifth of the training time."""
    return bool(getattr(callback, "saved_first", True))
