"""Hypothesis strategies that generate model specs: mostly valid ones (layers picked to
suit the current rank) with natural shape errors mixed in (windows larger than the image,
mismatched explicit input sizes, a Conv2d after a Flatten).

What torch requires (out_features, out_channels, kernel_size, output_size, and a softmax
dim, whose implicit choice torch deprecates) is always given; other parameters are often
left out, so that torch's defaults are exercised too."""

from __future__ import annotations

from hypothesis import strategies as st

IMAGE_LAYERS = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d"]
# the catalogue's later layers: images made larger, channels and dimensions reordered
IMAGE_MORE = ["ConvTranspose2d", "Upsample", "ChannelShuffle", "Permute"]
# over sequences [C, L]
SEQUENCE_LAYERS = ["Conv1d", "MaxPool1d", "AvgPool1d", "BatchNorm1d", "Upsample", "ChannelShuffle", "Permute"]
# layers that make an example larger: drawn only while the hint is small, so torch's forward
# pass on zeros stays cheap
GROWING = ("ConvTranspose2d", "Upsample")
ANY_LAYERS = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "LayerNorm",
    "Identity",
]
FLAT_LAYERS = ["Linear", "BatchNorm1d"]

size2 = lambda lo, hi: st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=2, max_size=2))  # noqa: E731


def _maybe(strategy):
    return st.one_of(st.just(None), strategy)


def _often(draw, p: dict, name: str, strategy) -> None:
    """Give ``name`` two times in three; otherwise the spec leaves it to torch's default."""
    if draw(st.integers(0, 2)):
        p[name] = draw(strategy)


