"""The coach's rules that read the loss and metric curves. Each takes a run's facts and
returns a finding or None. The thresholds are named here, with where they come from:

* Karpathy, "A Recipe for Training Neural Networks" (2019): verify the loss at init; a loss
  that does not go down or blows up points at the learning rate first.
* Google Research, "Deep Learning Tuning Playbook" (2023): training instability and
  divergence — lower the learning rate; a model still improving at the end of its budget
  should train longer; overfitting is read from train and validation curves together.
* Keras callbacks: ``EarlyStopping`` (stop after the monitored loss has not improved for a
  number of epochs, keep the best weights) and ``ReduceLROnPlateau`` (a plateau → the
  learning rate times 0.1).
"""

from __future__ import annotations

from .facts import RunFacts
from .findings import Finding
from .fixes import lr_patch, usual_lr, wider, with_nonlinearity

# the training loss grew past this multiple of its starting value: it is blowing up
EXPLODE_FACTOR = 10.0
# epoch-to-epoch rises of the training loss in the first epochs that mean the steps are too long
EARLY_EPOCHS, EARLY_RISES, RISE = 6, 2, 0.01
# the first epoch's mean loss this much above the loss at the start: the first steps made it worse
WORSE_THAN_START = 1.10
# lr_too_low: over the whole run the training loss fell by less than this share of its start
SLOW_DROP = 0.10
# overfitting: EarlyStopping's patience, and the test loss this much above its best (as a share,
# and at least this much in absolute terms: near 0, a relative rise is noise)
PATIENCE, RISE_ABOVE_BEST, RISE_AT_LEAST = 3, 0.05, 0.02
# overfitting by the gap: train accuracy at least 0.95 and this far above test accuracy (R²: 0.9, 0.15)
GAP_ACCURACY, FIT_ACCURACY, GAP_R2, FIT_R2 = 0.10, 0.95, 0.15, 0.90
# still improving: the test loss's fall over the last 3 epochs, as a share of it
STILL_FALLING = 0.02
# plateau (ReduceLROnPlateau's reading): no new best training loss, by this share, for this many
# epochs, the loss going up and down meanwhile
# (a rise counts when it passes PLATEAU_RISE, above a mini-batch's own jitter)
PLATEAU_PATIENCE, PLATEAU_DELTA, PLATEAU_RISE = 5, 0.01, 0.005
# a train metric this low is poor: accuracy below half way from chance to 1; R² below 0.5
POOR_R2 = 0.5
GOOD_ACCURACY, GOOD_R2 = 0.9, 0.8


def _finite(values: list[float | None]) -> list[tuple[int, float]]:
    """(epoch, value) for each epoch that has a value."""
    return [(i + 1, v) for i, v in enumerate(values) if v is not None]


def diverged(f: RunFacts) -> Finding | None:
    lr = f.spec.training.lr
    fix, words = lr_patch(f.spec, lr / 10), f"lr {lr / 10:.2g} (a tenth)"
    if f.status == "diverged":
        epoch = f.epochs + 1
        return Finding(
            "diverged",
            "problem",
            f"The loss became NaN or infinite in epoch {epoch}, so training stopped; the weights of the "
            f"last good epoch ({f.epochs}) are kept. At lr {lr:g} the steps are too long: lower the learning rate.",
            {"epoch": epoch, "lr": lr},
            fix,
            words,
        )
    start = f.first("first_loss")
    train = _finite(f.series("train_loss"))
    if start and train:
        epoch, peak = max(train, key=lambda p: p[1])
        if peak > EXPLODE_FACTOR * start:
            return Finding(
                "diverged",
                "problem",
                f"The training loss blew up to {peak:.3g} in epoch {epoch}, {peak / start:.0f} times its value at the "
                f"start ({start:.3g}).",
                {"epoch": epoch, "train_loss": peak, "first_loss": start, "lr": lr},
                fix,
                words,
            )
    return None


