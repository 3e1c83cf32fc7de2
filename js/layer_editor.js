// The layer builder's side panel: what a person types into a parameter box, parsed and
// checked against the catalogue's bounds; the parameter editor; the doc panel.
import { h } from "./format.js";

// Parse what a person typed into a parameter box; returns {ok, value} or {ok:false, message}.
export function parseParam(param, text) {
  const t = String(text).trim();
  // empty means "leave it out": inferred, or torch's default, or refused where torch has none
  if (t === "" && param.required) return { ok: false, message: `${param.name} is required: torch has no default for it` };
  if (t === "" && (param.inferred || param.default === null || param.default === undefined)) return { ok: true, value: null };
  const inRange = (n) => (param.min === undefined || n >= param.min) && (param.max === undefined || n <= param.max);
  const range = () => `between ${param.min ?? "-∞"} and ${param.max ?? "∞"}`;
  const asInt = (s) => (/^-?\d+$/.test(s) ? Number(s) : NaN);
  if (param.kind === "int") {
    const n = asInt(t);
    if (Number.isNaN(n)) return { ok: false, message: `${param.name} must be a whole number` };
    if (!inRange(n)) return { ok: false, message: `${param.name} must be ${range()}` };
    return { ok: true, value: n };
  }
  if (param.kind === "float") {
    const n = Number(t);
    if (t === "" || !Number.isFinite(n)) return { ok: false, message: `${param.name} must be a number` };
    if (!inRange(n)) return { ok: false, message: `${param.name} must be ${range()}` };
    return { ok: true, value: n };
  }
  if (["size2", "opt_size2", "padding", "shape"].includes(param.kind)) {
    if (param.kind === "padding" && (t === "same" || t === "valid")) return { ok: true, value: t };
    const parts = t.split(/[\s,×x]+/).filter(Boolean).map(asInt);
    const maxParts = param.kind === "shape" ? 3 : 2;
    if (!parts.length || parts.length > maxParts || parts.some((n) => Number.isNaN(n))) {
      return { ok: false, message: `${param.name}: one whole number or ${maxParts === 2 ? "two (height, width)" : "up to three"}` };
    }
    if (!parts.every(inRange)) return { ok: false, message: `${param.name} must be ${range()}` };
    return { ok: true, value: parts.length === 1 ? parts[0] : parts };
  }
  return { ok: true, value: t };
}

export function paramText(value) {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

// The selected layer's parameters as inputs, each with its help, range and error; a
// change that parses goes to `setParam(name, value)`.
export function renderParams(editor, layer, sel, spec, info, setParam) {
  editor.replaceChildren();
  if (!layer) {
    editor.append(h("div", "dlp-hint", "Select a layer to edit its parameters."));
    return;
  }
  editor.append(h("div", "dlp-editor-title", `${layer.type} · position ${sel + 1}`));
  if (!spec) return;
  if (!spec.params.length) editor.append(h("div", "dlp-hint", "No parameters."));
  for (const param of spec.params) {
    const id = `dlp-p-${Math.random().toString(36).slice(2)}`;
    const row = h("div", "dlp-param", null, { "data-param": param.name });
    const label = h("label", "dlp-param-name", param.name, { for: id, title: param.help });
    const value = (layer.params || {})[param.name];
    let input;
    if (param.kind === "bool") {
      input = h("input", "dlp-param-input", null, { id, type: "checkbox" });
      input.checked = value ?? param.default;
      input.addEventListener("change", () => setParam(param.name, input.checked));
    } else if (param.kind === "choice") {
      input = h("select", "dlp-param-input", null, { id });
      for (const c of param.choices) {
        const o = h("option", null, c, { value: c });
        if ((value ?? param.default) === c) o.selected = true;
        input.append(o);
      }
      input.addEventListener("change", () => setParam(param.name, input.value));
    } else {
      const numeric = param.kind === "int" || param.kind === "float";
      input = h("input", "dlp-param-input", null, { id, type: numeric ? "number" : "text" });
      if (numeric) {
        if (param.min !== undefined) input.min = String(param.min);
        if (param.max !== undefined) input.max = String(param.max);
        input.step = param.kind === "int" ? "1" : "any";
      }
      input.value = paramText(value ?? (param.inferred ? "" : param.default));
      if (param.inferred) input.placeholder = "auto";
      else if (param.required) input.placeholder = "required";
      else if (param.kind === "opt_size2") input.placeholder = "same as kernel_size";
      else if (param.default === null) input.placeholder = "torch's default (none)";
      input.addEventListener("change", () => {
        const parsed = parseParam(param, input.value);
        if (!parsed.ok) {
          input.setCustomValidity(parsed.message);
          input.reportValidity();
          row.querySelector(".dlp-param-msg").textContent = parsed.message;
          row.classList.add("dlp-param-bad");
          return;
        }
        input.setCustomValidity("");
        setParam(param.name, parsed.value);
      });
    }
    input.setAttribute("aria-describedby", `${id}-help`);
    const range = param.min !== undefined && param.max !== undefined ? ` (${param.min} to ${param.max})` : "";
    const help = h("div", "dlp-param-help", `${param.help}${range}`, { id: `${id}-help` });
    row.append(label, input, help, h("div", "dlp-param-msg", null, { role: "alert" }));
    if (info.error && info.error.param === param.name) {
      row.classList.add("dlp-param-bad");
      row.querySelector(".dlp-param-msg").textContent = info.error.message;
    }
    editor.append(row);
  }
}

// A layer type's documentation: summary, formula, shape rule, when to use it.
export function renderDoc(docs, spec) {
  docs.replaceChildren();
  if (!spec) return;
  docs.append(
    h("div", "dlp-doc-title", spec.name),
    h("p", "dlp-doc-summary", spec.summary),
    h("div", "dlp-doc-label", "Formula"), h("div", "dlp-doc-formula", spec.formula),
    h("div", "dlp-doc-label", "Shape"), h("p", "dlp-doc-shape", spec.shape_rule),
    h("div", "dlp-doc-label", "When to use it"), h("p", "dlp-doc-when", spec.when),
  );
  if (spec.example) docs.append(h("div", "dlp-doc-label", "Worked example"), h("p", "dlp-doc-example", spec.example));
  if (spec.mistakes) docs.append(h("div", "dlp-doc-label", "Common mistakes"), h("p", "dlp-doc-mistakes", spec.mistakes));
  if (spec.picture && spec.picture.startsWith("data:image/svg+xml;base64,")) {
    docs.append(h("img", "dlp-doc-picture", null, { src: spec.picture, alt: `picture of ${spec.name}` }));
  }
}
