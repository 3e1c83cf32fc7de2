"""A store file that is damaged is named and left alone: a file that is not a SQLite database
is refused by every command (nothing changed, no WAL file, no runs folder made), and a run
whose stored spec cannot be read is still listed, shown and refused for export with a note,
without the store being changed by reading it."""

import json

from dlp_cli import IRIS_SPEC, dlp_at, stored_runs


def test_a_store_file_that_is_not_a_database_is_named_and_left_alone(tmp_path):
    garbage = bytes(range(256)) * 16
    store_file = tmp_path / "runs.sqlite"
    store_file.write_bytes(garbage)
    for args in (["runs"], ["runs", "--json"], ["show", "2026"], ["train", str(IRIS_SPEC), "--json"]):
        out = dlp_at(tmp_path, *args)
        assert out.returncode == 2, (args, out)
        error = json.loads(out.stdout)["error"]
        assert error["path"] == str(store_file)
        assert f"{store_file} is not a run store" in error["message"] and "Nothing was changed" in error["message"]
        assert "Traceback" not in out.stderr
    assert store_file.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.sqlite"]  # no WAL file, no runs folder


def test_a_run_with_an_unreadable_spec_is_listed_with_a_note(tmp_path):
    import sqlite3

    import dlp_widgets

    store, (broken, fine) = stored_runs(tmp_path, 2)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE runs SET spec='{\"model\": ' WHERE id=?", (broken,))
    listed = {r["id"]: r for r in store.list_runs()}
    assert listed[broken]["spec"] == {} and "spec of this run cannot be read" in listed[broken]["note"]
    assert "note" not in listed[fine] and listed[fine]["spec"]["model"]
    assert set(dlp_widgets.runs(store=store)["id"]) == {broken, fine}

    out = dlp_at(tmp_path, "runs", "--json")
    assert out.returncode == 0, out
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert rows[broken]["name"] == "stored 0" and rows[broken]["status"] == "finished"
    assert "cannot be read" in rows[broken]["note"] and rows[fine]["note"] is None
    table = dlp_at(tmp_path, "runs")
    assert table.returncode == 0 and "cannot be read" in table.stdout and fine in table.stdout
    shown = dlp_at(tmp_path, "show", broken)
    assert shown.returncode == 0 and "cannot be read" in json.loads(shown.stdout)["note"]
    out = dlp_at(tmp_path, "export", broken, "--format", "code")
    assert out.returncode == 2 and f"run {broken} cannot be loaded" in json.loads(out.stdout)["error"]["message"]
    with sqlite3.connect(store.path) as db:  # listing it changed nothing in the store
        assert db.execute("SELECT spec FROM runs WHERE id=?", (broken,)).fetchone()[0] == '{"model": '
