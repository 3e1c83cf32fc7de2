"""Exporters: turn specs and trained models into artefacts."""
