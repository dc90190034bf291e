"""Per (gpu, tp, precision) curve, the operating point with the most prompts/s per server that meets every latency limit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import SizerError
from core.names import match_name

STATS = ("avg", "p50", "p90", "p95", "p99")
# Columns carried from a measured point to an interpolated one (linear in the load between the two points).
INTERPOLATED = ("load", "concurrency", "request_rate", "req_per_s", "out_tok_per_s", "req_per_s_per_gpu",
                "out_tok_per_s_per_gpu", "prompts_per_s_per_server", "out_tok_per_s_per_server",
                "concurrency_per_server", *(f"{m}_{s}" for m in ("ttft_ms", "itl_ms", "e2e_ms") for s in STATS))


@dataclass(frozen=True)
class Limits:
    """Latency limits in ms (None: no limit) on one statistic; tokens/s per user becomes an inter-token limit."""

    ttft_ms: float | None = None
    e2e_ms: float | None = None
    itl_ms: float | None = None
    min_tok_per_s_per_user: float | None = None
    stat: str = "avg"

    def checks(self) -> list[tuple[str, float]]:
        """(column, limit) pairs; validates the limits first."""
        if self.stat not in STATS:
            raise SizerError(f"statistic must be one of {', '.join(STATS)}; got {self.stat!r}")
        pairs = []
        for metric, value in (("ttft_ms", self.ttft_ms), ("e2e_ms", self.e2e_ms), ("itl_ms", self.itl_ms)):
            if value is not None:
                pairs.append((f"{metric}_{self.stat}", _positive(f"{metric} limit", value)))
        if self.min_tok_per_s_per_user is not None:
            per_user = _positive("tokens/s per user", self.min_tok_per_s_per_user)
            itl = 1000.0 / per_user
            pairs = [(c, min(v, itl) if c.startswith("itl_ms") else v) for c, v in pairs]
            if not any(c.startswith("itl_ms") for c, _ in pairs):
                pairs.append((f"itl_ms_{self.stat}", itl))
        if not pairs:
            raise SizerError("set at least one latency limit (TTFT, end-to-end, inter-token or tokens/s per user)")
        return pairs

    def describe(self) -> str:
        parts = [f"{name} ≤ {value:g} ms" for name, value in
                 (("TTFT", self.ttft_ms), ("end-to-end", self.e2e_ms), ("inter-token", self.itl_ms)) if value is not None]
        if self.min_tok_per_s_per_user is not None:
            parts.append(f"≥ {self.min_tok_per_s_per_user:g} tokens/s per user")
        return f"{' and '.join(parts)} ({self.stat})"


@dataclass(frozen=True)
class Query:
    """What to search: one model at one input/output length, optionally narrowed to some GPUs, TPs, precisions."""

    model: str
    isl: int
    osl: int
    limits: Limits
    gpus: tuple[str, ...] = ()
    tps: tuple[int, ...] = ()
    precisions: tuple[str, ...] = ()
    interpolate: bool = False


@dataclass(frozen=True)
class NearestMiss:
    """The configuration that came closest when nothing met the limits."""

    gpu: str
    tp: int
    precision: str
    concurrency: float
    reached: dict[str, float]
    limits: dict[str, float]

    def describe(self) -> str:
        got = ", ".join(f"{c} {self.reached[c]:,.0f} ms (limit {self.limits[c]:,.0f})" for c in self.reached)
        return f"nearest miss: {self.gpu} TP{self.tp} {self.precision} at concurrency {self.concurrency:g} reaches {got}"


@dataclass
class Frontier:
    """Best operating point per curve (empty when nothing meets the limits, then `nearest_miss` says why)."""

    points: pd.DataFrame
    model: str
    nearest_miss: NearestMiss | None = None
    notes: list[str] = field(default_factory=list)


def select(table: pd.DataFrame, query: Query) -> tuple[pd.DataFrame, str]:
    """Rows of the query's model, lengths and filters; unknown names and lengths are errors that list what exists."""
    if table.empty:
        raise SizerError("no benchmark data is loaded")
    model = match_name(query.model, table["model"].dropna().unique(), "model")
    rows = table[table["model"] == model]
    pairs = rows[["isl", "osl"]].drop_duplicates().sort_values(["isl", "osl"])
    rows = rows[(rows["isl"] == query.isl) & (rows["osl"] == query.osl)]
    if rows.empty:
        listing = ", ".join(f"{i}/{o}" for i, o in pairs.itertuples(index=False))
        raise SizerError(f"{model} has no data at {query.isl} in / {query.osl} out tokens; available in/out: {listing}")
    if query.gpus:
        names = [match_name(g, table["gpu"].dropna().unique(), "GPU") for g in query.gpus]
        rows = rows[rows["gpu"].isin(names)]
    if query.tps:
        rows = rows[rows["tp"].isin(query.tps)]
    if query.precisions:
        wanted = {p.lower() for p in query.precisions}
        rows = rows[rows["precision"].str.lower().isin(wanted)]
    if rows.empty:
        raise SizerError(f"the GPU/TP/precision filters leave no {model} data at {query.isl}/{query.osl}")
    return rows, model


