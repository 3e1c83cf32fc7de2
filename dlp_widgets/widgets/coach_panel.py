"""The dashboard's Coach panel: the training coach's findings for the run, live while it
trains (a finding may appear at epoch 3) and final when it ends, each with its evidence
and, where one change applies, an **Apply & retrain** button that trains the patched spec
as a new run (the old one stays in the run store, beside it in RunHistory)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from .html_bits import badge_html, view_error_html

COLOURS = {"problem": "#c62828", "warning": "#ef6c00", "info": "#1976d2"}
Apply = Callable[[dict[str, Any]], Any]  # the patched spec → the new run (or None)


def finding_html(finding: Any) -> str:
    evidence = html.escape(json.dumps(finding.evidence, default=str, ensure_ascii=False))
    fix = f"<div class='dlp-finding-fix'>Try: {html.escape(finding.fix_words)}</div>" if finding.fix_words else ""
    return (
        f"<div class='dlp-finding-text'>{badge_html(finding.severity, COLOURS[finding.severity], 'dlp-severity')} "
        f"<b>{html.escape(finding.code)}</b>: {html.escape(finding.message)}{fix}"
        f"<details><summary>evidence</summary><code class='dlp-finding-evidence'>{evidence}</code></details></div>"
    )


class CoachPanel(W.VBox):
    """``show(findings, spec)`` draws them; ``on_apply(patched_spec)`` trains a fix."""

    def __init__(self, on_apply: Apply | None = None) -> None:
        self.on_apply = on_apply
        self._shown: list[dict[str, Any]] | None = None
        self._spec: dict[str, Any] | None = None
        self.title = W.HTML("<b>Coach</b>")
        self.items = W.VBox()
        self.result = W.HTML()
        super().__init__([self.title, self.items, self.result])
        self.add_class("dlp-coach")

    def show(self, findings: list[Any], spec: dict[str, Any]) -> None:
        """Draw ``findings`` (for the run of ``spec``), unless they are those already shown."""
        shown = [f.to_dict() for f in findings]
        if shown == self._shown:
            return
        self._shown, self._spec = shown, spec
        rows = []
        for finding in findings:
            text = W.HTML(finding_html(finding), layout=W.Layout(flex="1 1 320px"))
            children: list[W.Widget] = [text]
            if finding.fix is not None and self.on_apply is not None:
                button = W.Button(description="Apply & retrain", icon="redo", tooltip=finding.fix_words or "")
                button.add_class("dlp-coach-apply")
                button.on_click(lambda _, f=finding: self.apply(f))
                children.append(button)
            row = W.Box(children, layout=W.Layout(flex_flow="row wrap", align_items="flex-start", width="100%"))
            row.add_class("dlp-finding")
            row.add_class(f"dlp-finding-{finding.code}")
            rows.append(row)
        self.items.children = rows

    def apply(self, finding: Any) -> Any:
        """Train the run's spec with ``finding``'s fix: a new run, said here."""
        from ..coach import apply_fix

        if self._spec is None or self.on_apply is None or finding.fix is None:
            return None
        try:
            run = self.on_apply(apply_fix(self._spec, finding.fix))
        except Exception as exc:  # noqa: BLE001 - shown in the panel; the kernel carries on
            self.result.value = view_error_html(f"could not start the new run: {exc}")
            return None
        if run is not None:
            self.result.value = (
                f"<div class='dlp-coach-result'>Training run {html.escape(run.id)} with "
                f"{html.escape(finding.fix_words or finding.code)}.</div>"
            )
        return run
