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
    """The node types on the builder's canvas, in the graph's list order (the input left out)."""
    return page.locator(".dlp-playground .dlp-graph .dlp-node:not(.dlp-node-input) .dlp-node-type").all_inner_texts()


def builder_node(page, node_id):
    return page.locator(f'.dlp-builder .dlp-graph [data-node-id="{node_id}"]')


def drop_on_edge(page, item, edge):
    """A palette item dropped on the middle of an edge of the builder's canvas."""
    point = page.evaluate(
        """name => {
        const path = document.querySelector(`.dlp-builder [data-edge="${name}"]`);
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        const m = path.getScreenCTM();
        const canvas = path.closest('.dlp-graph').getBoundingClientRect();
        return {x: m.a * p.x + m.c * p.y + m.e - canvas.left, y: m.b * p.x + m.d * p.y + m.f - canvas.top};
    }""",
        edge,
    )
    item.drag_to(page.locator(".dlp-builder .dlp-graph"), target_position=point)


def count_nodes(n):
    return f"document.querySelectorAll('.dlp-builder .dlp-graph .dlp-node:not(.dlp-node-input)').length === {n}"


def test_playground_in_jupyterlab(lab, page):
    name = playground_notebook(lab, "playground.ipynb")
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-playground", timeout=120_000)
    page.wait_for_selector(".dlp-playground .dlp-preview")  # the data step shows Iris
    tall_screenshot(page, "lab-playground-data", ".dlp-playground")

    # -- the model step: the default model fits Iris (nodes named as nn.Sequential names
    # them: 0, 1, 2); drop three layers on the canvas: on an edge, on a node, after the selection
    open_tab(page, "3 · Model")
    page.wait_for_selector('.dlp-builder .dlp-graph [data-node-id="2"]')
    assert layer_types(page) == ["Linear", "ReLU", "Linear"]
    drop_on_edge(page, palette_item(page, "Dropout"), "1->2:0")
    page.wait_for_function(count_nodes(4))
    palette_item(page, "BatchNorm1d").drag_to(builder_node(page, "0"))  # after that node
    page.wait_for_function(count_nodes(5))
    builder_node(page, "2").click()
    palette_item(page, "GELU").drag_to(page.locator(".dlp-builder .dlp-graph"), target_position={"x": 12, "y": 12})
    page.wait_for_function(count_nodes(6))
    # the output shape of a new node comes from Python's shape inference
    page.wait_for_function(
        "document.querySelector('.dlp-builder [data-node-id=\"gelu1\"] .dlp-node-shape').textContent === '[3]'"
    )
    assert layer_types(page) == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "GELU"]

    # -- edit a parameter: shapes and the total update from Python
    builder_node(page, "0").click()
    box = page.locator(".dlp-builder [data-param=out_features] input")
    t0 = time.monotonic()
    box.fill("64")
    box.press("Enter")
    page.wait_for_function(
        "document.querySelector('.dlp-builder [data-node-id=\"0\"] .dlp-node-shape').textContent === '[64]'"
    )
    round_trip_ms = (time.monotonic() - t0) * 1000
    # 4·64+64 (Linear) + 2·64 (BatchNorm1d) + 64·3+3 (Linear) = 643
    page.wait_for_function("document.querySelector('.dlp-builder .dlp-total').textContent.includes(': 643')")
    print(f"edit round trip browser → Python → browser: {round_trip_ms:.0f} ms")
    tall_screenshot(page, "lab-builder", ".dlp-builder")

    # -- keys typed in the widget never reach notebook shortcuts
    cells_before = page.locator(".jp-Notebook .jp-Cell").count()
    builder_node(page, "0").focus()
    for key in ("a", "b", "m", "x"):
        page.keyboard.press(key)
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells_before

    # -- keyboard alone: delete the GELU and the Dropout; the model is a chain again
    builder_node(page, "gelu1").focus()
    page.keyboard.press("Delete")
    page.wait_for_function(count_nodes(5))
    builder_node(page, "dropout1").focus()
    page.keyboard.press("Delete")
    page.wait_for_function(count_nodes(4))
    assert layer_types(page) == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert "Deleted Dropout" in page.locator(".dlp-builder .dlp-live").inner_text()
    page.wait_for_function("document.querySelector('.dlp-builder .dlp-kind').textContent === 'a chain'")

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
        page.wait_for_function(count_nodes(count))
    try:
        page.wait_for_function("document.querySelector('.dlp-builder .dlp-total').textContent.includes('5,210')")
    except Exception:
        screenshot(page, "notebook7-failed")
        raise AssertionError(page.locator(".dlp-builder").inner_text()) from None
    page.wait_for_function(
        "document.querySelector('.dlp-builder .dlp-total').textContent.includes('5,210')"
    )  # 80 + 512*10+10
    assert builder_node(page, "flatten1").locator(".dlp-node-shape").inner_text() == "[512]"
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


