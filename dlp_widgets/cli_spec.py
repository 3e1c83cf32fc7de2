"""``dlp shapes`` and ``dlp code``: a spec file (or standard input) in, its shapes as JSON or
its PyTorch source out — for a chain (version 1) or a graph (version 2)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .cli_json import dumps
from .spec import infer, load_spec, parse_json, read_json
from .spec.graph_shapes import GraphReport


def _read_spec_raw(path: str) -> Any:
    if path == "-":
        return parse_json(sys.stdin.buffer.read(), origin="standard input")
    return read_json(path)


def _model_part(raw: Any) -> Any:
    """A spec file may hold a whole spec or only its model."""
    if isinstance(raw, dict) and "model" in raw:
        # validate the other sections too, so a broken file is never half-accepted
        load_spec(raw, check_shapes=False)
        return raw["model"]
    return raw


def cmd_shapes(args: argparse.Namespace) -> int:
    report = infer(_model_part(_read_spec_raw(args.spec)))
    if report.error is not None:
        raise report.error
    if isinstance(report, GraphReport):
        graph_out: dict[str, Any] = {
            "nodes": [
                {"id": n.id, "type": n.type, "output_shape": list(n.output_shape), "params": n.params}
                for n in (report.nodes[i] for i in report.order)
            ],
            "total_params": report.total_params,
        }
        warnings = [f'node "{n.id}": {n.warning}' for n in report.nodes if n.warning]
        if warnings:
            graph_out["warnings"] = warnings
        print(dumps(graph_out, indent=None if args.compact else 2))
        return 0
    out = {
        "layers": [
            {"type": info.type, "output_shape": list(info.output_shape), "params": info.params}
            for info in report.layers
        ],
        "total_params": report.total_params,
    }
    if report.warnings:
        out["warnings"] = report.warnings
    print(dumps(out, indent=None if args.compact else 2))
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from .export.graph_code import source_of

    raw = _model_part(_read_spec_raw(args.spec))
    report = infer(raw)
    if report.error is not None:
        raise report.error
    sys.stdout.write(source_of(raw))
    return 0
