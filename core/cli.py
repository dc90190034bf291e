"""`python -m core size|import|...`: the engine from a shell, so a sales engineer can script a quote."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core import catalog, planning
from core.errors import SizerError
from core.frontier import Limits, Query
from core.importers import RunLabels
from core.quote import options_records, to_json
from core.sizing import Sizing, size
from core.table import benchmark_dir, load_paths
from core.traffic import Traffic, TrafficInputs, derive, direct


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SizerError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="LLM inference sizing from benchmark data.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("size", help="servers needed for a traffic within latency limits")
    s.add_argument("--data", action="append", type=Path, help="benchmark file or folder (repeatable)")
    s.add_argument("--model", required=True)
    s.add_argument("--gpu", action="append", default=[], help="GPU filter (repeatable)")
    s.add_argument("--tp", action="append", type=int, default=[], help="TP filter (repeatable)")
    s.add_argument("--precision", action="append", default=[], help="precision filter (repeatable)")
    s.add_argument("--isl", type=int, required=True, help="input tokens per request")
    s.add_argument("--osl", type=int, required=True, help="output tokens per request")
    s.add_argument("--ttft-ms", type=float)
    s.add_argument("--e2e-ms", type=float)
    s.add_argument("--itl-ms", type=float)
    s.add_argument("--min-tok-per-s-per-user", type=float)
    s.add_argument("--stat", default="avg", choices=["avg", "p50", "p90", "p95", "p99"])
    s.add_argument("--peak-rps", type=float)
    s.add_argument("--calls-per-year", type=float)
    s.add_argument("--minutes-per-call", type=float)
    s.add_argument("--rag-calls-per-minute", type=float)
    s.add_argument("--llm-requests-per-rag-call", type=float)
    s.add_argument("--peak-factor", type=float)
    s.add_argument("--interpolate", action="store_true", help="also points interpolated to the exact limit")
    s.add_argument("--utilisation", type=float, default=1.0,
                   help="plan at this share of the benchmarked throughput (1 = as measured, the course; 0.8 = 20 %% headroom)")
    s.add_argument("--rank-by", default="servers", choices=["servers", "cost"],
                   help="fewest servers (default) or lowest monthly rental at the catalog's prices")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    _planning_args(s)
    s.add_argument("--growth-per-year", type=float, help="traffic growth a year as a fraction (0.25 = 25 %%/yr)")
    s.add_argument("--years", type=int, help="growth horizon in years: servers for each year")
    s.add_argument("--peak-factor-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="how unsure the peak factor is: widens the servers range")
    s.add_argument("--minutes-per-call-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="how unsure the minutes per call are: widens the servers range")

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
    return parser


def _planning_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--burst-percentile", type=float, metavar="P",
                   help="size for the P-th percentile of Poisson arrivals within the peak (e.g. 95, 99, 99.9)")
    p.add_argument("--burst-window-s", type=float, metavar="S", help="window of the burst percentile (default 1 s)")
    p.add_argument("--p-wait", type=float, metavar="X",
                   help="plan the headroom so that the Erlang-C probability of waiting is at most X (0.05 = 5 %%)")
    p.add_argument("--spares", type=int, default=0, metavar="K", help="spare servers for failures and maintenance")


def _capacity_args(k: argparse.ArgumentParser) -> None:
    k.add_argument("--data", action="append", type=Path, help="benchmark file or folder (repeatable)")
    k.add_argument("--model", required=True)
    k.add_argument("--gpu", action="append", default=[], help="GPU filter (repeatable)")
    k.add_argument("--tp", action="append", type=int, default=[], help="TP filter (repeatable)")
    k.add_argument("--precision", action="append", default=[], help="precision filter (repeatable)")
    k.add_argument("--isl", type=int, required=True, help="input tokens per request")
    k.add_argument("--osl", type=int, required=True, help="output tokens per request")
    k.add_argument("--ttft-ms", type=float)
    k.add_argument("--e2e-ms", type=float)
    k.add_argument("--itl-ms", type=float)
    k.add_argument("--min-tok-per-s-per-user", type=float)
    k.add_argument("--stat", default="avg", choices=["avg", "p50", "p90", "p95", "p99"])
    k.add_argument("--interpolate", action="store_true", help="also points interpolated to the exact limit")
    k.add_argument("--utilisation", type=float, default=1.0, help="plan at this share of the benchmarked throughput")
    have = k.add_mutually_exclusive_group(required=True)
    have.add_argument("--servers", type=int, help="servers you have (of the GPU's usual 8)")
    have.add_argument("--usd-per-month", type=float, help="monthly budget at the catalog's rental prices")
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


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"size": _size, "capacity": _capacity, "import": _import, "calibrate": _calibrate, "predict": _predict,
                    "generate": _generate}
        return commands[args.command](args)
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
    traffic = _traffic(args)
    limits = Limits(args.ttft_ms, args.e2e_ms, args.itl_ms, args.min_tok_per_s_per_user, args.stat)
    query = Query(args.model, args.isl, args.osl, limits, tuple(args.gpu), tuple(args.tp), tuple(args.precision),
                  args.interpolate)
    plan = _plan(args, growth=True)
    loaded = load_paths(args.data or [benchmark_dir()])
    result = size(loaded.table, query, traffic, catalog.usd_per_gpu_hour(), args.rank_by, args.utilisation, plan)
    print(json.dumps(to_json(result), indent=2) if args.json else to_text(result))
    return 0


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
    limits = Limits(args.ttft_ms, args.e2e_ms, args.itl_ms, args.min_tok_per_s_per_user, args.stat)
    query = Query(args.model, args.isl, args.osl, limits, tuple(args.gpu), tuple(args.tp), tuple(args.precision),
                  args.interpolate)
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
                               usd_per_gpu_hour=catalog.usd_per_gpu_hour(), utilisation=args.utilisation,
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
    if result.options.empty:
        miss = result.frontier.nearest_miss
        lines.append("  nothing meets the limits" + (f"; {miss.describe()}" if miss else ""))
        return "\n".join(lines)
    table = pd.DataFrame(options_records(result))
    if (table["provenance"] == "modeled").any():
        from core.perfmodel import accuracy_note

        lines.append(f"  rows marked modeled are {accuracy_note()}")
    lines.append(table.drop(columns=["spread", "notes", "by_year"], errors="ignore")
                 .to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    lines += ["", *planning.summary_lines(result)]
    return "\n".join(lines)


def _import(args: argparse.Namespace) -> int:
    labels = RunLabels(args.model, args.gpu, args.tp, args.precision, args.engine, args.concurrency)
    loaded = load_paths(args.paths, labels)
    loaded.table.to_csv(args.out, index=False)
    print(f"wrote {len(loaded.table)} rows to {args.out}")
    for row in loaded.dropped:
        print(f"dropped: {row}", file=sys.stderr)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from core import calibration

    loaded = load_paths(args.data)
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

    loaded = load_paths([args.like])
    modeled, problems = predict_like(loaded.table)
    modeled.to_csv(args.out, index=False)
    print(f"wrote {len(modeled)} modeled rows for {len(loaded.table)} measured ones to {args.out}")
    for problem in problems:
        print(f"not modeled: {problem}", file=sys.stderr)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from core import defaults

    table, skipped = defaults.generate()
    defaults.write(table, args.out or defaults.DEFAULT_TABLE)
    print(f"wrote {len(table)} modeled rows to {args.out or defaults.DEFAULT_TABLE}; {len(skipped)} configurations "
          "do not fit and were left out")
    return 0
