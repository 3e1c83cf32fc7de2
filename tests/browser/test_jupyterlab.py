"""The whole loop in a real JupyterLab and Notebook 7: browser → kernel → browser."""

import time

import numpy as np
import onnxruntime as ort
import pytest

from conftest import open_tab, real_errors, screenshot, set_number, tall_screenshot

pytestmark = pytest.mark.browser


def playground_notebook(server, name, extra=""):
    return server.write_notebook(
        name,
        [
            f"import os\nos.environ['DLP_HOME'] = {str(server.dlp_home)!r}\nimport dlp_widgets as dlp{extra}",
            "pg = dlp.Playground()\npg",
        ],
    )


def palette_item(page, name):
    """A palette entry, found as a person finds it in the long palette: by the filter box."""
    page.locator(".dlp-builder .dlp-palette-filter").fill(name)
    return page.locator(f".dlp-builder [data-layer-type={name}]")


def layer_types(page):
    return page.locator(".dlp-playground .dlp-model .dlp-layer .dlp-layer-type").all_inner_texts()


def test_playground_in_jupyterlab(lab, page):
    name = playground_notebook(lab, "playground.ipynb")
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-playground", timeout=120_000)
    page.wait_for_selector(".dlp-playground .dlp-preview")  # the data step shows Iris
    tall_screenshot(page, "lab-playground-data", ".dlp-playground")

    # -- the model step: the default model fits Iris; drag three layers in and reorder one
    open_tab(page, "3 · Model")
    page.wait_for_selector(".dlp-builder .dlp-layer")
    assert layer_types(page) == ["Linear", "ReLU", "Linear"]
    model = page.locator(".dlp-builder .dlp-model")
    palette_item(page, "Dropout").drag_to(
        page.locator(".dlp-builder [data-layer-index='2']"), target_position={"x": 30, "y": 2}
    )
    page.wait_for_function("document.querySelectorAll('.dlp-builder .dlp-layer').length === 4")
    palette_item(page, "BatchNorm1d").drag_to(
        page.locator(".dlp-builder [data-layer-index='1']"), target_position={"x": 30, "y": 2}
    )
    page.wait_for_function("document.querySelectorAll('.dlp-builder .dlp-layer').length === 5")
    box = model.bounding_box()
    palette_item(page, "GELU").drag_to(model, target_position={"x": 30, "y": box["height"] - 4})  # at the end
    page.wait_for_function("document.querySelectorAll('.dlp-builder .dlp-layer').length === 6")
    # the output shape of a new layer comes from Python's shape inference
    page.wait_for_function(
        "document.querySelector(\".dlp-builder [data-layer-index='5'] .dlp-layer-shape\").textContent === '[3]'"
    )
    page.locator(".dlp-builder [data-layer-index='5']").drag_to(
        page.locator(".dlp-builder [data-layer-index='0']"), target_position={"x": 30, "y": 2}
    )
    page.wait_for_function(
        "document.querySelector(\".dlp-builder [data-layer-index='0'] .dlp-layer-type\").textContent === 'GELU'"
    )
    assert layer_types(page) == ["GELU", "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]

    # -- edit a parameter: shapes and the total update from Python
    page.locator(".dlp-builder [data-layer-index='1']").click()
    box = page.locator(".dlp-builder [data-param=out_features] input")
    t0 = time.monotonic()
    box.fill("64")
    box.press("Enter")
    page.wait_for_function(
        "document.querySelector(\".dlp-builder [data-layer-index='1'] .dlp-layer-shape\").textContent === '[64]'"
    )
    round_trip_ms = (time.monotonic() - t0) * 1000
    # 4·64+64 (Linear) + 2·64 (BatchNorm1d) + 64·3+3 (Linear) = 643
    page.wait_for_function("document.querySelector('.dlp-builder .dlp-total').textContent.includes(': 643')")
    print(f"edit round trip browser → Python → browser: {round_trip_ms:.0f} ms")
    tall_screenshot(page, "lab-builder", ".dlp-builder")

    # -- keys typed in the widget never reach notebook shortcuts
    cells_before = page.locator(".jp-Notebook .jp-Cell").count()
    page.locator(".dlp-builder [data-layer-index='0']").focus()
    for key in ("a", "b", "m", "x"):
        page.keyboard.press(key)
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells_before

    # -- keyboard alone: delete the GELU, the Dropout, add a Tanh from the palette
    page.locator(".dlp-builder [data-layer-index='0']").focus()
    page.keyboard.press("Delete")
    page.wait_for_function("document.querySelectorAll('.dlp-builder .dlp-layer').length === 5")
    page.locator(".dlp-builder [data-layer-index='3']").focus()
    page.keyboard.press("Delete")
    page.wait_for_function("document.querySelectorAll('.dlp-builder .dlp-layer').length === 4")
    assert layer_types(page) == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert "Deleted Dropout" in page.locator(".dlp-builder .dlp-live").inner_text()

    # -- train a few epochs: curves gain points, the confusion matrix appears
    open_tab(page, "2 · Parameters")
    set_number(page, "Epochs", 6)
    open_tab(page, "4 · Review")
    page.wait_for_selector(".dlp-review")
    page.locator(".dlp-train").click()
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=120_000)
    heat_cells = page.locator(".dlp-dashboard .bqplot .heatmapcell, .dlp-dashboard .bqplot rect.heatmapcell")
    page.wait_for_function("document.querySelectorAll('.dlp-dashboard .heatmapcell').length >= 9")
    assert heat_cells.count() >= 9
    assert "finished after 6 epoch(s)" in page.locator(".dlp-dashboard").inner_text()
    tall_screenshot(page, "lab-dashboard", ".dlp-dashboard")

    # -- export ONNX and load it with onnxruntime
    page.locator(".dlp-dashboard .dlp-export-onnx").click()
    page.wait_for_selector(".dlp-dashboard .dlp-export-path")
    path = page.locator(".dlp-dashboard .dlp-export-path").inner_text()
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: np.zeros((2, 4), dtype=np.float32)})[0]
    assert out.shape == (2, 3)
    # and with the preprocessing inside: raw measurements in, species names out
    page.locator(".dlp-dashboard .dlp-export-onnx-pipeline").click()
    page.wait_for_selector(".dlp-dashboard .dlp-export-result:has-text('ONNX with preprocessing')")
    path = page.locator(".dlp-dashboard .dlp-export-path").first.inner_text()
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    raw = {"sepal_length": [5.1, 6.7], "sepal_width": [3.5, 3.0], "petal_length": [1.4, 5.2], "petal_width": [0.2, 2.3]}
    labels = session.run(["label"], {k: np.array(v, dtype=np.float32).reshape(-1, 1) for k, v in raw.items()})[0]
    assert list(labels) == ["setosa", "virginica"]

    # -- a long run, stopped from the browser
    open_tab(page, "2 · Parameters")
    set_number(page, "Epochs", 100000)
    set_number(page, "Batch size", 2)
    page.locator(".dlp-train").click()
    try:
        page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='running']", timeout=60_000)
    except Exception:
        screenshot(page, "lab-long-run-failed")
        raise AssertionError(page.locator(".dlp-playground").inner_text()[-1500:]) from None
    page.wait_for_function("document.querySelector('.dlp-dashboard').textContent.includes('batch ')")
    t0 = time.monotonic()
    page.locator(".dlp-dashboard .dlp-stop").click()
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='stopped']", timeout=10_000)
    stop_seconds = time.monotonic() - t0
    print(f"stop click → status stopped: {stop_seconds:.2f} s")
    assert stop_seconds < 1.0
    screenshot(page, "lab-stopped")
    assert real_errors(page.js_errors) == []


