"""The built LayerBuilder ESM in Chromium with a stand-in model: the canvas of nodes and
edges, built by mouse and by keyboard. Python's shape inference answers each edit as the
kernel would (``python_answers``)."""

import json

import pytest

from conftest import screenshot
from dlp_widgets.spec.block_templates import TEMPLATES as BLOCK_TEMPLATES
from dlp_widgets.widgets.builder import LayerBuilder, _catalogue_with_pages, builder_report

pytestmark = pytest.mark.browser
CATALOGUE = _catalogue_with_pages()  # the palette's layers, then the merges and operations
TEMPLATES = [t.to_dict() for t in BLOCK_TEMPLATES.values()]


def python_answers(page):
    """Do what the kernel does after each edit: answer what the browser sent (a block asked
    for: a LayerBuilder in this process makes it, or refuses it in words), check the graph
    and send the report."""
    for message in page.evaluate("window.__model._log.sent.splice(0)"):
        builder = LayerBuilder(page.evaluate("window.__model._state.graph"))
        replies = []
        builder.send = lambda content, buffers=None, replies=replies: replies.append(content)
        builder._on_browser_message(builder, message, [])
        if replies:
            for reply in replies:
                page.evaluate("m => window.__model._pymsg(m)", reply)
        else:
            page.evaluate(
                "([g, s]) => { window.__model._pyset('graph', g); window.__model._pyset('selected', s); }",
                [builder.graph, builder.selected],
            )
    graph = page.evaluate("window.__model._state.graph")
    page.evaluate("r => window.__model._pyset('report', r)", builder_report(graph))
    return graph


def graph_of(nodes=(), input_shape=(4,)):
    return {"inputs": [{"id": "x", "shape": list(input_shape)}], "nodes": [dict(n) for n in nodes]}


def open_builder(harness, nodes=(), input_shape=(4,), graph=None, collapsed=()):
    graph = graph if graph is not None else graph_of(nodes, input_shape)
    state = {
        "catalogue": CATALOGUE,
        "block_templates": TEMPLATES,
        "graph": graph,
        "selected": [],
        "collapsed": list(collapsed),
        "report": builder_report(graph),
    }
    page = harness("builder", state)
    # tall enough that the whole palette and the canvas show at once: a drag that has to
    # scroll the page on its way is not what is tested here
    page.set_viewport_size({"width": 1100, "height": 1100})
    return page


def node(page, node_id):
    return page.locator(f'.dlp-graph [data-node-id="{node_id}"]')


def shape(page, node_id):
    return node(page, node_id).locator(".dlp-node-shape").inner_text()


def nodes(page):
    return page.evaluate("window.__model._state.graph.nodes")


def types(page):
    return [n["type"] for n in nodes(page)]


def focused(page):
    return page.evaluate("document.activeElement.getAttribute('data-node-id')")


def live(page):
    return page.locator(".dlp-live").inner_text()


