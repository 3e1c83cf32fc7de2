// Pointer work on the canvas that edits the graph: dragging from a port to a port connects
// them, dragging a connected input away disconnects it, and a palette item dropped on a
// node, an edge or empty canvas is added after that node, on that edge, or after the
// selection (a block template: after that node or after the selection).
export const DRAG_TYPE = "application/x-dlp-layer";
export const BLOCK_DRAG_TYPE = "application/x-dlp-block";

export function attachLinks(canvas, on) {
  const el = canvas.el;
  let link = null;

  const portOf = (target) => {
    const port = target?.closest?.("[data-port]");
    const node = port?.closest("[data-node-id]");
    if (!port || !node || !el.contains(node)) return null;
    return { node: node.getAttribute("data-node-id"), port: port.getAttribute("data-port") };
  };
  const portPoint = ({ node, port }) => (port === "out" ? canvas.outPoint(node) : canvas.inPoint(node, Number(port.slice(3))));

  el.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const from = portOf(e.target);
    if (!from) return;
    e.stopPropagation();
    e.preventDefault(); // no text selection while dragging a line
    link = { id: e.pointerId, from, start: portPoint(from), x: e.clientX, y: e.clientY, moved: false };
    el.setPointerCapture?.(e.pointerId);
  });

  el.addEventListener("pointermove", (e) => {
    if (!link || e.pointerId !== link.id) return;
    if (!link.moved && Math.hypot(e.clientX - link.x, e.clientY - link.y) < 4) return;
    link.moved = true;
    el.classList.add("dlp-linking");
    const p = canvas.view.toWorld(e.clientX, e.clientY);
    if (link.from.port === "out") canvas.showLink(link.start, p);
    else canvas.showLink(p, link.start);
  });

  const finish = (e, cancelled) => {
    if (!link || e.pointerId !== link.id) return;
    const { from, moved } = link;
    link = null;
    canvas.showLink(null);
    el.classList.remove("dlp-linking");
    if (cancelled || !moved) return;
    const under = document.elementFromPoint(e.clientX, e.clientY);
    const to = portOf(under);
    const nodeEl = under?.closest?.("[data-node-id]");
    const onNode = nodeEl && el.contains(nodeEl) ? nodeEl.getAttribute("data-node-id") : null;
    if (from.port === "out") {
      if (to && to.port !== "out") on.connect(from.node, to.node, Number(to.port.slice(3)));
      else if (onNode && onNode !== from.node) on.connect(from.node, onNode, null);
      return;
    }
    const port = Number(from.port.slice(3));
    if (to && to.port === "out") on.connect(to.node, from.node, port);
    else if (!onNode && !under?.closest?.(".dlp-block") && el.contains(under)) on.disconnect(from.node, port);
  };
  el.addEventListener("pointerup", (e) => finish(e, false));
  el.addEventListener("pointercancel", (e) => finish(e, true));

  // -- palette drops
  let hot = null;
  const setHot = (item) => {
    if (hot === item) return;
    hot?.classList.remove("dlp-drop-hot");
    hot = item;
    hot?.classList.add("dlp-drop-hot");
  };
  function dropTarget(e) {
    const nodeEl = e.target.closest?.("[data-node-id]");
    if (nodeEl && el.contains(nodeEl)) return { el: nodeEl, after: nodeEl.getAttribute("data-node-id") };
    if (e.target.closest?.(".dlp-block")) return { el: null };
    const p = canvas.view.toWorld(e.clientX, e.clientY);
    const near = canvas.edgeAt(p, 12 / canvas.view.transform.k);
    if (near) return { el: near.path, edge: near.edge };
    return { el: null };
  }
  const types = (e) => [...(e.dataTransfer?.types || [])];
  const isBlock = (e) => types(e).includes(BLOCK_DRAG_TYPE);
  const isPalette = (e) => isBlock(e) || types(e).includes(DRAG_TYPE);
  el.addEventListener("dragover", (e) => {
    if (!isPalette(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    // Python makes a block after a node, never on an edge: only a node lights up for it
    const target = dropTarget(e);
    setHot(isBlock(e) && !target.after ? null : target.el);
  });
  el.addEventListener("dragleave", (e) => {
    if (!el.contains(e.relatedTarget)) setHot(null);
  });
  el.addEventListener("drop", (e) => {
    if (!isPalette(e)) return;
    e.preventDefault();
    const target = dropTarget(e);
    setHot(null);
    if (isBlock(e)) on.dropBlock(e.dataTransfer.getData(BLOCK_DRAG_TYPE), target.after ?? null);
    else on.drop(e.dataTransfer.getData(DRAG_TYPE), target);
  });
}
