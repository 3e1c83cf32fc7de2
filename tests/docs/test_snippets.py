"""Documented code runs: every snippet in README.md and in the notebooks' markdown cells is
executed, so a line the documentation tells someone to type cannot be wrong.

README.md: one test item, one fresh Python process (this venv's interpreter) that walks the
file from top to bottom, as a reader typing along in one session would:

- ```python blocks run, in file order, in one shared namespace;
- ```json blocks must parse, and one with a "model" key is a spec: ``dlp.load_spec`` validates
  it and checks its shapes;
- ```bash blocks: every line that starts with ``dlp `` runs in bash (the venv's ``dlp`` first
  on PATH) and must exit 0. The refusal marker is a trailing comment that starts with
  ``exits N``, as in ``dlp shapes bad.json   # exits 2: why``: such a line is meant to fail and
  must exit with exactly N. A line ``NAME=$(dlp …)`` runs too (it must succeed) and hands
  ``$NAME`` to the lines after it. ``make …`` lines and any other lines are not run.

The process runs in a temporary folder that links ``examples/`` (so ``examples/iris.json``
resolves as it does from the repository root, while the files the snippets write, such as
``prices.csv`` and ``model.pt``, never land in the checkout), with ``DLP_HOME`` in a temporary
folder (the user's run store is never touched) and ``MPLBACKEND=Agg``. It stops at the first
failure (later blocks build on earlier ones), naming the README line of the block or command
and showing the error.

Notebooks: one test item per notebook whose markdown cells hold a ```python block. Each such
block becomes a code cell right after its markdown cell and the notebook runs top to bottom in
one kernel (cwd: the notebook's folder, ``DLP_HOME`` temporary), so the block runs in the state
a reader has at that point (cells are counted from 0 in messages). nbval runs the code cells
on their own; this adds the snippets.

Inline code (a `span` in prose, outside fences, in README.md and in every notebook's markdown)
that calls the package, ``dlp.…(…)`` or ``dlp_widgets.…(…)``, is one of two things:

- a signature, whose arguments are all placeholders (bare names, ``...``, ``name=...``), such
  as ``dlp.load_run(run_id)``: the function must exist and accept that many arguments;
- a line to type, with anything concrete in it (a literal, ``builder.model``, ``epochs=3``):
  that belongs in a fenced ```python block, where it is run; written inline, it fails.

Every ``dlp.name`` mentioned inline must exist as well. This is the rule that catches lesson 02's
old ``dlp.train({"model": builder.model, ...})``: it sat inline, nothing ran it, and it failed
for every learner who typed it.

Run on its own: ``.venv/bin/python -m pytest -q -p no:cacheprovider tests/docs/test_snippets.py``.
This file is also the README runner: ``python tests/docs/test_snippets.py README.md`` (the test
starts it that way, in the temporary folder).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "learn").glob("*.ipynb"))
PYTHON_LANGS = {"python", "py", "python3", "ipython"}
PACKAGE_NAMES = {"dlp", "dlp_widgets"}  # how prose refers to the package

README_TIMEOUT_S = 300  # the whole README; it takes well under a minute
COMMAND_TIMEOUT_S = 120  # one `dlp` line
CELL_TIMEOUT_S = 300  # one notebook cell (06_export runs its training script in a subprocess)


# ---------------------------------------------------------------- reading markdown


@dataclass
class Block:
    """A fenced code block: its language, its code and the line (1-based) of its first code
    line in the text it came from. A README step is one too, its language saying how it runs:
    python, json or bash (one command line)."""

    lang: str
    code: str
    line: int


FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")


def fenced_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[indent:] if line[:indent] == " " * indent else line.lstrip())  # under a list item
            i += 1
        blocks.append(Block(opening["lang"].lower(), "\n".join(body) + "\n", i - len(body) + 1))
        i += 1  # past the closing fence
    return blocks


def prose(text: str) -> str:
    """The text with its fenced blocks removed (inline spans are looked for in prose only)."""
    kept: list[str] = []
    fence = None
    for line in text.split("\n"):
        opening = FENCE.match(line)
        if fence is None and opening:
            fence = opening["fence"]
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


# a run of backticks, the shortest text, the same run again (CommonMark code spans)
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


def code_spans(text: str) -> list[str]:
    return [m[2].strip() for m in CODE_SPAN.finditer(prose(text)) if "\n\n" not in m[2]]


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    """(index, source) of each markdown cell of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# ---------------------------------------------------------------- inline code: signatures, not lines to type


def _links(node: ast.expr) -> tuple[ast.expr, list[ast.Call]]:
    """The root of ``dlp.a(x).b(y)`` and its calls, innermost (the package's own) last."""
    calls: list[ast.Call] = []
    while True:
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return node, calls


def _is_placeholder(node: ast.expr) -> bool:
    if isinstance(node, ast.Starred):
        node = node.value
    return isinstance(node, ast.Name) or (isinstance(node, ast.Constant) and node.value is Ellipsis)