def centre(page, locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_port(page, start, end, steps=12):
    """Press on one port, move, release on another place: what a person does with a mouse."""
    page.mouse.move(*centre(page, start))
    page.mouse.down()
    x, y = end if isinstance(end, tuple) else centre(page, end)
    page.mouse.move(x, y, steps=steps)
    page.mouse.up()


def drop_on_canvas(page, layer, x=12, y=12):
    """A palette item dropped on the canvas at (x, y) from its corner: empty there."""
    page.locator(f"[data-layer-type={layer}]").drag_to(page.locator(".dlp-graph"), target_position={"x": x, "y": y})


def drop_on_edge(page, layer, edge):
    """A palette item dropped on the middle of an edge."""
    point = page.evaluate(
        """name => {
        const path = document.querySelector(`[data-edge="${name}"]`);
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        const m = path.getScreenCTM();
        const canvas = document.querySelector('.dlp-graph').getBoundingClientRect();
        return {x: m.a * p.x + m.c * p.y + m.e - canvas.left, y: m.b * p.x + m.d * p.y + m.f - canvas.top};
    }""",
        edge,
    )
    page.locator(f"[data-layer-type={layer}]").drag_to(page.locator(".dlp-graph"), target_position=point)


def test_palette_comes_from_the_catalogue_grouped_by_category(harness):
    page = open_builder(harness)
    items = page.locator(".dlp-builder .dlp-palette-item[data-layer-type]")
    assert items.count() == len(CATALOGUE)
    groups = [g.lower() for g in page.locator(".dlp-palette-group").all_inner_texts()]
    assert groups[:3] == ["core", "activations", "convolution"]
    assert "merge" in groups and groups.count("shape") == 1
    assert {"Add", "Mul", "Concat", "Mean"} <= set(items.all_inner_texts())
    assert items.nth(0).get_attribute("data-layer-type") == "Linear"
    assert node(page, "x").count() == 1 and node(page, "x").locator("[data-port=out]").count() == 1
    assert node(page, "x").locator("[data-port^='in:']").count() == 0
    assert page.js_errors == []


def test_a_chain_built_by_dragging_stays_a_chain(harness):
    page = open_builder(harness, [{"id": "linear1", "type": "Linear", "params": {"out_features": 3}}])
    drop_on_canvas(page, "ReLU")  # nothing selected: after the last node
    python_answers(page)
    node(page, "linear1").click()
    drop_on_canvas(page, "Dropout")  # after the selected node: between the Linear and the ReLU
    python_answers(page)
    node(page, "relu1").click()
    drop_on_canvas(page, "Linear")
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["linear1", "dropout1", "relu1", "linear2"]
    assert all("inputs" not in n for n in graph["nodes"]) and "outputs" not in graph
    assert graph["nodes"][3] == {"id": "linear2", "type": "Linear", "params": {"out_features": 10}}
    assert page.locator('[data-edge="linear1->dropout1:0"]').count() == 1
    assert page.locator('[data-edge="dropout1->relu1:0"]').count() == 1
    assert shape(page, "linear1") == "[3]" and shape(page, "linear2") == "[10]"
    assert page.locator(".dlp-total").inner_text() == "Total trainable parameters: 55"  # 4*3+3 + 3*10+10
    assert page.locator(".dlp-kind").inner_text() == "a chain"
    assert "Added Linear linear2 after relu1" in live(page)
    assert page.evaluate("window.__model._state.selected") == ["linear2"]
    screenshot(page, "builder-static-chain")
    assert page.js_errors == []


def test_keyboard_alone_builds_a_chain_and_walks_it(harness):
    page = open_builder(harness, input_shape=(1, 8, 8))
    page.locator("[data-layer-type=Conv2d]").focus()
    page.keyboard.press("Enter")
    graph = python_answers(page)
    assert graph["nodes"] == [
        {"id": "conv2d1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}
    ]
    assert shape(page, "conv2d1") == "[8, 8, 8]"
    assert focused(page) == "conv2d1"
    for layer in ("Flatten", "Linear", "ReLU"):
        page.locator(f"[data-layer-type={layer}]").focus()
        page.keyboard.press("Enter")  # after the selected node: the one just added
        python_answers(page)
    assert types(page) == ["Conv2d", "Flatten", "Linear", "ReLU"]
    assert all("inputs" not in n for n in nodes(page))
    assert shape(page, "flatten1") == "[512]"
    # arrows follow the edges: up to a source, down to a reader
    page.keyboard.press("ArrowUp")
    assert focused(page) == "linear1"
    page.keyboard.press("ArrowUp")
    assert focused(page) == "flatten1"
    page.keyboard.press("ArrowDown")
    assert focused(page) == "linear1"
    page.keyboard.press("Home")
    assert focused(page) == "x"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert focused(page) == "flatten1"
    page.keyboard.press("Delete")
    python_answers(page)
    assert types(page) == ["Conv2d", "Linear", "ReLU"]
    assert all("inputs" not in n for n in nodes(page))
    assert "Deleted Flatten flatten1" in live(page)
    # without the Flatten the Linear acts on the last dimension: a warning in place, not an error
    assert "add a Flatten" in node(page, "linear1").locator(".dlp-node-msg").text_content()
    page.keyboard.press("Control+z")
    python_answers(page)
    assert types(page) == ["Conv2d", "Flatten", "Linear", "ReLU"]
    page.keyboard.press("Control+Shift+z")
    python_answers(page)
    assert types(page) == ["Conv2d", "Linear", "ReLU"]
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    python_answers(page)
    assert types(page) == ["Conv2d", "Linear", "ReLU"]
    assert page.js_errors == []


def test_focus_moves_with_the_key_press_not_with_the_kernels_reply(harness):
    """The new node takes focus at once; when the kernel's reply arrives after the person has
    gone back to the palette, it must not pull focus away (their next Enter would be lost)."""
    page = open_builder(harness, input_shape=(1, 8, 8))
    page.locator("[data-layer-type=Conv2d]").focus()
    page.keyboard.press("Enter")
    assert focused(page) == "conv2d1"
    page.locator("[data-layer-type=ReLU]").focus()
    python_answers(page)  # the reply to the first Enter, late
    assert page.evaluate("document.activeElement.getAttribute('data-layer-type')") == "ReLU"
    page.keyboard.press("Enter")
    python_answers(page)
    assert types(page) == ["Conv2d", "ReLU"]
    assert page.js_errors == []


RESIDUAL = ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "Add"]


def test_a_residual_block_with_the_mouse_alone(harness):
    page = open_builder(harness, input_shape=(8, 8, 8))
    for layer in RESIDUAL:
        drop_on_canvas(page, layer)  # each after the one just added, which is selected
        python_answers(page)
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["conv2d1", "batchnorm2d1", "relu1", "conv2d2", "add1"]
    assert graph["nodes"][4]["inputs"] == ["conv2d2"]  # a merge names its inputs
    # a merge of one input is not finished: Python says so on the node
    assert "two or more inputs" in node(page, "add1").locator(".dlp-node-error").inner_text()
    assert node(page, "add1").locator("[data-port]").count() == 3  # input 1, a free input, the output
    # the skip edge: from the input's output port to the Add's free input port
    drag_port(page, node(page, "x").locator("[data-port=out]"), node(page, "add1").locator("[data-port='in:1']"))
    graph = python_answers(page)
    assert graph["nodes"][4] == {"id": "add1", "type": "Add", "inputs": ["conv2d2", "x"]}
    assert all("inputs" not in n for n in graph["nodes"][:4])  # the main path is still implicit
    assert page.locator('[data-edge="x->add1:1"]').count() == 1
    assert shape(page, "add1") == "[8, 8, 8]"
    assert node(page, "add1").locator(".dlp-node-error").count() == 0
    assert node(page, "add1").locator("[data-port='in:2']").count() == 1  # always one free port more
    assert "Connected x to add1, input 2" in live(page)
    assert page.locator(".dlp-kind").inner_text() == "a graph"
    # a ReLU after the Add, then a second block whose skip comes from an earlier node's output
    drop_on_canvas(page, "ReLU")
    python_answers(page)
    for layer in ("Conv2d", "Add"):
        drop_on_canvas(page, layer)
        python_answers(page)
    drag_port(page, node(page, "relu2").locator("[data-port=out]"), node(page, "add2").locator("[data-port='in:1']"))
    graph = python_answers(page)
    assert graph["nodes"][-1]["inputs"] == ["conv2d3", "relu2"]
    assert shape(page, "add2") == "[8, 8, 8]"
    assert page.locator(".dlp-output").inner_text() == "Output: [8, 8, 8]"
    screenshot(page, "builder-static-residual", ".dlp-builder")
    assert page.js_errors == []


def test_a_residual_block_with_the_keyboard_alone(harness):
    page = open_builder(harness, input_shape=(8, 8, 8))
    for layer in RESIDUAL:
        page.locator(f"[data-layer-type={layer}]").focus()
        page.keyboard.press("Enter")
        python_answers(page)
    assert focused(page) == "add1"
    page.keyboard.press("Home")  # the input
    assert focused(page) == "x"
    page.keyboard.press("c")  # connect its output into…
    menu = page.locator(".dlp-connect-menu")
    assert menu.locator(".dlp-connect-option").first.inner_text() == "Add add1: new input 2"
    assert page.evaluate("document.activeElement.getAttribute('data-target')") == "add1"
    page.keyboard.press("Enter")
    graph = python_answers(page)
    assert graph["nodes"][4]["inputs"] == ["conv2d2", "x"]
    assert shape(page, "add1") == "[8, 8, 8]"
    assert menu.count() == 0 and focused(page) == "add1"
    # Escape closes the list without connecting anything
    page.keyboard.press("ArrowUp")
    page.keyboard.press("c")
    page.keyboard.press("Escape")
    assert page.locator(".dlp-connect-menu").count() == 0 and focused(page) == "conv2d2"
    assert page.js_errors == []


def residual_graph(input_shape=(8, 8, 8)):
    return graph_of(
        [
            {"id": "conv2d1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"id": "relu1", "type": "ReLU"},
            {"id": "add1", "type": "Add", "inputs": ["relu1", "x"]},
        ],
        input_shape,
    )


def test_an_invalid_merge_shows_the_error_on_the_node(harness):
    page = open_builder(harness, graph=residual_graph((3, 8, 8)))  # 8 channels added to 3
    error = node(page, "add1").locator(".dlp-node-error")
    assert "cannot broadcast" in error.inner_text()
    assert node(page, "add1").get_attribute("class").count("dlp-invalid") == 1
    node(page, "add1").click()
    assert page.locator(".dlp-editor-title").inner_text() == "Add · add1"
    # a fix from the editor: the Conv2d makes 3 channels
    node(page, "conv2d1").click()
    page.locator("[data-param=out_channels] input").fill("3")
    page.locator("[data-param=out_channels] input").press("Enter")
    python_answers(page)
    assert shape(page, "add1") == "[3, 8, 8]" and error.count() == 0
    assert page.js_errors == []


def test_insert_on_an_edge(harness):
    chain = [{"id": "linear1", "type": "Linear", "params": {"out_features": 8}}, {"id": "relu1", "type": "ReLU"}]
    page = open_builder(harness, chain)
    drop_on_edge(page, "Dropout", "linear1->relu1:0")
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["linear1", "dropout1", "relu1"]
    assert all("inputs" not in n for n in graph["nodes"])  # still a chain
    assert "Inserted Dropout dropout1 between linear1 and relu1" in live(page)
    # on a skip edge of a graph: the new node reads the input, the Add reads the new node
    page = open_builder(harness, graph=residual_graph())
    drop_on_edge(page, "Conv2d", "x->add1:1")
    graph = python_answers(page)
    by_id = {n["id"]: n for n in graph["nodes"]}
    assert by_id["add1"]["inputs"] == ["relu1", "conv2d2"] and by_id["conv2d2"]["inputs"] == ["x"]
    assert by_id["relu1"].get("inputs") is None  # the main path reads as before
    assert shape(page, "conv2d2") == "[8, 8, 8]" and shape(page, "add1") == "[8, 8, 8]"
    assert page.js_errors == []


def test_disconnect_by_dragging_an_input_away(harness):
    page = open_builder(harness, graph=residual_graph())
    canvas = page.locator(".dlp-graph").bounding_box()
    drag_port(page, node(page, "add1").locator("[data-port='in:1']"), (canvas["x"] + 12, canvas["y"] + 12))
    graph = python_answers(page)
    assert graph["nodes"][2]["inputs"] == ["relu1"]
    assert page.locator('[data-edge="x->add1:1"]').count() == 0
    assert "Disconnected x from add1, input 2" in live(page)
    assert "two or more inputs" in node(page, "add1").locator(".dlp-node-error").inner_text()
    # and back, by dragging from the free input port to the input's output port
    drag_port(page, node(page, "add1").locator("[data-port='in:1']"), node(page, "x").locator("[data-port=out]"))
    graph = python_answers(page)
    assert graph["nodes"][2]["inputs"] == ["relu1", "x"]
    assert shape(page, "add1") == "[8, 8, 8]"
    assert page.js_errors == []


def test_delete_duplicate_undo_and_redo(harness):
    chain = [
        {"id": "linear1", "type": "Linear", "params": {"out_features": 8}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "linear2", "type": "Linear", "params": {"out_features": 3}},
    ]
    page = open_builder(harness, chain)
    node(page, "relu1").click()
    page.keyboard.press("Control+d")
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["linear1", "relu1", "relu2", "linear2"]
    assert all("inputs" not in n for n in graph["nodes"])
    assert focused(page) == "relu2"
    # two nodes at once: shift adds to the selection
    node(page, "relu1").click()
    node(page, "relu2").click(modifiers=["Shift"])
    assert page.evaluate("window.__model._state.selected") == ["relu1", "relu2"]
    page.keyboard.press("Delete")
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["linear1", "linear2"]
    assert all("inputs" not in n for n in graph["nodes"])
    assert shape(page, "linear2") == "[3]"
    page.locator(".dlp-undo").click()
    assert [n["id"] for n in python_answers(page)["nodes"]] == ["linear1", "relu1", "relu2", "linear2"]
    page.locator(".dlp-redo").click()
    assert [n["id"] for n in python_answers(page)["nodes"]] == ["linear1", "linear2"]
    # a residual block duplicated is repeated after itself
    page = open_builder(harness, graph=residual_graph())
    for i, node_id in enumerate(("conv2d1", "relu1", "add1")):
        node(page, node_id).click(modifiers=["Shift"] if i else None)
    page.keyboard.press("Control+d")
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["conv2d1", "relu1", "add1", "conv2d2", "relu2", "add2"]
    assert "inputs" not in graph["nodes"][3]  # the copy reads the Add before it: implicit
    assert graph["nodes"][5]["inputs"] == ["relu2", "add1"]
    assert page.locator(".dlp-output").inner_text() == "Output: [8, 8, 8]"
    assert builder_report(graph)["outputs"] == [{"id": "add2", "shape": [8, 8, 8]}]
    assert page.js_errors == []


def test_parameter_edits_are_checked_and_errors_shown_in_place(harness):
    page = open_builder(
        harness, [{"id": "linear1", "type": "Linear", "params": {"out_features": 3}}, {"id": "relu1", "type": "ReLU"}]
    )
    node(page, "linear1").click()
    box = page.locator("[data-param=out_features] input")
    assert box.get_attribute("min") == "1" and box.get_attribute("max") == "100000"
    assert "(1 to 100000)" in page.locator("[data-param=out_features] .dlp-param-help").inner_text()
    box.fill("0")
    box.press("Enter")
    assert "between 1 and 100000" in page.locator("[data-param=out_features] .dlp-param-msg").inner_text()
    assert nodes(page)[0]["params"]["out_features"] == 3  # refused: nothing sent
    box.fill("7")
    box.press("Enter")
    python_answers(page)
    assert shape(page, "linear1") == "[7]"
    # an inferred size that does not match: the error appears on its node and parameter
    page.locator("[data-param=in_features] input").fill("5")
    page.locator("[data-param=in_features] input").press("Enter")
    python_answers(page)
    assert "expects in_features=5" in node(page, "linear1").locator(".dlp-node-error").inner_text()
    assert "expects in_features=5" in page.locator("[data-param=in_features] .dlp-param-msg").inner_text()
    assert "y = x·Wᵀ + b" in page.locator(".dlp-doc-formula").inner_text()
    screenshot(page, "builder-static-error")
    assert page.js_errors == []


def test_a_missing_required_parameter_is_shown_in_place_and_asked_for(harness):
    page = open_builder(
        harness,
        [{"id": "linear1", "type": "Linear", "params": {"out_features": 3}}, {"id": "linear2", "type": "Linear"}],
    )
    assert "needs out_features" in node(page, "linear2").locator(".dlp-node-error").inner_text()
    node(page, "linear2").click()
    box = page.locator("[data-param=out_features] input")
    assert box.input_value() == "" and box.get_attribute("placeholder") == "required"
    box.fill("4")
    box.press("Enter")
    python_answers(page)
    assert shape(page, "linear2") == "[4]"
    page.locator("[data-param=out_features] input").fill("")
    page.locator("[data-param=out_features] input").press("Enter")  # refused: torch has no default
    assert "required" in page.locator("[data-param=out_features] .dlp-param-msg").inner_text()
    assert nodes(page)[1]["params"]["out_features"] == 4
    assert page.js_errors == []


def test_python_side_changes_redraw_the_canvas(harness):
    page = open_builder(harness, [{"id": "linear1", "type": "Linear", "params": {"out_features": 10}}])
    new = graph_of([{"id": "0", "type": "Tanh"}])
    page.evaluate(
        "s => { window.__model._pyset('graph', s.graph); window.__model._pyset('report', s.report); }",
        {"graph": new, "report": builder_report(new)},
    )
    assert node(page, "linear1").count() == 0 and shape(page, "0") == "[4]"
    assert page.js_errors == []


def test_doc_panel_shows_the_wiki_page(harness):
    page = open_builder(
        harness, [{"id": "linear1", "type": "Linear", "params": {"out_features": 10}}, {"id": "relu1", "type": "ReLU"}]
    )
    node(page, "relu1").click()
    assert "max(0, x)" in page.locator(".dlp-doc-formula").inner_text()
    assert "clips the outputs at zero" in page.locator(".dlp-doc-mistakes").inner_text()
    assert "gives [16]" in page.locator(".dlp-doc-example").inner_text()
    assert page.evaluate("document.querySelector('.dlp-doc-picture').naturalWidth") > 0  # the SVG really draws
    page.locator("[data-layer-type=Add]").click()  # a merge's page: formula, shape and when, no example
    assert page.locator(".dlp-doc-title").inner_text() == "Add"
    assert "x₁ + x₂" in page.locator(".dlp-doc-formula").inner_text()
    assert "broadcast" in page.locator(".dlp-doc-shape").inner_text()
    assert "skip connection" in page.locator(".dlp-doc-when").inner_text()
    screenshot(page, "builder-static-docs")
    assert page.js_errors == []


def test_every_palette_layer_shows_and_the_filter_narrows_them(harness):
    page = open_builder(harness, [{"id": "linear1", "type": "Linear", "params": {"out_features": 3}}])
    page.locator(".dlp-palette-filter").fill("maxpool")
    assert page.locator(".dlp-palette-item:visible").all_inner_texts() == ["MaxPool2d"]
    page.locator(".dlp-palette-filter").fill("merge")
    assert {"Add", "Mul", "Concat"} <= set(page.locator(".dlp-palette-item:visible").all_inner_texts())
    page.locator(".dlp-palette-filter").fill("relu")
    page.locator(".dlp-palette-filter").press("Enter")  # adds the first match
    assert python_answers(page)["nodes"][-1]["type"] == "ReLU"
    page.locator(".dlp-palette-filter").press("Escape")
    assert page.locator(".dlp-palette-item:visible").count() == len(CATALOGUE) + len(TEMPLATES)
    assert page.js_errors == []


def test_clear_empties_the_model_and_undo_brings_it_back(harness):
    chain = [{"id": "linear1", "type": "Linear", "params": {"out_features": 8}}, {"id": "relu1", "type": "ReLU"}]
    page = open_builder(harness, chain)
    page.locator(".dlp-clear").click()
    assert python_answers(page)["nodes"] == []
    assert "Cleared the model: 2 nodes removed" in live(page)
    assert page.locator(".dlp-clear").is_disabled()
    page.locator(".dlp-undo").click()
    assert python_answers(page)["nodes"] == chain
    assert page.js_errors == []


def test_the_wheel_scrolls_the_page_and_ctrl_wheel_zooms(harness):
    page = open_builder(harness, graph=residual_graph())
    page.set_viewport_size({"width": 1100, "height": 500})  # the page scrolls
    world = "getComputedStyle(document.querySelector('.dlp-graph-world')).transform"
    before = page.evaluate(world)
    page.mouse.move(*centre(page, page.locator(".dlp-graph")))
    page.mouse.wheel(0, 200)
    page.wait_for_function("window.scrollY > 0")
    assert page.evaluate(world) == before
    scrolled = page.evaluate("window.scrollY")
    page.mouse.move(*centre(page, page.locator(".dlp-graph")))
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)  # what a pinch outwards sends too
    page.keyboard.up("Control")
    page.wait_for_function(f"{world} !== {before!r}")
    assert page.evaluate("window.scrollY") == scrolled
    zoomed = page.evaluate(world)
    page.locator(".dlp-zoom-out").click()
    assert page.evaluate(world) != zoomed
    page.locator(".dlp-fit").click()
    assert node(page, "add1").is_visible()
    assert page.js_errors == []


# ---------------------------------------------------------------- every kind of parameter

KIND_SAMPLES = {  # kind: (min, max, values Python accepts)
    "int": (1, 100, [5]),
    "opt_int": (1, 100, [3, None]),
    "float": (0.0, 1.0, [0.25, 1e-05]),
    "bool": (None, None, [True, False]),
    "opt_bool": (None, None, [True, False, None]),
    "choice": (None, None, ["b"]),
    "size2": (1, 256, [3, [3, 5]]),
    "opt_size2": (1, 256, [None, 2, [2, 3]]),
    "padding": (0, 256, [0, [1, 2], "same", "valid"]),
    "padding1": (0, 256, [2, "same"]),
    "shape": (1, 10_000, [16, [16], [8, 8], [2, 3, 4]]),
    "opt_shape": (1, 4096, [None, 32, [32, 32]]),
    "floats": (0.0, 1.0, [[0.5], [0.1, 0.2, 0.3]]),
    "opt_scale": (0.0, 64.0, [None, 2, 1.5, [2], [2, 1.5]]),
    "dims": (-4, 3, [[0, 3, 1, 2], [2], [-1, 0]]),
}
REFUSED = [  # (kind, text) that Python's check refuses, so the editor must too
    ("size2", "[3]"),
    ("size2", "1, 2, 3"),
    ("padding1", "1, 2"),
    ("shape", "1, 2, 3, 4"),
    ("dims", "0, 5"),
    ("dims", "0, 1.5"),
    ("floats", "0.5, 2"),
    ("opt_scale", "1, 2, 3, 4"),
    ("opt_scale", "-1"),
    ("opt_bool", "maybe"),
    ("choice", "c"),
    ("int", "2.5"),
]


def test_every_parameter_kind_round_trips_through_the_editor(harness):
    """What the editor shows of a value reads back as that value, for every kind Python's
    params.check knows; and what it refuses, Python refuses too."""
    from dlp_widgets.spec.params import _CHECKERS, Param

    assert set(KIND_SAMPLES) == set(_CHECKERS)  # a new kind needs a line here
    params = {
        kind: Param("p", kind, None, "", lo, hi, choices=("a", "b") if kind == "choice" else ())
        for kind, (lo, hi, _) in KIND_SAMPLES.items()
    }
    cases = [[params[k].to_dict(), v] for k, (_, _, values) in KIND_SAMPLES.items() for v in values]
    refused = [[params[k].to_dict(), text] for k, text in REFUSED]
    page = open_builder(harness)
    out = page.evaluate(
        """async ([cases, refused]) => {
        const ed = await import('/js/layer_editor.js');
        return {
            back: cases.map(([p, v]) => ed.parseParam(p, ed.paramText(v, true))),
            refused: refused.map(([p, t]) => ed.parseParam(p, t)),
        };
    }""",
        [cases, refused],
    )
    for (param, value), parsed in zip(cases, out["back"], strict=True):
        assert parsed == {"ok": True, "value": value}, (param["kind"], value, parsed)
        if value is not None:
            assert params[param["kind"]].check(value) == value
    for (param, text), parsed in zip(refused, out["refused"], strict=True):
        assert parsed["ok"] is False and parsed["message"], (param["kind"], text)
    assert page.js_errors == []


def test_permute_dims_and_upsample_scale_are_edited(harness):
    page = open_builder(harness, input_shape=(3, 8, 16))
    for layer in ("Permute", "Upsample"):
        page.locator(f"[data-layer-type={layer}]").focus()
        page.keyboard.press("Enter")
        python_answers(page)
    assert shape(page, "permute1") == "[8, 16, 3]"  # the starting dims: 0, 2, 3, 1
    node(page, "permute1").click()
    dims = page.locator("[data-param=dims] input")
    assert dims.input_value() == "0, 2, 3, 1"
    dims.fill("0, 3, 1, 2")
    dims.press("Enter")
    graph = python_answers(page)
    assert graph["nodes"][0]["params"]["dims"] == [0, 3, 1, 2]
    assert shape(page, "permute1") == "[16, 3, 8]" and shape(page, "upsample1") == "[16, 6, 16]"
    dims.fill("0, 3, 9")  # out of range: refused in place, nothing sent
    dims.press("Enter")
    assert "between -4 and 3" in page.locator("[data-param=dims] .dlp-param-msg").inner_text()
    assert nodes(page)[0]["params"]["dims"] == [0, 3, 1, 2]
    node(page, "upsample1").click()
    scale = page.locator("[data-param=scale_factor] input")
    assert scale.input_value() == "2"
    scale.fill("2, 1.5")  # one factor per spatial dimension
    scale.press("Enter")
    graph = python_answers(page)
    assert graph["nodes"][1]["params"]["scale_factor"] == [2, 1.5]
    assert shape(page, "upsample1") == "[16, 6, 12]"
    # torch's None is a choice of its own for an optional flag
    align = page.locator("[data-param=align_corners] select")
    assert align.input_value() == ""
    page.locator("[data-param=mode] select").select_option("bilinear")
    python_answers(page)
    page.locator("[data-param=align_corners] select").select_option("true")
    graph = python_answers(page)
    assert graph["nodes"][1]["params"] == {"scale_factor": [2, 1.5], "mode": "bilinear", "align_corners": True}
    assert node(page, "upsample1").locator(".dlp-node-error").count() == 0
    page.locator("[data-param=align_corners] select").select_option("")
    assert "align_corners" not in python_answers(page)["nodes"][1]["params"]
    assert page.js_errors == []


# ---------------------------------------------------------------- block templates


def conv_relu(input_shape=(3, 16, 16)):
    return graph_of(
        [
            {"id": "conv2d1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"id": "relu1", "type": "ReLU"},
        ],
        input_shape,
    )


RES1 = ["res1.conv1", "res1.bn1", "res1.relu1", "res1.conv2", "res1.bn2", "res1.add", "res1.out"]


def test_a_block_from_the_palette_is_made_by_python_and_undone(harness):
    page = open_builder(harness, graph=conv_relu())
    item = page.locator("[data-block-template=residual]")
    assert item.inner_text() == "Residual block" and "skip connection" in item.get_attribute("title")
    assert page.locator(".dlp-palette-group").last.inner_text().lower() == "blocks"
    node(page, "relu1").click()
    item.drag_to(page.locator(".dlp-graph"), target_position={"x": 12, "y": 12})  # after the selected node
    assert page.evaluate("window.__model._log.sent") == [{"kind": "add_block", "name": "residual", "after": "relu1"}]
    graph = python_answers(page)
    assert [n["id"] for n in graph["nodes"]] == ["conv2d1", "relu1", *RES1]
    assert shape(page, "res1.add") == "[8, 16, 16]" and shape(page, "res1.out") == "[8, 16, 16]"
    assert page.locator('[data-edge="relu1->res1.add:1"]').count() == 1  # the skip
    assert node(page, "res1.add").locator(".dlp-node-error").count() == 0
    assert "Added a residual block res1: 7 nodes, res1.conv1 to res1.out" in live(page)
    assert page.evaluate("window.__model._state.selected") == ["res1.out"]
    # by keyboard: Enter on a block adds it after the selection, the first block's end
    page.locator("[data-block-template=bottleneck]").focus()
    page.keyboard.press("Enter")
    graph = python_answers(page)
    assert graph["nodes"][-1]["id"] == "bottleneck1.out" and shape(page, "bottleneck1.add") == "[8, 16, 16]"
    # undo takes each block away whole, redo brings it back
    page.locator(".dlp-undo").click()
    assert [n["id"] for n in python_answers(page)["nodes"]] == ["conv2d1", "relu1", *RES1]
    page.locator(".dlp-undo").click()
    assert [n["id"] for n in python_answers(page)["nodes"]] == ["conv2d1", "relu1"]
    assert node(page, "res1.add").count() == 0
    page.locator(".dlp-redo").click()
    assert [n["id"] for n in python_answers(page)["nodes"]] == ["conv2d1", "relu1", *RES1]
    assert page.js_errors == []


def test_a_block_that_does_not_fit_is_refused_in_words(harness):
    page = open_builder(harness, input_shape=(20,))  # a table's 20 features
    page.locator("[data-block-template=se]").drag_to(node(page, "x"))  # onto a node: after it
    python_answers(page)
    assert nodes(page) == []
    error = page.locator(".dlp-block-error")
    assert error.is_visible()
    assert 'squeeze-excitation takes an image [channels, height, width], but the input "x" gives [20]' in (
        error.inner_text()
    )
    assert "No block added" in live(page) and "[20]" in live(page)
    assert page.locator(".dlp-undo").is_disabled()  # a refusal leaves no step to undo
    # the next change clears the line; a residual block fits a table (two linear layers)
    page.locator("[data-block-template=residual]").focus()
    page.keyboard.press("Enter")
    graph = python_answers(page)
    assert [n["type"] for n in graph["nodes"]] == ["Linear", "ReLU", "Linear", "Add", "ReLU"]
    assert shape(page, "res1.add") == "[20]" and not error.is_visible()
    assert page.js_errors == []


# ---------------------------------------------------------------- imported networks


@pytest.fixture(scope="module")
def imported():
    torchvision = pytest.importorskip("torchvision")
    from dlp_widgets.engine.build import from_torch

    out = {}
    for name in ("resnet18", "resnet50"):
        module = getattr(torchvision.models, name)()
        out[name] = {
            "graph": from_torch(module, [3, 224, 224]).to_dict(),
            "collapsed": LayerBuilder.from_torch(module, [3, 224, 224]).collapsed,
        }
    return out


def test_an_imported_resnet18_opens_collapsed_and_is_edited(harness, imported):
    net = imported["resnet18"]
    assert net["collapsed"] == ["layer1", "layer2", "layer3", "layer4"]
    page = open_builder(harness, graph=net["graph"], collapsed=net["collapsed"])
    block = page.locator('.dlp-graph [data-block="layer1"]')
    assert block.count() == 1 and node(page, "layer1.0.conv1").count() == 0
    assert "[64, 56, 56] → [64, 56, 56]" in block.inner_text()
    assert "147,968 params" in block.inner_text()
    assert page.locator('.dlp-graph [data-node-id="fc"]').count() == 1
    block.click()  # expands
    assert page.evaluate("window.__model._state.collapsed") == ["layer2", "layer3", "layer4"]
    assert node(page, "layer1.0.conv1").count() == 1 and shape(page, "layer1.0.add") == "[64, 56, 56]"
    assert page.locator('[data-edge="layer1.0.bn2->layer1.0.add:0"]').count() == 1
    assert page.locator('.dlp-graph [data-frame="layer1.0"]').count() == 1
    # the stem's stride from 2 to 1: Python's answer changes every shape downstream
    node(page, "conv1").click()
    page.locator("[data-param=stride] input").fill("1")
    page.locator("[data-param=stride] input").press("Enter")
    graph = python_answers(page)
    assert graph["nodes"][0]["params"]["stride"] == 1 and graph["nodes"][0]["inputs"] == ["x"]
    assert shape(page, "conv1") == "[64, 224, 224]"
    assert shape(page, "layer1.0.add") == "[64, 112, 112]"
    assert "[512, 14, 14]" in page.locator('[data-block="layer4"]').inner_text()
    # the control on an expanded block folds it again; Enter on a block opens it
    page.locator('.dlp-graph [data-collapse="layer1"]').click()
    assert page.locator('.dlp-graph [data-block="layer1"]').count() == 1
    page.locator('.dlp-graph [data-block="layer2"]').focus()
    page.keyboard.press("Enter")
    assert node(page, "layer2.0.conv1").count() == 1
    node(page, "layer2.0.conv1").focus()
    page.keyboard.press("[")  # collapses the innermost block: layer2.0
    assert page.locator('.dlp-graph [data-block="layer2.0"]').count() == 1
    assert "Collapsed the block layer2.0" in live(page)
    assert page.js_errors == []


def render_ms(page, net, collapsed):
    """Milliseconds from a new graph to a laid-out page: set as Python sets it."""
    report = builder_report(net["graph"])
    return page.evaluate(
        """([g, c, r]) => {
        const m = window.__model;
        const t0 = performance.now();
        m._pyset('collapsed', c);
        m._pyset('graph', g);
        m._pyset('report', r);
        document.body.offsetHeight;
        return performance.now() - t0;
    }""",
        [net["graph"], collapsed, report],
    )


def test_render_time_of_an_imported_resnet50(harness, imported):
    net = imported["resnet50"]
    page = open_builder(harness)
    collapsed = render_ms(page, net, net["collapsed"])
    assert page.locator(".dlp-graph [data-block]").count() == 4
    screenshot(page, "builder-static-resnet50-collapsed", ".dlp-builder")
    page2 = open_builder(harness)
    expanded = render_ms(page2, net, [])
    assert page2.locator(".dlp-graph .dlp-node").count() == 176  # 175 nodes and the input
    # a new report alone redraws nothing but the text: no layout
    report_only = page2.evaluate(
        """r => {
        const t0 = performance.now();
        window.__model._pyset('report', r);
        document.body.offsetHeight;
        return performance.now() - t0;
    }""",
        builder_report(net["graph"]),
    )
    node(page2, "layer1.0.conv1").focus()  # the first bottleneck, its skip through the downsample
    screenshot(page2, "builder-static-resnet50", ".dlp-builder")
    page2.locator(".dlp-fit").click()
    screenshot(page2, "builder-static-resnet50-whole", ".dlp-graph")
    print(
        json.dumps(
            {"resnet50_collapsed_ms": collapsed, "resnet50_expanded_ms": expanded, "report_only_ms": report_only}
        )
    )
    assert collapsed < 150 and expanded < 500
    assert page.js_errors == [] and page2.js_errors == []


def test_graph_edits_keep_what_the_graph_means(harness):
    """graph_model.js on its own (served as source): each edit writes `inputs` only where the
    list order no longer says it, and what Python reads of the result is what was meant."""
    page = open_builder(harness)
    merge = "t => t === 'Add' || t === 'Concat'"
    chain = graph_of([{"id": "a", "type": "ReLU"}, {"id": "b", "type": "Tanh"}, {"id": "c", "type": "ReLU"}])
    explicit = graph_of(
        [
            {"id": "a", "type": "ReLU", "inputs": ["x"]},
            {"id": "b", "type": "Tanh", "inputs": ["a"]},
            {"id": "add", "type": "Add", "inputs": ["b", "x"]},
        ]
    )
    out = page.evaluate(
        f"""async ([chain, explicit]) => {{
        const gm = await import('/js/graph_model.js');
        const isMerge = {merge};
        const n = (id, type) => ({{id, type}});
        return {{
            deleteMiddle: gm.deleteNodes(chain, ['b'], isMerge),
            deleteFirst: gm.deleteNodes(chain, ['a'], isMerge),
            deleteLast: gm.deleteNodes(explicit, ['add'], isMerge),
            addInExplicit: gm.addAfter(explicit, 'a', n('relu1', 'ReLU'), isMerge),
            addAfterInput: gm.addAfter(explicit, 'x', n('relu1', 'ReLU'), isMerge),
            addAtEnd: gm.addAfter(explicit, null, n('relu1', 'ReLU'), isMerge),
            moveMeaning: gm.insertOnEdge(chain, 'x', 'a', 0, n('d', 'Tanh'), isMerge),
            branch: gm.connect(chain, 'x', 'c', 0, isMerge),
            cycle: gm.wouldCycle(chain, 'c', 'a'),
            ids: [gm.freshId(chain, 'Conv2d'), gm.freshId(chain, 'BatchNorm2d', 'layer1.0')],
            blocks: [...gm.blockMembers({{inputs: [{{id: 'x'}}], nodes: [n('l.0.a'), n('l.0.b'), n('l.1.a')]}}).keys()],
        }};
    }}""",
        [chain, explicit],
    )
    ids = lambda g: [n["id"] for n in g["nodes"]]  # noqa: E731
    assert out["deleteMiddle"] == graph_of([{"id": "a", "type": "ReLU"}, {"id": "c", "type": "ReLU"}])
    assert out["deleteFirst"]["nodes"] == [{"id": "b", "type": "Tanh"}, {"id": "c", "type": "ReLU"}]
    # the output passes to what the deleted node read
    assert out["deleteLast"]["nodes"][-1]["id"] == "b" and "outputs" not in out["deleteLast"]
    # in an imported graph (every input explicit) a node added after `a` goes between a and b
    assert ids(out["addInExplicit"]) == ["a", "relu1", "b", "add"]
    assert out["addInExplicit"]["nodes"][1] == {"id": "relu1", "type": "ReLU"}
    assert out["addInExplicit"]["nodes"][2]["inputs"] == ["relu1"]
    assert out["addAfterInput"]["nodes"][1]["inputs"] == ["relu1"]  # `a` read x; now the ReLU
    assert out["addAfterInput"]["nodes"][3]["inputs"] == ["b", "x"]  # the skip still reads x
    assert out["addAtEnd"]["nodes"][-1] == {"id": "relu1", "type": "ReLU"}
    assert builder_report(out["addAtEnd"])["outputs"][0]["id"] == "relu1"
    assert out["moveMeaning"]["nodes"][:2] == [{"id": "d", "type": "Tanh"}, {"id": "a", "type": "ReLU"}]
    # `c` reads x now; `b` is left leading nowhere, and the model's output is still `c`
    assert out["branch"]["nodes"][2] == {"id": "c", "type": "ReLU", "inputs": ["x"]}
    assert out["cycle"] is True
    assert out["ids"] == ["conv2d1", "layer1.0.batchnorm2d1"]
    assert out["blocks"] == ["l", "l.0"]
    for key in ("deleteMiddle", "deleteFirst", "deleteLast", "addInExplicit", "addAfterInput", "moveMeaning"):
        assert "error" not in builder_report(out[key]), key
    assert page.js_errors == []
