"""The dashboard's Coach panel, on real runs: the findings drawn as the run trains and when it
ends, and Apply & retrain trains the patched spec as a new run whose finding is gone — from
the Playground (which shows the patched spec in its steps) and from a dashboard alone."""

from __future__ import annotations

import warnings

import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
from dlp_widgets.widgets.dashboard import TrainingDashboard

warnings.filterwarnings("ignore", category=UserWarning)

HIGH_LR = {
    "model": default_model([4], 3),
    "data": {"source": "builtin:iris", "target": "species"},
    # ten epochs: the loss jumps about from the start; over twenty it may blow up on one CPU
    # and not another (floating-point sums differ by instruction set), a different finding
    "training": {"optimizer": "SGD", "lr": 2, "epochs": 10},
}


def panel_codes(board):
    return [row._dom_classes[-1].removeprefix("dlp-finding-") for row in board.coach.items.children]


def ended(board, timeout=30.0):
    """Wait until the dashboard has drawn the run's end, coach included: ``run.wait()``
    returns when the run has ended, a moment before its last event is drawn (in the
    training thread: the status first, then the charts and the coach)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if "data-status='finished'" in board.status.value and board.coach.items.children:
            break
        time.sleep(0.02)


def test_the_playground_shows_the_coach_and_applies_a_fix_as_a_new_run():
    pg = dlp.Playground(spec=HIGH_LR)
    first = pg.train()
    first.wait(120)
    board = pg.dashboard
    ended(board)
    assert panel_codes(board)[0] == "lr_too_high"
    row = board.coach.items.children[0]
    button = row.children[1]
    assert button.description == "Apply & retrain"
    button.click()
    second = pg.run
    assert second is not first and second.wait(120) == "finished"
    assert pg.spec.training.lr == 0.2 and second.spec.training.lr == 0.2
    assert "lr_too_high" not in [f.code for f in second.diagnose()]
    assert {first.id, second.id} <= set(dlp.runs()["id"])


def test_a_finding_appears_while_the_run_trains(monkeypatch):
    from dlp_widgets.widgets import dashboard

    monkeypatch.setattr(dashboard, "CHART_INTERVAL", 0.0)  # every epoch drawn: this test reads each one
    spec = {**HIGH_LR, "training": {"optimizer": "SGD", "lr": 2, "epochs": 400}}
    board = TrainingDashboard()
    seen: list[list[str]] = []

    def watch(event):
        board.on_event(event)
        if type(event).__name__ == "EpochEnd" and event.epoch in (3, 6):
            board.flush()
            seen.append(panel_codes(board))
            if event.epoch == 6:
                run.stop()

    from dlp_widgets.engine import runner

    run = runner.start(spec, subscribe=watch)
    board.attach_header(run)
    assert run.wait(120) == "stopped"
    assert "lr_too_high" not in seen[0] and "lr_too_high" in seen[1], seen  # rises at epochs 2 and 6


def test_a_dashboard_alone_trains_the_fix_and_shows_the_new_run():
    run = dlp.train({**HIGH_LR, "training": {"optimizer": "SGD", "lr": 5}}, dashboard=False)
    board = TrainingDashboard(run)
    assert panel_codes(board)[0] == "diverged"
    new = board.coach.apply(next(f for f in run.diagnose() if f.code == "diverged"))
    assert new.wait(120) == "finished" and new.spec.training.lr == 0.5
    assert isinstance(board.coach.children[-1], TrainingDashboard)
    assert "diverged" not in [f.code for f in new.diagnose()]
