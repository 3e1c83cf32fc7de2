// A lesson question: multiple choice (radio, or checkboxes for "select all that apply") or a
// number typed in. The answer is sent to Python, which checks it and sets `feedback`.
import { h } from "./format.js";

// `code` in prompts becomes <code>; everything else stays text (no HTML from the prompt).
function richText(node, text) {
  String(text ?? "").split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 2) node.append(h("code", null, part.slice(1, -1)));
    else if (part) node.append(document.createTextNode(part));
  });
  return node;
}

function render({ model, el }) {
  const q = model.get("question") || {};
  const root = h("div", "dlp-quiz", null, { role: "group", "aria-label": "Question" });
  // typing an answer must not trigger notebook shortcuts
  for (const type of ["keydown", "keypress", "keyup"]) root.addEventListener(type, (e) => e.stopPropagation());
  const name = `dlp-quiz-${Math.random().toString(36).slice(2)}`;
  const badge = h("span", "dlp-quiz-badge");
  const head = h("div", "dlp-quiz-prompt");
  richText(head, q.prompt);
  head.append(" ", badge);
  root.append(head);

  let read;
  if (q.kind === "choice") {
    const list = h("div", "dlp-quiz-choices");
    if (q.multiple) list.append(h("div", "dlp-quiz-note", "Select all that apply."));
    const inputs = (q.choices || []).map((text, i) => {
      const label = h("label", "dlp-quiz-choice");
      const input = h("input", null, null, { type: q.multiple ? "checkbox" : "radio", name, value: String(i) });
      label.append(input, " ");
      richText(label, text);
      list.append(label);
      return input;
    });
    read = () => {
      const picked = inputs.filter((x) => x.checked).map((x) => Number(x.value));
      return q.multiple ? picked : picked.length ? picked[0] : null;
    };
    root.append(list);
  } else {
    const row = h("div", "dlp-quiz-numeric");
    const input = h("input", "dlp-quiz-input", null, { type: "text", inputmode: "decimal", "aria-label": "Your answer" });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); submit(); } });
    row.append(input);
    if (q.unit) row.append(h("span", "dlp-quiz-unit", q.unit));
    read = () => input.value;
    root.append(row);
  }
  const button = h("button", "dlp-quiz-check", "Check", { type: "button" });
  const feedback = h("div", "dlp-quiz-feedback", null, { role: "status", "aria-live": "polite" });
  root.append(button, feedback);
  function submit() { model.send({ type: "answer", value: read() }); }
  button.addEventListener("click", submit);

  function show() {
    const fb = model.get("feedback") || {};
    feedback.replaceChildren();
    feedback.className = "dlp-quiz-feedback";
    if (fb.message) {
      feedback.classList.add(fb.correct ? "dlp-quiz-right" : fb.counted === false ? "dlp-quiz-unread" : "dlp-quiz-wrong");
      feedback.append(richText(h("div", "dlp-quiz-message"), fb.message));
      // the explanation is the lesson: shown once answered right, or after a second wrong try
      if (fb.explanation && (fb.correct || model.get("attempts") >= 2)) {
        feedback.append(richText(h("div", "dlp-quiz-explanation"), fb.explanation));
      }
    }
    badge.textContent = model.get("solved") ? "✓ answered" : "";
  }
  show();
  const events = "change:feedback change:solved change:attempts";
  model.on(events, show);
  el.append(root);
  return () => model.off(events, show);
}

export default { render };
