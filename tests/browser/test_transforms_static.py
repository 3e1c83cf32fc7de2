"""The built TransformList ESM: add, reorder by drag and by keyboard, edit, delete."""

import pytest

from conftest import screenshot
from dlp_widgets.spec.transforms import TRANSFORMS
from dlp_widgets.widgets.transforms import TransformList

pytestmark = pytest.mark.browser


def names(page):
    return [n.split(". ", 1)[1] for n in page.locator(".dlp-transform-name").all_inner_texts()]


def test_transform_list_in_the_browser(harness):
    widget = TransformList("train", image_shape=(1, 8, 8), items=[{"type": "Resize", "params": {"size": [16, 16]}}])
    page = harness(
        "transforms",
        {
            "catalogue": widget.catalogue,
            "title": widget.title,
            "items": widget.items,
            "error": widget.error,
            "shape": widget.shape,
        },
    )
    assert page.locator(".dlp-transforms-picker option").count() == len(TRANSFORMS)
    assert page.locator(".dlp-transforms-status").inner_text() == "→ model input [1, 16, 16]"
    page.locator(".dlp-transforms-picker").select_option("RandomRotation")
    page.locator(".dlp-transforms-add-button").click()
    page.locator(".dlp-transforms-picker").select_option("Grayscale")
    page.locator(".dlp-transforms-add-button").click()
    assert names(page) == ["Resize", "RandomRotation", "Grayscale"]
    page.locator("[data-index='2']").drag_to(page.locator("[data-index='0']"), target_position={"x": 10, "y": 2})
    assert names(page) == ["Grayscale", "Resize", "RandomRotation"]
    page.locator("[data-index='2']").focus()
    page.keyboard.press("Alt+ArrowUp")
    assert names(page) == ["Grayscale", "RandomRotation", "Resize"]
    box = page.locator("[data-transform=RandomRotation] [data-param=degrees]")
    box.fill("25")
    box.press("Enter")
    page.locator("[data-index='0'] .dlp-transform-delete").click()
    items = page.evaluate("window.__model._state.items")
    assert items == [
        {"type": "RandomRotation", "params": {"degrees": 25}},
        {"type": "Resize", "params": {"size": [16, 16]}},
    ]
    widget.items = items  # Python validates what the browser sent
    assert widget.error == "" and widget.shape == "model input [1, 16, 16]"
    screenshot(page, "transforms-static")
    assert page.js_errors == []


def test_keyboard_place_survives_the_kernels_reply(harness):
    widget = TransformList("train", image_shape=(1, 8, 8), items=[{"type": "Resize"}, {"type": "Grayscale"}])
    state = {k: getattr(widget, k) for k in ("catalogue", "title", "items", "error", "shape")}
    page = harness("transforms", state)
    page.locator("[data-index='1']").focus()
    page.keyboard.press("Alt+ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('data-index')") == "0"
    widget.items = page.evaluate("window.__model._state.items")
    page.evaluate("s => window.__model._pyset('shape', s)", widget.shape)  # the reply re-renders the rows
    assert page.evaluate("document.activeElement.getAttribute('data-index')") == "0"
    page.keyboard.press("Alt+ArrowDown")
    assert names(page) == ["Resize", "Grayscale"]
    page.locator("[data-transform=Resize] [data-param=size]").focus()
    page.evaluate("s => window.__model._pyset('error', s)", "stand-in reply")
    assert page.evaluate("document.activeElement.getAttribute('data-param')") == "size"
    assert page.js_errors == []
