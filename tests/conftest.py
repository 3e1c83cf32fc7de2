import os
import pathlib

import pytest
from hypothesis import HealthCheck, settings

ROOT = pathlib.Path(__file__).resolve().parents[1]

settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Runs and caches go to a temporary place, never the user's home."""
    monkeypatch.setenv("DLP_HOME", str(tmp_path / "dlp-home"))
    yield


def pytest_report_header(config):
    return f"DLP tests; torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}"
