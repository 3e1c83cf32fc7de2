"""GPU training speed: ``dlp.train`` against a plain PyTorch loop doing the same job on the
same device, in one process, printed as ratios.

  (1) tabular MLP 64-512-512-10 on a 1,000,000 × 64 table, batch 4,096, fp32 and bf16:
      the whole ``dlp.train`` call (preparation, store rows, checkpoints) against a plain
      program that standardises the table itself; target ≤ 1.05 in fp32;
  (2) a ResNet-18 graph (torchvision's, imported with ``dlp.from_torch``) on 100,000
      synthetic 32 × 32 × 3 images, fp32 and bf16: the engine's training loop against a
      plain loop over the same tensors on the GPU; targets ≤ 1.05 in fp32, bf16 ≥ 1.5× as
      fast as fp32;
  (3) the image path with random training transforms (RandomCrop with padding,
      RandomHorizontalFlip) through the DataLoader (workers, pinned memory): samples/s
      against the same model on images already on the GPU; target ≥ 0.8;
  (4) ``training.compile`` against eager, on the table's MLP and the ResNet-18 graph in
      bf16 (``--only compile``, run on its own by the GPU check): the compile time (the
      first epoch over a later one) and the later epochs' speed-up; it stays off by default
      unless it pays.

    python benchmarks/gpu_bench.py [--smoke] [--only mlp,cnn,images,compile]

``--smoke`` runs every section small, on whatever device there is, to check the script
itself (this is how it is tested on a machine without a GPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

warnings.filterwarnings("ignore")
CLASSES = 10


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def autocast(device: torch.device, precision: str):  # noqa: ANN201
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


# -- (1) the table


def make_table(rows: int, features: int = 64) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    y = (x @ rng.normal(size=(features, CLASSES))).argmax(1)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(features)])
    frame["label"] = y
    return frame


def mlp(features: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(features, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, CLASSES)
    )  # fmt: skip


def mlp_spec(features: int, epochs: int, precision: str, device: str) -> dict:
    return {
        "model": {
            "input_shape": [features],
            "layers": [
                {"type": "Linear", "params": {"out_features": 512}},
                {"type": "ReLU"},
                {"type": "Linear", "params": {"out_features": 512}},
                {"type": "ReLU"},
                {"type": "Linear", "params": {"out_features": CLASSES}},
            ],
        },
        "data": {"target": "label"},
        "training": {
            "optimizer": "Adam", "lr": 1e-3, "batch_size": 4096, "epochs": epochs, "test_size": 0.2,
            "seed": 0, "device": device, "precision": precision,
        },
    }  # fmt: skip


def plain_loop(model, xtr, ytr, xte, yte, epochs, batch, device, precision) -> None:  # noqa: ANN001
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=g).to(device)
        for i in range(0, len(ytr), batch):
            idx = perm[i : i + batch]
            with autocast(device, precision):
                loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad(), autocast(device, precision):
            correct = 0
            for i in range(0, len(yte), 4 * batch):
                correct += int((model(xte[i : i + 4 * batch]).argmax(1) == yte[i : i + 4 * batch]).sum())
    sync(device)


def plain_table_job(frame: pd.DataFrame, epochs: int, device: torch.device, precision: str) -> float:
    t0 = time.perf_counter()
    x = frame.drop(columns="label").to_numpy(np.float32)
    y = frame["label"].to_numpy()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0)).numpy()
    n_test = round(len(y) * 0.2)
    test, train = order[:n_test], order[n_test:]
    mean, std = x[train].mean(0), x[train].std(0)
    xs = torch.from_numpy((x - mean) / std).to(device)
    ys = torch.from_numpy(y).long().to(device)
    torch.manual_seed(0)
    model = mlp(x.shape[1]).to(device)
    tr, te = torch.from_numpy(train).to(device), torch.from_numpy(test).to(device)
    plain_loop(model, xs[tr], ys[tr], xs[te], ys[te], epochs, 4096, device, precision)
    return time.perf_counter() - t0


def dlp_table_job(frame: pd.DataFrame, epochs: int, device: torch.device, precision: str) -> float:
    import dlp_widgets as dlp

    spec = mlp_spec(frame.shape[1] - 1, epochs, precision, device.type)
    t0 = time.perf_counter()
    run = dlp.train(spec, data=frame, name="gpu-bench", dashboard=False)
    sync(device)
    elapsed = time.perf_counter() - t0
    assert run.status == "finished", run.error
    return elapsed


def paired(plain, ours, repeat: int) -> tuple[float, float, float]:  # noqa: ANN001
    """Medians of each and the median of the pairs' ratios, the order swapped every round."""
    pairs = []
    for i in range(repeat):
        if i % 2:
            b, a = ours(), plain()
        else:
            a, b = plain(), ours()
        pairs.append((a, b))
    return (
        statistics.median(p[0] for p in pairs),
        statistics.median(p[1] for p in pairs),
        statistics.median(b / a for a, b in pairs),
    )


