"""The quote as an Excel workbook the customer can play with: on the Assumptions sheet the inputs are cells (shaded)
and the peak req/s, servers, GPUs and costs are live formulas over them, so a changed "calls per year" recomputes
the servers in Excel; the Options sheet sizes and costs every option with the same formulas, and the Data sheet says
where every number comes from. The formulas are the engine's (core.sizing, core.cost), written out; the cached value
of each is the engine's own result, and tests evaluate them with a formula engine. Written with xlsxwriter; every
text goes in as a string, neutralised as the CSV export is (a model name can come from an uploaded file)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from core import compare, cost, document
from core.document import QuoteInfo
from core.exports import neutralise
from core.inputs import finite_or_none
from core.quote import DataNote, headline
from core.sizing import EPS, Sizing
from core.traffic import SECONDS_PER_YEAR
from core.words import significant

HOURS_PER_YEAR = cost.HOURS_PER_YEAR
INPUT_FILL, INPUT_INK = "#FFF2CC", "#1F4E79"


@dataclass
class _Formats:
    book: xlsxwriter.Workbook
    cache: dict[tuple, object] = field(default_factory=dict)

    def get(self, number: str | None = None, *, is_input: bool = False, bold: bool = False, wrap: bool = False,
            header: bool = False, size: int | None = None, ink: str | None = None) -> object:
        key = (number, is_input, bold, wrap, header, size, ink)
        if key not in self.cache:
            spec: dict[str, object] = {"valign": "top"}
            if number:
                spec["num_format"] = number
            if is_input:
                spec |= {"bg_color": INPUT_FILL, "font_color": INPUT_INK, "border": 1, "border_color": "#BFBFBF"}
            if bold or header:
                spec["bold"] = True
            if header:
                spec |= {"bottom": 1, "bg_color": "#EEEEEE", "text_wrap": True}
            if wrap:
                spec["text_wrap"] = True
            if size:
                spec["font_size"] = size
            if ink:
                spec["font_color"] = ink
            self.cache[key] = self.book.add_format(spec)
        return self.cache[key]


def money_format(value: float | None) -> str:
    return "$#,##0" if value is not None and abs(value) >= 100 else "$#,##0.00##"


class _Assumptions:
    """Label, value, unit, source, as of, one row each; every value a named cell other sheets refer to."""

    def __init__(self, book: xlsxwriter.Workbook, formats: _Formats) -> None:
        self.book, self.f = book, formats
        self.ws = book.add_worksheet("Assumptions")
        self.row = 0
        self.names: dict[str, str] = {}
        for col, width in enumerate((46, 18, 26, 90, 12)):
            self.ws.set_column(col, col, width)

    def title(self, text: str) -> None:
        self.ws.write_string(self.row, 0, text, self.f.get(bold=True, size=14))
        self.row += 1

    def note(self, text: str) -> None:
        self.ws.write_string(self.row, 0, neutralise(text), self.f.get(ink="#616161"))
        self.row += 1

    def section(self, text: str) -> None:
        self.row += 1
        for col, head in enumerate((text, "Value", "Unit", "Source", "As of")):
            self.ws.write_string(self.row, col, head, self.f.get(header=True))
        self.row += 1

    def text(self, label: str, value: str) -> None:
        self.ws.write_string(self.row, 0, label)
        self.ws.write_string(self.row, 1, neutralise(value))
        self.row += 1

    def _name(self, name: str) -> str:
        self.book.define_name(name, f"=Assumptions!${xl_col_to_name(1)}${self.row + 1}")
        self.names[name] = xl_rowcol_to_cell(self.row, 1, row_abs=True, col_abs=True)
        return name

    def value(self, name: str, label: str, value: float | str, number: str = "#,##0.####", unit: str = "",
              source: str = "", as_of: str = "") -> str:
        """An input: the customer may change it."""
        self._name(name)
        self.ws.write_string(self.row, 0, label)
        if isinstance(value, str):
            self.ws.write_string(self.row, 1, neutralise(value), self.f.get(is_input=True))
        else:
            self.ws.write_number(self.row, 1, float(value), self.f.get(number, is_input=True))
        self._tail(unit, source, as_of)
        return name

    def formula(self, name: str, label: str, formula: str, cached: float, number: str = "#,##0.00",
                unit: str = "", how: str = "") -> str:
        """A live result: a formula over the inputs, cached at the engine's own value."""
        self._name(name)
        self.ws.write_string(self.row, 0, label)
        self.ws.write_formula(self.row, 1, formula, self.f.get(number, bold=True), cached)
        self._tail(unit, how, "")
        return name

    def _tail(self, unit: str, source: str, as_of: str) -> None:
        self.ws.write_string(self.row, 2, unit)
        if source:
            self.ws.write_string(self.row, 3, neutralise(source), self.f.get(wrap=len(source) > 90))
        if as_of:
            self.ws.write_string(self.row, 4, neutralise(as_of))
        self.row += 1


