// The layer builder's palette: every entry of Python's catalogue, grouped by category, then
// the block templates, with a filter box. Items are dragged onto the canvas, or added with
// Enter.
import { h } from "./format.js";
import { BLOCK_DRAG_TYPE, DRAG_TYPE } from "./graph_links.js";

const CATEGORY_NAMES = {
  core: "Core", activation: "Activations", convolution: "Convolution", pooling: "Pooling",
  normalisation: "Normalisation", regularisation: "Regularisation", shape: "Shape", merge: "Merge",
};

// `add(name)` adds an entry after the selection; `show(name)` shows its doc;
// `addBlock(name)` asks Python for the block template `name` after the selection.
export function createPalette(catalogue, add, show, templates = () => [], addBlock = () => {}) {
  const box = h("div", "dlp-palette-box");
  const filter = h("input", "dlp-palette-filter", null, {
    type: "search", placeholder: "Filter layers…", "aria-label": "Filter the layer palette",
  });
  const list = h("div", "dlp-palette", null, { role: "list", "aria-label": "Layer palette" });
  box.append(filter, list);

  const enterOf = new WeakMap(); // an item → what Enter on it does (a layer or a block)
  const visibleItems = () => [...list.querySelectorAll(".dlp-palette-item")].filter((n) => !n.hidden);

  function render() {
    list.replaceChildren();
    // grouped by category in the order categories first appear (Mean comes after the merges
    // in the catalogue and still belongs with the other shape operations)
    const groups = new Map();
    for (const item of catalogue()) {
      if (!groups.has(item.category)) groups.set(item.category, []);
      groups.get(item.category).push(item);
    }
    for (const [category, entries] of groups) {
      list.append(h("div", "dlp-palette-group", CATEGORY_NAMES[category] || category));
      for (const item of entries) list.append(paletteItem(item));
    }
    const blocks = templates();
    if (blocks.length) list.append(h("div", "dlp-palette-group", "Blocks"));
    for (const t of blocks) list.append(blockItem(t));
    applyFilter();
  }

  function paletteItem(item) {
    const node = h("div", "dlp-palette-item", item.name, {
      "data-layer-type": item.name, draggable: "true", tabindex: "0", role: "listitem",
      title: `${item.summary}\nEnter adds it after the selected node`,
    });
    draggable(node, DRAG_TYPE, item.name, () => add(item.name));
    node.addEventListener("click", () => show(item.name));
    return node;
  }

  // a block is made by Python for the shape it receives, so it has no doc page here: its
  // summary is its title
  function blockItem(t) {
    const node = h("div", "dlp-palette-item dlp-palette-block", t.title, {
      "data-block-template": t.name, draggable: "true", tabindex: "0", role: "listitem",
      title: `${t.summary}\nEnter adds it after the selected node`,
    });
    draggable(node, BLOCK_DRAG_TYPE, t.name, () => addBlock(t.name));
    return node;
  }

  function draggable(node, type, name, enter) {
    enterOf.set(node, enter);
    node.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData(type, name);
      e.dataTransfer.setData("text/plain", name);
      e.dataTransfer.effectAllowed = "copy";
    });
    node.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        enter();
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const items = visibleItems();
        const k = items.indexOf(node) + (e.key === "ArrowDown" ? 1 : -1);
        if (k < 0) filter.focus();
        else items[Math.min(items.length - 1, k)].focus();
      }
    });
  }

  // every layer shows; typing narrows the list by name, category or summary
  function applyFilter() {
    const words = filter.value.trim().toLowerCase();
    let group = null;
    let groupHasItems = false;
    const closeGroup = () => { if (group) group.hidden = !groupHasItems; };
    const byName = new Map(catalogue().map((e) => [e.name, e]));
    const blocks = new Map(templates().map((t) => [t.name, t]));
    for (const node of list.children) {
      if (node.classList.contains("dlp-palette-group")) {
        closeGroup();
        group = node;
        groupHasItems = false;
        continue;
      }
      const block = blocks.get(node.getAttribute("data-block-template"));
      const item = byName.get(node.getAttribute("data-layer-type")) || {};
      const text = (block ? `${block.name} ${block.title} blocks ${block.summary}`
        : `${item.name} ${item.category} ${CATEGORY_NAMES[item.category] || ""} ${item.summary || ""}`).toLowerCase();
      node.hidden = words !== "" && !text.includes(words);
      groupHasItems ||= !node.hidden;
    }
    closeGroup();
  }
  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", (e) => {
    const first = visibleItems()[0];
    if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
    else if (e.key === "Enter" && first) { e.preventDefault(); enterOf.get(first)?.(); }
    else if (e.key === "Escape") { filter.value = ""; applyFilter(); }
  });

  return { el: box, render, focusFirst: () => visibleItems()[0]?.focus() };
}
