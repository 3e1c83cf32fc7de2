"""The training coach in a real JupyterLab: a Playground run whose learning rate is too high
shows the finding in the dashboard's Coach panel while it trains, and Apply & retrain trains
a second run (the Playground's steps show the patched spec) whose finding is gone."""

import json

import pytest

from conftest import real_errors, tall_screenshot

pytestmark = pytest.mark.browser

SPEC = {
    "model": {"input_shape": [4], "layers": [
        {"type": "Linear", "params": {"out_features": 32}}, {"type": "ReLU"},
        {"type": "Linear", "params": {"out_features": 3}},
    ]},
    "data": {"source": "builtin:iris", "target": "species"},
    # the loss rises at epochs 4 and 5; 600 epochs of 30 batches leave seconds to see it live
    # (60 did, until short epochs stopped waiting for a write each; 200, until the dashboard's
    # first chart draw and coach came one second into the run: then a fast machine's run
    # could end within that second and the browser's own delay)
    "training": {"optimizer": "SGD", "lr": 0.3, "epochs": 600, "batch_size": 4},
}  # fmt: skip


def test_the_coach_finds_a_rate_too_high_and_apply_retrains_without_it(lab, page):
    name = lab.write_notebook(
        "coach.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {str(lab.dlp_home)!r}\nimport dlp_widgets as dlp",
            f"pg = dlp.Playground(spec={json.dumps(SPEC)})\npg",
        ],
    )
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-playground .dlp-train:not([disabled])", timeout=120_000)
    page.locator(".dlp-playground .dlp-train").click()
    # while the run trains: the finding, with its evidence and its button
    page.wait_for_selector(".dlp-dashboard .dlp-coach .dlp-finding-lr_too_high", timeout=120_000)
    live = page.locator(".dlp-dashboard .dlp-status").get_attribute("data-status")
    assert "the steps overshoot" in page.locator(".dlp-coach .dlp-finding-lr_too_high").inner_text()
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=120_000)
    tall_screenshot(page, "lab-coach", ".dlp-dashboard")
    assert live == "running"  # the finding came while the run trained, not only at its end
    first_id = page.locator(".dlp-dashboard .dlp-run-meta").inner_text().split(" · ")[0]

    page.locator(".dlp-coach .dlp-finding-lr_too_high .dlp-coach-apply").click()
    # a new dashboard for the new run; the Playground's parameters show the patched rate
    page.wait_for_function(
        f"(() => {{ const m = document.querySelector('.dlp-dashboard .dlp-run-meta');"
        f" return m && !m.textContent.startsWith({first_id!r}); }})()",
        timeout=60_000,
    )
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=120_000)
    page.wait_for_selector(".dlp-dashboard .dlp-coach .dlp-finding", timeout=30_000)
    assert page.locator(".dlp-dashboard .dlp-coach .dlp-finding-lr_too_high").count() == 0
    assert page.locator(".dlp-playground .dlp-setting-lr input").input_value() == "0.03"
    tall_screenshot(page, "lab-coach-after", ".dlp-dashboard")
    assert real_errors(page.js_errors) == []
