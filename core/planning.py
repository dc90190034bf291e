"""Planning beyond the course's one number: bursts within the peak, open-loop headroom (Erlang C), spares, growth,
and the inverse question (what a fleet or a monthly budget carries). Formulas: ../shared/reference/
sizing-tools-survey.md §3-§4."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from core.errors import SizerError
from core.frontier import Frontier, Query, search
from core.inputs import countable, finite_or_none
from core.sizing import EPS, HOURS_PER_MONTH, Sizing, check_utilisation, size_points
from core.traffic import SECONDS_PER_YEAR, Traffic, TrafficInputs

BURST_PERCENTILES = (95.0, 99.0, 99.9)  # the choices the app offers; any 50 <= P < 100 is accepted
BURST_WINDOWS_S = (1.0, 10.0, 60.0)
MAX_WINDOW_S = 3600.0  # the peak factor describes a busy hour at most
MAX_GROWTH = 10.0      # 1,000 %/yr: anything above is a percentage typed as a fraction
MAX_YEARS = 30
NEEDS_INPUTS = "a peak factor or minutes-per-call range needs the call-centre assumptions, not a peak req/s"


@dataclass(frozen=True)
class Burst:
    """Size for the P-th percentile of Poisson arrivals in a window of window_s seconds, not for the mean rate."""

    percentile: float
    window_s: float = 1.0

    def __post_init__(self) -> None:
        p, w = _number("burst percentile", self.percentile), _number("burst window", self.window_s)
        if not 50 <= p < 100:
            raise SizerError(f"burst percentile must be at least 50 and below 100 (e.g. 95, 99, 99.9); got {p:g}")
        if not 0 < w <= MAX_WINDOW_S:
            raise SizerError(f"burst window must be above 0 and at most {MAX_WINDOW_S:g} s; got {w:g}")


@dataclass(frozen=True)
class Plan:
    """The planning choices beyond the course's formula; the defaults reproduce the course (plus a range)."""

    burst: Burst | None = None
    p_wait: float | None = None            # plan so that the Erlang-C probability of waiting is at most this
    spares: int = 0                        # N + k servers for failures and maintenance, shown apart
    growth_per_year: float | None = None   # 0.25 = traffic grows 25 % a year
    years: int = 0                         # horizon for growth
    peak_factor_range: tuple[float, float] | None = None
    minutes_per_call_range: tuple[float, float] | None = None
    ranges: bool = True                    # compute servers_low/high and the spread (off for bulk what-ifs)

    def __post_init__(self) -> None:
        if self.p_wait is not None and not 0 < _number("P(wait)", self.p_wait) < 1:
            raise SizerError(f"P(wait) is a probability above 0 and below 1 (0.05 = 5 %); got {self.p_wait:g}")
        if isinstance(self.spares, bool) or not isinstance(self.spares, (int, np.integer)) or self.spares < 0:
            raise SizerError(f"spares must be a whole number of servers, 0 or more; got {self.spares!r}")
        if (self.growth_per_year is None) != (self.years == 0):
            raise SizerError("give growth per year and a horizon in years together (e.g. 0.25 and 3)")
        if self.growth_per_year is not None:
            g = _number("growth per year", self.growth_per_year)
            if not -1 < g <= MAX_GROWTH:
                raise SizerError(f"growth per year is a fraction above -1 and at most {MAX_GROWTH:g} "
                                 f"(0.25 = 25 %/yr); got {g:g}")
            if isinstance(self.years, bool) or not isinstance(self.years, (int, np.integer)) or not 1 <= self.years <= MAX_YEARS:
                raise SizerError(f"years must be a whole number from 1 to {MAX_YEARS}; got {self.years!r}")
        for name, pair, least in (("peak factor range", self.peak_factor_range, 1.0),
                                  ("minutes per call range", self.minutes_per_call_range, 0.0)):
            if pair is not None:
                low, high = (_number(name, v) for v in pair)
                if not (low >= least and low > 0 and low <= high):
                    raise SizerError(f"{name} must be LOW HIGH with LOW ≤ HIGH and LOW "
                                     f"{'at least 1' if least else 'above 0'}; got {low:g} {high:g}")


