"""The built question ESM in Chromium, with Python's real checker answering what the page sends."""

import pytest

from conftest import screenshot
from dlp_widgets.runstore import open_store
from dlp_widgets.widgets.quiz import question

pytestmark = pytest.mark.browser


def relay(page, widget):
    """Act as the kernel: hand each answer the page sent to the widget, send its state back."""
    sent = page.evaluate("window.__model._log.sent.splice(0)")
    for message in sent:
        widget._on_message(widget, message, [])
    for name in ("attempts", "solved", "feedback"):
        page.evaluate("([k, v]) => window.__model._pyset(k, v)", [name, getattr(widget, name)])
    return sent


def test_multiple_choice_feedback_from_python(harness, tmp_path):
    widget = question("intro-nn/output-size", store=open_store(tmp_path / "runs.sqlite"))
    page = harness("quiz", widget.get_state())
    choices = page.locator(".dlp-quiz-choice")
    assert choices.count() == 3 and "out_features" in page.locator(".dlp-quiz-prompt code").inner_text()

    page.locator(".dlp-quiz-check").click()  # nothing picked: asked to pick, not counted
    assert relay(page, widget) == [{"type": "answer", "value": None}]
    assert "Pick an answer" in page.locator(".dlp-quiz-feedback").inner_text() and widget.attempts == 0

    choices.nth(2).click()
    page.locator(".dlp-quiz-check").click()
    assert relay(page, widget) == [{"type": "answer", "value": 2}]
    wrong = page.locator(".dlp-quiz-wrong")
    assert "input features" in wrong.inner_text()
    assert page.locator(".dlp-quiz-explanation").count() == 0  # first wrong try: no spoiler

    choices.nth(1).click()
    page.locator(".dlp-quiz-check").click()
    relay(page, widget)
    assert "Correct" in page.locator(".dlp-quiz-right .dlp-quiz-message").inner_text()
    assert "highest score" in page.locator(".dlp-quiz-explanation").inner_text()
    assert "answered" in page.locator(".dlp-quiz-badge").inner_text()
    screenshot(page, "quiz-choice", ".dlp-quiz")
    assert page.js_errors == []


def test_numeric_answer_with_enter_and_no_notebook_shortcuts(harness, tmp_path):
    widget = question("cnn-images/conv-output", store=open_store(tmp_path / "runs.sqlite"))
    page = harness("quiz", widget.get_state())
    page.evaluate("window.__keys = 0; document.addEventListener('keydown', () => window.__keys++)")
    box = page.locator(".dlp-quiz-input")
    box.fill("23")
    box.press("Enter")
    assert relay(page, widget) == [{"type": "answer", "value": "23"}]
    assert "Off by one" in page.locator(".dlp-quiz-wrong").inner_text()
    assert page.evaluate("window.__keys") == 0, "keys typed in the answer reached the notebook"
    box.fill("twenty")
    page.locator(".dlp-quiz-check").click()
    relay(page, widget)
    assert page.locator(".dlp-quiz-unread").count() == 1 and widget.attempts == 1
    box.fill("24")
    box.press("Enter")
    relay(page, widget)
    assert "24 pixels" in page.locator(".dlp-quiz-right").inner_text()
    assert page.locator(".dlp-quiz-unit").inner_text() == "pixels"
    screenshot(page, "quiz-numeric", ".dlp-quiz")
    assert page.js_errors == []
