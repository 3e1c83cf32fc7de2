"""Training overhead: the same model, data and epochs through
  (a) a minimal hand-written PyTorch loop,
  (b) a loop in the original playground's style (DataLoader over a TensorDataset, a second
      forward pass per batch for accuracy, evaluation with autograd on, last partial test
      batch dropped),
  (c) the engine headless (per-epoch store rows and checkpoints included),
  (d) the engine with a subscriber doing what the dashboard does (throttled progress,
      per-epoch payloads serialised as for the browser).
Prints c/a (target ≤ 1.05), d/a (target ≤ 1.10) and b/c (target ≥ 2), and what the training
coach's signals (gradient norms, inactive units, predictions per class) cost: (c) against the
same engine without them (target ≤ 1.03). A CUDA section runs where a GPU exists.

The engine builds Adam with PyTorch's fused kernel (``fused=True``), so (a) does too: c/a is
the engine's overhead alone.

Then two whole calls, each against a plain PyTorch program doing the same job from the same
raw data (its own preparation included):
  (e) ``dlp.train(spec, data=frame)`` — preparation, training, the run store's rows and the
      checkpoints — against a plain loop that splits and standardises the table itself;
      (e′) the same against that program with Adam fused too: the overhead alone;
  (f) an image job with a random training transform (the digits resized to 28 × 28 with
      RandomRotation, LeNet-5, batch 64, 3 epochs) against a plain loop over a per-sample
      ``Dataset`` and a ``DataLoader``.
Both targets: ≤ 1.05.

    python benchmarks/train_overhead.py [--rows 100000] [--epochs 5] [--repeat 3] [--only whole]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

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


def plain_loop(xtr, ytr, xte, yte, epochs, device, fused=None):
    torch.manual_seed(0)
    model = mlp().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
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

    saved_first = False  # as the dashboard: it only shows events, so training never waits for it

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


class NoSignals:
    """The loop without the training coach's measurements: what they cost is the difference."""

    @staticmethod
    def samples(batch: int, n_batches: int) -> bool:
        return False

    def first_batch(self, x, loss) -> None:  # noqa: ANN001
        pass

    @contextlib.contextmanager
    def watching_units(self):  # noqa: ANN201
        yield

    def epoch_end(self, epoch: int, *counts) -> dict:  # noqa: ANN002
        return {"epoch": epoch}


def engine(frame, epochs, device, subscriber=None, signals=True):
    from dlp_widgets.engine.runner import _new_run

    spec = json.loads(json.dumps(SPEC))
    spec["training"]["epochs"] = epochs
    spec["training"]["device"] = device.type
    run, trainer = _new_run(spec, frame, name="bench", epochs=epochs, store=None)
    if not signals:
        trainer.probe = NoSignals()
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
    times = {"a": [], "b": [], "c": [], "d": [], "s": []}
    for _ in range(repeat):  # interleaved, so drifts in machine load hit every variant
        times["a"].append(plain_loop(xtr, ytr, xte, yte, epochs, device, fused=True))
        times["b"].append(original_style(xtr, ytr, xte, yte, epochs, device))
        times["c"].append(engine(frame, epochs, device))
        times["d"].append(engine(frame, epochs, device, DashboardLike()))
        times["s"].append(engine(frame, epochs, device, signals=False))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"device {device}, {rows:,} rows × 20 features, MLP 20-64-64-3, batch 256, {epochs} epochs, median of {repeat}"
    )
    labels = {
        "a": "plain PyTorch loop, Adam fused",
        "b": "original playground style",
        "c": "engine, headless",
        "d": "engine + dashboard-like subscriber",
    }
    for k in "abcd":
        print(f"  ({k}) {labels[k]:<36}{med[k]:8.3f} s")
    print(f"  c/a = {med['c'] / med['a']:.3f}  (target ≤ 1.05)")
    print(f"  d/a = {med['d'] / med['a']:.3f}  (target ≤ 1.10)")
    print(f"  b/c = {med['b'] / med['c']:.2f}   (target ≥ 2)")
    print(f"  the coach's signals: c / (c without them) = {med['c'] / med['s']:.3f}  (target ≤ 1.03)")


# -- whole calls: everything from the raw data to the trained model


def plain_table_job(frame: pd.DataFrame, epochs: int, fused: bool | None = None) -> float:
    """What a person writes by hand: split, standardise on the training rows, train, and
    evaluate the test rows each epoch. ``fused``: Adam's fused kernel, as dlp.train takes it."""
    t0 = time.perf_counter()
    x = frame.drop(columns="label").to_numpy(np.float32)
    y = frame["label"].to_numpy()
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(y), generator=g).numpy()
    n_test = round(len(y) * 0.2)
    test, train = order[:n_test], order[n_test:]
    mean, std = x[train].mean(0), x[train].std(0)
    xs, ys = torch.from_numpy((x - mean) / std), torch.from_numpy(y).long()
    plain_loop(xs[train], ys[train], xs[test], ys[test], epochs, torch.device("cpu"), fused)
    return time.perf_counter() - t0


