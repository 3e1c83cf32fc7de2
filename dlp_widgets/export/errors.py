"""The one error exporters raise: what could not be written, and why."""

from ..errors import DLPError


class ExportError(DLPError):
    """An export refused (wrong kind of run, data missing) or failed its consumer's check."""

    kind = "export"
