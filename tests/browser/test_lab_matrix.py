"""Every built-in data set, and generated 2- and 100-class tables, through the Playground
to a finished dashboard in a real JupyterLab, at a desktop and a laptop-sized window.

The torchvision sets (MNIST, Fashion-MNIST, KMNIST) and California housing download on
first use; this machine is offline, so the notebook writes small files in their real
formats into the cache first and the real loading path reads them. CIFAR-10's loader
verifies the official files' checksums, which no generated file can match: offline it
must say where to put the files, and Train must say why it cannot start.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from messy_tables import write_all
from playwright.sync_api import expect

from conftest import ROOT, open_tab, real_errors, screenshot, set_number, tall_screenshot

pytestmark = pytest.mark.browser

# (label in the Built-in list, classes or None for regression)
BUILTIN_CASES = [
    ("iris", 3),
    ("wine", 3),
    ("breast_cancer", 2),
    ("diabetes", None),
    ("digits —", 10),
    ("california_housing", None),
    ("digits as 8×8 images", 10),
    ("mnist", 10),
    ("fashion_mnist", 10),
    ("kmnist", 10),
]
SIZES = [(1280, 800), (1000, 800)]


def generated_csv(path, n_classes: int, rows: int, seed: int = 0) -> None:
    """A table a small network learns: each class a cluster in 5 dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (n_classes, 5))
    labels = rng.integers(0, n_classes, rows)
    x = centres[labels] + rng.normal(0, 0.4, (rows, 5))
    frame = pd.DataFrame(x.round(3), columns=[f"m{i}" for i in range(5)])
    frame.insert(0, "sample_id", np.arange(1, rows + 1))  # left out as an id
    frame["label"] = [f"kind {k}" for k in labels]
    frame.to_csv(path, index=False)


def setup_cell(home: str) -> str:
    tests = str(ROOT / "tests")
    return (
        f"import os, sys\nos.environ['DLP_HOME'] = {home!r}\nsys.path.insert(0, {tests!r})\n"
        "from datagen import write_california_tgz, write_mnist_raw\n"
        "from dlp_widgets.home import cache_dir\n"
        "for seed, name in enumerate(('MNIST', 'FashionMNIST', 'KMNIST')):\n"
        "    write_mnist_raw(cache_dir('torchvision', name, 'raw'), n_train=400, n_test=100, seed=seed)\n"
        "write_california_tgz(cache_dir('california_housing') / 'cal_housing.tgz', rows=400)\n"
        "import dlp_widgets as dlp"
    )


DATA_TEXT = (
    "() => { const p = document.querySelector('.dlp-playground');"
    " return [...p.querySelectorAll('.dlp-preview, .dlp-columns, .dlp-image-summary, .dlp-data-error')].map(e => e.innerHTML).join('|'); }"
)


def wait_for_new_data(page, before: str) -> None:
    """The kernel has read the newly chosen data (the data step shows something else)."""
    page.wait_for_function(f"before => ({DATA_TEXT})() !== before", arg=before, timeout=120_000)


def train_and_wait(page, label: str):
    """Press Train and wait for this run's dashboard to end; returns it."""
    page.evaluate("document.querySelectorAll('.dlp-dashboard').forEach(d => d.setAttribute('data-old', '1'))")
    page.wait_for_function("!document.querySelector('.dlp-train').disabled", timeout=60_000)
    page.locator(".dlp-train").click()
    board = page.locator(".dlp-dashboard:not([data-old])")
    try:
        board.locator(".dlp-status[data-status='finished']").wait_for(timeout=180_000)
    except Exception:
        screenshot(page, f"matrix-failed-{label}")
        raise AssertionError(page.locator(".dlp-playground").inner_text()[-2000:]) from None
    return board


