"""Deep Learning Playground as Jupyter widgets.

``import dlp_widgets`` stays light (no torch) until something that trains is used.
"""

from __future__ import annotations

from typing import Any

from .spec import ModelSpec, Spec, SpecError, infer, load_spec

__version__ = "0.1.0"

_LAZY = {
    "train": "api",
    "start": "api",
    "load_run": "engine.runner",
    "runs": "engine.runner",
    "Run": "engine.runner",
    "DLPWarning": "engine.runner",
    "build_model": "engine.build",
    "from_torch": "engine.build",
    "load_model": "engine.saved",
    "DataError": "data.errors",
    "docs": "layer_docs",
    "LayerBuilder": "widgets.builder",
    "Playground": "widgets.playground",
    "RunHistory": "widgets.history",
    "TrainingDashboard": "widgets.dashboard",
    "ModelSummary": "widgets.summary",
    "question": "widgets.quiz",
    "exercise": "widgets.quiz",
    "progress": "widgets.quiz",
    "MultipleChoice": "widgets.quiz",
    "NumericQuestion": "widgets.quiz",
    "Exercise": "widgets.quiz",
    "Goal": "lessons.goals",
    "boundary": "widgets.plane_view",
}

__all__ = ["ModelSpec", "Spec", "SpecError", "infer", "load_spec", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dlp_widgets' has no attribute {name!r}")
