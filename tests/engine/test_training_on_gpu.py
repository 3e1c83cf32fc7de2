"""GPU checks: run where CUDA exists (the lent accelerator), skipped with the reason elsewhere."""

import warnings

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_on_the_gpu_learns(precision):
    run = dlp.train(
        {
            "model": default_model([4], 3),
            "data": {"source": "builtin:iris"},
            "training": {"device": "cuda", "precision": precision},
        },
        dashboard=False,
    )
    assert run.status == "finished" and run.device.startswith("cuda")
    assert run.metrics["test_accuracy"] >= 0.85
    assert next(run.model.parameters()).is_cuda


def test_images_through_a_dataloader_with_pinned_memory():
    spec = {
        "model": default_model([1, 8, 8], 10),
        "training": {"device": "cuda", "epochs": 3},
        "data": {
            "source": "builtin:digits",
            "transforms": {"train": [{"type": "RandomRotation", "params": {"degrees": 5}}], "test": []},
        },
    }
    run = dlp.train(spec, dashboard=False)
    assert run.status == "finished" and run.metrics["test_accuracy"] > 0.5