def lr_too_high(f: RunFacts) -> Finding | None:
    lr = f.spec.training.lr
    train = f.series("train_loss")[:EARLY_EPOCHS]
    start = f.first("first_loss")
    rises = [
        i + 2 for i in range(len(train) - 1) if None not in train[i : i + 2] and train[i + 1] > train[i] * (1 + RISE)
    ]
    evidence = {"lr": lr, "train_loss": train}
    if len(rises) >= EARLY_RISES:
        message = (
            f"The training loss went up in epochs {', '.join(map(str, rises))} of the first {len(train)}: "
            f"at lr {lr:g} the steps overshoot."
        )
        return Finding("lr_too_high", "problem", message, {**evidence, "rising_epochs": rises},
                       lr_patch(f.spec, lr / 10), f"lr {lr / 10:.2g}")  # fmt: skip
    if start and train and train[0] is not None and train[0] > start * WORSE_THAN_START:
        message = (
            f"The first epoch's mean training loss ({train[0]:.3g}) is higher than the loss before the first step "
            f"({start:.3g}): the first steps made the model worse, as they do when lr ({lr:g}) is too high."
        )
        return Finding("lr_too_high", "problem", message, {**evidence, "first_loss": start},
                       lr_patch(f.spec, lr / 10), f"lr {lr / 10:.2g}")  # fmt: skip
    return None


def lr_too_low(f: RunFacts) -> Finding | None:
    lr, usual = f.spec.training.lr, usual_lr(f.spec)
    start = f.first("first_loss")
    train = _finite(f.series("train_loss"))
    if not start or not train or f.epochs < 2 or lr >= usual:
        return None
    last = train[-1][1]
    drop = (start - last) / start
    if drop >= SLOW_DROP:
        return None
    moved = f"fell only {drop:.0%}" if drop >= 0.005 else "did not fall"
    return Finding(
        "lr_too_low",
        "warning",
        f"In {f.epochs} epochs the training loss {moved} (from {start:.3g} to {last:.3g}): at lr {lr:g} "
        f"the steps are too short for the epochs given.",
        {"lr": lr, "first_loss": start, "last_train_loss": last, "drop": drop},
        lr_patch(f.spec, usual),
        f"lr {usual:g}, the usual start for {f.spec.training.optimizer}",
    )


def overfitting(f: RunFacts) -> Finding | None:
    test, train = f.series("test_loss"), f.series("train_loss")
    points = _finite(test)
    if len(points) >= PATIENCE + 1:
        best_epoch, best = min(points, key=lambda p: p[1])
        after = [v for e, v in points if e > best_epoch]
        last_epoch, last = points[-1]
        train_best, train_last = train[best_epoch - 1], train[last_epoch - 1]
        if (
            len(after) >= PATIENCE
            and last > best * (1 + RISE_ABOVE_BEST)
            and last - best >= RISE_AT_LEAST
            and train_best is not None
            and train_last is not None
            and train_last < train_best
        ):
            return Finding(
                "overfitting",
                "warning",
                f"The test loss has risen for {len(after)} epochs since its best ({best:.3g} at epoch {best_epoch}, "
                f"now {last:.3g}) while the training loss kept falling ({train_best:.3g} → {train_last:.3g}): the "
                "model is learning the training rows rather than the task.",
                {
                    "best_epoch": best_epoch,
                    "best_test_loss": best,
                    "test_loss": last,
                    "train_loss_at_best": train_best,
                    "train_loss": train_last,
                },  # fmt: skip
                {"training": {"epochs": best_epoch}},
                f"stop at epoch {best_epoch}, where the test loss was lowest (or use run.best_model())",
            )
    key, gap, fit = ("accuracy", GAP_ACCURACY, FIT_ACCURACY) if f.classify else ("r2", GAP_R2, FIT_R2)
    tr, te = f.series(f"train_{key}"), f.series(f"test_{key}")
    if f.epochs and tr[-1] is not None and te[-1] is not None and tr[-1] >= fit and tr[-1] - te[-1] >= gap:
        wd = f.spec.training.weight_decay or 0.0
        new_wd = max(wd * 10, 0.01)
        return Finding(
            "overfitting",
            "warning",
            f"The training {key} ({tr[-1]:.3f}) is {tr[-1] - te[-1]:.3f} above the test {key} ({te[-1]:.3f}): the "
            "model fits the training rows far better than rows it has not seen.",
            {f"train_{key}": tr[-1], f"test_{key}": te[-1], "weight_decay": wd},
            {"training": {"weight_decay": new_wd}},
            f"weight_decay {new_wd:g}, which keeps the weights small",
        )
    return None


