"""The ``dlp`` command line: specs in, JSON or code out; bad input exits 2 with a clear
message, never a traceback."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_json import dumps
from .cli_spec import cmd_code, cmd_shapes
from .errors import DLPError
from .export import FORMATS
from .spec import SpecError, load_spec

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: same exit code, no trace
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"dlp: error: {message}\n")


def _bounded_number(unit: str, largest: float) -> Callable[[str], float]:
    """An argparse type: a number above 0 and at most ``largest``. nan, inf and negative
    values would otherwise reach the download code as a limit that never or always trips."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of {unit}, not {text!r}") from None
        if not (math.isfinite(value) and 0 < value <= largest):
            raise argparse.ArgumentTypeError(f"must be a number of {unit} above 0 and at most {largest:g}, not {text}")
        return value

    parse.__name__ = f"number of {unit}"  # argparse names the type in some of its messages
    return parse


class _DownloadProgress:
    """Bytes received so far, on standard error, at most four times a second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, received: int, total: int | None) -> None:
        import time

        now = time.monotonic()
        if now - self.last < 0.25 and received != total:
            return
        self.last = now
        of = f" of {total / 2**20:,.1f} MB" if total else ""
        sys.stderr.write(f"\rdownloading: {received / 2**20:,.1f} MB{of}")
        if received == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


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
        progress=_DownloadProgress(),
    )
    if not args.thumbnails:
        for example in summary.get("examples", []) if summary.get("kind") == "image" else []:
            example.pop("png", None)
    print(dumps(summary, indent=None if args.compact else 2, ensure_ascii=False))
    return 0


def _scalars(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


class _ProgressBar:
    """One line on standard error, redrawn at most ten times a second."""

    saved_first = False  # it only prints: training never waits for it (engine.events.waits_for_saving)

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.epochs = 0

    def __call__(self, event: Any) -> None:  # an engine.events.Event
        from .engine.events import EpochEnd, Finished, Progress, Started

        if isinstance(event, Started):
            self.epochs = event.epochs
            print(
                f"training on {event.device}: {event.n_train:,} training rows, {event.n_test:,} test rows",
                file=sys.stderr,
            )
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        elif isinstance(event, Progress) and self.tty:
            done = (event.epoch - 1 + event.batch / event.batches) / event.epochs
            bar = "#" * int(done * 30)
            sys.stderr.write(
                f"\r[{bar:<30}] epoch {event.epoch}/{event.epochs} loss {event.loss:.4f} eta {event.eta:.0f}s "
            )
            sys.stderr.flush()
        elif isinstance(event, EpochEnd):
            m = event.metrics
            score = m.get("test_accuracy", m.get("test_r2"))
            label = "accuracy" if "test_accuracy" in m else "r2"
            end = "\n" if not self.tty or event.epoch == event.epochs else ""
            sys.stderr.write(
                f"\repoch {event.epoch}/{event.epochs}: train_loss {m['train_loss']:.4f} test_loss {m['test_loss']:.4f} test_{label} {score:.4f}{' ' * 20}{end}"
            )
            sys.stderr.flush()
        elif isinstance(event, Finished) and self.tty:
            sys.stderr.write("\n")


def cmd_train(args: argparse.Namespace) -> int:
    from .engine.runner import train

    spec = load_spec(args.spec)
    data = None
    if args.data:
        data = args.data if ":" in args.data.split("/")[0] else f"csv:{args.data}"
    import warnings as _warnings

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")  # shown by the progress output instead
        run = train(spec, data, name=args.name, epochs=args.epochs, subscribe=None if args.json else _ProgressBar())
    if args.json:
        print(
            dumps(
                {
                    "id": run.id,
                    "name": run.name,
                    "status": run.status,
                    "error": run.error,
                    "device": run.device,
                    "metrics": _scalars(run.metrics),
                }
            )
        )
    else:
        history = run.history
        if len(history):
            keep = [
                c for c in history.columns if c.startswith(("epoch", "train_loss", "test_", "train_acc", "train_r2"))
            ]
            print(history[keep].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(f"run {run.id} ({run.name}): {run.status}" + (f" — {run.error}" if run.error else ""))
    return 0 if run.status in ("finished", "stopped") else 1


def cmd_runs(args: argparse.Namespace) -> int:
    from .engine.runner import runs
    from .runstore import open_store

    store = open_store()
    table = runs(store)
    # runs() has no column for a run whose stored spec is unreadable; the store notes which
    notes = {r["id"]: r.get("note") for r in store.list_runs()}
    table["note"] = [notes.get(run_id) for run_id in table["id"]] if len(table) else []
    if args.json:
        rows = json.loads(table.to_json(orient="records", date_format="iso"))
        print(dumps(rows))
    elif len(table):
        shown = table.drop(columns=["error"])
        if shown["note"].isna().all():
            shown = shown.drop(columns=["note"])
        else:
            shown["note"] = shown["note"].fillna("")
        print(shown.to_string(index=False))
    else:
        print("no runs yet")
    return 0


def _find_row(store: Any, run_id: str) -> dict[str, Any]:
    try:
        row = store.get_run(run_id)
    except KeyError as exc:  # an id prefix that several runs share
        raise SpecError(str(exc.args[0])) from None
    if row is None:
        raise SpecError(f"no run {run_id!r} in {store.path}")
    return row


def _get_run(run_id: str):  # noqa: ANN202
    from .engine.runner import load_run
    from .runstore import open_store

    store = open_store()
    row = _find_row(store, run_id)
    if not row["spec"]:  # every saved spec has a model: empty means the store could not read it
        raise SpecError(f"run {row['id']} cannot be loaded: {row.get('note') or 'its stored spec is empty'}")
    return load_run(row["id"], store)


def cmd_show(args: argparse.Namespace) -> int:
    from .runstore import open_store

    # the row straight from the store, not through load_run: a run whose stored spec is
    # unreadable can still be shown, with its note
    store = open_store()
    row = _find_row(store, args.run)
    out = {**row, "epochs": store.epochs(row["id"]), "artefacts": store.artefacts(row["id"])}
    print(dumps(out, indent=2, default=str))
    return 0


def cmd_coach(args: argparse.Namespace) -> int:
    run = _get_run(args.run)
    findings = run.diagnose()
    if args.json:
        print(dumps({"run": run.id, "status": run.status, "findings": [f.to_dict() for f in findings]}, indent=2))
        return 0
    print(f"run {run.id} ({run.status}, {len(run.history)} epochs)")
    for finding in findings:
        print(f"  {finding}")
        if finding.fix is not None:
            print(f"    the change: {dumps(finding.fix)}")
    return 0


def _writable_out(text: str) -> Path:
    """``--out`` checked before the export does any work: a folder, an empty name or a place
    that takes no files would otherwise fail deep inside torch or onnx with a message that
    names neither the option nor the path."""
    import tempfile

    from .export.errors import ExportError

    if not text.strip():
        raise ExportError("--out is empty: give the file to write, such as --out model.onnx")
    path = Path(text).expanduser()
    if path.is_dir():
        raise ExportError(f"--out {path} is a folder: give a file name in it, such as {path / 'model.onnx'}")
    folder = next(p for p in path.parents if p.exists())  # the export makes any missing folders below it
    if not folder.is_dir():
        raise ExportError(f"--out {path} cannot be written: {folder} is a file, not a folder")
    try:
        if path.exists():
            with open(path, "ab"):  # append mode: opening changes nothing already in the file
                pass
        else:
            with tempfile.TemporaryFile(dir=folder):
                pass
    except OSError as exc:
        why = exc.strerror or str(exc)
        if not path.exists():
            why = f"{folder} takes no new files ({why})"
        raise ExportError(f"--out {path} cannot be written: {why}") from None
    return path


def cmd_export(args: argparse.Namespace) -> int:
    run = _get_run(args.run)
    out = _writable_out(args.out) if args.out is not None else None
    try:
        paths = run.export_files(args.format, out, data=args.data)
    except OSError as exc:
        from .export.errors import ExportError

        target = exc.filename or out or "the run's folder"
        raise ExportError(f"the export could not be written to {target}: {exc.strerror or exc}") from None
    path = paths[0]
    result = {"run": run.id, "format": args.format, "path": str(path), "bytes": path.stat().st_size}
    if len(paths) > 1:  # the script's training table, written beside it
        result["also_written"] = [str(p) for p in paths[1:]]
    print(dumps(result))
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
    p.add_argument(
        "--max-mb", type=_bounded_number("MB", 1e6), default=200.0, help="download size limit in MB (default 200)"
    )
    p.add_argument(
        "--timeout",
        type=_bounded_number("seconds", 86400),
        default=30.0,
        help="time limit for the whole download, in seconds (default 30)",
    )
    p.add_argument("--thumbnails", action="store_true", help="include example images as PNG data URLs")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    p.set_defaults(func=cmd_data)
    p = sub.add_parser("train", help="train a spec; progress on stderr, a table (or --json) on stdout")
    p.add_argument("spec", help="spec JSON file")
    p.add_argument("--data", help="a CSV file or data source, instead of the spec's data.source")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--name", help="a name for the run")
    p.add_argument("--json", action="store_true", help="print one JSON object: run id, status, final metrics")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("runs", help="the runs in the store")
    p.add_argument("--json", action="store_true", help="a JSON list of runs")
    p.set_defaults(func=cmd_runs)
    p = sub.add_parser("show", help="one run as JSON: spec, metrics, epochs, files")
    p.add_argument("run", help="run id (a unique prefix will do)")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("coach", help="what went right or wrong in a run, the evidence, and one change to try")
    p.add_argument("run", help="run id (a unique prefix will do)")
    p.add_argument("--json", action="store_true", help="the findings as JSON")
    p.set_defaults(func=cmd_coach)
    p = sub.add_parser("export", help="export a run's model")
    p.add_argument("run", help="run id (a unique prefix will do)")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--out", help="where to write it (default: the run's folder)")
    p.add_argument("--data", help="script only: the CSV the run trained on, when it came from Python")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except DLPError as exc:  # every refusal, whichever part refused: one JSON shape
        print(dumps({"error": exc.to_dict()}, ensure_ascii=False))
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader went away (dlp ... | head): no error, and before `except Exception`, which
        # would re-raise it; stdout moves to devnull so Python's last flush does not complain
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