def _resolve(dotted: str) -> object:
    """``dlp.load_run`` or ``dlp_widgets.data.prepare`` as the object it names (subpackages
    are imported as needed); AttributeError or ImportError when it names nothing."""
    import dlp_widgets

    parts = dotted.split(".")[1:]
    obj: object = dlp_widgets
    for i, name in enumerate(parts):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            obj = importlib.import_module(".".join(["dlp_widgets", *parts[: i + 1]]))
    return obj


def inline_problem(span: str) -> str | None:
    """Why an inline span breaks the rule in the module docstring, or None."""
    try:
        expr = ast.parse(span, mode="eval").body
    except SyntaxError:
        return None  # not a Python expression: a command, a file name, a shape
    root, calls = _links(expr)
    if not (isinstance(root, ast.Name) and root.id in PACKAGE_NAMES):
        return None
    target = calls[-1].func if calls else expr
    try:
        obj = _resolve(ast.unparse(target))
    except (AttributeError, ImportError):
        return f"`{span}`: {ast.unparse(target)} does not exist in the package"
    for call in calls:
        values = [*call.args, *(k.value for k in call.keywords)]
        if not all(_is_placeholder(v) for v in values) or any(k.arg is None for k in call.keywords):
            return (
                f"`{span}` is a line to type, written inline where nothing runs it: put it in a fenced "
                "```python block (it will be run), or write it as a signature with placeholder names"
            )
    if calls and not any(isinstance(a, ast.Starred) for a in calls[-1].args):
        try:
            signature = inspect.signature(obj)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None  # a builtin without a signature: nothing to compare
        try:
            signature.bind(*calls[-1].args, **{k.arg: k.value for k in calls[-1].keywords if k.arg})
        except TypeError as exc:
            return f"`{span}` does not fit {ast.unparse(target)}{signature}: {exc}"
    return None


def inline_problems(path: Path) -> list[str]:
    if path.suffix == ".md":
        parts = [("", path.read_text(encoding="utf-8"))]
    else:
        parts = [(f"markdown cell {i}: ", source) for i, source in markdown_cells(path)]
    return [where + p for where, text in parts for p in map(inline_problem, code_spans(text)) if p]


@pytest.mark.parametrize("path", [README, *NOTEBOOKS], ids=rel)
def test_inline_package_calls_are_signatures_not_lines_to_type(path):
    problems = inline_problems(path)
    if problems:
        pytest.fail(f"{rel(path)}:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize(
    ("span", "ok"),
    [
        pytest.param('dlp.train({"model": builder.model, "data": {"source": "builtin:wine"}})', False, id="lesson-02"),
        pytest.param("dlp.train(builder.model)", False, id="attribute-argument"),
        pytest.param('dlp.docs("ReLU")', False, id="literal-argument"),
        pytest.param("dlp.train(spec, epochs=3)", False, id="keyword-with-value"),
        pytest.param("dlp.load_run(run_id)", True, id="signature"),
        pytest.param("dlp.load_model(path).predict(raw_rows)", True, id="chained-signature"),
        pytest.param("dlp.Exercise(goal=...)", True, id="keyword-placeholder"),
        pytest.param("dlp.load_run(run_id, store, extra)", False, id="too-many-arguments"),
        pytest.param("dlp.no_such_function", False, id="missing-name"),
        pytest.param("dlp_widgets.data.prepare(spec)", True, id="subpackage"),
        pytest.param("dlp.runs()", True, id="no-arguments"),
        pytest.param("run.export(fmt, path)", True, id="not-the-package"),
        pytest.param("dlp shapes spec.json", True, id="not-python"),
    ],
)
def test_the_inline_rule_itself(span, ok):
    assert (inline_problem(span) is None) == ok, inline_problem(span)


# ---------------------------------------------------------------- README: one process, top to bottom

EXITS = re.compile(r"\s#\s*exits\s+(\d+)\b")
ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)=\$\(dlp\s")


def readme_steps(text: str) -> list[Block]:
    """What runs, in file order: python and json blocks whole, bash lines one by one."""
    steps: list[Block] = []
    for block in fenced_blocks(text):
        if block.lang in PYTHON_LANGS or block.lang == "json":
            steps.append(Block("python" if block.lang in PYTHON_LANGS else "json", block.code, block.line))
        elif block.lang in ("bash", "sh", "shell"):
            for offset, line in enumerate(block.code.splitlines()):
                if line.startswith("dlp ") or ASSIGNMENT.match(line):
                    steps.append(Block("bash", line, block.line + offset))
    return steps


def _run_python(step: Block, namespace: dict, source: Path) -> None:
    # blank lines in front so that tracebacks give the README's own line numbers and text
    code = compile("\n" * (step.line - 1) + step.code, str(source), "exec")
    exec(code, namespace)


def _check_json(step: Block) -> None:
    value = json.loads(step.code)
    if isinstance(value, dict) and "model" in value:
        import dlp_widgets as dlp

        dlp.load_spec(value)  # validation and the shape check


def _run_bash(step: Block, shell_vars: dict[str, str]) -> str | None:
    """None when the line behaved as documented, else what went wrong."""
    expected = int(m[1]) if (m := EXITS.search(step.code)) else 0
    script = step.code
    assigned = ASSIGNMENT.match(step.code)
    if assigned:  # `set -e` makes a failing $(…) fail the line; printf hands the value back
        script = f"set -e\n{step.code}\nprintf '%s' \"${assigned[1]}\""
    env = {**os.environ, **shell_vars}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script], env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    if done.returncode != expected:
        return (
            f"`{step.code}` exited {done.returncode}, the README says {expected}\n"
            f"--- stdout (end)\n{done.stdout[-3000:]}\n--- stderr (end)\n{done.stderr[-3000:]}"
        )
    if assigned:
        shell_vars[assigned[1]] = done.stdout
    return None


