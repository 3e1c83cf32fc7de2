"""What ``dlp ... --json`` prints is valid JSON: a refusal as an error object with a message in
words, and never a bare NaN or Infinity."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pandas as pd

from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def test_a_constant_regression_target_is_refused_in_words_and_the_cli_prints_valid_json(tmp_path):
    frame = pd.DataFrame({"x": range(40), "y": [2.5] * 40})
    frame.to_csv(tmp_path / "flat.csv", index=False)
    spec = {
        "model": default_model([1], 1),
        "data": {"source": f"csv:{tmp_path / 'flat.csv'}", "target": "y", "task": "regression"},
        "training": {"epochs": 2},
    }
    (tmp_path / "flat.json").write_text(json.dumps(spec))
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "train", str(tmp_path / "flat.json"), "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    message = json.loads(out.stdout)["error"]["message"]
    assert 'target "y" has the same value (2.5) in every row' in message


def test_the_cli_never_prints_bare_nan():
    from dlp_widgets.cli import dumps

    text = dumps({"test_r2": float("nan"), "rows": [float("inf"), 1.5]})
    assert json.loads(text) == {"test_r2": None, "rows": [None, 1.5]}
