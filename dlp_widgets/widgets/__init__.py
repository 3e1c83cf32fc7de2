"""Notebook widgets (anywidget, ipywidgets, bqplot). They edit and show specs; the engine
runs them."""

from . import frontends  # noqa: F401 - prepares Colab's widget manager on import
from .builder import LayerBuilder
from .summary import ModelSummary

__all__ = ["LayerBuilder", "ModelSummary", "Playground", "RunHistory", "TrainingDashboard"]


def __getattr__(name: str):  # the heavier widgets import torch: load them when asked for
    if name == "Playground":
        from .playground import Playground

        return Playground
    if name == "RunHistory":
        from .history import RunHistory

        return RunHistory
    if name == "TrainingDashboard":
        from .dashboard import TrainingDashboard

        return TrainingDashboard
    raise AttributeError(name)
