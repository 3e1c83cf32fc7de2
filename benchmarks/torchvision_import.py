"""Every torchvision classification builder (weights=None) through ``dlp.from_torch``: imported
as a graph spec, or refused and why; for each one imported, its node count, whether the
spec's parameter count equals torch's, and how long shape inference over the graph takes
(median of 20, no torch involved) — the builder re-checks a graph on every edit.

    python benchmarks/torchvision_import.py            # a Markdown table
    python benchmarks/torchvision_import.py shufflenet  # only the networks whose names hold a word
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import torch
import torchvision
from torchvision.models import list_models

from dlp_widgets.engine.graph_import import from_torch_graph
from dlp_widgets.spec import SpecError
from dlp_widgets.spec.graph_shapes import infer_graph

warnings.filterwarnings("ignore")
EXTRA = {
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": False, "init_weights": False},
}


def main(words: list[str]) -> None:
    torch.set_num_threads(2)
    print("| network | result | nodes | parameters (spec = torch) | shape inference |")
    print("|---|---|---|---|---|")
    for name in list_models(module=torchvision.models):
        if words and not any(w in name for w in words):
            continue  # rows to update alone, without building every network again
        net = torchvision.models.get_model(name, weights=None, **EXTRA.get(name, {}))
        shape = [3, 299, 299] if name == "inception_v3" else [3, 224, 224]
        try:
            spec = from_torch_graph(net, shape)
        except SpecError as exc:
            print(f"| {name} | refused: {exc.message.split('; supported')[0]} | | | |")
            continue
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            report = infer_graph(spec)
            times.append(time.perf_counter() - t0)
        torch_params = sum(p.numel() for p in net.parameters())
        same = "yes" if report.total_params == torch_params else f"NO ({report.total_params:,} vs {torch_params:,})"
        print(
            f"| {name} | imported | {len(spec.nodes)} | {torch_params:,} ({same}) | "
            f"{statistics.median(times) * 1e3:.1f} ms |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
