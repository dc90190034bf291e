"""One number for one question (issues 7 and 13): for a modeled configuration, the Answer, Sizing, Frontier and What-if
pages and the CLI give the same operating point (the one the performance model solves for the limit) and the same
servers, and the range around it is found by solving again, not by stepping along a grid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import operating, perfmodel
from core.defaults import DEFAULT_TABLE
from core.document import configuration_words
from core.frontier import Limits, Query, search
from core.perfmodel import Config
from core.sizing import servers_by_limit, size
from core.table import load_paths
from core.traffic import TrafficInputs, derive, direct
from tests.app.conftest import APP, metric, no_errors, plain
from tests.conftest import ROOT
from tests.planning_fixtures import FakeBands

COURSE_PEAK = derive(TrafficInputs()).peak_req_per_s  # the app's default traffic: 199.77 req/s


@dataclass(frozen=True)
class Case:
    model: str
    gpu: str
    tp: int
    precision: str
    isl: int
    osl: int
    ttft_ms: float = 0.0  # 0: no limit, as the app's inputs say it
    e2e_ms: float = 0.0
    stat: str = "avg"

    @property
    def limits(self) -> Limits:
        return Limits(ttft_ms=self.ttft_ms or None, e2e_ms=self.e2e_ms or None, stat=self.stat)

    @property
    def config(self) -> Config:
        return Config.from_names(self.model, self.gpu, self.tp, self.precision, self.isl, self.osl)

    def link(self) -> dict[str, str | list[str]]:
        """The scenario as a share link carries it (sidebar) plus the What-if page's own inputs."""
        return {"model": self.model, "lengths": f"{self.isl}/{self.osl}", "gpus": [self.gpu], "tps": [str(self.tp)],
                "precisions": [self.precision], "ttft": f"{self.ttft_ms:g}", "e2e": f"{self.e2e_ms:g}",
                "stat": self.stat, "wi_model": self.model, "wi_gpus": [self.gpu], "wi_tps": [str(self.tp)],
                "wi_prec": [self.precision], "wi_isl": str(self.isl), "wi_osl": str(self.osl)}

    def cli(self) -> list[str]:
        args = ["size", "--json", "--model", self.model, "--gpu", self.gpu, "--tp", str(self.tp), "--precision",
                self.precision, "--isl", str(self.isl), "--osl", str(self.osl), "--stat", self.stat,
                "--calls-per-year", "30000000", "--minutes-per-call", "10", "--rag-calls-per-minute", "1",
                "--llm-requests-per-rag-call", "3", "--peak-factor", "7"]
        args += ["--ttft-ms", f"{self.ttft_ms:g}"] if self.ttft_ms else []
        return args + (["--e2e-ms", f"{self.e2e_ms:g}"] if self.e2e_ms else [])