# ---------------------------------------------------------------- the graph builder in a cell

RESIDUAL = ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "Add"]
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def builder_notebook(server, name, *cells):
    return server.write_notebook(
        name,
        [f"import os\nos.environ['DLP_HOME'] = {str(server.dlp_home)!r}\nimport dlp_widgets as dlp", *cells],
    )


def open_builder_cell(server, page, name):
    page.set_viewport_size({"width": 1280, "height": 1200})  # the palette and the canvas at once
    server.open(page, name)
    server.run_all(page)
    try:
        page.wait_for_selector(".dlp-builder .dlp-graph .dlp-node", timeout=120_000)
    except Exception:
        screenshot(page, f"{name}-failed")
        raise AssertionError(page.locator(".jp-Notebook").inner_text()[-2000:]) from None


def node_text(page, node_id, part="shape"):
    """JavaScript for the text of one part of a node (its shape, its error): for wait_for_function."""
    return f"document.querySelector('.dlp-builder [data-node-id=\"{node_id}\"] .dlp-node-{part}')?.textContent"


def drag_port(page, start, end):
    """Press on one port, move, release on another: what a person does with a mouse."""
    start.scroll_into_view_if_needed()
    a, b = start.bounding_box(), end.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()


def test_residual_block_with_the_mouse_in_jupyterlab(lab, page):
    name = builder_notebook(lab, "residual-mouse.ipynb", "b = dlp.LayerBuilder(input_shape=[8, 8, 8])\nb")
    open_builder_cell(lab, page, name)
    canvas = page.locator(".dlp-builder .dlp-graph")
    for count, layer in enumerate(RESIDUAL, start=1):
        palette_item(page, layer).drag_to(canvas, target_position={"x": 12, "y": 12})  # after the new node
        page.wait_for_function(count_nodes(count))
    page.wait_for_function(f"({node_text(page, 'add1', 'error')} || '').includes('two or more inputs')")
    # the skip: from the input's output port to the Add's free input port
    drag_port(
        page,
        builder_node(page, "x").locator("[data-port=out]"),
        builder_node(page, "add1").locator("[data-port='in:1']"),
    )
    page.wait_for_selector('.dlp-builder [data-edge="x->add1:1"]')
    page.wait_for_function(f"{node_text(page, 'add1')} === '[8, 8, 8]'")  # the kernel's shape inference
    assert builder_node(page, "add1").locator(".dlp-node-error").count() == 0
    page.wait_for_function("document.querySelector('.dlp-builder .dlp-kind').textContent === 'a graph'")
    tall_screenshot(page, "lab-graph-residual", ".dlp-builder")
    assert real_errors(page.js_errors) == []


