"""Every page on the default data and on nim.csv, and the behaviour users rely on, through AppTest."""

import math

import pytest

from core.frontier import Limits, Query
from core.sizing import size
from core.table import load_paths
from core.traffic import TrafficInputs, derive
from tests.app.conftest import PAGES, metric, no_errors, plain, start, upload
from tests.conftest import FIXTURES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_default_data(default_data, page):
    at = start(page)
    no_errors(at)
    assert not at.warning, [w.value for w in at.warning]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_nim(nim_dir, page):
    at = start(page)
    no_errors(at)


def test_course_example_on_nim(nim_dir):
    at = start()
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    no_errors(at)
    # Notebook 2: 199.8 peak req/s ÷ 41.56 prompts/s per 8 H100 (TP1 FP8, concurrency 10) = 4.81 → 5 servers.
    assert metric(at, "Servers (exact)") == "4.81" and metric(at, "Servers (whole)") == "5"
    assert "H100 SXM" in plain(at.subheader[0].value)  # the catalog's name, as the GPU filter shows it (issue 7)
    at.select_slider(key="ttft").set_value(500.0).run()
    assert metric(at, "Servers (exact)") == "2.82" and metric(at, "Servers (whole)") == "3"


def test_answer_follows_the_engine_when_traffic_moves(default_data):
    at = start()
    before = float(metric(at, "Servers (exact)"))
    at.slider(key="calls").set_value(60_000_000.0).run()
    after = float(metric(at, "Servers (exact)"))
    table = load_paths([__import__("core.table", fromlist=["x"]).DEFAULT_BENCHMARK_DIR]).table
    expected = size(table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300)),
                    derive(TrafficInputs(calls_per_year=60_000_000))).best
    assert math.isclose(after, round(expected["servers_exact"], 2)) and after > before


def test_a_tighter_limit_needs_more_servers(default_data):
    at = start()
    loose = float(metric(at, "Servers (exact)"))
    at.select_slider(key="ttft").set_value(100.0).run()
    assert float(metric(at, "Servers (exact)")) >= loose


def test_impossible_inputs_give_messages_not_exceptions(default_data):
    at = start()
    at.slider(key="calls").set_value(0.0).run()
    no_errors(at)
    assert any("calls per year" in w.value.lower() for w in at.warning)
    at.slider(key="calls").set_value(30_000_000.0).run()
    at.select_slider(key="e2e").set_value(500.0).run()  # 200 output tokens in half a second: nothing in the data
    no_errors_but_block = [e.value for e in at.error]
    assert not at.exception and any("nearest miss" in e for e in no_errors_but_block)
    at.select_slider(key="e2e").set_value(0.0).run()
    at.select_slider(key="ttft").set_value(0.0).run()
    assert not at.exception and any("at least one latency limit" in w.value for w in at.warning)


def test_filter_that_leaves_nothing(default_data):
    at = start("pages/sizing.py")
    at.multiselect(key="tps").set_value([8]).run()
    at.multiselect(key="precisions").set_value(["fp4"]).run()
    at.multiselect(key="gpus").set_value(["A100 SXM 80GB"]).run()
    assert not at.exception and any("filters leave no" in w.value for w in at.warning)


def test_course_preset_restores_the_example(default_data):
    at = start()
    at.select_slider(key="ttft").set_value(1000.0).run()
    at.slider(key="minutes").set_value(3.0).run()
    at.button(key="course_example").click().run()
    assert at.select_slider(key="ttft").value == 300.0 and at.slider(key="minutes").value == 10.0


def test_url_seeds_the_scenario(default_data):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ttft"] = "500"
    at.query_params["peak_direct"] = "true"
    at.query_params["peak_rps"] = "50"
    at.run()
    assert at.select_slider(key="ttft").value == 500.0
    assert "50.0 req/s at peak" in at.markdown[0].value or any("50.0 req/s at peak" in m.value for m in at.markdown)


def test_traffic_page_shows_the_derivation(default_data):
    at = start("pages/traffic.py")
    text = " ".join(m.value for m in at.markdown)
    assert "30 requests per call" in text and "28.5 req/s on average" in text and "199.8 req/s at peak" in text
    at.number_input(key="peak_factor").set_value(14.0).run()
    assert "399.5 req/s at peak" in " ".join(m.value for m in at.markdown)


def test_sizing_page_ranks_and_charts(nim_dir):
    at = start("pages/sizing.py")
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    no_errors(at)
    table = at.dataframe[0].value
    assert list(table["servers"]) == sorted(table["servers"]) and len(table) == 4
    assert round(table["servers_exact"].iloc[0], 2) == 4.81
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert specs and "Latency limit" in specs[-1]
    at.toggle(key="interpolate").set_value(True).run()
    assert "interpolated" in set(at.dataframe[0].value["point"])


