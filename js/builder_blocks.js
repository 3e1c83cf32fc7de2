// Block templates (residual, bottleneck, …) are made by Python, for the shape the block will
// receive: the browser only asks, with a custom message, and Python answers with a new graph
// or with a refusal in words. The graph before the request is kept for undo at once, so that
// undo takes the block away whenever the answer comes.
import { h } from "./format.js";

// `ctx`: model, graph, templates (functions), anchor (where a new node goes), remember and
// forget (a graph onto / off the undo stack), announce
export function createBlocks(ctx) {
  const { model, graph, announce } = ctx;
  const errorLine = h("div", "dlp-block-error");
  let pending = null; // { title, before: ids present when asked, snapshot: the graph then }

  const titleOf = (name) => (ctx.templates().find((t) => t.name === name)?.title || name).toLowerCase();

  function add(name, after = null) {
    const where = after ?? ctx.anchor() ?? null;
    const snapshot = graph();
    ctx.remember(snapshot);
    pending = { title: titleOf(name), before: new Set(snapshot.nodes.map((n) => n.id)), snapshot };
    errorLine.textContent = "";
    model.send({ kind: "add_block", name, after: where });
    announce(`Adding a ${pending.title} ${where ? `after ${where}` : "at the end"}…`);
  }

  // on every new graph: the one that brings the block says what came
  function onGraph() {
    errorLine.textContent = "";
    if (!pending) return;
    const fresh = graph().nodes.map((n) => n.id).filter((id) => !pending.before.has(id));
    if (!fresh.length) return;
    const prefix = fresh[0].split(".")[0];
    announce(`Added a ${pending.title} ${prefix}: ${fresh.length} nodes, ${fresh[0]} to ${fresh[fresh.length - 1]}`);
    pending = null;
  }

  function onMessage(msg) {
    if (!msg || msg.kind !== "refused") return;
    if (pending) ctx.forget(pending.snapshot);
    pending = null;
    errorLine.textContent = msg.message;
    announce(`No block added: ${msg.message}`);
  }

  model.on("msg:custom", onMessage);
  return { add, onGraph, errorLine, dispose: () => model.off("msg:custom", onMessage) };
}