def _from_snippet(tb: TracebackType | None, source: Path) -> TracebackType | None:
    """The traceback from the snippet's own frame on (the runner's frames say nothing)."""
    start = tb.tb_next if tb is not None else None  # past run_readme's own frame
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(source):
            return tb
        tb = tb.tb_next
    return start


def run_readme(source: Path) -> int:
    """The runner the README test starts in a fresh process (cwd, DLP_HOME set by the test)."""
    namespace: dict = {"__name__": "__main__"}
    shell_vars: dict[str, str] = {}
    for step in readme_steps(source.read_text(encoding="utf-8")):
        started = time.perf_counter()
        where = f"{source.name} line {step.line} ({step.lang})"
        try:
            if step.lang == "python":
                _run_python(step, namespace, source)
                problem = None
            elif step.lang == "json":
                _check_json(step)
                problem = None
            else:
                problem = _run_bash(step, shell_vars)
        except BaseException as exc:  # whatever a snippet raises is the report
            print(f"FAILED: {where}", flush=True)
            traceback.print_exception(type(exc), exc, _from_snippet(exc.__traceback__, source), file=sys.stdout)
            return 1
        if problem is not None:
            print(f"FAILED: {where}\n{problem}", flush=True)
            return 1
        print(f"ok {time.perf_counter() - started:6.2f} s  {where}", flush=True)
    # a run started in the background must end before the interpreter does
    for thread in threading.enumerate():
        if thread.name.startswith("dlp-run-"):
            thread.join(timeout=COMMAND_TIMEOUT_S)
    return 0


def snippet_env(home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)  # the venv's python, dlp and jupyter come first
    return {
        **os.environ,
        "DLP_HOME": str(home),
        "MPLBACKEND": "Agg",
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.slow
@pytest.mark.parametrize("path", [README], ids=rel)
def test_readme_snippets_run_top_to_bottom(path, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, str(path)],
        cwd=work,
        env=snippet_env(tmp_path / "dlp-home"),
        capture_output=True,
        text=True,
        timeout=README_TIMEOUT_S,
    )
    print(done.stdout)
    print(f"README total: {time.perf_counter() - started:.1f} s")
    if done.returncode != 0:
        pytest.fail(f"{done.stdout[-8000:]}\n--- stderr (end)\n{done.stderr[-4000:]}", pytrace=False)


# ---------------------------------------------------------------- notebooks: markdown snippets in the kernel


def augmented(path: Path) -> Any:
    """The notebook with each ```python block of a markdown cell inserted as a code cell right
    after that cell; the inserted cells say where they came from in their metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        if cell.cell_type != "markdown":
            continue
        for block in fenced_blocks(cell.source):
            if block.lang in PYTHON_LANGS:
                snippet = nbformat.v4.new_code_cell(block.code)
                snippet.metadata["snippet_from"] = f"the ```python block at line {block.line} of markdown cell {index}"
                cells.append(snippet)
    nb.cells = cells
    return nb


def has_snippets(path: Path) -> bool:
    return any(b.lang in PYTHON_LANGS for _, source in markdown_cells(path) for b in fenced_blocks(source))


def _failed_cell(nb: Any, current: dict) -> str:
    """Where the failing cell came from: a snippet, or one of the notebook's own code cells."""
    cell, index = current.get("cell"), current.get("index", 0)
    if cell is not None and "snippet_from" in cell.metadata:
        return cell.metadata["snippet_from"]
    inserted = sum("snippet_from" in c.metadata for c in nb.cells[:index])
    return f"its own code cell {index - inserted} (nbval reports it too)"


def _plain(exc: Exception) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # IPython colours its tracebacks


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if has_snippets(p)], ids=rel)
def test_notebook_snippets_run_in_the_kernel(path, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = augmented(path)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    current: dict = {}
    client.on_cell_execute = lambda cell, cell_index, **_: current.update(cell=cell, index=cell_index)
    started = time.perf_counter()
    try:
        client.execute(env=snippet_env(tmp_path / "dlp-home"))
    except CellExecutionError as exc:
        pytest.fail(f"{rel(path)}: {_failed_cell(nb, current)} failed\n{_plain(exc)}", pytrace=False)
    print(f"{rel(path)}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(run_readme(Path(sys.argv[1]).resolve()))
