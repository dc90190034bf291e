"""Solved operating points on modeled curves: the highest throughput whose modeled latencies meet the limits, found by
root-finding along concurrency, so every page asking about one configuration gets one answer whatever grid it
draws. Measured curves keep their measured and interpolated points (core.frontier).

Every page reruns on each input change and the Sizing page asks for 40 limits at once, so the answers are memoised
on what decides them, (configuration, limits, parameters): frozen dataclasses compared by value, never object ids."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from core.perfmodel import PERCENTILES, Config, NotFeasible, Params, _Physics, capacity, evaluate
from core.schema import conform
from core.table import add_derived, add_keys

if TYPE_CHECKING:
    from core.frontier import Limits

SCAN = 33          # points of the geometric scan that brackets the crossing; the answer does not depend on it
BISECTIONS = 48    # halvings of the bracket: concurrency to ~1e-12 of its value
MEMO_ENTRIES = 20_000  # solved points kept (~0.5 KB each, 10 MB at most): every limit of many sessions' sweeps
# The canonical columns a solved point carries: throughput, every latency statistic, and the capacity.
FIGURES = ("req_per_s", "out_tok_per_s", *(f"{metric}_ms_{stat}" for metric in ("ttft", "itl", "e2e")
                                            for stat in ("avg", *PERCENTILES)), "capacity_seqs")


@dataclass(frozen=True, eq=False)
class Solved:
    """One configuration's answer to one set of limits: the concurrency of its solved point and the modeled figures
    there (FIGURES, in order), or (None) why it has none. runs is False when the configuration cannot run at all (it
    does not fit, or lacks the precision)."""

    concurrency: float | None
    reason: str = ""
    runs: bool = True
    figures: np.ndarray | None = None

    def as_columns(self) -> dict[str, float]:
        """The figures by column name (empty when nothing was solved)."""
        return {} if self.figures is None else dict(zip(FIGURES, self.figures.tolist()))


class _Memo:
    """A bounded, thread-safe LRU map (Streamlit serves sessions from threads): solved points by value."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple, Solved] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Solved | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Solved) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_MEMO = _Memo(MEMO_ENTRIES)


def limit_binds(row: pd.Series, limits: Limits, rel: float = 1e-6) -> bool:
    """Whether a solved point sits on a latency limit. False when the model's ceiling (the KV cache or the engine's
    largest batch) stopped the search first: the point is then the most one copy holds, not what the limit allows."""
    return any(float(row.get(column, np.nan)) >= limit * (1 - rel) for column, limit in limits.checks())


def clear_memo() -> None:
    """Forget every solved point (benchmarks time a cold start with it)."""
    _MEMO.clear()


def operating_point(cfg: Config, limits: Limits, params: Params | None = None) -> pd.DataFrame:
    """One canonical row (provenance and point 'modeled', with the frontier's derived columns and capacity_seqs) at
    the highest modeled throughput that meets every limit, or an empty frame whose attrs['reason'] says why none
    does (the configuration cannot run, or even one request at a time misses a limit)."""
    return operating_points([cfg], limits, params)[0]


def operating_points(cfgs: list[Config], limits: Limits, params: Params | None = None) -> list[pd.DataFrame]:
    """operating_point for many configurations at once: the scan, the bisection and the table work run on all curves
    together (what a frontier of every GPU, TP and precision asks on each rerun)."""
    answers = solve([(cfg, limits) for cfg in cfgs], params)
    met = [i for i, a in enumerate(answers) if a.concurrency is not None]
    rows = _rows([cfgs[i] for i in met], [answers[i] for i in met])
    rows.index = met
    return [rows.loc[[i]].reset_index(drop=True) if i in rows.index else _empty(answers[i].reason)
            for i in range(len(cfgs))]


def solve(pairs: Sequence[tuple[Config, Limits]], params: Params | None = None) -> list[Solved]:
    """The solved point of each (configuration, limits) pair, each with its own limits: those not memoised yet are
    solved together, one vectorised root-finding per kind of limit (the columns they bound), and remembered."""
    p = params or Params.load()
    checks = {limits: limits.checks() for limits in dict.fromkeys(lim for _, lim in pairs)}  # validates first
    keys = [(cfg, limits, p) for cfg, limits in pairs]
    found = {key: answer for key in dict.fromkeys(keys) if (answer := _MEMO.get(key)) is not None}
    todo: dict[tuple[str, ...], list[tuple]] = {}  # the columns bounded -> keys still to solve
    for key in dict.fromkeys(keys):
        if key not in found:
            todo.setdefault(tuple(c for c, _ in checks[key[1]]), []).append(key)
    for columns, group in todo.items():
        for key, answer in zip(group, _solve_group([(cfg, limits) for cfg, limits, _ in group], columns, checks, p)):
            found[key] = answer
            _MEMO.put(key, answer)
    return [found[key] for key in keys]


