"""ONNX export of a table model with its preprocessing inside the graph: raw columns in,
class names and probabilities (or values in the target's units) out, so that onnxruntime
answers what ``Run.predict`` answers without any Python around it.

The graph's inputs are one [N, 1] tensor per feature column, named as the column:
float32 for numeric columns (NaN = missing), text for boolean and categorical columns
("" = missing). The preprocessing nodes reproduce ``Preprocessor.transform`` step by step
(see ``dlp_widgets.data.tabular``); the network is the graph ``export_onnx`` writes."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import torch
from onnx import TensorProto, helper, numpy_helper

from ..data.columns import _FALSE, _TRUE, BOOLEAN, CATEGORICAL, NUMERIC, clean_text
from ..data.tabular import FeatureEncoding, Preprocessor
from .errors import ExportError
from .onnx import TOLERANCE, export_onnx, model_metadata

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
# Raw rows the export checks itself on at most, beside its own synthesised rows.
CHECK_ROWS = 256
UNSEEN = "\x00not seen in training"


def export_onnx_pipeline(
    model: torch.nn.Module,
    input_shape: list[int] | tuple[int, ...],
    preprocessing: dict[str, Any] | None,
    path: str | Path,
    check_rows: pd.DataFrame | None = None,
    *,
    spec: Any,
) -> dict[str, float]:
    """Write ``path``: one ONNX graph from raw table columns to predictions.

    Checked by ``onnx.checker``, then by onnxruntime against ``predict_with(model, spec,
    ...)`` on ``check_rows`` (raw rows; their first ``CHECK_ROWS``) and on rows made up from
    the preprocessing (fills, each kind of missing value, an unseen category); a file that
    fails is removed. Returns the largest difference in probabilities (or values, in target
    units) and the rows checked."""
    pre = _table_preprocessor(preprocessing)
    _check_columns(pre)
    _check_fits(pre, input_shape)
    if check_rows is not None and not isinstance(check_rows, pd.DataFrame):
        raise ExportError(f"the rows to check the export on must be a DataFrame, not {type(check_rows).__name__}")
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        net_file = Path(tmp) / "net.onnx"
        export_onnx(model, input_shape, net_file)
        net = onnx.load(str(net_file))
    width = _output_width(model, input_shape)
    pipeline = build_pipeline(net, pre, width)
    _describe(pipeline, pre, preprocessing)
    onnx.save(pipeline, str(path))
    checks = [synthetic_rows(pre)]
    if check_rows is not None and len(check_rows):
        checks.insert(0, check_rows.iloc[:CHECK_ROWS])
    try:
        onnx.checker.check_model(str(path), full_check=True)
        results = [_check(path, model, spec, preprocessing, pre, rows) for rows in checks]
    except Exception:
        path.unlink(missing_ok=True)  # a pipeline that answers wrongly must not be used
        raise
    return {
        "max_abs_diff": max(r["max_abs_diff"] for r in results),
        "rows_checked": sum(r["rows_checked"] for r in results),
    }


# ---------------------------------------------------------------- what can be exported


def _table_preprocessor(preprocessing: dict[str, Any] | None) -> Preprocessor:
    if preprocessing is None:
        raise ExportError("this model has no saved preprocessing, which the ONNX pipeline is made of")
    if preprocessing.get("kind") == "image":
        raise ExportError(
            'the "onnx_pipeline" export is for table models (raw columns in); for an image model '
            'use the plain "onnx" format, whose input is the transformed image'
        )
    return Preprocessor.from_dict(preprocessing)


def _check_columns(pre: Preprocessor) -> None:
    """Refuses columns that the pipeline's inputs cannot stand for exactly."""
    names = [str(f.name) for f in pre.features]
    for name in names:
        if not name:
            raise ExportError("a feature column has an empty name, which cannot name an ONNX input; rename it")
        if name in OUTPUTS[pre.task]:
            raise ExportError(
                f'the feature column "{name}" has the name of an output of the ONNX pipeline; rename the column'
            )
    if len(set(names)) < len(names):
        raise ExportError("two feature columns have the same name as text, which must name distinct ONNX inputs")
    for f in pre.features:
        if f.kind == CATEGORICAL and "" in f.categories and str(f.fill) != "":
            raise ExportError(
                f'column "{f.name}" holds the empty text "" as a category of its own; the pipeline\'s text '
                'inputs use "" for a missing value. Replace "" in the column (by a missing value or a word) '
                "and train again"
            )


