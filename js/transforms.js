// TransformList: an ordered list of image transforms (train or test), reorderable by drag or
// keyboard, with an add menu and parameter boxes. Python validates `items` and answers in
// `error` and `shape`; the transform names and parameters come from `catalogue`.
import { h } from "./format.js";

const DRAG_TYPE = "application/x-dlp-transform";

function text(value) {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function parse(param, raw) {
  const t = raw.trim();
  if (param.kind === "floats") return t.split(/[\s,]+/).filter(Boolean).map(Number);
  if (param.kind === "size2") {
    const parts = t.split(/[\s,×x]+/).filter(Boolean).map(Number);
    return parts.length === 1 ? parts[0] : parts;
  }
  if (param.kind === "int" || param.kind === "float") return t === "" ? null : Number(t);
  return t;
}

function render({ model, el }) {
  const root = h("div", "dlp-transforms");
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  for (const type of ["keydown", "keypress", "keyup"]) root.addEventListener(type, (e) => e.stopPropagation());
  el.append(root);
  const title = h("div", "dlp-transforms-title");
  const list = h("div", "dlp-transforms-list", null, { role: "list" });
  const adder = h("div", "dlp-transforms-add");
  const picker = h("select", "dlp-transforms-picker", null, { "aria-label": "transform to add" });
  const add = h("button", "dlp-transforms-add-button", "Add", { type: "button" });
  const status = h("div", "dlp-transforms-status", null, { "aria-live": "polite" });
  adder.append(picker, add);
  root.append(title, list, adder, status);
  let dragFrom = null;

  const items = () => JSON.parse(JSON.stringify(model.get("items") || []));
  const entry = (name) => (model.get("catalogue") || []).find((e) => e.name === name);
  let pendingFocus = null; // the row to focus in the render that the next commit causes
  const commit = (next, focus) => {
    pendingFocus = focus ?? null; // before set: its change event renders at once
    model.set("items", next);
    model.save_changes();
  };
  const move = (from, to) => {
    const next = items();
    if (to < 0 || to >= next.length || from === to) return;
    const [it] = next.splice(from, 1);
    next.splice(to, 0, it);
    commit(next, to);
  };

  add.addEventListener("click", () => commit([...items(), { type: picker.value }], items().length));

  function draw() {
    // every render replaces the rows; a keyboard user keeps their place through the kernel's
    // replies (shape, error) instead of dropping to the page and its notebook shortcuts
    const active = document.activeElement;
    const keepRow = list.contains(active) ? active.closest(".dlp-transform")?.getAttribute("data-index") : null;
    const keepParam = list.contains(active) ? active.getAttribute("data-param") : null;
    title.textContent = model.get("title") || "Transforms";
    picker.replaceChildren(...(model.get("catalogue") || []).map((e) => h("option", null, e.name, { value: e.name })));
    const current = model.get("items") || [];
    list.replaceChildren(...current.map((it, i) => {
      const row = h("div", "dlp-transform", null, { "data-index": String(i), "data-transform": it.type, draggable: "true", tabindex: "0", role: "listitem" });
      row.append(h("span", "dlp-transform-name", `${i + 1}. ${it.type}`));
      for (const param of entry(it.type)?.params || []) {
        const value = (it.params || {})[param.name] ?? param.default;
        const box = h("input", "dlp-transform-param", null, { "aria-label": `${it.type} ${param.name}`, "data-param": param.name, size: "8", title: param.help });
        box.value = text(value);
        box.addEventListener("change", () => {
          const next = items();
          next[i].params = { ...(next[i].params || {}), [param.name]: parse(param, box.value) };
          commit(next);
        });
        row.append(h("label", "dlp-transform-label", param.name), box);
      }
      const del = h("button", "dlp-transform-delete", "×", { type: "button", title: `remove ${it.type}` });
      del.addEventListener("click", () => { const next = items(); next.splice(i, 1); commit(next); });
      row.append(del);
      row.addEventListener("dragstart", (e) => { dragFrom = i; e.dataTransfer.setData(DRAG_TYPE, String(i)); e.dataTransfer.effectAllowed = "move"; });
      row.addEventListener("dragover", (e) => e.preventDefault());
      row.addEventListener("drop", (e) => {
        e.preventDefault();
        if (dragFrom === null) return;
        const r = row.getBoundingClientRect();
        let to = e.clientY < r.top + r.height / 2 ? i : i + 1;
        if (to > dragFrom) to -= 1;
        const from = dragFrom;
        dragFrom = null;
        move(from, to);
      });
      row.addEventListener("keydown", (e) => {
        if (e.target !== row) return;
        if (e.altKey && e.key === "ArrowUp") { e.preventDefault(); move(i, i - 1); }
        else if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); move(i, i + 1); }
        else if (e.key === "Delete") { e.preventDefault(); const next = items(); next.splice(i, 1); commit(next); }
      });
      return row;
    }));
    if (!current.length) list.append(h("div", "dlp-empty", "No transforms: images go in as they are (scaled to 0–1)."));
    const error = model.get("error");
    status.textContent = error ? `✖ ${error}` : `→ ${model.get("shape") || ""}`;
    status.classList.toggle("dlp-transforms-error", Boolean(error));
    const want = pendingFocus;
    pendingFocus = null;
    if (want !== null) list.querySelector(`[data-index="${want}"]`)?.focus();
    else if (keepRow !== null && keepRow !== undefined) {
      const row = list.querySelector(`[data-index="${keepRow}"]`);
      (keepParam ? row?.querySelector(`[data-param="${keepParam}"]`) : row)?.focus();
    }
  }

  draw();
  for (const k of ["items", "error", "shape", "catalogue", "title"]) model.on(`change:${k}`, draw);
  return () => { for (const k of ["items", "error", "shape", "catalogue", "title"]) model.off(`change:${k}`, draw); };
}

export default { render };
