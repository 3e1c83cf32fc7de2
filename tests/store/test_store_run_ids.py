"""Run ids: text only, an unambiguous prefix finds its run, a prefix several runs share is
refused naming them, and SQL wildcards in an id match only themselves."""

import json

import pytest

from dlp_cli import dlp_at, stored_runs


def test_run_ids_of_the_wrong_type_or_shared_by_several_runs_get_clear_errors(tmp_path):
    import os

    import dlp_widgets

    store, ids = stored_runs(tmp_path, 3)
    for wrong in (None, 123):
        with pytest.raises(TypeError, match=f"a run id is text.*not {type(wrong).__name__}"):
            store.get_run(wrong)
        with pytest.raises(TypeError, match="a run id is text"):
            dlp_widgets.load_run(wrong, store=store)
    shared = os.path.commonprefix(ids)
    assert shared and shared not in ids
    with pytest.raises(KeyError, match=f"run id '{shared}' matches 3 runs") as caught:
        dlp_widgets.load_run(shared, store=store)
    assert all(run_id in str(caught.value) for run_id in ids)
    out = dlp_at(tmp_path, "show", shared)
    assert out.returncode == 2 and "matches 3 runs" in json.loads(out.stdout)["error"]["message"]
    assert store.get_run(ids[1][:-1])["id"] == ids[1]  # a prefix that one run has still finds it
    with pytest.raises(KeyError, match="no run"):
        dlp_widgets.load_run(shared[:4] + "%", store=store)  # LIKE wildcards still match only themselves
