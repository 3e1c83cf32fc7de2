"""The run store: every run, its per-epoch metrics and its files, in SQLite."""

from .store import RunStore, StoreError, open_store

__all__ = ["RunStore", "StoreError", "open_store"]
