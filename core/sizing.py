"""From an operating point and peak traffic to servers, instances and GPUs, ranked."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import SizerError
from core.frontier import Frontier, Query, search
from core.traffic import Traffic

if TYPE_CHECKING:
    from core.planning import Design, Plan

HOURS_PER_MONTH = 730
EPS = 1e-9  # keep 5.0000000001 from becoming 6 servers


@dataclass
class Sizing:
    """The ranked options for one query and traffic, best first."""

    options: pd.DataFrame
    frontier: Frontier
    traffic: Traffic
    query: Query
    utilisation: float = 1.0
    plan: Plan | None = None          # bursts, P(wait), spares, growth, traffic ranges (core.planning)
    design: Design | None = None      # the rate sized for: the peak, or its burst percentile, with the step shown
    by_year: pd.DataFrame | None = None  # servers per option and year when traffic grows (option = row of options)

    @property
    def best(self) -> pd.Series | None:
        return None if self.options.empty else self.options.iloc[0]


RANKINGS = {
    "servers": ["servers", "servers_exact", "gpus"],   # the course's question: fewest servers
    "cost": ["usd_per_month", "servers", "servers_exact"],  # cheapest to rent (GPUs without a price rank last)
}


def size(table: pd.DataFrame, query: Query, traffic: Traffic, usd_per_gpu_hour: dict[str, float] | None = None,
         rank_by: str = "servers", utilisation: float = 1.0, plan: Plan | None = None) -> Sizing:
    """Search the frontier, then size every configuration for the design rate (the peak, or its burst) and rank it;
    each option also gets its open-loop check, range, spares and growth (core.planning, core.uncertainty)."""
    from core import planning, uncertainty

    plan = plan or planning.Plan()
    frontier = search(table, query)
    design = planning.design(traffic, plan)
    options = planning.size_options(frontier.points, design.design_req_per_s, usd_per_gpu_hour, rank_by, utilisation,
                                    plan)
    if plan.ranges:
        options = uncertainty.add_ranges(options, table, query, traffic, design, utilisation, plan)
    growth = planning.by_year(options, traffic.peak_req_per_s, utilisation, plan)
    return Sizing(options, frontier, traffic, query, utilisation, plan, design, growth)


def size_points(points: pd.DataFrame, peak_req_per_s: float, usd_per_gpu_hour: dict[str, float] | None = None,
                rank_by: str = "servers", utilisation: float = 1.0) -> pd.DataFrame:
    """servers = peak ÷ (prompts/s per server × utilisation): the course's formula at utilisation 1. A benchmark at
    fixed concurrency overstates what open (bursty) arrivals get at the same latency; utilisation < 1 is headroom."""
    if not (isinstance(utilisation, (int, float)) and 0 < utilisation <= 1):
        raise SizerError(f"utilisation must be above 0 and at most 1 (100 %); got {utilisation!r}")
    if rank_by not in RANKINGS:
        raise SizerError(f"rank by one of {', '.join(RANKINGS)}; got {rank_by!r}")
    if not (isinstance(peak_req_per_s, (int, float)) and math.isfinite(peak_req_per_s) and peak_req_per_s > 0):
        raise SizerError(f"peak req/s must be a positive number; got {peak_req_per_s!r}")
    out = points.copy()
    if out.empty:
        return out.assign(servers_exact=[], servers=[], instances=[], gpus=[], servers_packed=[], usd_per_hour=[])
    node = out["node_gpus"].to_numpy(dtype="float64")
    gpi = out["gpus_per_instance"].to_numpy(dtype="float64")
    peak_req_per_s = peak_req_per_s / utilisation
    out["servers_exact"] = peak_req_per_s / out["prompts_per_s_per_server"].to_numpy(dtype="float64")
    out["servers"] = np.ceil(out["servers_exact"] - EPS).astype("int64")
    out["instances"] = np.ceil(peak_req_per_s / out["req_per_s"].to_numpy(dtype="float64") - EPS).astype("int64")
    out["gpus"] = (out["instances"] * gpi).astype("int64")
    per_server = np.floor(node / gpi)
    packed = np.where(per_server >= 1, np.ceil(out["instances"] / np.maximum(per_server, 1)),
                      np.ceil(out["gpus"] / node))
    out["servers_packed"] = packed.astype("int64")
    prices = out["gpu"].map(usd_per_gpu_hour or {}).astype("float64")
    out["usd_per_hour"] = out["servers_packed"] * node * prices
    out["usd_per_month"] = out["usd_per_hour"] * HOURS_PER_MONTH
    return out.sort_values(RANKINGS[rank_by], kind="stable", na_position="last").reset_index(drop=True)


def servers_by_limit(table: pd.DataFrame, query: Query, traffic: Traffic, limits_ms: list[float],
                     metric: str = "ttft_ms", utilisation: float = 1.0, plan: Plan | None = None) -> pd.DataFrame:
    """Best whole and exact servers at each latency limit: what loosening the limit saves."""
    from core.planning import Plan

    quick = replace(plan or Plan(), ranges=False, growth_per_year=None, years=0)  # only the best count is drawn
    rows = []
    for limit in limits_ms:
        at = replace(query, limits=replace(query.limits, **{metric: float(limit)}))
        best = size(table, at, traffic, utilisation=utilisation, plan=quick).best
        if best is not None:
            rows.append({"limit_ms": float(limit), "servers_exact": float(best["servers_exact"]),
                         "servers": int(best["servers"]),
                         "label": f"{best['gpu']} · TP{best['tp']} · {best['precision']} @ {best['load']:.3g}"})
    return pd.DataFrame(rows, columns=["limit_ms", "servers_exact", "servers", "label"])
