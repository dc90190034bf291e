"""Fit the performance model's free parameters to measured sweeps and report its error honestly: in sample, leaving
each configuration out, on a GPU it never saw, and as error bands by regime that every modeled figure carries."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from core.errors import SizerError
from core.perfmodel import (
    CALIBRATION_FILE,
    Config,
    NotFeasible,
    Params,
    _Physics,
    calibration_report,
    capacity,
    evaluate,
)

FITTED = ("eta_compute_fp16", "eta_compute_fp8", "eta_attention", "eta_link", "eta_memory", "eta_kv", "attention_serial_kb", "kv_fp8_speedup",
          "layer_overhead_us", "layer_overhead_mb", "seq_overhead_us", "allreduce_base_us", "allreduce_latency_scale", "ttft_overhead_ms", "ttft_layer_overhead_us",
          "residual_steps", "prefill_sync", "arrival_jitter_ms", "prefill_queue_tokens", "prefill_queue_fade",
          "prefill_queue_isl_power", "kv_memory_fraction")
SPREADS = ("ttft_wait_cv", "queue_wait_cv", "itl_interference_cv")
BOUNDS = {"eta_compute_fp16": (0.2, 1.0), "eta_compute_fp8": (0.15, 1.0), "eta_link": (0.05, 1.0), "eta_attention": (0.2, 0.75), "eta_memory": (0.3, 1.1),
          "eta_kv": (0.05, 1.0), "attention_serial_kb": (0.0, 500.0), "kv_fp8_speedup": (0.5, 2.0),
          "layer_overhead_us": (0.0, 400.0), "layer_overhead_mb": (0.0, 500.0), "allreduce_base_us": (0.0, 100.0),
          "seq_overhead_us": (0.0, 500.0), "allreduce_latency_scale": (0.0, 20.0),
          "ttft_overhead_ms": (0.0, 300.0), "ttft_layer_overhead_us": (0.0, 2000.0), "residual_steps": (0.0, 3.0),
          "prefill_sync": (0.0, 1.0), "arrival_jitter_ms": (0.0, 500.0), "prefill_queue_tokens": (1000.0, 1e6),
          "prefill_queue_fade": (0.0, 1.0), "prefill_queue_isl_power": (0.0, 3.0), "kv_memory_fraction": (0.4, 0.98),
          "ttft_wait_cv": (0.01, 3.0), "queue_wait_cv": (0.01, 3.0), "itl_interference_cv": (0.01, 3.0)}
METRICS = ("req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg")
TAILS = ("ttft_ms_p95", "itl_ms_p95", "e2e_ms_p95")
WEIGHTS = {"req_per_s": 1.0, "itl_ms_avg": 1.0, "e2e_ms_avg": 1.0, "ttft_ms_avg": 1.0}
BAND_METRICS = {"req_per_s": "req_per_s", "ttft_ms": "ttft_ms_avg", "itl_ms": "itl_ms_avg", "e2e_ms": "e2e_ms_avg"}
IDENTITY = ["model", "gpu", "tp", "precision", "isl", "osl", "concurrency"]


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
            capacity(cfg, Params())
        except (SizerError, NotFeasible) as exc:
            skipped.append(f"{' '.join(map(str, key))}: {exc}")
            continue
        ordered = rows.sort_values("concurrency").reset_index(drop=True)
        out.append(Curve(cfg, ordered["concurrency"].to_numpy(dtype="float64"), ordered))
    return out, skipped


@dataclass
class _Stack:
    """Every measured point of some curves as flat arrays: one model evaluation covers them all."""

    physics: _Physics
    concurrency: np.ndarray
    measured: pd.DataFrame
    steady: np.ndarray  # Little's law holds within the tolerance: a steady state the model can describe

    @classmethod
    def of(cls, curves_: list[Curve]) -> _Stack:
        lengths = [len(c.concurrency) for c in curves_]
        physics = _Physics.of([c.cfg for c in curves_]).take(np.repeat(np.arange(len(curves_)), lengths))
        measured = pd.concat([c.measured for c in curves_], ignore_index=True)
        flag = measured["littles_law_flag"] if "littles_law_flag" in measured else pd.Series(False, measured.index)
        return cls(physics, np.concatenate([c.concurrency for c in curves_]), measured,
                   ~flag.fillna(False).to_numpy(dtype=bool))

    def values(self, column: str) -> np.ndarray:
        return self.measured[column].to_numpy(dtype="float64", na_value=np.nan)


def predict(curves_: list[Curve], params: Params) -> pd.DataFrame:
    """Measured and modeled side by side, one row per measured point, with the capacity that sets the regime."""
    return _compare(_Stack.of(curves_), params)


def _compare(stack: _Stack, params: Params) -> pd.DataFrame:
    modeled = evaluate(stack.physics, params, stack.concurrency)
    frame = stack.measured[[*IDENTITY, *METRICS, *TAILS]].copy()
    for metric in (*METRICS, *TAILS):
        frame[f"{metric}_modeled"] = modeled[metric]
    frame["capacity_seqs"] = np.floor(modeled["capacity_seqs"])
    frame["steady"] = stack.steady
    return frame


def fit(curves_: list[Curve], start: Params | None = None, fixed: tuple[str, ...] = (),
        max_nfev: int | None = None) -> Params:
    """Least squares on log(modeled / measured) of the means over every steady point (runs that fail Little's law
    had not settled, and no steady-state model can match them), then the waiting-time spreads on the measured p95.
    `fixed` parameters keep their start value; a refit starts from `start` (the full fit) to need few evaluations."""
    return fit_stack(_Stack.of(curves_), start, fixed, max_nfev)


def fit_stack(stack: _Stack, start: Params | None = None, fixed: tuple[str, ...] = (),
              max_nfev: int | None = None) -> Params:
    start = start or Params()
    means = _least_squares(stack, start, [n for n in FITTED if n not in fixed], METRICS, max_nfev)
    return _least_squares(stack, means, [n for n in SPREADS if n not in fixed], TAILS, max_nfev)


def _least_squares(stack: _Stack, start: Params, names: list[str], metrics: tuple[str, ...],
                   max_nfev: int | None) -> Params:
    if not names:
        return start
    lower = np.array([BOUNDS[n][0] for n in names])
    upper = np.array([BOUNDS[n][1] for n in names])
    x0 = np.clip(np.array([getattr(start, n) for n in names], dtype="float64"), lower + 1e-9, upper - 1e-9)
    keep = stack.steady
    measured = {m: stack.values(m)[keep] for m in metrics}
    physics, concurrency = stack.physics.take(np.flatnonzero(keep)), stack.concurrency[keep]

    def residuals(x: np.ndarray) -> np.ndarray:
        modeled = evaluate(physics, replace(start, **dict(zip(names, x))), concurrency, whole_sequences=False)
        parts = [np.sqrt(WEIGHTS.get(m, 1.0)) * np.log(modeled[m] / measured[m]) for m in metrics]
        return np.nan_to_num(np.concatenate(parts), nan=0.0, posinf=10.0, neginf=-10.0)

    solution = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac", loss="soft_l1", f_scale=0.3,
                             max_nfev=max_nfev)
    return replace(start, **dict(zip(names, (float(v) for v in solution.x))))


def errors(both: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Median and 90th-percentile absolute percentage error per metric."""
    out = {}
    for metric in (*METRICS, *TAILS):
        ape = ((both[f"{metric}_modeled"] / both[metric]) - 1).abs().dropna() * 100
        out[metric] = {"median_pct": round(float(ape.median()), 1), "p90_pct": round(float(ape.quantile(0.9)), 1),
                       "points": len(ape)}
    return out


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
            where = regime.replace("_", " the ")
            out["in_sample"][metric][regime] = {
                **inside, "basis": f"10th–90th percentile of measured ÷ modeled over {inside['points']} {source} "
                                   f"points {where} (the points the model was fitted on)"}
            out["extrapolated"][metric][regime] = {
                "low": min(inside["low"], outside["low"]), "high": max(inside["high"], outside["high"]),
                "points": outside["points"],
                "basis": f"10th–90th percentile of measured ÷ modeled over {outside['points']} points {where} when "
                         f"the model predicted {held_out_what}, never narrower than the in-sample band: FP4 and "
                         "GPUs never measured are extrapolations"}
    return out