def test_an_invalid_merge_shows_the_error_on_the_node_in_jupyterlab(lab, page):
    graph = {
        "inputs": [{"id": "x", "shape": [3, 8, 8]}],
        "nodes": [
            {"id": "conv2d1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"id": "relu1", "type": "ReLU"},
            {"id": "add1", "type": "Add", "inputs": ["relu1"]},
        ],
    }
    name = builder_notebook(lab, "invalid-merge.ipynb", f"b = dlp.LayerBuilder({graph!r})\nb")
    open_builder_cell(lab, page, name)
    # 3 channels of the input added to the 8 the Conv2d makes
    drag_port(
        page,
        builder_node(page, "x").locator("[data-port=out]"),
        builder_node(page, "add1").locator("[data-port='in:1']"),
    )
    page.wait_for_function(f"({node_text(page, 'add1', 'error')} || '').includes('cannot broadcast')")
    assert "dlp-invalid" in builder_node(page, "add1").get_attribute("class")
    assert builder_node(page, "relu1").locator(".dlp-node-error").count() == 0
    screenshot(page, "lab-graph-invalid-merge", ".dlp-builder")
    assert real_errors(page.js_errors) == []


def test_resnet18_imported_in_a_cell_is_expanded_and_edited(lab, page):
    name = builder_notebook(
        lab,
        "resnet18.ipynb",
        "import torchvision\nb = dlp.LayerBuilder.from_torch(torchvision.models.resnet18(), [3, 224, 224])\nb",
    )
    open_builder_cell(lab, page, name)
    blocks = page.locator(".dlp-builder .dlp-graph [data-block]")
    assert blocks.count() == 4 and builder_node(page, "layer1.0.conv1").count() == 0
    assert "[64, 56, 56] → [64, 56, 56]" in page.locator('.dlp-builder [data-block="layer1"]').inner_text()
    page.locator('.dlp-builder [data-block="layer1"]').click()  # expands
    page.wait_for_function(f"{node_text(page, 'layer1.0.add')} === '[64, 56, 56]'")
    # the stem's Conv2d stride from 2 to 1: the kernel re-infers every shape downstream
    builder_node(page, "conv1").click()
    box = page.locator(".dlp-builder [data-param=stride] input")
    box.fill("1")
    box.press("Enter")
    page.wait_for_function(f"{node_text(page, 'conv1')} === '[64, 224, 224]'")
    page.wait_for_function(f"{node_text(page, 'layer1.0.add')} === '[64, 112, 112]'")
    page.wait_for_function(
        "document.querySelector('.dlp-builder [data-block=\"layer4\"]').textContent.includes('[512, 14, 14]')"
    )
    assert real_errors(page.js_errors) == []


def test_resnet50_imported_in_a_cell_opens_collapsed(lab, page):
    name = builder_notebook(
        lab,
        "resnet50.ipynb",
        "import torchvision\nb = dlp.LayerBuilder.from_torch(torchvision.models.resnet50(), [3, 224, 224])\nb",
    )
    open_builder_cell(lab, page, name)
    assert page.locator(".dlp-builder .dlp-graph [data-block]").count() == 4
    assert "25,557,032" in page.locator(".dlp-builder .dlp-total").inner_text()  # torchvision's count
    builder_node(page, "fc").click()  # its parameters and doc beside the canvas
    page.locator(".dlp-builder .dlp-fit").click()  # the whole network in view
    tall_screenshot(page, "lab-graph-resnet50", ".dlp-builder")
    assert real_errors(page.js_errors) == []


def test_residual_model_trains_on_the_digits_from_the_playground(lab, page):
    spec = str(ROOT / "examples" / "residual.json")
    name = builder_notebook(
        lab,
        "residual-train.ipynb",
        f"import json\nspec = json.load(open({spec!r}))\nspec['training']['epochs'] = 2\npg = dlp.Playground(spec=spec)\npg",
    )
    page.set_viewport_size({"width": 1280, "height": 1200})
    lab.open(page, name)
    lab.run_all(page)
    page.wait_for_selector(".dlp-playground", timeout=120_000)
    open_tab(page, "3 · Model")
    page.wait_for_selector('.dlp-playground [data-node-id="block1.add"]')
    assert page.locator('.dlp-playground [data-edge="stem_relu->block1.add:1"]').count() == 1
    assert page.locator(".dlp-playground .dlp-kind").inner_text() == "a graph"
    tall_screenshot(page, "lab-graph-residual-playground", ".dlp-builder")
    open_tab(page, "4 · Review")
    page.wait_for_selector(".dlp-review")
    page.locator(".dlp-train").click()
    page.wait_for_selector(".dlp-dashboard .dlp-status[data-status='finished']", timeout=240_000)
    assert "finished after 2 epoch(s)" in page.locator(".dlp-dashboard").inner_text()
    assert real_errors(page.js_errors) == []


@pytest.mark.parametrize("flavor", ["notebook7", "lab"])
def test_residual_block_by_keyboard(flavor, request, page):
    server = request.getfixturevalue(flavor)  # Notebook 7 reads keys before the widget can stop them
    name = builder_notebook(server, "residual-keys.ipynb", "b = dlp.LayerBuilder(input_shape=[8, 8, 8])\nb")
    open_builder_cell(server, page, name)
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    for count, layer in enumerate(RESIDUAL, start=1):
        page.locator(f".dlp-builder [data-layer-type={layer}]").focus()
        page.keyboard.press("Enter")  # after the selected node: the one just added
        page.wait_for_function(count_nodes(count))
    page.keyboard.press("Home")  # focus on the input
    page.keyboard.press("c")  # connect its output into… (in a notebook, c would copy a cell)
    option = page.locator(".dlp-builder .dlp-connect-option").first
    assert option.inner_text() == "Add add1: new input 2"
    page.keyboard.press("Enter")
    page.wait_for_selector('.dlp-builder [data-edge="x->add1:1"]')
    page.wait_for_function(f"{node_text(page, 'add1')} === '[8, 8, 8]'")
    assert "Connected x to add1, input 2" in page.locator(".dlp-builder .dlp-live").inner_text()
    # Enter, c, Home and the rest stayed in the widget: no cell added, none in edit mode
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert page.evaluate("document.activeElement.closest('.dlp-builder') !== null")
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0
    screenshot(page, f"{flavor}-graph-residual-keys", ".dlp-builder")
    assert real_errors(page.js_errors) == []