def _solve_group(pairs: list[tuple[Config, Limits]], columns: tuple[str, ...],
                 checks: dict[Limits, list[tuple[str, float]]], p: Params) -> list[Solved]:
    """Pairs whose limits bound the same columns (values may differ): refuse what cannot run, solve the rest."""
    out: list[Solved | None] = [None] * len(pairs)
    runnable, tops = [], []
    for i, (cfg, _) in enumerate(pairs):
        try:
            tops.append(float(capacity(cfg, p).seqs))
            runnable.append(i)
        except NotFeasible as exc:
            out[i] = Solved(None, f"{cfg.describe()} cannot run: {exc}", runs=False)
    if runnable:
        physics = _Physics.of([pairs[i][0] for i in runnable])
        bounds = np.array([[dict(checks[pairs[i][1]])[c] for c in columns] for i in runnable], dtype="float64")
        best, meets_at_one = _solve(physics, p, np.array(tops), columns, bounds)
        modeled = evaluate(physics, p, best)
        figures = np.column_stack([modeled[c] * np.ones_like(best) for c in FIGURES])
        for k, i in enumerate(runnable):
            cfg, limits = pairs[i]
            out[i] = (Solved(float(best[k]), figures=figures[k].copy()) if meets_at_one[k] else
                      Solved(None, f"{cfg.describe()}: {_miss(physics.take(np.array([k])), p, checks[limits], limits)}"))
    return out  # type: ignore[return-value]


def _solve(ph: _Physics, p: Params, top: np.ndarray, columns: tuple[str, ...],
           bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per curve: the largest concurrency in [1, capacity] whose latencies meet its limits (latency rises with
    concurrency, so that is a bracketed crossing), then the throughput maximum up to it (past the capacity nothing
    is gained: requests only wait). Also whether one request at a time meets the limits at all."""
    n = top.size
    grid = top[:, None] ** np.linspace(0.0, 1.0, SCAN)[None, :]  # SCAN points per curve, geometric from 1 to capacity
    rows = np.repeat(np.arange(n), SCAN)
    worst = _worst(ph.take(rows), p, grid.ravel(), columns, bounds[rows]).reshape(n, SCAN)
    meets = worst <= 1.0
    last = SCAN - 1 - np.argmax(meets[:, ::-1], axis=1)  # the last scan point that meets (a miss is reported apart)
    lo = grid[np.arange(n), last]
    hi = np.where(last < SCAN - 1, grid[np.arange(n), np.minimum(last + 1, SCAN - 1)], lo)
    open_ = (last < SCAN - 1) & meets[:, 0]
    for _ in range(BISECTIONS):
        open_ &= hi > lo * (1 + 1e-12)
        if not open_.any():
            break
        mid = np.sqrt(lo * hi)
        ok = _worst(ph, p, mid, columns, bounds) <= 1.0
        lo = np.where(open_ & ok, mid, lo)
        hi = np.where(open_ & ~ok, mid, hi)
    return _highest_throughput(ph, p, lo, grid, meets), meets[:, 0]


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


def _worst(ph: _Physics, p: Params, c: np.ndarray, columns: tuple[str, ...], bounds: np.ndarray) -> np.ndarray:
    """The largest ratio of a modeled latency to its limit (≤ 1: every limit met); bounds: one row per curve."""
    wanted = {column.rsplit("_", 1)[1] for column in columns} - {"avg"}
    modeled = evaluate(ph, p, c, percentiles=tuple(sorted(wanted)))
    return np.max([modeled[column] / bounds[:, k] for k, column in enumerate(columns)], axis=0)


def _miss(ph: _Physics, p: Params, checks: list[tuple[str, float]], limits: Limits) -> str:
    modeled = evaluate(ph, p, np.array([1.0]), percentiles=tuple({c.rsplit("_", 1)[1] for c, _ in checks} - {"avg"}))
    names = {"ttft_ms": "TTFT", "e2e_ms": "end-to-end latency", "itl_ms": "inter-token latency"}
    missed = [f"{names[c.rsplit('_', 1)[0]]} {float(modeled[c][0]):,.0f} ms (limit {v:,.0f})"
              for c, v in checks if float(modeled[c][0]) > v]
    return f"even one request at a time misses {limits.describe()}: modeled {', '.join(missed)}"


def _rows(cfgs: list[Config], answers: list[Solved]) -> pd.DataFrame:
    """The solved points as canonical modeled rows with the frontier's derived columns, built in one frame."""
    if not cfgs:
        return _empty_template().copy()
    concurrency = np.array([a.concurrency for a in answers], dtype="float64")
    frame = pd.DataFrame({
        "model": [c.model.name for c in cfgs], "gpu": [c.gpu.name for c in cfgs], "tp": [c.tp for c in cfgs],
        "pp": 1, "gpus_per_instance": [c.tp for c in cfgs], "precision": [c.precision for c in cfgs],
        "engine": "modeled", "isl": [c.isl for c in cfgs], "osl": [c.osl for c in cfgs], "load_mode": "concurrency",
        "concurrency": concurrency, **dict(zip(FIGURES, np.array([a.figures for a in answers]).T)), "runs": 1,
        "source": "performance model", "provenance": "modeled",
    })
    return add_derived(add_keys(conform(frame))).assign(point="solved")


def _empty(reason: str) -> pd.DataFrame:
    frame = _empty_template().copy()
    frame.attrs["reason"] = reason
    return frame


@cache
def _empty_template() -> pd.DataFrame:
    """The columns a solved row has, no rows (built once: a frontier asks for many)."""
    return add_derived(add_keys(conform(pd.DataFrame()))).assign(point=pd.Series(dtype="object"))
