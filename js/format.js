// Formatting shared by the widgets. Numbers and shapes always come from Python's shape
// inference; the front end only displays them.

export function fmtShape(shape) {
  return Array.isArray(shape) ? `[${shape.join(", ")}]` : "—";
}

export function fmtCount(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : "—";
}

// Create an element with a prefixed class, optional text and attributes.
export function h(tag, cls, text, attrs = {}) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