CASES = {
    # Issue 7's case: What-if said 5.03 servers at concurrency 8, the Answer 4.33 at concurrency 10.
    "8B H100 TP1 FP8, TTFT 300 ms": Case("Llama 3 8B", "H100 SXM", 1, "fp8", 2000, 200, ttft_ms=300),
    "70B H100 TP4 FP8, TTFT 1 s": Case("Llama 3 70B", "H100 SXM", 4, "fp8", 2000, 200, ttft_ms=1000),
    "8B H200 TP1 FP16, end-to-end 3 s": Case("Llama 3 8B", "H200 SXM", 1, "fp16", 2000, 200, e2e_ms=3000),
    "3.1 70B B200 TP2 FP8, p95 TTFT 750 ms and end-to-end 4 s": Case("Llama 3.1 70B", "B200", 2, "fp8", 2000, 200,
                                                                      ttft_ms=750, e2e_ms=4000, stat="p95"),
}


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """The embedded default data, empty Streamlit caches and no remembered solved point: every surface solves."""
    monkeypatch.delenv("SIZER_DATA_DIR", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    operating.clear_memo()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def default_table() -> pd.DataFrame:
    return load_paths([DEFAULT_TABLE]).table


def _opened(case: Case, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in case.link().items():
        at.query_params[key] = value
    at.switch_page(page).run()
    no_errors(at)
    assert not at.toast, [t.value for t in at.toast]  # every link value was usable
    return at


def _cli(case: Case) -> dict:
    out = subprocess.run([sys.executable, "-m", "core", *case.cli()], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["options"][0]


def _chart_frames(at: AppTest, index: int = 0) -> list[pd.DataFrame]:
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[index].proto
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.datasets]


@pytest.mark.parametrize("name", list(CASES))
def test_every_surface_gives_the_same_point_and_servers(name):
    case = CASES[name]
    cli = _cli(case)
    # The CLI's answer is the model's solved point: on the limit (the tightest one binds), or at the capacity.
    solved = operating.operating_point(case.config, case.limits).iloc[0]
    assert (cli["point"], cli["provenance"]) == ("solved", "modeled")
    assert cli["concurrency"] == pytest.approx(solved["concurrency"], rel=1e-12)
    binding = max(cli[f"{m}_ms"] / getattr(case.limits, f"{m}_ms") for m in ("ttft", "e2e")
                  if getattr(case.limits, f"{m}_ms"))
    assert binding == pytest.approx(1.0, rel=1e-9)
    assert cli["servers_exact"] == pytest.approx(COURSE_PEAK / float(solved["prompts_per_s_per_server"]), rel=1e-12)
    concurrency, servers = cli["concurrency"], f"{cli['servers_exact']:.2f}"

    answer = _opened(case, "pages/answer.py")
    assert metric(answer, "Servers (exact)") == servers and metric(answer, "Servers (whole)") == str(cli["servers"])
    info = plain(answer.info[0].value)
    assert f"concurrency {concurrency:.3g} per instance (solved to your limit by the performance model)" in info, info
    said = ", ".join(f"{name} {cli[f'{m}_ms']:,.0f} ms" for m, name in (("ttft", "TTFT"), ("e2e", "end-to-end"))
                     if getattr(case.limits, f"{m}_ms"))  # the latencies limited, at the point
    assert f"{said} ({case.stat})" in info, info

    sizing = _opened(case, "pages/sizing.py")
    ranked = sizing.dataframe[0].value.iloc[0]
    assert ranked["load"] == pytest.approx(concurrency, rel=1e-12)
    assert f"{ranked['servers_exact']:.2f}" == servers and ranked["point"] == "solved"
    assert any(f"{servers} servers exactly" in plain(c.value) for c in sizing.caption)

    what_if = _opened(case, "pages/what-if.py")
    row = next(d for d in what_if.dataframe if "servers_exact" in d.value).value.iloc[0]
    assert row["load"] == pytest.approx(concurrency, rel=1e-12) and f"{row['servers_exact']:.2f}" == servers
    diamonds = [f for f in _chart_frames(what_if) if "label" in f and "load" not in f]
    assert len(diamonds) == 1 and diamonds[0]["concurrency"].tolist() == pytest.approx([concurrency], rel=1e-12)
    # Its tooltip says what the point is and the servers it gives.
    assert diamonds[0]["point"].tolist() == ["solved to your limit by the performance model"]
    assert [f"{v:.2f}" for v in diamonds[0]["servers_exact"]] == [servers]

    frontier = _opened(case, "pages/frontier.py")
    (chosen,) = [f for f in _chart_frames(frontier) if "label" in f and "load" not in f]
    assert chosen["concurrency"].tolist() == pytest.approx([concurrency], rel=1e-12)
    # The diamond sits on the solved point: its throughput is the one the servers were computed from.
    assert f"{COURSE_PEAK / chosen['prompts_per_s_per_server'].iloc[0]:.2f}" == servers
    said = [plain(c.value) for c in frontier.caption if plain(c.value).startswith("Best:")]
    assert len(said) == 1 and f"at concurrency {concurrency:.3g} (solved to your limit" in said[0], said
    assert f": {servers} servers exactly for 199.8 peak req/s, as on the Answer page" in said[0], said


def test_the_issue_case_in_figures():
    # Issue 7 found What-if at concurrency 8 (5.03 servers) and the Answer at 10 (4.33): grid points. Solved, both say
    # concurrency 14.55, where the modeled TTFT is 300 ms: 199.77 ÷ 57.51 prompts/s per server = 3.47 servers.
    cli = _cli(CASES["8B H100 TP1 FP8, TTFT 300 ms"])
    assert round(cli["concurrency"], 2) == 14.55 and round(cli["servers_exact"], 2) == 3.47 and cli["servers"] == 4
    assert cli["ttft_ms"] == pytest.approx(300, rel=1e-9)


def test_no_grid_point_beats_the_solved_one(default_table):
    # On the default table's own curve the best grid point that meets the limit serves fewer prompts/s per server
    # than the solved point (which lies between two grid points), so the solved answer needs fewer servers.
    case = CASES["8B H100 TP1 FP8, TTFT 300 ms"]
    query = Query(case.model, case.isl, case.osl, case.limits, (case.gpu,), (case.tp,), (case.precision,))
    best = search(default_table, query).points.iloc[0]
    rows = default_table[(default_table["curve_id"] == best["curve_id"])]
    meets = rows[rows["ttft_ms_avg"] <= 300]
    assert best["point"] == "solved"
    assert meets["load"].max() < best["load"] < rows.loc[rows["ttft_ms_avg"] > 300, "load"].min()
    assert meets["prompts_per_s_per_server"].max() < best["prompts_per_s_per_server"]
    # The row keeps the data's identity (its curve, spelling, source), with the model's figures at the solved load.
    assert (best["gpu_key"], best["source"], best["engine"]) == ("H100 SXM", "performance model", "modeled")
    assert best["prompts_per_s_per_server"] == pytest.approx(8 * best["req_per_s"], rel=1e-12)


def test_measured_curves_keep_measured_and_interpolated_points(nim_table):
    # nim.csv is measured: its points stay benchmarked concurrencies, or interpolated to the limit when asked.
    query = Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), gpus=("h100",))
    points = search(nim_table, query).points
    assert set(points["point"]) == {"measured"}
    assert points["load"].isin([1, 2, 5, 10, 25, 50, 100, 150, 200, 250]).all()
    interpolated = search(nim_table, Query(**{**query.__dict__, "interpolate": True})).points
    assert set(interpolated["point"]) <= {"measured", "interpolated"} and "interpolated" in set(interpolated["point"])


