"""Chart specifications validate against the Vega-Lite schema; the quote lists every assumption."""

import io
import json
import re

import pandas as pd
import pytest

from core import charts
from core.frontier import Limits, Query
from core.quote import DataNote, details, headline, quote_text, to_csv_text, to_json
from core.schema import COLUMNS
from core.sizing import servers_by_limit, size
from core.table import prepare
from core.traffic import TrafficInputs, derive, direct


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
    assert "H100 SXM · TP1 · fp8" in set(curves["label"])  # the catalog's name, as the GPU filter (issue 7)
    assert set(chosen["label"]) <= set(curves["label"])


def test_cost_of_latency_matches_the_course(nim_table):
    result = _course(nim_table)
    steps = servers_by_limit(nim_table, result.query, result.traffic, [230, 500])
    # Notebook 2: 4.8 servers at ~220 ms (the c10 point has 220.8 ms), 2.8 at ~500 ms.
    assert [round(v, 1) for v in steps["servers_exact"]] == [4.8, 2.8]
    assert steps["label"].str.startswith("H100 SXM · TP1 · fp8").all()
    charts.cost_of_latency(steps, 300).to_dict()


def test_modeled_vs_measured_chart():
    both = pd.DataFrame({"req_per_s": [1.0, 2.0], "req_per_s_modeled": [1.1, 1.8], "gpu": ["A", "B"], "tp": [1, 2],
                         "precision": ["fp8", "fp8"], "concurrency": [1, 2], "isl": [1, 1], "osl": [1, 1]})
    spec = charts.modeled_vs_measured(both, "req_per_s").to_dict()
    assert spec["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"


def test_quote_lists_every_assumption(nim_table):
    result = _course(nim_table)
    text = quote_text(result, "nim.csv", link="https://sizer.example.com/?ttft=300")
    for needle in (headline(result), details(result), "30 M calls per year", "peak factor 7", "TTFT ≤ 300 ms (avg)",
                   "2000 input tokens, 200 output tokens", "measured concurrencies only", "Data: nim.csv",
                   "Scenario link: https://sizer.example.com/?ttft=300", "4.81"):
        assert needle in text, needle
    # Issue 7: plain words for a business reader; the catalog's names, the data's own spelling in the details.
    # Issue 10: the range; its low end is the next measured concurrency (25), where nim.csv's throughput would need 3.
    assert headline(result) == ("Llama 3 8B on H100 SXM: 39 copies of the model on 1 GPU each = 39 GPUs, on 5 "
                                "eight-GPU servers (likely 3–5; 1 GPU free), for 199.8 requests per second at peak with the first "
                                "token within 300 ms on average.")
    # 199.77 / 41.56 = 4.81 (Notebook 2); TTFT 220.8 ms at concurrency 10.
    assert details(result).startswith("H100 SXM (H100_80GB_HBM3 in the data), TP1, fp8, concurrency 10 per copy: "
                                      "41.56 prompts/s per 8-GPU server; 199.8 peak req/s ÷ 41.56 = 4.81 servers "
                                      "exactly, 5 rounded up")
    assert "measured, from nim.csv" in details(result)
    doc = to_json(result)
    assert round(doc["avg_rps"], 1) == 28.5 and doc["options"][0]["servers"] == 5
    json.dumps(doc)
    csv = to_csv_text(result).splitlines()
    assert csv[0].startswith("gpu,tp,precision,concurrency") and len(csv) == 1 + len(result.options)



def test_headline_for_several_gpus_per_copy(nim_table):
    # The 70B case of test_frontier: 5 TP4 copies = 20 GPUs, 2 per server → 3 servers, 4 GPUs free.
    result = size(nim_table, Query("llama3-70b", 2000, 200, Limits(ttft_ms=1000), gpus=("h100",)), direct(10))
    assert headline(result).startswith("Llama 3 70B on H100 SXM: 5 copies of the model on 4 GPUs each = 20 GPUs, on 3 "
                                       "eight-GPU servers (likely 2–3; 4 GPUs free), for 10.0 requests per second at peak")


def _tiny(tp, peak, stat="avg", traffic=None):
    """One hand-made curve: concurrency 1 and 2, e2e 1100 ms, so 0.909 and 1.818 req/s per copy."""
    rows = [{"model": "m", "gpu": "G", "tp": tp, "pp": 1, "gpus_per_instance": tp, "precision": "fp8", "engine": "e",
             "isl": 100, "osl": 200, "load_mode": "concurrency", "concurrency": c, "ttft_ms_avg": 100.0,
             "ttft_ms_p95": 120.0, "itl_ms_avg": 5.0, "e2e_ms_avg": 1100.0, "req_per_s": c / 1.1, "runs": 1,
             "source": "hand.csv", "provenance": "measured"} for c in (1, 2)]
    table = prepare(pd.DataFrame(rows))
    return size(table, Query("m", 100, 200, Limits(ttft_ms=300, stat=stat)), traffic or direct(peak))


@pytest.mark.parametrize("tp,peak,expected", [
    # peak 1 req/s ÷ 1.818 per copy → 1 copy; 1 GPU of one server.
    (1, 1.0, "m on G: 1 copy of the model on 1 GPU, on 1 eight-GPU server (7 GPUs free)"),
    # 3 ÷ 1.818 → 2 copies of 2 GPUs = 4 GPUs on one server.
    (2, 3.0, "m on G: 2 copies of the model on 2 GPUs each = 4 GPUs, on 1 eight-GPU server (4 GPUs free)"),
    # 27 ÷ 1.818 → 15 copies of 1 GPU = 15 GPUs on two servers, one GPU free.
    (1, 27.0, "m on G: 15 copies of the model on 1 GPU each = 15 GPUs, on 2 eight-GPU servers (1 GPU free)"),
    # 29 ÷ 1.818 → 16 copies: two full servers.
    (1, 29.0, "m on G: 16 copies of the model on 1 GPU each = 16 GPUs, on 2 eight-GPU servers,"),
])
def test_headline_in_plain_words(tp, peak, expected):
    assert headline(_tiny(tp, peak)).startswith(expected)


SINGULAR_AS_PLURAL = re.compile(r"(?<![\d.,])1 (servers|GPUs|copies|calls|requests|RAG calls|LLM requests|files)\b")
PLURAL_AS_SINGULAR = re.compile(r"(?<![\d.,])2 (server|GPU|copy|call|request|RAG call|LLM request|file)\b(?!s)")


@pytest.mark.parametrize("n", [1, 2])
def test_singular_and_plural_in_quote_and_headline(n):
    # Issue 7: "1 servers", "1 RAG calls per min". n calls of n min with n RAG calls × n LLM requests at peak factor n.
    traffic = derive(TrafficInputs(n * 31_536_000 / n ** 4, n, n, n, n))  # n req/s at peak
    result = _tiny(n, float(n), traffic=traffic)
    note = DataNote(files=("hand.csv",), uploads=tuple(f"hand{i}.csv" for i in range(n)))
    text = quote_text(result, note) + headline(result) + details(result)
    assert not SINGULAR_AS_PLURAL.search(text), SINGULAR_AS_PLURAL.search(text)
    assert not PLURAL_AS_SINGULAR.search(text), PLURAL_AS_SINGULAR.search(text)
    assert f"{n} RAG call{'s' if n > 1 else ''} per min" in text
    assert f"{n} cop{'ies' if n > 1 else 'y'} of the model" in text


def test_quote_names_the_uploaded_data_the_recipient_must_load(nim_table):
    # Issue 7: the link and the quote carry the scenario but not uploaded files.
    result = _course(nim_table)
    text = quote_text(result, DataNote(files=("modeled_default.csv", "nim.csv"), uploads=("nim.csv",)))
    assert "Uploaded: nim.csv" in text
    assert "the recipient must load the same file (nim.csv)" in text
    plain = quote_text(result, DataNote(files=("modeled_default.csv",)))
    assert "recipient" not in plain and "Data: modeled_default.csv" in plain


def test_options_csv_says_modeled_and_names_both_spellings(nim_table):
    from core.table import prepare as again

    result = _course(nim_table)
    csv = pd.read_csv(io.StringIO(to_csv_text(result)))
    assert (csv.loc[0, "gpu"], csv.loc[0, "gpu_in_data"], csv.loc[0, "point"]) == ("H100 SXM", "H100_80GB_HBM3", "measured")
    modeled = again(nim_table[list(COLUMNS)].assign(provenance="modeled"))
    out = pd.read_csv(io.StringIO(to_csv_text(size(modeled, result.query, result.traffic))))
    assert set(out["point"]) == {"solved"} and set(out["provenance"]) == {"modeled"}
