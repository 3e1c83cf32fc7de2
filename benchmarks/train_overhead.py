"""Training overhead: the same model, data and epochs through
  (a) a minimal hand-written PyTorch loop,
  (b) a loop in the original playground's style (DataLoader over a TensorDataset, a second
      forward pass per batch for accuracy, evaluation with autograd on, last partial test
      batch dropped),
  (c) the engine headless (per-epoch store rows and checkpoints included),
  (d) the engine with a subscriber doing what the dashboard does (throttled progress,
      per-epoch payloads serialised as for the browser).
Prints c/a (target ≤ 1.05), d/a (target ≤ 1.10) and b/c (target ≥ 2). A CUDA section runs
where a GPU exists.

    python benchmarks/train_overhead.py [--rows 100000] [--epochs 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import torch
from torch import nn

warnings.filterwarnings("ignore")


def make_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 20)).astype(np.float32)
    w = rng.normal(size=(20, 3))
    y = (x @ w + rng.normal(scale=0.5, size=(rows, 3))).argmax(1)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)])
    frame["label"] = y
    return frame


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))


SPEC = {
    "model": {
        "input_shape": [20],
        "layers": [
            {"type": "Linear", "params": {"out_features": 64}},
            {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": 64}},
            {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": 3}},
        ],
    },
    "data": {"target": "label"},
    "training": {"optimizer": "Adam", "lr": 0.001, "batch_size": 256, "test_size": 0.2, "seed": 0},
}


def plain_loop(xtr, ytr, xte, yte, epochs, device):
    torch.manual_seed(0)
    model = mlp().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=g).to(device)
        for i in range(0, len(ytr), 256):
            idx = perm[i : i + 256]
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out = model(xte)
            float(loss_fn(out, yte)), float((out.argmax(1) == yte).float().mean())
    sync(device)
    return time.perf_counter() - t0


def original_style(xtr, ytr, xte, yte, epochs, device):
    torch.manual_seed(0)
    model = mlp().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    train = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(xtr.cpu(), ytr.cpu()), batch_size=256, shuffle=True
    )
    test = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(xte.cpu(), yte.cpu()), batch_size=256, drop_last=True
    )
    t0 = time.perf_counter()
    for _ in range(epochs):
        correct = 0
        for x, y in train:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += int((model(x).argmax(1) == y).sum())  # the second forward pass
        losses = []
        for x, y in test:  # autograd on, last partial batch dropped
            x, y = x.to(device), y.to(device)
            out = model(x)
            losses.append(float(loss_fn(out, y)))
    sync(device)
    return time.perf_counter() - t0


class DashboardLike:
    """What the training dashboard does with events, minus the browser."""

    def __init__(self) -> None:
        self.last = 0.0
        self.points: list[dict] = []
        self.sent = 0

    def __call__(self, event: dict) -> None:
        now = time.monotonic()
        if event["type"] == "progress":
            if now - self.last < 0.1:
                return
            self.last = now
            json.dumps({k: event[k] for k in ("epoch", "batch", "batches", "loss", "elapsed", "eta")})
            self.sent += 1
        elif event["type"] == "epoch_end":
            self.points.append(event["metrics"])
            json.dumps({"curves": self.points, "confusion": event.get("confusion"), "roc": event.get("roc")})
            self.sent += 1


def engine(frame, epochs, device, subscriber=None):
    from dlp_widgets.engine.runner import _new_run

    spec = json.loads(json.dumps(SPEC))
    spec["training"]["epochs"] = epochs
    spec["training"]["device"] = device.type
    run, trainer = _new_run(spec, frame, name="bench", epochs=epochs, store=None)
    if subscriber is not None:
        run.subscribe(subscriber)
    t0 = time.perf_counter()
    trainer.fit()
    sync(device)
    return time.perf_counter() - t0


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(device: torch.device, rows: int, epochs: int, repeat: int) -> None:
    from dlp_widgets.data import prepare_tabular

    frame = make_frame(rows)
    data = prepare_tabular(frame, "label", test_size=0.2, seed=0)
    xtr, ytr, xte, yte = (t.to(device) for t in data.tensors())
    times = {"a": [], "b": [], "c": [], "d": []}
    for _ in range(repeat):  # interleaved, so drifts in machine load hit every variant
        times["a"].append(plain_loop(xtr, ytr, xte, yte, epochs, device))
        times["b"].append(original_style(xtr, ytr, xte, yte, epochs, device))
        times["c"].append(engine(frame, epochs, device))
        times["d"].append(engine(frame, epochs, device, DashboardLike()))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"device {device}, {rows:,} rows × 20 features, MLP 20-64-64-3, batch 256, {epochs} epochs, median of {repeat}"
    )
    labels = {
        "a": "plain PyTorch loop",
        "b": "original playground style",
        "c": "engine, headless",
        "d": "engine + dashboard-like subscriber",
    }
    for k in "abcd":
        print(f"  ({k}) {labels[k]:<36}{med[k]:8.3f} s")
    print(f"  c/a = {med['c'] / med['a']:.3f}  (target ≤ 1.05)")
    print(f"  d/a = {med['d'] / med['a']:.3f}  (target ≤ 1.10)")
    print(f"  b/c = {med['b'] / med['c']:.2f}   (target ≥ 2)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["DLP_HOME"] = home  # runs of the benchmark stay out of the user's store
        measure(torch.device("cpu"), args.rows, args.epochs, args.repeat)
        if torch.cuda.is_available():
            measure(torch.device("cuda"), args.rows, args.epochs, args.repeat)
        else:
            print("no CUDA device here: the CUDA section was skipped")


if __name__ == "__main__":
    main()
