"""Solved operating points on modeled curves: the highest throughput whose modeled latencies meet the limits, found by
root-finding along concurrency, so every page asking about one configuration gets one answer whatever grid it
draws. Measured curves keep their measured and interpolated points (core.frontier)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from core.frontier import Limits
from core.perfmodel import Config, NotFeasible, Params, _Physics, capacity, evaluate, table_columns
from core.schema import conform
from core.table import add_derived, add_keys

SCAN = 33          # points of the geometric scan that brackets the crossing; the answer does not depend on it
BISECTIONS = 48    # halvings of the bracket: concurrency to ~1e-12 of its value


def operating_point(cfg: Config, limits: Limits, params: Params | None = None) -> pd.DataFrame:
    """One canonical row (provenance and point 'modeled', with the frontier's derived columns and capacity_seqs) at
    the highest modeled throughput that meets every limit, or an empty frame whose attrs['reason'] says why none
    does (the configuration cannot run, or even one request at a time misses a limit)."""
    return operating_points([cfg], limits, params)[0]


def operating_points(cfgs: list[Config], limits: Limits, params: Params | None = None) -> list[pd.DataFrame]:
    """operating_point for many configurations at once: the scan, the bisection and the table work run on all curves
    together (what a frontier of every GPU, TP and precision asks on each rerun)."""
    p = params or Params.load()
    checks = limits.checks()  # validates the limits (SizerError) before anything is modeled
    reasons: dict[int, str] = {}
    solvable, tops = [], []
    for i, cfg in enumerate(cfgs):
        try:
            tops.append(float(capacity(cfg, p).seqs))
            solvable.append(i)
        except NotFeasible as exc:
            reasons[i] = f"{cfg.describe()} cannot run: {exc}"
    rows = pd.DataFrame()
    if solvable:
        physics = _Physics.of([cfgs[i] for i in solvable])
        best, missed = _solve(physics, p, np.array(tops), checks, limits)
        reasons |= {i: f"{cfgs[i].describe()}: {why}" for i, why in zip(solvable, missed) if why}
        met = [k for k, i in enumerate(solvable) if i not in reasons]
        rows = _rows([cfgs[solvable[k]] for k in met], physics.take(np.array(met, dtype=int)), best[met], p)
        rows.index = [solvable[k] for k in met]
    return [rows.loc[[i]].reset_index(drop=True) if i in rows.index else _empty(reasons.get(i, "not modeled"))
            for i in range(len(cfgs))]


def _solve(ph: _Physics, p: Params, top: np.ndarray, checks: list[tuple[str, float]],
           limits: Limits) -> tuple[np.ndarray, list[str]]:
    """Per curve: the largest concurrency in [1, capacity] whose latencies meet the limits (latency rises with
    concurrency, so that is a bracketed crossing), then the throughput maximum up to it (past the capacity nothing
    is gained: requests only wait)."""
    n = top.size
    grid = top[:, None] ** np.linspace(0.0, 1.0, SCAN)[None, :]  # SCAN points per curve, geometric from 1 to capacity
    worst = _worst(ph.take(np.repeat(np.arange(n), SCAN)), p, grid.ravel(), checks).reshape(n, SCAN)
    meets = worst <= 1.0
    reasons = ["" if meets[i, 0] else _miss(ph.take(np.array([i])), p, checks, limits) for i in range(n)]
    last = SCAN - 1 - np.argmax(meets[:, ::-1], axis=1)  # the last scan point that meets (a miss is handled above)
    lo = grid[np.arange(n), last]
    hi = np.where(last < SCAN - 1, grid[np.arange(n), np.minimum(last + 1, SCAN - 1)], lo)
    open_ = last < SCAN - 1
    for _ in range(BISECTIONS):
        open_ &= hi > lo * (1 + 1e-12)
        if not open_.any():
            break
        mid = np.sqrt(lo * hi)
        ok = _worst(ph, p, mid, checks) <= 1.0
        lo = np.where(open_ & ok, mid, lo)
        hi = np.where(open_ & ~ok, mid, hi)
    best = _highest_throughput(ph, p, lo, grid, meets)
    return best, reasons


def _highest_throughput(ph: _Physics, p: Params, limit: np.ndarray, grid: np.ndarray, meets: np.ndarray) -> np.ndarray:
    """Throughput rises with concurrency up to the capacity in this model, so the crossing is the answer; should a
    curve's throughput peak before it, the peak is found and returned instead."""
    at_limit = evaluate(ph, p, limit, percentiles=())["req_per_s"]
    inside = np.where(meets & (grid <= limit[:, None]), grid, np.nan)
    rows = np.repeat(np.arange(limit.size), grid.shape[1])
    scanned = evaluate(ph.take(rows), p, np.nan_to_num(inside.ravel(), nan=1.0), percentiles=())["req_per_s"]
    scanned = np.where(np.isnan(inside.ravel()), -np.inf, scanned).reshape(grid.shape)
    best = limit.copy()
    for i in np.flatnonzero(scanned.max(axis=1) > at_limit * (1 + 1e-9)):
        one = ph.take(np.array([i]))
        found = minimize_scalar(lambda c, one=one: -float(evaluate(one, p, np.array([c]), percentiles=())["req_per_s"][0]),
                                bounds=(1.0, float(limit[i])), method="bounded", options={"xatol": 1e-6})
        best[i] = float(found.x)
    return best


def _worst(ph: _Physics, p: Params, c: np.ndarray, checks: list[tuple[str, float]]) -> np.ndarray:
    """The largest ratio of a modeled latency to its limit (≤ 1: every limit met)."""
    wanted = {column.rsplit("_", 1)[1] for column, _ in checks} - {"avg"}
    modeled = evaluate(ph, p, c, percentiles=tuple(wanted))
    return np.max([modeled[column] / limit for column, limit in checks], axis=0)


def _miss(ph: _Physics, p: Params, checks: list[tuple[str, float]], limits: Limits) -> str:
    modeled = evaluate(ph, p, np.array([1.0]), percentiles=tuple({c.rsplit("_", 1)[1] for c, _ in checks} - {"avg"}))
    names = {"ttft_ms": "TTFT", "e2e_ms": "end-to-end latency", "itl_ms": "inter-token latency"}
    missed = [f"{names[c.rsplit('_', 1)[0]]} {float(modeled[c][0]):,.0f} ms (limit {v:,.0f})"
              for c, v in checks if float(modeled[c][0]) > v]
    return f"even one request at a time misses {limits.describe()}: modeled {', '.join(missed)}"


def _rows(cfgs: list[Config], ph: _Physics, concurrency: np.ndarray, p: Params) -> pd.DataFrame:
    """The solved points as canonical modeled rows with the frontier's derived columns, built in one frame."""
    if not cfgs:
        return pd.DataFrame()
    modeled = evaluate(ph, p, concurrency)
    frame = pd.DataFrame({
        "model": [c.model.name for c in cfgs], "gpu": [c.gpu.name for c in cfgs], "tp": [c.tp for c in cfgs],
        "pp": 1, "gpus_per_instance": [c.tp for c in cfgs], "precision": [c.precision for c in cfgs],
        "engine": "modeled", "isl": [c.isl for c in cfgs], "osl": [c.osl for c in cfgs], "load_mode": "concurrency",
        "concurrency": concurrency, **table_columns(modeled), "capacity_seqs": modeled["capacity_seqs"], "runs": 1,
        "source": "performance model", "provenance": "modeled",
    })
    return add_derived(add_keys(conform(frame))).assign(point="modeled")


def _empty(reason: str) -> pd.DataFrame:
    frame = _empty_template().copy()
    frame.attrs["reason"] = reason
    return frame


@cache
def _empty_template() -> pd.DataFrame:
    """The columns a solved row has, no rows (built once: a frontier asks for many)."""
    return add_derived(add_keys(conform(pd.DataFrame()))).assign(point=pd.Series(dtype="object"))
