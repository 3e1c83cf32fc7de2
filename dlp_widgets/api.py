"""``dlp.train`` and ``dlp.start``: the engine's runs, with a live dashboard when called in a
notebook kernel (and nothing extra in scripts, the CLI or tests)."""

from __future__ import annotations

from typing import Any

from .engine import runner
from .engine.events import waits_for_saving


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _run(fn: Any, spec: Any, data: Any, dashboard: bool | None, **kwargs: Any) -> runner.Run:
    if dashboard is None:
        dashboard = in_notebook()
    if not dashboard:
        return fn(spec, data, **kwargs)
    from IPython.display import display

    from .widgets.dashboard import TrainingDashboard

    board = TrainingDashboard()
    display(board)
    kwargs.setdefault("displayed", True)  # the browser drawing it shares the CPU cores
    user = kwargs.pop("subscribe", None)

    def both(event: dict[str, Any]) -> None:
        board.on_event(event)
        if user is not None:
            user(event)

    both.saved_first = user is not None and waits_for_saving(user)  # type: ignore[attr-defined]

    try:
        run = fn(spec, data, subscribe=both, **kwargs)
    except Exception:
        board.close()  # refused before training began: no empty dashboard above the error
        raise
    board.run = run
    board.attach_header(run)
    return run


def train(spec: Any, data: Any = None, *, dashboard: bool | None = None, **kwargs: Any) -> runner.Run:
    """Train in this thread (see ``engine.runner.train``); in a notebook, with a dashboard."""
    return _run(runner.train, spec, data, dashboard, **kwargs)


def start(spec: Any, data: Any = None, *, dashboard: bool | None = None, **kwargs: Any) -> runner.Run:
    """Train in a background thread, returning at once; in a notebook, with a dashboard whose
    Stop button works while the kernel stays free."""
    return _run(runner.start, spec, data, dashboard, **kwargs)