def underfitting(f: RunFacts) -> Finding | None:
    if f.status != "finished" or f.epochs < 3:
        return None
    key = "accuracy" if f.classify else "r2"
    train, test = f.series(f"train_{key}"), f.series(f"test_{key}")
    if train[-1] is None or test[-1] is None:
        return None
    if f.classify:
        chance = f.chance_accuracy()
        poor = chance + (1 - chance) / 2
        if max(train[-1], test[-1]) >= poor:
            return None
        said = f"train accuracy {train[-1]:.3f} and test accuracy {test[-1]:.3f}, where always answering the " \
               f"largest class scores {chance:.3f}"  # fmt: skip
    else:
        if max(train[-1], test[-1]) >= POOR_R2:
            return None
        said = f"train R² {train[-1]:.3f} and test R² {test[-1]:.3f}"
    fix = with_nonlinearity(f.spec)
    if fix is not None:
        why, words = "its layers have no activation between them, so together they are one linear map", \
            "a ReLU after each hidden layer"  # fmt: skip
    else:
        fix, why, words = wider(f.spec), "the model may be too small for the task", "hidden layers 4 times as wide"
    return Finding(
        "underfitting", "warning", f"Both the training and the test scores are poor ({said}): {why}.",
        {f"train_{key}": train[-1], f"test_{key}": test[-1]}, fix, words if fix else None,
    )  # fmt: skip


def still_improving(f: RunFacts) -> Finding | None:
    if f.status != "finished":
        return None
    points = _finite(f.series("test_loss"))
    if len(points) < 4:
        return None
    best_epoch, _ = min(points, key=lambda p: p[1])
    last_epoch, last = points[-1]
    before = points[-4][1]
    if best_epoch != last_epoch or before - last < STILL_FALLING * abs(last):
        return None
    epochs = f.planned_epochs
    return Finding(
        "still_improving",
        "info",
        f"The test loss was still falling at the last epoch ({before:.3g} → {last:.3g} over the last 3): "
        "training longer should help.",
        {"epoch": last_epoch, "test_loss": last, "three_epochs_before": before},
        {"training": {"epochs": epochs * 2}},
        f"{epochs * 2} epochs",
    )


def plateau(f: RunFacts) -> Finding | None:
    points = _finite(f.series("train_loss"))
    if len(points) <= PLATEAU_PATIENCE:
        return None
    key, good = ("accuracy", GOOD_ACCURACY) if f.classify else ("r2", GOOD_R2)
    metric = f.series(f"train_{key}")[-1]
    if metric is None or metric >= good:
        return None
    best_epoch, best = points[0]
    for epoch, value in points[1:]:
        if value < best * (1 - PLATEAU_DELTA):
            best_epoch, best = epoch, value
    since = points[-1][0] - best_epoch
    tail = [v for _, v in points[-PLATEAU_PATIENCE:]]
    rises = sum(b > a * (1 + PLATEAU_RISE) for a, b in zip(tail, tail[1:], strict=False))
    # a loss that sinks smoothly to a floor has converged; one that bounces around it is stepping over it
    if since < PLATEAU_PATIENCE or rises < 2:
        return None
    lr = f.spec.training.lr
    return Finding(
        "plateau",
        "warning",
        f"The training loss has not improved for {since} epochs (best {best:.3g} at epoch {best_epoch}) at a train "
        f"{key} of {metric:.3f}: the steps may be too long to settle into a lower point.",
        {"best_epoch": best_epoch, "best_train_loss": best, "epochs_since": since, f"train_{key}": metric, "lr": lr},
        lr_patch(f.spec, lr / 10),
        f"lr {lr / 10:.2g} (a tenth, as ReduceLROnPlateau does)",
    )
