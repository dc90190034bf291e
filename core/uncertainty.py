"""How sure an answer is: servers_low / servers_high from named sources of spread, and which assumption moves the
server count most (the tornado). Every source recomputes the exact server count under one changed input; the
sources are combined as independent, root-sum-square of their log-ratios, and each one's share of that sum is kept."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core import operating, perfmodel
from core.errors import SizerError
from core.frontier import Limits, Query, curve_configs, search
from core.inputs import MAX_COUNT
from core.planning import NEEDS_INPUTS, Design, Plan, burst_rate, exact_servers
from core.sizing import EPS, Sizing
from core.traffic import Traffic, TrafficInputs, derive

LATENCY_NAMES = {"ttft_ms": "TTFT", "e2e_ms": "end-to-end latency", "itl_ms": "inter-token latency"}
DATA_EDGE_NOTE = "the data stops here; throughput may be higher"
TORNADO_STEP = 0.2  # ±20 % for assumptions without a range of their own
TORNADO_COLUMNS = ["assumption", "side", "setting", "servers_exact", "servers", "base_servers_exact", "swing"]


@dataclass(frozen=True)
class Source:
    """One named reason the answer may differ, as the exact servers it gives at its low and high end."""

    source: str
    detail: str
    servers_exact_low: float
    servers_exact_high: float


def add_ranges(options: pd.DataFrame, table: pd.DataFrame, query: Query, traffic: Traffic, design: Design,
               utilisation: float, plan: Plan) -> pd.DataFrame:
    """servers_exact_low/high, servers_low/high, spread (each source with its share), data_edge and notes, per
    option. Sources: the model's error (modeled rows), run-to-run spread (repeated runs), the next concurrency in the
    data (the limit is crossed somewhere between), and the traffic ranges the user gave."""
    out = options.copy()
    n = len(out)
    sources: list[list[Source]] = [[] for _ in range(n)]
    notes: list[list[str]] = [[] for _ in range(n)]
    if n:
        def at(points: pd.DataFrame, rate: float = design.design_req_per_s) -> np.ndarray:
            return exact_servers(points, rate, utilisation, plan.p_wait)

        _model_error(out, table, query, at, sources, notes)
        _run_spread(out, at, sources, notes)
        _grid_step(out, table, at, sources, notes)
        _traffic(out, traffic, plan, at, sources)
    base = out["servers_exact"].to_numpy(dtype="float64") if n else np.zeros(0)
    low, high, spread = np.empty(n), np.empty(n), []
    for i in range(n):
        low[i], high[i], shares = combine(base[i], sources[i])
        spread.append([{"source": s.source, "detail": s.detail, "servers_exact_low": _finite(s.servers_exact_low),
                        "servers_exact_high": _finite(s.servers_exact_high), "share": share}
                       for s, share in zip(sources[i], shares)])
    out["servers_exact_low"] = low
    out["servers_exact_high"] = high
    out["servers_low"] = whole(low)
    out["servers_high"] = whole(high)
    out["spread"] = pd.Series(spread, index=out.index, dtype="object")
    out["range_notes"] = pd.Series(notes, index=out.index, dtype="object")
    out["data_edge"] = [DATA_EDGE_NOTE in n for n in notes]
    return out


def combine(base: float, sources: list[Source]) -> tuple[float, float, list[float]]:
    """low = base·exp(−√Σ d_low²), high = base·exp(√Σ d_high²), d the log-ratio of each source's end to the base;
    a source's share is its d_low² + d_high² over the sum (independent sources add in variance)."""
    d_low = [math.log(min(s.servers_exact_low, base) / base) for s in sources]
    d_high = [math.log(max(s.servers_exact_high, base) / base) if math.isfinite(s.servers_exact_high) else math.inf
              for s in sources]
    weights = [lo * lo + hi * hi for lo, hi in zip(d_low, d_high)]
    total = sum(weights)
    if math.isinf(total):
        shares = [1.0 if math.isinf(w) else 0.0 for w in weights]
        shares = [s / sum(shares) for s in shares]
    else:
        shares = [w / total if total > 0 else 0.0 for w in weights]
    low = base * math.exp(-math.sqrt(sum(d * d for d in d_low)))
    high = base * math.exp(math.sqrt(sum(d * d for d in d_high))) if all(map(math.isfinite, d_high)) else math.inf
    return low, high, shares


