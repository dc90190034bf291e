"""Sessions share the process (and its caches) but never each other's data, and one session cannot fill the server.

Several AppTest instances in one test are several sessions of one server: Streamlit's caches are process-wide and
are cleared only between tests (tests/app/conftest.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.frontier import Limits, Query
from core.importers import read_benchmark
from core.sizing import servers_by_limit, size
from core.table import combine
from core.traffic import TrafficInputs, derive
from tests.app.conftest import benchmark_csv, no_errors, plain, start, upload


def _expected(csv: bytes, model: str) -> float:
    """Servers (exact) for the course's traffic at TTFT ≤ 300 ms on this file alone, computed by the engine."""
    table = combine([read_benchmark(csv, "nim.csv")]).table
    return size(table, Query(model, 2000, 200, Limits(ttft_ms=300)), derive(TrafficInputs())).best["servers_exact"]


def _session_with(csv: bytes, name: str = "nim.csv"):
    """A session that uploaded `csv` as `name` and switched the embedded data off: its data is the upload alone."""
    at = start("pages/data.py")
    upload(at, name, csv, upload_gpu="H100 SXM")
    no_errors(at)
    at.toggle(key="use_default_toggle").set_value(False).run()
    return at


def _sizing(at):
    at.switch_page("pages/sizing.py").run()
    no_errors(at)
    return at


def _chart_servers(at) -> list[float]:
    """The exact servers the cost-of-latency chart draws (its data as sent to the browser: Arrow tables)."""
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[-1].proto
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.datasets]
    values = next((list(f["servers_exact"]) for f in frames if "servers_exact" in f), [])
    assert values, "the cost-of-latency chart has no data"
    return values


def test_two_sessions_upload_different_files_under_one_name():
    """Issue 8: the cost-of-latency cache was keyed on file names, so the second session drew the first one's."""
    model = "Test Model 1B"
    fast, slow = benchmark_csv(model, itl_ms=10.0), benchmark_csv(model, itl_ms=30.0)
    assert not math.isclose(_expected(fast, model), _expected(slow, model))
    first, second = _sizing(_session_with(fast)), _sizing(_session_with(slow))
    for at, csv in ((first, fast), (second, slow), (first.run(), fast), (second.run(), slow)):
        assert math.isclose(at.dataframe[0].value["servers_exact"].iloc[0], _expected(csv, model), rel_tol=1e-9)
        table = combine([read_benchmark(csv, "nim.csv")]).table
        limits = list(np.unique(np.round(np.geomspace(30, 30_000, 40))))  # the page's sweep
        steps = servers_by_limit(table, Query(model, 2000, 200, Limits()), derive(TrafficInputs()), limits)
        assert _chart_servers(at) == pytest.approx(list(steps["servers_exact"]), rel=1e-9), "another session's chart"


def test_many_sessions_in_a_row_see_only_their_own_models(monkeypatch):
    """Issue 8: choices were cached on id(table); a freed table's address is reused and one session was offered
    another's model. Each session here uploads a nim.csv of its own model and must be offered that model alone,
    even when every object has the same id (the address reuse, made certain)."""
    import ui.data

    monkeypatch.setattr(ui.data, "id", lambda _obj: 4096, raising=False)
    for i in range(24):
        model = f"Session {i} Model"
        csv = benchmark_csv(model, gpu=f"GPU {i}", itl_ms=10.0 + i)
        at = _session_with(csv)
        at.switch_page("pages/answer.py").run()
        no_errors(at)
        assert at.selectbox(key="model").options == [model]
        assert float(next(m.value for m in at.metric if m.label == "Servers (exact)")) == round(_expected(csv, model), 2)
        assert f"GPU {i}" in plain(at.subheader[0].value)