def test_builder_in_notebook7(notebook7, page):
    name = notebook7.write_notebook(
        "builder.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {str(notebook7.dlp_home)!r}\nimport dlp_widgets as dlp",
            "b = dlp.LayerBuilder({'input_shape': [1, 8, 8], 'layers': []})\nb",
        ],
    )
    notebook7.open(page, name)
    notebook7.run_all(page)
    page.wait_for_selector(".dlp-builder .dlp-palette-item", timeout=120_000)
    for count, layer in enumerate(("Conv2d", "ReLU", "Flatten", "Linear"), start=1):
        page.locator(f".dlp-builder [data-layer-type={layer}]").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelectorAll('.dlp-builder .dlp-layer').length === {count}")
    try:
        page.wait_for_function("document.querySelector('.dlp-builder .dlp-total').textContent.includes('5,210')")
    except Exception:
        screenshot(page, "notebook7-failed")
        raise AssertionError(page.locator(".dlp-builder").inner_text()) from None
    page.wait_for_function(
        "document.querySelector('.dlp-builder .dlp-total').textContent.includes('5,210')"
    )  # 80 + 512*10+10
    assert page.locator(".dlp-builder [data-layer-index='2'] .dlp-layer-shape").inner_text() == "[512]"
    screenshot(page, "notebook7-builder")
    assert real_errors(page.js_errors) == []


def test_lesson_widgets_in_notebook7(notebook7, page):
    """A question answered, an exercise checked on a real run, the progress view updated: all by the kernel."""
    name = notebook7.write_notebook(
        "lesson.ipynb",
        [
            f"import os\nos.environ['DLP_HOME'] = {str(notebook7.dlp_home)!r}\nimport dlp_widgets as dlp",
            "spec = {'model': {'input_shape': [13], 'layers': [{'type': 'Linear', 'params': {'out_features': 16}},"
            " {'type': 'ReLU'}, {'type': 'Linear', 'params': {'out_features': 3}}]},"
            " 'data': {'source': 'builtin:wine'}, 'training': {'epochs': 15}}\n"
            "run = dlp.train(spec, name='my wine model')",
            'dlp.question("intro-nn/output-size")',
            'dlp.exercise("wine-90")',
            "dlp.progress()",
        ],
    )
    notebook7.open(page, name)
    notebook7.run_all(page)
    page.wait_for_selector(".dlp-progress-table", timeout=120_000)
    quiz = page.locator(".dlp-quiz")
    quiz.locator(".dlp-quiz-choice").nth(1).click()
    quiz.locator(".dlp-quiz-check").click()
    page.wait_for_selector(".dlp-quiz-right")
    assert "One score" in quiz.locator(".dlp-quiz-message").inner_text()
    intro = page.locator(".dlp-progress-table tr[data-lesson='intro-nn']")
    page.wait_for_function(
        "document.querySelector(\".dlp-progress-table tr[data-lesson='intro-nn']\").innerText.includes('1 / 4')"
    )
    page.locator(".dlp-exercise button", has_text="Check my run").click()
    verdict = page.locator(".dlp-exercise-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-passed") == "true", verdict.inner_text()
    assert "my wine model" in verdict.inner_text()
    page.wait_for_function(
        "document.querySelector(\".dlp-progress-table tr[data-lesson='intro-nn']\").innerText.includes('1 / 1')"
    )
    assert "1 / 4" in intro.inner_text()
    screenshot(page, "notebook7-lesson")
    assert real_errors(page.js_errors) == []
