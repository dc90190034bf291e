"""`python -m core size|import|...`: the engine from a shell, so a sales engineer can script a quote."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core import catalog
from core.errors import SizerError
from core.frontier import Limits, Query
from core.importers import RunLabels
from core.quote import options_records, to_json
from core.sizing import Sizing, size
from core.table import LoadedData, benchmark_dir, flagged_runs, load_paths
from core.traffic import Traffic, TrafficInputs, derive, direct

SHOWN = 5  # dropped rows and flagged runs listed one by one; the rest counted


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


def _label_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu")
    p.add_argument("--tp", type=int)
    p.add_argument("--precision")
    p.add_argument("--model")
    p.add_argument("--engine")
    p.add_argument("--concurrency", type=float)
    p.add_argument("--isl", type=int, help="requested input tokens, for files that do not record them")
    p.add_argument("--osl", type=int, help="requested output tokens, for files that do not record them")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"size": _size, "import": _import, "calibrate": _calibrate, "predict": _predict,
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
    loaded = load_paths(args.data or [benchmark_dir()])
    result = size(loaded.table, query, traffic, catalog.usd_per_gpu_hour(), args.rank_by, args.utilisation)
    report_loaded(loaded)
    print(json.dumps(to_json(result), indent=2) if args.json else to_text(result))
    return 0


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
    lines.append(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    return "\n".join(lines)


def _import(args: argparse.Namespace) -> int:
    labels = RunLabels(model=args.model, gpu=args.gpu, tp=args.tp, precision=args.precision, engine=args.engine,
                       concurrency=args.concurrency, isl=args.isl, osl=args.osl)
    loaded = load_paths(args.paths, labels)
    loaded.table.to_csv(args.out, index=False)
    print(f"wrote {len(loaded.table)} rows to {args.out}")
    report_loaded(loaded)
    return 0


def report_loaded(loaded: LoadedData) -> None:
    """On stderr, what loading left out or doubts: dropped rows, notices, runs that fail Little's law."""
    _listing("row dropped", "rows dropped", [str(d) for d in loaded.dropped])
    _listing("notice", "notices", [str(w) for w in getattr(loaded, "warnings", [])])
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


def _calibrate(args: argparse.Namespace) -> int:
    from core import calibration

    loaded = load_paths(args.data)
    report = calibration.calibrate(loaded.table, ", ".join(p.name for p in args.data))
    calibration.write(report, args.out or calibration.CALIBRATION_FILE)
    report_loaded(loaded)
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
    at_rate = loaded.table["load_mode"] == "request_rate"
    modeled, problems = predict_like(loaded.table[~at_rate])
    modeled.to_csv(args.out, index=False)
    print(f"wrote {len(modeled)} modeled rows for {len(loaded.table)} measured ones to {args.out}")
    report_loaded(loaded)
    problems += [f"{r.source}: request rate {r.request_rate:g}/s: the model predicts a closed loop at a concurrency, "
                 "and this run set a request rate instead" for r in loaded.table[at_rate].itertuples()]
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
