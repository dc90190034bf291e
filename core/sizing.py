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
    from core.cost import CostSettings

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
    costing: CostSettings | None = None  # set when the options carry cost columns (core.cost)

    @property
    def best(self) -> pd.Series | None:
        return None if self.options.empty else self.options.iloc[0]


RANKINGS = {
    "servers": ["servers", "servers_exact", "gpus"],   # the course's question: fewest servers
    "cost": ["usd_per_month", "servers", "servers_exact"],  # cheapest to rent (GPUs without a price rank last)
}


def size(table: pd.DataFrame, query: Query, traffic: Traffic, usd_per_gpu_hour: dict[str, float] | None = None,
         rank_by: str = "servers", utilisation: float = 1.0, costing: CostSettings | None = None) -> Sizing:
    """Search the frontier, then size every configuration for the peak and rank it. With `costing`, every option
    also carries its yearly cost on-prem, in the cloud and by API, and "cost" ranks on the costing's basis."""
    frontier = search(table, query)
    options = size_points(frontier.points, traffic.peak_req_per_s, usd_per_gpu_hour, rank_by, utilisation)
    if costing is not None:
        from core.cost import Demand, add_costs

        demand = Demand.from_traffic(traffic, frontier.model, query.isl, query.osl)
        options = add_costs(options, costing, demand, utilisation, rank=rank_by == "cost")
    return Sizing(options, frontier, traffic, query, utilisation, costing)


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
                     metric: str = "ttft_ms", utilisation: float = 1.0) -> pd.DataFrame:
    """Best whole and exact servers at each latency limit: what loosening the limit saves."""
    rows = []
    for limit in limits_ms:
        at = replace(query, limits=replace(query.limits, **{metric: float(limit)}))
        best = size(table, at, traffic, utilisation=utilisation).best
        if best is not None:
            rows.append({"limit_ms": float(limit), "servers_exact": float(best["servers_exact"]),
                         "servers": int(best["servers"]),
                         "label": f"{best['gpu']} · TP{best['tp']} · {best['precision']} @ {best['load']:.3g}"})
    return pd.DataFrame(rows, columns=["limit_ms", "servers_exact", "servers", "label"])
