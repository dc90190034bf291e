"""Per (gpu, tp, precision) curve, the operating point with the most prompts/s per server that meets every latency limit:
on a measured curve the best measured point (or one interpolated to the limit); on a modeled curve the catalog knows,
the point the performance model solves for the limit (core.operating), so no grid decides the answer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from core import catalog
from core.errors import SizerError
from core.inputs import InputError, positive, show, whole
from core.names import match_key
from core.perfmodel import Config, Params
from core.schema import DEFAULT_NODE_GPUS
from core.table import derive_rows

STATS = ("avg", "p50", "p90", "p95", "p99")
METRIC_WORDS = {"ttft_ms": "time to first token", "e2e_ms": "end-to-end latency", "itl_ms": "inter-token latency"}
MAX_TOKENS = 10_000_000  # the longest context of any model served today; more is a typo
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
            raise InputError("stat", f"must be one of {', '.join(STATS)}; got {show(self.stat)}")
        pairs = []
        for metric, value in (("ttft_ms", self.ttft_ms), ("e2e_ms", self.e2e_ms), ("itl_ms", self.itl_ms)):
            if value is not None:
                pairs.append((f"{metric}_{self.stat}", positive(metric, value)))
        if self.min_tok_per_s_per_user is not None:
            per_user = positive("min_tok_per_s_per_user", self.min_tok_per_s_per_user)
            itl = 1000.0 / per_user
            pairs = [(c, min(v, itl) if c.startswith("itl_ms") else v) for c, v in pairs]
            if not any(c.startswith("itl_ms") for c, _ in pairs):
                pairs.append((f"itl_ms_{self.stat}", itl))
        if not pairs:
            raise InputError(("ttft_ms", "e2e_ms", "itl_ms", "min_tok_per_s_per_user"), "set at least one latency limit: {name}")
        return pairs

    def describe(self) -> str:
        parts = [f"{name} ≤ {value:g} ms" for name, value in
                 (("TTFT", self.ttft_ms), ("end-to-end", self.e2e_ms), ("inter-token", self.itl_ms)) if value is not None]
        if self.min_tok_per_s_per_user is not None:
            parts.append(f"≥ {self.min_tok_per_s_per_user:g} tokens/s per user")
        return f"{' and '.join(parts)} ({self.stat})"

    def in_words(self) -> str:
        """The limits as a business reader says them: 'the first token within 300 ms on average'."""
        parts = [f"{what} within {value:,g} ms" for what, value in
                 (("the first token", self.ttft_ms), ("the whole answer", self.e2e_ms), ("each next token", self.itl_ms))
                 if value is not None]
        if self.min_tok_per_s_per_user is not None:
            parts.append(f"at least {self.min_tok_per_s_per_user:,g} tokens per second for each user")
        how = {"avg": "on average", "p50": "for half of the requests"}.get(self.stat, f"for {self.stat[1:]} % of requests")
        return f"{' and '.join(parts)} {how}"


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
    """The configuration that came closest when nothing met the limits (gpu: the catalog's name)."""

    gpu: str
    tp: int
    precision: str
    concurrency: float
    reached: dict[str, float]
    limits: dict[str, float]
    gpu_in_data: str = ""

    def describe(self) -> str:
        names = {"ttft_ms": "TTFT", "e2e_ms": "end-to-end latency", "itl_ms": "inter-token latency"}
        got = ", ".join(f"{names[c.rsplit('_', 1)[0]]} ({c.rsplit('_', 1)[1]}) {self.reached[c]:,.0f} ms "
                        f"(limit {self.limits[c]:,.0f})" for c in self.reached)
        return f"nearest miss: {self.gpu} TP{self.tp} {self.precision} at concurrency {self.concurrency:g} reaches {got}"


@dataclass
class Frontier:
    """Best operating point per curve (empty when nothing meets the limits, then `nearest_miss` says why).
    `model` is the catalog's name (what a reader is shown), `model_in_data` the data's own spelling (provenance);
    `notes` are plain sentences about what the search could not check."""

    points: pd.DataFrame
    model: str
    nearest_miss: NearestMiss | None = None
    notes: list[str] = field(default_factory=list)
    model_in_data: str = ""


def check_query(query: Query) -> tuple[int, int]:
    """The limits and the lengths (whole tokens, 1 to 10 M), checked before any data is searched."""
    query.limits.checks()
    return whole("isl", query.isl, 1, MAX_TOKENS, "tokens"), whole("osl", query.osl, 1, MAX_TOKENS, "tokens")


def select(table: pd.DataFrame, query: Query) -> tuple[np.ndarray, str]:
    """Mask of the query's model, lengths and filters, and the model's catalog name; unknown names and lengths are
    errors that list what exists."""
    in_len, out_len = check_query(query)
    if table.empty:
        raise SizerError("no benchmark data is loaded")
    model = _match_key(table, "model", query.model)
    of_model = table["model_key"].to_numpy() == model
    isl, osl = table["isl"].to_numpy(dtype="float64"), table["osl"].to_numpy(dtype="float64")
    mask = of_model & (isl == in_len) & (osl == out_len)
    if not mask.any():
        pairs = sorted({(int(i), int(o)) for i, o in zip(isl[of_model], osl[of_model])})
        listing = ", ".join(f"{i}/{o}" for i, o in pairs)
        raise SizerError(f"{model} has no data at {in_len} in / {out_len} out tokens; available in/out: {listing}")
    if query.gpus:
        keys = [_match_key(table, "gpu", g) for g in query.gpus]
        mask &= table["gpu_key"].isin(keys).to_numpy()
    if query.tps:
        mask &= table["tp"].isin(query.tps).to_numpy(dtype=bool)
    if query.precisions:
        mask &= table["precision"].str.lower().isin({p.lower() for p in query.precisions}).to_numpy(dtype=bool)
    if not mask.any():
        raise SizerError(f"the GPU/TP/precision filters leave no {model} data at {in_len}/{out_len}")
    return mask, model


def _match_key(table: pd.DataFrame, column: str, query: str) -> str:
    """Match against the data's spellings and the catalog's names alike; return the catalog key."""
    pairs = table[[column, f"{column}_key"]].drop_duplicates()
    key_of = dict(zip(pairs[column], pairs[f"{column}_key"])) | dict(zip(pairs[f"{column}_key"], pairs[f"{column}_key"]))
    return match_key(query, key_of, "GPU" if column == "gpu" else column)


def search(table: pd.DataFrame, query: Query, params: Params | None = None) -> Frontier:
    """The best point per curve, its kind in the `point` column: "solved" by the performance model on a modeled curve
    whose configuration the catalog knows; elsewhere the best grid point that meets every limit ("measured", or
    "modeled" on a modeled curve) or, if asked, one "interpolated" to the limit. params: the performance model's (the
    committed calibration by default)."""
    checks = query.limits.checks()
    mask, model = select(table, query)
    spellings = sorted(set(table["model"].to_numpy()[mask]))
    in_data = "; ".join(spellings)
    values = {col: table[col].to_numpy(dtype="float64", na_value=np.nan) for col, _ in checks}
    notes = _missing_stat_notes(table, mask, values, f"{model} at {int(query.isl)}/{int(query.osl)}")
    solved, by_model = _solved(table, mask, query.limits, params)
    on_grid = mask & ~by_model
    meets = on_grid.copy()
    for col, limit in checks:
        meets &= values[col] <= limit  # NaN never meets
    candidates = [solved, _best_on_grid(table, meets)]
    if query.interpolate:
        candidates.append(_interpolated(table, on_grid, meets, checks, values))
    points = pd.concat([c for c in candidates if not c.empty] or candidates[:1], ignore_index=True)
    if points.empty:
        return Frontier(points, model, _nearest_miss(table[mask], checks), notes, in_data)
    best = (points.sort_values(["prompts_per_s_per_server", "point"], ascending=[False, True], kind="stable")
            .drop_duplicates("curve_id").reset_index(drop=True))
    return Frontier(best, model, None, notes, in_data)


def solve_ahead(table: pd.DataFrame, query: Query, limits: list[Limits], params: Params | None = None) -> None:
    """Solve the query's modeled curves for many limits in one batch (the Sizing page's sweep of 40 limits), so that
    each search after it finds its points memoised. Bad input is left for those searches to report."""
    from core import operating

    if not limits:
        return
    try:
        mask, _ = select(table, replace(query, limits=limits[0]))  # the query's own limits may be unset: swept here
        modeled = mask & table["provenance"].eq("modeled").to_numpy(dtype=bool)
        idx = np.flatnonzero(modeled)
        firsts = table.iloc[idx[np.unique(table["curve_id"].to_numpy()[idx], return_index=True)[1]]]
        configs = [cfg for cfg in curve_configs(firsts) if cfg is not None]
        operating.solve([(cfg, lim) for lim in limits for cfg in configs], params)
    except SizerError:
        return


def curve_configs(rows: pd.DataFrame) -> list[Config | None]:
    """The performance model's configuration of each table row (catalog names from model_key and gpu_key), or None
    where the catalog does not know it or the row is not one the model describes (pipeline parallelism, a
    request-rate run)."""
    columns = [rows[c].to_numpy(dtype=object) for c in ("model_key", "gpu_key", "tp", "pp", "gpus_per_instance",
                                                         "precision", "isl", "osl", "load_mode")]
    return [_config(str(m), str(g), _int(t), _int(p), _int(gpi), str(prec), _int(i), _int(o)) if mode == "concurrency"
            else None for m, g, t, p, gpi, prec, i, o, mode in zip(*columns)]


def _int(value: object) -> int:
    return int(value) if pd.notna(value) else -1  # type: ignore[call-overload]


@lru_cache(maxsize=4096)
def _config(model: str, gpu: str, tp: int, pp: int, gpus_per_instance: int, precision: str, isl: int,
            osl: int) -> Config | None:
    if pp != 1 or gpus_per_instance != tp or min(tp, isl, osl) < 1:
        return None
    found_model, found_gpu = catalog.resolve_model(model), catalog.resolve_gpu(gpu)
    if found_model is None or found_gpu is None or precision.lower() not in catalog.PRECISION_BYTES:
        return None
    return Config(found_model, found_gpu, tp, catalog.precision_key(precision), isl, osl)


def _solved(table: pd.DataFrame, mask: np.ndarray, limits: Limits,
            params: Params | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The solved point of every modeled curve in the mask whose configuration the model can run (those that meet the
    limits), and the mask of those curves' rows: their grid rows are not searched. A curve the model cannot name or
    run keeps its grid rows."""
    modeled = mask & table["provenance"].eq("modeled").to_numpy(dtype=bool)
    handled = np.zeros(len(table), dtype=bool)
    if not modeled.any():
        return _none_solved(table), handled
    from core import operating

    idx = np.flatnonzero(modeled)
    curve = table["curve_id"].to_numpy()[idx]
    firsts = table.iloc[idx[np.unique(curve, return_index=True)[1]]]
    configs = curve_configs(firsts)
    known = [k for k, cfg in enumerate(configs) if cfg is not None]
    answers = operating.solve([(configs[k], limits) for k in known], params)
    runs = [k for k, a in zip(known, answers) if a.runs]
    handled[idx] = np.isin(curve, firsts["curve_id"].to_numpy()[runs])
    met = [(k, a) for k, a in zip(known, answers) if a.concurrency is not None]
    if not met:
        return _none_solved(table), handled
    figures = np.array([a.figures for _, a in met]).T
    rows = firsts.iloc[[k for k, _ in met]].assign(**dict(zip(operating.FIGURES, figures)), request_rate=np.nan,
                                                    concurrency=[a.concurrency for _, a in met])
    node = int(rows["node_gpus"].iloc[0]) if "node_gpus" in rows else DEFAULT_NODE_GPUS
    return derive_rows(rows, node).assign(point="solved"), handled


def _none_solved(table: pd.DataFrame) -> pd.DataFrame:
    return table.iloc[0:0].assign(point="solved")


def _best_on_grid(table: pd.DataFrame, meets: np.ndarray) -> pd.DataFrame:
    """Per curve, the meeting row with the most prompts/s per server, found without copying the other rows; its point
    is "measured" or, on a modeled curve, "modeled" (a grid point of the model is not a measurement)."""
    idx = np.flatnonzero(meets)
    if idx.size == 0:
        return table.iloc[0:0].assign(point=pd.Series(dtype="object"))
    curve = table["curve_id"].to_numpy()[idx]
    pps = table["prompts_per_s_per_server"].to_numpy(dtype="float64")[idx]
    order = np.lexsort((-pps, curve))
    first = np.ones(order.size, dtype=bool)
    first[1:] = curve[order][1:] != curve[order][:-1]
    best = table.iloc[idx[order[first]]]
    return best.assign(point=np.where(best["provenance"].eq("modeled").to_numpy(dtype=bool), "modeled", "measured"))


def _interpolated(table: pd.DataFrame, mask: np.ndarray, meets: np.ndarray, checks: list[tuple[str, float]],
                  values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Between the last load that meets and the next that fails: the point where the first limit is reached. Both
    points must have every limited statistic; otherwise the search stays on the one that meets."""
    curve = table["curve_id"].to_numpy()
    step = np.zeros(len(table), dtype=bool)
    step[:-1] = (curve[:-1] == curve[1:]) & mask[:-1] & ~meets[1:]
    at = np.flatnonzero(meets & step)
    if at.size == 0:
        return table.iloc[0:0].assign(point="interpolated")
    fraction = np.ones(at.size)
    known = np.ones(at.size, dtype=bool)
    for col, limit in checks:
        lo, hi = values[col][at], values[col][at + 1]
        known &= np.isfinite(hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(hi > limit, (limit - lo) / (hi - lo), 1.0)
        fraction = np.fmin(fraction, np.where(np.isfinite(f), f, 0.0))
    fraction = np.where(known, np.clip(fraction, 0.0, 1.0), 0.0)
    out = table.iloc[at].copy()
    nxt = table.iloc[at + 1]
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
    return NearestMiss(str(row["gpu_key"]), int(row["tp"]), str(row["precision"]), float(row["load"]),
                       {c: float(row[c]) for c, _ in checks}, dict(checks), str(row["gpu"]))


def _missing_stat_notes(table: pd.DataFrame, mask: np.ndarray, values: dict[str, np.ndarray], where: str) -> list[str]:
    """A limited statistic the data lacks: an error when no row has it, else a plain sentence per configuration."""
    notes = []
    for col, column_values in values.items():
        lacking = mask & np.isnan(column_values)
        if not lacking.any():
            continue
        metric, stat = col.rsplit("_", 1)
        what = f"{stat} {METRIC_WORDS[metric]}"
        if lacking.sum() == mask.sum():
            raise InputError("stat", f"{{name}} {stat}: the data for {where} has no {what}; it has "
                                     f"{_stats_in(table, mask, metric)}")
        configs = table.loc[mask, ["gpu_key", "tp", "precision"]].assign(lacking=lacking[mask])
        for (gpu, tp, precision), rows in configs.groupby(["gpu_key", "tp", "precision"], sort=True):
            if not rows["lacking"].any():
                continue
            name = f"{gpu} TP{tp} {precision}"
            if rows["lacking"].all():
                notes.append(f"{name}: the data has no {what} (it has {_stats_in(table, rows.index, metric)}), so it "
                             "cannot be checked against the limit and is left out")
            else:
                loads = table.loc[rows.index[rows["lacking"].to_numpy()], "load"]
                notes.append(f"{name}: the data has no {what} at load {', '.join(f'{x:g}' for x in loads)}, so those "
                             "points are left out")
    return notes


def _stats_in(table: pd.DataFrame, rows: np.ndarray | pd.Index, metric: str) -> str:
    """The statistics of a metric that the given rows have at least one value of."""
    subset = table.loc[rows]
    found = [s for s in STATS if f"{metric}_{s}" in subset and subset[f"{metric}_{s}"].notna().any()]
    return ", ".join(found) or "no statistic at all"
