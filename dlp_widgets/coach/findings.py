"""What the coach says of a run: findings, each with a code from a fixed set, a severity, one
sentence, the evidence (numbers from this run), and a fix (a patch to the spec) where one
change applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("problem", "warning", "info")

# Every code the coach knows, in the order findings of one severity are listed.
CODES = (
    "diverged",
    "unscaled_inputs",
    "initial_loss_off",
    "exploding_gradients",
    "lr_too_high",
    "vanishing_gradients",
    "class_collapse",
    "dead_relu",
    "softmax_before_loss",
    "sigmoid_before_loss",
    "nll_without_log_softmax",
    "bounded_regression_output",
    "lr_too_low",
    "underfitting",
    "overfitting",
    "plateau",
    "still_improving",
    "healthy",
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # a patch to the spec: {"training": {"lr": 0.001}}; a model patch holds the whole model
    fix: dict[str, Any] | None = None
    fix_words: str | None = None  # the fix in words, for a button or a line of text

    def __post_init__(self) -> None:
        if self.code not in CODES or self.severity not in SEVERITIES:
            raise ValueError(f"unknown finding {self.code!r} ({self.severity!r})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
            "fix": self.fix,
            "fix_words": self.fix_words,
        }

    def __str__(self) -> str:
        fix = f" Try: {self.fix_words}." if self.fix_words else ""
        return f"[{self.severity}] {self.code}: {self.message}{fix}"


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most important first: by severity, then by the order of ``CODES``."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), CODES.index(f.code)))