@dataclass(frozen=True)
class Design:
    """The rate the servers must carry: the peak, raised to its burst percentile when one is chosen."""

    peak_req_per_s: float
    design_req_per_s: float
    burst: Burst | None = None

    def steps(self) -> list[str]:
        if self.burst is None:
            return [f"no burst allowance: size for the peak, {self.design_req_per_s:,.1f} req/s"]
        b, mean = self.burst, self.peak_req_per_s * self.burst.window_s
        count = self.design_req_per_s * b.window_s
        return [f"bursts: at {self.peak_req_per_s:,.1f} req/s a {b.window_s:g} s window holds {mean:,.1f} requests on "
                f"average; {b.percentile:g} % of windows hold at most {count:,.0f} (Poisson arrivals) → size for "
                f"{count:,.0f} ÷ {b.window_s:g} s = {self.design_req_per_s:,.1f} req/s"]


def design(traffic: Traffic, plan: Plan) -> Design:
    """The rate to size for, after checking the plan fits the traffic (ranges need the call-centre assumptions)."""
    if (plan.peak_factor_range or plan.minutes_per_call_range) and traffic.inputs is None:
        raise SizerError(NEEDS_INPUTS)
    return design_at(traffic.peak_req_per_s, plan.burst)


def design_at(peak_req_per_s: float, burst: Burst | None) -> Design:
    return Design(float(peak_req_per_s), float(burst_rate(peak_req_per_s, burst)), burst)


def burst_rate(peak_req_per_s: float | np.ndarray, burst: Burst | None) -> float | np.ndarray:
    """poisson.ppf(p, λ·window) ÷ window (never below λ): the rate of a bad window within the peak hour."""
    if burst is None:
        return peak_req_per_s
    count = stats.poisson.ppf(burst.percentile / 100, np.asarray(peak_req_per_s, dtype="float64") * burst.window_s)
    return np.maximum(peak_req_per_s, count / burst.window_s)


def peak_for_rate(rate_req_per_s: np.ndarray, burst: Burst | None) -> np.ndarray:
    """The largest peak whose burst rate a fleet carrying `rate` still covers: the inverse of burst_rate.
    The burst count k = ⌊rate·window⌋ is met while the Poisson CDF at k stays ≥ p; scipy's pdtri gives that mean."""
    rate = np.asarray(rate_req_per_s, dtype="float64")
    if burst is None:
        return rate
    p, w = burst.percentile / 100, burst.window_s
    k = np.floor(rate * w * (1 + EPS))  # relative: a rate a rounding below k/w still carries k
    mean = special.pdtri(k, p) * (1 - 1e-12)
    peak = np.minimum(rate, mean / w)
    return np.where(rate > 0, peak, 0.0)


