// The canvas by keyboard alone: arrows follow the edges (up to a source, down to a reader,
// left and right along a row), Delete, Ctrl+D, `c` opens the list of places to connect the
// focused node's output into, `[` collapses the block a node is in, `]` or Enter expands a
// collapsed block.
import { h } from "./format.js";
import { sourceMap, wouldCycle } from "./graph_model.js";

const keyOf = (target) => {
  const node = target.closest?.("[data-node-id]");
  if (node) return node.getAttribute("data-node-id");
  const block = target.closest?.("[data-block]");
  return block ? `block:${block.getAttribute("data-block")}` : null;
};

export function attachKeys(canvas, ctx) {
  const el = canvas.el;
  let menu = null;

  const focusKey = (key) => {
    if (!key) return;
    const box = canvas.itemEl(key);
    if (!box) return;
    canvas.view.ensureVisible(canvas.layout().boxes.get(key));
    box.focus();
  };

  function neighbour(key, dir) {
    const lay = canvas.layout();
    const here = lay.boxes.get(key);
    if (dir === "up") {
      const e = lay.edges.filter((x) => x.to === key).sort((a, b) => a.port - b.port)[0];
      return e?.from;
    }
    if (dir === "down") {
      const next = lay.edges.filter((x) => x.from === key).map((x) => lay.boxes.get(x.to));
      return next.sort((a, b) => a.y - b.y || a.x - b.x)[0]?.key;
    }
    const row = [...lay.boxes.values()].filter((b) => Math.abs(b.y + b.h / 2 - (here.y + here.h / 2)) < 8).sort((a, b) => a.x - b.x);
    const k = row.findIndex((b) => b.key === key) + (dir === "right" ? 1 : -1);
    return row[k]?.key;
  }

  el.addEventListener("keydown", (e) => {
    if (menu && menu.contains(e.target)) return;
    const key = keyOf(e.target);
    if (!key) return;
    const block = key.startsWith("block:") ? key.slice(6) : null;
    const mod = e.ctrlKey || e.metaKey;
    const arrows = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
    let handled = true;
    if (arrows[e.key] && !mod && !e.altKey) focusKey(neighbour(key, arrows[e.key]));
    else if (e.key === "Home") focusKey([...canvas.layout().boxes.keys()][0]);
    else if (e.key === "End") focusKey([...canvas.layout().boxes.keys()].pop());
    else if (block && (e.key === "Enter" || e.key === "]" || e.key === " ")) ctx.toggleBlock(block, false);
    else if (block) handled = false;
    else if (e.key === "Delete" || e.key === "Backspace") ctx.deleteSelection(key);
    else if ((mod && e.key.toLowerCase() === "d") || (!mod && e.key === "d")) ctx.duplicateSelection(key);
    else if (e.key === "c" && !mod) openMenu(key);
    else if (e.key === "[") ctx.collapseAround(key);
    else if (e.key === "Enter" || e.key === " ") ctx.focusEditor(key);
    else if (e.key === "Escape") ctx.clearSelection();
    else handled = false;
    if (handled) e.preventDefault();
  });

  // -- connect…: where the focused node's output can go without making a cycle
  function options(source) {
    const graph = ctx.graph();
    const sources = sourceMap(graph);
    const merges = [];
    const layers = [];
    for (const n of graph.nodes || []) {
      if (n.id === source || wouldCycle(graph, source, n.id)) continue;
      const src = sources.get(n.id) || [];
      if (ctx.isMerge(n.type)) merges.push({ target: n.id, port: src.length, label: `${n.type} ${n.id}: new input ${src.length + 1}` });
      else if (!(src.length === 1 && src[0] === source)) layers.push({ target: n.id, port: 0, label: `${n.type} ${n.id}: read it instead of ${src[0] ?? "nothing"}` });
    }
    return [...merges, ...layers];
  }

  function closeMenu(refocus) {
    const open = menu;
    if (!open) return;
    menu = null; // first: removing the menu blurs it, and its focusout comes back here
    open.remove();
    if (refocus) focusKey(open.getAttribute("data-source"));
  }

  function openMenu(source) {
    closeMenu(false);
    const list = options(source);
    menu = h("div", "dlp-connect-menu", null, {
      role: "listbox", "aria-label": `Connect the output of ${source} into…`, "data-source": source, tabindex: "-1",
    });
    menu.append(h("div", "dlp-connect-title", `Connect ${source} into…`));
    if (!list.length) menu.append(h("div", "dlp-hint", "No node can read it without making a cycle."));
    for (const o of list) {
      const b = h("button", "dlp-connect-option", o.label, {
        type: "button", role: "option", "data-target": o.target, "data-target-port": String(o.port), tabindex: "-1",
      });
      b.addEventListener("click", () => { closeMenu(false); ctx.connect(source, o.target, o.port); });
      menu.append(b);
    }
    menu.addEventListener("keydown", (e) => {
      const items = [...menu.querySelectorAll(".dlp-connect-option")];
      const k = items.indexOf(document.activeElement);
      if (e.key === "ArrowDown") items[Math.min(items.length - 1, k + 1)]?.focus();
      else if (e.key === "ArrowUp") items[Math.max(0, k - 1)]?.focus();
      else if (e.key === "Escape") closeMenu(true);
      else if (e.key === "Enter" || e.key === " ") document.activeElement?.click?.();
      else if (e.key === "Tab") closeMenu(false);
      else return;
      e.preventDefault();
    });
    menu.addEventListener("focusout", (e) => { if (menu && !menu.contains(e.relatedTarget)) closeMenu(false); });
    el.append(menu);
    ctx.announce(list.length ? `Connect ${source} into: ${list.length} choices; arrows move, Enter connects, Escape closes` : "No node can read it without making a cycle");
    (menu.querySelector(".dlp-connect-option") || menu).focus?.();
  }

  return { openMenu, closeMenu, focusKey };
}