def extrapolated(row: pd.Series) -> bool:
    """The model's wider band for a configuration its calibration never measured (a GPU, FP4, an architecture);
    a row the catalog cannot name was never calibrated either."""
    try:
        cfg = perfmodel.Config.from_names(row["model"], row["gpu"], int(row["tp"]), row["precision"], int(row["isl"]),
                                          int(row["osl"]))
    except SizerError:
        return True
    return perfmodel.extrapolated(cfg)


def _model_error(out: pd.DataFrame, table: pd.DataFrame, query: Query, at, sources: list[list[Source]],
                 notes: list[list[str]]) -> None:
    """Modeled rows: the calibration's residuals, in req/s (scales the throughput) and in the limited latencies
    (the point meeting the limit moves: solved again for the limits divided by the band, or on a grid curve the
    model cannot name, found again with every latency of the curve scaled)."""
    modeled = np.flatnonzero(out["provenance"].to_numpy() == "modeled")
    if modeled.size == 0:
        return
    checks = query.limits.checks()
    metrics = list(dict.fromkeys(col.rsplit("_", 1)[0] for col, _ in checks))
    where = regimes(out)
    group = [(where[i], extrapolated(out.iloc[i])) for i in modeled]
    bands = {g: {m: perfmodel.error_band(m, g[0], extrapolated=g[1]) for m in ("req_per_s", *metrics)}
             for g in set(group)}
    rate_low = np.ones(len(out))
    rate_high = np.ones(len(out))
    for i, g in zip(modeled, group):
        rate_low[i], rate_high[i] = bands[g]["req_per_s"].low, bands[g]["req_per_s"].high
    fewer, more = at(_scaled(out, rate_high)), at(_scaled(out, rate_low))
    # A latency truly f × modeled meets the limit where f × modeled does: a solved point is solved again for the
    # limits divided by f; a modeled grid curve is searched again with its latencies scaled by f.
    solved = out["point"].eq("solved").to_numpy(dtype=bool)
    group_of = dict(zip(modeled, group))
    on_model, on_grid = [i for i in modeled if solved[i]], [i for i in modeled if not solved[i]]
    ends = [np.full(len(out), math.inf), np.full(len(out), math.inf)]
    for end, side in zip(ends, ("low", "high")):
        if on_model:
            factors = [{m: getattr(bands[group_of[i]][m], side) for m in metrics} for i in on_model]
            end[on_model] = _solved_again(out.iloc[on_model], query.limits, factors, at)
        if on_grid:
            curves = out["curve_id"].to_numpy()[on_grid]
            sub = table[table["curve_id"].isin(curves)]
            scaled = sub.copy()
            for col, _ in checks:
                f = {c: getattr(bands[group_of[i]][col.rsplit("_", 1)[0]], side) for c, i in zip(curves, on_grid)}
                scaled[col] = sub[col] * sub["curve_id"].map(f).to_numpy(dtype="float64")
            found = search(scaled, query).points
            exact = dict(zip(found["curve_id"], at(found))) if len(found) else {}
            end[on_grid] = [float(exact.get(c, math.inf)) for c in curves]
    names = " and ".join(LATENCY_NAMES[m] for m in metrics)
    for i, g in zip(modeled, group):
        words = f"{g[0].replace('_', ' the ')}{', extrapolated' if g[1] else ''}"
        b = bands[g]
        sources[i].append(Source("model error in req/s", f"{words}: measured ÷ modeled ×{b['req_per_s'].low:.2f}–"
                                 f"×{b['req_per_s'].high:.2f} ({b['req_per_s'].basis})", fewer[i], more[i]))
        spans = "; ".join(f"{LATENCY_NAMES[m]} ×{b[m].low:.2f}–×{b[m].high:.2f}" for m in metrics)
        basis = "; ".join(dict.fromkeys(b[m].basis for m in metrics))
        sources[i].append(Source(f"model error in {names}", f"{words}: measured ÷ modeled {spans} ({basis})",
                                 float(ends[0][i]), float(ends[1][i])))


