"""Issue 12: the quote a sales engineer sends. The PDF holds the answer, its range, every price with its source and
the data; the workbook's live formulas give the engine's servers and costs (evaluated by a formula engine, also after
the customer changes calls per year); user and data strings are neutralised; the CLI writes both files."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from dataclasses import replace

import formulas
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from pypdf import PdfReader

from core import charts, compare, cost, document
from core.document import QuoteInfo, public_link
from core.exports import neutralise
from core.frontier import Limits, Query
from core.inputs import finite_or_none
from core.planning import Plan
from core.quote import DataNote, headline, quote_text
from core.quote_pdf import printable, quote_pdf
from core.quote_xlsx import quote_xlsx
from core.sizing import size
from core.table import load_paths, prepare
from core.traffic import TrafficInputs, derive, direct
from core.words import latency, significant, usd
from tests.conftest import ROOT

DATE = dt.date(2025, 11, 30)
INFO = QuoteInfo("ACME call centre", "Jane Doe", DATE, "http://127.0.0.1:8501/answer?ttft=300")


@pytest.fixture(autouse=True)
def _no_public_url(monkeypatch):
    monkeypatch.delenv(document.PUBLIC_URL_ENV, raising=False)


def _costing(**kw) -> cost.CostSettings:
    return cost.CostSettings(cost.load_prices(), **kw)


def _course(nim_table, ttft_ms: float = 300, **kw):
    costing = _costing()
    return size(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=ttft_ms), gpus=("h100",)),
                derive(TrafficInputs()), cost.usd_per_gpu_hour(costing.prices), costing=costing, **kw)


def _pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages), len(reader.pages)


# --- the PDF ---------------------------------------------------------------------------------------------------------

def test_longer_workings_stay_on_two_pages(nim_table):
    """Uploads and a public link add lines to page two (a workshop's nim.csv on top of the embedded data): the type
    of the workings gets smaller rather than three lines spilling onto a third page."""
    result = _course(nim_table)
    note = DataNote(files=("modeled_default.csv", "nim.csv"), uploads=("nim.csv",))
    info = QuoteInfo("ACME call centre", "Jane Doe", DATE, "https://sizer.example.com/?ttft=300&gpus=H100+SXM")
    text, pages = _pdf_text(quote_pdf(result, note, info, nim_table))
    assert pages == 2 and "page 2 of 2" in text and "Method" in text and "Uploaded: nim.csv" in text


def test_course_pdf_holds_the_answer_range_prices_and_data_source(nim_table):
    result = _course(nim_table)
    pdf = quote_pdf(result, DataNote(files=("nim.csv",)), INFO, nim_table)
    text, pages = _pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and pages == 2  # one or two pages (issue 12)
    assert " ".join(headline(result).split()) in text  # the answer in one sentence, with its range (likely 3–5)
    # Notebook 2: 199.77 ÷ 41.56 = 4.81 servers, 5 whole; the range's low end is the next measured concurrency.
    for needle in ("likely 3–5", "4.81", "39 copies", "2025-11-30", "ACME call centre", "Jane Doe",
                   "TTFT ≤ 300 ms (avg)", "Data: nim.csv", "The answer rests on measured benchmark runs (nim.csv)",
                   "Method", "page 2 of 2"):
        assert needle in text, needle
    # Cost by hand: on-prem 5 × $320,000 ÷ 4 + 5 × $3,000 + 40 GPUs × $4,500 = $595,000; cloud 40 GPUs × 8,760 h ×
    # $4.25 = $1,489,200; API 900 M prompts × (2,000 + 200) tokens × $0.22 per 1M = $435,600.
    for needle in ("$595,000", "$1,489,200", "$435,600"):
        assert needle in text, needle
    prices = document.price_rows(result)
    assert len(prices) >= 10
    for price in prices:  # every price used, with its source and date
        for key in ("item", "value", "source", "as_of"):
            assert " ".join(price[key].split()) in text, (key, price[key])
    assert "127.0.0.1" not in text and "servers_exact" not in text and "usd_per_month" not in text


def test_pdf_link_only_when_public_and_the_same_bytes_for_the_same_quote(nim_table):
    result = _course(nim_table)
    public = replace(INFO, public_url="https://sizer.streamlit.app")
    text, _ = _pdf_text(quote_pdf(result, "nim.csv", public))
    assert "https://sizer.streamlit.app/answer?ttft=300" in text
    assert quote_pdf(result, "nim.csv", INFO) == quote_pdf(result, "nim.csv", INFO)  # the quote's date, not the clock


def test_pdf_without_an_answer_says_why_on_one_page(nim_table):
    text, pages = _pdf_text(quote_pdf(_course(nim_table, 1), "nim.csv", INFO, nim_table))
    assert pages == 1 and "No configuration in the data meets the latency limits. Nearest miss:" in text
    assert "Traffic, step by step" in text and "Cost of the chosen option" not in text


def _evil_table():
    """A hand-made curve whose names come from a hostile upload: formula triggers in the GPU and model columns."""
    rows = [{"model": "@SUM(1+1)", "gpu": "=HYPERLINK(\"http://x\")", "tp": 1, "pp": 1, "gpus_per_instance": 1,
             "precision": "fp8", "engine": "e", "isl": 100, "osl": 200, "load_mode": "concurrency", "concurrency": c,
             "ttft_ms_avg": 100.0, "itl_ms_avg": 5.0, "e2e_ms_avg": 1100.0, "req_per_s": c / 1.1, "runs": 1,
             "source": "-evil.csv", "provenance": "measured"} for c in (1, 2)]
    return prepare(pd.DataFrame(rows))


def test_injection_neutralised_in_pdf_and_workbook(tmp_path):
    table = _evil_table()
    result = size(table, Query("@SUM(1+1)", 100, 200, Limits(ttft_ms=300)), direct(3.0), costing=_costing())
    info = QuoteInfo("=cmd|' /C calc'!A0", "+Jane", DATE)
    text, _ = _pdf_text(quote_pdf(result, DataNote(files=("-evil.csv",)), info, table))
    assert "'=cmd|' /C calc'!A0" in text and "'+Jane" in text
    assert "'=HYPERLINK(\"http://x\") · TP1 · fp8" in text  # the options table's cell
    book = openpyxl.load_workbook(io.BytesIO(quote_xlsx(result, DataNote(files=("-evil.csv",)), info)))
    texts = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formulas_ = [t for t in texts if t.startswith("=")]
    assert formulas_ and not any("HYPERLINK" in f or "cmd" in f or "SUM(1+1)" in f for f in formulas_)
    assert not any(t.startswith(("+", "-", "@")) for t in texts)  # every text that would start a formula is quoted
    assert "'=HYPERLINK(\"http://x\")" in texts and "'=cmd|' /C calc'!A0" in texts and "'-evil.csv" in texts


def test_pdf_draws_what_its_font_lacks_as_a_question_mark():
    assert printable("Tokyo 東京 × ÷ ≤ – →") == "Tokyo ?? × ÷ ≤ – →"


# --- the workbook: live formulas give the engine's numbers -----------------------------------------------------------

class _Evaluated:
    """A workbook evaluated by the `formulas` engine, read by sheet and header."""

    def __init__(self, data: bytes, folder, inputs: dict[str, float] | None = None) -> None:
        path = folder / "quote.xlsx"
        path.write_bytes(data)
        self.book = openpyxl.load_workbook(path)
        model = formulas.ExcelModel().loads(str(path)).finish()
        cells = {}
        for name, value in (inputs or {}).items():
            sheet, ref = self.book.defined_names[name].attr_text.split("!")
            cells[f"'[quote.xlsx]{sheet.upper()}'!{ref.replace('$', '')}"] = value
        self.solution = model.calculate(inputs=cells)

    def cell(self, sheet: str, ref: str) -> float:
        return float(self.solution[f"'[quote.xlsx]{sheet.upper()}'!{ref}"].value[0, 0])

    def name(self, name: str) -> float:
        sheet, ref = self.book.defined_names[name].attr_text.split("!")
        return self.cell(sheet, ref.replace("$", ""))

    def option(self, row: int, header: str) -> float:
        headers = [c.value for c in self.book["Options"][1]]
        return self.cell("Options", f"{get_column_letter(headers.index(header) + 1)}{row + 2}")

    def is_formula(self, row: int, header: str) -> bool:
        headers = [c.value for c in self.book["Options"][1]]
        return str(self.book["Options"].cell(row + 2, headers.index(header) + 1).value).startswith("=")


CHECKED = {"Servers (exact)": "servers_exact", "Servers": "servers", "Copies of the model": "instances",
           "GPUs": "gpus", "Servers to buy (whole copies)": "servers_packed", "With spares": "servers_with_spares",
           "On-prem $/year": "onprem_usd_per_year", "Power $/year": "power_usd_per_year",
           "Cloud $/year": "cloud_usd_per_year", "API $/year": "api_usd_per_year",
           "On-prem $ per 1,000 prompts": "onprem_usd_per_1k_prompts", "Power (kW)": "kw"}


def _assert_options_match(book: _Evaluated, options: pd.DataFrame) -> None:
    for i, (_, row) in enumerate(options.iterrows()):
        for header, column in CHECKED.items():
            want = finite_or_none(row[column])
            if want is None:
                continue
            assert book.is_formula(i, header), (i, header)
            assert book.option(i, header) == pytest.approx(want, rel=1e-9), (i, header)


def test_course_workbook_formulas_reproduce_the_app(nim_table, tmp_path):
    result = _course(nim_table)
    book = _Evaluated(quote_xlsx(result, DataNote(files=("nim.csv",)), INFO), tmp_path)
    assert set(book.book.sheetnames) == {"Assumptions", "Options", "Data"}
    # The course's traffic by hand: 30 M calls × 30 requests ÷ 31,536,000 s = 28.54 req/s, × 7 = 199.77 at peak.
    assert book.name("peak_req_per_s") == pytest.approx(30e6 * 30 / 31_536_000 * 7)
    assert book.name("answer_exact") == pytest.approx(4.806, abs=1e-3)  # 199.77 ÷ 41.56 (Notebook 2)
    assert (book.name("answer_servers"), book.name("answer_gpus")) == (5, 39)
    assert book.name("answer_onprem") == 595_000 and book.name("answer_cloud") == 1_489_200  # by hand, above
    assert book.name("answer_api") == pytest.approx(435_600)
    _assert_options_match(book, result.options)


def test_second_workbook_with_headroom_power_spares_capital_and_part_day_cloud(tmp_path):
    loaded = load_paths([ROOT / "data" / "benchmarks"])
    prices = cost.apply_override(cost.load_prices(), {"site": {"cost_of_capital": 0.08}}, "test")
    costing = cost.CostSettings(prices, include_power=True, peak_hours_per_day=10, rent="gpus")
    traffic = derive(TrafficInputs(12e6, 6, 2, 2, 5))
    result = size(loaded.table, Query("llama3-70b", 2000, 200, Limits(ttft_ms=500)), traffic,
                  cost.usd_per_gpu_hour(prices), utilisation=0.8, costing=costing, plan=Plan(spares=1))
    options = result.options.head(12)
    book = _Evaluated(quote_xlsx(result, DataNote(files=tuple(loaded.files)), INFO, top=12), tmp_path)
    assert book.name("utilisation") == 0.8 and book.name("include_power") == 1
    _assert_options_match(book, options)
    assert book.name("answer_servers") == int(result.best["servers"])


def test_workbook_recomputes_when_the_customer_changes_calls_per_year(nim_table, tmp_path):
    result = _course(nim_table)
    doubled = _course(nim_table.copy())  # same query, sized again below at twice the calls
    doubled = size(nim_table, result.query, derive(TrafficInputs(calls_per_year=60e6)),
                   cost.usd_per_gpu_hour(result.costing.prices), costing=result.costing)
    book = _Evaluated(quote_xlsx(result, "nim.csv", INFO), tmp_path, {"calls_per_year": 60e6})
    assert book.name("peak_req_per_s") == pytest.approx(doubled.traffic.peak_req_per_s)
    again = doubled.options.set_index(["gpu", "tp", "precision"])
    for i, (_, row) in enumerate(result.options.iterrows()):  # each option's row recomputes as the app would
        want = again.loc[(row["gpu"], row["tp"], row["precision"])]
        assert book.option(i, "Servers (exact)") == pytest.approx(want["servers_exact"], rel=1e-9)
        assert book.option(i, "Servers") == want["servers"] and book.option(i, "GPUs") == want["gpus"]
        assert book.option(i, "On-prem $/year") == pytest.approx(want["onprem_usd_per_year"], rel=1e-9)
        assert book.option(i, "API $/year") == pytest.approx(want["api_usd_per_year"], rel=1e-9)
    assert book.name("answer_servers") == 10  # 399.5 req/s ÷ 41.56 = 9.61, rounded up


# --- the text quote ------------------------------------------------------------------------------------------------

def test_text_quote_reads_as_a_quote(nim_table):
    text = quote_text(_course(nim_table), DataNote(files=("nim.csv",)), info=INFO)
    for needle in ("Date: 2025-11-30", "Customer / project: ACME call centre", "Prepared by: Jane Doe",
                   "Servers: 5 servers (4.81 exactly; likely 3–5); 39 GPUs.", "Servers (exact)", "On-prem $/year",
                   "$595,000", "H100 SXM server price (8 GPUs): $320,000 · NVIDIA Deep Learning Institute course notebook",
                   "Electricity per kWh: $0.0895", "The answer rests on measured benchmark runs (nim.csv)."):
        assert needle in text, needle
    # No raw column names, no number to three decimals but a price as given ($0.0895 per kWh), no localhost link.
    assert not re.search(r"servers_exact|usd_per_month|(?<![\d.$])\d+\.\d{3,}|127\.0\.0\.1", text)


def test_modeled_latencies_to_two_significant_figures():
    loaded = load_paths([ROOT / "data" / "benchmarks"])
    result = size(loaded.table, Query("llama3-70b", 2000, 200, Limits(ttft_ms=500), gpus=("h100",)), direct(50),
                  costing=_costing())
    table = document.options_table(result)
    ttft = table.filter(like="TTFT").iloc[:, 0]
    assert all(len(v.replace(",", "").rstrip("0")) <= 2 for v in ttft), list(ttft)  # e.g. 430, not 434.37
    assert set(table["Data"]) == {"modeled"}
    assert any("Modeled figures are model estimates" in line for line in document.data_lines(result, "x.csv"))


@pytest.mark.parametrize("value,modeled,expected", [
    (220.84, False, "221"), (8.5598, False, "8.6"), (1923.6, False, "1,924"),  # measured: 1 ms, 0.1 ms below 10
    (434.37, True, "430"), (3216.18, True, "3,200"), (14.34, True, "14"), (8.56, True, "8.6"),  # modeled: 2 s.f.
    (float("nan"), True, "n/a"),
])
def test_latency_rounding(value, modeled, expected):
    assert latency(value, modeled) == expected


def test_money_and_significant_figures():
    assert (usd(595000.0), usd(1489200.4), usd(0.6611), usd(None), usd(-1234.5)) == (
        "$595,000", "$1,489,200", "$0.66", "n/a", "-$1,234")
    assert significant(0.012345, 2) == 0.012 and significant(98765, 1) == 100000


@pytest.mark.parametrize("link,base,expected", [
    ("http://127.0.0.1:8501/answer?a=1", "", None),
    ("http://localhost:8501/?a=1", "", None),
    ("http://10.0.0.5:8501/?a=1", "", None),
    ("http://my-laptop:8501/?a=1", "", None),
    ("http://sizer.corp/?a=1", "", None),
    ("https://sizer.streamlit.app/answer?a=1", "", "https://sizer.streamlit.app/answer?a=1"),
    ("http://127.0.0.1:8501/answer?a=1", "https://sizer.streamlit.app", "https://sizer.streamlit.app/answer?a=1"),
    ("http://127.0.0.1:8501/?a=1", "https://example.org/tools/sizer/", "https://example.org/tools/sizer/?a=1"),
    ("http://127.0.0.1:8501/?a=1", "http://localhost:9000", None),  # a private "public" address is no better
    (None, "https://sizer.streamlit.app", None),
])
def test_public_link(link, base, expected):
    assert public_link(link, base) == expected


def test_public_link_from_the_environment(monkeypatch):
    monkeypatch.setenv(document.PUBLIC_URL_ENV, "https://sizer.streamlit.app")
    assert public_link("http://127.0.0.1:8501/frontier?x=2") == "https://sizer.streamlit.app/frontier?x=2"


def test_quote_fields_are_one_line_and_bounded():
    assert QuoteInfo("  ACME\n\tcall\x00centre ", "").checked().customer == "ACME call centre"
    with pytest.raises(ValueError, match="customer is too long"):
        QuoteInfo("x" * 200).checked()


# --- scenarios side by side --------------------------------------------------------------------------------------------

def test_scenarios_side_by_side(nim_table):
    fast, slow = _course(nim_table, 300), _course(nim_table, 500)
    never = _course(nim_table, 1)
    scenarios = [("TTFT 300 ms", fast), ("TTFT 500 ms", slow), ("TTFT 1 ms", never), ("B200", "no B200 in nim.csv")]
    frame = compare.compare_frame(scenarios)
    differs = compare.differing(frame)
    assert list(frame.columns) == ["TTFT 300 ms", "TTFT 500 ms", "TTFT 1 ms", "B200"]
    # Notebook 2: 4.81 servers at 300 ms, 2.82 at 500 ms (70.75 prompts/s per server).
    assert frame.loc["Servers (exact)", "TTFT 300 ms"] == "4.81" and frame.loc["Servers (exact)", "TTFT 500 ms"] == "2.82"
    assert frame.loc["Configuration", "B200"] == "not answered: no B200 in nim.csv"
    assert frame.loc["Configuration", "TTFT 1 ms"].startswith("nothing in the data meets the limits; nearest miss")
    assert differs["Latency limit"] and differs["Servers (likely range)"] and not differs["Model"]
    points = compare.compare_points(scenarios)
    assert set(points["scenario"]) == {"TTFT 300 ms", "TTFT 500 ms"} and set(points["basis"]) == {"on-prem", "cloud", "API"}
    text, pages = _pdf_text(quote_pdf(fast, "nim.csv", INFO, nim_table, scenarios=scenarios))
    assert pages == 3 and "Scenarios side by side" in text and "not answered: no B200 in nim.csv" in text
    book = openpyxl.load_workbook(io.BytesIO(quote_xlsx(fast, "nim.csv", INFO, scenarios=scenarios)))
    assert [c.value for c in book["Scenarios"][2]][1:] == list(frame.columns)
    spec = charts.scenarios(points).to_dict()  # validates against the Vega-Lite schema
    assert spec["hconcat"][0]["layer"][1]["mark"]["type"] == "rule"  # the range as an error bar
    with pytest.raises(ValueError, match="at most 6"):
        compare.compare_frame([("s", fast)] * 7)


# --- the CLI ---------------------------------------------------------------------------------------------------------

COURSE = ["--model", "llama3-8b", "--gpu", "h100", "--isl", "2000", "--osl", "200", "--ttft-ms", "300",
          "--calls-per-year", "30e6", "--minutes-per-call", "10", "--rag-calls-per-minute", "1",
          "--llm-requests-per-rag-call", "3", "--peak-factor", "7"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_cli_quote_writes_pdf_workbook_and_text(nim_csv, tmp_path):
    pdf, xlsx = tmp_path / "quote.pdf", tmp_path / "quote.xlsx"
    out = run("quote", "--data", str(nim_csv), *COURSE, "--customer", "ACME", "--prepared-by", "Jane Doe",
              "--date", "2025-11-30", "--pdf", str(pdf), "--xlsx", str(xlsx))
    assert out.returncode == 0, out.stderr
    text, pages = _pdf_text(pdf.read_bytes())
    assert pages == 2 and "ACME" in text and "likely 3–5" in text
    assert openpyxl.load_workbook(xlsx).sheetnames == ["Assumptions", "Options", "Data"]
    assert out.stdout.startswith("LLM inference sizing quote") and "Date: 2025-11-30" in out.stdout
    assert f"wrote the PDF quote to {pdf}" in out.stderr


@pytest.mark.parametrize("args,needle", [
    (["--pdf", "/no/such/folder/q.pdf"], "/no/such/folder/q.pdf: cannot write there (no such folder)"),
    (["--date", "30/11/2025"], "argument --date: expected a date as YYYY-MM-DD; got '30/11/2025'"),
    (["--customer", "x" * 121], "--customer is too long: at most 120 characters; got 121"),
    (["--top", "0"], "--top must be from 1 to 50; got 0"),
    (["--pdf", "same.pdf", "--txt", "same.pdf"], "--pdf, --xlsx and --txt must name different files"),
    (["--ttft-ms", "-1"], "--ttft-ms must be a positive number; got -1"),
])
def test_cli_quote_bad_input_is_one_line_and_exit_2(nim_csv, tmp_path, args, needle):
    out = run("quote", "--data", str(nim_csv), *COURSE, *args)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {needle}"], out.stderr  # checked before any data is read


# --- properties ----------------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(customer=st.text(st.characters(categories=("L", "N", "P", "S", "Zs", "Cc")), max_size=60),
       prepared=st.text(max_size=30))
def test_any_names_give_documents_that_neither_fail_nor_start_a_formula(customer, prepared):
    result = size(_evil_table(), Query("@SUM(1+1)", 100, 200, Limits(ttft_ms=300)), direct(3.0), costing=_costing())
    info = QuoteInfo(customer, prepared, DATE).checked()
    text, _ = _pdf_text(quote_pdf(result, "hand.csv", info))
    if info.customer:
        assert " ".join(printable(neutralise_text(info.customer)).split()) in text
    book = openpyxl.load_workbook(io.BytesIO(quote_xlsx(result, "hand.csv", info)))
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("+", "-", "@", "\t", "\r")) for v in cells)
    assert all("SUM(1+1)" not in v and "HYPERLINK" not in v for v in cells if v.startswith("="))


def neutralise_text(text: str) -> str:
    return str(neutralise(text))


@settings(max_examples=200, deadline=None)
@given(host=st.sampled_from(["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.9", "[::1]", "172.16.4.4", "box",
                             "app.local", "169.254.1.1"]),
       port=st.integers(1, 65535), query=st.text(alphabet="abc=&%19", max_size=20))
def test_no_private_link_ever_survives(host, port, query):
    assert public_link(f"http://{host}:{port}/answer?{query}", "") is None
