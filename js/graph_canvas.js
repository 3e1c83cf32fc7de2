// The canvas: a box per input, node and collapsed block, placed by graph_layout; SVG edges
// between their ports; a frame around each expanded block with a control that collapses it.
// Shapes, parameter counts and errors come from Python's report and are written into the
// boxes in place (`refresh`), so a report alone never rebuilds or re-lays out anything.
import { fmtCount, fmtShape, h } from "./format.js";
import { layoutGraph } from "./graph_layout.js";
import { attachView } from "./graph_view.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};

// A smooth path through the points (Catmull-Rom as cubic Béziers), leaving and entering
// ports vertically.
export function pathOf(pts) {
  if (pts.length < 2) return "";
  if (pts.length === 2) {
    const [a, b] = pts;
    const dy = Math.max(16, Math.abs(b.y - a.y) / 2);
    return `M${a.x},${a.y} C${a.x},${a.y + dy} ${b.x},${b.y - dy} ${b.x},${b.y}`;
  }
  let d = `M${pts[0].x},${pts[0].y}`;
  for (let i = 0; i < pts.length - 1; i++) {
    const p0 = pts[i - 1] || { x: pts[i].x, y: pts[i].y - 20 };
    const [p1, p2] = [pts[i], pts[i + 1]];
    const p3 = pts[i + 2] || { x: p2.x, y: p2.y + 20 };
    const c1 = { x: p1.x + (p2.x - p0.x) / 6, y: p1.y + (p2.y - p0.y) / 6 };
    const c2 = { x: p2.x - (p3.x - p1.x) / 6, y: p2.y - (p3.y - p1.y) / 6 };
    d += ` C${c1.x},${c1.y} ${c2.x},${c2.y} ${p2.x},${p2.y}`;
  }
  return d;
}

function distToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len)) : 0;
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// The parameters a node shows on its face: those the palette starts it with (the ones that
// define it: out_channels, kernel_size), else the first it sets.
function mainParams(node, entry) {
  const params = node.params || {};
  const keys = Object.keys(entry?.starting_params || {}).filter((k) => k in params);
  const shown = (keys.length ? keys : Object.keys(params)).slice(0, 3);
  const text = (v) => (Array.isArray(v) ? v.join("×") : String(v));
  return shown.map((k) => `${k} ${text(params[k])}`).join(", ");
}

