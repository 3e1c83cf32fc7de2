"""The built ModelSummary ESM in Chromium, fed reports that Python's shape inference made."""

import pytest

from conftest import screenshot
from dlp_widgets.spec import infer
from dlp_widgets.widgets import ModelSummary
from spec_examples import LENET5, ORIGINAL_IMAGE_BROKEN

pytestmark = pytest.mark.browser


def test_summary_renders_shapes_and_counts(harness):
    widget = ModelSummary(LENET5)
    page = harness("summary", {"report": widget.report})
    rows = page.locator(".dlp-summary .dlp-summary-layer")
    assert rows.count() == len(LENET5["layers"])
    assert rows.nth(0).locator(".dlp-summary-shape").inner_text() == "[6, 28, 28]"
    assert rows.nth(6).locator(".dlp-summary-shape").inner_text() == "[400]"
    assert rows.nth(7).locator(".dlp-summary-params").inner_text() == "48,120"
    assert page.locator(".dlp-summary-total").inner_text() == "Trainable parameters: 61,706"
    assert page.locator("[data-layer-index='11'] .dlp-summary-type").inner_text() == "Linear"
    screenshot(page, "summary-lenet5")
    assert page.js_errors == []


def test_summary_shows_the_error_on_its_layer_and_follows_python(harness):
    page = harness("summary", {"report": infer(ORIGINAL_IMAGE_BROKEN).to_dict()})
    broken = page.locator("[data-layer-index='3']")
    assert "dlp-has-error" in broken.get_attribute("class")
    alert = page.locator(".dlp-summary-error [role=alert]")
    assert "Linear at position 4" in alert.inner_text() and "4,500" in alert.inner_text()
    screenshot(page, "summary-error")
    # Python fixes the model: the view follows
    fixed = dict(
        ORIGINAL_IMAGE_BROKEN,
        layers=ORIGINAL_IMAGE_BROKEN["layers"][:3] + [{"type": "Linear", "params": {"out_features": 10}}],
    )
    page.evaluate("r => window.__model._pyset('report', r)", infer(fixed).to_dict())
    assert page.locator(".dlp-summary-error").count() == 0
    assert page.locator("[data-layer-index='3'] .dlp-summary-params").inner_text() == "45,010"
    assert page.js_errors == []
