"""Each epoch's checkpoint and row are written while the next epoch trains: what is written
is the epoch's own state (not what the optimizer holds by the time the writer gets to it),
every record is in place when ``train`` returns, and a watcher is shown only saved epochs."""

from __future__ import annotations

import copy
import time

import torch

import dlp_widgets as dlp
from dlp_widgets.engine import epoch_records
from dlp_widgets.engine import run as run_module
from dlp_widgets.engine.checkpoints import read_checkpoint
from dlp_widgets.runstore import open_store
from run_helpers import iris_spec


def test_the_writer_saves_each_epochs_own_optimizer_state(monkeypatch):
    monkeypatch.setattr(epoch_records, "RECORD_INTERVAL", 0)  # every epoch written on its own
    at_epoch_end = {}
    written = {}
    real_on_epoch = run_module.Run._on_epoch
    real_write = run_module.write_checkpoint

    def on_epoch(self, state, model, optimizer, improved):
        at_epoch_end[state.epoch] = copy.deepcopy(optimizer.state_dict())
        real_on_epoch(self, state, model, optimizer, improved)

    def write_checkpoint(folder, **payload):  # in the writer thread, maybe epochs later
        written[payload["epoch"]] = copy.deepcopy(payload["optimizer_state"])
        real_write(folder, **payload)

    monkeypatch.setattr(run_module.Run, "_on_epoch", on_epoch)
    monkeypatch.setattr(run_module, "write_checkpoint", write_checkpoint)
    run = dlp.train(iris_spec(epochs=4), dashboard=False)
    assert run.status == "finished" and sorted(written) == [1, 2, 3, 4]
    for epoch, want in at_epoch_end.items():
        for key, state in want["state"].items():
            for name, value in state.items():
                assert torch.equal(written[epoch]["state"][key][name], value), (epoch, key, name)


def test_short_epochs_are_saved_together_and_nothing_is_missing(monkeypatch):
    """Iris's epochs take milliseconds: a write each would cost more than the training. They
    are written together, at most every RECORD_INTERVAL seconds, the first and the last at
    once; the store still gets every row, ``best.pt`` the best epoch's weights."""
    monkeypatch.setattr(epoch_records, "RECORD_INTERVAL", 3600.0)  # nothing due by the clock
    writes, weights = [], {}
    real_write = run_module.write_checkpoint
    real_on_epoch = run_module.Run._on_epoch

    def on_epoch(self, state, model, optimizer, improved):
        weights[state.epoch] = {k: v.clone() for k, v in model.state_dict().items()}
        real_on_epoch(self, state, model, optimizer, improved)

    def write_checkpoint(folder, **payload):
        writes.append((payload["epoch"], [h["epoch"] for h in payload["history"]]))
        real_write(folder, **payload)

    monkeypatch.setattr(run_module.Run, "_on_epoch", on_epoch)
    monkeypatch.setattr(run_module, "write_checkpoint", write_checkpoint)
    run = dlp.train(iris_spec(epochs=12), dashboard=False)
    assert run.status == "finished"
    assert writes == [(1, [1]), (12, list(range(1, 13)))]  # the first epoch, then the rest together
    stored = open_store().epochs(run.id)
    assert [e["epoch"] for e in stored] == list(range(1, 13))
    assert [e["test_loss"] for e in stored] == [h["test_loss"] for h in run.history.to_dict("records")]
    best_epoch = min(stored, key=lambda e: e["test_loss"])["epoch"]  # oracle: the history itself
    best = read_checkpoint(run.folder / "best.pt")
    assert best["epoch"] == best_epoch
    for name, value in weights[best_epoch].items():
        assert torch.equal(best["model"][name], value), name


def test_a_stopped_runs_epochs_held_for_the_next_write_are_saved(monkeypatch):
    monkeypatch.setattr(epoch_records, "RECORD_INTERVAL", 3600.0)
    seen, holder = [], []

    def stop_at_five(event):
        if event["type"] == "epoch_end":
            seen.append(event["epoch"])
            if event["epoch"] == 5:
                while not holder:  # the training thread can get here before start() has returned
                    time.sleep(0.01)
                holder[0].stop()

    stop_at_five.saved_first = False  # it only watches: epochs 2-5 are held for the next write
    holder.append(dlp.start(iris_spec(epochs=200, batch_size=4), dashboard=False, subscribe=stop_at_five))
    run = holder[0]
    assert run.wait(60) == "stopped"
    done = max(seen)
    assert [e["epoch"] for e in open_store().epochs(run.id)] == list(range(1, done + 1))
    assert read_checkpoint(run.folder / "last.pt")["epoch"] == done
    resumed = dlp.load_run(run.id)
    resumed.spec.training.epochs = done + 2
    assert resumed.resume().status == "finished"
    assert [e["epoch"] for e in open_store().epochs(run.id)] == list(range(1, done + 3))


def test_every_record_is_in_place_when_train_returns():
    run = dlp.train(iris_spec(epochs=5), dashboard=False)
    assert [e["epoch"] for e in open_store().epochs(run.id)] == [1, 2, 3, 4, 5]
    last = read_checkpoint(run.folder / "last.pt")
    assert last["epoch"] == 5 and [h["epoch"] for h in last["history"]] == [1, 2, 3, 4, 5]
    for name, value in run.model.state_dict().items():
        assert torch.equal(last["model"][name], value)


