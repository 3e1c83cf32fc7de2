"""State from the browser is untrusted: traits only Python sets are not taken from it."""

from __future__ import annotations

from typing import Any


class PythonOwnedTraits:
    """Mixin for anywidget classes. ``_python_owned`` names the synced traits the front end
    only displays (reports, catalogues, verdicts); an update to one of them from the browser
    is dropped and Python's value sent back, so the view cannot drift from what Python
    checked."""

    _python_owned: frozenset[str] = frozenset()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        refused = [k for k in sync_data if k in self._python_owned]
        accepted = {k: v for k, v in sync_data.items() if k not in self._python_owned}
        if accepted:
            super().set_state(accepted)  # type: ignore[misc]
        if refused:
            self.send_state(refused)  # type: ignore[attr-defined]
