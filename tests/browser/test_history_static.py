"""The built RunTable ESM: sorting, selecting runs to overlay, open and delete messages."""

import pytest

from conftest import screenshot

pytestmark = pytest.mark.browser

ROWS = [
    {
        "id": "r1",
        "name": "small mlp",
        "source": "builtin:iris",
        "task": "classification",
        "status": "finished",
        "created": "2026-11-20T10:00",
        "best": 0.93,
        "metric": "accuracy",
        "duration_s": 1.2,
        "kind": "tabular",
    },
    {
        "id": "r2",
        "name": "cnn",
        "source": "builtin:digits",
        "task": "classification",
        "status": "stopped",
        "created": "2026-11-22T09:30",
        "best": 0.98,
        "metric": "accuracy",
        "duration_s": 8.5,
        "kind": "image",
    },
    {
        "id": "r3",
        "name": "regression",
        "source": "builtin:diabetes",
        "task": "regression",
        "status": "diverged",
        "created": "2026-11-21T12:00",
        "best": None,
        "metric": None,
        "duration_s": None,
        "kind": "tabular",
    },
]


def names(page):
    return page.locator(".dlp-history-row .dlp-history-name").evaluate_all("boxes => boxes.map(b => b.value)")


def test_sort_select_open_delete(harness):
    page = harness("history", {"rows": ROWS, "selected": []})
    assert names(page) == ["cnn", "regression", "small mlp"]  # newest first
    page.locator("th[data-sort=best]").click()
    assert names(page) == ["small mlp", "cnn", "regression"]  # ascending, missing values last
    page.locator("th[data-sort=best]").click()
    assert names(page) == ["cnn", "small mlp", "regression"]
    page.locator("th[data-sort=name]").focus()
    page.keyboard.press("Enter")
    assert names(page) == ["cnn", "regression", "small mlp"]
    page.locator("[data-run-id=r1] .dlp-history-select").check()
    page.locator("[data-run-id=r2] .dlp-history-select").check()
    assert page.evaluate("window.__model._state.selected") == ["r1", "r2"]
    page.locator("[data-run-id=r2] .dlp-history-open").click()
    delete = page.locator("[data-run-id=r3] .dlp-history-delete")
    delete.click()
    assert delete.inner_text() == "Sure?"  # asks once before deleting
    delete.click()
    assert page.evaluate("window.__model._log.sent") == [
        {"action": "open", "id": "r2"},
        {"action": "delete", "id": "r3"},
    ]
    screenshot(page, "history-static")
    assert page.js_errors == []


def test_keyboard_user_keeps_their_place_when_the_table_redraws(harness):
    page = harness("history", {"rows": ROWS, "selected": []})
    page.locator("th[data-sort=name]").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the second press sorts again: focus survived the redraw
    assert names(page) == ["small mlp", "regression", "cnn"]
    page.locator("[data-run-id=r2] .dlp-history-select").focus()
    page.keyboard.press("Space")
    page.evaluate("rows => window.__model._pyset('rows', rows)", ROWS)  # the kernel's refresh
    assert page.evaluate("document.activeElement.closest('tr').dataset.runId") == "r2"
    page.keyboard.press("Space")
    assert page.evaluate("window.__model._state.selected") == []
    assert page.js_errors == []


def test_a_run_is_renamed_in_place(harness):
    page = harness("history", {"rows": ROWS, "selected": []})
    box = page.locator("[data-run-id=r2] .dlp-history-name")
    box.fill("my digits CNN")
    box.press("Enter")
    assert page.evaluate("window.__model._log.sent") == [{"action": "rename", "id": "r2", "name": "my digits CNN"}]
    other = page.locator("[data-run-id=r1] .dlp-history-name")
    other.fill("   ")
    other.press("Enter")  # an empty name is not sent; the old one comes back
    assert other.input_value() == "small mlp" and len(page.evaluate("window.__model._log.sent")) == 1
    page.locator("[data-run-id=r3] .dlp-history-name").focus()
    page.keyboard.press("x")  # typing in the table never reaches notebook shortcuts (stopped here)
    assert page.js_errors == []
