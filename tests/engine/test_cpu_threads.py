"""CPU threads per run: one for small models (robust on shared cores), torch's own otherwise."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from dlp_widgets.engine.build import build_model
from dlp_widgets.engine.runner import train
from dlp_widgets.engine.threads import SMALL_WORK, cpu_threads, threads_for
from dlp_widgets.runstore import open_store
from dlp_widgets.spec import infer
from dlp_widgets.spec.costs import multiply_adds
from spec_examples import LENET5

MLP = {
    "input_shape": [20],
    "layers": [
        {"type": "Linear", "params": {"out_features": 64}},
        {"type": "ReLU"},
        {"type": "Linear", "params": {"out_features": 64}},
        {"type": "ReLU"},
        {"type": "Linear", "params": {"out_features": 3}},
    ],
}


@pytest.mark.parametrize("model", [MLP, LENET5], ids=["mlp", "lenet5"])
def test_multiply_adds_agree_with_torchs_flop_counter(model):
    module = build_model(model).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.zeros(1, *model["input_shape"]))
    torch_macs = counter.get_total_flops() / 2  # matmuls and convolutions, a multiply and an add each
    ours = multiply_adds(infer(model))
    # ours also counts one operation per output value (activations, pooling, biases)
    assert torch_macs <= ours <= 1.1 * torch_macs, (ours, torch_macs)


def test_small_models_train_on_one_thread_larger_ones_keep_torchs_setting():
    cpu = torch.device("cpu")
    assert threads_for(infer(MLP), 256, cpu) == 1
    assert threads_for(infer(LENET5), 64, cpu) is None  # 27 M multiply-adds a batch: two threads pay
    assert threads_for(infer(MLP), SMALL_WORK, cpu) is None
    assert threads_for(infer(MLP), 256, torch.device("cuda")) is None
    conv = {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}
    broken = {"input_shape": [4], "layers": [conv]}
    assert threads_for(infer(broken), 8, cpu) is None


def test_cpu_threads_puts_the_setting_back_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), cpu_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("displayed", [True, False])
def test_a_small_run_in_a_browser_trains_on_one_thread_and_restores_the_setting(tmp_path, displayed):
    if torch.get_num_threads() < 2:
        pytest.skip("one CPU thread here: there is no other setting to keep")
    before = torch.get_num_threads()
    seen = []

    def record(event):
        if event["type"] in ("progress", "epoch_end"):
            seen.append(torch.get_num_threads())  # events come from the training thread

    run = train(
        {"model": {**MLP, "input_shape": [4]}, "data": {"source": "builtin:iris"}, "training": {"epochs": 2}},
        subscribe=record,
        store=open_store(tmp_path / "runs.sqlite"),
        displayed=displayed,
    )
    # drawn by a browser, it takes one thread the browser cannot stall; with nobody
    # watching, torch keeps its own setting (faster on an idle machine)
    assert run.status == "finished" and seen and set(seen) == ({1} if displayed else {before})
    assert torch.get_num_threads() == before


def test_a_run_with_a_dashboard_says_it_is_displayed(monkeypatch):
    import dlp_widgets.api as api
    from dlp_widgets.engine import runner

    got = {}

    def fake_train(spec, data, **kwargs):
        got.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(runner, "train", fake_train)
    with pytest.raises(RuntimeError, match="stop here"):
        api.train({}, dashboard=True)
    assert got["displayed"] is True
