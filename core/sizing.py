"""From an operating point and peak traffic to servers, instances and GPUs, ranked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import SizerError
from core.frontier import Frontier, Query, search, solve_ahead
from core.inputs import MAX_COUNT, InputError, amount, number, positive, show
from core.traffic import MAX_PEAK_REQ_PER_S, Traffic

if TYPE_CHECKING:
    from core.cost import CostSettings
    from core.planning import Design, Plan

HOURS_PER_MONTH = 730
EPS = 1e-9  # keep 5.0000000001 from becoming 6 servers
MIN_UTILISATION = 0.01  # planning at under 1 % of the benchmarked throughput is a typo, not headroom


@dataclass
class Sizing:
    """The ranked options for one query and traffic, best first."""

    options: pd.DataFrame
    frontier: Frontier
    traffic: Traffic
    query: Query
    utilisation: float = 1.0
    costing: CostSettings | None = None  # set when the options carry cost columns (core.cost)
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
         rank_by: str = "servers", utilisation: float = 1.0, costing: CostSettings | None = None,
         plan: Plan | None = None) -> Sizing:
    """Search the frontier, then size every configuration for the design rate (the peak, or its burst) and rank it;
    each option also gets its open-loop check, range, spares and growth (core.planning, core.uncertainty). With
    `costing`, every option also carries its yearly cost on-prem, in the cloud and by API, and "cost" ranks on the
    costing's basis."""
    from core import planning, uncertainty

    plan = plan or planning.Plan()
    frontier = search(table, query)
    design = planning.design(traffic, plan)
    options = planning.size_options(frontier.points, design.design_req_per_s, usd_per_gpu_hour, rank_by, utilisation,
                                    plan)
    if plan.ranges:
        options = uncertainty.add_ranges(options, table, query, traffic, design, utilisation, plan)
    if costing is not None:
        from core.cost import Demand, add_costs

        demand = Demand.from_traffic(traffic, frontier.model, query.isl, query.osl)
        options = add_costs(options, costing, demand, utilisation, rank=rank_by == "cost")
    growth = planning.by_year(options, traffic.peak_req_per_s, utilisation, plan)
    return Sizing(options, frontier, traffic, query, utilisation, costing=costing, plan=plan, design=design,
                  by_year=growth)


def size_points(points: pd.DataFrame, peak_req_per_s: float, usd_per_gpu_hour: dict[str, float] | None = None,
                rank_by: str = "servers", utilisation: float = 1.0) -> pd.DataFrame:
    """servers = peak ÷ (prompts/s per server × utilisation): the course's formula at utilisation 1. A benchmark at
    fixed concurrency overstates what open (bursty) arrivals get at the same latency; utilisation < 1 is headroom."""
    utilisation = check_utilisation(utilisation)
    if rank_by not in RANKINGS:
        raise InputError("rank_by", f"must be one of {', '.join(RANKINGS)}; got {show(rank_by)}")
    peak = positive("peak_req_per_s", peak_req_per_s, MAX_PEAK_REQ_PER_S, " requests per second")
    out = points.copy()
    if out.empty:
        return out.assign(servers_exact=[], servers=[], instances=[], gpus=[], servers_packed=[], usd_per_hour=[])
    node = out["node_gpus"].to_numpy(dtype="float64")
    gpi = out["gpus_per_instance"].to_numpy(dtype="float64")
    demand = peak / utilisation
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exact = demand / out["prompts_per_s_per_server"].to_numpy(dtype="float64")
        copies = demand / out["req_per_s"].to_numpy(dtype="float64")
    _check_counts(out, exact, copies * gpi, peak)
    out["servers_exact"] = exact
    out["servers"] = _whole(exact)
    out["instances"] = _whole(copies)
    out["gpus"] = (out["instances"] * gpi).astype("int64")
    per_server = np.floor(node / gpi)
    packed = np.where(per_server >= 1, np.ceil(out["instances"] / np.maximum(per_server, 1)),
                      np.ceil(out["gpus"] / node))
    out["servers_packed"] = packed.astype("int64")
    prices = out["gpu"].map(usd_per_gpu_hour or {}).astype("float64")
    out["usd_per_hour"] = out["servers_packed"] * node * prices
    out["usd_per_month"] = out["usd_per_hour"] * HOURS_PER_MONTH
    return out.sort_values(RANKINGS[rank_by], kind="stable", na_position="last").reset_index(drop=True)


def check_utilisation(utilisation: object) -> float:
    """The share of the benchmarked throughput to plan at: from 1 % to 100 %."""
    value = number("utilisation", utilisation)
    if not MIN_UTILISATION <= value <= 1:
        raise InputError("utilisation", f"is out of range: plan at {amount(MIN_UTILISATION)} to 1 (1 % to 100 %) of the "
                                        f"benchmarked throughput; got {show(utilisation)}")
    return value


def _whole(exact: np.ndarray) -> np.ndarray:
    """Rounded up, and never below one: a positive traffic needs at least one of everything."""
    return np.maximum(1.0, np.ceil(exact - EPS)).astype("int64")


def _check_counts(points: pd.DataFrame, servers: np.ndarray, gpus: np.ndarray, peak: float) -> None:
    """Every count must be a number a float holds exactly; only absurd data (a throughput near zero) breaks that."""
    bad = ~((servers < MAX_COUNT) & (gpus < MAX_COUNT))  # NaN and infinity fail too
    if not bad.any():
        return
    row = points.iloc[int(np.flatnonzero(bad)[0])]
    name = f"{row.get('gpu_key', row['gpu'])} TP{row.get('tp', '?')} {row.get('precision', '')}".strip()
    where = f" ({row['source']})" if "source" in row else ""
    raise SizerError(f"{name}{where}: its throughput, {row['prompts_per_s_per_server']:g} prompts/s per server, is out "
                     f"of range: {peak:,g} requests per second at peak would need more servers than can be counted "
                     f"exactly ({amount(MAX_COUNT)})")


def servers_by_limit(table: pd.DataFrame, query: Query, traffic: Traffic, limits_ms: list[float],
                     metric: str = "ttft_ms", utilisation: float = 1.0, plan: Plan | None = None) -> pd.DataFrame:
    """Best whole and exact servers at each latency limit: what loosening the limit saves."""
    from core.planning import Plan

    quick = replace(plan or Plan(), ranges=False, growth_per_year=None, years=0)  # only the best count is drawn
    each = [replace(query.limits, **{metric: float(limit)}) for limit in limits_ms]
    solve_ahead(table, query, each)  # every modeled curve at every limit in one batch; each search below recalls it
    rows = []
    for limit, limits in zip(limits_ms, each):
        at = replace(query, limits=limits)
        best = size(table, at, traffic, utilisation=utilisation, plan=quick).best
        if best is not None:
            rows.append({"limit_ms": float(limit), "servers_exact": float(best["servers_exact"]),
                         "servers": int(best["servers"]),
                         "label": f"{best.get('gpu_key', best['gpu'])} · TP{best['tp']} · {best['precision']} @ {best['load']:.3g}"})
    return pd.DataFrame(rows, columns=["limit_ms", "servers_exact", "servers", "label"])