@st.composite
def layer_params(draw, kind: str, rank: int, shape_hint: list[int]):
    p: dict = {}
    if kind == "Linear":
        p["out_features"] = draw(st.integers(1, 16))
        if draw(st.integers(0, 5)) == 0:
            p["in_features"] = draw(st.one_of(st.just(shape_hint[-1]), st.integers(1, 64)))
        if draw(st.booleans()):
            p["bias"] = draw(st.booleans())
    elif kind == "Conv2d":
        p["out_channels"] = draw(st.sampled_from([1, 2, 4, 6, 8]))
        p["kernel_size"] = draw(size2(1, 5))
        _often(draw, p, "stride", size2(1, 3))
        _often(draw, p, "padding", st.one_of(size2(0, 2), st.sampled_from(["same", "valid"])))
        _often(draw, p, "dilation", size2(1, 2))
        _often(draw, p, "groups", st.sampled_from([1, 1, 1, 2]))
        _often(draw, p, "bias", st.booleans())
        _often(draw, p, "padding_mode", st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
        if draw(st.integers(0, 6)) == 0:
            p["in_channels"] = draw(st.integers(1, 4))
    elif kind in ("MaxPool2d", "AvgPool2d"):
        p["kernel_size"] = draw(size2(1, 4))
        stride = draw(_maybe(size2(1, 3)))
        if stride is not None:
            p["stride"] = stride
        _often(draw, p, "padding", size2(0, 2))
        _often(draw, p, "ceil_mode", st.booleans())
        if kind == "MaxPool2d":
            _often(draw, p, "dilation", size2(1, 2))
        else:
            _often(draw, p, "count_include_pad", st.booleans())
    elif kind == "AdaptiveAvgPool2d":
        p["output_size"] = draw(size2(1, 4))
    elif kind in ("BatchNorm1d", "BatchNorm2d"):
        _often(draw, p, "affine", st.booleans())
        _often(draw, p, "eps", st.sampled_from([1e-5, 1e-3]))
        _often(draw, p, "momentum", st.sampled_from([0.1, 0.01]))
        if draw(st.integers(0, 6)) == 0:
            p["num_features"] = draw(st.one_of(st.just(shape_hint[0]), st.integers(1, 8)))
    elif kind == "LayerNorm":
        choice = draw(st.integers(0, 3))
        if choice == 1:
            p["normalized_shape"] = shape_hint[-1]
        elif choice == 2:
            k = draw(st.integers(1, len(shape_hint)))
            p["normalized_shape"] = shape_hint[len(shape_hint) - k :]
        elif choice == 3:
            p["normalized_shape"] = draw(st.integers(1, 8))
        _often(draw, p, "elementwise_affine", st.booleans())
        _often(draw, p, "bias", st.booleans())
    elif kind in ("Softmax", "LogSoftmax"):
        p["dim"] = draw(st.integers(max(-4, -rank - 2), min(3, rank + 1)))  # one past each end too
    elif kind == "Flatten":
        if draw(st.booleans()):
            p["start_dim"] = draw(st.integers(1, max(1, rank)))
            p["end_dim"] = draw(st.integers(-rank, -1))
    elif kind == "LeakyReLU":
        _often(draw, p, "negative_slope", st.floats(0, 1))
    elif kind == "ELU":
        _often(draw, p, "alpha", st.floats(0.1, 2))
    elif kind == "GELU":
        _often(draw, p, "approximate", st.sampled_from(["none", "tanh"]))
    elif kind in ("Dropout", "Dropout2d"):
        _often(draw, p, "p", st.floats(0, 1))
    elif kind == "Conv1d":
        p["out_channels"] = draw(st.sampled_from([1, 2, 4, 6, 8]))
        p["kernel_size"] = draw(st.integers(1, 5))
        _often(draw, p, "stride", st.integers(1, 3))
        _often(draw, p, "padding", st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"])))
        _often(draw, p, "dilation", st.integers(1, 2))
        _often(draw, p, "groups", st.sampled_from([1, 1, 1, 2]))
        _often(draw, p, "bias", st.booleans())
        _often(draw, p, "padding_mode", st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
        if draw(st.integers(0, 6)) == 0:
            p["in_channels"] = draw(st.integers(1, 4))
    elif kind == "ConvTranspose2d":
        p["out_channels"] = draw(st.sampled_from([1, 2, 4, 6, 8]))
        p["kernel_size"] = draw(size2(1, 4))
        _often(draw, p, "stride", size2(1, 2))
        _often(draw, p, "padding", size2(0, 2))
        if draw(st.integers(0, 3)) == 0:
            p["output_padding"] = draw(size2(0, 2))
        _often(draw, p, "dilation", size2(1, 2))
        _often(draw, p, "groups", st.sampled_from([1, 1, 1, 2]))
        _often(draw, p, "bias", st.booleans())
        if draw(st.integers(0, 6)) == 0:
            p["in_channels"] = draw(st.integers(1, 4))
    elif kind in ("MaxPool1d", "AvgPool1d"):
        p["kernel_size"] = draw(st.integers(1, 4))
        stride = draw(_maybe(st.integers(1, 3)))
        if stride is not None:
            p["stride"] = stride
        _often(draw, p, "padding", st.integers(0, 2))
        _often(draw, p, "ceil_mode", st.booleans())
        if kind == "MaxPool1d":
            _often(draw, p, "dilation", st.integers(1, 2))
        else:
            _often(draw, p, "count_include_pad", st.booleans())
    elif kind == "Upsample":
        p.update(draw(upsample_params(rank)))
    elif kind == "ChannelShuffle":
        p["groups"] = draw(st.sampled_from([1, 2, 2, 3, 4]))
    elif kind == "Permute":
        p["dims"] = draw(permute_dims(rank))
    return p


@st.composite
def upsample_params(draw, rank: int):
    """A size or a scale_factor (now and then both, or neither), a mode that may not suit the
    input, and now and then align_corners or recompute_scale_factor where torch refuses them."""
    p: dict = {}
    spatial = max(1, rank - 1)
    which = draw(st.sampled_from(["size", "scale", "size", "scale", "both", "neither"]))
    if which in ("size", "both"):
        one = st.integers(1, 12)
        p["size"] = draw(
            st.one_of(one, st.lists(one, min_size=spatial, max_size=spatial), st.lists(one, min_size=1, max_size=3))
        )
    if which in ("scale", "both"):
        one = st.sampled_from([0.25, 0.5, 1, 1.5, 2, 2.0, 0.7])
        p["scale_factor"] = draw(
            st.one_of(one, st.lists(one, min_size=spatial, max_size=spatial), st.lists(one, min_size=1, max_size=3))
        )
    fits = "linear" if rank == 2 else "bilinear"
    _often(
        draw,
        p,
        "mode",
        st.sampled_from(["nearest", fits, fits, "bicubic", "area", "nearest-exact", "linear", "trilinear"]),
    )
    if draw(st.integers(0, 3)) == 0:
        p["align_corners"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        p["recompute_scale_factor"] = draw(st.booleans())
    return p


@st.composite
def permute_dims(draw, rank: int):
    """Mostly a permutation that keeps the batch first; now and then one that moves it, names
    a dimension twice, or has the wrong length."""
    order = [0, *draw(st.permutations(list(range(1, rank + 1))))]
    broken = draw(st.integers(0, 5))
    if broken == 1:
        order = draw(st.permutations(order))
    elif broken == 2:
        order[-1] = order[0]
    elif broken == 3:
        order = order[:-1] if len(order) > 1 else order + [1]
    if draw(st.booleans()):  # from the end, as torch allows
        order = [d - (rank + 1) if d and draw(st.booleans()) else d for d in order]
    return order


def steer(kind: str, params: dict, rank: int, hint: list[int]) -> tuple[int, list[int]]:
    """The rank and a rough shape after a layer, to pick layers that suit it: steering only
    (the oracle decides what is right); growth is over-estimated, shrinking ignored."""
    if kind == "Flatten":
        s, e = params.get("start_dim", 1), params.get("end_dim", -1) % (rank + 1)
        if 1 <= s <= e <= rank:
            return rank - (e - s), hint[: s - 1] + [max(1, _prod(hint[s - 1 : e]))] + hint[e:]
        return 1, [max(1, _prod(hint))]
    if kind == "Linear":
        return rank, hint[:-1] + [params["out_features"]]
    if kind in ("Conv2d", "Conv1d"):
        return rank, [params["out_channels"]] + hint[1:]
    if kind == "ConvTranspose2d":
        return rank, [params["out_channels"]] + [2 * d + 4 for d in hint[1:]]
    if kind == "Upsample":
        return rank, hint[:1] + [2 * d + 12 for d in hint[1:]]
    if kind == "Permute" and sorted(d % (rank + 1) for d in params["dims"]) == list(range(rank + 1)):
        return rank, [hint[d % (rank + 1) - 1] for d in params["dims"][1:]]
    return rank, hint


@st.composite
def model_specs(draw, max_layers: int = 8):
    kind_of_data = draw(st.sampled_from(["image", "image", "table", "table", "sequence"]))
    if kind_of_data == "image":
        shape = [draw(st.integers(1, 4)), draw(st.integers(4, 32)), draw(st.integers(4, 32))]
    elif kind_of_data == "sequence":
        shape = [draw(st.integers(1, 8)), draw(st.integers(4, 32))]
    else:
        shape = [draw(st.integers(1, 20))]
    rank = len(shape)
    hint = list(shape)
    layers = []
    for _ in range(draw(st.integers(1, max_layers))):
        # now and then a layer of another rank, which must be refused (torch would read the
        # batch as channels)
        stray = ["Conv2d", "Conv1d", "MaxPool1d"] if draw(st.integers(0, 9)) == 0 else []
        if rank == 3:
            pool = IMAGE_LAYERS * 2 + IMAGE_MORE + ANY_LAYERS + ["Flatten"] * 2 + ["Linear"] + stray
        elif rank == 2:
            pool = SEQUENCE_LAYERS * 2 + ANY_LAYERS + ["Flatten", "Linear"] + stray
        else:
            pool = FLAT_LAYERS * 3 + ANY_LAYERS + stray
        if _prod(hint) > 4096:
            pool = [k for k in pool if k not in GROWING]
        kind = draw(st.sampled_from(pool))
        params = draw(layer_params(kind, rank, hint))
        layers.append({"type": kind, "params": params} if params else {"type": kind})
        rank, hint = steer(kind, params, rank, hint)
    return {"input_shape": shape, "layers": layers}


def _prod(xs):
    out = 1
    for x in xs:
        out *= x
    return out


# any JSON value, nested: what a fuzz test feeds the validator and the widgets
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from([10**400, -(10**400), 1e308, -0.0, "same", "3", "ReLU", "Linear"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12)
            | st.sampled_from(
                ["type", "params", "model", "layers", "input_shape", "out_features", "kernel_size", "padding"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@st.composite
def graph_specs(draw, max_nodes: int = 10):
    """Random DAGs (spec version 2): layers reading the node before them or any earlier one,
    Add, Mul and Concat of two or three earlier values, whose shapes fit or not — the oracle
    decides. Steered so most merges meet shapes that can fit (the same image size)."""
    kind_of_data = draw(st.sampled_from(["image", "image", "table", "table", "sequence"]))
    if kind_of_data == "image":
        shape = [draw(st.integers(1, 4)), draw(st.sampled_from([4, 6, 8])), draw(st.sampled_from([4, 6, 8]))]
    elif kind_of_data == "sequence":
        shape = [draw(st.integers(1, 8)), draw(st.sampled_from([4, 6, 8]))]
    else:
        shape = [draw(st.integers(1, 12))]
    values = [("x", len(shape), list(shape))]  # (id, rank, a hint of the shape)
    nodes = []
    for k in range(draw(st.integers(1, max_nodes))):
        node_id = draw(st.sampled_from([f"n{k}", f"block{k}.conv", f"layer{k}.0"]))
        if len(values) >= 2 and draw(st.integers(0, 2)) == 0:
            kind = draw(st.sampled_from(["Add", "Mul", "Concat"]))
            picks = draw(st.lists(st.sampled_from(values), min_size=2, max_size=3))
            node = {"id": node_id, "type": kind, "inputs": [v[0] for v in picks]}
            if kind == "Concat" and draw(st.booleans()):
                node["params"] = {"dim": draw(st.sampled_from([1, -1, 2, 0]))}
            rank, hint = picks[0][1], list(picks[0][2])
        else:
            src = draw(st.sampled_from(values)) if draw(st.booleans()) else values[-1]
            rank, hint = src[1], list(src[2])
            if rank == 3:
                pool = ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Tanh", "AdaptiveAvgPool2d", "Mean"]
                pool += IMAGE_MORE
            elif rank == 2:
                pool = ["Conv1d", "MaxPool1d", "AvgPool1d", "ReLU", "BatchNorm1d", "ChannelShuffle", "Upsample"]
                pool += ["Permute", "Flatten", "Linear"]
            else:
                pool = ["Linear", "ReLU", "BatchNorm1d", "Tanh", "Dropout", "LayerNorm"]
            if _prod(hint) > 1024:
                pool = [k for k in pool if k not in GROWING]
            kind = draw(st.sampled_from(pool))
            if rank >= 2 and draw(st.integers(0, 7)) == 0:
                kind = "Chunk"  # one piece of x.chunk, as ShuffleNet splits channels; or a piece that is not there
                params = {
                    "chunks": draw(st.integers(1, 3)),
                    "dim": draw(st.sampled_from([1, 1, -1, 0, 2])),
                    "index": draw(st.integers(0, 2)),
                }
            elif kind == "Mean":  # global pooling as MNASNet does it, or a dimension that cannot be
                params = {
                    "dim": draw(st.sampled_from([[2, 3], [-1], [1], [0], [2, 2], -4, 3])),
                    "keepdim": draw(st.booleans()),
                }
            else:
                params = draw(layer_params(kind, rank, hint))
            node = {"id": node_id, "type": kind}
            if params:
                node["params"] = params
            if src is not values[-1] or draw(st.booleans()):
                node["inputs"] = [src[0]]
            if kind == "Mean" and params["dim"] == [2, 3] and not params["keepdim"]:
                rank, hint = 1, hint[:1]
            elif kind not in ("Mean", "Chunk"):
                rank, hint = steer(kind, params, rank, hint)
        if any(n["id"] == node_id for n in nodes):
            node_id = node["id"] = f"{node_id}_{k}"
        nodes.append(node)
        values.append((node_id, rank, hint))
    return {"inputs": [{"id": "x", "shape": shape}], "nodes": nodes}
