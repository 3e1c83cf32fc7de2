"""Questions as plain data: what is asked, what counts as right, and what to say either way.

Checking happens here, in Python, so the answer never has to be sent to the browser and the
same rules serve the widgets, the tests and anyone scripting a quiz.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str
    explanation: str = ""
    # False when the answer could not be read at all (empty, not a number): not an attempt
    counted: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "message": self.message,
            "explanation": self.explanation,
            "counted": self.counted,
        }


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool = False
    why: str = ""  # said when this choice is picked: why it is right, or the misconception behind it


@dataclass(frozen=True)
class ChoiceQuestion:
    """Multiple choice. With more than one correct choice it becomes "select all that apply"."""

    id: str
    prompt: str
    choices: tuple[Choice, ...]
    explanation: str = ""
    lesson: str | None = None

    def __post_init__(self) -> None:
        if len(self.choices) < 2:
            raise ValueError(f"question {self.id!r}: give at least two choices")
        if not any(c.correct for c in self.choices):
            raise ValueError(f"question {self.id!r}: no choice is marked correct")

    @property
    def kind(self) -> str:
        return "choice"

    @property
    def multiple(self) -> bool:
        return sum(c.correct for c in self.choices) > 1

    def public(self) -> dict[str, Any]:
        """What the browser needs to draw the question: no answers."""
        return {
            "kind": "choice",
            "prompt": self.prompt,
            "choices": [c.text for c in self.choices],
            "multiple": self.multiple,
        }

    def check(self, answer: Any) -> Feedback:
        picked = _indices(answer, len(self.choices))
        if picked is None:
            return Feedback(False, "Pick an answer first.", counted=False)
        right = {i for i, c in enumerate(self.choices) if c.correct}
        if picked == right:
            whys = " ".join(self.choices[i].why for i in sorted(picked) if self.choices[i].why)
            return Feedback(True, "Correct. " + whys if whys else "Correct.", self.explanation)
        wrong = sorted(picked - right)
        if wrong:
            chosen = self.choices[wrong[0]]
            text = f"Not quite: “{chosen.text}”. " + (chosen.why or "")
        else:
            text = f"Almost: {len(right - picked)} more choice(s) are also correct."
        return Feedback(False, text.strip(), self.explanation)


def _indices(answer: Any, n: int) -> set[int] | None:
    if answer is None or answer == []:
        return None
    items = answer if isinstance(answer, (list, tuple, set)) else [answer]
    out: set[int] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < n:
            return None
        out.add(item)
    return out


@dataclass(frozen=True)
class NumericQuestion:
    """A number typed by the learner, right within ``tolerance`` (absolute) or ``rel_tolerance``."""

    id: str
    prompt: str
    answer: float
    tolerance: float = 0.0
    rel_tolerance: float = 0.0
    unit: str = ""
    explanation: str = ""
    hint: str = ""  # said after a wrong answer
    lesson: str | None = None
    close_hints: dict[float, str] = field(default_factory=dict)  # likely wrong answers -> what went wrong

    @property
    def kind(self) -> str:
        return "numeric"

    def public(self) -> dict[str, Any]:
        return {"kind": "numeric", "prompt": self.prompt, "unit": self.unit}

    def accepts(self, value: float) -> bool:
        allowed = max(self.tolerance, abs(self.answer) * self.rel_tolerance)
        return math.isclose(value, self.answer, rel_tol=0.0, abs_tol=allowed + 1e-12)

    def check(self, answer: Any) -> Feedback:
        value = parse_number(answer)
        if value is None:
            return Feedback(False, "Type a number, such as 42, 0.5 or 1e-3.", counted=False)
        if self.accepts(value):
            return Feedback(
                True, f"Correct: {_fmt(self.answer)}{' ' + self.unit if self.unit else ''}.", self.explanation
            )
        for wrong, why in self.close_hints.items():
            if math.isclose(value, wrong, rel_tol=1e-9, abs_tol=1e-12):
                return Feedback(False, f"Not quite. {why}", self.explanation)
        direction = "too high" if value > self.answer else "too low"
        return Feedback(False, f"Not quite: {_fmt(value)} is {direction}. {self.hint}".strip(), self.explanation)


MAX_ANSWER_CHARS = 100  # longer is not a number anyone typed
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number(text: Any) -> float | None:
    """A number as people type it: 12,544 or 12 544 or 0.5 or 1e-3 or 50%; None if it is not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        try:
            value = float(text)  # an int past 1e308 cannot be one
        except OverflowError:
            return None
        return value if math.isfinite(value) else None
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        return None
    s = text.strip().replace("\u2009", "").replace(" ", "").replace("_", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        return None
    value = float(s)
    if not math.isfinite(value):  # 1e400: no one means infinity
        return None
    return value / 100 if percent else value


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


Question = ChoiceQuestion | NumericQuestion