def erlang_c(servers: np.ndarray | float, offered_erlangs: np.ndarray | float) -> np.ndarray:
    """P(an arriving request waits) in M/M/c: Erlang B = Poisson pmf(c; a) ÷ cdf(c; a), then
    C = c·B ÷ (c − a·(1 − B)); 1 when the offered load a reaches the c servers (the queue grows without bound)."""
    c = np.asarray(servers, dtype="float64")
    a = np.asarray(offered_erlangs, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pmf = np.exp(special.xlogy(c, a) - a - special.gammaln(c + 1))
        blocking = pmf / special.pdtr(c, a)
        waiting = c * blocking / (c - a * (1 - blocking))
    return np.where((a >= c) | (c < 1), 1.0, np.clip(np.nan_to_num(waiting, nan=1.0), 0.0, 1.0))


def instances_for_p_wait(offered_erlangs: np.ndarray | float, p_wait: float) -> np.ndarray:
    """The fewest servers c with Erlang C(c, a) ≤ p_wait: bisection over whole c, all rows at once."""
    a = np.atleast_1d(np.asarray(offered_erlangs, dtype="float64"))
    if not np.all(np.isfinite(a) & (a >= 0)):
        raise SizerError("the offered load (req/s ÷ req/s per instance) must be a finite number, 0 or more")
    countable("the instances this load needs", a * 4)  # (the bisection's bracket reaches about 4 × the load)
    lo = np.floor(a)  # C(lo) = 1 > p_wait: lo never suffices
    hi = np.maximum(np.ceil(a + np.sqrt(a)), lo + 1)
    while (short := erlang_c(hi, a) > p_wait).any():
        hi = np.where(short, lo + 2 * (hi - lo), hi)
    while (gap := hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        ok = erlang_c(mid, a) <= p_wait
        hi, lo = np.where(gap & ok, mid, hi), np.where(gap & ~ok, mid, lo)
    return hi.astype("int64")


def load_for_p_wait(servers: np.ndarray | float, p_wait: float) -> np.ndarray:
    """The largest offered load a that c servers take with Erlang C(c, a) ≤ p_wait (C rises with a): bisection."""
    c = np.atleast_1d(np.asarray(servers, dtype="float64"))
    lo, hi = np.zeros_like(c), c.copy()
    for _ in range(200):
        mid = (lo + hi) / 2
        ok = erlang_c(c, mid) <= p_wait
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        if np.all(hi - lo <= 1e-12 * np.maximum(c, 1)):
            break
    return lo


def exact_servers(points: pd.DataFrame, design_req_per_s: float, utilisation: float = 1.0,
                  p_wait: float | None = None) -> np.ndarray:
    """Servers each point needs, exactly: design ÷ (prompts/s per server × utilisation), the course's formula; with a
    P(wait) target, the Erlang-C instance count in 8-GPU servers."""
    pps = points["prompts_per_s_per_server"].to_numpy(dtype="float64")
    if p_wait is None:
        return design_req_per_s / (pps * utilisation)
    mu = points["req_per_s"].to_numpy(dtype="float64")
    gpi = points["gpus_per_instance"].to_numpy(dtype="float64")
    node = points["node_gpus"].to_numpy(dtype="float64")
    return instances_for_p_wait(design_req_per_s / mu, p_wait) * gpi / node


def size_options(points: pd.DataFrame, design_req_per_s: float, usd_per_gpu_hour: dict[str, float] | None,
                 rank_by: str, utilisation: float, plan: Plan) -> pd.DataFrame:
    """size_points at the design rate, with the headroom chosen either as a utilisation or as P(wait), then the
    open-loop check of what was chosen: utilisation and Erlang-C P(wait) of the instances asked for, and spares."""
    if plan.p_wait is None:
        out = size_points(points, design_req_per_s, usd_per_gpu_hour, rank_by, utilisation)
    elif utilisation != 1:
        raise SizerError("choose headroom either as a utilisation or as a P(wait) target, not both")
    else:
        # Each point's own utilisation that meets the target, handed to the unchanged course formula.
        mu = points["req_per_s"].to_numpy(dtype="float64")
        share = design_req_per_s / (instances_for_p_wait(design_req_per_s / mu, plan.p_wait) * mu) if len(points) else 1.0
        kept = ["req_per_s", "prompts_per_s_per_server"]
        scaled = points.assign(**{c: points[c] * share for c in kept}, _row=np.arange(len(points)))
        out = size_points(scaled, design_req_per_s, usd_per_gpu_hour, rank_by, 1.0)
        rows = out.pop("_row").to_numpy(dtype="int64")
        for c in kept:
            out[c] = points[c].to_numpy()[rows]
    mu = out["req_per_s"].to_numpy(dtype="float64")
    offered = design_req_per_s / mu
    instances = out["instances"].to_numpy(dtype="float64")
    out["utilisation"] = offered / instances
    out["p_wait"] = erlang_c(instances, offered)
    out["spares"] = plan.spares
    out["servers_with_spares"] = out["servers"] + plan.spares
    return out


def by_year(options: pd.DataFrame, peak_req_per_s: float, utilisation: float, plan: Plan) -> pd.DataFrame:
    """Servers each option needs as traffic grows by growth_per_year: year 0 is today."""
    columns = ["option", "year", "peak_rps", "design_rps", "servers_exact", "servers", "servers_with_spares"]
    if plan.growth_per_year is None or options.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for year in range(plan.years + 1):
        peak = peak_req_per_s * (1 + plan.growth_per_year) ** year
        rate = float(burst_rate(peak, plan.burst))
        exact = exact_servers(options, rate, utilisation, plan.p_wait)
        countable(f"the servers for year {year}'s traffic", exact)
        whole = np.ceil(exact - EPS).astype("int64")
        rows.append(pd.DataFrame({"option": np.arange(len(options)), "year": year, "peak_rps": peak,
                                  "design_rps": rate, "servers_exact": exact, "servers": whole,
                                  "servers_with_spares": whole + plan.spares}))
    return pd.concat(rows, ignore_index=True).sort_values(["option", "year"], kind="stable").reset_index(drop=True)


@dataclass
class Capacity:
    """The inverse question: per configuration, the peak a fleet (or a monthly budget) carries within the limits."""

    options: pd.DataFrame
    frontier: Frontier
    query: Query
    servers: int | None
    usd_per_month: float | None
    utilisation: float
    plan: Plan
    inputs: TrafficInputs | None
    notes: list[str] = field(default_factory=list)


def capacity(table: pd.DataFrame, query: Query, *, servers: int | None = None, usd_per_month: float | None = None,
             usd_per_gpu_hour: dict[str, float] | None = None, utilisation: float = 1.0, plan: Plan | None = None,
             inputs: TrafficInputs | None = None) -> Capacity:
    """servers (after spares) → instances that fit → the rate they carry at the chosen headroom → the peak whose burst
    that rate covers → calls per year through the traffic assumptions (when given). The inverse of `size`."""
    plan = plan or Plan()
    if (servers is None) == (usd_per_month is None):
        raise SizerError("give either a number of servers or a monthly budget in USD, not both")
    if servers is not None and (isinstance(servers, bool) or not isinstance(servers, (int, np.integer)) or servers < 1):
        raise SizerError(f"servers must be a whole number of at least 1; got {servers!r}")
    if usd_per_month is not None and not _number("monthly budget", usd_per_month) > 0:
        raise SizerError(f"monthly budget must be a positive number of USD; got {usd_per_month:g}")
    utilisation = check_utilisation(utilisation)  # the same range as size's, so the inverse answers what size asks
    if plan.p_wait is not None and utilisation != 1:
        raise SizerError("choose headroom either as a utilisation or as a P(wait) target, not both")
    frontier = search(table, query)
    out, notes = frontier.points.copy(), []
    node = out["node_gpus"].to_numpy(dtype="float64")
    gpi = out["gpus_per_instance"].to_numpy(dtype="float64")
    price = out["gpu"].map(usd_per_gpu_hour or {}).astype("float64").to_numpy()
    if servers is not None:
        owned = np.full(len(out), float(servers))
    else:
        owned = np.floor(usd_per_month / (node * price * HOURS_PER_MONTH) + EPS)
        unpriced = ~np.isfinite(owned)
        if unpriced.any():
            notes += [f"{g}: no price per GPU-hour, so the budget cannot be turned into servers"
                      for g in pd.unique(out.loc[unpriced, "gpu"])]
            out, owned, node, gpi, price = (out[~unpriced].reset_index(drop=True), owned[~unpriced], node[~unpriced],
                                            gpi[~unpriced], price[~unpriced])
    countable("the servers this budget buys", owned)
    usable = np.maximum(owned - plan.spares, 0)
    per_server = np.floor(node / gpi)
    instances = np.where(per_server >= 1, usable * per_server, np.floor(usable * node / gpi + EPS))
    mu = out["req_per_s"].to_numpy(dtype="float64")
    rate = instances * mu * utilisation if plan.p_wait is None else load_for_p_wait(instances, plan.p_wait) * mu
    peak = peak_for_rate(rate, plan.burst)
    out["servers"] = owned.astype("int64")
    out["usable_servers"] = usable.astype("int64")
    out["instances"] = instances.astype("int64")
    out["gpus"] = (instances * gpi).astype("int64")
    out["rate_rps"] = rate
    out["peak_rps"] = peak
    out["calls_per_year"] = calls_per_year(peak, inputs) if inputs is not None else np.nan
    out["usd_per_month"] = owned * node * price * HOURS_PER_MONTH
    if plan.spares and (owned <= plan.spares).any():
        notes.append(f"{plan.spares} of the servers are kept as spares, which leaves some configurations none to serve")
    out = out.sort_values(["peak_rps", "usd_per_month"], ascending=[False, True], kind="stable", na_position="last")
    return Capacity(out.reset_index(drop=True), frontier, query, servers, usd_per_month, utilisation, plan, inputs, notes)


def calls_per_year(peak_req_per_s: np.ndarray | float, inputs: TrafficInputs) -> np.ndarray:
    """peak ÷ peak factor = average req/s; × seconds per year ÷ requests per call = calls per year (traffic.derive
    read backwards)."""
    per_call = inputs.minutes_per_call * inputs.rag_calls_per_minute * inputs.llm_requests_per_rag_call
    return np.asarray(peak_req_per_s, dtype="float64") / inputs.peak_factor * SECONDS_PER_YEAR / per_call


def _number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SizerError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise SizerError(f"{name} must be a finite number; got {value!r}")
    return number


def option_fields(result: Sizing, row: pd.Series) -> dict[str, object]:
    """The planning fields of one option for JSON, CSV and the quote (row.name is its position in the options)."""
    growth = result.by_year
    years = growth[growth["option"] == row.name] if growth is not None and len(growth) else None
    return {
        "servers_low": _whole_or_none(row.get("servers_low")), "servers_high": _whole_or_none(row.get("servers_high")),
        "servers_exact_low": finite_or_none(row.get("servers_exact_low")),
        "servers_exact_high": finite_or_none(row.get("servers_exact_high")),
        "utilisation": finite_or_none(row.get("utilisation")), "p_wait": finite_or_none(row.get("p_wait")),
        "spread": row.get("spread") if isinstance(row.get("spread"), list) else [],
        "data_edge": bool(row.get("data_edge", False)),
        "notes": list(row.get("range_notes")) if isinstance(row.get("range_notes"), list) else [],
        "spares": int(row.get("spares", 0)), "servers_with_spares": _whole_or_none(row.get("servers_with_spares")),
        **({"by_year": _years(years)} if years is not None else {}),
    }


def json_fields(result: Sizing) -> dict[str, object]:
    """Top-level planning fields: the rate sized for and the choices behind it; by_year is the best option's."""
    plan, d = result.plan or Plan(), result.design
    out: dict[str, object] = {
        "design_rps": d.design_req_per_s if d else result.traffic.peak_req_per_s,
        "burst": None if plan.burst is None else {"percentile": plan.burst.percentile, "window_s": plan.burst.window_s},
        "p_wait_target": plan.p_wait, "spares": plan.spares,
    }
    if plan.growth_per_year is not None:
        out |= {"growth_per_year": plan.growth_per_year, "years": plan.years}
        if result.by_year is not None and len(result.by_year):
            out["by_year"] = _years(result.by_year[result.by_year["option"] == 0])
    return out


def likely(row: pd.Series) -> str:
    """'likely 4–6' for a server count; empty when the range is a single count (or was not computed)."""
    low, high = _whole_or_none(row.get("servers_low")), _whole_or_none(row.get("servers_high"))
    if low is None:
        return ""
    if high is None:
        return f"likely {low} or more"
    return "" if low == high else f"likely {low}–{high}"


def summary_lines(result: Sizing) -> list[str]:
    """The planning steps in plain words, for the CLI's text and the quote."""
    plan, best = result.plan or Plan(), result.best
    lines = list(result.design.steps()) if result.design and plan.burst else []
    if best is None:
        return lines
    if "p_wait" in best:
        how = (f"headroom chosen so that P(wait) ≤ {plan.p_wait:.1%}" if plan.p_wait is not None
               else f"planned utilisation {result.utilisation:.0%}")
        lines.append(f"open-loop check ({how}): {int(best['instances'])} instances at {best['req_per_s']:,.2f} req/s "
                     f"each run {best['utilisation']:.0%} busy; a request waits for a free instance with probability "
                     f"{best['p_wait']:.1%} (Erlang C)")
    if "servers_exact_low" in best:
        lines.append(f"range: {best['servers_exact_low']:,.2f}–" + (
            f"{best['servers_exact_high']:,.2f}" if math.isfinite(best["servers_exact_high"]) else "unbounded")
            + " servers exactly" + _sources(best.get("spread") or []))
        lines += list(best.get("range_notes") or [])
    if plan.spares:
        lines.append(f"spares: {int(best['servers'])} servers + {plan.spares} for failures and maintenance = "
                     f"{int(best['servers_with_spares'])}")
    if plan.growth_per_year is not None and result.by_year is not None:
        years = result.by_year[result.by_year["option"] == 0]
        lines.append(f"growth {plan.growth_per_year:.0%} a year: " + ", ".join(
            f"year {int(y.year)} {y.peak_rps:,.1f} req/s → {int(y.servers)} servers" for y in years.itertuples()))
    return lines


def _sources(spread: list[dict[str, object]]) -> str:
    if not spread:
        return " (no named source of spread)"
    return "; from " + ", ".join(f"{s['source']} {s['share']:.0%}" for s in spread)


def _years(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{"year": int(r.year), "peak_rps": float(r.peak_rps), "design_rps": float(r.design_rps),
             "servers_exact": float(r.servers_exact), "servers": int(r.servers),
             "servers_with_spares": int(r.servers_with_spares)} for r in frame.itertuples()]



def _whole_or_none(value: object) -> int | None:
    number = finite_or_none(value)
    return None if number is None else int(number)
