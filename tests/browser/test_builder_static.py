"""The built LayerBuilder ESM in Chromium with a stand-in model; Python's shape inference
answers each edit as the kernel would."""

import json

import pytest

from conftest import screenshot
from dlp_widgets.spec import infer, palette
from dlp_widgets.widgets.builder import _catalogue_with_pages

pytestmark = pytest.mark.browser


def python_answers(page):
    """Do what the kernel does after each edit: validate the layers and send the report."""
    state = page.evaluate("({layers: window.__model._state.layers, input_shape: window.__model._state.input_shape})")
    report = infer({"input_shape": state["input_shape"], "layers": state["layers"]}).to_dict()
    page.evaluate("r => window.__model._pyset('report', r)", report)
    return state["layers"]


def open_builder(harness, layers=(), input_shape=(4,)):
    layers = [dict(x) for x in layers]
    state = {
        "catalogue": _catalogue_with_pages(),
        "input_shape": list(input_shape),
        "layers": layers,
        "selected": -1,
        "report": infer({"input_shape": list(input_shape), "layers": layers}).to_dict(),
    }
    page = harness("builder", state)
    return page


def types(page):
    return [t for t in page.locator(".dlp-model .dlp-layer .dlp-layer-type").all_inner_texts()]


def test_palette_comes_from_the_catalogue_grouped_by_category(harness):
    page = open_builder(harness)
    items = page.locator(".dlp-builder .dlp-palette-item")
    assert items.count() == len(palette())
    assert page.locator(".dlp-palette-group").all_inner_texts()[:3] == [
        "CORE",
        "ACTIVATIONS",
        "CONVOLUTION",
    ] or page.locator(".dlp-palette-group").all_inner_texts()[:3] == ["Core", "Activations", "Convolution"]
    assert items.nth(0).get_attribute("data-layer-type") == "Linear"
    assert page.js_errors == []


def test_drag_from_palette_to_positions_and_reorder(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 3}}])
    model = page.locator(".dlp-model")
    page.locator("[data-layer-type=ReLU]").drag_to(model)  # dropped below the last layer
    python_answers(page)
    page.locator("[data-layer-type=Linear]").drag_to(
        page.locator("[data-layer-index='0']"), target_position={"x": 20, "y": 2}
    )
    dropped = python_answers(page)
    # the palette's starting values are written into the spec: torch has no default out_features
    assert dropped[0] == {"type": "Linear", "params": {"out_features": 10}}
    assert dropped[2] == {"type": "ReLU", "params": {}}
    page.locator("[data-layer-type=Dropout]").drag_to(
        page.locator("[data-layer-index='1']"), target_position={"x": 20, "y": 2}
    )
    python_answers(page)
    assert types(page) == ["Linear", "Dropout", "Linear", "ReLU"]
    # reorder: drag the ReLU above the second Linear
    page.locator("[data-layer-index='3']").drag_to(
        page.locator("[data-layer-index='2']"), target_position={"x": 20, "y": 2}
    )
    layers = python_answers(page)
    assert [x["type"] for x in layers] == ["Linear", "Dropout", "ReLU", "Linear"]
    assert page.locator("[data-layer-index='0'] .dlp-layer-shape").inner_text() == "[10]"
    assert page.locator(".dlp-total").inner_text() == "Total trainable parameters: 83"  # 4*10+10 + 10*3+3
    assert "Moved ReLU to position 3" in page.locator(".dlp-live").inner_text()
    screenshot(page, "builder-static-dragged")
    assert page.js_errors == []


