// LayerBuilder: a palette of layers (from the Python catalogue), a model you build by drag
// and drop or by keyboard, each layer's output shape, parameter count and error (from the
// Python shape inference), a parameter editor and a doc panel.
//
// Traits: catalogue (read), input_shape / layers (edited here), report (written by
// Python), selected (shared). The front end holds no copy of the layer list: everything
// comes from `catalogue`.
import { fmtCount, fmtShape, h } from "./format.js";
import { paramText, renderDoc, renderParams } from "./layer_editor.js";

const DRAG_TYPE = "application/x-dlp-layer";
const CATEGORY_NAMES = {
  core: "Core", activation: "Activations", convolution: "Convolution", pooling: "Pooling",
  normalisation: "Normalisation", regularisation: "Regularisation", shape: "Shape",
};

const clone = (v) => JSON.parse(JSON.stringify(v));

function render({ model, el }) {
  const root = h("div", "dlp-builder");
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab: keys here are ours
  // keys typed inside the widget must not reach notebook shortcuts (a, b, d d, Enter, …)
  for (const type of ["keydown", "keypress", "keyup"]) root.addEventListener(type, (e) => e.stopPropagation());
  el.append(root);

  const undo = [];
  const redo = [];
  let dragFrom = null; // index of a model layer being dragged, null for palette drags
  let pendingFocus = null; // what to focus after the next render

  const live = h("div", "dlp-live", null, { "aria-live": "polite", role: "status" });
  const announce = (text) => { live.textContent = text; };

  const layers = () => clone(model.get("layers") || []);
  const catalogue = () => model.get("catalogue") || [];
  const entry = (name) => catalogue().find((e) => e.name === name);

  function commit(next, message, focus) {
    undo.push(layers());
    if (undo.length > 200) undo.shift();
    redo.length = 0;
    // set before model.set: its change event renders at once, and focus must move in that
    // render, not in a later one from the kernel's reply, which could land after the user
    // has moved on (and take their next key press with it)
    pendingFocus = focus ?? null;
    model.set("layers", next);
    model.save_changes();
    if (message) announce(message);
  }

  function select(i) {
    model.set("selected", i);
    model.save_changes();
  }

  function addLayer(name, at) {
    const list = layers();
    const pos = at ?? list.length;
    // the palette's starting values, written into the spec: torch has no default for some
    // (out_features, kernel_size), so without them a new layer would not be valid at once
    list.splice(pos, 0, { type: name, params: clone(entry(name)?.starting_params ?? {}) });
    commit(list, `Added ${name} at position ${pos + 1} of ${list.length}`, { layer: pos });
    select(pos);
  }

  function moveLayer(from, to) {
    const list = layers();
    if (to < 0 || to >= list.length || from === to) return;
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item);
    commit(list, `Moved ${item.type} to position ${to + 1} of ${list.length}`, { layer: to });
    select(to);
  }

  function deleteLayer(i) {
    const list = layers();
    const [item] = list.splice(i, 1);
    const next = Math.min(i, list.length - 1);
    commit(list, `Deleted ${item.type} from position ${i + 1}; ${list.length} layers left`, next >= 0 ? { layer: next } : { palette: true });
    select(next);
  }

  function duplicateLayer(i) {
    const list = layers();
    list.splice(i + 1, 0, clone(list[i]));
    commit(list, `Duplicated ${list[i].type} to position ${i + 2}`, { layer: i + 1 });
    select(i + 1);
  }

  function setParam(i, name, value) {
    const list = layers();
    const params = { ...(list[i].params || {}) };
    if (value === null) delete params[name];
    else params[name] = value;
    list[i] = { ...list[i], params };
    commit(list, null, { param: name });
  }

  function history(from, to, word) {
    if (!from.length) return;
    to.push(layers());
    model.set("layers", from.pop());
    model.save_changes();
    announce(`${word}: ${(model.get("layers") || []).length} layers`);
  }

  // -- layout
  const paletteBox = h("div", "dlp-palette-box");
  const filter = h("input", "dlp-palette-filter", null, {
    type: "search", placeholder: "Filter layers…", "aria-label": "Filter the layer palette",
  });
  const palette = h("div", "dlp-palette", null, { role: "list", "aria-label": "Layer palette" });
  paletteBox.append(filter, palette);
  const main = h("div", "dlp-main");
  const header = h("div", "dlp-model-header");
  const modelArea = h("div", "dlp-model", null, { role: "list", "aria-label": "Model layers" });
  const footer = h("div", "dlp-model-footer");
  const side = h("div", "dlp-side");
  const editor = h("div", "dlp-editor");
  const docs = h("div", "dlp-doc", null, { "aria-label": "Layer documentation" });
  main.append(header, modelArea, footer);
  side.append(editor, docs);
  root.append(paletteBox, main, side, live);

  // -- palette
  function renderPalette() {
    palette.replaceChildren();
    let current = null;
    for (const item of catalogue()) {
      if (item.category !== current) {
        current = item.category;
        palette.append(h("div", "dlp-palette-group", CATEGORY_NAMES[current] || current));
      }
      const node = h("div", "dlp-palette-item", item.name, {
        "data-layer-type": item.name, draggable: "true", tabindex: "0", role: "listitem",
        title: `${item.summary}\nEnter adds it after the selected layer`,
      });
      node.addEventListener("dragstart", (e) => {
        dragFrom = null;
        e.dataTransfer.setData(DRAG_TYPE, item.name);
        e.dataTransfer.setData("text/plain", item.name);
        e.dataTransfer.effectAllowed = "copy";
      });
      node.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          const sel = model.get("selected");
          addLayer(item.name, sel >= 0 && sel < layers().length ? sel + 1 : undefined);
        } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          const items = visibleItems();
          const k = items.indexOf(node) + (e.key === "ArrowDown" ? 1 : -1);
          if (k < 0) filter.focus();
          else items[Math.min(items.length - 1, k)].focus();
        }
      });
      node.addEventListener("click", () => showDoc(item.name));
      palette.append(node);
    }
    applyFilter();
  }

  // -- the filter: every layer shows; typing narrows the list by name, category or summary
  const visibleItems = () => [...palette.querySelectorAll(".dlp-palette-item")].filter((n) => !n.hidden);
  function applyFilter() {
    const words = filter.value.trim().toLowerCase();
    let group = null;
    let groupHasItems = false;
    const closeGroup = () => { if (group) group.hidden = !groupHasItems; };
    for (const node of palette.children) {
      if (node.classList.contains("dlp-palette-group")) {
        closeGroup();
        group = node;
        groupHasItems = false;
        continue;
      }
      const item = entry(node.getAttribute("data-layer-type")) || {};
      const text = `${item.name} ${item.category} ${CATEGORY_NAMES[item.category] || ""} ${item.summary || ""}`.toLowerCase();
      node.hidden = words !== "" && !text.includes(words);
      groupHasItems ||= !node.hidden;
    }
    closeGroup();
  }
  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", (e) => {
    const first = visibleItems()[0];
    if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
    else if (e.key === "Enter" && first) {
      e.preventDefault();
      const sel = model.get("selected");
      addLayer(first.getAttribute("data-layer-type"), sel >= 0 && sel < layers().length ? sel + 1 : undefined);
    } else if (e.key === "Escape") { filter.value = ""; applyFilter(); }
  });

  // -- drop position from the pointer: before the first row whose middle is below it
  function dropIndex(clientY) {
    const rows = [...modelArea.querySelectorAll(".dlp-layer")];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i].getBoundingClientRect();
      if (clientY < r.top + r.height / 2) return i;
    }
    return rows.length;
  }
  let marker = null;
  function showMarker(index) {
    marker?.remove();
    marker = h("div", "dlp-drop-marker");
    const rows = modelArea.querySelectorAll(".dlp-layer");
    if (index < rows.length) modelArea.insertBefore(marker, rows[index]);
    else modelArea.append(marker);
  }
  modelArea.addEventListener("dragover", (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = dragFrom === null ? "copy" : "move";
    showMarker(dropIndex(e.clientY));
  });
  modelArea.addEventListener("dragleave", (e) => {
    if (!modelArea.contains(e.relatedTarget)) { marker?.remove(); marker = null; }
  });
  modelArea.addEventListener("drop", (e) => {
    e.preventDefault();
    marker?.remove();
    marker = null;
    let at = dropIndex(e.clientY);
    if (dragFrom !== null) {
      const from = dragFrom;
      dragFrom = null;
      if (at > from) at -= 1;
      moveLayer(from, at);
      return;
    }
    const name = e.dataTransfer.getData(DRAG_TYPE) || e.dataTransfer.getData("text/plain");
    if (entry(name)) addLayer(name, at);
  });

  // -- the model
  function renderModel() {
    const list = model.get("layers") || [];
    const report = model.get("report") || {};
    const infos = report.layers || [];
    const sel = model.get("selected");
    header.replaceChildren(h("span", "dlp-input-label", "Input shape"));
    const shapeBox = h("input", "dlp-input-shape", null, {
      type: "text", value: paramText(model.get("input_shape")), "aria-label": "Input shape, e.g. 4 or 1, 28, 28",
      size: "12",
    });
    shapeBox.addEventListener("change", () => {
      const parts = shapeBox.value.split(/[\s,×x]+/).filter(Boolean).map(Number);
      if (!parts.length || parts.length > 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
        shapeBox.setCustomValidity("1 to 3 whole numbers, e.g. 4 or 1, 28, 28");
        shapeBox.reportValidity();
        return;
      }
      shapeBox.setCustomValidity("");
      model.set("input_shape", parts);
      model.save_changes();
    });
    header.append(shapeBox);
    if (report.error && report.error.layer === null) header.append(h("span", "dlp-model-error", report.error.message, { role: "alert" }));

    const rows = list.map((layer, i) => {
      const info = infos[i] || {};
      const row = h("div", "dlp-layer", null, {
        "data-layer-index": String(i), draggable: "true", tabindex: "0", role: "listitem",
        "aria-label": `${layer.type}, position ${i + 1} of ${list.length}` + (info.output_shape ? `, output ${fmtShape(info.output_shape)}` : ""),
      });
      if (i === sel) row.classList.add("dlp-selected");
      if (info.error) row.classList.add("dlp-invalid");
      const title = h("span", "dlp-layer-type", layer.type);
      const shape = h("span", "dlp-layer-shape", fmtShape(info.output_shape));
      const count = h("span", "dlp-layer-params", info.params === null || info.params === undefined ? "—" : `${fmtCount(info.params)} params`);
      const tools = h("span", "dlp-layer-tools");
      const button = (label, text, fn) => {
        const b = h("button", `dlp-tool dlp-tool-${label}`, text, { type: "button", title: label, "aria-label": `${label} ${layer.type} at position ${i + 1}`, tabindex: "-1" });
        b.addEventListener("click", (e) => { e.stopPropagation(); fn(); });
        return b;
      };
      tools.append(
        button("up", "↑", () => moveLayer(i, i - 1)), button("down", "↓", () => moveLayer(i, i + 1)),
        button("duplicate", "⊕", () => duplicateLayer(i)), button("delete", "×", () => deleteLayer(i)),
      );
      row.append(h("span", "dlp-layer-pos", i + 1), title, shape, count, tools);
      if (info.error) row.append(h("div", "dlp-layer-error", info.error.message, { role: "alert" }));
      else if (info.warning) row.append(h("div", "dlp-layer-warning", info.warning));
      row.addEventListener("click", () => { select(i); });
      row.addEventListener("focus", () => { if (model.get("selected") !== i) select(i); });
      row.addEventListener("dragstart", (e) => {
        dragFrom = i;
        e.dataTransfer.setData(DRAG_TYPE, layer.type);
        e.dataTransfer.effectAllowed = "move";
      });
      row.addEventListener("dragend", () => { dragFrom = null; marker?.remove(); marker = null; });
      row.addEventListener("keydown", (e) => onLayerKey(e, i));
      return row;
    });
    modelArea.replaceChildren(...rows);
    if (!rows.length) modelArea.append(h("div", "dlp-empty", "Drag layers here, or focus a layer in the palette and press Enter"));
    footer.replaceChildren(
      h("span", "dlp-total", `Total trainable parameters: ${fmtCount(report.total_params ?? 0)}`),
      h("span", "dlp-output", `Output: ${fmtShape(report.output_shape)}`),
    );
  }

  function onLayerKey(e, i) {
    const n = layers().length;
    const mod = e.altKey || e.ctrlKey || e.metaKey;
    if (e.key === "ArrowUp" && mod) { e.preventDefault(); moveLayer(i, i - 1); }
    else if (e.key === "ArrowDown" && mod) { e.preventDefault(); moveLayer(i, i + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); focusLayer(Math.max(0, i - 1)); }
    else if (e.key === "ArrowDown") { e.preventDefault(); focusLayer(Math.min(n - 1, i + 1)); }
    else if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); deleteLayer(i); }
    else if (e.key === "d" && !mod) { e.preventDefault(); duplicateLayer(i); }
    else if (e.key === "Enter") { e.preventDefault(); editor.querySelector("input, select")?.focus(); }
    else if (e.key === "Home") { e.preventDefault(); focusLayer(0); }
    else if (e.key === "End") { e.preventDefault(); focusLayer(n - 1); }
  }

  function focusLayer(i) {
    modelArea.querySelector(`[data-layer-index="${i}"]`)?.focus();
  }

  // -- the parameter editor and the doc panel
  function renderEditor() {
    const list = model.get("layers") || [];
    const sel = model.get("selected");
    const layer = sel >= 0 && sel < list.length ? list[sel] : null;
    const info = ((model.get("report") || {}).layers || [])[sel] || {};
    renderParams(editor, layer, sel, layer ? entry(layer.type) : null, info, (name, value) => setParam(sel, name, value));
    showDoc(layer && entry(layer.type) ? layer.type : null);
  }

  const showDoc = (name) => renderDoc(docs, name ? entry(name) : null);

  // -- toolbar: undo / redo
  const toolbar = h("div", "dlp-toolbar");
  const undoBtn = h("button", "dlp-undo", "Undo", { type: "button", title: "Undo (Ctrl+Z)" });
  const redoBtn = h("button", "dlp-redo", "Redo", { type: "button", title: "Redo (Ctrl+Shift+Z)" });
  undoBtn.addEventListener("click", () => history(undo, redo, "Undone"));
  redoBtn.addEventListener("click", () => history(redo, undo, "Redone"));
  const clearBtn = h("button", "dlp-clear", "Clear", { type: "button", title: "Remove every layer (Undo brings them back)" });
  clearBtn.addEventListener("click", () => {
    const n = layers().length;
    if (n) commit([], `Cleared the model: ${n} layer${n === 1 ? "" : "s"} removed; Undo brings them back`, { palette: true });
  });
  toolbar.append(undoBtn, redoBtn, clearBtn);
  main.prepend(toolbar);
  root.addEventListener("keydown", (e) => {
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === "z" && !e.shiftKey) { e.preventDefault(); history(undo, redo, "Undone"); }
    else if ((e.ctrlKey || e.metaKey) && (key === "y" || (key === "z" && e.shiftKey))) { e.preventDefault(); history(redo, undo, "Redone"); }
  });

  function renderAll() {
    const active = document.activeElement;
    const hadFocus = root.contains(active);
    const focusParam = active?.closest?.(".dlp-param")?.getAttribute("data-param");
    const focusLayerIndex = active?.getAttribute?.("data-layer-index");
    renderModel();
    renderEditor();
    undoBtn.disabled = !undo.length;
    redoBtn.disabled = !redo.length;
    clearBtn.disabled = !layers().length;
    const want = pendingFocus;
    pendingFocus = null;
    if (want?.layer !== undefined) focusLayer(want.layer);
    else if (want?.param) editor.querySelector(`[data-param="${want.param}"] .dlp-param-input`)?.focus();
    else if (want?.palette) palette.querySelector(".dlp-palette-item")?.focus();
    else if (hadFocus && focusParam) editor.querySelector(`[data-param="${focusParam}"] .dlp-param-input`)?.focus();
    else if (hadFocus && focusLayerIndex !== null && focusLayerIndex !== undefined) focusLayer(Number(focusLayerIndex));
  }

  // A new selection only restyles the rows and refills the editor: rebuilding the rows would
  // replace the very element a pointer is pressing (focus selects), breaking a drag.
  function onSelected() {
    const sel = model.get("selected");
    for (const row of modelArea.querySelectorAll(".dlp-layer")) {
      row.classList.toggle("dlp-selected", Number(row.getAttribute("data-layer-index")) === sel);
    }
    renderEditor();
  }

  renderPalette();
  renderAll();
  const onData = () => renderAll();
  model.on("change:layers", onData);
  model.on("change:report", onData);
  model.on("change:selected", onSelected);
  model.on("change:input_shape", onData);
  model.on("change:catalogue", renderPalette);
  return () => {
    model.off("change:layers", onData);
    model.off("change:report", onData);
    model.off("change:selected", onSelected);
    model.off("change:input_shape", onData);
    model.off("change:catalogue", renderPalette);
  };
}

export default { render };
