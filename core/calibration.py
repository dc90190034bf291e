"""Fit the performance model's few free parameters to measured sweeps and report its error honestly."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from core.errors import SizerError
from core.perfmodel import CALIBRATION_FILE, Config, NotFeasible, Params, _metrics, calibration_report, check

FITTED = ("eta_compute_fp16", "eta_compute_fp8", "eta_memory", "layer_overhead_us", "layer_overhead_tp_us",
          "allreduce_latency_us", "ttft_overhead_ms", "seq_overhead_us", "prefill_sync",
          "prefill_queue_tokens")
BOUNDS = {"eta_compute_fp16": (0.2, 1.0), "eta_compute_fp8": (0.15, 1.0), "eta_memory": (0.3, 1.0),
          "layer_overhead_us": (0.0, 400.0), "layer_overhead_tp_us": (0.0, 400.0),
          "allreduce_latency_us": (0.0, 200.0), "ttft_overhead_ms": (0.0, 300.0),
          "seq_overhead_us": (0.0, 500.0), "prefill_sync": (0.0, 2.0),
          "prefill_queue_tokens": (1000.0, 1e6)}
METRICS = ("req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg")
WEIGHTS = {"req_per_s": 1.0, "itl_ms_avg": 1.0, "e2e_ms_avg": 1.0, "ttft_ms_avg": 0.5}


@dataclass
class Curve:
    cfg: Config
    concurrency: np.ndarray
    measured: pd.DataFrame


def curves(table: pd.DataFrame) -> tuple[list[Curve], list[str]]:
    """Measured concurrency sweeps grouped per configuration; names the catalog does not know are reported."""
    out, skipped = [], []
    measured = table[(table["provenance"] == "measured") & (table["load_mode"] == "concurrency")]
    for key, rows in measured.groupby(["model", "gpu", "tp", "precision", "isl", "osl"], sort=True):
        try:
            cfg = Config.from_names(*key)
            check(cfg, Params())
        except (SizerError, NotFeasible) as exc:
            skipped.append(f"{' '.join(map(str, key))}: {exc}")
            continue
        ordered = rows.sort_values("concurrency").reset_index(drop=True)
        out.append(Curve(cfg, ordered["concurrency"].to_numpy(dtype="float64"), ordered))
    return out, skipped


def predict(curves_: list[Curve], params: Params) -> pd.DataFrame:
    """Measured and modeled side by side, one row per measured point."""
    frames = []
    for curve in curves_:
        n_max = check(curve.cfg, params)
        modeled = _metrics(curve.cfg, params, curve.concurrency, n_max)
        frame = curve.measured[["model", "gpu", "tp", "precision", "isl", "osl", "concurrency", *METRICS,
                                "ttft_ms_p95", "itl_ms_p95", "e2e_ms_p95"]].copy()
        frame["capacity_seqs"] = n_max
        for metric in (*METRICS, "ttft_ms_p95", "itl_ms_p95", "e2e_ms_p95"):
            frame[f"{metric}_modeled"] = modeled[metric]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def fit(curves_: list[Curve], start: Params | None = None, fixed: tuple[str, ...] = ()) -> Params:
    """Least squares on log(modeled / measured) over every point; `fixed` parameters keep their start value."""
    start = start or Params()
    names = [n for n in FITTED if n not in fixed]
    lower = np.array([BOUNDS[n][0] for n in names])
    upper = np.array([BOUNDS[n][1] for n in names])
    x0 = np.clip(np.array([getattr(start, n) for n in names], dtype="float64"), lower + 1e-9, upper - 1e-9)

    def residuals(x: np.ndarray) -> np.ndarray:
        both = predict(curves_, replace(start, **dict(zip(names, x))))
        parts = [np.sqrt(WEIGHTS[m]) * np.log(both[f"{m}_modeled"] / both[m]) for m in METRICS]
        return np.nan_to_num(np.concatenate(parts), nan=10.0, posinf=10.0, neginf=-10.0)

    solution = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac", loss="soft_l1", f_scale=0.3)
    fitted = replace(start, **dict(zip(names, (float(v) for v in solution.x))))
    return replace(fitted, **_p95_ratios(curves_))


def _p95_ratios(curves_: list[Curve]) -> dict[str, float]:
    """p95 ÷ mean as the measurements show it (medians): the model's only word on the tail."""
    rows = pd.concat([c.measured for c in curves_], ignore_index=True)
    out = {}
    for metric in ("ttft", "itl", "e2e"):
        ratio = (rows[f"{metric}_ms_p95"] / rows[f"{metric}_ms_avg"]).dropna()
        if not ratio.empty:
            out[f"{metric}_p95_ratio"] = float(ratio.median())
    return out


