"""The ONNX pipeline's graph: preprocessing nodes that reproduce ``Preprocessor.transform``
step by step before the network, and nodes that decode its outputs to class names and
probabilities (or target values) after it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..data.columns import BOOLEAN, CATEGORICAL, FALSE_WORDS, NUMERIC, TRUE_WORDS
from ..data.tabular import FeatureEncoding, Preprocessor
from .errors import ExportError

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3  # Imputer and LabelEncoder with string keys
MIN_OPSET = 20  # RegexFullMatch
# Every character Python's str.strip() removes (str.isspace), which is what as_bool strips
# before it compares; RE2's \s knows only the ASCII ones. tests check this against Python.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
OUTPUTS = {"classification": ("label", "probabilities"), "regression": ("value",)}


@dataclass
class _Graph:
    """Nodes and constants being added to the pipeline, with names that are taken by no
    column, output or network tensor (``prefix`` is chosen so)."""

    prefix: str
    nodes: list[Any] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    count: int = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{self.prefix}{hint}_{self.count}"

    def const(self, hint: str, values: Any, dtype: Any = None) -> str:
        name = self.name(hint)
        self.constants.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def add(self, op: str, inputs: list[str], hint: str, output: str | None = None, **attrs: Any) -> str:
        output = output or self.name(hint)
        domain = ML_DOMAIN if op in ("Imputer", "LabelEncoder") else ""
        self.nodes.append(helper.make_node(op, inputs, [output], name=self.name(op), domain=domain, **attrs))
        return output


def build_pipeline(net: onnx.ModelProto, pre: Preprocessor, width: int) -> onnx.ModelProto:
    """The ONNX model ``net`` (input "input", output "output", from ``export_onnx``) with the
    preprocessing of ``pre`` before it and the decoding of its ``width`` outputs after it."""
    if _default_opset(net) < MIN_OPSET:  # torch's exporter writes 20 or later
        raise ExportError(
            f"the network was exported at ONNX opset {_default_opset(net)}; the pipeline needs {MIN_OPSET}"
        )
    columns = [str(f.name) for f in pre.features]
    net_prefix = _free_prefix("net/", columns)
    net = onnx.compose.add_prefix(net, net_prefix)
    g = _Graph(_free_prefix("pre/", columns))
    _preprocess(g, pre, net.graph.input[0].name)
    before = len(g.nodes)  # the nodes so far feed the network, the rest read its outputs
    _decode(g, pre, net.graph.output[0].name, width)
    inputs = [
        helper.make_tensor_value_info(
            str(f.name), TensorProto.FLOAT if f.kind == NUMERIC else TensorProto.STRING, ["N", 1]
        )
        for f in pre.features
    ]
    graph = helper.make_graph(
        [*g.nodes[:before], *net.graph.node, *g.nodes[before:]],
        "dlp_pipeline",
        inputs,
        _outputs(pre, width),
        initializer=[*g.constants, *net.graph.initializer],
        value_info=list(net.graph.value_info),
    )
    return helper.make_model(
        graph,
        opset_imports=[*net.opset_import, helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
        ir_version=net.ir_version,
        functions=list(net.functions),
        producer_name="dlp_widgets",
    )


def _default_opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)


def _free_prefix(base: str, names: list[str]) -> str:
    """``base``, or ``base`` after underscores, such that no column name starts with it: the
    inputs keep the columns' exact names, so the graph's own names must keep clear of them."""
    prefix = base
    while any(n.startswith(prefix) for n in names):
        prefix = "_" + prefix
    return prefix


def _outputs(pre: Preprocessor, width: int) -> list[onnx.ValueInfoProto]:
    if pre.task == "regression":
        return [helper.make_tensor_value_info("value", TensorProto.FLOAT, ["N", 1])]
    return [
        helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(pre.classes or [])]),
    ]


# -- raw columns to the model's input, in ``Preprocessor.output_names`` order


def _preprocess(g: _Graph, pre: Preprocessor, features: str) -> None:
    parts = []
    numeric = [f for f in pre.features if f.kind == NUMERIC]
    if numeric:
        parts.append(_numeric(g, numeric))
    parts += [_boolean(g, f) for f in pre.features if f.kind == BOOLEAN]
    parts += [_one_hot(g, f) for f in pre.features if f.kind == CATEGORICAL]
    g.add("Concat", parts, "features", output=features, axis=1)


def _numeric(g: _Graph, features: list[FeatureEncoding]) -> str:
    """Missing values filled, then (x - mean) / std: the float32 constants and operations of
    ``_standardise``, so the results are the same bits (a Scaler's multiplication by 1/std
    would round differently)."""
    names = [str(f.name) for f in features]
    block = g.add("Concat", names, "numeric", axis=1) if len(names) > 1 else names[0]
    fills = [float(np.float32(f.fill)) for f in features]
    filled = g.add("Imputer", [block], "filled", imputed_value_floats=fills, replaced_value_float=float("nan"))
    means = g.const("means", [f.mean for f in features], np.float32)
    stds = g.const("stds", [f.std for f in features], np.float32)
    return g.add("Div", [g.add("Sub", [filled, means], "centred"), stds], "standardised")


def _boolean(g: _Graph, f: FeatureEncoding) -> str:
    """``as_bool``: the text, stripped and lower-cased, in the true set → 1, in the false set
    → 0; anything else (missing too) → the fill."""
    column = str(f.name)
    is_true = g.add("RegexFullMatch", [column], "is_true", pattern=word_pattern(TRUE_WORDS))
    is_false = g.add("RegexFullMatch", [column], "is_false", pattern=word_pattern(FALSE_WORDS))
    one, zero, fill = (g.const(h, [v], np.float32) for h, v in (("one", 1.0), ("zero", 0.0), ("fill", f.fill)))
    false_or_fill = g.add("Where", [is_false, zero, fill], "false_or_fill")
    return g.add("Where", [is_true, one, false_or_fill], "boolean")


def word_pattern(words: set[str] | frozenset[str]) -> str:
    """An RE2 pattern matching text that, stripped and lower-cased by Python, is one of
    ``words`` (ASCII). Letters are matched in both cases explicitly rather than with
    (?i): RE2 folds case by Unicode rules, where "ſ" matches "s" though "ſ".lower() is
    not "s". Every character is written as \\x{...}, so none is special."""
    space = "[" + "".join(_re2_char(c) for c in WHITESPACE) + "]*"
    alternatives = "|".join(
        "".join(f"[{_re2_char(c)}{_re2_char(c.upper())}]" for c in word)
        for word in sorted(words, key=len, reverse=True)
    )
    return f"{space}(?:{alternatives}){space}"


def _re2_char(c: str) -> str:
    return f"\\x{{{ord(c):x}}}"


def _one_hot(g: _Graph, f: FeatureEncoding) -> str:
    """``_category_codes`` then ``_write_one_hot``: the text's position among the
    categories (-1, all zeros, for one never seen in training), "" (missing) counting as
    the fill."""
    position = {c: i for i, c in enumerate(f.categories)}
    lookup = {**position, "": position.get(str(f.fill), -1)}
    codes = g.add(
        "LabelEncoder",
        [str(f.name)],
        "codes",
        keys_strings=list(lookup),
        values_int64s=list(lookup.values()),
        default_int64=-1,
    )
    positions = g.const("positions", np.arange(len(f.categories)), np.int64)
    hot = g.add("Equal", [codes, positions], "hot")  # [N, 1] against [C]: [N, C]
    return g.add("Cast", [hot], "one_hot", to=TensorProto.FLOAT)


# -- the model's outputs to predictions, as ``predict_with`` decodes them


def _decode(g: _Graph, pre: Preprocessor, out: str, width: int) -> None:
    if pre.task == "regression":
        if width != 1:
            raise ExportError(f"a regression model must have one output, not {width}")
        # in float64, as decode_target, then float32: the value predict gives, rounded once
        std = g.const("target_std", [pre.target_std], np.float64)
        mean = g.const("target_mean", [pre.target_mean], np.float64)
        scaled = g.add("Mul", [g.add("Cast", [out], "out64", to=TensorProto.DOUBLE), std], "scaled")
        g.add("Cast", [g.add("Add", [scaled, mean], "value64")], "value", output="value", to=TensorProto.FLOAT)
        return
    classes = list(pre.classes or [])
    names = g.const("classes", np.array(classes, dtype=object))
    if width == 1 and len(classes) == 2:  # one logit: sigmoid, and class 1 where it is positive
        p = g.add("Sigmoid", [out], "p")
        q = g.add("Sub", [g.const("one", [1.0], np.float32), p], "q")
        g.add("Concat", [q, p], "probabilities", output="probabilities", axis=1)
        positive = g.add("Greater", [out, g.const("zero", [0.0], np.float32)], "positive")
        index = g.add("Cast", [positive], "index2d", to=TensorProto.INT64)
        index = g.add("Reshape", [index, g.const("flat", [-1], np.int64)], "index")
    elif width == len(classes):
        g.add("Softmax", [out], "probabilities", output="probabilities", axis=1)
        # on the logits, not the probabilities: softmax may round two of them to a tie
        index = g.add("ArgMax", [out], "index", axis=1, keepdims=0)
    else:
        raise ExportError(f"the model has {width} outputs for {len(classes)} classes")
    g.add("Gather", [names, index], "label", output="label", axis=0)
