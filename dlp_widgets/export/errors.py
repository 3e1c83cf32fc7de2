"""The one error exporters raise: what could not be written, and why."""


class ExportError(ValueError):
    """An export refused (wrong kind of run, data missing) or failed its consumer's check."""