def quote_xlsx(result: Sizing, data_note: str | DataNote, info: QuoteInfo | None = None,
               scenarios: Sequence[compare.Scenario] = (), top: int | None = None) -> bytes:
    """The workbook as bytes: Assumptions (inputs and live results), Options (every option, live), Data (provenance)
    and, given scenarios, Scenarios side by side."""
    info = (info or QuoteInfo()).checked()
    result = document.costed(result)
    scenarios = compare.check(scenarios)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": "LLM inference sizing quote", "company": neutralise(info.customer),
                         "author": neutralise(info.prepared_by), "created": pd.Timestamp(document.today(info)).to_pydatetime()})
    book.set_calc_mode("auto")
    formats = _Formats(book)
    sheet = _Assumptions(book, formats)
    options = result.options if top is None else result.options.head(top)
    _assumptions(sheet, result, info)
    option_cells = _options(book, formats, result, options, sheet)
    _answer(sheet, result, option_cells)
    _data(book, formats, result, data_note, info)
    if scenarios:
        _scenarios(book, formats, scenarios)
    sheet.ws.activate()
    book.close()
    return buffer.getvalue()


# --- Assumptions ----------------------------------------------------------------------------------------------------

def _assumptions(a: _Assumptions, result: Sizing, info: QuoteInfo) -> None:
    t, q = result.traffic, result.query
    a.title("LLM inference sizing quote")
    a.text("Date", document.today(info))
    if info.customer:
        a.text("Customer / project", info.customer)
    if info.prepared_by:
        a.text("Prepared by", info.prepared_by)
    a.note("Shaded cells are inputs: change them and every bold result recomputes (Options sheet too).")
    a.note(headline(result) if result.best is not None else "Nothing in the data meets the latency limits.")

    a.section("Traffic")
    if t.inputs is not None:
        i = t.inputs
        a.value("calls_per_year", "Calls per year", i.calls_per_year, "#,##0", "calls")
        a.value("minutes_per_call", "Minutes per call", i.minutes_per_call, "#,##0.##", "min")
        a.value("rag_calls_per_minute", "RAG calls per minute", i.rag_calls_per_minute, "#,##0.##", "per min")
        a.value("llm_requests_per_rag_call", "LLM requests per RAG call", i.llm_requests_per_rag_call, "#,##0.##",
                "per RAG call")
        a.value("peak_factor", "Peak factor", i.peak_factor, "#,##0.##", "× the average")
        a.formula("requests_per_call", "Requests per call",
                  "=minutes_per_call*rag_calls_per_minute*llm_requests_per_rag_call", t.requests_per_call or 0,
                  "#,##0.##", "requests", "minutes × RAG calls per minute × requests per RAG call")
        a.formula("requests_per_year", "Requests per year", "=calls_per_year*requests_per_call",
                  t.requests_per_year or 0, "#,##0", "requests", "calls × requests per call")
        a.formula("avg_req_per_s", "Average requests per second", f"=requests_per_year/{SECONDS_PER_YEAR}",
                  t.avg_req_per_s or 0, "#,##0.00", "req/s", f"÷ {SECONDS_PER_YEAR:,} s in a 365-day year")
        a.formula("peak_req_per_s", "Peak requests per second", "=avg_req_per_s*peak_factor", t.peak_req_per_s,
                  "#,##0.00", "req/s", "average × peak factor")
    else:
        a.value("peak_req_per_s", "Peak requests per second", t.peak_req_per_s, "#,##0.00", "req/s", "given directly")

    a.section("Sizing")
    design = result.design.design_req_per_s if result.design is not None else t.peak_req_per_s
    burst = result.plan.burst if result.plan is not None else None
    how = ("no burst allowance" if burst is None else
           f"the app's Poisson {burst.percentile:g}th percentile over {burst.window_s:g} s at the quoted peak "
           "(re-run the app for a very different traffic: the allowance shrinks as traffic grows)")
    a.value("burst_factor", "Burst allowance", design / t.peak_req_per_s, "0.0000", "× the peak", how)
    a.formula("design_req_per_s", "Requests per second sized for", "=peak_req_per_s*burst_factor", design,
              "#,##0.00", "req/s", "peak × burst allowance")
    p_wait = result.plan.p_wait if result.plan is not None else None
    a.value("utilisation", "Planned utilisation", result.utilisation, "0%", "of the benchmarked throughput",
            "1 = as benchmarked (the NVIDIA sizing course)" if p_wait is None else
            f"headroom set per option for P(wait) ≤ {p_wait:.1%} (Erlang C): see the Options sheet")
    a.value("spares", "Spare servers", result.plan.spares if result.plan is not None else 0, "0", "servers",
            "for failures and maintenance, on top of the sized count")
    a.value("isl", "Input tokens per request", q.isl, "#,##0", "tokens")
    a.value("osl", "Output tokens per request", q.osl, "#,##0", "tokens")
    a.text("Latency limit", q.limits.describe())
    a.text("Model", result.frontier.model)

    settings = result.costing
    assert settings is not None
    a.section("Cost settings")
    a.value("include_power", "Power in the on-prem cost", 1 if settings.include_power else 0, "0", "1 = yes, 0 = no")
    a.value("rent_whole_servers", "Cloud rents whole servers", 1 if settings.rent == "servers" else 0, "0",
            "1 = whole servers, 0 = only the GPUs in use")
    a.value("peak_hours_per_day", "Cloud: hours a day at the peak fleet", settings.peak_hours_per_day, "0.##", "h",
            "the average fleet the rest of the day")
    a.text("Cloud price term", settings.cloud_term.replace("_", "-"))

    a.section("Prices")
    site = settings.prices.site
    for key, name, number, unit in (("depreciation_years", "depreciation_years", "0.##", "years"),
                                    ("cost_of_capital", "cost_of_capital", "0.0%", "a year"),
                                    ("hosting_usd_per_server_year", "hosting_usd_per_server_year", "$#,##0.00",
                                     "per server and year"),
                                    ("hosting_usd_per_kw_month", "hosting_usd_per_kw_month", "$#,##0.00",
                                     "per kW and month"),
                                    ("licence_usd_per_gpu_year", "licence_usd_per_gpu_year", "$#,##0", "per GPU and year"),
                                    ("electricity_usd_per_kwh", "electricity_usd_per_kwh", "$0.0000", "per kWh"),
                                    ("pue", "pue", "0.00", "facility ÷ IT power"),
                                    ("power_load", "power_load", "0%", "of the servers' maximum")):
        if key in site:
            figure = site[key]
            a.value(name, document.PRICE_NAMES[key], figure.value, number, unit, figure.source, figure.as_of)
    if "hosting_basis" in site:
        a.text("Hosting charged", str(site["hosting_basis"].value).replace("_", " "))
    if "depreciation_years" in a.names:
        years = float(site["depreciation_years"].value)  # type: ignore[arg-type]
        rate = float(site["cost_of_capital"].value) if "cost_of_capital" in site else 0.0  # type: ignore[arg-type]
        capital = "cost_of_capital" if "cost_of_capital" in a.names else "0"
        a.formula("capital_recovery", "Capital recovery factor",
                  f"=IF({capital}>0,{capital}/(1-(1+{capital})^-depreciation_years),1/depreciation_years)",
                  rate / (1 - (1 + rate) ** -years) if rate > 0 else 1 / years, "0.0000", "a year",
                  "the yearly payment per dollar of purchase price: 1 ÷ years without a cost of capital")
    found = settings.prices.api_offering(result.frontier.model, settings.api_offering)
    if found is not None:
        offering, entry = found
        a.text("API offering", offering)
        for key, name in (("usd_per_m_input", "api_usd_per_m_input"), ("usd_per_m_output", "api_usd_per_m_output")):
            figure = entry[key]
            a.value(name, f"API {document.PRICE_NAMES[key]}", figure.value, money_format(float(figure.value)),  # type: ignore[arg-type]
                    "per million tokens", figure.source, figure.as_of)
        if t.inputs is not None:
            api = finite_or_none(result.best.get("api_usd_per_year")) if result.best is not None else None
            a.formula("api_usd_per_year", "API cost per year", "=requests_per_year*(isl*api_usd_per_m_input"
                      "+osl*api_usd_per_m_output)/1000000", api or 0.0, "$#,##0", "a year",
                      "requests × (input tokens × price + output tokens × price) ÷ 1M")
    a.note("Per-GPU prices (server price, power, cloud price) are on the Options sheet, one row per option.")


