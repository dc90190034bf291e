"""`python -m core size|import|...`: the engine from a shell, so a sales engineer can script a quote."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core import cost, planning
from core.errors import SizerError
from core.exports import csv_text
from core.frontier import Limits, Query, check_query
from core.importers import RunLabels
from core.inputs import InputError
from core.quote import details, headline, options_records, to_json
from core.sizing import Sizing, check_utilisation, size
from core.table import LoadedData, benchmark_dir, flagged_runs, load_paths
from core.traffic import Traffic, TrafficInputs, derive, direct
from core.words import count

SHOWN = 5  # dropped rows and flagged runs listed one by one; the rest counted


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SizerError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="LLM inference sizing from benchmark data.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("size", help="servers needed for a traffic within latency limits")
    _size_args(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")

    qt = sub.add_parser("quote", help="the quote a sales engineer sends: PDF, Excel workbook and text")
    _size_args(qt)
    _quote_args(qt)

    k = sub.add_parser("capacity", help="the peak req/s and calls per year a fleet or a monthly budget carries")
    _capacity_args(k)

    i = sub.add_parser("import", help="normalise benchmark files into the canonical table")
    i.add_argument("paths", nargs="+", type=Path)
    i.add_argument("--out", type=Path, required=True)
    _label_args(i)

    c = sub.add_parser("calibrate", help="fit the performance model to measured sweeps and report its error")
    c.add_argument("--data", action="append", type=Path, required=True, help="measured benchmark file or folder")
    c.add_argument("--out", type=Path, help="calibration file to write (default: data/calibration.json)")
    c.add_argument("--plot", type=Path, help="also write modeled-against-measured charts to this HTML file")

    p = sub.add_parser("predict", help="modeled metrics for every configuration found in a benchmark file")
    p.add_argument("--like", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)

    g = sub.add_parser("generate", help="rebuild the embedded default data from the calibrated model")
    g.add_argument("--out", type=Path, help="CSV to write (default: data/benchmarks/modeled_default.csv)")

    pr = sub.add_parser("prices", help="every price and fact the cost uses, with its source and date")
    pr.add_argument("--prices", action="append", type=Path, default=[],
                    help="TOML file overriding data/prices.toml (same keys; repeatable, later files win)")
    return parser


def _query_args(p: argparse.ArgumentParser) -> None:
    """What to search: the data, the model and lengths, the filters and the latency limits (size, quote, capacity)."""
    p.add_argument("--data", action="append", type=Path, help="benchmark file or folder (repeatable)")
    p.add_argument("--model", required=True)
    p.add_argument("--gpu", action="append", default=[], help="GPU filter (repeatable)")
    p.add_argument("--tp", action="append", type=int, default=[], help="TP filter (repeatable)")
    p.add_argument("--precision", action="append", default=[], help="precision filter (repeatable)")
    p.add_argument("--isl", type=int, required=True, help="input tokens per request")
    p.add_argument("--osl", type=int, required=True, help="output tokens per request")
    p.add_argument("--ttft-ms", type=float)
    p.add_argument("--e2e-ms", type=float)
    p.add_argument("--itl-ms", type=float)
    p.add_argument("--min-tok-per-s-per-user", type=float)
    p.add_argument("--stat", default="avg", choices=["avg", "p50", "p90", "p95", "p99"])
    p.add_argument("--interpolate", action="store_true", help="also points interpolated to the exact limit")


def _size_args(p: argparse.ArgumentParser) -> None:
    """The scenario's flags, shared by `size` and `quote`."""
    _query_args(p)
    p.add_argument("--peak-rps", type=float)
    p.add_argument("--calls-per-year", type=float)
    p.add_argument("--minutes-per-call", type=float)
    p.add_argument("--rag-calls-per-minute", type=float)
    p.add_argument("--llm-requests-per-rag-call", type=float)
    p.add_argument("--peak-factor", type=float)
    p.add_argument("--utilisation", type=float, default=1.0,
                   help="plan at this share of the benchmarked throughput (1 = as measured, the course; 0.8 = 20 %% headroom)")
    p.add_argument("--rank-by", default="servers", choices=["servers", "cost"],
                   help="fewest servers (default) or lowest yearly cost on --cost-basis")
    _cost_args(p)
    _planning_args(p)
    p.add_argument("--growth-per-year", type=float, help="traffic growth a year as a fraction (0.25 = 25 %%/yr)")
    p.add_argument("--years", type=int, help="growth horizon in years: servers for each year")
    p.add_argument("--peak-factor-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="how unsure the peak factor is: widens the servers range")
    p.add_argument("--minutes-per-call-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="how unsure the minutes per call are: widens the servers range")


def _quote_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customer", default="", help="customer or project the quote is for")
    p.add_argument("--prepared-by", default="", help="who prepared the quote")
    p.add_argument("--pdf", type=Path, help="write the quote as PDF to this file")
    p.add_argument("--xlsx", type=Path, help="write the Excel workbook (live formulas) to this file")
    p.add_argument("--txt", type=Path, help="write the text quote to this file instead of standard output")
    p.add_argument("--date", type=_date, help="the quote's date, YYYY-MM-DD (default today)")
    p.add_argument("--top", type=int, default=5, help="options shown in the PDF and text (default 5)")
    p.add_argument("--paper", default="A4", choices=["A4", "Letter"], help="PDF paper size")
    p.add_argument("--link", help="the scenario's address in the app (kept only when public; see SIZER_PUBLIC_URL)")


def _cost_args(p: argparse.ArgumentParser) -> None:
    from core.cost import BASES, CLOUD_TERMS, RENT

    p.add_argument("--prices", action="append", type=Path, default=[],
                   help="TOML file overriding data/prices.toml (same keys; repeatable, later files win)")
    p.add_argument("--cost-basis", default="onprem", choices=BASES,
                   help="cost to rank by and to give per 1M tokens: on-prem TCO (default), cloud rental or API")
    p.add_argument("--include-power", action="store_true",
                   help="add electricity (server kW × PUE × hours × $/kWh) to the on-prem cost")
    p.add_argument("--peak-hours-per-day", type=float, default=24.0,
                   help="cloud: hours a day the peak fleet is rented; the average fleet the rest (default 24)")
    p.add_argument("--rent", default="servers", choices=RENT, help="cloud: whole 8-GPU servers (default) or only the GPUs in use")
    p.add_argument("--cloud-term", default="on_demand", choices=list(CLOUD_TERMS), help="cloud price: on-demand or reserved")
    p.add_argument("--api-offering", help="API offering to compare with (default: the price sheet's first for the model)")


def _planning_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--burst-percentile", type=float, metavar="P",
                   help="size for the P-th percentile of Poisson arrivals within the peak (e.g. 95, 99, 99.9)")
    p.add_argument("--burst-window-s", type=float, metavar="S", help="window of the burst percentile (default 1 s)")
    p.add_argument("--p-wait", type=float, metavar="X",
                   help="plan the headroom so that the Erlang-C probability of waiting is at most X (0.05 = 5 %%)")
    p.add_argument("--spares", type=int, default=0, metavar="K", help="spare servers for failures and maintenance")


def _capacity_args(k: argparse.ArgumentParser) -> None:
    _query_args(k)
    k.add_argument("--utilisation", type=float, default=1.0, help="plan at this share of the benchmarked throughput")
    have = k.add_mutually_exclusive_group(required=True)
    have.add_argument("--servers", type=int, help="servers you have (of the GPU's usual 8)")
    have.add_argument("--usd-per-month", type=float, help="monthly budget at the on-demand cloud prices (data/prices.toml)")
    k.add_argument("--prices", action="append", type=Path, default=[],
                   help="TOML file overriding data/prices.toml (same keys; repeatable, later files win)")
    k.add_argument("--minutes-per-call", type=float, help="with the next three: also calls per year")
    k.add_argument("--rag-calls-per-minute", type=float)
    k.add_argument("--llm-requests-per-rag-call", type=float)
    k.add_argument("--peak-factor", type=float)
    k.add_argument("--json", action="store_true", help="print one JSON object")
    _planning_args(k)


def _label_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu")
    p.add_argument("--tp", type=int)
    p.add_argument("--precision")
    p.add_argument("--model")
    p.add_argument("--engine")
    p.add_argument("--concurrency", type=float)
    p.add_argument("--isl", type=int, help="requested input tokens, for files that do not record them")
    p.add_argument("--osl", type=int, help="requested output tokens, for files that do not record them")


def flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each input's field name → the flag that sets it, so that an error names the flag as the user typed it."""
    out = {"peak_req_per_s": "--peak-rps"}
    for action in parser._actions:  # argparse keeps no public list of a parser's actions
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out = flags(sub) | out
        elif action.option_strings:
            out.setdefault(action.dest, action.option_strings[-1])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        commands = {"size": _size, "quote": _quote, "capacity": _capacity, "import": _import, "calibrate": _calibrate,
                    "predict": _predict, "generate": _generate, "prices": _prices}
        return commands[args.command](args)
    except InputError as exc:
        print(f"error: {exc.message(flags(parser))}", file=sys.stderr)
        return 2
    except SizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _traffic(args: argparse.Namespace) -> Traffic:
    business = ("calls_per_year", "minutes_per_call", "rag_calls_per_minute", "llm_requests_per_rag_call", "peak_factor")
    given = [n for n in business if getattr(args, n) is not None]
    if args.peak_rps is not None:
        if given:
            raise SizerError("give either --peak-rps or the call-centre assumptions, not both")
        return direct(args.peak_rps)
    if len(given) != len(business):
        missing = ", ".join("--" + n.replace("_", "-") for n in business if n not in given)
        raise SizerError(f"give --peak-rps, or all of the call-centre assumptions (missing {missing})")
    return derive(TrafficInputs(**{n: getattr(args, n) for n in business}))


def _size(args: argparse.Namespace) -> int:
    result, _ = _sized(args)
    if args.json:
        doc = to_json(result)
        for record, cost_record in zip(doc["options"], cost.cost_records(result.options)):  # type: ignore[call-overload]
            record["cost"] = cost_record
        doc["cost"] = _cost_summary(result)
        print(json.dumps(doc, indent=2))
    else:
        print(to_text(result))
        print(_cost_text(result))
    return 0


def _query(args: argparse.Namespace) -> Query:
    """The search the flags of _query_args describe, checked before any data is read."""
    limits = Limits(args.ttft_ms, args.e2e_ms, args.itl_ms, args.min_tok_per_s_per_user, args.stat)
    query = Query(args.model, args.isl, args.osl, limits, tuple(args.gpu), tuple(args.tp), tuple(args.precision),
                  args.interpolate)
    check_query(query)
    return query


def _sized(args: argparse.Namespace) -> tuple[Sizing, LoadedData]:
    """The scenario the flags describe, sized: inputs checked first, then the data read (its notices on stderr)."""
    traffic = _traffic(args)
    query = _query(args)
    check_utilisation(args.utilisation)  # the inputs first: a typo is one line, before any data is read
    plan = _plan(args, growth=True)
    planning.design(traffic, plan)  # checks the plan fits the traffic before any data is read
    costing = _costing(args)
    loaded = load_paths(args.data or [benchmark_dir()])
    report_loaded(loaded)
    result = size(loaded.table, query, traffic, cost.usd_per_gpu_hour(costing.prices, costing.cloud_term), args.rank_by,
                  args.utilisation, costing, plan)
    return result, loaded


def _quote(args: argparse.Namespace) -> int:
    """The quote's documents; every check (inputs, the fields, the output folders) before any data is read."""
    from core.document import QuoteInfo
    from core.quote import DataNote, quote_text

    info = QuoteInfo(args.customer, args.prepared_by, args.date, args.link).checked()
    if not 1 <= args.top <= MAX_TOP:
        raise SizerError(f"--top must be from 1 to {MAX_TOP}; got {args.top}")
    outputs = [path for path in (args.pdf, args.xlsx, args.txt) if path is not None]
    for path in outputs:
        if path.is_dir() or not path.resolve().parent.is_dir():
            raise SizerError(f"{path}: cannot write there ({'a folder' if path.is_dir() else 'no such folder'})")
    if len(set(map(Path.resolve, outputs))) < len(outputs):
        raise SizerError("--pdf, --xlsx and --txt must name different files")
    result, loaded = _sized(args)
    note = DataNote(files=tuple(loaded.files))
    text = quote_text(result, note, info=info, top=args.top)
    if args.pdf is not None:
        from core.quote_pdf import quote_pdf

        args.pdf.write_bytes(quote_pdf(result, note, info, loaded.table, top=args.top, paper=args.paper))
        print(f"wrote the PDF quote to {args.pdf}", file=sys.stderr)
    if args.xlsx is not None:
        from core.quote_xlsx import quote_xlsx

        args.xlsx.write_bytes(quote_xlsx(result, note, info))
        print(f"wrote the workbook to {args.xlsx}", file=sys.stderr)
    if args.txt is not None:
        args.txt.write_text(text, encoding="utf-8")
        print(f"wrote the text quote to {args.txt}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


MAX_TOP = 50


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD; got {text!r}") from None


def _costing(args: argparse.Namespace) -> cost.CostSettings:
    prices = cost.load_prices(args.prices)
    for note in prices.notes:
        print(f"note: {note}", file=sys.stderr)
    return cost.CostSettings(prices, args.cost_basis, args.include_power, args.peak_hours_per_day, args.rent,
                             args.cloud_term, args.api_offering)


def _break_even(result: Sizing) -> cost.BreakEven | None:
    best = result.best
    if best is None or result.costing is None or result.traffic.inputs is None:
        return None
    return cost.break_even(best, result.traffic, result.costing, result.frontier.model, result.query.isl,
                           result.query.osl, result.utilisation)


def _cost_summary(result: Sizing) -> dict[str, object]:
    costing = result.costing
    assert costing is not None
    be = _break_even(result)
    return {
        "basis": costing.basis, "include_power": costing.include_power, "rent": costing.rent,
        "cloud_term": costing.cloud_term, "peak_hours_per_day": costing.peak_hours_per_day,
        "settings": cost.describe(costing), "price_files": list(costing.prices.files),
        "prices": cost.used_figures(costing.prices, result.options.get("gpu", []), result.frontier.model, costing),
        "break_even": None if be is None else {
            "configuration": be.label, "calls_per_year": be.calls_per_year,
            "crossovers": [{"cheaper": c.cheaper, "dearer": c.dearer, "calls_per_year": c.calls_per_year, "text": c.text}
                           for c in be.crossovers]},
    }


def _cost_text(result: Sizing) -> str:
    costing = result.costing
    if costing is None or result.options.empty:
        return ""
    o = result.options
    lines = ["", f"Cost per year ({cost.describe(costing)}):"]
    table = pd.DataFrame({
        "gpu": o["gpu_key"], "tp": o["tp"], "precision": o["precision"], "servers": o["servers_packed"],
        "on-prem $/yr": o["onprem_usd_per_year"], "cloud $/yr": o["cloud_usd_per_year"], "API $/yr": o["api_usd_per_year"],
        "power $/yr": o["power_usd_per_year"], f"{cost.BASIS_NAMES[costing.basis]} $/1k prompts":
            o[f"{costing.basis}_usd_per_1k_prompts"], "$/1M tokens": o["usd_per_m_tokens"], "kW": o["kw"],
        "racks": o["racks"]})
    lines.append(table.to_string(index=False, na_rep="n/a", float_format=lambda x: f"{x:,.2f}"))
    for missing in dict.fromkeys(m for text in o["cost_missing"] for m in str(text).split("; ") if m):
        lines.append(f"  n/a: {missing}")
    be = _break_even(result)
    if be is not None:
        lines.append(f"Break-even for {be.label}, at {be.calls_per_year:,.0f} calls a year now:")
        lines += [f"  {c.text}" for c in be.crossovers]
    lines.append("Prices used (value · source · as of):")
    for row in cost.used_figures(costing.prices, o["gpu"], result.frontier.model, costing):
        lines.append(f"  [{row['section']}] {row['key']} = {cost.show(row['value'])} · {row['source']} · {row['as_of']}")
    return "\n".join(lines)


def _prices(args: argparse.Namespace) -> int:
    prices = cost.load_prices(args.prices)
    for note in prices.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"Prices from {', '.join(prices.files)} (value · source · as of):")
    for row in prices.rows():
        print(f"  [{row['section']}] {row['key']} = {cost.show(row['value'])} · {row['source']} · {row['as_of']}")
    return 0


def report_loaded(loaded: LoadedData) -> None:
    """On stderr, what loading left out or doubts: dropped rows, notices, runs that fail Little's law."""
    _listing("row dropped", "rows dropped", [str(d) for d in loaded.dropped])
    _listing("notice", "notices", [str(w) for w in loaded.warnings])
    flagged = flagged_runs(loaded.table)
    _listing("run flagged by Little's law (concurrency differs from req/s × mean latency by more than 15 %)",
             "runs flagged by Little's law (concurrency differs from req/s × mean latency by more than 15 %)",
             [f"{r.source}: {r.model} {r.gpu} TP{r.tp} {r.precision} {r.isl}/{r.osl} at concurrency {r.concurrency:g}, "
              f"req/s × latency = {r.littles_law_ratio:.2f} × concurrency" for r in flagged.itertuples()])


def _listing(one: str, many: str, items: list[str]) -> None:
    if not items:
        return
    print(f"{len(items)} {one if len(items) == 1 else many}:", file=sys.stderr)
    for item in items[:SHOWN]:
        print(f"  {item}", file=sys.stderr)
    if len(items) > SHOWN:
        print(f"  and {len(items) - SHOWN} more", file=sys.stderr)


def _plan(args: argparse.Namespace, growth: bool = False) -> planning.Plan:
    if args.burst_window_s is not None and args.burst_percentile is None:
        raise SizerError("--burst-window-s needs --burst-percentile")
    burst = (planning.Burst(args.burst_percentile, 1.0 if args.burst_window_s is None else args.burst_window_s)
             if args.burst_percentile is not None else None)
    extra = {}
    if growth:
        if (args.growth_per_year is None) != (args.years is None):
            raise SizerError("give --growth-per-year and --years together")
        extra = {"growth_per_year": args.growth_per_year, "years": args.years or 0,
                 "peak_factor_range": _pair(args.peak_factor_range),
                 "minutes_per_call_range": _pair(args.minutes_per_call_range)}
    return planning.Plan(burst=burst, p_wait=args.p_wait, spares=args.spares, **extra)


def _pair(values: list[float] | None) -> tuple[float, float] | None:
    return None if values is None else (values[0], values[1])


def _capacity(args: argparse.Namespace) -> int:
    query = _query(args)
    business = ("minutes_per_call", "rag_calls_per_minute", "llm_requests_per_rag_call", "peak_factor")
    given = [n for n in business if getattr(args, n) is not None]
    if given and len(given) != len(business):
        missing = ", ".join("--" + n.replace("_", "-") for n in business if n not in given)
        raise SizerError(f"calls per year need all of the call assumptions (missing {missing})")
    inputs = None
    if given:  # derive() validates them as it does for `size`; its peak is not used
        inputs = derive(TrafficInputs(calls_per_year=1, **{n: getattr(args, n) for n in business})).inputs
    loaded = load_paths(args.data or [benchmark_dir()])
    result = planning.capacity(loaded.table, query, servers=args.servers, usd_per_month=args.usd_per_month,
                               usd_per_gpu_hour=cost.usd_per_gpu_hour(cost.load_prices(args.prices)),
                               utilisation=args.utilisation,
                               plan=_plan(args), inputs=inputs)
    print(json.dumps(capacity_json(result), indent=2) if args.json else capacity_text(result))
    return 0


CAPACITY_COLUMNS = ("gpu", "tp", "precision", "concurrency", "servers", "usable_servers", "instances", "gpus",
                    "rate_rps", "peak_rps", "calls_per_year", "usd_per_month", "point", "provenance")


def capacity_json(result: planning.Capacity) -> dict[str, object]:
    o = result.options
    options = [{c: (_plain(o[c].iloc[i]) if c != "concurrency" else _plain(o["load"].iloc[i])) for c in CAPACITY_COLUMNS}
               for i in range(len(o))]
    out: dict[str, object] = {"model": result.frontier.model, "isl": result.query.isl, "osl": result.query.osl,
                              "limits": result.query.limits.describe(), "servers": result.servers,
                              "usd_per_month": result.usd_per_month, "spares": result.plan.spares,
                              "options": options, "notes": result.notes}
    if result.frontier.nearest_miss is not None:
        out["nearest_miss"] = result.frontier.nearest_miss.describe()
    return out


def capacity_text(result: planning.Capacity) -> str:
    q = result.query
    have = (f"{result.servers} server{'s' if result.servers != 1 else ''}" if result.servers is not None
            else f"USD {result.usd_per_month:,.0f} a month")
    lines = [f"What {have} carry: {result.frontier.model}, {q.isl} in / {q.osl} out tokens, {q.limits.describe()}"]
    if result.plan.spares:
        lines.append(f"  {result.plan.spares} server(s) kept as spares")
    if result.options.empty:
        miss = result.frontier.nearest_miss
        lines.append("  nothing meets the limits" + (f"; {miss.describe()}" if miss else ""))
    else:
        table = pd.DataFrame(capacity_json(result)["options"])
        if result.inputs is None:
            table = table.drop(columns="calls_per_year")
        lines.append(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    lines += [f"  {n}" for n in result.notes]
    return "\n".join(lines)


def _plain(value: object) -> object:
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def to_text(result: Sizing) -> str:
    lines = ["Traffic:", *("  " + s for s in result.traffic.steps()), ""]
    q = result.query
    lines.append(f"{result.frontier.model}, {q.isl} in / {q.osl} out tokens, {q.limits.describe()}:")
    lines += [f"  note: {note}" for note in result.frontier.notes]
    if result.options.empty:
        miss = result.frontier.nearest_miss
        lines.append("  nothing meets the limits" + (f"; {miss.describe()}" if miss else ""))
        return "\n".join(lines)
    lines += [f"  {headline(result)}", f"  {details(result)}"]
    table = pd.DataFrame(options_records(result)).drop(columns=["source"])
    if (table["provenance"] == "modeled").any():
        from core.perfmodel import accuracy_note

        lines.append(f"  rows marked modeled are {accuracy_note()}")
    shown = ["gpu", "tp", "precision", "concurrency", "ttft_ms", "e2e_ms", "itl_ms", "prompts_per_s_per_server",
             "servers_exact", "servers_low", "servers", "servers_high", "gpus", "utilisation", "p_wait", "point",
             "provenance"]  # the rest (spread, notes, cost, growth) is in --json and in the lines below
    lines.append(table[[c for c in shown if c in table]].to_string(index=False, na_rep="–",
                                                                   float_format=lambda x: f"{x:,.2f}"))
    lines += ["", *planning.summary_lines(result)]
    return "\n".join(lines)


def _import(args: argparse.Namespace) -> int:
    labels = RunLabels(model=args.model, gpu=args.gpu, tp=args.tp, precision=args.precision, engine=args.engine,
                       concurrency=args.concurrency, isl=args.isl, osl=args.osl)
    loaded = load_paths(args.paths, labels)
    args.out.write_text(csv_text(loaded.table), encoding="utf-8")
    print(f"wrote {count(len(loaded.table), 'row')} to {args.out}")
    report_loaded(loaded)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from core import calibration

    loaded = load_paths(args.data)
    report_loaded(loaded)
    report = calibration.calibrate(loaded.table, ", ".join(p.name for p in args.data))
    calibration.write(report, args.out or calibration.CALIBRATION_FILE)
    print(calibration.report_text(report))
    if args.plot:
        from core import charts
        from core.perfmodel import Params

        found, _ = calibration.curves(loaded.table)
        both = calibration.predict(found, Params(**report["params"]))
        figure = charts.calibration_report(both)
        figure.save(str(args.plot))
        print(f"wrote the modeled-against-measured charts to {args.plot}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from core.perfmodel import predict_like

    loaded = load_paths([args.like], required=())  # the model needs each row's configuration and load, no metric
    report_loaded(loaded)
    at_rate = loaded.table["load_mode"] == "request_rate"
    modeled, problems = predict_like(loaded.table[~at_rate])
    args.out.write_text(csv_text(modeled), encoding="utf-8")
    print(f"wrote {count(len(modeled), 'modeled row')} for {count(len(loaded.table), 'measured one')} to {args.out}")
    problems += [f"{r.source}: request rate {r.request_rate:g}/s: the model predicts a closed loop at a concurrency, "
                 "and this run set a request rate instead" for r in loaded.table[at_rate].itertuples()]
    for problem in problems:
        print(f"not modeled: {problem}", file=sys.stderr)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from core import defaults

    table, skipped = defaults.generate()
    defaults.write(table, args.out or defaults.DEFAULT_TABLE)
    print(f"wrote {count(len(table), 'modeled row')} to {args.out or defaults.DEFAULT_TABLE}; "
          f"{count(len(skipped), 'configuration')} {'does' if len(skipped) == 1 else 'do'} not fit and "
          f"{'was' if len(skipped) == 1 else 'were'} left out")
    return 0
