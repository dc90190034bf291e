"""Exports are safe to open in a spreadsheet: a text cell never starts a formula (issue 8, CSV injection)."""

import io

import pandas as pd
import pytest

from core.exports import csv_text, neutralise, safe_frame, safe_text
from core.frontier import Limits, Query
from core.quote import quote_text, to_csv_text
from core.sizing import size
from core.table import prepare
from core.traffic import direct

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_start_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["H100 SXM", "fp8", "", "'already", 5, -5.0, None, "a=b", "x-1"])
def test_other_values_are_kept(value):
    assert neutralise(value) == value


def test_frames_neutralise_text_but_not_numbers():
    frame = pd.DataFrame({"name": ["=1+1", "ok"], "delta": [-5.0, 2.0], "count": [-1, 3]})
    out = safe_frame(frame)
    assert list(out["name"]) == ["'=1+1", "ok"] and list(out["delta"]) == [-5.0, 2.0] and list(out["count"]) == [-1, 3]
    assert list(frame["name"]) == ["=1+1", "ok"]  # the input is not changed
    assert csv_text(frame).splitlines() == ["name,delta,count", "'=1+1,-5.0,-1", "ok,2.0,3"]


def test_text_lines_and_tab_separated_fields_are_neutralised():
    text = "Model: m\n=HYPERLINK(1)\nok\t@SUM(1)\n====\n----\n"
    assert safe_text(text) == "Model: m\n'=HYPERLINK(1)\nok\t'@SUM(1)\n====\n----\n"  # rules carry no formula


def _hostile_result():
    rows = [{"model": HOSTILE[0], "gpu": HOSTILE[3], "tp": 1, "pp": 1, "gpus_per_instance": 1, "precision": HOSTILE[1],
             "engine": "e", "isl": 100, "osl": 200, "load_mode": "concurrency", "concurrency": c,
             "ttft_ms_avg": 100.0, "itl_ms_avg": 5.0, "e2e_ms_avg": 1100.0, "req_per_s": c / 1.1, "runs": 1,
             "source": HOSTILE[2], "provenance": "measured"} for c in (1, 2)]
    return size(prepare(pd.DataFrame(rows)), Query("HYPERLINK", 100, 200, Limits(ttft_ms=300)), direct(5))


def test_the_options_csv_and_the_quote_carry_no_formula():
    result = _hostile_result()
    cells = pd.read_csv(io.StringIO(to_csv_text(result)), dtype=str, keep_default_na=False).to_numpy().ravel()
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
    assert "'@SUM(1+1)" in set(cells)
    quote = quote_text(result, "\n=HYPERLINK(\"http://evil.example\")")
    for line in quote.splitlines():
        for cell in line.split("\t"):
            assert not cell.startswith(("=", "+", "-", "@", "\r")) or set(cell) <= {"=", "-"}, line
