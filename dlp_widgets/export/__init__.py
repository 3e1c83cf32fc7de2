"""Exporters: turn a run into files other tools load (ONNX, .pt, code, a training script)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engine.runner import Run

FORMATS = {"onnx": ".onnx", "pt": ".pt", "code": ".py", "script": ".py"}


def export_run(run: Run, fmt: str, path: str | Path | None = None, data: Any = None) -> Path:
    """Write the run's model in ``fmt`` to ``path`` (default: the run's folder); record it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    default = {"onnx": "model.onnx", "pt": "model.pt", "code": "model.py", "script": "train_model.py"}[fmt]
    out = Path(path) if path is not None else run.folder / default
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "onnx":
        from .onnx import export_onnx

        export_onnx(run.model, list(run.spec.model.input_shape), out, check_batch=_check_batch(run))
    elif fmt == "pt":
        from .pt import save_pt

        save_pt(run.model, run.spec, run.preprocessing, out, run.metrics)
    elif fmt == "code":
        from .code import model_source

        out.write_text(model_source(run.spec.model), encoding="utf-8")
    else:
        from .script import write_script

        write_script(run, out, data=data)
    run.store.add_artefact(run.id, fmt, out)
    return out


def _check_batch(run: Run):  # noqa: ANN202 - a tensor of real test inputs when the run still has them
    trainer = run._trainer
    if trainer is not None and trainer.test_split.x is not None:
        return trainer.test_split.x[:64].detach().cpu()
    return None
