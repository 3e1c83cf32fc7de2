"""The engine: builds torch modules from specs and runs them. Imports torch."""