def _solved_again(rows: pd.DataFrame, limits: Limits, factors: list[dict[str, float]], at) -> np.ndarray:
    """Exact servers of each solved row's configuration when its true latencies are factor × modeled: the point
    solved for the limits divided by the factors (inf where nothing meets them then)."""
    pairs = [(cfg, _scale_limits(limits, f)) for cfg, f in zip(curve_configs(rows), factors)]
    answers = operating.solve(pairs)
    met = [k for k, a in enumerate(answers) if a.concurrency is not None]
    out = np.full(len(rows), math.inf)
    if met:
        rate = np.array([answers[k].as_columns()["req_per_s"] for k in met])
        moved = rows.iloc[met]
        gpus = moved["gpus_per_instance"].to_numpy(dtype="float64")
        out[met] = at(moved.assign(req_per_s=rate, prompts_per_s_per_server=rate / gpus * moved["node_gpus"]
                                   .to_numpy(dtype="float64")))
    return out


def regimes(points: pd.DataFrame) -> np.ndarray:
    """Below the knee while the KV cache holds every sequence in flight (the model's capacity_seqs, when known)."""
    capacity = (points["capacity_seqs"].to_numpy(dtype="float64", na_value=np.nan) if "capacity_seqs" in points
                else np.full(len(points), np.nan))
    above = np.isfinite(capacity) & (points["concurrency"].to_numpy(dtype="float64", na_value=np.nan) > capacity)
    return np.where(above, "above_knee", "below_knee")


def _scale_limits(limits: Limits, factor: dict[str, float]) -> Limits:
    """The limits a modeled latency must meet when the true one is factor × modeled."""
    def div(value: float | None, metric: str) -> float | None:
        return None if value is None else value / factor.get(metric, 1.0)

    tok = limits.min_tok_per_s_per_user
    return replace(limits, ttft_ms=div(limits.ttft_ms, "ttft_ms"), e2e_ms=div(limits.e2e_ms, "e2e_ms"),
                   itl_ms=div(limits.itl_ms, "itl_ms"),
                   min_tok_per_s_per_user=None if tok is None else tok * factor.get("itl_ms", 1.0))


def _run_spread(out: pd.DataFrame, at, sources: list[list[Source]], notes: list[list[str]]) -> None:
    """Repeated runs of one point: the slowest and fastest repeat instead of their mean."""
    runs = pd.to_numeric(out["runs"], errors="coerce").fillna(1).to_numpy(dtype="float64")
    repeated = (runs > 1) & (out["provenance"].to_numpy() == "measured")
    if not repeated.any():
        return
    mean = out["req_per_s"].to_numpy(dtype="float64")
    slow = out["req_per_s_min"].to_numpy(dtype="float64", na_value=np.nan) / mean
    fast = out["req_per_s_max"].to_numpy(dtype="float64", na_value=np.nan) / mean
    known = repeated & np.isfinite(slow) & np.isfinite(fast)
    for i in np.flatnonzero(repeated & ~known):
        notes[i].append(f"{int(runs[i])} runs averaged; the table keeps no run-to-run spread")
    more, fewer = at(_scaled(out, np.where(known, slow, 1.0))), at(_scaled(out, np.where(known, fast, 1.0)))
    for i in np.flatnonzero(known):
        sources[i].append(Source("run-to-run spread", f"{int(runs[i])} runs: req/s ×{slow[i]:.3f}–×{fast[i]:.3f} of "
                                 "their mean", fewer[i], more[i]))