def check_dashboard(page, board, classes: int | None, label: str) -> None:
    expect(board.locator(".dlp-stop")).to_be_disabled()
    for fmt in ("onnx", "pt", "code"):
        expect(board.locator(f".dlp-export-{fmt}")).to_be_enabled()
    assert board.locator(".dlp-view-error").count() == 0, board.inner_text()
    if classes is None:
        expect(board.locator(".dlp-chart", has_text="R²").first).to_be_visible()
        expect(board.locator(".dlp-chart", has_text="Confusion matrix")).to_be_hidden()
    else:
        page.wait_for_function(
            "n => { const b = document.querySelector('.dlp-dashboard:not([data-old])');"
            " return b && b.querySelectorAll('.heatmapcell').length === n * n; }",
            arg=classes,
            timeout=30_000,
        )
        # the counts are written in the cells, and they add up to the test split
        numbers = board.locator(".dlp-chart", has_text="Confusion matrix").locator("svg text.heatmapcell_label")
        if classes <= 20:
            values = [int(t) for t in numbers.all_text_contents()]
            assert len(values) == classes * classes and sum(values) > 0, label
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.dlp-playground, .dlp-dashboard:not([data-old])')].map(el => {"
        " const cell = el.closest('.jp-OutputArea-output') || el.parentElement;"
        " return [el.className.split(' ').find(c => c.startsWith('dlp-')), el.scrollWidth, cell.clientWidth]; })"
    )
    for name, scroll, cell in widths:
        assert scroll <= cell + 1, f"{name} is {scroll}px wide in a {cell}px cell ({label})"


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_data_set_reaches_a_finished_dashboard(lab, browser, tmp_path, width, height):
    home = str(lab.dlp_home / f"matrix-{width}")
    two, hundred = tmp_path / "two_classes.csv", tmp_path / "hundred_classes.csv"
    generated_csv(two, 2, 300)
    generated_csv(hundred, 100, 1500, seed=1)
    name = lab.write_notebook(f"matrix-{width}.ipynb", [setup_cell(home), "pg = dlp.Playground()\npg"])
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        lab.open(page, name)
        lab.run_all(page)
        page.wait_for_selector(".dlp-playground .dlp-preview", timeout=180_000)
        open_tab(page, "2 · Parameters")
        set_number(page, "Epochs", 3)
        open_tab(page, "1 · Data")
        timings = {}
        for label, classes in BUILTIN_CASES:
            t0 = time.monotonic()
            select = page.locator(".dlp-builtin select")
            option = select.locator("option", has_text=label).first.get_attribute("value")
            if select.input_value() != option:
                before = page.evaluate(DATA_TEXT)
                select.select_option(value=option)
                wait_for_new_data(page, before)
            board = train_and_wait(page, label)
            check_dashboard(page, board, classes, label)
            if label.startswith("digits as"):  # 10 classes a network really learns
                tall_screenshot(page, f"matrix-{width}-digits-images", ".dlp-dashboard:not([data-old])")
            timings[label] = round(time.monotonic() - t0, 1)
            print(label, timings[label], flush=True)

        # CIFAR-10 offline: the reason, where the data step and Train say it
        select = page.locator(".dlp-builtin select")
        before = page.evaluate(DATA_TEXT)
        select.select_option(value=select.locator("option", has_text="cifar10").first.get_attribute("value"))
        wait_for_new_data(page, before)
        page.wait_for_selector(".dlp-data-error:has-text('cifar10')")
        expect(page.locator(".dlp-train")).to_be_disabled()
        expect(page.locator(".dlp-train-reason")).to_contain_text("download")

        # tables a user uploads: 2 and 100 classes
        page.locator(".dlp-source-kind button", has_text="Upload").click()
        for path, classes in ((two, 2), (hundred, 100)):
            before = page.evaluate(DATA_TEXT)
            with page.expect_file_chooser() as chooser:  # the upload's own file input is not in the page
                page.locator(".dlp-upload").click()
            chooser.value.set_files(str(path))
            wait_for_new_data(page, before)
            page.wait_for_selector(".dlp-columns tr[data-column='sample_id'][data-role='left out']", timeout=60_000)
            page.wait_for_function(
                "n => document.querySelector('.dlp-playground').innerText.includes(n + ' classes')", arg=classes
            )
            board = train_and_wait(page, path.stem)
            check_dashboard(page, board, classes, path.stem)
        tall_screenshot(page, f"matrix-{width}-100-classes", ".dlp-dashboard:not([data-old])")

        # a messy table as people have them: the id, the names, the tickets and the cabins
        # are left out with their reasons, the target is guessed, and it trains
        messy = write_all(tmp_path / "messy")["titanic_like"]
        before = page.evaluate(DATA_TEXT)
        with page.expect_file_chooser() as chooser:
            page.locator(".dlp-upload").click()
        chooser.value.set_files(str(messy))
        wait_for_new_data(page, before)
        for column in ("PassengerId", "Name", "Ticket", "Cabin"):
            page.wait_for_selector(f".dlp-columns tr[data-column='{column}'][data-role='left out']")
        expect(page.locator(".dlp-target select")).to_have_value("Survived")
        tall_screenshot(page, f"matrix-{width}-messy-data", ".dlp-playground .widget-tab")
        board = train_and_wait(page, "titanic_like")
        check_dashboard(page, board, 2, "titanic_like")
        print(f"{width}x{height} seconds per data set: {timings}")
        assert real_errors(errors) == [], real_errors(errors)
    finally:
        context.close()


def test_empty_views_draw_without_errors(lab, page):
    """A dashboard before its first epoch and a run history of an empty store: nothing in the
    console, and no axis of repeated 0s and 1s."""
    home = str(lab.dlp_home / "empty")
    name = lab.write_notebook(
        "empty.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {home!r}\nimport dlp_widgets as dlp",
            "board = dlp.TrainingDashboard()\nboard",
            "dlp.RunHistory()",
        ],
    )
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-run-history .dlp-empty", timeout=120_000)
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='waiting']")
    time.sleep(1)  # the charts draw after the widgets appear
    overlay = page.locator(".dlp-run-history .bqplot").first
    axes = overlay.locator("g.axis")
    assert axes.count() >= 2
    for k in range(axes.count()):
        ticks = [t for t in axes.nth(k).locator(".tick text").all_text_contents() if t]
        assert len(ticks) == len(set(ticks)), ticks  # not "0 0 0 0 0 1 1 1"
    assert "tick runs in the table" in page.locator(".dlp-run-history").inner_text()
    assert "tables" in page.locator(".dlp-run-history").inner_text()  # the data-kind chart is labelled
    assert real_errors(page.js_errors) == [], real_errors(page.js_errors)
