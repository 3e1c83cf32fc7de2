"""``LayerBuilder``: build a network — a chain or a graph with skips and merges — by drag and
drop (or keyboard) in a notebook cell.

The browser edits ``graph``, a version-2 model (``inputs``, ``nodes``, ``outputs``); a chain is
nodes without ``inputs``. Python validates it like any untrusted input (the shape inference
never raises) and answers with ``report`` — every node's output shape, parameter count and
error, and the blocks the node ids make — which the browser shows in place.
"""

from __future__ import annotations

from typing import Any

import traitlets

from ..spec import ModelSpec, SpecError, palette
from ..spec.block_templates import TEMPLATES, insert_block
from ..spec.blocks import find_blocks
from ..spec.graph import GraphSpec, is_graph
from ..spec.graph_shapes import GraphReport, infer_graph
from ..spec.merges import MERGES
from ..spec.ops import OPS
from ..spec.starting_values import starting_params
from .base import DLPWidget

# an imported model with more nodes than this opens collapsed by block
COLLAPSE_ABOVE = 40


def _catalogue_with_pages() -> list[dict[str, Any]]:
    """The palette entries with their wiki sections (mistakes, a worked example, a picture),
    then the merges and operations a graph adds (``Add``, ``Mul``, ``Concat``, ``Mean``)."""
    from ..layer_docs import page

    out = []
    for item in palette():
        p = page(item["name"])
        out.append({**item, "inputs": 1, "example": p["example"], "mistakes": p["mistakes"], "picture": p["picture"]})
    for kind in (*MERGES.values(), *OPS.values()):
        out.append(_graph_entry(kind))
    return out


def _graph_entry(kind: Any) -> dict[str, Any]:
    merge = kind.name in MERGES
    return {
        "name": kind.name,
        "category": "merge" if merge else "shape",
        "kinds": ["tabular", "image"],
        "params": [p.to_dict() for p in kind.params],
        "starting_params": {
            **{p.name: p.default for p in kind.params if p.default is not None},
            **starting_params(kind.name),
        },
        "summary": kind.summary,
        "formula": kind.formula,
        "shape_rule": kind.shape_rule,
        "when": kind.when,
        "doc": f"{kind.summary}\n\nFormula: {kind.formula}\n\nShape: {kind.shape_rule}\n\nWhen to use it: {kind.when}",
        "inputs": "many" if merge else 1,
        "example": None,
        "mistakes": [],
        "picture": None,
    }


def builder_report(graph: Any) -> dict[str, Any]:
    """What the browser shows of ``graph`` (raw JSON from it): every node's output shape,
    parameters and error, the blocks, whether it is a chain, and the first output's shape.
    Never raises: a graph that does not parse gives a report holding that error."""
    try:
        parsed = GraphSpec.from_dict(graph, lenient=True)
    except SpecError as exc:
        return {**GraphReport(errors=[exc]).to_dict(), "blocks": [], "chain": False, "output_shape": None}
    info = infer_graph(parsed)
    shape = info.output_shape
    return {
        **info.to_dict(),
        "blocks": find_blocks(parsed, info),
        "chain": parsed.as_chain() is not None,
        "output_shape": list(shape) if shape is not None else None,
    }


def _empty_graph(input_shape: list[int]) -> dict[str, Any]:
    return {"inputs": [{"id": "x", "shape": list(input_shape)}], "nodes": []}


def _item_ids(graph: Any) -> list[str]:
    """The ids of the graph's inputs and nodes (what can be selected), as the browser sent them."""
    if not isinstance(graph, dict):
        return []
    items = [x for key in ("inputs", "nodes") if isinstance(graph.get(key), list) for x in graph[key]]
    return [n["id"] for n in items if isinstance(n, dict) and isinstance(n.get("id"), str)]


