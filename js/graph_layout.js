// Where every box of the canvas goes: dagre, top to bottom, each collapsed block one box.
// A layout depends on the structure (ids, edges, which blocks are collapsed) and on nothing
// Python reports, so it is cached by that structure: a new report, a parameter edit or a
// selection redraws without laying out again.
import { Graph, layout } from "@dagrejs/dagre";
import { blockMembers, collapsedBlockOf, sourcesAt } from "./graph_model.js";

export const NODE_W = 190;
export const NODE_H = 66;
export const INPUT_H = 44;
export const BLOCK_W = 210;
export const BLOCK_H = 76;

// What the canvas shows: inputs, nodes outside collapsed blocks, collapsed blocks; and the
// edges between them (an edge inside a collapsed block disappears, edges into one meet).
export function visibleGraph(graph, collapsed) {
  const members = blockMembers(graph);
  const items = [];
  const keyOf = new Map();
  for (const x of graph.inputs || []) {
    items.push({ key: x.id, kind: "input", id: x.id });
    keyOf.set(x.id, x.id);
  }
  const blocks = new Set();
  for (const n of graph.nodes || []) {
    const block = collapsedBlockOf(n.id, collapsed, members);
    if (block === null) {
      items.push({ key: n.id, kind: "node", id: n.id });
      keyOf.set(n.id, n.id);
    } else {
      const key = `block:${block}`;
      keyOf.set(n.id, key);
      if (!blocks.has(block)) items.push({ key, kind: "block", id: block });
      blocks.add(block);
    }
  }
  const edges = [];
  const seen = new Set();
  (graph.nodes || []).forEach((n, i) => {
    sourcesAt(graph, i).forEach((s, port) => {
      const from = keyOf.get(s);
      const to = keyOf.get(n.id);
      if (from === undefined || from === to) return; // an unknown source: Python names it on the node
      const block = from.startsWith("block:") || to.startsWith("block:");
      const pair = `${from}->${to}`;
      if (block && seen.has(pair)) return;
      seen.add(pair);
      edges.push({ from, to, source: s, target: n.id, port, name: `${from}->${to}:${port}` });
    });
  });
  return { items, edges, members };
}

const sizeOf = (item) => {
  if (item.kind === "block") return [BLOCK_W, BLOCK_H];
  return [NODE_W, item.kind === "input" ? INPUT_H : NODE_H];
};

const cache = new Map();
const CACHE_SIZE = 12;

export function layoutGraph(graph, collapsed) {
  const vis = visibleGraph(graph, collapsed);
  const key = JSON.stringify([vis.items.map((i) => i.key), vis.edges.map((e) => e.name)]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recent last
    cache.set(key, hit);
    return { ...hit, members: vis.members, edges: hit.edges.map((e, k) => ({ ...e, ...vis.edges[k] })) };
  }
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 38, edgesep: 14, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const item of vis.items) {
    const [width, height] = sizeOf(item);
    g.setNode(item.key, { width, height });
  }
  for (const e of vis.edges) g.setEdge(e.from, e.to, {}, e.name);
  layout(g);
  const boxes = new Map();
  for (const item of vis.items) {
    const n = g.node(item.key);
    boxes.set(item.key, { ...item, x: n.x - n.width / 2, y: n.y - n.height / 2, w: n.width, h: n.height });
  }
  const edges = vis.edges.map((e) => ({ ...e, points: (g.edge({ v: e.from, w: e.to, name: e.name })?.points || []).map((p) => ({ x: p.x, y: p.y })) }));
  const info = g.graph();
  const result = { boxes, edges, width: info.width || 0, height: info.height || 0, key };
  cache.set(key, result);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  return { ...result, members: vis.members };
}

export function clearLayoutCache() {
  cache.clear();
}
