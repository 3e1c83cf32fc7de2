"""The coach's rules that read what the loop measured beyond the curves (``engine.signals``)
and the spec itself. Sources for the thresholds:

* the loss at init: Karpathy's recipe — a softmax over C classes starts near −ln(1/C);
* dead ReLUs and vanishing or exploding gradients: Glorot & Bengio (2010) and He et al.
  (2015) on how activations and gradients shrink or grow with depth; Karpathy's CS231n
  notes (a unit that never fires for any input is dead for good, often after too large
  an update); gradient norms that differ by orders of magnitude between the first and the
  last layer are the usual reading of vanishing gradients;
* unscaled inputs: LeCun et al., "Efficient BackProp" (1998) — inputs should have mean near
  0 and comparable variances;
* softmax before cross-entropy and friends: PyTorch's documentation of ``CrossEntropyLoss``
  (it takes unnormalised logits) and ``BCEWithLogitsLoss``.
"""

from __future__ import annotations

import math

from .facts import RunFacts
from .findings import Finding
from .fixes import lr_patch, normalised, swap_activations, without_final

# class collapse: this share of test predictions go to one class whose true share is at most 0.6
COLLAPSED, TRUE_SHARE_MAX = 0.9, 0.6
# a ReLU layer with this share of its units never active on the test set (and at least 4 units)
DEAD_SHARE, DEAD_MIN_UNITS = 0.5, 4
# vanishing: the first weighted layer's gradient norm this far below the last one's
VANISHING_RATIO = 1e-3
# exploding: a layer's gradient norm above this
EXPLODING_NORM = 1e3
# the loss at the first step this far from the loss at chance (absolute, or as a multiple)
INIT_OFF = 1.0
# inputs: a feature reaching the first layer with values this large, or standard deviations
# across features this far apart
UNSCALED_PEAK, UNSCALED_SPREAD = 100.0, 100.0


def class_collapse(f: RunFacts) -> Finding | None:
    epoch, counts = f.last("pred_counts")
    truth = f.first("true_counts")
    if not counts or not truth or sum(counts) == 0:
        return None
    k = max(range(len(counts)), key=counts.__getitem__)
    share, true_share = counts[k] / sum(counts), truth[k] / max(sum(truth), 1)
    if share < COLLAPSED or true_share > TRUE_SHARE_MAX:
        return None
    name = f.classes[k] if f.classes and k < len(f.classes) else str(k)
    imbalanced = max(truth) >= 2 * max(min(truth), 1)
    if imbalanced and not f.spec.training.class_weights:
        fix, words = {"training": {"class_weights": True}}, "class_weights on, so rare classes count as much"
    else:
        lr = f.spec.training.lr
        fix, words = lr_patch(f.spec, lr / 10), f"lr {lr / 10:.2g}"
    return Finding(
        "class_collapse",
        "problem",
        f'At epoch {epoch} the model answers "{name}" for {share:.0%} of the test rows, though only {true_share:.0%} '
        "of them are that class: it has collapsed onto one answer.",
        {"epoch": epoch, "class": name, "predicted_share": share, "true_share": true_share, "pred_counts": counts},
        fix,
        words,
    )


def dead_relu(f: RunFacts) -> Finding | None:
    epoch, layers = f.last("dead_units")
    if not layers:
        return None
    worst = max(layers.items(), key=lambda kv: kv[1]["dead"] / max(kv[1]["units"], 1))
    name, counts = worst
    share = counts["dead"] / max(counts["units"], 1)
    if counts["units"] < DEAD_MIN_UNITS or share < DEAD_SHARE:
        return None
    return Finding(
        "dead_relu",
        "problem" if share >= 0.9 else "warning",
        f'{counts["dead"]} of the {counts["units"]} units of ReLU "{name}" ({share:.0%}) output 0 for every test row at '
        f"epoch {epoch}: they are dead and no longer learn.",
        {"epoch": epoch, "layer": name, **counts, "share": share, "layers": layers},
        swap_activations(f.spec, {"ReLU"}, "LeakyReLU"),
        "LeakyReLU in place of ReLU, which keeps a small slope below 0",
    )


def _norms(f: RunFacts) -> tuple[int | None, dict[str, float | None]]:
    for s in f.signals:
        if s.get("grad_norms"):
            return s.get("epoch"), s["grad_norms"]
    return None, {}


def vanishing_gradients(f: RunFacts) -> Finding | None:
    epoch, norms = _norms(f)
    values = [(k, v) for k, v in norms.items() if v is not None]
    if len(values) < 3:
        return None
    (first, g0), (last, g1) = values[0], values[-1]
    if g1 <= 0 or g0 / g1 >= VANISHING_RATIO:
        return None
    squashing = {t for t in f.model_types() if t in ("Sigmoid", "Tanh")}
    fix = normalised(f.spec, squashing)
    swapped = f"ReLU in place of {' and '.join(sorted(squashing))}, and " if squashing else ""
    return Finding(
        "vanishing_gradients",
        "problem",
        f'In epoch {epoch} the gradient reaching the first layer ("{first}", norm {g0:.2g}) was {g1 / max(g0, 1e-300):.2g} '
        f'times smaller than at the last ("{last}", {g1:.2g}): the early layers hardly learn.',
        {"epoch": epoch, "first_layer": first, "first_norm": g0, "last_layer": last, "last_norm": g1, "norms": norms},
        fix,
        f"{swapped}a batch normalisation after each hidden layer, so the signal keeps its scale through the depth"
        if fix
        else None,
    )


