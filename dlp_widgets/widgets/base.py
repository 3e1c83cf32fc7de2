"""``DLPWidget``: what every anywidget widget of the package shares — where its front end
is built to, and the rule that the browser cannot overwrite what only Python decides."""

from __future__ import annotations

import pathlib
from typing import Any, ClassVar

import anywidget
import traitlets

STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"


class DLPWidget(anywidget.AnyWidget):
    """The base of the package's anywidget widgets.

    ``_asset`` names the built front end in ``dlp_widgets/static``: ``"builder"`` loads
    ``builder.js`` and ``builder.css``. A subclass without one keeps its parent's.

    ``_python_owned`` names the synced traits the front end only displays (reports,
    catalogues, verdicts). State from the browser is untrusted: an update to one of them is
    dropped and Python's value sent back, so the view cannot drift from what Python checked.
    """

    _asset: ClassVar[str] = ""
    _python_owned: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        asset = cls.__dict__.get("_asset")
        if asset:
            # before anywidget's own hook, which turns the paths into watched file contents
            cls._esm = STATIC / f"{asset}.js"
            cls._css = STATIC / f"{asset}.css"
        # a misspelt name would silently hand that trait to the browser
        unknown = sorted(n for n in cls._python_owned if not isinstance(getattr(cls, n, None), traitlets.TraitType))
        if unknown:
            raise TypeError(f"{cls.__name__}._python_owned names no trait: {', '.join(unknown)}")
        super().__init_subclass__(**kwargs)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        refused = [k for k in sync_data if k in self._python_owned]
        accepted = {k: v for k, v in sync_data.items() if k not in self._python_owned}
        if accepted:
            super().set_state(accepted)
        if refused:
            self.send_state(refused)