def search(table: pd.DataFrame, query: Query) -> Frontier:
    """Measured points that meet every limit (and, if asked, points interpolated to the limit); the best per curve."""
    checks = query.limits.checks()
    rows, model = select(table, query)
    notes = _missing_stat_notes(rows, checks)
    meets = _meets(rows, checks)
    candidates = rows[meets].assign(point="measured")
    if query.interpolate:
        candidates = pd.concat([candidates, _interpolated(rows, meets, checks)], ignore_index=True)
    if candidates.empty:
        return Frontier(candidates, model, _nearest_miss(rows, checks), notes)
    best = (candidates.sort_values(["prompts_per_s_per_server", "point"], ascending=[False, True], kind="stable")
            .drop_duplicates("curve_id").reset_index(drop=True))
    return Frontier(best, model, None, notes)


def _meets(rows: pd.DataFrame, checks: list[tuple[str, float]]) -> np.ndarray:
    ok = np.ones(len(rows), dtype=bool)
    for col, limit in checks:
        ok &= rows[col].to_numpy(dtype="float64", na_value=np.nan) <= limit  # NaN never meets
    return ok


def _interpolated(rows: pd.DataFrame, meets: np.ndarray, checks: list[tuple[str, float]]) -> pd.DataFrame:
    """Between the last load that meets and the next that fails: the point where the first limit is reached."""
    curve = rows["curve_id"].to_numpy()
    same_curve = np.zeros(len(rows), dtype=bool)
    same_curve[:-1] = curve[:-1] == curve[1:]
    fails_next = np.zeros(len(rows), dtype=bool)
    fails_next[:-1] = ~meets[1:]
    at = np.flatnonzero(meets & same_curve & fails_next)
    if at.size == 0:
        return rows.iloc[0:0].assign(point="interpolated")
    fraction = np.ones(at.size)
    for col, limit in checks:
        m = rows[col].to_numpy(dtype="float64", na_value=np.nan)
        lo, hi = m[at], m[at + 1]
        crossing = hi > limit
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(crossing, (limit - lo) / (hi - lo), 1.0)
        fraction = np.fmin(fraction, np.where(np.isfinite(f), f, 0.0))
    fraction = np.clip(fraction, 0.0, 1.0)
    out = rows.iloc[at].copy()
    nxt = rows.iloc[at + 1]
    for col in INTERPOLATED:
        a = out[col].to_numpy(dtype="float64", na_value=np.nan)
        b = nxt[col].to_numpy(dtype="float64", na_value=np.nan)
        out[col] = a + fraction * (b - a)
    out["point"] = "interpolated"
    return out[fraction > 0]


def _nearest_miss(rows: pd.DataFrame, checks: list[tuple[str, float]]) -> NearestMiss | None:
    ratios = np.column_stack([rows[c].to_numpy(dtype="float64", na_value=np.nan) / v for c, v in checks])
    worst = np.nanmax(np.where(np.isnan(ratios), np.inf, ratios), axis=1)
    if not np.isfinite(worst).any():
        return None
    row = rows.iloc[int(np.argmin(worst))]
    return NearestMiss(str(row["gpu"]), int(row["tp"]), str(row["precision"]), float(row["load"]),
                       {c: float(row[c]) for c, _ in checks}, dict(checks))


def _missing_stat_notes(rows: pd.DataFrame, checks: list[tuple[str, float]]) -> list[str]:
    notes = []
    for col, _ in checks:
        lacking = rows.loc[rows[col].isna(), ["gpu", "tp", "precision"]].drop_duplicates()
        for gpu, tp, precision in lacking.itertuples(index=False):
            notes.append(f"{gpu} TP{tp} {precision}: the data has no {col}, so it cannot be checked against that limit")
    return notes


def _positive(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SizerError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SizerError(f"{name} must be a positive number; got {value!r}")
    return number