def test_keyboard_alone_builds_moves_and_deletes(harness):
    page = open_builder(harness, input_shape=(1, 8, 8))
    page.locator("[data-layer-type=Conv2d]").focus()
    page.keyboard.press("Enter")
    added = python_answers(page)
    assert added == [{"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}]
    assert page.locator("[data-layer-index='0'] .dlp-layer-shape").inner_text() == "[8, 8, 8]"
    assert page.evaluate("document.activeElement.getAttribute('data-layer-index')") == "0"
    page.locator("[data-layer-type=Flatten]").focus()
    page.keyboard.press("Enter")
    python_answers(page)
    page.locator("[data-layer-type=Linear]").focus()
    page.keyboard.press("Enter")
    python_answers(page)
    page.locator("[data-layer-type=ReLU]").focus()
    page.keyboard.press("Enter")  # after the selected layer (the Linear)
    python_answers(page)
    assert types(page) == ["Conv2d", "Flatten", "Linear", "ReLU"]
    page.locator("[data-layer-index='3']").focus()
    page.keyboard.press("Alt+ArrowUp")
    python_answers(page)
    assert types(page) == ["Conv2d", "Flatten", "ReLU", "Linear"]
    assert "Moved ReLU to position 3 of 4" in page.locator(".dlp-live").inner_text()
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('data-layer-index')") == "1"
    page.keyboard.press("Delete")
    python_answers(page)
    assert types(page) == ["Conv2d", "ReLU", "Linear"]
    assert "Deleted Flatten" in page.locator(".dlp-live").inner_text()
    # without the Flatten the Linear acts on the last dimension: a warning in place, not an error
    assert "add a Flatten" in page.locator("[data-layer-index='2']").inner_text()
    page.keyboard.press("Control+z")
    python_answers(page)
    assert types(page) == ["Conv2d", "Flatten", "ReLU", "Linear"]
    page.keyboard.press("Control+Shift+z")
    python_answers(page)
    assert types(page) == ["Conv2d", "ReLU", "Linear"]
    assert page.js_errors == []


def test_focus_moves_with_the_key_press_not_with_the_kernels_reply(harness):
    """The new layer takes focus at once; when the kernel's reply arrives after the user has
    gone back to the palette, it must not pull focus away (their next Enter would be lost)."""
    page = open_builder(harness, input_shape=(1, 8, 8))
    page.locator("[data-layer-type=Conv2d]").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('data-layer-index')") == "0"
    page.locator("[data-layer-type=ReLU]").focus()
    python_answers(page)  # the reply to the first Enter, late
    assert page.evaluate("document.activeElement.getAttribute('data-layer-type')") == "ReLU"
    page.keyboard.press("Enter")
    python_answers(page)
    assert types(page) == ["Conv2d", "ReLU"]
    assert page.js_errors == []


def test_parameter_edits_are_checked_and_errors_shown_in_place(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 3}}, {"type": "ReLU"}])
    page.locator("[data-layer-index='0']").click()
    box = page.locator("[data-param=out_features] input")
    assert box.get_attribute("min") == "1" and box.get_attribute("max") == "100000"
    assert "(1 to 100000)" in page.locator("[data-param=out_features] .dlp-param-help").inner_text()
    box.fill("0")
    box.press("Enter")
    assert "between 1 and 100000" in page.locator("[data-param=out_features] .dlp-param-msg").inner_text()
    assert page.evaluate("window.__model._state.layers[0].params.out_features") == 3  # refused: nothing sent
    box.fill("7")
    box.press("Enter")
    python_answers(page)
    assert page.locator("[data-layer-index='0'] .dlp-layer-shape").inner_text() == "[7]"
    # an inferred size that does not match: the error appears on its layer and parameter
    page.locator("[data-param=in_features] input").fill("5")
    page.locator("[data-param=in_features] input").press("Enter")
    python_answers(page)
    assert "expects in_features=5" in page.locator("[data-layer-index='0'] .dlp-layer-error").inner_text()
    assert "expects in_features=5" in page.locator("[data-param=in_features] .dlp-param-msg").inner_text()
    # the doc panel shows the selected layer's doc from the catalogue
    assert "y = x·Wᵀ + b" in page.locator(".dlp-doc-formula").inner_text()
    screenshot(page, "builder-static-error")
    assert page.js_errors == []


def test_duplicate_and_python_side_changes(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 10}}])
    page.locator("[data-layer-index='0'] .dlp-tool-duplicate").click()
    python_answers(page)
    assert types(page) == ["Linear", "Linear"]
    page.evaluate(
        "s => { window.__model._pyset('layers', s.layers); window.__model._pyset('report', s.report); }",
        {"layers": [{"type": "Tanh"}], "report": infer({"input_shape": [4], "layers": [{"type": "Tanh"}]}).to_dict()},
    )
    assert types(page) == ["Tanh"]