def exploding_gradients(f: RunFacts) -> Finding | None:
    for s in f.signals:
        for name, norm in (s.get("grad_norms") or {}).items():
            if norm is None or norm > EXPLODING_NORM:
                lr = f.spec.training.lr
                shown = "not finite" if norm is None else f"{norm:.3g}"
                if unscaled_inputs(f) is not None and f.spec.data.scale is False:
                    # a weight's gradient grows with the inputs it multiplies: scaling them is the cure
                    fix, words = {"data": {"scale": True}}, "standardise the numeric columns (data.scale on)"
                else:
                    fix, words = lr_patch(f.spec, lr / 10), f"lr {lr / 10:.2g}"
                return Finding(
                    "exploding_gradients",
                    "problem",
                    f'In epoch {s.get("epoch")} the gradient of "{name}" had norm {shown}: steps that large throw the '
                    "weights far from where they were.",
                    {"epoch": s.get("epoch"), "layer": name, "norm": norm, "lr": lr},
                    fix,
                    words,
                )
    return None


def initial_loss_off(f: RunFacts) -> Finding | None:
    start, chance = f.first("first_loss"), f.chance_loss()
    if start is None or chance is None or abs(start - chance) <= max(INIT_OFF, chance):
        return None
    return Finding(
        "initial_loss_off",
        "warning",
        f"The loss before the first step was {start:.3g}; a model that knows nothing starts near {chance:.3g} "
        f"({'−ln(1/' + str(f.n_classes) + ')' if f.classify else 'the variance of the standardised target'}). "
        "Something in the data or the model is off from the start.",
        {"first_loss": start, "chance_loss": chance},
        {"data": {"scale": True}} if f.spec.data.scale is False else None,
        "standardise the numeric columns (data.scale)" if f.spec.data.scale is False else None,
    )


def unscaled_inputs(f: RunFacts) -> Finding | None:
    inputs = f.first("inputs")
    if not inputs or inputs.get("kind") != "features":
        return None
    peak, low, high = inputs["abs_max"], inputs["std_min"], inputs["std_max"]
    spread = high / low if low > 0 else math.inf
    if peak < UNSCALED_PEAK and spread < UNSCALED_SPREAD:
        return None
    widest = inputs["widest"]
    fix = {"data": {"scale": True}} if f.spec.data.scale is False else None
    return Finding(
        "unscaled_inputs",
        "problem" if peak >= 10 * UNSCALED_PEAK else "warning",
        f"The inputs reach the first layer unscaled: values up to {peak:.3g}, and standard deviations from {low:.3g} "
        f"to {high:.3g} across features (input {widest + 1} varies most). Features on such different scales make "
        "some weights learn far faster than others.",
        {"abs_max": peak, "std_min": low, "std_max": high, "widest_input": widest},
        fix,
        "standardise the numeric columns (data.scale on)" if fix else None,
    )


def spec_mistakes(f: RunFacts) -> list[Finding]:
    types, loss = f.model_types(), f.loss
    ending = types[-1] if types else None
    out = []
    if ending == "Softmax" and loss == "CrossEntropyLoss":
        out.append(Finding("softmax_before_loss", "warning",
                           "The model ends with Softmax, but CrossEntropyLoss applies softmax itself: the "
                           "probabilities are squashed twice and learning slows.",
                           {"last_layer": ending, "loss": loss}, without_final(f.spec, "Softmax"),
                           "remove the final Softmax"))  # fmt: skip
    if ending == "Sigmoid" and loss == "BCEWithLogitsLoss":
        out.append(Finding("sigmoid_before_loss", "warning",
                           "The model ends with Sigmoid, but BCEWithLogitsLoss applies the sigmoid itself.",
                           {"last_layer": ending, "loss": loss}, without_final(f.spec, "Sigmoid"),
                           "remove the final Sigmoid"))  # fmt: skip
    if loss == "NLLLoss" and ending != "LogSoftmax":
        out.append(Finding("nll_without_log_softmax", "warning",
                           "NLLLoss expects log-probabilities, but the model does not end with LogSoftmax.",
                           {"last_layer": ending, "loss": loss}, {"training": {"loss": "CrossEntropyLoss"}},
                           "CrossEntropyLoss, which takes the raw outputs"))  # fmt: skip
    if not f.classify and ending in ("ReLU", "Sigmoid", "Tanh", "Softmax"):
        out.append(Finding("bounded_regression_output", "warning",
                           f"The model ends with {ending}, which limits the values it can predict.",
                           {"last_layer": ending}, without_final(f.spec, ending), f"remove the final {ending}"))  # fmt: skip
    return out