def _check_fits(pre: Preprocessor, input_shape: list[int] | tuple[int, ...]) -> None:
    if list(input_shape) != [pre.n_inputs]:
        raise ExportError(
            f"the model takes input_shape {list(input_shape)}, but the preprocessing makes {pre.n_inputs} features"
        )


@torch.no_grad()
def _output_width(model: torch.nn.Module, input_shape: list[int] | tuple[int, ...]) -> int:
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        out = model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    return int(out.reshape(1, -1).shape[1])


# ---------------------------------------------------------------- the graph


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
    is_true = g.add("RegexFullMatch", [column], "is_true", pattern=word_pattern(_TRUE))
    is_false = g.add("RegexFullMatch", [column], "is_false", pattern=word_pattern(_FALSE))
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


# ---------------------------------------------------------------- description


def _describe(model: onnx.ModelProto, pre: Preprocessor, preprocessing: dict[str, Any]) -> None:
    inputs = describe_inputs(pre)
    outputs = (
        "value (float32 [N, 1]): the prediction in the target's units, as run.predict gives it"
        if pre.task == "regression"
        else "label (string [N]): the class name, as run.predict gives it; probabilities (float32 [N, C]): "
        'each class\'s probability, in the order of the "classes" metadata'
    )
    model.doc_string = (
        f"Raw table rows in, predictions out; the preprocessing is part of the graph. Inputs: {inputs}. "
        f"Outputs: {outputs}."
    )
    helper.set_model_props(
        model,
        {
            **model_metadata(preprocessing),
            "task": pre.task,
            "target": str(pre.target),
            "inputs": inputs,
            "outputs": outputs,
        },
    )


def describe_inputs(pre: Preprocessor) -> str:
    """The input columns by kind, and how each kind is given, for the file's doc string and
    metadata."""
    kinds = {
        NUMERIC: "float32 [N, 1], NaN for a missing value",
        BOOLEAN: 'string [N, 1]: true/yes/y/t or false/no/n/f in any case and spacing, "" for a missing value',
        CATEGORICAL: 'string [N, 1]: the value as text, "" for a missing value; a value not seen in training '
        "sets none of the column's one-hot features",
    }
    parts = []
    for kind, how in kinds.items():
        names = [str(f.name) for f in pre.features if f.kind == kind]
        if names:
            parts.append(f"{', '.join(names)} ({how})")
    return "one input per column, named as the column: " + "; ".join(parts)


# ---------------------------------------------------------------- feeding and checking


def pipeline_inputs(rows: pd.DataFrame, preprocessing: dict[str, Any]) -> dict[str, np.ndarray]:
    """Raw rows as the pipeline's inputs: numeric columns as float32 (missing as NaN), the
    others as text (missing as ""), categories cleaned of look-alike characters as in
    training (``clean_text``). An empty text counts as missing in the pipeline."""
    pre = Preprocessor.from_dict(preprocessing)
    missing = [str(f.name) for f in pre.features if f.name not in rows.columns]
    if missing:
        raise ExportError(f"the rows lack the column(s) {', '.join(missing)} that the model was trained on")
    feeds = {}
    for f in pre.features:
        series = rows[f.name]
        if f.kind == NUMERIC:
            values = pd.to_numeric(series).to_numpy(dtype=np.float32, na_value=np.nan)
        else:
            # categories cleaned as training cleaned them (an ONNX graph cannot compose accents
            # or drop zero-width characters itself): feed raw text through this function
            clean = (lambda v: clean_text(v, trim=False)) if f.kind == CATEGORICAL else str
            values = np.array(["" if pd.isna(v) else clean(str(v)) for v in series], dtype=object)
        feeds[str(f.name)] = values.reshape(-1, 1)
    return feeds