def test_a_missing_required_parameter_is_shown_in_place_and_asked_for(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 3}}, {"type": "Linear"}])
    assert "needs out_features" in page.locator("[data-layer-index='1'] .dlp-layer-error").inner_text()
    page.locator("[data-layer-index='1']").click()
    box = page.locator("[data-param=out_features] input")
    assert box.input_value() == "" and box.get_attribute("placeholder") == "required"
    assert "needs out_features" in page.locator("[data-param=out_features] .dlp-param-msg").inner_text()
    box.fill("4")
    box.press("Enter")
    python_answers(page)
    assert page.locator("[data-layer-index='1'] .dlp-layer-shape").inner_text() == "[4]"
    page.locator("[data-param=out_features] input").fill("")
    page.locator("[data-param=out_features] input").press("Enter")  # refused: torch has no default
    assert "required" in page.locator("[data-param=out_features] .dlp-param-msg").inner_text()
    assert page.evaluate("window.__model._state.layers[1].params.out_features") == 4
    assert page.js_errors == []


def test_render_time_of_100_layers(harness):
    layers = [{"type": "Linear", "params": {"out_features": 16}}, {"type": "ReLU"}] * 50
    page = open_builder(harness, layers)
    report = infer({"input_shape": [4], "layers": layers}).to_dict()
    ms = page.evaluate(
        """r => {
        const layers = window.__model._state.layers.slice().reverse();
        const t0 = performance.now();
        window.__model._pyset('layers', layers);  // a full re-render of 100 rows
        window.__model._pyset('report', r);       // and again with the new shapes
        return performance.now() - t0;
    }""",
        report,
    )
    assert page.locator(".dlp-layer").count() == 100
    print(json.dumps({"render_100_layers_ms": ms}))


def test_doc_panel_shows_the_wiki_page(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 10}}, {"type": "ReLU"}])
    page.locator("[data-layer-index='1']").click()
    assert "max(0, x)" in page.locator(".dlp-doc-formula").inner_text()
    assert "clips the outputs at zero" in page.locator(".dlp-doc-mistakes").inner_text()
    assert "gives [16]" in page.locator(".dlp-doc-example").inner_text()
    picture = page.locator(".dlp-doc-picture")
    assert picture.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('.dlp-doc-picture').naturalWidth") > 0  # the SVG really draws
    page.locator("[data-layer-type=Conv2d]").click()  # a palette item shows its page too
    assert (
        "3×3 filter" in page.locator(".dlp-doc-mistakes").inner_text()
        or page.locator(".dlp-doc-title").inner_text() == "Conv2d"
    )
    screenshot(page, "builder-static-docs")
    assert page.js_errors == []


def test_every_palette_layer_shows_and_the_filter_narrows_them(harness):
    page = open_builder(harness, [{"type": "Linear", "params": {"out_features": 3}}])
    box = page.locator(".dlp-palette-box").bounding_box()
    last = page.locator(".dlp-palette-item").last.bounding_box()
    assert last["y"] + last["height"] <= box["y"] + box["height"] + 1  # no inner scroll box hides any
    page.locator(".dlp-palette-filter").fill("pool")
    shown = [n for n in page.locator(".dlp-palette-item:visible").all_inner_texts()]
    assert shown == ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]
    assert page.locator(".dlp-palette-group:visible").all_inner_texts() in (["POOLING"], ["Pooling"])
    page.locator(".dlp-palette-filter").fill("relu")
    page.locator(".dlp-palette-filter").press("Enter")  # adds the first match
    assert python_answers(page)[-1]["type"] == "ReLU"
    page.locator(".dlp-palette-filter").press("Escape")
    assert page.locator(".dlp-palette-item:visible").count() == len(palette())
    assert page.js_errors == []


def test_clear_empties_the_model_and_undo_brings_it_back(harness):
    layers = [
        {"type": "Linear", "params": {"out_features": 8}},
        {"type": "ReLU"},
        {"type": "Linear", "params": {"out_features": 10}},
    ]
    page = open_builder(harness, layers)
    page.locator(".dlp-clear").click()
    assert python_answers(page) == []
    assert "Cleared the model: 3 layers removed" in page.locator(".dlp-live").inner_text()
    assert page.locator(".dlp-clear").is_disabled()
    page.locator(".dlp-undo").click()
    assert python_answers(page) == layers
    assert page.js_errors == []