def section_table(device: torch.device, rows: int, epochs: int, repeat: int) -> None:
    frame = make_table(rows)
    dlp_table_job(frame, 1, device, "fp32"), plain_table_job(frame, 1, device, "fp32")  # warm-up
    print(f"(1) table: {rows:,} × 64, MLP 64-512-512-10, Adam, batch 4,096, {epochs} epochs, {repeat} pairs")
    for precision in ("fp32", "bf16"):
        a, b, r = paired(
            lambda p=precision: plain_table_job(frame, epochs, device, p),
            lambda p=precision: dlp_table_job(frame, epochs, device, p),
            repeat,
        )
        target = "  (target ≤ 1.05)" if precision == "fp32" else ""
        print(f"    {precision}: plain {a:.3f} s   dlp.train {b:.3f} s   ratio {r:.3f}{target}")


# -- (2) and (3): images


def _write_class(args: tuple[Path, int, int, int]) -> None:
    from PIL import Image

    root, label, count, side = args
    rng = np.random.default_rng(label)
    folder = root / f"class{label}"
    folder.mkdir(parents=True, exist_ok=True)
    base = rng.integers(0, 256, size=(side, side, 3))  # each class its own pattern, plus noise
    for i in range(count):
        noise = rng.integers(-60, 61, size=base.shape)
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")


def make_image_folder(root: Path, n: int, side: int = 32) -> Path:
    per_class = n // CLASSES
    with ProcessPoolExecutor(min(CLASSES, os.cpu_count() or 1)) as pool:
        list(pool.map(_write_class, [(root, k, per_class, side) for k in range(CLASSES)]))
    return root


def resnet18_spec(epochs: int, precision: str, device: str, source: str, transforms: dict | None) -> dict:
    import torchvision

    import dlp_widgets as dlp

    graph = dlp.from_torch(torchvision.models.resnet18(weights=None, num_classes=CLASSES), [3, 32, 32])
    data: dict = {"source": source}
    if transforms:
        data["transforms"] = transforms
    return {
        "version": 2,
        "model": graph.to_dict(),
        "data": data,
        "training": {
            "optimizer": "SGD", "lr": 0.05, "batch_size": 512, "epochs": epochs, "test_size": 0.1,
            "seed": 0, "device": device, "precision": precision,
        },
    }  # fmt: skip


def _load_each_set_once() -> None:
    """The runs here time the training loop, not the loading: each data set is scanned once
    (100,000 files take the most of a minute) and reused by the runs after."""
    import json

    from dlp_widgets.engine import plan

    loaded: dict[str, object] = {}
    prepare = plan.prepare

    def cached(spec, data=None):  # noqa: ANN001, ANN202
        key = json.dumps([spec.data.to_dict(), spec.training.test_size, spec.training.seed], sort_keys=True)
        if key not in loaded:
            loaded[key] = prepare(spec, data)
        return loaded[key]

    plan.prepare = cached


def engine_fit(spec: dict) -> tuple[float, int, torch.nn.Module, object]:
    """The engine's own training loop, timed without the data loading before it."""
    from dlp_widgets.engine.runner import _new_run

    run, trainer = _new_run(spec, None, name="gpu-bench", store=None)
    t0 = time.perf_counter()
    trainer.fit()
    sync(torch.device(spec["training"]["device"]))
    return time.perf_counter() - t0, len(trainer.train_split), trainer.model, trainer