def test_a_watcher_is_shown_only_epochs_already_saved():
    stored = []
    store = open_store()

    def watch(event):
        if event["type"] == "epoch_end":
            stored.append((event["epoch"], [e["epoch"] for e in store.epochs(event["run_id"])][-1:]))

    dlp.train(iris_spec(epochs=3), dashboard=False, subscribe=watch)
    assert stored == [(1, [1]), (2, [2]), (3, [3])]


def test_large_models_are_written_in_the_training_thread(monkeypatch):
    monkeypatch.setattr(epoch_records, "BACKGROUND_MAX_PARAMS", 10)
    threads = []
    real_write = run_module.write_checkpoint

    def write_checkpoint(folder, **payload):
        import threading

        threads.append(threading.current_thread().name)
        real_write(folder, **payload)

    monkeypatch.setattr(run_module, "write_checkpoint", write_checkpoint)
    run = dlp.train(iris_spec(epochs=2), dashboard=False)
    assert run.status == "finished" and threads and not any(t.startswith("dlp-records") for t in threads)


def test_a_display_only_subscriber_never_holds_training_up(monkeypatch):
    """The dashboard and the CLI's progress line only show what they are told: an epoch's
    end reaches them without a wait for its record, which on a small model's short epochs
    cost a fifth of the training; a plain subscriber still waits."""
    waits = []
    real_flush = epoch_records.EpochRecords.flush

    def flush(self):
        waits.append(1)
        real_flush(self)

    monkeypatch.setattr(epoch_records.EpochRecords, "flush", flush)

    def shows(event):
        pass

    shows.saved_first = False
    from dlp_widgets.cli import _ProgressBar
    from dlp_widgets.widgets.dashboard import TrainingDashboard

    for display in (shows, TrainingDashboard().on_event, _ProgressBar()):
        waits.clear()
        run = dlp.train(iris_spec(epochs=4), dashboard=False, subscribe=display)
        assert run.status == "finished" and len(waits) <= 1  # the one wait before the run's ending is saved
    waits.clear()
    dlp.train(iris_spec(epochs=4), dashboard=False, subscribe=lambda event: None)
    assert len(waits) >= 4  # a plain subscriber: once an epoch
    assert [e["epoch"] for e in open_store().epochs(run.id)] == [1, 2, 3, 4]  # every row there at the end


def test_a_tables_record_is_of_the_table_as_passed_though_it_changes_while_training(monkeypatch):
    """A DataFrame's fingerprint is written on the records' thread while the first epoch
    trains: from the table as it was when training began, and waited for by anyone reading
    the record meanwhile."""
    import threading

    from dlp_widgets.data import load_table
    from dlp_widgets.data.fingerprint import frame_fingerprint
    from dlp_widgets.engine import runner

    frame, _ = load_table("builtin:wine")
    before = frame_fingerprint(frame)
    release = threading.Event()
    real = runner.record_data

    def slow_record(*args, **kwargs):  # the record is still being written when the caller edits
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "record_data", slow_record)
    spec = {"model": iris_spec()["model"] | {"input_shape": [13]}, "data": {"target": "cultivar"}}
    spec["model"]["layers"][-1]["params"]["out_features"] = 3
    run = dlp.start(spec, data=frame, epochs=2, dashboard=False)
    frame.iloc[0, 0] = 999.0  # the caller's table changes while the run trains
    assert frame_fingerprint(frame) != before
    release.set()
    record = run.data_record  # waits for the write
    assert run.wait(60) == "finished", run.error
    assert record["kind"] == "dataframe" and record["fingerprint"] == before


def test_the_optimizer_takes_the_fused_kernel_where_torch_has_one():
    from dlp_widgets.engine.objective import make_optimizer
    from dlp_widgets.spec import load_spec

    def built(name):
        spec = load_spec({**iris_spec(optimizer=name, momentum=0.9)}, check_shapes=False)
        return make_optimizer(spec, torch.nn.Linear(4, 3).parameters())

    for name in ("SGD", "Adam", "AdamW"):
        assert built(name).defaults.get("fused") is True, name
    assert not built("RMSprop").defaults.get("fused")  # torch has none: its default implementation
    # a checkpoint's state from the default Adam loads into the fused one, and steps
    model = torch.nn.Linear(4, 3)
    plain = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(8, 4)).sum().backward()
    plain.step()
    fused = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)
    fused.load_state_dict(plain.state_dict())
    fused.step()
    assert all(s["step"].item() == 2 for s in fused.state.values())


def test_the_optimizer_copy_equals_a_deep_copy_and_shares_no_tensor():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    makers = [
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.Adam(p, betas=(0.8, 0.99)),
        lambda p: torch.optim.AdamW(p, amsgrad=True),
        lambda p: torch.optim.RMSprop(p, centered=True),
    ]
    for make in makers:
        optimizer = make(model.parameters())
        for _ in range(2):
            optimizer.zero_grad()
            model(torch.randn(5, 3)).sum().backward()
            optimizer.step()
        state = optimizer.state_dict()
        oracle, copied = copy.deepcopy(state), epoch_records._copied(state)
        assert copied["param_groups"] == oracle["param_groups"]
        assert copied["state"].keys() == oracle["state"].keys()
        for key, slots in oracle["state"].items():
            assert slots.keys() == copied["state"][key].keys()
            for name, value in slots.items():
                assert torch.equal(copied["state"][key][name], value)
                assert copied["state"][key][name].data_ptr() != state["state"][key][name].data_ptr()
        optimizer.step()  # the live state moves on; the copy keeps the snapshot
        for key, slots in oracle["state"].items():
            for name, value in slots.items():
                assert torch.equal(copied["state"][key][name], value)
