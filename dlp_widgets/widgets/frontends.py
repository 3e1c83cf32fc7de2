"""What particular notebook front ends need before third-party widgets can draw."""

from __future__ import annotations

import sys


def prepare_colab() -> bool:
    """In Colab, bqplot (a third-party ipywidgets library) draws only with Colab's custom widget
    manager switched on; switch it on once. Returns True when it did."""
    if "google.colab" not in sys.modules:
        return False
    try:
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()
    except Exception:  # noqa: BLE001 - an older Colab without it still shows the anywidget parts
        return False
    return True


prepare_colab()
