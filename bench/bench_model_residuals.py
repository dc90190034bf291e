"""Where the performance model's errors concentrate on nim.csv: signed and absolute error per metric by
configuration (model, GPU, TP, precision), by input/output lengths, by concurrency and by regime, and the worst
points. Cheap (one evaluation with the committed calibration, no fit): run it before changing the model's physics.

    python bench/bench_model_residuals.py [--data ../shared/data] [--worst 25]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from core import calibration as cal
from core.perfmodel import Params
from core.table import load_paths

METRICS = ("req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg")
SHORT = {"req_per_s": "req/s", "itl_ms_avg": "ITL", "e2e_ms_avg": "E2E", "ttft_ms_avg": "TTFT"}


def summary(both: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group: points, and per metric the median signed error (modeled ÷ measured − 1, %) and the 90th
    percentile of its absolute value."""
    rows = []
    for key, g in both.groupby(by, sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(g)
        for m in METRICS:
            err = (g[f"{m}_modeled"] / g[m] - 1) * 100
            row[f"{SHORT[m]} med"] = round(float(err.median()), 1)
            row[f"{SHORT[m]} |p90|"] = round(float(err.abs().quantile(0.9)), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    parser.add_argument("--worst", type=int, default=25)
    args = parser.parse_args()
    nim_csv = args.data / "nim.csv"
    if not nim_csv.exists():
        print(f"{nim_csv} is absent: nothing to profile (the course data is never committed)")
        return
    found, _ = cal.curves(load_paths([nim_csv]).table)
    both = cal.predict(found, Params.load())
    both["regime"] = np.where(both["concurrency"] <= both["capacity_seqs"], "below", "above")
    both["lengths"] = both["isl"].astype(str) + "/" + both["osl"].astype(str)
    both["precision"] = both["precision"].replace({"bf16": "fp16"})
    pd.set_option("display.width", 250)
    pd.set_option("display.max_rows", 400)
    print(f"{len(both)} points; signed error = modeled ÷ measured − 1 (%), |p90| = 90th percentile of |error|\n")
    for by in (["model", "gpu", "tp", "precision"], ["lengths"], ["concurrency"], ["regime", "steady"],
               ["model", "gpu", "tp", "precision", "lengths"]):
        print(f"by {', '.join(by)}:")
        print(summary(both, by).to_string(index=False), "\n")
    ape = (both["ttft_ms_avg_modeled"] / both["ttft_ms_avg"] - 1).abs()
    worst = both.assign(ttft_err_pct=(both["ttft_ms_avg_modeled"] / both["ttft_ms_avg"] - 1) * 100).loc[
        ape.sort_values(ascending=False).index[: args.worst]]
    print(f"the {args.worst} worst TTFT points:")
    print(worst[["model", "gpu", "tp", "precision", "lengths", "concurrency", "ttft_ms_avg", "ttft_ms_avg_modeled",
                 "ttft_err_pct", "capacity_seqs", "steady"]].round(1).to_string(index=False))


if __name__ == "__main__":
    main()
