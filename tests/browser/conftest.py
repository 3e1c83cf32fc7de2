"""Browser fixtures: Debian's Chromium driven by Playwright, offline, and a static server of
the repository for the harness page."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the process group we started, nothing else
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.js_errors = errors
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def static_server():
    with serve_static() as base:
        yield base


@contextlib.contextmanager
def serve_static():
    """The repository over HTTP on 127.0.0.1, for the harness page; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(ROOT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def harness(page, static_server):
    """Open the built ESM of one widget in the harness with a given initial state."""

    def open_widget(name: str, state: dict) -> object:
        query = urllib.parse.urlencode(
            {"esm": f"/dlp_widgets/static/{name}.js", "css": f"/dlp_widgets/static/{name}.css"}
        )
        page.add_init_script(f"window.__initialState = {json.dumps(state)};")  # no URL length limit
        page.goto(f"{static_server}/tests/browser/harness.html?{query}")
        page.wait_for_function("window.__ready === true || window.__error !== undefined")
        assert page.evaluate("window.__error") is None, page.evaluate("window.__error")
        return page

    return open_widget


def screenshot(page, name: str, element: str | None = None) -> pathlib.Path:
    """Save a picture of the page (or of one element) under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if element is not None:
        target = page.locator(element).first
        target.scroll_into_view_if_needed()
        target.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


def tall_screenshot(page, name: str, element: str, height: int = 2600) -> pathlib.Path:
    """A picture of one element whole: JupyterLab scrolls its notebook inside the window, so
    the window is made tall for the picture, then put back."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        page.wait_for_timeout(500)  # charts redraw for the new size
        return screenshot(page, name, element)
    finally:
        page.set_viewport_size(size)


# ---------------------------------------------------------------- the Playground in a page


def open_tab(page, title):
    """Show one of the Playground's steps."""
    page.locator(".dlp-playground .lm-TabBar-tab", has_text=title).first.click()


def set_number(page, label, value):
    """Type a number into the Playground's control labelled ``label`` and press Enter."""
    box = (
        page.locator(".dlp-playground .widget-inline-hbox", has=page.locator("label", has_text=label))
        .locator("input")
        .first
    )
    box.fill(str(value))
    box.press("Enter")


# ---------------------------------------------------------------- real Jupyter servers


def _settings(work: pathlib.Path) -> None:
    # Throw-away user settings: no news prompt, and a kernel without the "Select Kernel" dialog.
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True},
    }
    for rel, data in settings.items():
        f = work / "lab-settings" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(data))


class JupyterServer:
    def __init__(self, flavor: str, work: pathlib.Path) -> None:
        self.flavor, self.work = flavor, work
        for d in ("root", "config", "runtime", "lab-settings", "lab-workspaces", "dlp-home"):
            (work / d).mkdir(exist_ok=True)
        _settings(work)
        self.port, self.token = free_port(), "dlp-test-token"
        venv_bin = pathlib.Path(sys.executable).parent
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(work / "config"),
            JUPYTER_RUNTIME_DIR=str(work / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(work / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(work / "lab-workspaces"),
            DLP_HOME=str(work / "dlp-home"),
            PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        )
        cmd = [
            str(venv_bin / "jupyter"),
            flavor,
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={work / 'root'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        self.log = open(work / "server.log", "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_http(f"{self.base}/api/status?token={self.token}", self.proc, 120)

    @property
    def dlp_home(self) -> pathlib.Path:
        return self.work / "dlp-home"

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": src,
                    "id": f"c{i}",
                }
                for i, src in enumerate(cells)
            ],
        }
        (self.work / "root" / name).write_text(json.dumps(nb))
        return name

    def shutdown_kernels(self, keep: str | None = None) -> None:
        """End every kernel but ``keep``'s notebook's: each holds torch (about 1 GB), and a
        session of tests opens a dozen notebooks — left running, they crowd the machine."""
        url = f"{self.base}/api/sessions?token={self.token}"
        with urllib.request.urlopen(url, timeout=10) as reply:
            sessions = json.loads(reply.read())
        for session in sessions:
            if keep is not None and session.get("path") == keep:
                continue
            request = urllib.request.Request(
                f"{self.base}/api/sessions/{session['id']}?token={self.token}", method="DELETE"
            )
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=30).close()

    def open(self, page, name: str) -> None:
        self.shutdown_kernels(keep=name)
        # ?reset: a workspace with only this notebook open (not the previous test's too)
        path = f"/lab/tree/{name}?reset&" if self.flavor == "lab" else f"/notebooks/{name}?"
        page.goto(f"{self.base}{path}token={self.token}")
        page.wait_for_selector(".jp-Toolbar-kernelName:has-text('Python')", timeout=90_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-Notebook", timeout=60_000)

    def run_all(self, page, tries: int = 3) -> None:
        """Run All Cells, again if no cell has started within 30 s: a Run All clicked while
        Lab is still connecting the kernel can be lost, and the test then waited out its
        whole timeout (seen in the tests and the benchmark alike)."""
        started = (
            "Array.from(document.querySelectorAll('.jp-InputArea-prompt')).some((p) => /\\[[0-9*]/.test(p.textContent))"
        )
        for attempt in range(tries):
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                page.wait_for_function(started, timeout=30_000)
                return
            except Exception:  # noqa: BLE001 - Playwright's timeout: click Run All again
                if attempt == tries - 1:
                    raise

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    server = JupyterServer("lab", tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    server = JupyterServer("notebook", tmp_path_factory.mktemp("notebook7"))
    yield server
    server.stop()


# Messages the front ends log on their own, whatever the notebook holds.
KNOWN_NOISE = ("reading 'schema'", "favicon", "Failed to load resource: the server responded with a status of 404")


def real_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(noise in e for noise in KNOWN_NOISE)]
