"""Metrics computed from predictions the loop already has (no extra forward pass).

Accuracy, the confusion matrix and one-vs-rest ROC curves for classification; R², MAE and
RMSE for regression. Plain numpy/torch; the tests check each against scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

# ROC curves every epoch only while they are cheap; always at the end of a run.
ROC_EVERY_EPOCH_MAX = 200_000  # test rows × classes


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int) -> list[list[int]]:
    """Rows: true class; columns: predicted class."""
    flat = y_true.long() * n_classes + y_pred.long()
    counts = torch.bincount(flat, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).cpu().tolist()


def roc_curve(y_true: np.ndarray, scores: np.ndarray, max_points: int = 200) -> tuple[list[float], list[float], float]:
    """False and true positive rates (thinned to at most ``max_points``) and the exact AUC."""
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        return [0.0, 1.0], [0.0, 1.0], float("nan")
    # any order within a run of equal scores: one point is taken after the whole run
    order = np.argsort(-scores)
    s = scores[order]
    t = y_true[order]
    # one point per distinct threshold
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tps = np.cumsum(t)[last]
    fps = (last + 1) - tps
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / negatives]
    auc = float(np.trapezoid(tpr, fpr))
    if len(fpr) > max_points:
        keep = np.unique(np.r_[np.linspace(0, len(fpr) - 1, max_points).astype(int), len(fpr) - 1])
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr.tolist(), tpr.tolist(), auc


def roc_curves(y_true: torch.Tensor, probs: torch.Tensor, classes: list[str]) -> dict[str, Any]:
    """One-vs-rest ROC per class (for two classes, one curve for the second class)."""
    y = y_true.cpu().numpy()
    p = probs.float().cpu().numpy()
    out: dict[str, Any] = {}
    targets = [1] if len(classes) == 2 else range(len(classes))
    for k in targets:
        fpr, tpr, auc = roc_curve((y == k).astype(np.int64), p[:, k])
        out[classes[k]] = {"fpr": fpr, "tpr": tpr, "auc": auc}
    return out


def predicted_classes(logits: torch.Tensor, binary_logit: bool) -> torch.Tensor:
    """The predicted class of each row, from the outputs themselves: the probabilities
    rank the classes as the outputs do, and are only worked out where they are shown."""
    if binary_logit:  # one output: the logit of class 1 (0 at even odds, class 0 as argmax has it)
        return (logits.reshape(-1) > 0).long()
    return logits.argmax(dim=1)


def class_probabilities(logits: torch.Tensor, binary_logit: bool) -> torch.Tensor:
    """Each row's class probabilities (rows × classes) from the model's outputs."""
    if binary_logit:
        p1 = torch.sigmoid(logits.float().reshape(-1))
        return torch.stack([1 - p1, p1], dim=1)
    return torch.softmax(logits.float(), dim=1)


def r2_score(sse: float, sst: float) -> float:
    """1 − SSE/SST; for a constant target (SST 0), as scikit-learn has it: 1 when every
    prediction is exact, else 0, never NaN."""
    if sst > 0:
        return 1.0 - sse / sst
    return 1.0 if sse == 0 else 0.0


def regression_scores(pred: torch.Tensor, y: torch.Tensor, scale: float) -> dict[str, float]:
    """R² (scale-free), and MAE and RMSE in the target's own units."""
    pred = pred.double().reshape(-1)
    y = y.double().reshape(-1)
    err = pred - y
    sse = float((err * err).sum())
    sst = float(((y - y.mean()) ** 2).sum())
    return {
        "r2": r2_score(sse, sst),
        "mae": float(err.abs().mean()) * scale,
        "rmse": float((err * err).mean().sqrt()) * scale,
    }