class LayerBuilder(DLPWidget):
    _asset = "builder"
    _python_owned = frozenset({"report", "catalogue", "block_templates"})

    catalogue = traitlets.List().tag(sync=True)
    block_templates = traitlets.List().tag(sync=True)
    # Any, not Dict/List: a malformed value from the browser must reach our validation, not
    # fail inside traitlets.
    graph = traitlets.Any(_empty_graph([4])).tag(sync=True)
    selected = traitlets.Any([]).tag(sync=True)  # node (or input) ids
    collapsed = traitlets.Any([]).tag(sync=True)  # block prefixes drawn as one box
    report = traitlets.Dict().tag(sync=True)
    _checks = 0  # how many times the graph was checked: see set_state

    def __init__(
        self,
        model: ModelSpec | GraphSpec | dict[str, Any] | None = None,
        *,
        input_shape: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            catalogue=_catalogue_with_pages(), block_templates=[t.to_dict() for t in TEMPLATES.values()], **kwargs
        )
        self.on_msg(self._on_browser_message)
        if model is not None:
            self.spec = model
        elif input_shape is not None:
            self.graph = _empty_graph(list(input_shape))
        self._update_report()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        checks = self._checks
        super().set_state(sync_data)
        # traitlets notifies only when a value changes by ==, and 3.0 == 3 or True == 1: what
        # arrived unnoticed is checked all the same
        if self._checks == checks and "graph" in sync_data:
            self._update_report()
        if "selected" in sync_data:
            self._check_selected({"new": self.selected})

    def _parsed(self, *, lenient: bool = True) -> GraphSpec | SpecError:
        try:
            return GraphSpec.from_dict(self.graph, lenient=lenient)
        except SpecError as exc:
            return exc

    @traitlets.observe("graph")
    def _update_report(self, change: dict[str, Any] | None = None) -> None:
        self._checks += 1
        report = builder_report(self.graph)
        with self.hold_sync():
            self.report = report
            self._check_selected({"new": self.selected})

    @traitlets.observe("selected")
    def _check_selected(self, change: dict[str, Any]) -> None:
        value = change["new"]
        ids = set(_item_ids(self.graph))
        kept = [v for v in value if isinstance(v, str) and v in ids] if isinstance(value, list) else []
        if kept != value:
            self.selected = kept

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        # the browser asks for a block: Python makes it, for the shape it will receive
        if not isinstance(content, dict) or content.get("kind") != "add_block":
            return
        after = content.get("after")
        try:
            self.add_block(str(content.get("name")), after=after if isinstance(after, str) else None)
        except SpecError as exc:
            self.send({"kind": "refused", "message": exc.message})

    def add_block(self, name: str, after: str | None = None) -> list[str]:
        """Insert the block template ``name`` (``residual``, ``bottleneck``, ``se``,
        ``inception``, ``dense``, ``unet``) after node ``after`` (default: the last node),
        made for the shape that node gives; returns the new node ids and selects the
        block's last node. Raises ``SpecError`` naming the node when the block cannot go there."""
        graph = self._parsed()
        if isinstance(graph, SpecError):
            raise graph
        if after is None:
            after = graph.nodes[-1].id if graph.nodes else graph.inputs[0].id
        shape = infer_graph(graph).shape_of(after)
        new_graph, ids = insert_block(graph, name, after, shape)
        with self.hold_sync():
            self.graph = new_graph.to_dict()
            self.selected = [ids[-1]]
        return ids

    # -- the Python side

    @property
    def ok(self) -> bool:
        return "error" not in self.report

    @property
    def error(self) -> dict[str, Any] | None:
        return self.report.get("error")

    @property
    def input_shape(self) -> list[int] | None:
        """The (first) input's shape, as the browser last sent it."""
        try:
            return list(self.graph["inputs"][0]["shape"])
        except (KeyError, IndexError, TypeError):
            return None

    @input_shape.setter
    def input_shape(self, shape: list[int]) -> None:
        graph = dict(self.graph) if isinstance(self.graph, dict) else _empty_graph(list(shape))
        inputs = graph.get("inputs") if isinstance(graph.get("inputs"), list) else []
        first = dict(inputs[0]) if inputs and isinstance(inputs[0], dict) else {"id": "x"}
        first["shape"] = list(shape)
        graph["inputs"] = [first, *inputs[1:]]
        self.graph = graph  # the nodes stay; their shapes update in place

    @property
    def layers(self) -> list[dict[str, Any]]:
        """The model's layers, when it is a chain (raises ``SpecError`` for a graph)."""
        return [layer.to_dict() for layer in self._chain().layers]

    @layers.setter
    def layers(self, layers: list[dict[str, Any]]) -> None:
        self.spec = {"input_shape": self.input_shape or [4], "layers": layers}

    def _chain(self) -> ModelSpec:
        graph = self._parsed()
        if isinstance(graph, SpecError):
            raise graph
        chain = graph.as_chain()
        if chain is None:
            raise SpecError("this model is a graph, not a chain of layers: read builder.spec", path="model")
        return chain

    @property
    def spec(self) -> ModelSpec | GraphSpec:
        """The model, validated: a ``ModelSpec`` while it is a chain, a ``GraphSpec`` (version 2)
        once it branches. Raises ``SpecError`` while it is invalid."""
        graph = self._parsed(lenient=False)
        if isinstance(graph, SpecError):
            raise graph
        infer_graph(graph).raise_for_error()
        chain = graph.as_chain()
        return chain if chain is not None else graph

    @spec.setter
    def spec(self, value: ModelSpec | GraphSpec | dict[str, Any]) -> None:
        raw = value.to_dict() if isinstance(value, (ModelSpec, GraphSpec)) else dict(value)
        if "model" in raw:
            raw = raw["model"]
        # the structure must parse; shapes and input counts may be wrong (shown in place)
        graph = (
            GraphSpec.from_dict(raw, lenient=True) if is_graph(raw) else GraphSpec.from_chain(ModelSpec.from_dict(raw))
        )
        big = len(graph.nodes) > COLLAPSE_ABOVE
        with self.hold_sync():
            self.graph = graph.to_dict()
            self.collapsed = _top_blocks(graph) if big else []
            self.selected = []

    def model(self):  # noqa: ANN201 - a torch.nn.Module; torch is imported only here
        from ..engine.build import build_model

        return build_model(self.spec)

    def code(self) -> str:
        from ..export.graph_code import source_of

        return source_of(self.spec)

    @classmethod
    def from_torch(cls, module: Any, input_shape: list[int] | tuple[int, ...]) -> LayerBuilder:
        """A builder holding ``module`` (any network ``torch.fx`` can trace), node ids from its
        module paths; a big one opens collapsed by block."""
        from ..engine.build import from_torch

        return cls(from_torch(module, input_shape))


def _top_blocks(graph: GraphSpec) -> list[str]:
    """The outermost prefixes that group two nodes or more: what a big model shows first."""
    counts: dict[str, int] = {}
    for node in graph.nodes:
        if "." in node.id:
            top = node.id.split(".", 1)[0]
            counts[top] = counts.get(top, 0) + 1
    return [p for p, n in counts.items() if n >= 2]
