"""The GPU check runs on a lent machine with minutes to spare, so it must work the first
time: its benchmark runs here end to end, small and on the CPU, and prints every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_gpu_benchmark_runs_end_to_end_in_smoke_mode(tmp_path):
    env = {**os.environ, "DLP_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_bench.py"), "--smoke"],
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    for line in ("(1) table", "fp32: plain", "bf16: plain", "(2) ResNet-18 graph", "bf16 speed-up over fp32", "(3) "):
        assert line in text, text
    assert "did not keep these images on the device" not in text  # a folder of PNGs is held in memory
    assert "with transforms (DataLoader" in text


def test_the_compile_section_runs_in_smoke_mode(tmp_path):
    env = {**os.environ, "DLP_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_bench.py"), "--smoke", "--only", "compile"],
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "(4) training.compile against eager" in out.stdout and "speed-up" in out.stdout, out.stdout


def test_the_gpu_check_script_skips_cleanly_without_cuda(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is here: the check would run for minutes")
    out = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "PYTHON": sys.executable},
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "no CUDA device on this machine" in (tmp_path / "gpu_tests.txt").read_text()
    assert "nothing to measure" in (tmp_path / "gpu_bench.txt").read_text()