def test_frontier_stories(nim_dir):
    at = start("pages/frontier.py")
    for story in ("scenario", "tp", "lengths", "queue", "fp8"):
        at.segmented_control(key="view").set_value(story).run()
        no_errors(at)
        assert at.get("vega_lite_chart"), story


@pytest.mark.parametrize("folder,name,labels", [
    ("aiperf-run-concurrency8", "profile_export_aiperf.json", {"upload_gpu": "H100_80GB_HBM3", "upload_tp": 1}),
    ("aiperf-run-concurrency8", "profile_export_aiperf.csv",
     {"upload_gpu": "H100_80GB_HBM3", "upload_model": "Qwen/Qwen3-8B", "upload_concurrency": 8}),
    ("vllm", "vllm-bench-c16.json", {"upload_gpu": "H100_80GB_HBM3", "upload_precision": "bf16"}),
])
def test_upload_each_format(default_data, folder, name, labels):
    at = start("pages/data.py")
    upload(at, name, (FIXTURES / folder / name).read_bytes(), **labels)
    no_errors(at)
    assert any(name in plain(s.value) for s in at.success)
    assert any(name in plain(m.value) for m in at.markdown)


def test_upload_course_csv_and_genai_perf(default_data, nim_csv, artifacts):
    at = start("pages/data.py")
    upload(at, "nim.csv", nim_csv.read_bytes())
    no_errors(at)
    run = artifacts / "meta_llama3-8b-instruct-openai-chat-concurrency10" / "profile_export_genai_perf.json"
    upload(at, "profile_export_genai_perf.json", run.read_bytes(), upload_gpu="H100_80GB_HBM3", upload_tp=1)
    no_errors(at)
    # The course's and GenAI-Perf's model names resolve to catalog models: still the catalog's six.
    assert metric(at, "Models") == "6"
    assert any("nim.csv" in plain(m.value) for m in at.markdown)


def test_broken_upload_keeps_the_scenario(default_data):
    at = start("pages/data.py")
    at.select_slider(key="ttft").set_value(400.0).run()
    upload(at, "broken.csv", b"\x00\x01\x02binary")
    assert not at.exception
    assert any("broken.csv" in plain(e.value) and "binary" in plain(e.value) for e in at.error)
    assert at.select_slider(key="ttft").value == 400.0
    upload(at, "profile_export_genai_perf.json", b'{"time_to_first_token": {}}', upload_gpu="")
    assert any("not a GenAI-Perf summary" in plain(e.value) or "missing metric" in plain(e.value) for e in at.error)
    at.switch_page("pages/answer.py").run()
    assert at.select_slider(key="ttft").value == 400.0


def test_uploads_alone_hold_across_pages(default_data, nim_csv):
    at = start("pages/data.py")
    upload(at, "nim.csv", nim_csv.read_bytes())
    at.toggle(key="use_default_toggle").set_value(False).run()
    assert metric(at, "Rows") == "715"
    at.switch_page("pages/answer.py").run()
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    assert metric(at, "Servers (exact)") == "4.81"
    at.switch_page("pages/data.py").run()
    assert metric(at, "Rows") == "715" and at.toggle(key="use_default_toggle").value is False


@pytest.mark.parametrize("page", PAGES)
def test_missing_data_folder_is_a_message(monkeypatch, tmp_path, page):
    monkeypatch.setenv("SIZER_DATA_DIR", str(tmp_path / "nowhere"))
    at = start(page)
    assert not at.exception, [e.value for e in at.exception]
    assert any("does not exist" in e.value for e in at.error)


@pytest.mark.parametrize("page", PAGES)
def test_empty_data_folder(monkeypatch, tmp_path, page):
    monkeypatch.setenv("SIZER_DATA_DIR", str(tmp_path))
    at = start(page)
    assert not at.exception, [e.value for e in at.exception]


def test_headroom_slider_scales_the_answer(nim_dir):
    at = start("pages/sizing.py")
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    at.slider(key="utilisation").set_value(80).run()
    no_errors(at)
    assert round(at.dataframe[0].value["servers_exact"].iloc[0], 2) == 6.01  # 200 / (41.56 × 0.8)
    # Answer draws the same inputs in the sidebar. Between the two pages the URL carries them (the browser writes
    # bound values into it, AppTest does not: tests/browser covers the page switch).
    at = start()
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    at.slider(key="utilisation").set_value(80).run()
    assert metric(at, "Servers (exact)") == "6.01"