def _quantiles(both: pd.DataFrame, column: str, regime: str) -> dict[str, float]:
    below = both["concurrency"] <= both["capacity_seqs"]
    rows = both[below if regime == "below_knee" else ~below]
    ratio = (rows[column] / rows[f"{column}_modeled"]).replace([np.inf, -np.inf], np.nan).dropna()
    return {"low": round(float(ratio.quantile(0.1)), 4), "high": round(float(ratio.quantile(0.9)), 4),
            "points": len(ratio)}


def configurations(curves_: list[Curve]) -> dict[tuple[str, str, int, str], list[Curve]]:
    """Curves grouped by (model, GPU, TP, precision): what leave-one-configuration-out leaves out."""
    groups: dict[tuple[str, str, int, str], list[Curve]] = {}
    for c in curves_:
        key = (c.cfg.model.name, c.cfg.gpu.name, c.cfg.tp, "fp16" if c.cfg.precision == "bf16" else c.cfg.precision)
        groups.setdefault(key, []).append(c)
    return groups


FP8_ONLY = ("eta_compute_fp8", "kv_fp8_speedup")  # what only FP8 runs inform


def _priors_without_fp8(start: Params, curves_: list[Curve]) -> tuple[Params, tuple[str, ...]]:
    """A fit without FP8 runs keeps the FP8 parameters at their priors (never at values fitted on FP8 runs)."""
    if any(c.cfg.precision == "fp8" for c in curves_):
        return start, ()
    prior = Params()
    return replace(start, **{n: getattr(prior, n) for n in FP8_ONLY}), FP8_ONLY