def dlp_table_job(frame: pd.DataFrame, epochs: int) -> float:
    import dlp_widgets as dlp

    spec = json.loads(json.dumps(SPEC))
    spec["training"]["epochs"] = epochs
    t0 = time.perf_counter()
    run = dlp.train(spec, data=frame, name="bench")
    elapsed = time.perf_counter() - t0
    assert run.status == "finished", run.error
    return elapsed


# LeNet-5 as the example spec writes it (examples/lenet5.json)
LENET5 = json.loads((Path(__file__).resolve().parents[1] / "examples" / "lenet5.json").read_text())["model"]
RESIZE = {"type": "Resize", "params": {"size": [28, 28]}}
IMAGE_SPEC = {
    "model": LENET5,
    "data": {
        "source": "builtin:digits",
        "transforms": {"train": [RESIZE, {"type": "RandomRotation", "params": {"degrees": 15}}], "test": [RESIZE]},
    },
    "training": {"optimizer": "Adam", "lr": 0.002, "batch_size": 64, "test_size": 0.2, "seed": 0},
}


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip


class Digits(torch.utils.data.Dataset):
    """Images and labels with a per-sample transform: the usual way to feed augmentation."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform) -> None:  # noqa: ANN001
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):  # noqa: ANN204
        return self.transform(self.images[i]), self.labels[i]


def plain_image_job(epochs: int) -> float:
    from sklearn.datasets import load_digits
    from torchvision.transforms import v2

    t0 = time.perf_counter()
    bunch = load_digits()
    x = torch.from_numpy(bunch.images / 16.0).float().unsqueeze(1)
    y = torch.from_numpy(bunch.target).long()
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(y), generator=g)
    n_test = round(len(y) * 0.2)
    test, train = order[:n_test], order[n_test:]
    resize = v2.Resize((28, 28))
    train_set = Digits(x[train], y[train], v2.Compose([resize, v2.RandomRotation(15)]))
    test_set = Digits(x[test], y[test], resize)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True, generator=g)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=256)
    torch.manual_seed(0)
    model = lenet5()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        correct = total = 0.0
        with torch.no_grad():
            for xb, yb in test_loader:
                out = model(xb)
                total += float(loss_fn(out, yb)) * len(yb)
                correct += float((out.argmax(1) == yb).sum())
    return time.perf_counter() - t0


def dlp_image_job(epochs: int) -> float:
    import dlp_widgets as dlp

    spec = json.loads(json.dumps(IMAGE_SPEC))
    spec["training"]["epochs"] = epochs
    t0 = time.perf_counter()
    run = dlp.train(spec, name="bench")
    elapsed = time.perf_counter() - t0
    assert run.status == "finished", run.error
    return elapsed


def measure_whole(rows: int, epochs: int, repeat: int) -> None:
    """Each job's two programs in turn, the order swapped every round, and the ratio taken
    pair by pair: the machine's speed drifts (shared cores), a pair's two runs share it."""
    frame = make_frame(rows)
    dlp_table_job(frame, 1), plain_table_job(frame, 1), dlp_image_job(1), plain_image_job(1)  # imports, caches
    jobs = {
        "table": (lambda: plain_table_job(frame, epochs), lambda: dlp_table_job(frame, epochs)),
        "table_fused": (lambda: plain_table_job(frame, epochs, fused=True), lambda: dlp_table_job(frame, epochs)),
        "image": (lambda: plain_image_job(3), lambda: dlp_image_job(3)),
    }
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in jobs}
    for i in range(repeat):
        for name, (plain, ours) in jobs.items():
            if i % 2:
                b = ours()
                a = plain()
            else:
                a = plain()
                b = ours()
            times[name].append((a, b))
    print(f"whole calls, CPU, {repeat} pairs (median; ratio: the median of the pairs' ratios, min–max)")

    def line(name: str) -> str:
        pairs = times[name]
        ratios = sorted(b / a for a, b in pairs)
        a = statistics.median(p[0] for p in pairs)
        b = statistics.median(p[1] for p in pairs)
        return (
            f"      plain {a:.3f} s   dlp.train {b:.3f} s   ratio {statistics.median(ratios):.3f} "
            f"({ratios[0]:.3f}–{ratios[-1]:.3f}; target ≤ 1.05)"
        )

    print(f"  (e) table: {rows:,} rows × 20, MLP 20-64-64-3, Adam, batch 256, {epochs} epochs, vs a plain program")
    print(line("table"))
    print("  (e′) the same, the plain program's Adam fused too (fused=True, as dlp.train takes it): the overhead alone")
    print(line("table_fused"))
    print("  (f) image: digits at 28 × 28 + RandomRotation, LeNet-5, Adam, batch 64, 3 epochs, vs Dataset + DataLoader")
    print(line("image"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["loop", "whole"], help="one section only")
    args = ap.parse_args()
    # runs whose records are still being written when the script ends leave files behind
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as home:
        os.environ["DLP_HOME"] = home  # runs of the benchmark stay out of the user's store
        if args.only != "loop":
            measure_whole(args.rows, args.epochs, args.repeat)
        if args.only == "whole":
            return
        measure(torch.device("cpu"), args.rows, args.epochs, args.repeat)
        if torch.cuda.is_available():
            measure(torch.device("cuda"), args.rows, args.epochs, args.repeat)
        else:
            print("no CUDA device here: the CUDA section was skipped")


if __name__ == "__main__":
    main()
