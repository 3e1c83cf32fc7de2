// Pure functions over the builder's graph (spec version 2: inputs, nodes, outputs). A node
// without `inputs` reads the node before it in the list (the first node reads the first
// input), so edits work on an opened copy where every node's sources are explicit, and
// closing it writes `inputs` only where the implicit meaning would be wrong: a chain edited
// in a line stays a chain, and an imported graph keeps its explicit inputs.

export const clone = (v) => JSON.parse(JSON.stringify(v));

export const firstInput = (graph) => graph.inputs?.[0]?.id ?? "x";
export const inputIds = (graph) => (graph.inputs || []).map((i) => i.id);
export const nodeIndex = (graph, id) => (graph.nodes || []).findIndex((n) => n.id === id);

export function sourcesAt(graph, i) {
  const node = graph.nodes[i];
  if (Array.isArray(node.inputs)) return node.inputs.slice();
  return [i ? graph.nodes[i - 1].id : firstInput(graph)];
}

// id -> the ids it reads, for every node
export function sourceMap(graph) {
  const out = new Map();
  (graph.nodes || []).forEach((n, i) => out.set(n.id, sourcesAt(graph, i)));
  return out;
}

// id -> [{id, port}] of the nodes reading it, in list order
export function readerMap(graph) {
  const out = new Map();
  (graph.nodes || []).forEach((n, i) => {
    sourcesAt(graph, i).forEach((s, port) => {
      if (!out.has(s)) out.set(s, []);
      out.get(s).push({ id: n.id, port });
    });
  });
  return out;
}

export function outputIds(graph) {
  if (Array.isArray(graph.outputs)) return graph.outputs.slice();
  const nodes = graph.nodes || [];
  return [nodes.length ? nodes[nodes.length - 1].id : firstInput(graph)];
}

// Every id `id` depends on (what flows into it), for refusing an edge that makes a cycle.
export function ancestors(graph, id) {
  const sources = sourceMap(graph);
  const seen = new Set();
  const stack = [...(sources.get(id) || [])];
  while (stack.length) {
    const s = stack.pop();
    if (seen.has(s)) continue;
    seen.add(s);
    for (const t of sources.get(s) || []) stack.push(t);
  }
  return seen;
}

export const wouldCycle = (graph, source, target) => source === target || ancestors(graph, source).has(target);

// A readable id nobody uses yet: the type in lower case and the smallest free number
// (conv2d1, add2), inside `prefix` when the node joins a block. Dots are dropped from the
// type so that a new id never invents a block of its own.
export function freshId(graph, type, prefix = "", taken = new Set()) {
  const used = new Set([...inputIds(graph), ...(graph.nodes || []).map((n) => n.id), ...taken]);
  const base = `${prefix ? `${prefix}.` : ""}${String(type).toLowerCase().replace(/[^a-z0-9_-]/g, "") || "node"}`;
  let n = 1;
  while (used.has(`${base}${n}`)) n += 1;
  return `${base}${n}`;
}

// -- blocks: the nodes whose ids share a dotted prefix, as Python's spec/blocks.py finds them

export function blockPrefixes(id) {
  const parts = id.split(".");
  return parts.slice(1).map((_, k) => parts.slice(0, k + 1).join("."));
}

// prefix -> member ids, for prefixes of two nodes or more (not an input's id)
export function blockMembers(graph) {
  const members = new Map();
  for (const n of graph.nodes || []) {
    for (const p of blockPrefixes(n.id)) {
      if (!members.has(p)) members.set(p, []);
      members.get(p).push(n.id);
    }
  }
  const inputs = new Set(inputIds(graph));
  for (const [p, ids] of members) if (ids.length < 2 || inputs.has(p)) members.delete(p);
  return members;
}

// The outermost collapsed block holding `id`, or null when the node shows on its own.
export function collapsedBlockOf(id, collapsed, members) {
  for (const p of blockPrefixes(id)) if (collapsed.has(p) && members.has(p)) return p;
  return null;
}

// The innermost block two ids share, so that a node inserted between them joins it.
export function commonBlock(a, b, members) {
  const pa = blockPrefixes(a || "");
  const pb = new Set(blockPrefixes(b || ""));
  for (let k = pa.length - 1; k >= 0; k--) if (pb.has(pa[k]) && members.has(pa[k])) return pa[k];
  return "";
}

// -- edits: open → change sources, order and outputs → close

function open(graph, isMerge) {
  return {
    graph,
    inputs: clone(graph.inputs || []),
    entries: (graph.nodes || []).map((n, i) => ({
      node: n, src: sourcesAt(graph, i), hadKey: Array.isArray(n.inputs), merge: isMerge(n.type),
    })),
    outs: outputIds(graph),
    hadOutputs: Array.isArray(graph.outputs),
  };
}

function close(w) {
  const first = w.inputs[0]?.id ?? "x";
  const nodes = w.entries.map((e, i) => {
    const implicit = i ? w.entries[i - 1].node.id : first;
    const out = { id: e.node.id, type: e.node.type };
    if (e.node.params && Object.keys(e.node.params).length) out.params = e.node.params;
    const readsPrevious = e.src.length === 1 && e.src[0] === implicit;
    if (e.merge || e.hadKey || !readsPrevious) out.inputs = e.src.slice();
    return out;
  });
  const graph = { ...w.graph, inputs: w.inputs, nodes };
  const outs = [...new Set(w.outs)].filter((o) => o === first || nodes.some((n) => n.id === o) || w.inputs.some((x) => x.id === o));
  const last = nodes.length ? nodes[nodes.length - 1].id : first;
  if (!outs.length || (!w.hadOutputs && outs.length === 1 && outs[0] === last)) delete graph.outputs;
  else graph.outputs = outs;
  return graph;
}

