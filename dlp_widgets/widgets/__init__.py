"""Notebook widgets (anywidget). They edit and show specs; the engine runs them."""

from .summary import ModelSummary

__all__ = ["ModelSummary"]