# --- Options ----------------------------------------------------------------------------------------------------------

OPTION_COLUMNS = (
    # (key, header, width)
    ("rank", "#", 4), ("gpu", "GPU", 16), ("tp", "TP", 5), ("precision", "Precision", 9),
    ("load", "Concurrency per copy", 11), ("point", "Data", 12), ("source", "Source file", 22),
    ("ttft", "TTFT {stat} (ms)", 10), ("e2e", "End-to-end {stat} (ms)", 11), ("itl", "Inter-token {stat} (ms)", 11),
    ("rps", "Requests/s per copy", 11), ("gpi", "GPUs per copy", 8), ("node", "GPUs per server", 8),
    ("util", "Planned utilisation", 10), ("pps", "Prompts/s per server", 11), ("exact", "Servers (exact)", 10),
    ("servers", "Servers", 8), ("copies", "Copies of the model", 9), ("gpus", "GPUs", 8),
    ("buy", "Servers to buy (whole copies)", 11), ("spares", "With spares", 8), ("low", "Likely low (app)", 8),
    ("high", "Likely high (app)", 8), ("server_usd", "Server price", 12), ("server_kw", "Server kW", 8),
    ("cloud_rate", "Cloud $/GPU-hour", 9), ("licence", "Licence $/GPU-year", 10), ("onprem", "On-prem $/year", 13),
    ("power", "Power $/year", 11), ("cloud", "Cloud $/year", 13), ("api", "API $/year", 12),
    ("onprem_1k", "On-prem $ per 1,000 prompts", 10), ("cloud_1k", "Cloud $ per 1,000 prompts", 10),
    ("api_1k", "API $ per 1,000 prompts", 10), ("kw", "Power (kW)", 9),
)


