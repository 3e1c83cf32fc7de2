// ModelSummary: a read-only table of a model's layers, output shapes and parameter counts,
// with each error or warning shown on the layer it belongs to.
import { fmtCount, fmtShape, h } from "./format.js";

function renderReport(root, report) {
  root.replaceChildren();
  const table = h("table", "dlp-summary-table");
  const head = h("tr");
  for (const label of ["#", "Layer", "Output shape", "Parameters"]) head.append(h("th", null, label));
  const thead = h("thead");
  thead.append(head);
  table.append(thead);
  const body = h("tbody");
  table.append(body);
  const inputRow = h("tr", "dlp-summary-input");
  inputRow.append(h("td"), h("td", null, "input"), h("td", null, fmtShape(report.input_shape)), h("td"));
  body.append(inputRow);
  (report.layers || []).forEach((layer, i) => {
    const row = h("tr", "dlp-summary-layer", null, { "data-layer-index": String(i) });
    row.append(
      h("td", "dlp-summary-pos", i + 1),
      h("td", "dlp-summary-type", layer.type ?? "?"),
      h("td", "dlp-summary-shape", fmtShape(layer.output_shape)),
      h("td", "dlp-summary-params", fmtCount(layer.params)),
    );
    body.append(row);
    const note = layer.error ? layer.error.message : layer.warning;
    if (note) {
      row.classList.add(layer.error ? "dlp-has-error" : "dlp-has-warning");
      const noteRow = h("tr", layer.error ? "dlp-summary-error" : "dlp-summary-warning");
      const cell = h("td", null, note, { colspan: "4", role: layer.error ? "alert" : "note" });
      noteRow.append(cell);
      body.append(noteRow);
    }
  });
  root.append(table);
  const total = h("div", "dlp-summary-total");
  total.textContent = `Trainable parameters: ${fmtCount(report.total_params)}`;
  if (report.error && report.error.layer === null) {
    root.append(h("div", "dlp-summary-error", report.error.message, { role: "alert" }));
  }
  root.append(total);
}

function render({ model, el }) {
  const root = h("div", "dlp-summary");
  el.append(root);
  const update = () => renderReport(root, model.get("report") || {});
  update();
  model.on("change:report", update);
  return () => model.off("change:report", update);
}

export default { render };
