"""The training metrics of an epoch, kept batch by batch without a sync, equal what the whole
epoch's outputs give at once: scikit-learn's accuracy and R², the size-weighted mean loss —
whether the rows are folded into sums once or many times."""

from __future__ import annotations

import pytest
import torch
from sklearn.metrics import accuracy_score, r2_score

from dlp_widgets.engine import epoch_tally
from dlp_widgets.engine.epoch_tally import EpochTally


def batches(task: str, sizes: list[int], width: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    for n in sizes:
        out = torch.randn(n, width, generator=g)
        if task == "classification":
            y = torch.randint(0, max(width, 2), (n,), generator=g)
        else:
            y = torch.randn(n, generator=g) * 3 + 1
        loss = torch.rand((), generator=g)
        yield loss, out, y


@pytest.mark.parametrize(("block", "values"), [(1 << 18, 1 << 22), (7, 1 << 22), (100, 1 << 22), (1 << 18, 300)])
@pytest.mark.parametrize(
    ("task", "width"), [("classification", 3), ("classification", 100), ("binary", 1), ("regression", 1)]
)
def test_the_tally_equals_the_whole_epoch_at_once(monkeypatch, block, values, task, width):
    monkeypatch.setattr(epoch_tally, "BLOCK_ROWS", block)
    monkeypatch.setattr(epoch_tally, "BLOCK_VALUES", values)
    sizes = [64, 64, 64, 17, 1, 64]
    kind = "regression" if task == "regression" else "classification"
    tally = EpochTally(kind, binary_logit=task == "binary")
    seen = list(batches(kind, sizes, width))
    for i, (loss, out, y) in enumerate(seen):
        if task == "binary":
            y = y % 2
            seen[i] = (loss, out, y)
        tally.add(loss, out, y)
        want_so_far = sum(float(b[0]) * len(b[2]) for b in seen[: i + 1]) / sum(sizes[: i + 1])
        assert tally.loss() == pytest.approx(want_so_far, rel=1e-6)
    row = tally.row()
    losses = torch.tensor([float(b[0]) for b in seen], dtype=torch.float64)
    assert row["train_loss"] == pytest.approx(float((losses * torch.tensor(sizes)).sum()) / sum(sizes), rel=1e-9)
    out = torch.cat([b[1] for b in seen])
    y = torch.cat([b[2] for b in seen])
    if task == "regression":
        assert row["train_r2"] == pytest.approx(r2_score(y.numpy(), out.reshape(-1).numpy()), rel=1e-6)
    else:
        pred = (out.reshape(-1) > 0).long() if task == "binary" else out.argmax(1)
        assert row["train_accuracy"] == pytest.approx(accuracy_score(y.numpy(), pred.numpy()))


def test_a_constant_target_has_r2_as_scikit_learn_says():
    tally = EpochTally("regression", binary_logit=False)
    y = torch.full((50,), 2.5)
    tally.add(torch.tensor(0.0), y.clone().reshape(-1, 1), y)
    assert tally.row()["train_r2"] == 1.0 == r2_score(y.numpy(), y.numpy())
