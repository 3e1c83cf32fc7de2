// The layer builder's edits, each one step of undo with its words for the live region:
// add after the selection or on an edge, connect, disconnect, delete, duplicate, edit a
// parameter, fold and unfold blocks. Pure graph work is graph_model's; this decides ids,
// where focus goes and what is said.
import * as gm from "./graph_model.js";

// `ctx`: graph, entry, isMerge, selectedIds, inputSelected (functions), commit, announce,
// collapsedSet, setCollapsed
export function createEdits(ctx) {
  const { graph, entry, isMerge, selectedIds, commit, announce, collapsedSet, setCollapsed } = ctx;
  const typeOf = (id) => graph().nodes.find((n) => n.id === id)?.type ?? "input";

  // where a new node goes: after the last selected node (in list order), the selected input,
  // or the end
  function anchor() {
    const sel = new Set(selectedIds());
    const nodes = graph().nodes.filter((n) => sel.has(n.id));
    if (nodes.length) return nodes[nodes.length - 1].id;
    return ctx.inputSelected();
  }

  function newNode(name, prefix) {
    const id = gm.freshId(graph(), name, prefix);
    const node = { id, type: name };
    const params = gm.clone(entry(name)?.starting_params ?? {});
    // the palette's starting values, written into the spec: torch has no default for some
    // (out_features, kernel_size), so without them a new layer would not be valid at once
    if (Object.keys(params).length) node.params = params;
    return node;
  }

  function addNode(name, target = {}) {
    if (!entry(name)) return;
    const g = graph();
    const members = gm.blockMembers(g);
    if (target.edge) {
      const { source, target: to, port } = target.edge;
      const node = newNode(name, gm.commonBlock(source, to, members));
      commit(gm.insertOnEdge(g, source, to, port, node, isMerge), `Inserted ${name} ${node.id} between ${source} and ${to}`, { key: node.id }, [node.id]);
      return;
    }
    const after = target.after ?? anchor() ?? (g.nodes.length ? g.nodes[g.nodes.length - 1].id : gm.firstInput(g));
    const readers = gm.readerMap(g).get(after) || [];
    const node = newNode(name, readers.length === 1 ? gm.commonBlock(after, readers[0].id, members) : "");
    const next = gm.addAfter(g, after, node, isMerge);
    commit(next, `Added ${name} ${node.id} after ${after}; ${next.nodes.length} nodes`, { key: node.id }, [node.id]);
  }

  function connect(source, target, port) {
    const g = graph();
    const srcs = gm.sourceMap(g).get(target) || [];
    const at = port ?? (isMerge(typeOf(target)) ? srcs.length : 0);
    if (gm.wouldCycle(g, source, target)) {
      announce(`Not connected: ${target} feeds ${source}, so the edge would make a cycle`);
      return;
    }
    if (srcs[at] === source) return;
    commit(gm.connect(g, source, target, at, isMerge), `Connected ${source} to ${target}, input ${at + 1}`, { key: target });
  }

  function disconnect(target, port) {
    const g = graph();
    const source = (gm.sourceMap(g).get(target) || [])[port];
    if (source === undefined) return;
    commit(gm.disconnect(g, target, port, isMerge), `Disconnected ${source} from ${target}, input ${port + 1}`, { key: target });
  }

  function deleteSelection(key) {
    const g = graph();
    const sel = selectedIds();
    const ids = sel.includes(key) ? sel : [key];
    const nodes = ids.filter((id) => gm.nodeIndex(g, id) >= 0);
    if (!nodes.length) {
      announce("An input cannot be deleted");
      return;
    }
    const sources = gm.sourceMap(g);
    const gone = new Set(nodes);
    let focus = sources.get(nodes[0])?.[0];
    while (gone.has(focus)) focus = sources.get(focus)?.[0];
    const next = gm.deleteNodes(g, nodes, isMerge);
    const names = nodes.map((id) => `${typeOf(id)} ${id}`).join(", ");
    commit(next, `Deleted ${names}; ${next.nodes.length} nodes left`, focus ? { key: focus } : { palette: true }, focus && gm.nodeIndex(next, focus) >= 0 ? [focus] : []);
  }

  function duplicateSelection(key) {
    const g = graph();
    const sel = selectedIds();
    const ids = sel.includes(key) ? sel : [key];
    const { graph: next, copies } = gm.duplicateNodes(g, ids, isMerge);
    if (!copies.length) return;
    commit(next, `Duplicated ${ids.join(", ")} as ${copies.join(", ")}`, { key: copies[copies.length - 1] }, copies);
  }

  function setParam(id, name, value) {
    commit(gm.setParam(graph(), id, name, value), null, { param: name });
  }

  function toggleBlock(prefix, collapse) {
    const set = collapsedSet();
    const members = gm.blockMembers(graph()).get(prefix) || [];
    if (collapse) {
      set.add(prefix);
      for (const p of [...set]) if (p.startsWith(`${prefix}.`)) set.delete(p);
      setCollapsed(set, `Collapsed the block ${prefix}: ${members.length} nodes in one box`, { key: `block:${prefix}` });
    } else {
      set.delete(prefix);
      setCollapsed(set, `Expanded the block ${prefix}: ${members.length} nodes`, { key: members[0] });
    }
  }

  function collapseAround(key) {
    const members = gm.blockMembers(graph());
    const inner = gm.blockPrefixes(key).reverse().find((p) => members.has(p));
    if (inner) toggleBlock(inner, true);
    else announce(`${key} is in no block`);
  }

  return { anchor, addNode, connect, disconnect, deleteSelection, duplicateSelection, setParam, toggleBlock, collapseAround };
}
