// RunTable: the runs of the store as a sortable table with a checkbox per run (to overlay
// its curves) and buttons to open it in a Playground or delete it. Rows come from Python
// (`rows`); the selection goes back in `selected`; actions are messages to Python.
import { h } from "./format.js";

const COLUMNS = [
  ["name", "Name"], ["source", "Data"], ["task", "Task"], ["status", "Status"],
  ["created", "Date"], ["best", "Best metric"], ["duration_s", "Duration"],
];

function show(key, value, row) {
  if (value === null || value === undefined) return "—";
  if (key === "best") return `${row.metric ?? ""} ${Number(value).toFixed(4)}`;
  if (key === "duration_s") return `${Number(value).toFixed(1)} s`;
  if (key === "created") return String(value).replace("T", " ").slice(0, 16);
  return String(value);
}

function render({ model, el }) {
  const root = h("div", "dlp-history");
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (e) => e.stopPropagation());
  el.append(root);
  let sortKey = "created";
  let ascending = false;

  // draw() replaces the table; this finds the new element standing for the focused one so a
  // keyboard user sorting or ticking runs keeps their place
  function focusedPlace() {
    const active = document.activeElement;
    if (!root.contains(active)) return null;
    const sort = active.getAttribute("data-sort");
    if (sort) return `[data-sort="${sort}"]`;
    const run = active.closest("tr")?.getAttribute("data-run-id");
    const kind = [...active.classList].find((c) => c.startsWith("dlp-history-"));
    return run && kind ? `tr[data-run-id="${CSS.escape(run)}"] .${kind}` : null;
  }

  function draw() {
    const place = focusedPlace();
    const rows = [...(model.get("rows") || [])];
    const selected = new Set(model.get("selected") || []);
    rows.sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    const table = h("table", "dlp-history-table");
    const head = h("tr");
    head.append(h("th", null, ""));
    for (const [key, label] of COLUMNS) {
      const th = h("th", "dlp-sortable", label + (key === sortKey ? (ascending ? " ▲" : " ▼") : ""), {
        "data-sort": key, tabindex: "0", role: "button", "aria-sort": key === sortKey ? (ascending ? "ascending" : "descending") : "none",
      });
      const sort = () => { ascending = key === sortKey ? !ascending : true; sortKey = key; draw(); };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      head.append(th);
    }
    head.append(h("th", null, ""));
    const thead = h("thead");
    thead.append(head);
    const body = h("tbody");
    for (const row of rows) {
      const tr = h("tr", "dlp-history-row", null, { "data-run-id": row.id });
      const box = h("input", "dlp-history-select", null, { type: "checkbox", "aria-label": `overlay ${row.name}` });
      box.checked = selected.has(row.id);
      box.addEventListener("change", () => {
        const next = new Set(model.get("selected") || []);
        if (box.checked) next.add(row.id); else next.delete(row.id);
        model.set("selected", [...next]);
        model.save_changes();
      });
      const cell = h("td");
      cell.append(box);
      tr.append(cell);
      for (const [key] of COLUMNS) {
        if (key !== "name") { tr.append(h("td", `dlp-col-${key}`, show(key, row[key], row))); continue; }
        // the name is edited in place: Enter or leaving the box renames the run in Python
        const nameCell = h("td", "dlp-col-name");
        const name = h("input", "dlp-history-name", null, { type: "text", "aria-label": `name of run ${row.id}`, title: "edit the name, then press Enter" });
        name.value = row.name ?? "";
        const rename = () => {
          if (name.value.trim() && name.value !== row.name) model.send({ action: "rename", id: row.id, name: name.value });
          else name.value = row.name ?? "";
        };
        name.addEventListener("change", rename);
        name.addEventListener("keydown", (e) => { if (e.key === "Escape") { name.value = row.name ?? ""; name.blur(); } });
        nameCell.append(name);
        tr.append(nameCell);
      }
      const actions = h("td", "dlp-history-actions");
      const open = h("button", "dlp-history-open", "Open", { type: "button", title: "open in a Playground" });
      open.addEventListener("click", () => model.send({ action: "open", id: row.id }));
      const del = h("button", "dlp-history-delete", "Delete", { type: "button", title: "delete this run and its files" });
      del.addEventListener("click", () => {
        if (del.dataset.confirm === "1") model.send({ action: "delete", id: row.id });
        else { del.dataset.confirm = "1"; del.textContent = "Sure?"; }
      });
      actions.append(open, del);
      tr.append(actions);
      body.append(tr);
    }
    table.append(thead, body);
    root.replaceChildren(table);
    if (!rows.length) root.append(h("div", "dlp-empty", "No runs yet: train something first."));
    if (place) root.querySelector(place)?.focus();
  }

  draw();
  model.on("change:rows", draw);
  model.on("change:selected", draw);
  return () => { model.off("change:rows", draw); model.off("change:selected", draw); };
}

export default { render };