def _grid_step(out: pd.DataFrame, table: pd.DataFrame, at, sources: list[list[Source]],
               notes: list[list[str]]) -> None:
    """The limit is crossed between two concurrencies of the data: a measured answer could be as good as the next
    concurrency (it failed the limit, but only just, perhaps); an interpolated one as poor as the concurrency below.
    At the last concurrency of a curve the data says nothing about what lies beyond: flagged, not a number. A point the
    performance model solved sits on the limit itself: no step of a grid to span."""
    rows = table[table["curve_id"].isin(out["curve_id"]) & table["load"].notna()]
    curve, load = rows["curve_id"].to_numpy(dtype="float64"), rows["load"].to_numpy(dtype="float64")
    span = float(np.nanmax(load)) + 1.0 if len(rows) else 1.0
    key = curve * span + load
    order = np.argsort(key, kind="stable")
    key, curve, load = key[order], curve[order], load[order]
    at_curve, at_load = out["curve_id"].to_numpy(dtype="float64"), out["load"].to_numpy(dtype="float64")
    interpolated = out["point"].to_numpy() == "interpolated"
    after = np.searchsorted(key, at_curve * span + at_load + EPS, side="right")  # first row beyond this load
    below = after - 1
    has_next = (after < len(key)) & (curve[np.minimum(after, len(key) - 1)] == at_curve) if len(key) else after < 0
    has_below = (below >= 0) & (curve[np.maximum(below, 0)] == at_curve) if len(key) else below < 0
    pick = np.where(interpolated, below, after)
    usable = np.where(interpolated, has_below, has_next)
    base = out["servers_exact"].to_numpy(dtype="float64")
    there = np.full(len(out), np.nan)
    if usable.any():
        other = rows.iloc[order[pick[usable]]]
        moved = out[usable].assign(**{c: other[c].to_numpy() for c in ("req_per_s", "prompts_per_s_per_server")})
        there[usable] = at(moved)
    solved = out["point"].eq("solved").to_numpy(dtype=bool)
    for i in range(len(out)):
        if solved[i]:
            continue
        if interpolated[i] and has_below[i]:
            sources[i].append(Source("next concurrency in the data", f"interpolated above concurrency "
                                     f"{load[pick[i]]:.3g}; linear in between", base[i], max(base[i], there[i])))
        elif not interpolated[i] and not has_next[i]:
            notes[i].append(DATA_EDGE_NOTE)
        elif not interpolated[i] and there[i] < base[i]:
            sources[i].append(Source("next concurrency in the data", f"concurrency {at_load[i]:.3g} meets the limit "
                                     f"and {load[pick[i]]:.3g} does not; the limit is crossed in between",
                                     there[i], base[i]))


def _traffic(out: pd.DataFrame, traffic: Traffic, plan: Plan, at, sources: list[list[Source]]) -> None:
    ranges = (("peak factor", "peak_factor", plan.peak_factor_range),
              ("minutes per call", "minutes_per_call", plan.minutes_per_call_range))
    for name, attr, pair in ranges:
        if pair is None:
            continue
        low, high = (_exact_at_traffic(out, traffic, plan, {attr: v}, at) for v in pair)
        for i in range(len(out)):
            sources[i].append(Source(name, f"{pair[0]:g}–{pair[1]:g}", min(low[i], high[i]), max(low[i], high[i])))


def _exact_at_traffic(points: pd.DataFrame, traffic: Traffic, plan: Plan, change: dict[str, float], at) -> np.ndarray:
    peak = derive(replace(_inputs(traffic), **change)).peak_req_per_s
    return at(points, float(burst_rate(peak, plan.burst)))


def _inputs(traffic: Traffic) -> TrafficInputs:
    if traffic.inputs is None:
        raise SizerError(NEEDS_INPUTS)
    return traffic.inputs


def _scaled(points: pd.DataFrame, factor: float | np.ndarray) -> pd.DataFrame:
    return points.assign(req_per_s=points["req_per_s"] * factor,
                         prompts_per_s_per_server=points["prompts_per_s_per_server"] * factor)


