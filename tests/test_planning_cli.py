"""The planning flags of `python -m core size` and the `capacity` command, as scripts use them."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

COURSE = ["--model", "llama3-8b", "--gpu", "h100", "--isl", "2000", "--osl", "200", "--ttft-ms", "300"]
CALLS = ["--minutes-per-call", "10", "--rag-calls-per-minute", "1", "--llm-requests-per-rag-call", "3", "--peak-factor", "7"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_size_json_carries_the_planning_fields(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--calls-per-year", "30000000", *CALLS, "--p-wait", "0.05",
              "--spares", "1", "--growth-per-year", "0.25", "--years", "3", "--peak-factor-range", "5", "9", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["design_rps"] == pytest.approx(199.77, abs=0.01) and doc["spares"] == 1 and doc["p_wait_target"] == 0.05
    best = doc["options"][0]
    assert set(best) >= {"servers_low", "servers_high", "servers_exact_low", "servers_exact_high", "utilisation",
                         "p_wait", "spread", "by_year", "servers_with_spares"}
    assert best["servers_low"] <= best["servers"] <= best["servers_high"]
    assert best["servers_exact_low"] <= best["servers_exact"] <= best["servers_exact_high"]
    assert best["p_wait"] <= 0.05 and 0 < best["utilisation"] < 1 and best["servers_with_spares"] == best["servers"] + 1
    assert {s["source"] for s in best["spread"]} >= {"peak factor"}
    assert sum(s["share"] for s in best["spread"]) == pytest.approx(1)
    assert [y["year"] for y in doc["by_year"]] == [0, 1, 2, 3]
    assert doc["by_year"][3]["peak_rps"] == pytest.approx(199.77 * 1.25 ** 3, abs=0.01)  # 390.18
    assert doc["by_year"] == best["by_year"]


def test_size_json_burst_step(nim_csv):
    # 2 req/s at the 95th percentile over 1 s: Poisson(2) puts 95 % of seconds at ≤ 5 arrivals (test_planning.py)
    out = run("size", "--data", str(nim_csv), *COURSE, "--peak-rps", "2", "--burst-percentile", "95",
              "--burst-window-s", "1", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["peak_rps"] == 2 and doc["design_rps"] == 5 and doc["burst"] == {"percentile": 95, "window_s": 1}


def test_size_text_explains_the_steps(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--peak-rps", "200", "--burst-percentile", "99", "--spares", "2")
    assert out.returncode == 0, out.stderr
    assert "99 % of windows hold at most" in out.stdout and "Erlang C" in out.stdout and "+ 2 for failures" in out.stdout


def test_capacity_json_by_the_course(nim_csv):
    # 5 servers × 41.56 prompts/s per 8 H100s (FP8, TP1, concurrency 10: the course's 41.6) = 207.8 req/s at peak;
    # ÷ 7 × 31,536,000 s ÷ 30 requests per call = 31.2 M calls a year
    out = run("capacity", "--data", str(nim_csv), *COURSE, "--servers", "5", *CALLS, "--json")
    assert out.returncode == 0, out.stderr
    best = json.loads(out.stdout)["options"][0]
    assert (best["gpu"], best["tp"], best["precision"], best["concurrency"]) == ("H100_80GB_HBM3", 1, "fp8", 10)
    assert round(best["peak_rps"], 1) == 207.8 and best["calls_per_year"] == pytest.approx(207.8 / 7 * 31_536_000 / 30, rel=1e-3)


def test_capacity_budget_text(nim_csv):
    out = run("capacity", "--data", str(nim_csv), *COURSE, "--usd-per-month", "100000")
    assert out.returncode == 0, out.stderr
    assert "What USD 100,000 a month carry" in out.stdout and "peak_rps" in out.stdout


@pytest.mark.parametrize("command,args,needle", [
    ("size", ["--peak-rps", "200", "--p-wait", "5"], "P(wait) is a probability"),
    ("size", ["--peak-rps", "200", "--years", "3"], "--growth-per-year and --years together"),
    ("size", ["--peak-rps", "200", "--burst-window-s", "10"], "needs --burst-percentile"),
    ("size", ["--peak-rps", "200", "--burst-percentile", "100"], "burst percentile"),
    ("size", ["--peak-rps", "200", "--peak-factor-range", "5", "9"], "call-centre assumptions"),
    ("size", ["--peak-rps", "200", "--spares", "-1"], "spares"),
    ("capacity", [], "--servers"),
    ("capacity", ["--servers", "2", "--usd-per-month", "9"], "not allowed with"),
    ("capacity", ["--servers", "0"], "at least 1"),
    ("capacity", ["--servers", "2", "--peak-factor", "7"], "missing --minutes-per-call"),
])
def test_bad_planning_input_exits_2_with_one_line(nim_csv, command, args, needle):
    out = run(command, "--data", str(nim_csv), *COURSE, *args)
    assert out.returncode == 2, out.stdout
    assert needle in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
