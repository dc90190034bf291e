"""The Compare page through AppTest: scenarios saved under a name, side by side with the engine's numbers, what
differs highlighted, at most six, an unanswerable one explained in its column, kept across pages (issue 12)."""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import compare, cost, document, planning
from core.frontier import Limits, Query
from core.sizing import size
from core.table import DEFAULT_BENCHMARK_DIR, load_paths
from core.traffic import TrafficInputs, derive
from core.words import usd
from tests.app.conftest import benchmark_csv, no_errors, plain, start, texts, upload
from ui.text import md

COMPARE = "pages/compare.py"
THREE = (("H100 at 300 ms", "H100 SXM", 300.0), ("H200 at 300 ms", "H200 SXM", 300.0), ("B200 at 500 ms", "B200", 500.0))


def save(at: AppTest, name: str = "") -> AppTest:
    at.text_input(key="save_name").input(name).run()
    at.button(key="save_scenario").click().run()
    return at


def set_scenario(at: AppTest, gpu: str | None = None, ttft: float | None = None) -> AppTest:
    if gpu is not None:
        at.multiselect(key="gpus").set_value([gpu]).run()
    if ttft is not None:
        at.select_slider(key="ttft").set_value(ttft).run()
    return at


def table(at: AppTest) -> pd.DataFrame:
    """The comparison as the reader sees it (names and texts are escaped Markdown on the page)."""
    frame = at.table[0].value
    return frame.rename(columns=plain).map(lambda v: plain(v) if isinstance(v, str) else v)


def highlighted(at: AppTest) -> set[str]:
    """Row labels of the comparison whose cells the page styles (the highlight of rows that differ)."""
    styles = at.table[0].proto.arrow_data.styler.styles
    rows = {int(n) for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", styles) if "background-color" in body
            for n in re.findall(r"row(\d+)_col", selectors)}
    return {table(at).index[i] for i in rows}


def engine(gpu: str, ttft_ms: float):
    """The engine's answer for the course's traffic on one GPU (what the Compare page must show)."""
    loaded = load_paths([DEFAULT_BENCHMARK_DIR])
    result = size(loaded.table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=ttft_ms), gpus=(gpu,)),
                  derive(TrafficInputs()), cost.usd_per_gpu_hour(cost.load_prices()))
    return document.costed(result).best


def three_saved(at: AppTest) -> AppTest:
    for name, gpu, ttft in THREE:
        save(set_scenario(at, gpu, ttft), name)
        no_errors(at)
        assert any(f"Saved {name}" in plain(s.value) for s in at.success), texts(at)
    return at


def test_three_scenarios_side_by_side_with_the_engines_numbers(default_data):
    at = three_saved(start())
    at.switch_page(COMPARE).run()
    no_errors(at)
    frame = table(at)
    assert list(frame.columns) == [name for name, _, _ in THREE]
    for name, gpu, ttft in THREE:
        best = engine(gpu, ttft)
        column = frame[name]
        assert column["Configuration"].startswith(f"{gpu} · TP{int(best['tp'])} · {best['precision']}")
        assert column["Servers (exact)"] == f"{best['servers_exact']:,.2f}"
        spread = planning.likely(best)  # '5 (likely 3–5)' as the headline says it; '1' alone when there is no spread
        assert column["Servers (likely range)"] == f"{int(best['servers_packed'])}" + (f" ({spread})" if spread else "")
        assert column["GPUs"] == f"{int(best['gpus']):,}"
        assert column["On-prem $/year"] == usd(float(best["onprem_usd_per_year"]))
        assert column["Cloud $/year"] == usd(float(best["cloud_usd_per_year"]))
        assert column["Latency limit"] == f"TTFT ≤ {ttft:.0f} ms (avg)"
    # Differences highlighted: the GPU and the limit differ, the traffic does not.
    marked = highlighted(at)
    assert {"Configuration", "Latency limit", "Servers (exact)"} <= marked
    assert not {"Peak requests/s", "Calls per year", "Model"} & marked
    assert marked == set(compare.differing(frame)[lambda s: s].index)
    assert len(at.get("vega_lite_chart")) == 2  # servers with the range, and cost per year
    assert [b.proto.label for b in at.get("link_button")] == ["Open"] * 3  # each is a link (its URL: browser tests)


def test_a_seventh_scenario_is_refused(default_data):
    at = start()
    for ttft in (150.0, 200.0, 250.0, 300.0, 400.0, 500.0):
        save(set_scenario(at, ttft=ttft))
    no_errors(at)
    save(set_scenario(at, ttft=600.0), "one too many")
    assert any("6 scenarios are saved, the most a session keeps" in plain(w.value) for w in at.warning), texts(at)
    at.switch_page(COMPARE).run()
    assert table(at).shape[1] == 6 and "one too many" not in table(at).columns
    assert table(at).columns[0] == "Any GPU, TTFT ≤ 150 ms (avg), 200 req/s"  # the name made when none is given