def test_uploads_past_the_budget_are_refused_with_a_message(monkeypatch):
    """A session's uploads are bounded in bytes and in rows; the budget is scaled down here so that small files
    exceed it (the real one, 50 MB and 200,000 rows, is the same code)."""
    from ui import data

    monkeypatch.setattr(data, "MAX_UPLOAD_BYTES", 2_000)
    monkeypatch.setattr(data, "MAX_UPLOAD_ROWS", 10)
    first = benchmark_csv("Budget A")  # 6 rows, about 900 bytes
    at = start("pages/data.py")
    upload(at, "a.csv", first, upload_gpu="H100 SXM")
    assert any("Added a.csv" in plain(s.value) for s in at.success)
    upload(at, "b.csv", benchmark_csv("Budget B"), upload_gpu="H100 SXM")  # 12 rows: over the row budget
    refused = " ".join(plain(e.value) for e in at.error)
    assert "b.csv" in refused and "12 rows" in refused and "above the 10 a session may hold" in refused
    upload(at, "c.csv", first * 3, upload_gpu="H100 SXM")  # over the byte budget (refused before it is read)
    refused = " ".join(plain(e.value) for e in at.error)
    assert "c.csv" in refused and "above the 2 KB a session may hold" in refused
    assert [u.name for u in at.session_state[data.UPLOADS]] == ["a.csv"]
    assert not at.exception
    # A file of the same name replaces the old one (its bytes do not count twice).
    upload(at, "a.csv", benchmark_csv("Budget A2"), upload_gpu="H100 SXM")
    assert [u.name for u in at.session_state[data.UPLOADS]] == ["a.csv"]
    assert "Budget A2" in at.session_state[data.UPLOADS][0].result.table["model"].iloc[0]


def test_uploads_are_kept_once(monkeypatch):
    """The session keeps the parsed rows of an upload, not its bytes; the uploader is cleared after adding."""
    from ui import data

    at = start("pages/data.py")
    upload(at, "nim.csv", benchmark_csv("Kept Once"), upload_gpu="H100 SXM")
    kept = at.session_state[data.UPLOADS]
    assert len(kept) == 1 and not any(isinstance(v, bytes) for v in vars(kept[0]).values())
    assert at.file_uploader[0].value in (None, [])


def test_counts_right_after_adding():
    """Issue 7: after "Add to the data" the Data page showed the old counts until the user came back."""
    at = start("pages/data.py")
    rows_before = next(m.value for m in at.metric if m.label == "Rows")
    upload(at, "nim.csv", benchmark_csv("Counted Model"), upload_gpu="H100 SXM")
    rows_after = next(m.value for m in at.metric if m.label == "Rows")
    assert int(rows_after.replace(",", "")) == int(rows_before.replace(",", "")) + 6
    assert "Counted Model" in at.selectbox(key="model").options


def test_sessions_with_the_same_upload_share_one_table():
    """A workshop room uploads the course's file: one parsed upload and one prepared table for all of them, held
    while some session holds it (a content-keyed registry, not a cache)."""
    from ui import data

    csv = benchmark_csv("Room Model")
    first, second = _session_with(csv, "nim.csv"), _session_with(csv, "nim.csv")
    assert first.session_state[data.UPLOADS][0].result is second.session_state[data.UPLOADS][0].result
    assert first.session_state[data.PREPARED] is second.session_state[data.PREPARED]
    other = _session_with(benchmark_csv("Room Model", itl_ms=12.0), "nim.csv")
    assert other.session_state[data.PREPARED] is not first.session_state[data.PREPARED]


def test_files_of_one_name_added_together_are_all_kept():
    """GenAI-Perf names every run's export profile_export_genai_perf.json: the course's folders, chosen together,
    must all be added (one used to replace the other in silence, keeping 1 run of 7)."""
    from ui import data

    at = start("pages/data.py")
    files = [("run.csv", benchmark_csv(f"Same Name {k}"), "text/csv") for k in (1, 2, 3)]
    at.file_uploader[0].set_value(files).run()
    at.text_input(key="upload_gpu").set_value("H100 SXM")
    at.button(key="upload_add").click().run()
    assert not at.exception
    assert [u.name for u in at.session_state[data.UPLOADS]] == ["run.csv", "run (2).csv", "run (3).csv"]
    said = " ".join(plain(s.value) for s in at.success)
    assert "Added run.csv as run (2).csv (another file added with it has the same name)" in said
    models = {m for u in at.session_state[data.UPLOADS] for m in u.result.table["model"]}
    assert models == {"Same Name 1", "Same Name 2", "Same Name 3"}
    # Added again later, a file of one name replaces the earlier one (a corrected file), and says so.
    upload(at, "run.csv", benchmark_csv("Same Name 4"), upload_gpu="H100 SXM")
    assert [u.name for u in at.session_state[data.UPLOADS]] == ["run (2).csv", "run (3).csv", "run.csv"]
    assert any("Added run.csv, replacing the one added before" in plain(s.value) for s in at.success)


def test_unique_name_keeps_the_extension():
    from ui.data import unique_name

    assert unique_name("a.json", set()) == "a.json"
    assert unique_name("a.json", {"a.json"}) == "a (2).json"
    assert unique_name("a.json", {"a.json", "a (2).json"}) == "a (3).json"
    assert unique_name("README", {"README"}) == "README (2)"
