"""A learner's progress, kept in the run store's database next to their runs."""

from __future__ import annotations

import weakref
from typing import Any

from ..runstore import RunStore, open_store
from .bank import EXERCISES, LESSONS, QUESTIONS, lesson_items

# Views that redraw when an answer is recorded in this kernel (weak: a closed view is forgotten).
_listeners: weakref.WeakSet[Any] = weakref.WeakSet()


def on_change(listener: Any) -> None:
    """``listener.refresh()`` is called after each recorded answer or exercise check."""
    _listeners.add(listener)


def record(
    item: str,
    kind: str,
    passed: bool,
    *,
    lesson: str | None = None,
    detail: Any = None,
    store: RunStore | None = None,
) -> dict[str, Any]:
    row = (store or open_store()).record_progress(item, kind, passed, lesson=lesson, detail=detail)
    for listener in list(_listeners):
        listener.refresh()
    return row


def summary(store: RunStore | None = None) -> list[dict[str, Any]]:
    """Per lesson: questions answered and answered correctly, exercises passed, out of how many.
    Questions written in a notebook (not from the lessons) are counted under "Your own questions"."""
    rows = {r["item"]: r for r in (store or open_store()).progress()}
    out = []
    for lesson in LESSONS.values():
        items = lesson_items(lesson.id)
        questions = [i for i in items if i.startswith("question:")]
        exercises = [i for i in items if i.startswith("exercise:")]
        out.append(
            {
                "lesson": lesson.id,
                "title": lesson.title,
                "notebook": lesson.notebook,
                "questions": len(questions),
                "answered": sum(i in rows for i in questions),
                "correct": sum(rows[i]["passed"] for i in questions if i in rows),
                "exercises": len(exercises),
                "exercises_passed": sum(rows[i]["passed"] for i in exercises if i in rows),
            }
        )
    known = {f"question:{q}" for q in QUESTIONS} | {f"exercise:{e}" for e in EXERCISES}
    own = [r for item, r in rows.items() if item not in known]
    if own:
        qs = [r for r in own if r["kind"] == "question"]
        ex = [r for r in own if r["kind"] == "exercise"]
        out.append(
            {
                "lesson": None,
                "title": "Your own questions",
                "notebook": None,
                "questions": len(qs),
                "answered": len(qs),
                "correct": sum(r["passed"] for r in qs),
                "exercises": len(ex),
                "exercises_passed": sum(r["passed"] for r in ex),
            }
        )
    return out
