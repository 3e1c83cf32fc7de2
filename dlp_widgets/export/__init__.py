"""Exporters: turn a trained model and its spec into files other tools load (ONNX, .pt,
code, a training script). They take plain values, not runs: ``Run.export`` gathers them."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from ..home import write_error_reason
from .errors import ExportError

FORMATS = {
    "onnx": "model.onnx",
    "onnx_pipeline": "model_pipeline.onnx",
    "pt": "model.pt",
    "code": "model.py",
    "script": "train_model.py",
}

__all__ = ["FORMATS", "ExportError", "check_format", "check_target", "real_target", "write_export"]


def check_format(fmt: str) -> str:
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ExportError(f"unknown export format {str(fmt)[:40]!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def check_target(path: str | Path) -> Path:
    """A file path an export can be written to, or an ``ExportError`` that says why not."""
    if isinstance(path, str) and not path.strip():
        raise ExportError("the export path is empty; give a file name")
    out = Path(path)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name inside it, e.g. {out / 'model'}")
    return out


def write_export(
    fmt: str,
    out: Path,
    *,
    model: Any,
    spec: Any,
    preprocessing: dict[str, Any] | None,
    metrics: dict[str, Any] | None = None,
    check_batch: Any = None,
    frame: Any = None,
    run_id: str = "",
    name: str = "",
) -> Path:
    """Write ``model`` (a ``torch.nn.Module`` trained from ``spec``) as ``fmt`` to ``out``.

    ``check_batch``: real inputs for the ONNX check (random ones otherwise); ``frame``: the
    training table, needed by ``script``; ``onnx_pipeline`` checks itself on its first rows
    when given (and on rows made up from the preprocessing in any case)."""
    check_format(fmt)
    final = real_target(out)
    # written beside the target under a temporary name, then renamed: a failed export never
    # leaves half a file, nor destroys what was there
    tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.part{final.suffix}")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _write(fmt, tmp, model, spec, preprocessing, metrics, check_batch, frame, run_id, name, final)
        os.replace(tmp, final)
    except OSError as exc:  # a read-only place, a full disk, /proc
        raise ExportError(f"cannot write {final}: {write_error_reason(final.parent, exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return final


def real_target(path: str | Path) -> Path:
    """The file an export to ``path`` really writes: checked as ``check_target`` does, then
    through any symbolic link (a link to a checkpoint must be seen as the checkpoint)."""
    out = check_target(path)
    return out.expanduser().resolve()


def _write(
    fmt: str,
    out: Path,
    model: Any,
    spec: Any,
    preprocessing: dict[str, Any] | None,
    metrics: dict[str, Any] | None,
    check_batch: Any,
    frame: Any,
    run_id: str,
    name: str,
    final: Path,
) -> None:
    """Write ``fmt`` to ``out``, a temporary name for ``final`` (the script names itself and
    its data file after ``final``)."""
    if fmt == "onnx":
        from .onnx import export_onnx, model_metadata

        export_onnx(
            model, list(spec.model.input_shape), out, check_batch=check_batch, metadata=model_metadata(preprocessing)
        )
    elif fmt == "onnx_pipeline":
        from .onnx_pipeline import export_onnx_pipeline

        export_onnx_pipeline(model, list(spec.model.input_shape), preprocessing, out, frame, spec=spec)
    elif fmt == "pt":
        from .pt import save_pt

        save_pt(model, spec, preprocessing, out, metrics)
    elif fmt == "code":
        from .graph_code import source_of

        out.write_text(source_of(spec.model), encoding="utf-8")
    else:
        from .script import write_script

        write_script(out, spec=spec, preprocessing=preprocessing, frame=frame, run_id=run_id, name=name, final=final)