def whole(exact: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole servers, rounded up as the course does; missing where the exact count is unbounded."""
    return pd.array([math.ceil(v - EPS) if math.isfinite(v) and v < MAX_COUNT else None for v in exact], dtype="Int64")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def tornado(table: pd.DataFrame, result: Sizing, option: int = 0) -> pd.DataFrame:
    """For one option's configuration (the best by default): the exact servers when each assumption moves down and
    up, one row per side, sorted by swing. Traffic assumptions use their range when given, else ±20 %; latency limits
    ±20 %; input and output length the neighbouring length in the data; the option's own spread sources as computed."""
    if result.options.empty:
        return pd.DataFrame(columns=TORNADO_COLUMNS)
    plan, u = result.plan or Plan(), result.utilisation
    row = result.options.iloc[[option]]
    base = float(row["servers_exact"].iloc[0])
    gpu, tp, precision = row["gpu"].iloc[0], int(row["tp"].iloc[0]), row["precision"].iloc[0]
    config = replace(result.query, gpus=(str(gpu),), tps=(tp,), precisions=(str(precision),))
    r = row.iloc[0]  # this configuration's rows at every length: each search below reads only them
    table = table[(table["model_key"] == r["model_key"]).to_numpy() & (table["gpu_key"] == r["gpu_key"]).to_numpy()
                  & (table["tp"] == r["tp"]).to_numpy(dtype=bool) & (table["precision"] == r["precision"]).to_numpy()]
    design = float(burst_rate(result.traffic.peak_req_per_s, plan.burst))
    entries: list[tuple[str, str, str, float]] = []

    def at(points: pd.DataFrame, rate: float = design) -> np.ndarray:
        return exact_servers(points, rate, u, plan.p_wait)

    t = result.traffic
    if t.inputs is not None:
        i = t.inputs
        for name, attr, pair in (("peak factor", "peak_factor", plan.peak_factor_range),
                                 ("minutes per call", "minutes_per_call", plan.minutes_per_call_range),
                                 ("LLM requests per RAG call", "llm_requests_per_rag_call", None)):
            value = getattr(i, attr)
            low, high = pair or (value * (1 - TORNADO_STEP), value * (1 + TORNADO_STEP))
            if attr == "peak_factor":
                low = max(low, 1.0)
            for side, v in (("lower", low), ("higher", high)):
                entries.append((name, side, f"{v:,.3g}", float(_exact_at_traffic(row, t, plan, {attr: v}, at)[0])))
    else:
        for side, f in (("lower", 1 - TORNADO_STEP), ("higher", 1 + TORNADO_STEP)):
            peak = t.peak_req_per_s * f
            entries.append(("peak req/s", side, f"{peak:,.1f}", float(at(row, float(burst_rate(peak, plan.burst)))[0])))
    for side, f in (("lower", 1 - TORNADO_STEP), ("higher", 1 + TORNADO_STEP)):
        limits = _scale_limits(result.query.limits, dict.fromkeys(LATENCY_NAMES, 1 / f))
        entries.append(("latency limit", side, f"{f:.0%} of the limit",
                        _best_at(table, replace(config, limits=limits), row, at)))
    for name, attr in (("input length", "isl"), ("output length", "osl")):
        for side, length in _neighbours(table, config, attr).items():
            entries.append((name, side, f"{length:,} tokens", _best_at(table, replace(config, **{attr: length}), row, at)))
    for s in (row["spread"].iloc[0] if "spread" in row else None) or []:
        if s["source"] not in ("peak factor", "minutes per call"):
            entries += [(s["source"], "lower", "low end", s["servers_exact_low"] or math.inf),
                        (s["source"], "higher", "high end", s["servers_exact_high"] or math.inf)]
    frame = pd.DataFrame(entries, columns=["assumption", "side", "setting", "servers_exact"])
    frame["servers_exact"] = frame["servers_exact"].astype("float64")
    finite = np.isfinite(frame["servers_exact"])
    frame["servers"] = whole(frame["servers_exact"].to_numpy())
    frame["servers_exact"] = frame["servers_exact"].where(finite)
    frame["base_servers_exact"] = base
    dev = (frame["servers_exact"] - base).abs().fillna(math.inf)
    frame["swing"] = frame["assumption"].map(dev.groupby(frame["assumption"]).sum())
    frame["setting"] = frame["setting"].where(finite, frame["setting"] + " (nothing meets the limit)")
    return frame.sort_values(["swing", "assumption"], ascending=[False, True], kind="stable")[TORNADO_COLUMNS] \
        .reset_index(drop=True)


def _best_at(table: pd.DataFrame, query: Query, row: pd.DataFrame, at) -> float:
    """Exact servers for one configuration under a changed query: its own curve when it is there, else its best."""
    try:
        found = search(table, query).points
    except SizerError:
        return math.inf
    same = found[found["curve_id"] == row["curve_id"].iloc[0]]
    found = same if len(same) else found
    return float(at(found).min()) if len(found) else math.inf


def _neighbours(table: pd.DataFrame, config: Query, attr: str) -> dict[str, int]:
    """The next shorter and longer length this configuration's rows have, the other length fixed."""
    other = "osl" if attr == "isl" else "isl"
    lengths = sorted(int(v) for v in table.loc[table[other] == getattr(config, other), attr].unique())
    here = getattr(config, attr)
    below = [v for v in lengths if v < here]
    above = [v for v in lengths if v > here]
    return ({"lower": below[-1]} if below else {}) | ({"higher": above[0]} if above else {})
