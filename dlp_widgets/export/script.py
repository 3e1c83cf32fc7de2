"""A standalone training script for a tabular run: one ``.py`` file that needs only torch and
pandas (and numpy, which pandas brings) plus the data file. It repeats the run's recipe —
the same split, preprocessing fitted on the training rows, the same model, initial weights,
batches and optimizer — and also runs under ``torchrun`` with DistributedDataParallel.

The split, the reading of booleans and labels and the rules of the preprocessing are the
data layer's own functions, copied into the script from their source
(``data_layer_source``), so the script cannot drift from the run.

Everything written into the script is either our own template, the source of our own
functions, or a Python literal made by ``repr`` of validated values (column names
included) and of our own constants, so no data becomes code.
"""

from __future__ import annotations

import os
import pprint
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data_layer_source import data_layer_source
from .errors import ExportError
from .graph_code import source_of

if TYPE_CHECKING:
    from ..spec import Spec

TEMPLATE = '''#!/usr/bin/env python3
"""Train {title} again, outside the notebook.

Exported by dlp_widgets from run {run_id}. Needs only torch and pandas.

    python {filename}                         # reads {data_doc}
    python {filename} --data other.csv --epochs 50 --out model.pt
    torchrun --nproc_per_node=2 {filename}    # DistributedDataParallel (gloo on CPU, NCCL on GPUs)
"""

from __future__ import annotations

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


class DataError(Exception):
    """A table the run's recipe cannot prepare (the data layer's error, without its details)."""

    def __init__(self, message, column=None, row=None):
        super().__init__(message)


# ---- copied from dlp_widgets' data layer, from its own source: this script splits the rows,
# reads booleans and labels and fits the preprocessing exactly as the run did

{data_layer_source}

# ---- the run's preparation, built from the functions above


def prepare(frame):
    """The run's preparation of ``frame``: rows without a target dropped, the same split,
    then missing values filled, numbers standardised, booleans 0/1 and categories one-hot,
    all learned from the training rows only. Returns the training and test inputs and
    targets, the rows of ``frame`` they come from, and the (mean, standard deviation) the
    regression targets were standardised with."""
    target = CONFIG["target"]
    rows = np.flatnonzero(frame[target].notna().to_numpy())
    frame = frame.iloc[rows].reset_index(drop=True)
    if CONFIG["task"] == "classification":
        labels, values = class_numbers(frame[target]), None
    else:
        labels, values = None, frame[target].to_numpy(dtype=np.float64)
    train, test = split_positions(
        len(frame), labels, CONFIG["classes"], test_size=CONFIG["test_size"], shuffle=CONFIG["shuffle"], seed=CONFIG["seed"]
    )
    x = inputs(frame, train)
    if labels is not None:
        y, scale = labels, (0.0, 1.0)
    else:
        scale = target_scale(values[train])
        y = ((values - scale[0]) / scale[1]).astype(np.float32)
    return {{
        "x_train": x[train],
        "y_train": y[train],
        "x_test": x[test],
        "y_test": y[test],
        "train_rows": rows[train],
        "test_rows": rows[test],
        "scale": scale,
    }}


def class_numbers(series):
    """Each label's number in the run's classes (labels that look the same are one class)."""
    number = {{name: i for i, name in enumerate(CONFIG["classes"])}}
    codes, uniques = pd.factorize(series)
    names = [label_name(value) for value in uniques]
    unknown = sorted(set(names) - set(number))
    if unknown:
        raise DataError(f"target {{CONFIG['target']!r}} holds classes the model does not know: {{unknown[:5]}}")
    return np.array([number[name] for name in names], dtype=np.int64)[codes]


def inputs(frame, train):
    """The model inputs: numeric columns first, then booleans, then one-hot categories."""
    features = CONFIG["features"]
    numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    parts = [numeric_inputs(frame, numeric, train)] if numeric else []
    for f in features:
        if f["kind"] == "boolean":
            series = frame[f["name"]]
            parts.append(boolean_inputs(series, boolean_fill(as_bool(series.iloc[train])))[:, None])
    for f in features:
        if f["kind"] == "categorical":
            parts.append(one_hot(frame[f["name"]], train))
    return np.concatenate(parts, axis=1)


def numeric_inputs(frame, names, train):
    """Numeric columns, missing values filled with the training rows' median, standardised
    with the training rows' mean and standard deviation."""
    block = np.stack(
        [pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan) for name in names]
    )
    fits = [numeric_fit(values[train], name) for values, name in zip(block, names)]
    fills, means, stds = (np.array([[fit[i]] for fit in fits], dtype=np.float32) for i in (0, 2, 3))
    if not CONFIG["scale"]:  # the run kept the numbers in their own units
        means[:], stds[:] = 0.0, 1.0
    standardise(block, fills, means, stds)
    return block.T


def one_hot(series, train):
    """A column per category seen in the training rows; missing values count as the most
    frequent category, and a category never seen in training is all zeros."""
    seen = series.iloc[train]
    categories, fill = categories_and_fill(seen.value_counts().items(), int(seen.isna().sum()))
    codes, uniques = pd.factorize(series)
    positions = category_positions(codes, uniques, categories, fill)
    return (positions[:, None] == np.arange(len(categories))).astype(np.float32)


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

    try:
        data = prepare(pd.read_csv(args.data))
    except DataError as error:
        raise SystemExit(f"{{args.data}}: {{error}}") from None
    x_train, y_train, x_test, y_test = (
        torch.from_numpy(data[part]).to(device) for part in ("x_train", "y_train", "x_test", "y_test")
    )
    scale = data["scale"]

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
        # DDP's reducer goes while the process group still exists: left to the interpreter's
        # exit, gloo's threads can outlive it and abort the process after the results are out
        del net
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


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
        "scale": spec.data.scale,
        "source": source,
    }
    body = source_of(spec.model)
    model_code = "\n".join(
        # the script imports torch and nn itself; a torchvision layer's import stays, in build_model
        "    " + line if line else ""
        for line in body.splitlines()
        if line not in ("import torch", "from torch import nn")
    )
    text = TEMPLATE.format(
        title=_docstring_text(name),
        run_id=run_id,
        filename=_docstring_text(final.name),
        data_doc=_docstring_text(data_name),
        data_name=data_name,
        data_layer_source=data_layer_source(),
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
