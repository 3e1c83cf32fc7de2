"""Lessons: questions and exercises as data, goal checks against real runs, and progress."""

from .bank import EXERCISES, LESSONS, QUESTIONS, Exercise, Lesson, lesson_items
from .goals import Goal, Verdict, check_run
from .questions import Choice, ChoiceQuestion, Feedback, NumericQuestion, parse_number

__all__ = [
    "EXERCISES",
    "LESSONS",
    "QUESTIONS",
    "Choice",
    "ChoiceQuestion",
    "Exercise",
    "Feedback",
    "Goal",
    "Lesson",
    "NumericQuestion",
    "Verdict",
    "check_run",
    "lesson_items",
    "parse_number",
]