def leave_one_out(curves_: list[Curve], params: Params, max_nfev: int = 30) -> pd.DataFrame:
    """Refit without each (model, GPU, TP, precision) configuration and predict it. Each refit starts from the full
    fit and stops after max_nfev evaluations: the judging costs a minute, not hours, on a shared CPU."""
    frames = []
    groups = configurations(curves_)
    for key, left_out in groups.items():
        rest = [c for k, cs in groups.items() if k != key for c in cs]
        start, fixed = _priors_without_fp8(params, rest)
        frames.append(predict(left_out, fit(rest, start, fixed=fixed, max_nfev=max_nfev)))
    return pd.concat(frames, ignore_index=True)


def held_out(curves_: list[Curve], train: Callable[[Curve], bool], test: Callable[[Curve], bool],
             start: Params | None = None, max_nfev: int | None = None) -> tuple[Params, pd.DataFrame] | None:
    """Fit on the curves `train` accepts and predict those `test` accepts (None when either set is empty)."""
    fitted_on = [c for c in curves_ if train(c)]
    predicted = [c for c in curves_ if test(c)]
    if not fitted_on or not predicted:
        return None
    start, fixed = _priors_without_fp8(start or Params(), fitted_on)
    params = fit(fitted_on, start, fixed=fixed, max_nfev=max_nfev)
    return params, predict(predicted, params)


def _a100(c: Curve) -> bool:
    return c.cfg.gpu.name.startswith("A100")


def _h100(c: Curve) -> bool:
    return c.cfg.gpu.name.startswith("H100")


def calibrate(table: pd.DataFrame, source: str) -> dict[str, object]:
    """Fit on everything; refit on A100 alone to predict H100 (a GPU the fit never saw) and without FP8 to predict
    FP8 (a precision it never saw). Those two held-out sets give the extrapolated error bands."""
    all_curves, skipped = curves(table)
    if not all_curves:
        raise SizerError("no measured concurrency sweep of a catalog model and GPU to calibrate on")
    stack = _Stack.of(all_curves)
    params = fit_stack(stack)
    both = _compare(stack, params)
    report: dict[str, object] = {
        "source": source, "points": len(both), "steady_points": int(both["steady"].sum()),
        "params": params.as_dict(), "fitted": [*FITTED, *SPREADS], "errors": errors(both),
        "errors_steady": errors(both[both["steady"]]), "skipped": skipped,
        "measured": {"gpus": sorted({c.cfg.gpu.name for c in all_curves}),
                     "precisions": sorted({c.cfg.precision for c in all_curves}),
                     "models": sorted({c.cfg.model.name for c in all_curves})},
    }
    held = []
    gpu = held_out(all_curves, _a100, _h100)
    if gpu is not None:
        a100_params, h100 = gpu
        same_precision = h100[h100["precision"].isin(["fp16", "bf16"])]
        report["extrapolation"] = {
            "calibrated_on": "A100 rows only", "predicted": "H100 FP16/BF16 rows",
            "params": a100_params.as_dict(), "errors": errors(same_precision),
            "errors_all_h100": errors(h100),
        }
        held.append(same_precision)
    precision = held_out(all_curves, lambda c: c.cfg.precision != "fp8", lambda c: c.cfg.precision == "fp8")
    if precision is not None:
        no_fp8_params, fp8 = precision
        report["precision_extrapolation"] = {
            "calibrated_on": "FP16/BF16 rows only (FP8 efficiency at its prior)", "predicted": "FP8 rows",
            "params": no_fp8_params.as_dict(), "errors": errors(fp8),
        }
        held.append(fp8)
    loo = leave_one_out(all_curves, params)
    report["leave_one_out"] = {"refits": len(configurations(all_curves)), "errors": errors(loo)}
    outside = pd.concat(held, ignore_index=True) if held else pd.DataFrame()
    report["error_bands"] = error_bands(both, outside, source, "a GPU (H100 after a fit on A100 alone) or a "
                                                               "precision (FP8 after a fit without it) it had not seen")
    return report


def write(report: dict[str, object], path: Path = CALIBRATION_FILE) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    calibration_report.cache_clear()


def report_text(report: dict[str, object]) -> str:
    lines = [f"Calibrated on {report['points']} measured points from {report['source']} "
             f"({report.get('steady_points', report['points'])} steady ones fitted).", "",
             "metric            median APE   90th pct APE"]
    for metric, e in report["errors"].items():  # type: ignore[union-attr]
        lines.append(f"{metric:<17} {e['median_pct']:>9.1f} % {e['p90_pct']:>11.1f} %")
    for key in ("extrapolation", "precision_extrapolation"):
        if key in report:
            ex = report[key]
            lines += ["", f"Extrapolation: calibrated on {ex['calibrated_on']}, predicting {ex['predicted']}:"]  # type: ignore[index]
            for metric, e in ex["errors"].items():  # type: ignore[index]
                lines.append(f"{metric:<17} {e['median_pct']:>9.1f} % {e['p90_pct']:>11.1f} %")
    lines += ["", "parameters:"] + [f"  {k} = {v:.4g}" for k, v in report["params"].items()]  # type: ignore[union-attr]
    return "\n".join(lines)