def _options(book: xlsxwriter.Workbook, f: _Formats, result: Sizing, options: pd.DataFrame,
             a: _Assumptions) -> dict[str, str]:
    """Every option, its sizing and cost as formulas over the Assumptions; returns option 1's cells by key."""
    ws = book.add_worksheet("Options")
    stat = result.query.limits.stat
    col = {key: i for i, (key, _, _) in enumerate(OPTION_COLUMNS)}
    for key, header, width in OPTION_COLUMNS:
        ws.set_column(col[key], col[key], width)
        ws.write_string(0, col[key], header.format(stat=stat), f.get(header=True))
    ws.set_row(0, 45)
    ws.freeze_panes(1, 2)
    settings = result.costing
    assert settings is not None
    demand = cost.Demand.from_traffic(result.traffic, result.frontier.model, result.query.isl, result.query.osl)
    p_wait = result.plan.p_wait if result.plan is not None else None
    has_inputs = result.traffic.inputs is not None
    site = settings.prices.site
    first: dict[str, str] = {}
    for i, (_, row) in enumerate(options.iterrows()):
        r = i + 1

        def ref(key: str, r: int = r) -> str:
            return xl_rowcol_to_cell(r, col[key])

        def put(key: str, formula: str, cached: float, number: str, r: int = r) -> None:
            ws.write_formula(r, col[key], formula, f.get(number), cached)

        def text(key: str, value: object, r: int = r) -> None:
            ws.write_string(r, col[key], neutralise(str(value)))

        def given(key: str, value: float | None, number: str, r: int = r) -> None:
            if value is None:
                ws.write_string(r, col[key], "n/a")
            else:
                ws.write_number(r, col[key], value, f.get(number, is_input=True))

        modeled = document.is_modeled(row)
        ws.write_number(r, col["rank"], r)
        text("gpu", document.gpu_name(row))
        ws.write_number(r, col["tp"], int(row["tp"]))
        text("precision", row["precision"])
        ws.write_number(r, col["load"], float(row["load"]), f.get("#,##0.##"))
        text("point", document.POINT_WORDS.get(str(row["point"]), str(row["point"])))
        text("source", row.get("source", ""))
        for key, column in (("ttft", "ttft_ms"), ("e2e", "e2e_ms"), ("itl", "itl_ms")):
            value = finite_or_none(row[f"{column}_{stat}"])
            if value is None:
                ws.write_string(r, col[key], "n/a")
            else:  # as precisely as the data supports: an estimate to two significant figures (core.words.latency)
                shown = significant(value, 2) if modeled else round(value, 0 if value >= 10 else 1)
                ws.write_number(r, col[key], shown, f.get("#,##0" if shown >= 10 else "#,##0.0"))
        given("rps", float(row["req_per_s"]), "#,##0.000")
        given("gpi", int(row["gpus_per_instance"]), "0")
        given("node", int(row["node_gpus"]), "0")
        if p_wait is None:
            put("util", "=utilisation", result.utilisation, "0%")
        else:  # the share of the benchmarked rate that meets the P(wait) target, computed by the engine
            given("util", float(row["utilisation"]), "0.0%")
        put("pps", f"={ref('rps')}*{ref('node')}/{ref('gpi')}", float(row["prompts_per_s_per_server"]), "#,##0.00")
        put("exact", f"=design_req_per_s/({ref('pps')}*{ref('util')})", float(row["servers_exact"]), "#,##0.00")
        put("servers", f"=MAX(1,CEILING({ref('exact')}-{EPS:g},1))", int(row["servers"]), "#,##0")
        put("copies", f"=MAX(1,CEILING(design_req_per_s/({ref('rps')}*{ref('util')})-{EPS:g},1))",
            int(row["instances"]), "#,##0")
        put("gpus", f"={ref('copies')}*{ref('gpi')}", int(row["gpus"]), "#,##0")
        per_server = f"FLOOR({ref('node')}/{ref('gpi')},1)"
        put("buy", f"=IF({per_server}>=1,CEILING({ref('copies')}/{per_server},1),CEILING({ref('gpus')}/{ref('node')},1))",
            int(row["servers_packed"]), "#,##0")
        put("spares", f"={ref('servers')}+spares", int(row.get("servers_with_spares", row["servers"])), "#,##0")
        for key, column in (("low", "servers_low"), ("high", "servers_high")):
            value = finite_or_none(row.get(column))
            if value is None:
                ws.write_string(r, col[key], "–")
            else:
                ws.write_number(r, col[key], value, f.get("#,##0"))
        quote = cost.server_quote(settings.prices, str(row["gpu"]), settings.cloud_term)
        given("server_usd", quote.server_usd, "$#,##0")
        given("server_kw", quote.server_kw, "0.0#")
        given("cloud_rate", quote.cloud_usd_per_gpu_hour, "$#,##0.00##")
        given("licence", quote.licence_usd_per_gpu_year, "$#,##0")
        buy, kw = ref("buy"), ref("server_kw")
        missing = str(row.get("cost_missing") or "")
        power = f"{buy}*{kw}*power_load*pue*{HOURS_PER_YEAR}*electricity_usd_per_kwh"
        _cost_cell(ws, f, r, col["power"], f"={power}", row.get("power_usd_per_year"), missing)
        _cost_cell(ws, f, r, col["kw"], f"={buy}*{kw}*power_load", row.get("kw"), missing, "#,##0.0")
        hosting = (f"{buy}*hosting_usd_per_kw_month*{kw}*12" if str(site.get("hosting_basis", cost.Figure(
            "per_server_year", "", "")).value) == "per_kw_month" else f"{buy}*hosting_usd_per_server_year")
        price = ref("server_usd")
        onprem = (f"={buy}*{price}/depreciation_years+{buy}*{price}*(capital_recovery-1/depreciation_years)"
                  f"+{hosting}+IF(include_power=1,{ref('power')},0)+{buy}*{ref('node')}*{ref('licence')}")
        _cost_cell(ws, f, r, col["onprem"], onprem, row.get("onprem_usd_per_year"), missing)
        fleet = f"IF(rent_whole_servers=1,{buy}*{ref('node')},{ref('gpus')})"
        if settings.peak_hours_per_day >= 24 or not demand.avg_req_per_s:
            cloud = f"={fleet}*{HOURS_PER_YEAR}*{ref('cloud_rate')}"
        else:  # the average fleet off peak: fleet_at(average ÷ utilisation)
            off_copies = f"CEILING(avg_req_per_s/utilisation/{ref('rps')}-{EPS:g},1)"
            off_servers = (f"MAX(1,IF({per_server}>=1,CEILING({off_copies}/{per_server},1),"
                           f"CEILING({off_copies}*{ref('gpi')}/{ref('node')},1)))")
            off = f"IF(rent_whole_servers=1,{off_servers}*{ref('node')},{off_copies}*{ref('gpi')})"
            cloud = (f"=365*(peak_hours_per_day*{fleet}+(24-peak_hours_per_day)*{off})*{ref('cloud_rate')}")
        _cost_cell(ws, f, r, col["cloud"], cloud, row.get("cloud_usd_per_year"), missing)
        _cost_cell(ws, f, r, col["api"], "=api_usd_per_year" if "api_usd_per_year" in a.names else "",
                   row.get("api_usd_per_year"), missing)
        for basis in ("onprem", "cloud", "api"):
            formula = f"={ref(basis)}/requests_per_year*1000" if has_inputs else ""
            _cost_cell(ws, f, r, col[f"{basis}_1k"], formula, row.get(f"{basis}_usd_per_1k_prompts"), missing,
                       "$#,##0.00")
        if i == 0:
            first = {key: f"Options!{xl_rowcol_to_cell(r, col[key], row_abs=True, col_abs=True)}" for key in col}
    return first


