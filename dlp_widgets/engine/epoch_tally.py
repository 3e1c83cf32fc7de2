"""An epoch's training metrics, from each batch's own forward pass. A batch adds only what it
already has — its loss, its outputs, its labels — with no operation, reduction or sync of
its own (an argmax per batch cost about 2 % of a small model's epoch); predictions and sums
are made in bulk when someone asks (a progress event, about ten times a second, and the end
of the epoch), a block at a time, so what is held stays small on any data set."""

from __future__ import annotations

from typing import Any

import torch

from . import metrics as M

# rows held before they are folded into the sums, and output values (rows × classes): a
# 1000-class model folds long before a 3-class one
BLOCK_ROWS = 1 << 18
BLOCK_VALUES = 1 << 22


class EpochTally:
    def __init__(self, task: str, binary_logit: bool) -> None:
        self.classify = task == "classification"
        self.binary_logit = binary_logit
        self.losses: list[torch.Tensor] = []  # each batch's mean loss (0-d, detached)
        self.sizes: list[int] = []
        self.seen = 0
        self.folded_loss = 0.0  # the loss sum of the batches folded so far
        self.outs: list[torch.Tensor] = []  # each batch's detached outputs
        self.ys: list[torch.Tensor] = []
        self.held = 0  # rows in outs and ys, not yet folded
        self.held_values = 0
        self.correct = 0
        self.sse = self.y_sum = self.y_sq = 0.0

    def add(self, loss: torch.Tensor, out: torch.Tensor, y: torch.Tensor) -> None:
        """One batch: its mean loss, its outputs and labels."""
        n = len(y)
        self.losses.append(loss.detach())
        self.sizes.append(n)
        self.seen += n
        self.outs.append(out.detach())
        self.ys.append(y)
        self.held += n
        self.held_values += out.numel()
        if self.held >= BLOCK_ROWS or self.held_values >= BLOCK_VALUES:
            self._fold()

    def _predictions(self) -> torch.Tensor:
        out = torch.cat(self.outs)
        if not self.classify:
            return out.reshape(-1)
        if self.binary_logit:
            return out.reshape(-1) > 0
        return out.argmax(1)

    def _fold(self) -> None:
        if self.held:
            pred, y = self._predictions(), torch.cat(self.ys)
            if self.classify:
                self.correct += int((pred.long() == y).sum())
            else:
                err = pred.double() - y.double()
                self.sse += float((err * err).sum())
                self.y_sum += float(y.double().sum())
                self.y_sq += float((y.double() ** 2).sum())
            self.outs, self.ys, self.held, self.held_values = [], [], 0, 0
        self.folded_loss = self.loss_sum()
        self.losses, self.sizes = [], []

    def loss_sum(self) -> float:
        if not self.losses:
            return self.folded_loss
        sizes = torch.tensor(self.sizes, dtype=torch.float64, device=self.losses[0].device)
        return self.folded_loss + float((torch.stack(self.losses).double() * sizes).sum())

    def loss(self) -> float:
        """The mean training loss so far, weighted by batch size (the one sync)."""
        return self.loss_sum() / self.seen if self.seen else float("nan")

    def row(self) -> dict[str, Any]:
        """The epoch's training loss and accuracy (or R²)."""
        self._fold()
        seen = max(self.seen, 1)
        row: dict[str, Any] = {"train_loss": self.folded_loss / seen}
        if self.classify:
            row["train_accuracy"] = self.correct / seen
        else:
            sst = self.y_sq - self.y_sum**2 / seen
            # from running sums, a constant target's SST is rounding noise, not a spread
            sst = sst if sst > 1e-12 * max(self.y_sq, 1.0) else 0.0
            row["train_r2"] = M.r2_score(self.sse, sst)
        return row
