"""A 1,000,000-row × 20-column CSV to training-ready tensors, against pandas.read_csv of
the same file alone: time and peak memory, each measured in a fresh process.

    python benchmarks/csv_to_tensors.py [--rows N] [--repeat R]

Target: at most 1.5× the time of read_csv.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# Each measurement in a fresh process; libraries are imported before the clock starts, as
# they are in a running notebook kernel.
CHILD = r"""
import json, resource, sys, time
import pandas as pd, torch
from dlp_widgets.data import load_table, prepare_tabular
path, mode = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if mode == "read_csv":
    frame = pd.read_csv(path)
    rows = len(frame)
else:
    frame, _ = load_table("csv:" + path)
    data = prepare_tabular(frame, "label", test_size=0.2, seed=0)
    tensors = data.tensors()
    rows = len(data.y_train) + len(data.y_test)
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": rows}))
"""


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    cols = {f"f{i:02d}": rng.normal(size=rows).round(5) for i in range(18)}
    cols["group"] = rng.choice(["north", "south", "east", "west"], size=rows)
    cols["label"] = rng.choice(["a", "b", "c"], size=rows)
    import pandas as pd

    pd.DataFrame(cols).to_csv(path, index=False)


def run(path: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        make_csv(path, args.rows)
        print(f"file: {args.rows:,} rows × 20 columns, {path.stat().st_size / 2**20:,.0f} MB")
        results = {"read_csv": [], "dlp": []}
        for _ in range(args.repeat):
            for mode in results:
                results[mode].append(run(path, mode))
    base_t = statistics.median(r["seconds"] for r in results["read_csv"])
    ours_t = statistics.median(r["seconds"] for r in results["dlp"])
    base_m = statistics.median(r["peak_mb"] for r in results["read_csv"])
    ours_m = statistics.median(r["peak_mb"] for r in results["dlp"])
    print(f"{'':32}{'seconds':>10}{'peak MB':>10}")
    print(f"{'pandas.read_csv alone':32}{base_t:>10.2f}{base_m:>10.0f}")
    print(f"{'dlp: CSV → tensors (all steps)':32}{ours_t:>10.2f}{ours_m:>10.0f}")
    print(f"ratio time {ours_t / base_t:.2f}× (target ≤ 1.5×), peak memory {ours_m / base_m:.2f}×")


if __name__ == "__main__":
    main()
