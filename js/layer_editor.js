// The layer builder's side panel: what a person types into a parameter box, parsed and
// checked against the catalogue's bounds; the parameter editor; the doc panel.
import { h } from "./format.js";

// The kinds whose value may be a list: [fewest items, most items, item kind, whether one
// number alone (not in a list) is a value too, what to type]. The same rules as Python's
// params.check, so what the editor sends is what Python accepts.
const LISTS = {
  size2: [2, 2, "int", true, "one whole number or two (height, width)"],
  opt_size2: [2, 2, "int", true, "one whole number or two (height, width)"],
  padding: [2, 2, "int", true, 'one whole number, two (height, width), "same" or "valid"'],
  shape: [1, 3, "int", true, "one whole number or a list of up to three, e.g. 16 or [16] or 8, 8"],
  opt_shape: [1, 3, "int", true, "one whole number or a list of up to three, e.g. 32, 32"],
  dims: [1, 4, "int", false, "a list of 1 to 4 whole numbers, e.g. 0, 2, 3, 1"],
  floats: [1, 4, "float", false, "a list of 1 to 4 numbers, e.g. 0.5, 0.5"],
  opt_scale: [1, 3, "float", true, "a number or a list of up to three, e.g. 2 or 2, 1.5"],
};
const WORDS = ["same", "valid"];

// Parse what a person typed into a parameter box; returns {ok, value} or {ok:false, message}.
export function parseParam(param, text) {
  const t = String(text).trim();
  const kind = param.kind;
  // empty means "leave it out": inferred, or torch's default, or refused where torch has none
  if (t === "" && param.required) return { ok: false, message: `${param.name} is required: torch has no default for it` };
  if (t === "" && (param.inferred || param.default === null || param.default === undefined)) return { ok: true, value: null };
  const inRange = (n) => (param.min === undefined || n >= param.min) && (param.max === undefined || n <= param.max);
  const range = () => `between ${param.min ?? "-∞"} and ${param.max ?? "∞"}`;
  const bad = (what) => ({ ok: false, message: `${param.name} must be ${what}` });
  if (kind === "int" || kind === "opt_int" || (kind === "padding1" && !WORDS.includes(t))) {
    const n = asInt(t);
    if (Number.isNaN(n)) return bad(kind === "padding1" ? 'a whole number, "same" or "valid"' : "a whole number");
    return inRange(n) ? { ok: true, value: n } : bad(range());
  }
  if (kind === "float") {
    const n = asFloat(t);
    if (Number.isNaN(n)) return bad("a number");
    return inRange(n) ? { ok: true, value: n } : bad(range());
  }
  if (kind === "bool" || kind === "opt_bool") {
    if (t === "true" || t === "false") return { ok: true, value: t === "true" };
    return bad(kind === "bool" ? "true or false" : "true, false or empty (torch's default)");
  }
  if (kind === "choice") return param.choices.includes(t) ? { ok: true, value: t } : bad(`one of ${param.choices.join(", ")}`);
  if (WORDS.includes(t) && (kind === "padding" || kind === "padding1")) return { ok: true, value: t };
  const list = LISTS[kind];
  if (!list) return { ok: true, value: t };
  const [fewest, most, item, alone, words] = list;
  // brackets make a list of one ([16]) where one number alone would be a plain number
  const bracketed = t.startsWith("[") && t.endsWith("]");
  const parts = (bracketed ? t.slice(1, -1) : t).split(/[\s,×]+|(?<=\d)x(?=\d)/).filter(Boolean);
  const numbers = parts.map(item === "int" ? asInt : asFloat);
  const asList = bracketed || !alone || parts.length > 1;
  const count = asList ? parts.length >= fewest && parts.length <= most : parts.length === 1;
  if (!count || numbers.some(Number.isNaN)) return { ok: false, message: `${param.name}: ${words}` };
  if (!numbers.every(inRange)) return bad(`${range()}, each value`);
  return { ok: true, value: asList ? numbers : numbers[0] };
}

const asInt = (s) => (/^-?\d+$/.test(s) ? Number(s) : NaN);
const asFloat = (s) => (s !== "" && Number.isFinite(Number(s)) ? Number(s) : NaN);

// `brackets`: a list of one is written [16], so that it reads back as a list, not a number
export function paramText(value, brackets = false) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return brackets && value.length === 1 ? `[${value[0]}]` : value.join(", ");
  return String(value);
}

// The selected layer's parameters as inputs, each with its help, range and error; a
// change that parses goes to `setParam(name, value)`.
export function renderParams(editor, layer, title, spec, info, setParam) {
  editor.replaceChildren();
  if (!layer) {
    editor.append(h("div", "dlp-hint", "Select a node to edit its parameters."));
    return;
  }
  editor.append(h("div", "dlp-editor-title", title));
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
    } else if (param.kind === "choice" || param.kind === "opt_bool") {
      // opt_bool: torch's None ("not given") is a value of its own, which a checkbox lacks
      const choices = param.kind === "choice" ? param.choices : ["true", "false"];
      const current = value ?? param.default;
      input = h("select", "dlp-param-input", null, { id });
      if (param.kind === "opt_bool" || current === null || current === undefined) {
        input.append(h("option", null, param.kind === "opt_bool" ? "torch's default (None)" : "choose…", { value: "" }));
      }
      for (const c of choices) {
        const o = h("option", null, c, { value: c });
        if (paramText(current) === c) o.selected = true;
        input.append(o);
      }
      input.addEventListener("change", () => {
        const parsed = parseParam(param, input.value);
        if (parsed.ok) setParam(param.name, parsed.value);
      });
    } else {
      const numeric = ["int", "opt_int", "float"].includes(param.kind);
      input = h("input", "dlp-param-input", null, { id, type: numeric ? "number" : "text" });
      if (numeric) {
        if (param.min !== undefined) input.min = String(param.min);
        if (param.max !== undefined) input.max = String(param.max);
        input.step = param.kind === "float" ? "any" : "1";
      }
      input.value = paramText(value ?? (param.inferred ? "" : param.default), true);
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

// A layer type's documentation: summary, formula, shape rule, when to use it. Merges and
// operations carry fewer sections (a `doc` text instead): what is missing is left out.
export function renderDoc(docs, spec) {
  docs.replaceChildren();
  if (!spec) return;
  docs.append(h("div", "dlp-doc-title", spec.name), h("p", "dlp-doc-summary", spec.summary));
  const section = (label, cls, text, tag = "p") => {
    const value = Array.isArray(text) ? text.join(" ") : text;
    if (value) docs.append(h("div", "dlp-doc-label", label), h(tag, cls, value));
  };
  section("Formula", "dlp-doc-formula", spec.formula, "div");
  section("Shape", "dlp-doc-shape", spec.shape_rule);
  section("When to use it", "dlp-doc-when", spec.when);
  if (!spec.formula && spec.doc) section("About", "dlp-doc-text", spec.doc.replace(`${spec.summary}\n\n`, ""));
  section("Worked example", "dlp-doc-example", spec.example);
  section("Common mistakes", "dlp-doc-mistakes", spec.mistakes);
  if (spec.picture && spec.picture.startsWith("data:image/svg+xml;base64,")) {
    docs.append(h("img", "dlp-doc-picture", null, { src: spec.picture, alt: `picture of ${spec.name}` }));
  }
}
