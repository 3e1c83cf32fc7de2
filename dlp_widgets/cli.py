"""The ``dlp`` command line: specs in, JSON or code out; bad input exits 2 with a clear
message, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .spec import SpecError, infer, load_spec, parse_json, read_json

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: same exit code, no trace
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"dlp: error: {message}\n")


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
    out = {
        "layers": [
            {"type": info.type, "output_shape": list(info.output_shape), "params": info.params}
            for info in report.layers
        ],
        "total_params": report.total_params,
    }
    if report.warnings:
        out["warnings"] = report.warnings
    print(json.dumps(out, indent=None if args.compact else 2))
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from .export.code import model_source

    raw = _model_part(_read_spec_raw(args.spec))
    report = infer(raw)
    if report.error is not None:
        raise report.error
    sys.stdout.write(model_source(raw))
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from .data import summarize

    summary = summarize(
        args.source,
        target=args.target,
        features=args.feature or None,
        task=args.task,
        images=args.images,
        max_bytes=int(args.max_mb * 2**20),
        timeout=args.timeout,
    )
    if not args.thumbnails:
        for example in summary.get("examples", []) if summary.get("kind") == "image" else []:
            example.pop("png", None)
    print(json.dumps(summary, indent=None if args.compact else 2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlp", description="Deep Learning Playground: specs, shapes, code and training.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("shapes", help="each layer's output shape and parameter count, as JSON")
    p.add_argument("spec", help="spec or model JSON file ('-' reads standard input)")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    p.set_defaults(func=cmd_shapes)
    p = sub.add_parser("code", help="the PyTorch source that builds the model")
    p.add_argument("spec", help="spec or model JSON file ('-' reads standard input)")
    p.set_defaults(func=cmd_code)
    p = sub.add_parser("data", help="a summary of a data source, as JSON")
    p.add_argument("source", help="builtin:NAME, csv:PATH, a CSV path or http(s) URL, folder:PATH, zip:PATH")
    p.add_argument("--target", help="the column to predict")
    p.add_argument("--feature", action="append", help="a feature column (repeat; default: all but the target)")
    p.add_argument("--task", choices=["classification", "regression"], help="override the detected task")
    p.add_argument("--images", action="store_true", help="treat builtin:digits as 8×8 images")
    p.add_argument("--max-mb", type=float, default=200.0, help="download size limit in MB (default 200)")
    p.add_argument("--timeout", type=float, default=30.0, help="download timeout in seconds (default 30)")
    p.add_argument("--thumbnails", action="store_true", help="include example images as PNG data URLs")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except SpecError as exc:
        print(json.dumps({"error": {"layer": exc.layer, "param": exc.param, "message": exc.message}}))
        return EXIT_BAD_INPUT
    except Exception as exc:  # data errors are imported lazily, with the data layer
        from .data.errors import DataError

        if not isinstance(exc, DataError):
            raise
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
