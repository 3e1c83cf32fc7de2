"""A run's checkpoint files: ``last.pt`` (to resume) and ``best.pt`` (the lowest test loss).

Written atomically (a temporary file, then a rename), so a crash never leaves half a file;
read with ``torch.load(weights_only=True)`` and one format check. A write that fails says
why in words — no space left, a read-only folder — not in torch's own terms
(``[enforce fail at inline_container.cc:672]``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import torch

from ..data.errors import DataError
from ..errors import DLPError
from ..home import write_error_reason
from .build import build_model
from .loop import LoopState

CHECKPOINT_FORMAT = "dlp_widgets.checkpoint/1"


class CheckpointError(DLPError):
    """A checkpoint cannot be written or read; ``message`` says why and where."""

    kind = "checkpoint"


def save_atomically(payload: Any, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError
        tmp.unlink(missing_ok=True)
        raise CheckpointError(
            f"the checkpoint {path.name} could not be saved: {write_error_reason(path.parent, exc)}"
        ) from None


def write_checkpoint(
    folder: Path,
    *,
    epoch: int,
    model_state: dict[str, torch.Tensor],
    optimizer_state: dict[str, Any],
    generator_state: torch.Tensor,
    best_test_loss: float,
    history: list[dict[str, Any]],
    best: tuple[int, dict[str, torch.Tensor]] | None = None,
) -> None:
    """``last.pt`` with everything a resume needs; ``best.pt`` too when there is a new best
    epoch (its number and weights: an earlier epoch's when epochs are saved together)."""
    save_atomically(
        {
            "format": CHECKPOINT_FORMAT,
            "epoch": epoch,
            "model": model_state,
            "optimizer": optimizer_state,
            "generator": generator_state,
            "best_test_loss": best_test_loss,
            "history": history,
        },
        folder / "last.pt",
    )
    if best is not None:
        save_atomically({"format": CHECKPOINT_FORMAT, "epoch": best[0], "model": best[1]}, folder / "best.pt")


def read_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A checkpoint written by ``write_checkpoint``; anything else is refused by name."""
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception:  # noqa: BLE001 - torch's own text advises weights_only=False, unsafe here
        raise CheckpointError(f"{path} is not a checkpoint of this run (was it overwritten?)") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint of this run (was it overwritten?)")
    return payload


def load_weights(path: Path, model_spec: Any, run_id: str) -> torch.nn.Module:
    """The model of ``model_spec`` with the weights of checkpoint ``path``, in eval mode."""
    if not path.exists():  # never hand out untrained weights as if they were the run's
        raise FileNotFoundError(f"run {run_id} has no saved weights ({path.name} is missing): no epoch finished")
    try:
        ckpt = read_checkpoint(path)
    except CheckpointError as exc:
        raise ValueError(exc.message) from None
    model = build_model(model_spec)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model


def restore_state(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, device: torch.device
) -> LoopState:
    """Load checkpoint ``path`` into ``model`` and ``optimizer``; the loop's state to go on
    from (a fresh one when there is no checkpoint yet)."""
    if not path.exists():
        return LoopState()
    try:
        ckpt = read_checkpoint(path, device)
    except CheckpointError as exc:
        raise DataError(f"{exc.message}; it cannot be resumed") from None
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    return LoopState(
        epoch=ckpt["epoch"],
        history=list(ckpt["history"]),
        best_test_loss=ckpt["best_test_loss"],
        good_state={k: v.cpu() for k, v in ckpt["model"].items()},
        generator_state=ckpt["generator"].cpu(),
    )
