"""An epoch's training metrics, from each batch's own forward pass. A batch adds only what it
already has — its loss, its labels — and one operation for its predictions, with no
reduction and no sync; the sums are made when someone asks (a progress event, about ten
times a second, and the end of the epoch), a block of rows at a time, so what is held stays
small on any data set."""

from __future__ import annotations

from typing import Any

import torch

from . import metrics as M

# rows held before they are folded into the sums
BLOCK_ROWS = 1 << 18


class EpochTally:
    def __init__(self, task: str, binary_logit: bool) -> None:
        self.classify = task == "classification"
        self.binary_logit = binary_logit
        self.losses: list[torch.Tensor] = []  # each batch's mean loss (0-d, detached)
        self.sizes: list[int] = []
        self.seen = 0
        self.folded_loss = 0.0  # the loss sum of the batches folded so far
        self.preds: list[torch.Tensor] = []
        self.ys: list[torch.Tensor] = []
        self.held = 0  # rows in preds and ys, not yet folded
        self.correct = 0
        self.sse = self.y_sum = self.y_sq = 0.0

    def add(self, loss: torch.Tensor, out: torch.Tensor, y: torch.Tensor) -> None:
        """One batch: its mean loss, its outputs and labels."""
        n = len(y)
        self.losses.append(loss.detach())
        self.sizes.append(n)
        self.seen += n
        out = out.detach()
        if not self.classify:
            self.preds.append(out.reshape(-1))
        elif self.binary_logit:
            self.preds.append(out.reshape(-1) > 0)
        else:
            self.preds.append(out.argmax(1))
        self.ys.append(y)
        self.held += n
        if self.held >= BLOCK_ROWS:
            self._fold()

    def _fold(self) -> None:
        if self.held:
            pred, y = torch.cat(self.preds), torch.cat(self.ys)
            if self.classify:
                self.correct += int((pred.long() == y).sum())
            else:
                err = pred.double() - y.double()
                self.sse += float((err * err).sum())
                self.y_sum += float(y.double().sum())
                self.y_sq += float((y.double() ** 2).sum())
            self.preds, self.ys, self.held = [], [], 0
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
