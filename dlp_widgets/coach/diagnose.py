"""``diagnose``: every rule over a run's facts, findings most important first. A finding
that names a cause hides the findings it explains: a run that diverged is not also called
overfitted, and one whose learning rate is far too low is not also "underfitting"."""

from __future__ import annotations

from typing import Any

from . import rules_curves as C
from . import rules_signals as S
from .facts import RunFacts
from .findings import Finding, ordered

CURVE_RULES = (C.diverged, C.lr_too_high, C.lr_too_low, C.overfitting, C.underfitting, C.still_improving, C.plateau)
SIGNAL_RULES = (
    S.exploding_gradients,
    S.vanishing_gradients,
    S.class_collapse,
    S.dead_relu,
    S.unscaled_inputs,
    S.initial_loss_off,
)
# a finding with the code on the left explains away those on the right
EXPLAINS = {
    "diverged": {"lr_too_high", "overfitting", "underfitting", "still_improving", "plateau", "class_collapse"},
    "lr_too_high": {"overfitting", "underfitting", "plateau", "still_improving"},
    "lr_too_low": {"underfitting", "plateau", "still_improving"},
    "vanishing_gradients": {"underfitting", "plateau"},
    "class_collapse": {"underfitting", "plateau"},
    "unscaled_inputs": {"underfitting", "plateau", "class_collapse"},
}


def diagnose_facts(facts: RunFacts) -> list[Finding]:
    found: list[Finding] = [x for rule in (*CURVE_RULES, *SIGNAL_RULES) if (x := rule(facts)) is not None]
    found += S.spec_mistakes(facts)
    codes = {x.code for x in found}
    hidden = set().union(*(EXPLAINS.get(c, set()) for c in codes))
    found = [x for x in found if x.code not in hidden]
    if not any(x.severity in ("problem", "warning") for x in found) and facts.epochs:
        found.append(_healthy(facts))
    return ordered(found)


def _healthy(f: RunFacts) -> Finding:
    losses = [(i + 1, v) for i, v in enumerate(f.series("test_loss")) if v is not None]
    best = min(losses, key=lambda p: p[1])[0] if losses else f.epochs
    score = f.series(f"test_{f.metric}")[best - 1] if losses else None
    shown = f", test {f.metric.replace('r2', 'R²')} {score:.3f}" if score is not None else ""
    return Finding(
        "healthy",
        "info",
        f"Nothing to report: the curves and signals look as they should. Best epoch {best}{shown}.",
        {"best_epoch": best, f"test_{f.metric}": score},
    )


def diagnose(run: Any) -> list[Finding]:
    """The findings for ``run``: a ``Run`` training now, or one read back with ``load_run``."""
    return diagnose_facts(RunFacts.of(run))
