"""The training coach: every run explained, offline, from what it measured — what went
wrong, the evidence, and one change to try (``run.diagnose()``, ``dlp coach RUN``)."""

from .diagnose import diagnose, diagnose_facts
from .facts import RunFacts
from .findings import CODES, SEVERITIES, Finding
from .fixes import apply_fix

__all__ = ["CODES", "SEVERITIES", "Finding", "RunFacts", "apply_fix", "diagnose", "diagnose_facts"]