def test_saved_scenarios_survive_moving_between_pages(default_data):
    at = three_saved(start())
    for page in ("pages/sizing.py", "pages/traffic.py", COMPARE, "pages/data.py", COMPARE):
        at.switch_page(page).run()
        no_errors(at)
    assert list(table(at).columns) == [name for name, _, _ in THREE]


def test_an_unanswerable_scenario_says_why_in_its_column(default_data):
    at = start("pages/data.py")
    upload(at, "mine.csv", benchmark_csv("My Own Model"), upload_gpu="H100 SXM")
    at.switch_page("pages/answer.py").run()
    at.selectbox(key="model").set_value("My Own Model").run()
    save(at, "my model")
    at.selectbox(key="model").set_value("Llama 3 8B").run()
    save(set_scenario(at, gpu="L40S", ttft=50.0), "impossible limit")
    at.switch_page("pages/data.py").run()
    at.button(key="upload_remove").click().run()  # the model goes with the upload
    at.switch_page(COMPARE).run()
    no_errors(at)
    frame = table(at)
    mine, impossible = frame["my model"], frame["impossible limit"]
    assert mine["Configuration"].startswith("not answered: ") and "My Own Model" in mine["Configuration"]
    assert mine["Servers (exact)"] == compare.NONE
    assert impossible["Configuration"].startswith("nothing in the data meets the limits; nearest miss")
    said = texts(at)
    assert "my model cannot be answered with the data loaded now" in said
    assert "impossible limit: no configuration in the data meets its latency limit" in said
    assert "my model was saved with other data" in said


def test_rename_remove_and_load(default_data):
    at = three_saved(start())
    at.switch_page(COMPARE).run()
    first, second, third = (s.id for s in at.session_state["_saved_scenarios"])
    at.text_input(key=f"scenario_name_{second}").input("H100 at 300 ms").run()  # taken: said, nothing lost
    assert any("is called H100 at 300 ms already" in plain(w.value) for w in at.warning), texts(at)
    assert list(table(at).columns)[1] == "H200 at 300 ms"
    assert at.text_input(key=f"scenario_name_{second}").value == "H100 at 300 ms"  # the typed text stays
    at.text_input(key=f"scenario_name_{second}").input("H200, this year").run()
    assert list(table(at).columns)[1] == "H200, this year" and not at.warning
    at.button(key=f"remove_{first}").click().run()
    assert list(table(at).columns) == ["H200, this year", "B200 at 500 ms"]
    at.button(key=f"load_{third}").click().run()  # back into the inputs: B200 at 500 ms
    no_errors(at)
    assert at.select_slider(key="ttft").value == 500.0 and at.multiselect(key="gpus").value == ["B200"]
    assert any("Loaded B200 at 500 ms" in plain(s.value) for s in at.success)


def test_a_duplicate_or_incomplete_scenario_is_not_saved(default_data):
    at = start()
    save(at, "first")
    save(at, "second")
    assert any("saved already, as first" in plain(w.value) for w in at.warning)
    at.select_slider(key="ttft").set_value(0.0).run()  # no limit left: the scenario cannot be sized
    save(at, "broken")
    assert any("Fix the inputs first" in plain(w.value) for w in at.warning)
    assert [s.name for s in at.session_state["_saved_scenarios"]] == ["first"]


def test_compare_page_without_saved_scenarios(default_data):
    at = start(COMPARE)
    no_errors(at)
    assert "No scenario saved yet" in texts(at) and not at.table
    save(at, "from the compare page")
    assert list(table(at).columns) == ["from the compare page"]
    assert {b.label for b in at.get("download_button")} == {"Quote with the comparison (PDF)",
                                                            "Workbook with the comparison (Excel)"}


def test_a_name_too_long_is_said_and_kept(default_data):
    at = start()
    long_name = "N" * 61
    save(at, long_name)
    assert any("The name is too long: at most 60 characters; it has 61" in plain(w.value) for w in at.warning)
    assert at.text_input(key="save_name").value == long_name and "_saved_scenarios" not in at.session_state


def test_a_scenario_name_is_text_in_the_table_not_markdown(default_data):
    """st.table draws Markdown in its headers and cells: a name with ** and a link is escaped, shown as typed."""
    name = '**x** =HYPERLINK("http://e","y")'
    at = save(start(COMPARE), name)
    no_errors(at)
    raw = list(at.table[0].value.columns)
    assert raw == [md(name)] and raw[0].startswith("\\*\\*x\\*\\*")  # escaped: no bold, no link
    assert list(table(at).columns) == [name]  # as the reader sees it: as typed
