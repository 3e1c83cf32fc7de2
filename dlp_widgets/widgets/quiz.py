"""Question, exercise and progress widgets for the lessons.

Answers are checked in Python (``dlp_widgets.lessons``): the browser only draws the question and
sends back what was picked or typed, so the right answer is never in the page.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

import ipywidgets as W
import traitlets

from ..lessons import EXERCISES, QUESTIONS, Goal, Verdict, check_run
from ..lessons import Exercise as ExerciseDef
from ..lessons import progress as _progress
from ..lessons.goals import same_source
from ..lessons.questions import Choice, ChoiceQuestion, Feedback, Question
from ..lessons.questions import NumericQuestion as NumericDef
from ..runstore import RunStore, open_store
from .base import DLPWidget


class QuestionWidget(DLPWidget):
    """One question with a Check button and immediate feedback; answers are saved as progress."""

    _asset = "quiz"
    _python_owned = frozenset({"question", "attempts", "feedback", "solved"})

    question = traitlets.Dict().tag(sync=True)  # prompt and choices only: no answer
    feedback = traitlets.Dict().tag(sync=True)
    attempts = traitlets.Int(0).tag(sync=True)
    solved = traitlets.Bool(False).tag(sync=True)  # answered correctly, now or in an earlier session

    def __init__(self, question: Question, *, store: RunStore | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._q = question
        self._store = store
        self.question = {"id": question.id, **question.public()}
        earlier = [r for r in self._open_store().progress() if r["item"] == self.item]
        if earlier:
            self.attempts, self.solved = earlier[0]["attempts"], earlier[0]["passed"]
        self.on_msg(self._on_message)

    @property
    def item(self) -> str:
        return f"question:{self._q.id}"

    def _open_store(self) -> RunStore:
        if self._store is None:
            self._store = open_store()
        return self._store

    def answer(self, value: Any) -> Feedback:
        """Check an answer (a choice index, a list of them, or a number/text), show the feedback and
        save it as progress."""
        fb = self._q.check(value)
        if fb.counted:
            row = _progress.record(
                self.item,
                "question",
                fb.correct,
                lesson=self._q.lesson,
                detail={"answer": value, "correct": fb.correct},
                store=self._open_store(),
            )
            self.attempts, self.solved = row["attempts"], row["passed"]
        self.feedback = {**fb.to_dict(), "answer": value}
        return fb

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "answer":
            value = content.get("value")
            if isinstance(value, str) and len(value) > 1000:
                value = value[:1000]  # untrusted: nothing that long is an answer, nor worth saving
            self.answer(value)


def _stable_id(prompt: str) -> str:
    # a question written in a notebook keeps its progress when the notebook is run again
    return "own/" + hashlib.sha256(prompt.encode()).hexdigest()[:12]


class MultipleChoice(QuestionWidget):
    """A multiple-choice question written in a notebook.

    ``answer`` is the index of the right choice (or a list of indices for "select all that apply");
    ``why`` optionally gives, per choice, what to say when it is picked."""

    def __init__(
        self,
        prompt: str,
        choices: list[str],
        answer: int | list[int],
        explanation: str = "",
        *,
        why: list[str] | None = None,
        id: str | None = None,
        store: RunStore | None = None,
    ) -> None:
        right = set(answer if isinstance(answer, (list, tuple, set)) else [answer])
        bad = [a for a in right if not isinstance(a, int) or not 0 <= a < len(choices)]
        if bad:
            raise ValueError(f"answer {bad[0]!r} is not the index of one of the {len(choices)} choices")
        why = why or [""] * len(choices)
        if len(why) != len(choices):
            raise ValueError(f"why has {len(why)} entries for {len(choices)} choices")
        q = ChoiceQuestion(
            id or _stable_id(prompt),
            prompt,
            tuple(Choice(text, i in right, w) for i, (text, w) in enumerate(zip(choices, why, strict=True))),
            explanation,
        )
        super().__init__(q, store=store)


class NumericQuestion(QuestionWidget):
    """A question answered with a number, right within ``tolerance`` (absolute) or ``rel_tolerance``."""

    def __init__(
        self,
        prompt: str,
        answer: float,
        explanation: str = "",
        *,
        tolerance: float = 0.0,
        rel_tolerance: float = 0.0,
        unit: str = "",
        hint: str = "",
        id: str | None = None,
        store: RunStore | None = None,
    ) -> None:
        q = NumericDef(
            id or _stable_id(prompt),
            prompt,
            float(answer),
            tolerance=tolerance,
            rel_tolerance=rel_tolerance,
            unit=unit,
            explanation=explanation,
            hint=hint,
        )
        super().__init__(q, store=store)


def question(question_id: str, *, store: RunStore | None = None) -> QuestionWidget:
    """A question from the lessons by id, e.g. ``dlp.question("intro-nn/linear-params")``."""
    if question_id not in QUESTIONS:
        raise KeyError(f"no question {question_id!r}; known: {', '.join(QUESTIONS)}")
    return QuestionWidget(QUESTIONS[question_id], store=store)


# ---------------------------------------------------------------- exercises


class Exercise(W.VBox):
    """An exercise: a goal that one of the learner's real runs (from the run store) must meet.

    ``Exercise("wine-90")`` for one from the lessons, or ``Exercise(goal=Goal(...), task="…")``."""

    def __init__(
        self,
        exercise: str | None = None,
        *,
        goal: Goal | None = None,
        task: str = "",
        title: str = "Exercise",
        store: RunStore | None = None,
    ) -> None:
        if exercise is not None:
            if exercise not in EXERCISES:
                raise KeyError(f"no exercise {exercise!r}; known: {', '.join(EXERCISES)}")
            self.definition = EXERCISES[exercise]
        elif goal is not None:
            key = "own/" + hashlib.sha256(repr(goal).encode()).hexdigest()[:12]
            self.definition = ExerciseDef(key, "", title, task or f"Reach {goal.describe()}.", goal)
        else:
            raise ValueError("give an exercise id or a goal")
        self.store = store or open_store()
        d = self.definition
        self.header = W.HTML(
            f"<div class='dlp-exercise-title'><b>{html.escape(d.title)}</b></div>"
            f"<div>{html.escape(d.task)}</div><div class='dlp-exercise-goal'>Goal: {html.escape(d.goal.describe())}"
            "</div>"
        )
        self.run_picker = W.Dropdown(description="Run:", layout=W.Layout(width="32em"))
        self.check_button = W.Button(description="Check my run", button_style="primary", icon="check")
        self.check_button.on_click(lambda _: self._check_picked())
        self.result = W.HTML()
        self._refresh_runs()
        super().__init__(
            [self.header, W.HBox([self.run_picker, self.check_button]), self.result],
            layout=W.Layout(border="1px solid #bdbdbd", padding="6px 10px", margin="4px 0"),
        )
        self.add_class("dlp-exercise")

    @property
    def item(self) -> str:
        return f"exercise:{self.definition.id}"

    def _candidates(self) -> list[dict[str, Any]]:
        rows = self.store.list_runs()
        source = self.definition.goal.source
        matching = (
            [r for r in rows if same_source(source, (r["spec"].get("data") or {}).get("source"))] if source else rows
        )
        return matching or rows

    def _refresh_runs(self) -> None:
        # "" rather than None: a Dropdown shows nothing selected for None
        options: list[tuple[str, str]] = [("the latest run", "")]
        for r in self._candidates()[:50]:
            source = (r["spec"].get("data") or {}).get("source")
            options.append((f"{r['name']} · {r['id']} · {source} · {r['status']}", r["id"]))
        current = self.run_picker.value
        self.run_picker.options = options
        self.run_picker.value = current if current in [v for _, v in options] else ""

    def check(self, run: Any = None) -> Verdict:
        """Check a run (a ``Run``, a run id, or None for the latest one on the exercise's data)."""
        run_id = getattr(run, "id", run)
        if run_id is None:
            candidates = self._candidates()
            row = candidates[0] if candidates else None
        else:
            row = self.store.get_run(str(run_id))
            if row is None:
                raise KeyError(f"no run {run_id!r} in {self.store.path}")
        history = self.store.epochs(row["id"]) if row else []
        signals = self.store.signals(row["id"]) if row else []
        verdict = check_run(self.definition.goal, row, history, signals)
        if row is not None:
            _progress.record(
                self.item,
                "exercise",
                verdict.passed,
                lesson=self.definition.lesson or None,
                detail=verdict.to_dict(),
                store=self.store,
            )
        self._show(verdict)
        self._refresh_runs()
        return verdict

    def _check_picked(self) -> None:
        try:
            self.check(self.run_picker.value or None)
        except KeyError:  # deleted since the list was drawn
            self._refresh_runs()
            self.result.value = (
                "<div class='dlp-exercise-verdict'>That run is no longer in the store; pick another.</div>"
            )

    def _show(self, verdict: Verdict) -> None:
        mark, colour = ("✓ Goal met", "#2e7d32") if verdict.passed else ("✗ Not yet", "#c62828")
        advice = "".join(f"<li>{html.escape(a)}</li>" for a in verdict.advice)
        self.result.value = (
            f"<div class='dlp-exercise-verdict' data-passed='{str(verdict.passed).lower()}'>"
            f"<b style='color:{colour}'>{mark}</b> {html.escape(verdict.summary)}"
            + (f"<div>What to try:</div><ul>{advice}</ul>" if advice else "")
            + "</div>"
        )


def exercise(exercise_id: str, *, store: RunStore | None = None) -> Exercise:
    """An exercise from the lessons by id, e.g. ``dlp.exercise("wine-90")``."""
    return Exercise(exercise_id, store=store)


# ---------------------------------------------------------------- progress


class ProgressView(W.VBox):
    """Questions answered and exercises passed, per lesson; redraws when an answer is saved."""

    def __init__(self, store: RunStore | None = None) -> None:
        self.store = store or open_store()
        self.table = W.HTML()
        super().__init__([self.table])
        self.add_class("dlp-progress")
        _progress.on_change(self)
        self.refresh()

    def refresh(self) -> None:
        rows = _progress.summary(self.store)
        body = []
        for r in rows:
            done = r["correct"] + r["exercises_passed"]
            total = r["questions"] + r["exercises"]
            pct = round(100 * done / total) if total else 0
            title = html.escape(r["title"])
            bar = (
                f"<div style='background:#e0e0e0;width:8em;height:.6em;border-radius:3px'>"
                f"<div style='background:#43a047;width:{pct}%;height:100%;border-radius:3px'></div></div>"
            )
            body.append(
                f"<tr data-lesson='{html.escape(str(r['lesson']))}'><td>{title}</td>"
                f"<td>{r['correct']} / {r['questions']}</td><td>{r['exercises_passed']} / {r['exercises']}</td>"
                f"<td>{bar}</td></tr>"
            )
        self.table.value = (
            "<table class='dlp-progress-table'><thead><tr><th style='text-align:left'>Lesson</th>"
            "<th>Questions right</th><th>Exercises passed</th><th></th></tr></thead><tbody>"
            + "".join(body)
            + "</tbody></table>"
        )

    def reset(self, lesson: str | None = None) -> None:
        """Forget the answers (of one lesson, or all). Runs are not touched."""
        self.store.reset_progress(lesson)
        self.refresh()


def progress(store: RunStore | None = None) -> ProgressView:
    """Your progress through the lessons."""
    return ProgressView(store)


__all__ = [
    "Exercise",
    "MultipleChoice",
    "NumericQuestion",
    "ProgressView",
    "QuestionWidget",
    "exercise",
    "progress",
    "question",
]