def _cost_cell(ws: object, f: _Formats, r: int, c: int, formula: str, cached: object, missing: str,
               number: str = "$#,##0") -> None:
    """A cost formula, or n/a with the reason where the engine had no price for it."""
    value = finite_or_none(cached)
    if value is None or not formula:
        reason = f"n/a: {missing}" if missing else "n/a"
        ws.write_string(r, c, neutralise(reason))  # type: ignore[attr-defined]
    else:
        ws.write_formula(r, c, formula, f.get(number), value)  # type: ignore[attr-defined]


# --- the answer, live ----------------------------------------------------------------------------------------------

def _answer(a: _Assumptions, result: Sizing, cells: dict[str, str]) -> None:
    best = result.best
    a.section("Answer: the chosen option (option 1 on the Options sheet), live")
    if best is None or not cells:
        a.note("Nothing in the data meets the latency limits.")
        return
    a.text("Configuration", f"{document.configuration(best)}, concurrency {float(best['load']):,.3g} per copy")
    for key, label, column, number, unit in (
            ("exact", "Servers (exact, the course's formula)", "servers_exact", "#,##0.00", "8-GPU servers"),
            ("servers", "Servers (rounded up)", "servers", "#,##0", "8-GPU servers"),
            ("copies", "Copies of the model", "instances", "#,##0", "copies"),
            ("gpus", "GPUs", "gpus", "#,##0", "GPUs"),
            ("buy", "Servers to buy (whole copies per server)", "servers_packed", "#,##0", "servers"),
            ("spares", "Servers with spares", "servers_with_spares", "#,##0", "servers"),
            ("onprem", "On-prem cost per year", "onprem_usd_per_year", "$#,##0", "a year"),
            ("cloud", "Cloud cost per year", "cloud_usd_per_year", "$#,##0", "a year"),
            ("api", "API cost per year", "api_usd_per_year", "$#,##0", "a year"),
            ("power", "Power per year (on-prem)", "power_usd_per_year", "$#,##0", "a year"),
            ("onprem_1k", "On-prem $ per 1,000 prompts", "onprem_usd_per_1k_prompts", "$#,##0.00", "per 1,000 prompts"),
            ("cloud_1k", "Cloud $ per 1,000 prompts", "cloud_usd_per_1k_prompts", "$#,##0.00", "per 1,000 prompts"),
            ("api_1k", "API $ per 1,000 prompts", "api_usd_per_1k_prompts", "$#,##0.00", "per 1,000 prompts")):
        value = finite_or_none(best.get(column))
        if value is None:
            a.text(label, "n/a")
            continue
        a.formula(f"answer_{key}", label, f"={cells[key]}", value, number, unit)


