"""The plane views in a real JupyterLab: the spiral preset trained from the Playground draws
its decision boundary, which changes between epochs (two screenshots differ), and the neuron
view; a CSV of two numeric columns gets the boundary too."""

import json

import pytest

from conftest import ARTIFACTS, real_errors, screenshot

pytestmark = pytest.mark.browser


def test_the_spiral_preset_draws_a_changing_boundary_and_its_neurons(lab, page, tmp_path):
    """``dlp.Playground.toy("spiral")``: a derived feature switched on and Train pressed (two
    actions after the cell runs), and the boundary changes while the run trains."""
    name = lab.write_notebook(
        "spiral.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {str(lab.dlp_home)!r}\nimport dlp_widgets as dlp",
            'pg = dlp.Playground.toy("spiral")\npg',
        ],
    )
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-playground .dlp-train:not([disabled])", timeout=120_000)
    assert page.locator(".dlp-playground .dlp-preset").is_visible()  # the layers and units sliders
    page.locator(".dlp-toy-sin-x1").click()  # action 1: sin x1 as an extra input
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dlp-features option')].some(o => o.textContent === 'sin_x1')",
        timeout=60_000,
    )
    page.wait_for_selector(".dlp-playground .dlp-train:not([disabled])", timeout=60_000)
    top = page.locator(".dlp-playground .dlp-preset").bounding_box()
    bottom = page.locator(".dlp-playground .dlp-features").bounding_box()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # the preset's sliders down to the features it made
    page.screenshot(
        path=str(ARTIFACTS / "lab-spiral-preset.png"),
        clip={"x": top["x"], "y": top["y"], "width": 600, "height": bottom["y"] + bottom["height"] - top["y"] + 8},
    )
    page.locator(".dlp-playground .dlp-train").click()  # action 2
    boundary = page.locator(".dlp-dashboard .dlp-boundary")
    boundary.wait_for(state="visible", timeout=120_000)
    # the loss chart's epoch axis spans the whole run from its start, so the browser does
    # not redraw it with each new point: its last tick, 200, is there while the run trains
    page.wait_for_function(
        "() => [...document.querySelector('.dlp-dashboard .dlp-chart').querySelectorAll('.axis text')]"
        ".some(t => t.textContent === '200')",
        timeout=60_000,
    )
    assert page.locator(".dlp-dashboard .dlp-status").first.get_attribute("data-status") == "running"
    page.wait_for_timeout(1500)  # a few epochs later
    early = boundary.screenshot()
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=300_000)
    page.mouse.move(0, 0)  # no chart toolbar over the title in the screenshots
    page.wait_for_timeout(800)
    late = boundary.screenshot()
    assert early != late  # the boundary moved while the run trained
    (tmp_path / "early.png").write_bytes(early)
    assert page.locator(".dlp-dashboard .dlp-neurons").is_visible()
    assert "layers of 8, 8, 8 units" in page.locator(".dlp-dashboard .dlp-neurons").inner_text()
    screenshot(page, "lab-spiral", ".dlp-dashboard .dlp-boundary")
    screenshot(page, "lab-spiral-neurons", ".dlp-dashboard .dlp-neurons")
    screenshot(page, "lab-spiral-loss", ".dlp-dashboard .dlp-chart")  # 200 epochs: a line without markers
    assert real_errors(page.js_errors) == []


def test_a_csv_of_two_numeric_columns_gets_the_boundary(lab, page):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"height": rng.normal(170, 10, 300), "weight": rng.normal(70, 12, 300)})
    table["fit"] = (table.weight / (table.height / 100) ** 2 < 25).map({True: "yes", False: "no"})
    csv = lab.work / "bmi.csv"
    table.to_csv(csv, index=False)
    spec = {
        "model": {"input_shape": [2], "layers": [
            {"type": "Linear", "params": {"out_features": 8}}, {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": 2}}]},
        "data": {"source": f"csv:{csv}", "target": "fit"},
        "training": {"epochs": 10},
    }  # fmt: skip
    name = lab.write_notebook(
        "bmi.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {str(lab.dlp_home)!r}\nimport dlp_widgets as dlp",
            f"run = dlp.train({json.dumps(spec)})",
        ],
    )
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=120_000)
    boundary = page.locator(".dlp-dashboard .dlp-boundary")
    axes = boundary.text_content()  # the axis labels are SVG text
    assert boundary.is_visible() and "height" in axes and "weight" in axes
    assert real_errors(page.js_errors) == []
