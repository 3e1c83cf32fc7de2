"""Deep Learning Playground as Jupyter widgets."""

from .spec import ModelSpec, Spec, SpecError, infer, load_spec

__version__ = "0.1.0"

__all__ = ["ModelSpec", "Spec", "SpecError", "infer", "load_spec", "__version__"]
