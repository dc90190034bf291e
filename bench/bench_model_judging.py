"""Judge the performance model (issue 13) and print every figure: errors on nim.csv in sample and by regime,
leave-one-configuration-out refits, a GPU and a precision the fit never saw, other engines' real exports, the
course question answered from modeled data alone. CPU heavy (a calibration and 12 refits): run it once, not in a loop.

    python bench/bench_model_judging.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd

from core import calibration as cal
from core.errors import SizerError
from core.frontier import Limits, Query
from core.importers import read_path
from core.operating import operating_points
from core.perfmodel import Config, Params, predict_like
from core.sizing import size, size_points
from core.table import combine, load_paths
from core.traffic import TrafficInputs, derive

METRICS = ("req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg", "ttft_ms_p95", "itl_ms_p95", "e2e_ms_p95")
GOALS = {"req_per_s": (8, 20), "itl_ms_avg": (8, 20), "e2e_ms_avg": (8, 20), "ttft_ms_avg": (12, 30)}


def table(title: str, e: dict[str, dict[str, float]], goals: dict | None = None) -> None:
    print(f"\n{title}")
    print(f"  {'metric':<14}{'median %':>10}{'p90 %':>9}{'points':>8}  goal")
    for metric in METRICS:
        if metric in e:
            goal = (goals or {}).get(metric)
            mark = ""
            if goal:
                ok = e[metric]["median_pct"] <= goal[0] and e[metric]["p90_pct"] <= goal[1]
                mark = f"≤ {goal[0]} / ≤ {goal[1]}  {'met' if ok else 'NOT MET'}"
            print(f"  {metric:<14}{e[metric]['median_pct']:>10.1f}{e[metric]['p90_pct']:>9.1f}"
                  f"{e[metric]['points']:>8}  {mark}")


def by_regime(both: pd.DataFrame) -> None:
    below = both["concurrency"] <= both["capacity_seqs"]
    for name, rows in (("below the knee", both[below]), ("above the knee", both[~below])):
        table(f"nim.csv {name} ({len(rows)} points)", cal.errors(rows))


def real_exports(data: Path, params: Params) -> None:
    """Every file the importers read today, predicted where the catalog knows its model and GPU (not fitted)."""
    print("\nOther engines and GPUs (real exports; reported, never fitted):")
    files = sorted([*(data / "real-exports").glob("*"), data / "genai_perf_artifacts"])
    results = []
    for path in files:
        if path.name.endswith(".md"):
            continue
        try:
            result = read_path(path, None, base=path.parent)
        except SizerError as exc:
            print(f"  {path.name}: not read today: {str(exc)[:160]}")
            continue
        except Exception as exc:  # an importer bug is reported, not fatal to the judging
            print(f"  {path.name}: importer failed: {type(exc).__name__}: {exc}")
            continue
        reasons = sorted({d.reason for d in result.dropped})[:2]
        print(f"  {path.name}: {len(result.table)} rows read" + (f"; dropped: {'; '.join(reasons)}" if reasons else ""))
        results.append(result)
    if not results:
        return
    loaded = combine(results).table
    measured = loaded[loaded["provenance"] == "measured"]
    if measured.empty:
        print("  no measured row carries a model, GPU, TP and precision the model can take")
        return
    modeled, problems = predict_like(measured, params)
    for problem in problems:
        print(f"  not modeled: {problem}")
    if modeled.empty:
        return
    keys = ["model", "gpu", "tp", "precision", "isl", "osl", "load_mode"]
    both = measured.merge(modeled, on=[*keys, "concurrency"], suffixes=("", "_modeled"))
    table(f"real exports the catalog covers ({len(both)} points)", cal.errors(both))


def course_question(nim: pd.DataFrame, params: Params) -> None:
    traffic = derive(TrafficInputs(calls_per_year=30e6, minutes_per_call=10, rag_calls_per_minute=1,
                                   llm_requests_per_rag_call=3, peak_factor=7))
    limits = Limits(ttft_ms=300)
    cfgs = [Config.from_names("Llama 3 8B", "H100 SXM", tp, precision, 2000, 200)
            for tp in (1, 2, 4, 8) for precision in ("fp16", "fp8")]
    points = pd.concat([p for p in operating_points(cfgs, limits, params) if not p.empty], ignore_index=True)
    best = size_points(points, traffic.peak_req_per_s).iloc[0]
    grid = size(nim, Query("llama3-8b", 2000, 200, limits, gpus=("h100",)), traffic).best
    exact = size(nim, Query("llama3-8b", 2000, 200, limits, gpus=("h100",), interpolate=True), traffic).best
    print(f"\nCourse question: Llama 3 8B, 2000/200, TTFT avg ≤ 300 ms, {traffic.peak_req_per_s:.2f} peak req/s, H100 SXM")
    print(f"  modeled (operating_point): TP{best['tp']} {best['precision']} at concurrency {best['concurrency']:.2f}, "
          f"{best['prompts_per_s_per_server']:.2f} prompts/s per server -> {best['servers_exact']:.2f} servers")
    for name, row in (("measured, best grid point", grid), ("measured, interpolated to the limit", exact)):
        print(f"  {name}: TP{row['tp']} {row['precision']} at concurrency {row['load']:.2f} -> "
              f"{row['servers_exact']:.2f} servers (model {best['servers_exact'] / row['servers_exact'] - 1:+.1%})")


def default_answers(params: Params) -> None:
    """The answers the default (modeled) data gives for the course's traffic, solved at the limit over every catalog
    GPU, TP and precision, with the range the req/s error band gives (wider for what was never measured)."""
    from core import catalog
    from core.perfmodel import error_band, extrapolated, regime

    traffic = derive(TrafficInputs(calls_per_year=30e6, minutes_per_call=10, rag_calls_per_minute=1,
                                   llm_requests_per_rag_call=3, peak_factor=7))
    print(f"\nAnswers from the modeled data alone ({traffic.peak_req_per_s:.2f} peak req/s, 2000/200):")
    for model, ttft, gpus in (("Llama 3 8B", 300, None), ("Llama 3 8B", 300, ("H100 SXM",)),
                              ("Llama 3.1 70B", 500, None)):
        cfgs = [Config(catalog.model(model), g, tp, precision, 2000, 200)
                for g in catalog.gpus().values() if gpus is None or g.name in gpus
                for tp in (1, 2, 4, 8) for precision in ("fp16", "fp8", "fp4")]
        solved = [p for p in operating_points(cfgs, Limits(ttft_ms=ttft), params) if not p.empty]
        best = size_points(pd.concat(solved, ignore_index=True), traffic.peak_req_per_s).iloc[0]
        cfg = Config.from_names(best["model"], best["gpu"], best["tp"], best["precision"], 2000, 200)
        band = error_band("req_per_s", regime(best["concurrency"], best["capacity_seqs"]),
                          extrapolated=extrapolated(cfg))
        where = "every GPU" if gpus is None else ", ".join(gpus)
        print(f"  {model}, TTFT ≤ {ttft} ms, {where}: {best['gpu']} TP{best['tp']} {best['precision'].upper()} at "
              f"concurrency {best['concurrency']:.1f}, {best['prompts_per_s_per_server']:.1f} prompts/s per server: "
              f"{best['servers_exact']:.2f} servers ({best['servers']}), {best['servers_exact'] / band.high:.2f}–"
              f"{best['servers_exact'] / band.low:.2f}{' (extrapolated band)' if extrapolated(cfg) else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    args = parser.parse_args()
    nim_csv = args.data / "nim.csv"
    if not nim_csv.exists():
        print(f"{nim_csv} is absent: nothing to judge against (the course data is never committed)")
        return
    nim = load_paths([nim_csv]).table
    start = time.perf_counter()
    report = cal.calibrate(nim, "nim.csv")
    print(f"calibrate (fit, A100->H100, FP16->FP8, 12 leave-one-out refits): {time.perf_counter() - start:.1f} s")
    params = Params(**report["params"])
    found, _ = cal.curves(nim)
    both = cal.predict(found, params)
    table(f"nim.csv, all {len(both)} points", report["errors"], GOALS)
    table(f"nim.csv, the {int(both['steady'].sum())} steady points (Little's law within 15 %)",
          report["errors_steady"], GOALS)
    by_regime(both)
    table("leave one configuration (model, GPU, TP, precision) out, refit, predict it",
          report["leave_one_out"]["errors"], {m: (15, 100) for m in GOALS})
    table("fit on A100 only, predict H100 FP16/BF16", report["extrapolation"]["errors"], {"req_per_s": (10, 100)})
    table("fit on A100 only, predict every H100 row (FP8 efficiency at its prior)",
          report["extrapolation"]["errors_all_h100"])
    table("fit without FP8, predict FP8", report["precision_extrapolation"]["errors"])
    print("\nError bands (measured ÷ modeled, 10th–90th percentile):")
    for kind, bands in report["error_bands"].items():
        for metric, regimes in bands.items():
            text = "   ".join(f"{r}: {b['low']:.2f}–{b['high']:.2f} ({b['points']})" for r, b in regimes.items())
            print(f"  {kind:<13}{metric:<10}{text}")
    real_exports(args.data, params)
    course_question(nim, params)
    default_answers(params)


if __name__ == "__main__":
    main()