def plain_image_loop(trainer, epochs: int, device: torch.device, precision: str) -> float:  # noqa: ANN001
    """A plain loop over the engine's own prepared tensors, already on the device."""
    import torchvision

    split, test = trainer.train_split, trainer.test_split
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=CLASSES).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(split), generator=g).to(device)
        for i in range(0, len(split), 512):
            idx = perm[i : i + 512]
            with autocast(device, precision):
                loss = loss_fn(model(split.x[idx]), split.y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad(), autocast(device, precision):
            for i in range(0, len(test), 2048):
                model(test.x[i : i + 2048]).argmax(1)
    sync(device)
    return time.perf_counter() - t0


def section_cnn(device: torch.device, folder: Path, epochs: int) -> None:
    print(f"(2) ResNet-18 graph on {folder.name}: synthetic 32 × 32 × 3, SGD, batch 512, {epochs} epochs")
    times = {}
    for precision in ("fp32", "bf16"):
        spec = resnet18_spec(epochs, precision, device.type, f"folder:{folder}", None)
        engine_fit({**spec, "training": {**spec["training"], "epochs": 1}})  # warm-up: cuDNN's choices
        ours, n, _, trainer = engine_fit(spec)
        if trainer.train_split.x is None:
            print("    the engine did not keep these images on the device: no plain loop over the same tensors")
            return
        plain = plain_image_loop(trainer, epochs, device, precision)
        times[precision] = ours
        target = "  (target ≤ 1.05)" if precision == "fp32" else ""
        print(
            f"    {precision}: plain {plain:.3f} s   engine {ours:.3f} s   ratio {ours / plain:.3f}{target}   "
            f"{n * epochs / ours:,.0f} samples/s"
        )
    print(f"    bf16 speed-up over fp32 (engine): {times['fp32'] / times['bf16']:.2f}×  (target ≥ 1.5)")


def section_images(device: torch.device, folder: Path, epochs: int) -> None:
    augment = {
        "train": [
            {"type": "RandomCrop", "params": {"size": 32, "padding": 4}},
            {"type": "RandomHorizontalFlip"},
        ],
        "test": [],
    }
    print(f"(3) the same network with random training transforms through the DataLoader, {epochs} epochs, bf16")
    still, n, _, _ = engine_fit(resnet18_spec(epochs, "bf16", device.type, f"folder:{folder}", None))
    moving, n2, _, trainer = engine_fit(resnet18_spec(epochs, "bf16", device.type, f"folder:{folder}", augment))
    path = "DataLoader" if trainer.train_split.x is None else "tensors on the device"
    print(
        f"    images on the device: {n * epochs / still:,.0f} samples/s   with transforms ({path}, "
        f"{trainer.cfg.workers} workers): {n2 * epochs / moving:,.0f} samples/s   "
        f"ratio {(n2 / moving) / (n / still):.3f}  (target ≥ 0.8)"
    )


def epoch_seconds(trainer) -> list[float]:  # noqa: ANN001
    return [row["epoch_seconds"] for row in trainer.state.history]


def section_compile(device: torch.device, folder: Path | None, rows: int, epochs: int) -> None:
    """Compiled against eager: the first epoch pays for the compiler; the later ones show
    whether it pays at all."""
    epochs = max(epochs, 2)
    print(f"(4) training.compile against eager, {epochs} epochs each; the later epochs' median")
    table = make_table(rows)
    jobs = [("MLP 64-512-512-10 on the table, bf16", lambda c: (mlp_spec(64, epochs, "bf16", device.type), table))]
    if folder is not None:
        jobs.append(
            ("ResNet-18 graph on the images, bf16", lambda c: (resnet18_spec(epochs, "bf16", device.type, f"folder:{folder}", None), None))
        )  # fmt: skip
    from dlp_widgets.engine.runner import _new_run

    for label, make in jobs:
        seconds = {}
        for compiled in (False, True):
            spec, data = make(compiled)
            spec["training"]["compile"] = compiled
            _, trainer = _new_run(spec, data, name="gpu-bench", store=None)
            try:
                trainer.fit()
            except RuntimeError as exc:  # no compiler for this device here (triton, a C compiler)
                print(f"    {label}: {exc}")
                break
            sync(device)
            seconds[compiled] = epoch_seconds(trainer)
        if len(seconds) < 2:
            continue
        eager, comp = seconds[False], seconds[True]
        later = statistics.median(eager[1:]) / statistics.median(comp[1:])
        print(
            f"    {label}: eager epoch {statistics.median(eager[1:]):.3f} s, compiled {statistics.median(comp[1:]):.3f} s "
            f"(speed-up {later:.2f}×); compiling cost {comp[0] - statistics.median(comp[1:]):.1f} s in the first epoch"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="every section small, on any device")
    ap.add_argument("--only", default="mlp,cnn,images")
    args = ap.parse_args()
    sections = set(args.only.split(","))
    cuda = torch.cuda.is_available()
    if not cuda and not args.smoke:
        print("no CUDA device here: nothing to measure (--smoke checks the script on the CPU)")
        return
    device = torch.device("cuda" if cuda else "cpu")
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'CPU'}; torch {torch.__version__}")
    rows, images, epochs, repeat = (12_000, 200, 1, 1) if args.smoke else (1_000_000, 100_000, 3, 3)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as home:  # a writer thread may still be closing
        os.environ["DLP_HOME"] = home  # the benchmark's runs stay out of the user's store
        if "mlp" in sections:
            section_table(device, rows, epochs, repeat)
        if sections & {"cnn", "images"}:
            _load_each_set_once()
            t0 = time.perf_counter()
            folder = make_image_folder(Path(home) / f"synthetic{images}", images)
            print(f"    ({images:,} images written in {time.perf_counter() - t0:.1f} s)")
            if "cnn" in sections:
                section_cnn(device, folder, epochs)
            if "images" in sections:
                section_images(device, folder, epochs)
        if "compile" in sections:
            folder = None
            if not args.smoke:  # ResNet-18 through the CPU's compiler would take minutes
                _load_each_set_once()
                folder = make_image_folder(Path(home) / f"synthetic{images}", images)
            section_compile(device, folder, rows, epochs)


if __name__ == "__main__":
    main()
