"""A standalone training script for a tabular run: one ``.py`` file that needs only torch and
pandas (and numpy, which pandas brings) plus the data file. It repeats the run's recipe —
the same split, preprocessing fitted on the training rows, the same model, initial weights,
batches and optimizer — and also runs under ``torchrun`` with DistributedDataParallel.

Everything written into the script is either our own template or a Python literal made by
``repr`` of validated values (column names included), so no data becomes code.
"""

from __future__ import annotations

import inspect
import os
import pprint
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .code import model_source
from .errors import ExportError

if TYPE_CHECKING:
    from ..spec import Spec

TEMPLATE = '''#!/usr/bin/env python3
"""Train {title} again, outside the notebook.

Exported by dlp_widgets from run {run_id}. Needs only torch and pandas.

    python {filename}                         # reads {data_doc}
    python {filename} --data other.csv --epochs 50 --out model.pt
    torchrun --nproc_per_node=2 {filename}    # DistributedDataParallel (gloo on CPU, NCCL on GPUs)
"""

import argparse
import json
import math
import os
import unicodedata

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn

CONFIG = {config}


def build_model():
{model_code}
    return model


{clean_text_source}

def label_name(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def split_positions(n, labels, n_classes, test_size, shuffle, seed):
    """Training and test rows: stratified by class when classifying with shuffle."""
    n_test = int(np.ceil(test_size * n))
    if not shuffle:
        return np.arange(n - n_test), np.arange(n - n_test, n)
    perm = np.random.default_rng(seed).permutation(n)
    if labels is None:
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    counts = np.bincount(labels, minlength=n_classes)
    exact = counts * (n_test / n)
    quota = np.floor(exact).astype(np.int64)
    remainder = n_test - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:remainder]] += 1
    quota = np.clip(quota, 1, counts - 1)
    grouped = perm[np.argsort(labels[perm], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    in_test = np.zeros(n, dtype=bool)
    for start, q in zip(starts, quota):
        in_test[grouped[start : start + q]] = True
    return np.nonzero(~in_test)[0], np.nonzero(in_test)[0]


TRUE, FALSE = {{"true", "yes", "y", "t"}}, {{"false", "no", "n", "f"}}


def as_bool(series):
    if series.dtype == bool:
        return series.astype("float32")
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(np.nan, index=series.index, dtype="float32")
    out[text.isin(TRUE)] = 1.0
    out[text.isin(FALSE)] = 0.0
    return out


def prepare(frame):
    """Split, then fit imputation, scaling and one-hot encoding on the training rows only."""
    target = CONFIG["target"]
    frame = frame[frame[target].notna()].reset_index(drop=True)
    classification = CONFIG["task"] == "classification"
    if classification:
        index = {{name: i for i, name in enumerate(CONFIG["classes"])}}
        names = frame[target].map(label_name)
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise SystemExit(f"target {{target!r}} holds classes the model does not know: {{unknown[:5]}}")
        labels = names.map(index).to_numpy(dtype=np.int64)
    else:
        labels = None
        values = frame[target].to_numpy(dtype=np.float64)
    train, test = split_positions(len(frame), labels, len(CONFIG["classes"] or []), CONFIG["test_size"], CONFIG["shuffle"], CONFIG["seed"])
    parts = []
    numeric = [f["name"] for f in CONFIG["features"] if f["kind"] == "numeric"]
    if numeric:
        block = np.array(frame[numeric].apply(pd.to_numeric, errors="coerce"), dtype=np.float32)
        fit = block[train].T.copy()
        nan = np.isnan(fit)
        fills = np.array([np.median(row[~bad]) for row, bad in zip(fit, nan)], dtype=np.float32)
        rows, cols = np.nonzero(nan)
        fit[rows, cols] = fills[rows]
        mean = fit.mean(axis=1, dtype=np.float64)
        std = fit.std(axis=1, dtype=np.float64)
        std[std == 0] = 1.0
        rows, cols = np.nonzero(np.isnan(block))
        block[rows, cols] = fills[cols]
        parts.append((block - mean.astype(np.float32)) / std.astype(np.float32))
    for f in CONFIG["features"]:
        if f["kind"] == "boolean":
            col = as_bool(frame[f["name"]]).to_numpy(dtype=np.float32, copy=True)
            mode = pd.Series(col[train]).mode()
            col[np.isnan(col)] = mode.iloc[0] if len(mode) else 0.0
            parts.append(col[:, None])
    for f in CONFIG["features"]:
        if f["kind"] == "categorical":
            text = frame[f["name"]].astype("string").map(lambda v: clean_text(v, trim=False), na_action="ignore")
            train_text = text.iloc[train]
            counts = train_text.value_counts()
            fill = min((-int(c), str(v)) for v, c in counts.items())[1] if len(counts) else ""
            categories = sorted(set(train_text.dropna().astype(str)) | ({{fill}} if train_text.isna().any() else set()))
            codes = pd.Index(categories).get_indexer(text.fillna(fill).astype(str))
            onehot = np.zeros((len(frame), len(categories)), dtype=np.float32)
            known = codes >= 0
            onehot[np.nonzero(known)[0], codes[known]] = 1.0
            parts.append(onehot)
    x = np.concatenate(parts, axis=1).astype(np.float32)
    if classification:
        y = labels
        scale = (0.0, 1.0)
    else:
        scale = (float(values[train].mean()), float(values[train].std()) or 1.0)
        y = ((values - scale[0]) / scale[1]).astype(np.float32)
    as_t = torch.from_numpy
    return as_t(x[train]), as_t(y[train]), as_t(x[test]), as_t(y[test]), scale


def targets(y, out):
    if CONFIG["task"] == "regression":
        return y.reshape(out.shape).to(out.dtype)
    if CONFIG["loss"] == "BCEWithLogitsLoss":
        if out.shape[1] == 1:
            return y.reshape(out.shape).to(out.dtype)
        return nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    return y


def evaluate(model, loss_fn, x, y, scale):
    model.eval()
    with torch.inference_mode():
        out = model(x).float()
        result = {{"test_loss": float(loss_fn(out, targets(y, out)))}}
        if CONFIG["task"] == "classification":
            pred = (out.reshape(-1) > 0).long() if out.shape[1] == 1 else out.argmax(1)
            result["test_accuracy"] = float((pred == y).float().mean())
        else:
            pred, truth = out.reshape(-1).double(), y.double()
            sse = float(((pred - truth) ** 2).sum())
            sst = float(((truth - truth.mean()) ** 2).sum())
            result["test_r2"] = 1 - sse / sst if sst > 0 else float("nan")
            result["test_mae"] = float((pred - truth).abs().mean()) * scale[1]
            result["test_rmse"] = float(((pred - truth) ** 2).mean().sqrt()) * scale[1]
    model.train()
    return result


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(here, {data_name!r}), help="the CSV file to train on")
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--out", help="save the trained weights (state_dict) here")
    parser.add_argument("--metrics-out", help="write the final metrics here as JSON")
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if backend == "nccl" else torch.device("cpu")
    else:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    x_train, y_train, x_test, y_test, scale = prepare(pd.read_csv(args.data))
    x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))

    torch.manual_seed(CONFIG["seed"])  # the same initial weights as the run
    model = build_model().to(device)
    weight = None
    if CONFIG["class_weights"] and CONFIG["task"] == "classification":
        counts = torch.bincount(y_train.cpu(), minlength=len(CONFIG["classes"])).float().clamp(min=1)
        weight = (counts.sum() / (len(counts) * counts)).to(device)
    loss_fn = getattr(nn, CONFIG["loss"])(**({{"weight": weight}} if weight is not None else {{}}))
    params = dict(lr=CONFIG["lr"], weight_decay=CONFIG["weight_decay"])
    if CONFIG["optimizer"] in ("SGD", "RMSprop"):
        params["momentum"] = CONFIG["momentum"]
    optimizer = getattr(torch.optim, CONFIG["optimizer"])(model.parameters(), **params)
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model

    generator = torch.Generator().manual_seed(CONFIG["seed"])
    n, batch = len(y_train), CONFIG["batch_size"]
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(n, generator=generator) if CONFIG["shuffle"] else torch.arange(n)
        if world > 1:  # every rank the same number of rows, so every rank takes the same steps
            per_rank = n // world
            order = order[rank * per_rank : (rank + 1) * per_rank]
        order = order.to(device)
        total, seen = 0.0, 0
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            xb, yb = x_train.index_select(0, idx), y_train.index_select(0, idx)
            out = net(xb)
            loss = loss_fn(out, targets(yb, out))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(yb)
            seen += len(yb)
        if rank == 0:
            result = evaluate(model, loss_fn, x_test, y_test, scale)
            shown = ", ".join(f"{{k}} {{v:.4f}}" for k, v in result.items())
            print(f"epoch {{epoch}}/{{args.epochs}}: train_loss {{total / max(seen, 1):.4f}}, {{shown}}", flush=True)
    if rank == 0:
        result = evaluate(model, loss_fn, x_test, y_test, scale)
        result["world_size"] = world
        print(json.dumps(result))
        if args.metrics_out:
            with open(args.metrics_out, "w") as fh:
                json.dump(result, fh)
        if args.out:
            torch.save(model.state_dict(), args.out)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def _clean_text_source() -> str:
    """The data layer's ``clean_text``, copied into the script from its source, with the
    table it uses: a script that cleaned labels its own way would disagree with the run."""
    from ..data import columns

    table = f"_TO_PLAIN = {columns._TO_PLAIN!r}\n"
    return table + "\n\n" + inspect.getsource(columns.clean_text)


def data_path(script: Path) -> Path:
    """The training table written beside a script: ``<stem>_data.csv``."""
    return script.parent / f"{script.stem}_data.csv"


def _docstring_text(text: str) -> str:
    """``text`` as it can stand inside a triple-quoted docstring: escaped as Python escapes
    it, quotes included, so a name holding quotes, backslashes or line breaks can neither end
    the docstring nor become code."""
    return repr(text)[1:-1].replace('"', '\\"')


def write_script(
    path: Path,
    *,
    spec: Spec,
    preprocessing: dict[str, Any] | None,
    frame: Any,
    run_id: str,
    name: str,
    final: Path | None = None,
) -> Path:
    """The script at ``path`` and, beside it, the training table as ``<stem>_data.csv``;
    both named after ``final`` when ``path`` is a temporary name for it."""
    final = final or path
    pre = preprocessing
    if not pre or pre.get("kind") == "image":
        raise ExportError("the standalone training script covers tabular runs; this run trained on images")
    if frame is None:
        raise ExportError(
            "this run trained on a table passed from Python, which it no longer holds: "
            "pass the same table, run.export('script', path, data=frame) (CLI: --data FILE.csv)"
        )
    frame = frame.rename(columns=str)  # as the data layer names columns: 0 and "0" are one column
    needed = [pre["target"], *(f["name"] for f in pre["features"])]
    missing = [c for c in needed if c not in frame.columns]
    if missing or len(frame) == 0:
        what = f"lacks the run's column(s) {', '.join(map(repr, missing[:8]))}" if missing else "has no rows"
        raise ExportError(f"the table given for the script {what}: pass the table the run trained on")
    source = spec.data.source
    data_file = data_path(final)
    data_name = data_file.name
    t = spec.training
    config = {
        "task": pre["task"],
        "target": pre["target"],
        "classes": pre["classes"],
        "features": [{"name": f["name"], "kind": f["kind"]} for f in pre["features"]],
        "loss": t.loss or ("CrossEntropyLoss" if pre["task"] == "classification" else "MSELoss"),
        "optimizer": t.optimizer,
        "lr": t.lr,
        "momentum": t.momentum,
        "weight_decay": t.weight_decay,
        "epochs": t.epochs,
        "batch_size": t.batch_size,
        "test_size": t.test_size,
        "shuffle": t.shuffle,
        "seed": t.seed,
        "class_weights": t.class_weights,
        "source": source,
    }
    body = model_source(spec.model)
    model_code = "\n".join(
        "    " + line if line else "" for line in body.splitlines() if not line.startswith(("import ", "from "))
    )
    text = TEMPLATE.format(
        title=_docstring_text(name),
        run_id=run_id,
        filename=_docstring_text(final.name),
        data_doc=_docstring_text(data_name),
        data_name=data_name,
        clean_text_source=_clean_text_source(),
        config=pprint.pformat(config, indent=1, width=100, sort_dicts=False),
        model_code=model_code,
    )
    compile(text, str(final), "exec")  # a template bug must fail here, before any file is written
    tmp = data_file.with_name(f".{data_file.name}.part")
    try:
        frame.to_csv(tmp, index=False)
        os.replace(tmp, data_file)
    finally:
        tmp.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
