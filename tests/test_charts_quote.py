"""Chart specifications validate against the Vega-Lite schema; the quote lists every assumption."""

import json

import pandas as pd

from core import charts
from core.frontier import Limits, Query
from core.quote import headline, quote_text, to_csv_text, to_json
from core.sizing import servers_by_limit, size
from core.traffic import TrafficInputs, derive


def _course(nim_table):
    return size(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), gpus=("h100",)), derive(TrafficInputs()))


def test_frontier_chart_has_limit_rule_and_chosen_points(nim_table):
    result = _course(nim_table)
    rows = nim_table[(nim_table["model_key"] == "Llama 3 8B") & (nim_table["isl"] == 2000) & (nim_table["osl"] == 200)]
    curves = rows.assign(label=charts.curve_label(rows))
    chosen = result.options.assign(label=charts.curve_label(result.options))
    spec = charts.frontier(curves, "ttft_ms_avg", "prompts_per_s_per_server", 300, chosen).to_dict()  # validates
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["rect", "rule", "line", "circle", "point"]
    assert spec["layer"][2]["encoding"]["x"]["scale"]["type"] == "log"
    assert "H100_80GB_HBM3 · TP1 · fp8" in set(curves["label"])


def test_cost_of_latency_matches_the_course(nim_table):
    result = _course(nim_table)
    steps = servers_by_limit(nim_table, result.query, result.traffic, [230, 500])
    # Notebook 2: 4.8 servers at ~220 ms (the c10 point has 220.8 ms), 2.8 at ~500 ms.
    assert [round(v, 1) for v in steps["servers_exact"]] == [4.8, 2.8]
    charts.cost_of_latency(steps, 300).to_dict()


def test_modeled_vs_measured_chart():
    both = pd.DataFrame({"req_per_s": [1.0, 2.0], "req_per_s_modeled": [1.1, 1.8], "gpu": ["A", "B"], "tp": [1, 2],
                         "precision": ["fp8", "fp8"], "concurrency": [1, 2], "isl": [1, 1], "osl": [1, 1]})
    spec = charts.modeled_vs_measured(both, "req_per_s").to_dict()
    assert spec["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"


def test_quote_lists_every_assumption(nim_table):
    result = _course(nim_table)
    text = quote_text(result, "nim.csv", link="http://example/?ttft=300")
    for needle in ("5 servers of H100_80GB_HBM3", "30 M calls per year", "peak factor 7", "TTFT ≤ 300 ms (avg)",
                   "2000 input tokens, 200 output tokens", "measured concurrencies only", "Data: nim.csv",
                   "Scenario link: http://example/?ttft=300", "4.81"):
        assert needle in text, needle
    assert headline(result).startswith("5 servers of H100_80GB_HBM3 (39 GPUs, TP1, fp8)")
    doc = to_json(result)
    assert round(doc["avg_rps"], 1) == 28.5 and doc["options"][0]["servers"] == 5
    json.dumps(doc)
    csv = to_csv_text(result).splitlines()
    assert csv[0].startswith("gpu,tp,precision,concurrency") and len(csv) == 1 + len(result.options)