def errors(both: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Median and 90th-percentile absolute percentage error per metric."""
    out = {}
    for metric in (*METRICS, "ttft_ms_p95", "e2e_ms_p95"):
        ape = ((both[f"{metric}_modeled"] / both[metric]) - 1).abs().dropna() * 100
        out[metric] = {"median_pct": round(float(ape.median()), 1), "p90_pct": round(float(ape.quantile(0.9)), 1),
                       "points": len(ape)}
    return out


BAND_METRICS = {"req_per_s": "req_per_s", "ttft_ms": "ttft_ms_avg", "itl_ms": "itl_ms_avg", "e2e_ms": "e2e_ms_avg"}


def error_bands(fitted: pd.DataFrame, held_out: pd.DataFrame, source: str, held_out_what: str) -> dict[str, dict]:
    """measured ÷ modeled at the 10th and 90th percentile, per metric and regime (concurrency within or past the
    capacity): in-sample on the fitted points, and 'extrapolated' on points of a GPU or precision the fit left out
    (never narrower than in-sample), which is what FP4 and GPUs never measured get."""
    out: dict[str, dict] = {"in_sample": {}, "extrapolated": {}}
    for metric, column in BAND_METRICS.items():
        out["in_sample"][metric], out["extrapolated"][metric] = {}, {}
        for regime in ("below_knee", "above_knee"):
            inside = _quantiles(fitted, column, regime)
            outside = _quantiles(held_out, column, regime) if not held_out.empty else inside
            out["in_sample"][metric][regime] = {
                **inside, "basis": f"10th–90th percentile of measured ÷ modeled over {inside['points']} {source} "
                                   f"points {regime.replace('_', ' ')} (the points the model was fitted on)"}
            low, high = min(inside["low"], outside["low"]), max(inside["high"], outside["high"])
            out["extrapolated"][metric][regime] = {
                "low": low, "high": high, "points": outside["points"],
                "basis": f"10th–90th percentile of measured ÷ modeled over {outside['points']} points "
                         f"{regime.replace('_', ' ')} when the model predicted {held_out_what}, never narrower than "
                         "the in-sample band: FP4 and GPUs never measured are extrapolations"}
    return out


def _quantiles(both: pd.DataFrame, column: str, regime: str) -> dict[str, float]:
    below = both["concurrency"] <= both["capacity_seqs"]
    rows = both[below if regime == "below_knee" else ~below]
    ratio = (rows[column] / rows[f"{column}_modeled"]).replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.empty:  # no point in this regime: fall back on every point, and say how many there were
        ratio = (both[column] / both[f"{column}_modeled"]).dropna()
    return {"low": round(float(ratio.quantile(0.1)), 4), "high": round(float(ratio.quantile(0.9)), 4),
            "points": len(ratio)}


def calibrate(table: pd.DataFrame, source: str) -> dict[str, object]:
    """Fit on everything, and separately on A100 alone to predict H100 FP16 (the what-if check)."""
    all_curves, skipped = curves(table)
    if not all_curves:
        raise SizerError("no measured concurrency sweep of a catalog model and GPU to calibrate on")
    params = fit(all_curves)
    report: dict[str, object] = {
        "source": source, "points": int(sum(len(c.concurrency) for c in all_curves)),
        "params": params.as_dict(), "fitted": list(FITTED), "errors": errors(predict(all_curves, params)),
        "skipped": skipped,
    }
    a100 = [c for c in all_curves if c.cfg.gpu.name.startswith("A100")]
    h100_fp16 = [c for c in all_curves if c.cfg.gpu.name.startswith("H100") and c.cfg.precision in ("fp16", "bf16")]
    held_out = pd.DataFrame()
    if a100 and h100_fp16:
        a100_params = fit(a100, fixed=("eta_compute_fp8",))
        held_out = predict(h100_fp16, a100_params)
        report["extrapolation"] = {
            "calibrated_on": "A100 rows only", "predicted": "H100 FP16/BF16 rows",
            "params": a100_params.as_dict(), "errors": errors(held_out),
        }
    report["error_bands"] = error_bands(predict(all_curves, params), held_out, source, "H100 curves after a fit on A100 alone (a GPU it had not seen)")
    return report


def write(report: dict[str, object], path: Path = CALIBRATION_FILE) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    calibration_report.cache_clear()


def report_text(report: dict[str, object]) -> str:
    lines = [f"Calibrated on {report['points']} measured points from {report['source']}.", "",
             "metric            median APE   90th pct APE"]
    for metric, e in report["errors"].items():  # type: ignore[union-attr]
        lines.append(f"{metric:<17} {e['median_pct']:>9.1f} % {e['p90_pct']:>11.1f} %")
    if "extrapolation" in report:
        ex = report["extrapolation"]
        lines += ["", f"Extrapolation: calibrated on {ex['calibrated_on']}, predicting {ex['predicted']}:"]  # type: ignore[index]
        for metric, e in ex["errors"].items():  # type: ignore[index]
            lines.append(f"{metric:<17} {e['median_pct']:>9.1f} % {e['p90_pct']:>11.1f} %")
    lines += ["", "parameters:"] + [f"  {k} = {v:.4g}" for k, v in report["params"].items()]  # type: ignore[union-attr]
    return "\n".join(lines)