export function createCanvas() {
  const el = h("div", "dlp-graph", null, { role: "group", "aria-label": "Model graph" });
  const world = h("div", "dlp-graph-world");
  const markerId = `dlp-arrow-${Math.random().toString(36).slice(2)}`;
  const edgesSvg = svg("svg", { class: "dlp-graph-edges" });
  const defs = svg("defs");
  const marker = svg("marker", { id: markerId, viewBox: "0 0 8 8", refX: "7", refY: "4", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L8,4 L0,8 z", class: "dlp-edge-arrow" }));
  defs.append(marker);
  const edgeLayer = svg("g");
  const linkLayer = svg("g"); // the line a port drag draws
  edgesSvg.append(defs, edgeLayer, linkLayer);
  const frames = h("div", "dlp-graph-frames");
  const boxesLayer = h("div", "dlp-graph-nodes");
  world.append(frames, edgesSvg, boxesLayer);
  el.append(world);
  const view = attachView(el, world);

  let lay = null;
  let state = null;
  const items = new Map(); // key -> element
  const edgePaths = []; // {edge, pts, path}

  function portCount(id) {
    const node = state.nodeById.get(id);
    if (!node) return 0;
    const n = state.sources.get(id)?.length ?? 0;
    return state.isMerge(node.type) ? n + 1 : Math.max(1, n);
  }

  // where an edge leaves or enters a box, in world coordinates
  function outPoint(key) {
    const b = lay.boxes.get(key);
    return { x: b.x + b.w / 2, y: b.y + b.h };
  }
  function inPoint(key, port) {
    const b = lay.boxes.get(key);
    if (b.kind !== "node") return { x: b.x + b.w / 2, y: b.y };
    const n = portCount(b.id);
    return { x: b.x + (b.w * (Math.min(port, n - 1) + 1)) / (n + 1), y: b.y };
  }

  function portEl(kind, index, total, label) {
    const port = h("span", `dlp-port dlp-port-${kind === "out" ? "out" : "in"}`, label ?? null, {
      "data-port": kind === "out" ? "out" : `in:${index}`,
      title: kind === "out" ? "Output: drag onto an input to connect" : `Input ${index + 1}: drag onto an output to connect, away to disconnect`,
    });
    if (kind !== "out") port.style.left = `${(100 * (index + 1)) / (total + 1)}%`;
    return port;
  }

  function nodeBox(b) {
    const node = state.nodeById.get(b.id);
    const entry = state.entry(node.type);
    const merge = state.isMerge(node.type);
    const box = h("div", "dlp-node", null, { "data-node-id": b.id, tabindex: "0", role: "button" });
    if (merge) box.classList.add("dlp-node-merge");
    const head = h("div", "dlp-node-head");
    head.append(h("span", "dlp-node-type", node.type), h("span", "dlp-node-id", b.id === node.type ? "" : b.id));
    const params = mainParams(node, entry);
    box.append(head, h("div", "dlp-node-params", params, { title: params }));
    const foot = h("div", "dlp-node-foot");
    foot.append(h("span", "dlp-node-shape", "—"), h("span", "dlp-node-count", ""));
    box.append(foot, h("div", "dlp-node-msg"));
    const n = portCount(b.id);
    const connected = state.sources.get(b.id)?.length ?? 0;
    for (let k = 0; k < n; k++) {
      const port = portEl("in", k, n, merge ? (k < connected ? String(k + 1) : "+") : null);
      if (k >= connected) port.classList.add("dlp-port-free");
      box.append(port);
    }
    box.append(portEl("out"));
    return box;
  }

  function inputBox(b) {
    const input = state.graph.inputs.find((x) => x.id === b.id);
    const box = h("div", "dlp-node dlp-node-input", null, {
      "data-node-id": b.id, tabindex: "0", role: "button", "aria-label": `Input ${b.id}, shape ${fmtShape(input?.shape)}`,
    });
    const head = h("div", "dlp-node-head");
    head.append(h("span", "dlp-node-type", "Input"), h("span", "dlp-node-id", b.id));
    box.append(head, h("div", "dlp-node-foot", null), portEl("out"));
    box.querySelector(".dlp-node-foot").append(h("span", "dlp-node-shape", fmtShape(input?.shape)));
    return box;
  }

  function blockBox(b) {
    const count = lay.members.get(b.id)?.length ?? 0;
    const box = h("div", "dlp-block", null, {
      "data-block": b.id, tabindex: "0", role: "button", "aria-expanded": "false",
      title: "Click or Enter expands this block",
    });
    const head = h("div", "dlp-node-head");
    head.append(h("span", "dlp-node-type", b.id), h("span", "dlp-node-id", `${count} nodes`));
    box.append(head, h("div", "dlp-block-shapes", "—"), h("div", "dlp-node-foot"));
    box.querySelector(".dlp-node-foot").append(h("span", "dlp-node-count", ""));
    return box;
  }

  function drawFrames() {
    const out = [];
    const expanded = [...lay.members].filter(([, ids]) => ids.every((id) => lay.boxes.has(id)));
    // a frame holding other frames is wider by a step for each level, so that their
    // controls never sit on top of each other
    const level = new Map();
    for (const [prefix] of [...expanded].sort((a, b) => b[0].length - a[0].length)) {
      const inner = expanded.filter(([p]) => p.startsWith(`${prefix}.`)).map(([p]) => level.get(p) + 1);
      level.set(prefix, Math.max(0, ...inner));
    }
    for (const [prefix, ids] of expanded) {
      const shown = ids.map((id) => lay.boxes.get(id));
      const pad = 6 + 14 * level.get(prefix);
      const x0 = Math.min(...shown.map((b) => b.x)) - pad;
      const y0 = Math.min(...shown.map((b) => b.y)) - pad - 14;
      const x1 = Math.max(...shown.map((b) => b.x + b.w)) + pad;
      const y1 = Math.max(...shown.map((b) => b.y + b.h)) + pad;
      const frame = h("div", "dlp-block-frame", null, { "data-frame": prefix });
      Object.assign(frame.style, { left: `${x0}px`, top: `${y0}px`, width: `${x1 - x0}px`, height: `${y1 - y0}px` });
      const button = h("button", "dlp-block-collapse", `− ${prefix}`, {
        type: "button", "data-collapse": prefix, title: `Collapse the block ${prefix} into one box`, tabindex: "-1",
      });
      frame.append(button);
      out.push(frame);
    }
    frames.replaceChildren(...out);
  }

  function drawEdges() {
    edgePaths.length = 0;
    const paths = [];
    for (const e of lay.edges) {
      // from the rim of the out port to the rim of the in port, where the arrow's tip shows
      const start = { ...outPoint(e.from), y: outPoint(e.from).y + 7 };
      const end = { ...inPoint(e.to, e.port), y: inPoint(e.to, e.port).y - 7 };
      const mids = e.points.slice(1, -1);
      const pts = [start, ...mids, end];
      const path = svg("path", {
        class: "dlp-edge", d: pathOf(pts), "data-edge": `${e.source}->${e.target}:${e.port}`, "marker-end": `url(#${markerId})`,
      });
      edgePaths.push({ edge: e, pts, path });
      paths.push(path);
    }
    edgeLayer.replaceChildren(...paths);
  }

  // Rebuild every box and edge: the structure, the collapsed set or a parameter changed.
  function draw(next) {
    state = next;
    lay = layoutGraph(state.graph, state.collapsed);
    const made = [];
    items.clear();
    for (const b of lay.boxes.values()) {
      const box = b.kind === "input" ? inputBox(b) : b.kind === "block" ? blockBox(b) : nodeBox(b);
      Object.assign(box.style, { left: `${b.x}px`, top: `${b.y}px`, width: `${b.w}px`, height: `${b.h}px` });
      items.set(b.key, box);
      made.push(box);
    }
    boxesLayer.replaceChildren(...made);
    Object.assign(world.style, { width: `${lay.width}px`, height: `${lay.height}px` });
    edgesSvg.setAttribute("width", String(Math.max(1, lay.width)));
    edgesSvg.setAttribute("height", String(Math.max(1, lay.height)));
    drawFrames();
    drawEdges();
    refresh(state.report);
    setSelected(state.selected);
    return lay;
  }

  // Write Python's answer into the boxes that are already there.
  function refresh(report) {
    state.report = report || {};
    const infos = new Map((state.report.nodes || []).map((n) => [n.id, n]));
    const top = state.report.error;
    for (const [key, box] of items) {
      const b = lay.boxes.get(key);
      if (b.kind === "block") {
        refreshBlock(box, b.id);
        continue;
      }
      if (b.kind !== "node") continue;
      const info = infos.get(b.id) || {};
      const error = info.error || (top && top.node === b.id && !infos.has(b.id) ? top : null);
      box.querySelector(".dlp-node-shape").textContent = fmtShape(info.output_shape);
      const count = info.params;
      box.querySelector(".dlp-node-count").textContent = typeof count === "number" ? `${fmtCount(count)} params` : "";
      const msg = box.querySelector(".dlp-node-msg");
      msg.textContent = error ? error.message : info.warning || "";
      msg.className = `dlp-node-msg${error ? " dlp-node-error" : info.warning ? " dlp-node-warning" : ""}`;
      msg.setAttribute("role", error ? "alert" : "note");
      box.classList.toggle("dlp-invalid", Boolean(error));
      box.classList.toggle("dlp-warned", Boolean(!error && info.warning));
      const node = state.nodeById.get(b.id);
      box.setAttribute("aria-label", `${node.type} ${b.id}` + (info.output_shape ? `, output ${fmtShape(info.output_shape)}` : "") + (error ? `, error: ${error.message}` : ""));
    }
  }

  function refreshBlock(box, prefix) {
    const info = (state.report.blocks || []).find((x) => x.prefix === prefix);
    const shapes = (list) => (list || []).map((x) => fmtShape(x.shape)).join(" ");
    box.querySelector(".dlp-block-shapes").textContent = info ? `${shapes(info.inputs)} → ${shapes(info.outputs)}` : "—";
    box.querySelector(".dlp-node-count").textContent = info ? `${fmtCount(info.params)} params` : "";
    box.setAttribute("aria-label", `Block ${prefix}, collapsed` + (info ? `, ${shapes(info.inputs)} to ${shapes(info.outputs)}, ${fmtCount(info.params)} parameters` : "") + "; Enter expands it");
  }

  function setSelected(selected) {
    state.selected = selected;
    for (const [key, box] of items) box.classList.toggle("dlp-selected", selected.has(key) || (state.inputSelected === key));
  }

  // The edge nearest a point (world coordinates) within `tolerance`, for a palette drop.
  function edgeAt(p, tolerance) {
    let best = null;
    let bestD = tolerance;
    for (const item of edgePaths) {
      for (let i = 0; i < item.pts.length - 1; i++) {
        const d = distToSegment(p, item.pts[i], item.pts[i + 1]);
        if (d < bestD) { bestD = d; best = item; }
      }
    }
    return best;
  }

  function showLink(from, to) {
    linkLayer.replaceChildren();
    if (from && to) linkLayer.append(svg("path", { class: "dlp-link", d: pathOf([from, to]) }));
  }

  return {
    el, view, draw, refresh, setSelected, edgeAt, showLink, outPoint, inPoint,
    itemEl: (key) => items.get(key),
    layout: () => lay,
    edgePaths: () => edgePaths,
  };
}