def test_a_modeled_curve_the_catalog_cannot_name_keeps_its_grid(default_table):
    # A modeled table for a GPU the catalog does not know: nothing to solve, so its best grid point, marked modeled.
    unknown = default_table[default_table["gpu_key"] == "H100 SXM"].assign(gpu="Acme X1", gpu_key="Acme X1")
    points = search(unknown, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300), tps=(1,), precisions=("fp8",))).points
    assert points["point"].iloc[0] == "modeled"
    assert points["load"].iloc[0] in (1, 2, 5, 10, 25, 50, 100, 150, 200, 256)


def test_solved_points_are_remembered_by_value(default_table):
    case = CASES["70B H100 TP4 FP8, TTFT 1 s"]
    query = Query(case.model, case.isl, case.osl, case.limits)
    first = search(default_table, query).points
    remembered = len(operating._MEMO)
    assert remembered >= len(first)
    # The same question with equal (not identical) objects finds every point remembered and gets the same rows.
    again = search(default_table.copy(), Query(case.model, case.isl, case.osl, Limits(ttft_ms=1000.0)))
    assert len(operating._MEMO) == remembered
    pd.testing.assert_frame_equal(first, again.points)


def test_the_cost_of_latency_sweep_solves_each_limit(default_table):
    # Every step of the sweep is the search at that limit: the batch solved ahead changes nothing but the time.
    query = Query("Llama 3 8B", 2000, 200, Limits(), gpus=("H100 SXM",))
    limits = [150.0, 300.0, 1000.0]
    steps = servers_by_limit(default_table, query, direct(COURSE_PEAK), limits)
    for limit, exact in zip(limits, steps["servers_exact"]):
        operating.clear_memo()
        alone = size(default_table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=limit), gpus=("H100 SXM",)),
                     direct(COURSE_PEAK)).best
        assert exact == pytest.approx(alone["servers_exact"], rel=1e-12)


def test_the_model_error_range_solves_again(default_table, monkeypatch):
    # TTFT truly ×0.9–×1.5 of modeled: the limit the model must meet is 300 ÷ 1.5 = 200 ms and 300 ÷ 0.9 = 333.3 ms,
    # so the TTFT source's ends are the servers of the points solved for those limits; req/s ×0.8–×1.25 divides the
    # servers by 1.25 and 0.8. No grid step is a source: the point is on the limit.
    fake = FakeBands({"req_per_s": (0.8, 1.25), "ttft_ms": (0.9, 1.5)})
    monkeypatch.setattr(perfmodel, "error_band", fake, raising=False)
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp8", 2000, 200)
    best = size(default_table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300), ("H100 SXM",), (1,), ("fp8",)),
                direct(COURSE_PEAK)).best
    spread = {s["source"]: s for s in best["spread"]}
    assert set(spread) == {"model error in req/s", "model error in TTFT"}

    def servers(ttft_ms: float) -> float:
        return COURSE_PEAK / float(operating.operating_point(cfg, Limits(ttft_ms=ttft_ms))["prompts_per_s_per_server"]
                                   .iloc[0])

    assert spread["model error in TTFT"]["servers_exact_high"] == pytest.approx(servers(300 / 1.5), rel=1e-12)
    assert spread["model error in TTFT"]["servers_exact_low"] == pytest.approx(servers(300 / 0.9), rel=1e-12)
    assert servers(300 / 0.9) < best["servers_exact"] < servers(300 / 1.5)
    assert spread["model error in req/s"]["servers_exact_low"] == pytest.approx(best["servers_exact"] / 1.25)
    assert spread["model error in req/s"]["servers_exact_high"] == pytest.approx(best["servers_exact"] / 0.8)
    # H100 SXM FP8 is what the calibration measured: the in-sample band, below the knee (14.5 of 256 sequences).
    assert ("ttft_ms", "below_knee", False) in fake.calls and not best["data_edge"]
    # FP4 was never measured: the extrapolated band.
    fake.calls.clear()
    size(default_table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300), ("B200",), (1,), ("fp4",)),
         direct(COURSE_PEAK))
    assert set(fake.calls) == {("req_per_s", "below_knee", True), ("ttft_ms", "below_knee", True)}


