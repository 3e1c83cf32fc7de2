// LayerBuilder: a palette of layers (from the Python catalogue) and a canvas where the
// network is drawn as nodes and edges — a chain, or a graph with skips and merges — built
// by drag and drop or by keyboard; each node's output shape, parameter count and error
// (from Python's shape inference), a parameter editor and a doc panel.
//
// Traits: catalogue and block_templates (read), graph (edited here), report (written by
// Python), selected and collapsed (shared). The front end never computes a shape: it shows the report in place.
import { fmtCount, fmtShape, h } from "./format.js";
import { createBlocks } from "./builder_blocks.js";
import { attachKeys } from "./builder_keys.js";
import { createEdits } from "./builder_edits.js";
import { createPalette } from "./builder_palette.js";
import { createCanvas } from "./graph_canvas.js";
import { clearLayoutCache } from "./graph_layout.js";
import { attachLinks } from "./graph_links.js";
import * as gm from "./graph_model.js";
import { paramText, renderDoc, renderParams } from "./layer_editor.js";

const EMPTY = { inputs: [{ id: "x", shape: [4] }], nodes: [] };

function render({ model, el }) {
  const root = h("div", "dlp-builder");
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab: keys here are ours
  // keys typed inside the widget must not reach notebook shortcuts (a, b, d d, Enter, …)
  for (const type of ["keydown", "keypress", "keyup"]) root.addEventListener(type, (e) => e.stopPropagation());
  // Notebook 7 reads keys on the document before they reach us, and Lumino matches a
  // shortcut's selector (`… :focus`, the `c` of copy-cell) on the focused element itself
  // before it looks up for the root's attribute: whatever takes focus here carries it too
  root.addEventListener("focusin", (e) => e.target.setAttribute?.("data-lm-suppress-shortcuts", "true"));
  el.append(root);

  const undo = [];
  const redo = [];
  let pendingFocus = null; // the item to focus after the next draw: moves with the key press
  let inputSelected = null; // an input's id: Python's `selected` holds node ids only
  let state = null;

  const live = h("div", "dlp-live", null, { "aria-live": "polite", role: "status" });
  const announce = (text) => { live.textContent = text; };

  const graph = () => {
    const g = model.get("graph");
    return g && Array.isArray(g.nodes) && Array.isArray(g.inputs) && g.inputs.length ? g : EMPTY;
  };
  const catalogue = () => model.get("catalogue") || [];
  const entry = (name) => catalogue().find((e) => e.name === name);
  const isMerge = (type) => entry(type)?.inputs === "many";
  const selectedIds = () => (Array.isArray(model.get("selected")) ? model.get("selected") : []);
  const collapsedSet = () => new Set(Array.isArray(model.get("collapsed")) ? model.get("collapsed") : []);

  function commit(next, message, focus, select) {
    undo.push(graph());
    if (undo.length > 200) undo.shift();
    redo.length = 0;
    // set before model.set: its change event draws at once, and focus must move in that
    // draw, not in a later one from the kernel's reply, which could land after the person
    // has moved on (and take their next key press with it)
    pendingFocus = focus ?? null;
    if (select) {
      inputSelected = null;
      model.set("selected", select);
    }
    model.set("graph", next);
    model.save_changes();
    if (message) announce(message);
  }

  function select(ids, input = null) {
    inputSelected = input;
    model.set("selected", ids);
    model.save_changes();
    onSelected();
  }

  function setCollapsed(set, message, focus) {
    pendingFocus = focus ?? null;
    model.set("collapsed", [...set]);
    model.save_changes();
    announce(message);
  }

  const edits = createEdits({
    graph, entry, isMerge, selectedIds, commit, announce, collapsedSet, setCollapsed, inputSelected: () => inputSelected,
  });
  const { addNode, connect, disconnect, deleteSelection, duplicateSelection, setParam, toggleBlock, collapseAround } = edits;
  const templates = () => model.get("block_templates") || [];
  const blocks = createBlocks({
    model, graph, templates, announce, anchor: edits.anchor,
    remember: (g) => { undo.push(g); redo.length = 0; tools(); },
    forget: (g) => { if (undo[undo.length - 1] === g) undo.pop(); tools(); },
  });

  function history(from, to, word) {
    if (!from.length) return;
    to.push(graph());
    model.set("graph", from.pop());
    model.save_changes();
    announce(`${word}: ${graph().nodes.length} nodes`);
  }

  // -- layout of the widget
  const palette = createPalette(catalogue, (name) => addNode(name), (name) => showDoc(name), templates, (name) => blocks.add(name));
  const main = h("div", "dlp-main");
  const toolbar = h("div", "dlp-toolbar", null, { role: "toolbar", "aria-label": "Model tools" });
  const header = h("div", "dlp-model-header");
  const canvas = createCanvas();
  const footer = h("div", "dlp-model-footer");
  const side = h("div", "dlp-side");
  const editor = h("div", "dlp-editor");
  const docs = h("div", "dlp-doc", null, { "aria-label": "Layer documentation" });
  const empty = h("div", "dlp-empty", "Drag layers onto the canvas, or focus a layer in the palette and press Enter");
  canvas.el.append(empty);
  main.append(toolbar, header, canvas.el, footer);
  side.append(editor, docs);
  root.append(palette.el, main, side, live);

  const keys = attachKeys(canvas, {
    graph, isMerge, announce, toggleBlock, collapseAround, deleteSelection, duplicateSelection, connect,
    focusEditor: () => editor.querySelector("input, select")?.focus(),
    clearSelection: () => select([]),
  });
  attachLinks(canvas, {
    connect, disconnect,
    drop: (name, target) => addNode(name, target.edge ? { edge: target.edge } : target.after ? { after: target.after } : {}),
    dropBlock: (name, after) => blocks.add(name, after),
  });

  // -- clicks and focus on the canvas: a click selects (shift or ctrl adds), keyboard focus
  // selects the focused node alone; a pointer's focus waits for its click
  let pointerOnItem = false;
  canvas.el.addEventListener("pointerdown", (e) => { pointerOnItem = Boolean(e.target.closest("[data-node-id], [data-block]")); }, true);
  canvas.el.addEventListener("pointerup", () => { setTimeout(() => { pointerOnItem = false; }); }, true);
  canvas.el.addEventListener("click", (e) => {
    pointerOnItem = false;
    const collapse = e.target.closest("[data-collapse]");
    if (collapse) { toggleBlock(collapse.getAttribute("data-collapse"), true); return; }
    const block = e.target.closest("[data-block]");
    if (block) { toggleBlock(block.getAttribute("data-block"), false); return; }
    const box = e.target.closest("[data-node-id]");
    if (!box || e.target.closest("[data-port]")) return;
    const id = box.getAttribute("data-node-id");
    if (gm.nodeIndex(graph(), id) < 0) { select([], id); return; }
    if (e.shiftKey || e.ctrlKey || e.metaKey) {
      const sel = selectedIds();
      select(sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id]);
    } else select([id]);
  });
  canvas.el.addEventListener("focusin", (e) => {
    const box = e.target.closest?.("[data-node-id]");
    if (!box || pointerOnItem || e.target !== box) return;
    const id = box.getAttribute("data-node-id");
    if (gm.nodeIndex(graph(), id) < 0) { if (inputSelected !== id) select([], id); }
    else if (selectedIds().length !== 1 || selectedIds()[0] !== id) select([id]);
  });

  // -- toolbar
  const button = (cls, text, title, fn) => {
    const b = h("button", `dlp-tool-button ${cls}`, text, { type: "button", title, "aria-label": title });
    b.addEventListener("click", fn);
    toolbar.append(b);
    return b;
  };
  const undoBtn = button("dlp-undo", "Undo", "Undo (Ctrl+Z)", () => history(undo, redo, "Undone"));
  const redoBtn = button("dlp-redo", "Redo", "Redo (Ctrl+Shift+Z)", () => history(redo, undo, "Redone"));
  const clearBtn = button("dlp-clear", "Clear", "Remove every node (Undo brings them back)", () => {
    const n = graph().nodes.length;
    const { outputs, ...rest } = graph();
    if (n) commit({ ...rest, nodes: [] }, `Cleared the model: ${n} node${n === 1 ? "" : "s"} removed; Undo brings them back`, { palette: true }, []);
  });
  const connectBtn = button("dlp-connect", "Connect…", "Connect the selected node's output into another node (key c)", () => {
    const key = selectedIds().slice(-1)[0] ?? inputSelected;
    if (key) keys.openMenu(key);
  });
  button("dlp-zoom-out", "−", "Zoom out (or Ctrl+wheel)", () => canvas.view.zoomAt(1 / 1.25));
  button("dlp-zoom-in", "+", "Zoom in (or Ctrl+wheel)", () => canvas.view.zoomAt(1.25));
  button("dlp-fit", "Fit", "Fit the whole model in view", () => canvas.view.fitAll());
  button("dlp-relayout", "Re-layout", "Lay the graph out again and follow it", () => { clearLayoutCache(); canvas.view.fit(); drawCanvas(); });
  const expandBtn = button("dlp-expand-all", "Expand all", "Show every node of every block", () => setCollapsed(new Set(), "Expanded every block"));
  root.addEventListener("keydown", (e) => {
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === "z" && !e.shiftKey) { e.preventDefault(); history(undo, redo, "Undone"); }
    else if ((e.ctrlKey || e.metaKey) && (key === "y" || (key === "z" && e.shiftKey))) { e.preventDefault(); history(redo, undo, "Redone"); }
  });

  // -- header: the input shape, and an error that belongs to no node
  const shapeBox = h("input", "dlp-input-shape", null, { type: "text", "aria-label": "Input shape, e.g. 4 or 1, 28, 28", size: "12" });
  shapeBox.addEventListener("change", () => {
    const parts = shapeBox.value.split(/[\s,×x]+/).filter(Boolean).map(Number);
    if (!parts.length || parts.length > 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
      shapeBox.setCustomValidity("1 to 3 whole numbers, e.g. 4 or 1, 28, 28");
      shapeBox.reportValidity();
      return;
    }
    shapeBox.setCustomValidity("");
    commit(gm.setInputShape(graph(), parts), `Input shape set to ${fmtShape(parts)}`);
  });
  const modelError = h("span", "dlp-model-error", null, { role: "alert" });
  header.append(h("span", "dlp-input-label", "Input shape"), shapeBox, modelError, blocks.errorLine);

  function renderReport() {
    const report = model.get("report") || {};
    const g = graph();
    const err = report.error;
    const onNode = err && err.node && gm.nodeIndex(g, err.node) >= 0;
    modelError.textContent = err && !onNode ? err.message : "";
    const outs = report.outputs || [];
    footer.replaceChildren(
      h("span", "dlp-total", `Total trainable parameters: ${fmtCount(report.total_params ?? 0)}`),
      h("span", "dlp-kind", report.chain ? "a chain" : g.nodes.length ? "a graph" : ""),
      h("span", "dlp-output", `Output: ${outs.length > 1 ? outs.map((o) => `${o.id} ${fmtShape(o.shape)}`).join(", ") : fmtShape(report.output_shape)}`),
    );
  }

  // -- the parameter editor and the doc panel, for the one selected node
  function renderEditor() {
    const g = graph();
    const sel = selectedIds();
    const node = sel.length === 1 ? g.nodes.find((n) => n.id === sel[0]) : null;
    if (sel.length > 1) {
      editor.replaceChildren(h("div", "dlp-hint", `${sel.length} nodes selected: Delete removes them, Ctrl+D duplicates them.`));
      showDoc(null);
      return;
    }
    if (!node && inputSelected) {
      editor.replaceChildren(h("div", "dlp-editor-title", `Input ${inputSelected}`), h("div", "dlp-hint", "Its shape is set above the canvas; c connects it into a node."));
      showDoc(null);
      return;
    }
    const info = ((model.get("report") || {}).nodes || []).find((n) => n.id === node?.id) || {};
    renderParams(editor, node, node ? `${node.type} · ${node.id}` : "", node ? entry(node.type) : null, info, (name, value) => setParam(node.id, name, value));
    showDoc(node && entry(node.type) ? node.type : null);
  }
  const showDoc = (name) => renderDoc(docs, name ? entry(name) : null);

  // -- drawing
  function drawCanvas() {
    const g = graph();
    state = {
      graph: g, collapsed: collapsedSet(), report: model.get("report") || {}, selected: new Set(selectedIds()),
      inputSelected, nodeById: new Map(g.nodes.map((n) => [n.id, n])), sources: gm.sourceMap(g), isMerge, entry,
    };
    const lay = canvas.draw(state);
    const focusKey = pendingFocus?.key;
    canvas.view.update(lay.width, lay.height, focusKey ? lay.boxes.get(focusKey) : null);
    empty.hidden = g.nodes.length > 0;
    return lay;
  }

  function tools() {
    undoBtn.disabled = !undo.length;
    redoBtn.disabled = !redo.length;
    clearBtn.disabled = !graph().nodes.length;
    connectBtn.disabled = !(selectedIds().length || inputSelected);
    expandBtn.disabled = !collapsedSet().size;
  }

  // Restores focus to what had it (the boxes are new elements), or moves it where the edit
  // asked.
  function withFocus(fn) {
    const active = document.activeElement;
    const hadFocus = root.contains(active);
    const focusParam = active?.closest?.(".dlp-param")?.getAttribute("data-param");
    const focusItem = active?.getAttribute?.("data-node-id") ?? (active?.getAttribute?.("data-block") ? `block:${active.getAttribute("data-block")}` : null);
    fn();
    const want = pendingFocus;
    pendingFocus = null;
    if (want?.key) keys.focusKey(want.key);
    else if (want?.param) editor.querySelector(`[data-param="${want.param}"] .dlp-param-input`)?.focus();
    else if (want?.palette) palette.focusFirst();
    else if (hadFocus && focusParam) editor.querySelector(`[data-param="${focusParam}"] .dlp-param-input`)?.focus();
    else if (hadFocus && focusItem) keys.focusKey(focusItem);
  }

  function renderAll() {
    withFocus(() => {
      shapeBox.value = paramText(graph().inputs[0]?.shape);
      drawCanvas();
      renderReport();
      renderEditor();
      tools();
    });
  }

  // A report changes the text inside the boxes and the editor's messages, nothing else.
  function onReport() {
    withFocus(() => {
      canvas.refresh(model.get("report") || {});
      renderReport();
      renderEditor();
    });
  }

  // A new selection only restyles the boxes and refills the editor: rebuilding them would
  // replace the very element a pointer is pressing.
  function onSelected() {
    if (selectedIds().length) inputSelected = null;
    if (state) {
      state.inputSelected = inputSelected;
      canvas.setSelected(new Set(selectedIds()));
    }
    renderEditor();
    tools();
  }

  palette.render();
  renderAll();
  const onData = () => renderAll();
  const onGraph = () => { blocks.onGraph(); renderAll(); };
  model.on("change:graph", onGraph);
  model.on("change:collapsed", onData);
  model.on("change:report", onReport);
  model.on("change:selected", onSelected);
  model.on("change:catalogue", palette.render);
  model.on("change:block_templates", palette.render);
  return () => {
    blocks.dispose();
    model.off("change:block_templates", palette.render);
    model.off("change:graph", onGraph);
    model.off("change:collapsed", onData);
    model.off("change:report", onReport);
    model.off("change:selected", onSelected);
    model.off("change:catalogue", palette.render);
  };
}

export default { render };