const at = (w, id) => w.entries.findIndex((e) => e.node.id === id);
const readersIn = (w, id) => w.entries.filter((e) => e.src.includes(id));

// Add `node` after `afterId` (a node or an input; null: after the last node) and splice it
// into the flow there: the node that read `afterId` next (its only reader, or the reader
// that follows it in the list) now reads the new node, and an output `afterId` passes to it.
export function addAfter(graph, afterId, node, isMerge) {
  const w = open(graph, isMerge);
  const after = afterId ?? (w.entries.length ? w.entries[w.entries.length - 1].node.id : firstInput(graph));
  const pos = w.inputs.some((x) => x.id === after) ? 0 : at(w, after) + 1;
  const readers = readersIn(w, after);
  const next = w.entries[pos];
  const follower = readers.length === 1 ? readers[0] : next && next.src.includes(after) ? next : null;
  if (follower) follower.src = follower.src.map((s) => (s === after ? node.id : s));
  else w.outs = w.outs.map((o) => (o === after ? node.id : o));
  w.entries.splice(pos, 0, { node, src: [after], hadKey: false, merge: isMerge(node.type) });
  return close(w);
}

// Put `node` on the edge source -> target:port.
export function insertOnEdge(graph, source, target, port, node, isMerge) {
  const w = open(graph, isMerge);
  const t = at(w, target);
  if (t < 0) return graph;
  w.entries[t].src[port] = node.id;
  w.entries.splice(t, 0, { node, src: [source], hadKey: false, merge: isMerge(node.type) });
  return close(w);
}

// Let `target` read `source` at `port`; a port past a merge's last input appends one.
export function connect(graph, source, target, port, isMerge) {
  const w = open(graph, isMerge);
  const e = w.entries[at(w, target)];
  if (!e) return graph;
  if (port < e.src.length) e.src[port] = source;
  else if (e.merge || !e.src.length) e.src.push(source);
  else e.src[e.src.length - 1] = source;
  return close(w);
}

// Remove what `target` reads at `port`: a merge loses that input; a layer is left without
// one (Python names the missing input on the node until something is connected).
export function disconnect(graph, target, port, isMerge) {
  const w = open(graph, isMerge);
  const e = w.entries[at(w, target)];
  if (!e || port >= e.src.length) return graph;
  e.src.splice(port, 1);
  return close(w);
}

// Delete nodes; what read a deleted node reads its first source instead, so deleting in a
// chain closes the gap, and deleting a merge keeps its main path.
export function deleteNodes(graph, ids, isMerge) {
  const w = open(graph, isMerge);
  for (const id of ids) {
    const k = at(w, id);
    if (k < 0) continue;
    const [gone] = w.entries.splice(k, 1);
    const instead = gone.src[0];
    for (const e of w.entries) {
      if (!e.src.includes(id)) continue;
      e.src = instead === undefined ? e.src.filter((s) => s !== id) : e.src.map((s) => (s === id ? instead : s));
    }
    w.outs = w.outs.flatMap((o) => (o !== id ? [o] : instead === undefined ? [] : [instead]));
  }
  return close(w);
}

// Duplicate nodes, their edges among themselves kept. A group fed from one place with one
// way out is repeated after itself (a chain of layers, a residual block: the copy reads the
// original's output and takes over its readers); anything else is copied beside it.
export function duplicateNodes(graph, ids, isMerge) {
  const w = open(graph, isMerge);
  const group = w.entries.filter((e) => ids.includes(e.node.id));
  if (!group.length) return { graph, copies: [] };
  const inGroup = new Set(group.map((e) => e.node.id));
  const rename = new Map();
  const taken = new Set();
  for (const e of group) {
    const parts = e.node.id.split(".");
    const fresh = freshId(graph, e.node.type, parts.slice(0, -1).join("."), taken);
    taken.add(fresh);
    rename.set(e.node.id, fresh);
  }
  const entering = [...new Set(group.flatMap((e) => e.src.filter((s) => !inGroup.has(s))))];
  const exits = group.filter((e) => w.outs.includes(e.node.id) || w.entries.some((r) => !inGroup.has(r.node.id) && r.src.includes(e.node.id)));
  const exit = (exits.length ? exits : [group[group.length - 1]]);
  const repeat = entering.length === 1 && exit.length === 1 && !(group.length === 1 && group[0].merge);
  const out = exit[0].node.id;
  const copies = group.map((e) => ({
    node: { ...clone(e.node), id: rename.get(e.node.id) },
    src: e.src.map((s) => (inGroup.has(s) ? rename.get(s) : repeat && s === entering[0] ? out : s)),
    hadKey: false,
    merge: e.merge,
  }));
  if (repeat) {
    for (const r of w.entries) if (!inGroup.has(r.node.id)) r.src = r.src.map((s) => (s === out ? rename.get(out) : s));
    w.outs = w.outs.map((o) => (o === out ? rename.get(out) : o));
  }
  const last = Math.max(...group.map((e) => at(w, e.node.id)));
  w.entries.splice(last + 1, 0, ...copies);
  return { graph: close(w), copies: copies.map((c) => c.node.id) };
}

export function setParam(graph, id, name, value) {
  const next = { ...graph, nodes: graph.nodes.map((n) => ({ ...n })) };
  const node = next.nodes.find((n) => n.id === id);
  if (!node) return graph;
  const params = { ...(node.params || {}) };
  if (value === null) delete params[name];
  else params[name] = value;
  if (Object.keys(params).length) node.params = params;
  else delete node.params;
  return next;
}

export function setInputShape(graph, shape) {
  const inputs = (graph.inputs || [{ id: "x" }]).map((x, i) => (i ? x : { ...x, shape }));
  return { ...graph, inputs };
}