def synthetic_rows(pre: Preprocessor, n: int = 8) -> pd.DataFrame:
    """Raw rows made up from the preprocessing alone: the fills, missing values, values
    either side of the mean, each text spelling of a boolean, categories and an unseen one."""
    columns = {}
    for f in pre.features:
        if f.kind == NUMERIC:
            values = [f.fill, np.nan, f.mean, f.mean + f.std, f.mean - f.std, f.mean + 2 * f.std]
        elif f.kind == BOOLEAN:
            values = ["true" if f.fill else "false", None, " Yes ", "NO", "maybe", "t", "\u00a0False\t", "y"]
        else:
            values = [str(f.fill), None, UNSEEN, *f.categories]
        cycled = [values[i % len(values)] for i in range(n)]
        columns[f.name] = pd.Series(cycled, dtype=np.float64 if f.kind == NUMERIC else object)
    return pd.DataFrame(columns)


def _as_the_pipeline_reads(rows: pd.DataFrame, pre: Preprocessor) -> pd.DataFrame:
    """``rows`` with "" in the text columns made missing: what the pipeline takes "" for."""
    out = rows.copy()
    for f in pre.features:
        if f.kind != NUMERIC:
            empty = out[f.name].map(lambda v: isinstance(v, str) and v == "").astype(bool)
            if empty.any():
                out[f.name] = out[f.name].astype(object).mask(empty, None)
    return out


@torch.no_grad()
def _check(
    path: Path, model: torch.nn.Module, spec: Any, preprocessing: dict[str, Any], pre: Preprocessor, rows: pd.DataFrame
) -> dict[str, float]:
    """onnxruntime on ``rows`` against ``predict_with``, and its probabilities against the
    softmax (or sigmoid) of torch's outputs on ``Preprocessor.transform``."""
    import onnxruntime as ort

    from .predict import predict_with

    rows = _as_the_pipeline_reads(rows, pre)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = list(OUTPUTS[pre.task])
    got = dict(zip(names, session.run(names, pipeline_inputs(rows, preprocessing)), strict=True))
    want = predict_with(model, spec, preprocessing, rows)  # it puts the model in eval mode
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    outputs = model(torch.from_numpy(pre.transform(rows)).to(device)).float().cpu()
    if pre.task == "regression":
        diff = np.abs(got["value"].reshape(-1).astype(np.float64) - want)
        # the network's own tolerance, in target units, or relative for large values
        allowed = TOLERANCE * (pre.target_std + np.abs(want))
        if got["value"].shape != (len(rows), 1) or (diff > allowed).any():
            raise ExportError(f"the ONNX pipeline's values differ from predict's by up to {diff.max():.3g}")
        return {"max_abs_diff": float(diff.max(initial=0.0)), "rows_checked": len(rows)}
    probabilities = _probabilities(outputs)
    diff = float(np.abs(got["probabilities"] - probabilities).max(initial=0.0))
    if got["probabilities"].shape != probabilities.shape or diff > TOLERANCE:
        raise ExportError(f"the ONNX pipeline's probabilities differ from torch's by up to {diff:.3g}")
    # a near tie may go either way between two runtimes: only a clear winner must agree
    wrong = (got["label"] != want) & (_margins(outputs) > TOLERANCE)
    if wrong.any():
        i = int(wrong.argmax())
        raise ExportError(
            f'the ONNX pipeline predicts "{got["label"][i]}" where predict says "{want[i]}" (row {i + 1})'
        )
    return {"max_abs_diff": diff, "rows_checked": len(rows)}


def _probabilities(outputs: torch.Tensor) -> np.ndarray:
    if outputs.shape[1] == 1:
        p = torch.sigmoid(outputs)
        return torch.cat([1 - p, p], dim=1).numpy()
    return torch.softmax(outputs, dim=1).numpy()


def _margins(outputs: torch.Tensor) -> np.ndarray:
    """How far each row's decision is from a tie: the logit from 0 for a single output,
    else the gap between the two largest logits."""
    if outputs.shape[1] == 1:
        return outputs.abs().reshape(-1).numpy()
    top = outputs.topk(2, dim=1).values
    return (top[:, 0] - top[:, 1]).numpy()