def test_exports_say_modeled_and_solved(default_table):
    from core.quote import details, quote_text, to_csv_text

    case = CASES["8B H100 TP1 FP8, TTFT 300 ms"]
    result = size(default_table, Query(case.model, case.isl, case.osl, case.limits, (case.gpu,)),
                  derive(TrafficInputs()))
    csv = pd.read_csv(__import__("io").StringIO(to_csv_text(result)))
    assert set(csv["point"]) == {"solved"} and set(csv["provenance"]) == {"modeled"}
    assert "concurrency 14.5 per copy" in details(result)
    assert "solved to the limit by the performance model" in details(result)
    text = quote_text(result, "the embedded data")
    assert "Operating points: modeled points solved to the limit by the performance model" in text
    assert not re.search(r"modeled concurrencies only", text)
    assert np.isfinite(csv["concurrency"]).all()


def test_csv_point_column_names_each_kind(default_table):
    # One table, four curves of Llama 3 8B TP1 FP8 at 2000/200, each giving one kind of point at TTFT <= 300 ms:
    # H100 SXM modeled (the catalog knows it: solved); the same curve for GPUs the catalog does not know: whole
    # (interpolated between two modeled grid points) and cut at concurrency 5, every point of which meets the limit
    # (its last modeled grid point); H200 SXM relabelled measured (interpolated to the limit) and B200 relabelled
    # measured and cut at concurrency 5 (its last measured point).
    from core.quote import to_csv_text
    from core.schema import COLUMNS
    from core.table import prepare

    def curve(gpu: str) -> pd.DataFrame:
        rows = default_table[(default_table["gpu_key"] == gpu) & (default_table["model_key"] == "Llama 3 8B")
                             & (default_table["tp"] == 1) & (default_table["precision"] == "fp8")
                             & (default_table["isl"] == 2000) & (default_table["osl"] == 200)]
        return rows[list(COLUMNS)]

    raw = pd.concat([curve("H100 SXM"), curve("H100 SXM").assign(gpu="Acme X1"),
                     curve("H100 SXM").query("concurrency <= 5").assign(gpu="Acme X2"),
                     curve("H200 SXM").assign(provenance="measured", source="h200.csv"),
                     curve("B200").query("concurrency <= 5").assign(provenance="measured", source="b200.csv")],
                    ignore_index=True)
    result = size(prepare(raw), Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300), interpolate=True),
                  direct(COURSE_PEAK))
    csv = pd.read_csv(__import__("io").StringIO(to_csv_text(result)))
    kinds = dict(zip(csv["gpu"], zip(csv["point"], csv["provenance"])))
    assert kinds == {"H100 SXM": ("solved", "modeled"), "Acme X1": ("interpolated", "modeled"),
                     "Acme X2": ("modeled", "modeled"),
                     "H200 SXM": ("interpolated", "measured"), "B200": ("measured", "measured")}, kinds
    assert csv.set_index("gpu").loc[["B200", "Acme X2"], "concurrency"].tolist() == [5, 5]


def test_a_point_stopped_by_the_models_ceiling_does_not_claim_the_limit():
    """TTFT ≤ 10 s is never reached: the solved point is the most one copy holds (the engine's batch of 256, or the
    KV cache), and the Answer page and the quote say so instead of 'solved to your limit'."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ttft"] = "10000"
    at.run()
    no_errors(at)
    info = plain(at.info[0].value)
    assert "the most one copy holds at once in the performance model" in info, info
    assert "solved to your limit" not in info
    limits = Limits(ttft_ms=10_000)
    result = size(load_paths([DEFAULT_TABLE]).table, Query("Llama 3 8B", 2000, 200, limits), direct(199.77))
    best = result.best
    assert best["point"] == "solved" and best["ttft_ms_avg"] < 10_000
    assert not operating.limit_binds(best, limits)
    assert "the latency limit is not reached there" in configuration_words(result)
