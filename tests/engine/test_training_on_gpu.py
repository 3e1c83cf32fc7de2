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


def test_a_residual_graph_trains_on_the_gpu_in_bf16_and_exports_for_the_cpu(tmp_path):
    import json
    from pathlib import Path

    import numpy as np
    import onnxruntime as ort

    spec = json.loads((Path(__file__).resolve().parents[2] / "examples" / "residual.json").read_text())
    spec["training"].update({"device": "cuda", "precision": "bf16", "epochs": 3})
    run = dlp.train(spec, dashboard=False)
    assert run.status == "finished" and run.device.startswith("cuda"), run.error
    assert run.metrics["test_accuracy"] > 0.8
    path = run.export("onnx", tmp_path / "residual.onnx")
    x = run.test_inputs(16)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.cpu().numpy()})[0]
    model = run.model.float().cpu().eval()
    with torch.no_grad():
        want = model(x.cpu()).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_folder_images_are_held_on_the_gpu_and_augmented_batches_come_pinned(tmp_path):
    import numpy as np
    from PIL import Image

    from dlp_widgets.engine.runner import _new_run

    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for label, value in (("dark", 40), ("light", 210)):
        (root / label).mkdir(parents=True)
        for i in range(64):
            pixels = np.clip(value + rng.normal(0, 30, size=(16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    spec = {
        "model": default_model([3, 16, 16], 2),
        "data": {"source": f"folder:{root}"},
        "training": {"device": "cuda", "epochs": 2},
    }
    _, trainer = _new_run(spec, None, store=None)
    assert trainer.train_split.x is not None and trainer.train_split.x.is_cuda
    spec["data"]["transforms"] = {"train": [{"type": "RandomCrop", "params": {"size": 16, "padding": 2}}], "test": []}
    run = dlp.train(spec, dashboard=False)
    assert run.status == "finished" and run.metrics["test_accuracy"] > 0.9