# --- Data and Scenarios ------------------------------------------------------------------------------------------------

def _data(book: xlsxwriter.Workbook, f: _Formats, result: Sizing, data_note: str | DataNote, info: QuoteInfo) -> None:
    ws = book.add_worksheet("Data")
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 2, 90)
    ws.set_column(3, 3, 12)
    row = 0

    def line(text: str, fmt: object = None) -> None:
        nonlocal row
        ws.write_string(row, 0, neutralise(text), fmt)
        row += 1

    def header(*names: str) -> None:
        nonlocal row
        row += 1
        for c, name in enumerate(names):
            ws.write_string(row, c, name, f.get(header=True))
        row += 1

    line("Where the numbers come from", f.get(bold=True, size=14))
    line(f"Quote of {document.today(info)}")
    link = info.shown_link()
    if link:
        line(f"Scenario link: {link}")
    header("Data")
    for text in document.data_lines(result, data_note):
        line(text)
    for note in result.frontier.notes:
        line(f"Note: {note}.")
    header("Option", "Data", "Source file, and the GPU and model as the data spells them")
    for i, (_, r) in enumerate(result.options.iterrows(), start=1):
        ws.write_string(row, 0, neutralise(f"{i}. {document.configuration(r)}"))
        ws.write_string(row, 1, document.POINT_WORDS.get(str(r["point"]), str(r["point"])))
        ws.write_string(row, 2, neutralise(f"{r.get('source', '')}: {r['gpu']}, {r.get('model', '')}"))
        row += 1
    header("Price or fact", "Value", "Source", "As of")
    for p in document.price_rows(result, None):
        for c, key in enumerate(("item", "value", "source", "as_of")):
            ws.write_string(row, c, neutralise(p[key]), f.get(wrap=key == "source"))
        row += 1
    header("Method")
    for text in document.method_lines(result):
        ws.write_string(row, 0, neutralise(text))
        row += 1
    header("Traffic, step by step")
    for text in document.traffic_lines(result):
        line(text)


def _scenarios(book: xlsxwriter.Workbook, f: _Formats, scenarios: list[tuple[str, Sizing | str]]) -> None:
    ws = book.add_worksheet("Scenarios")
    frame = compare.compare_frame(scenarios)
    differs = compare.differing(frame)
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(frame.columns), 28)
    ws.write_string(0, 0, "Scenarios side by side (values as sized; rows that differ in bold)", f.get(bold=True))
    for c, name in enumerate(frame.columns, start=1):
        ws.write_string(1, c, neutralise(name), f.get(header=True))
    for r, (label, values) in enumerate(frame.iterrows(), start=2):
        fmt = f.get(bold=True, wrap=True) if differs[label] else f.get(wrap=True)
        ws.write_string(r, 0, str(label), fmt)
        for c, value in enumerate(values, start=1):
            ws.write_string(r, c, neutralise(str(value)), fmt)
