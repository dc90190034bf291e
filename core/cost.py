"""What a fleet costs three ways: owned (on-prem TCO), rented (cloud GPU-hours) and bought per token (an API).

Prices live in data/prices.toml, each with its source and date; a `--prices` file with the same keys overrides any of
them. A price nobody published stays absent, and the cost then says "no price for ..." instead of guessing.
On-prem follows NVIDIA's TCO method (purchase ÷ depreciation years + licence + hosting), with a capital charge and
power added when asked. Costs are for the servers a fleet must buy (`servers_packed`: instances never span servers).
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core import catalog
from core.errors import SizerError
from core.inputs import finite_or_none
from core.names import normalise
from core.sizing import EPS
from core.traffic import SECONDS_PER_YEAR, Traffic, TrafficInputs

PRICES_FILE = catalog.DATA_DIR / "prices.toml"
HOURS_PER_YEAR = 8760  # a 365-day year, as the traffic's seconds per year
BASES = ("onprem", "cloud", "api")
BASIS_NAMES = {"onprem": "on-prem", "cloud": "the cloud", "api": "the API"}
HOSTING_BASES = ("per_server_year", "per_kw_month")
RENT = ("servers", "gpus")
CLOUD_TERMS = {"on_demand": "cloud_usd_per_gpu_hour", "1yr": "cloud_usd_per_gpu_hour_1yr",
               "3yr": "cloud_usd_per_gpu_hour_3yr"}
PAIRS = (("onprem", "api"), ("cloud", "api"), ("onprem", "cloud"))


@dataclass(frozen=True)
class _Rule:
    expected: str
    ok: Callable[[object], bool]
    kind: str = "number"


def _number(expected: str, test: Callable[[float], bool]) -> _Rule:
    return _Rule(expected, lambda v: test(float(v)))  # type: ignore[arg-type]


NONNEG = _number("a number ≥ 0", lambda v: v >= 0)
POSITIVE = _number("a number > 0", lambda v: v > 0)
WHOLE = _Rule("a whole number > 0", lambda v: float(v) == int(v) and int(v) > 0)  # type: ignore[arg-type]
TEXT = _Rule("text", lambda v: bool(str(v).strip()), "text")
SITE_RULES = {
    "depreciation_years": POSITIVE,
    "cost_of_capital": _number("a yearly rate from 0 up to 1 (0.08 = 8 % a year)", lambda v: 0 <= v < 1),
    "hosting_basis": _Rule(f"one of {', '.join(HOSTING_BASES)}", lambda v: v in HOSTING_BASES, "text"),
    "hosting_usd_per_server_year": NONNEG,
    "hosting_usd_per_kw_month": NONNEG,
    "licence_usd_per_gpu_year": NONNEG,
    "electricity_usd_per_kwh": NONNEG,
    "pue": _number("a number ≥ 1 (facility power ÷ IT power)", lambda v: v >= 1),
    "power_load": _number("a share above 0 and at most 1", lambda v: 0 < v <= 1),
    "rack_kw_limit": POSITIVE,
    "rack_units_per_rack": WHOLE,
}
GPU_RULES = {
    "server_usd": NONNEG, "server_kw": POSITIVE, "rack_units": WHOLE, "licence_usd_per_gpu_year": NONNEG,
    **dict.fromkeys(CLOUD_TERMS.values(), NONNEG),
}
API_RULES = {"usd_per_m_input": NONNEG, "usd_per_m_output": NONNEG, "offering": TEXT}
OFFERING_RULES = {"model": TEXT, "usd_per_m_input": NONNEG, "usd_per_m_output": NONNEG}
META = ("source", "as_of")


@dataclass(frozen=True)
class Figure:
    """One price or fact, with where it came from and when."""

    value: float | str
    source: str
    as_of: str


@dataclass(frozen=True)
class Prices:
    """Every price the cost uses, each a Figure; `files` are the files merged, base first."""

    site: Mapping[str, Figure]
    gpus: Mapping[str, Mapping[str, Figure]]
    api: Mapping[str, Figure]
    offerings: Mapping[str, Mapping[str, Figure]]
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def gpu_entry(self, gpu: str) -> tuple[str, Mapping[str, Figure]] | None:
        """The entry for a GPU as the data spells it (H100_80GB_HBM3 is H100 SXM), under its price-sheet name."""
        known = catalog.resolve_gpu(gpu)
        for name in ([known.name] if known else []) + [gpu]:
            if name in self.gpus:
                return name, self.gpus[name]
        wanted = normalise(gpu)
        for name, entry in self.gpus.items():
            if normalise(name) == wanted:
                return name, entry
        return None

    def api_offering(self, model: str, offering: str | None = None) -> tuple[str, Mapping[str, Figure]] | None:
        """Per-token prices for a model: the [api] prices given directly, else the named offering, else the first
        offering of that model."""
        if "usd_per_m_input" in self.api and "usd_per_m_output" in self.api:
            return "your own per-token prices", self.api
        wanted = offering or (str(self.api["offering"].value) if "offering" in self.api else None)
        if wanted is not None:
            if wanted not in self.offerings:
                raise SizerError(f"unknown API offering {wanted!r}; the price sheet has {', '.join(self.offerings)}")
            return wanted, self.offerings[wanted]
        target = catalog.resolve_model(model)
        for name, entry in self.offerings.items():
            found = catalog.resolve_model(str(entry["model"].value))
            if (found and target and found.name == target.name) or normalise(str(entry["model"].value)) == normalise(model):
                return name, entry
        return None

    def rows(self) -> list[dict[str, object]]:
        """Every figure as a row (what, value, source, as of), for listing and for an editor."""
        out = [_row("site", k, f) for k, f in self.site.items()]
        out += [_row(f'gpu."{g}"', k, f) for g, entry in self.gpus.items() for k, f in entry.items()]
        out += [_row("api", k, f) for k, f in self.api.items()]
        out += [_row(f'api.offerings."{o}"', k, f) for o, entry in self.offerings.items() for k, f in entry.items()]
        return out

    def digest(self) -> str:
        """A content key for caches (never the object's id)."""
        return hashlib.sha256(json.dumps(self.rows(), sort_keys=True, default=str).encode()).hexdigest()[:16]


def show(value: object) -> str:
    """A figure's value as a person writes it: 4 not 4.0, 0.0895 not 8.95e-02."""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"
    return str(value)


def _row(section: str, key: str, figure: Figure) -> dict[str, object]:
    return {"section": section, "key": key, "value": figure.value, "source": figure.source, "as_of": figure.as_of}


# --- loading, merging, validating -------------------------------------------------------------------------------------

@cache
def default_prices() -> Prices:
    """data/prices.toml, where every figure must say where it comes from."""
    return parse(_read(PRICES_FILE), f"data/{PRICES_FILE.name}", require_sources=True)


def load_prices(overrides: Iterable[Path | str] = ()) -> Prices:
    """The shipped prices with each override file merged over them, in order."""
    prices = default_prices()
    for path in overrides:
        prices = merge(prices, parse(_read(Path(path)), str(path)))
    return prices


def apply_override(base: Prices, raw: Mapping[str, object], label: str) -> Prices:
    """Merge an override given as a mapping with the file's keys (the app's cost editor)."""
    return merge(base, parse(dict(raw), label))


def parse(raw: Mapping[str, object], label: str, require_sources: bool = False) -> Prices:
    """A price file's content, checked: unknown keys and impossible values name the file, the table and the key."""
    unknown = sorted(set(raw) - {"site", "gpu", "api"})
    if unknown:
        raise SizerError(f"{label}: unknown table [{unknown[0]}]; expected [site], [gpu.\"<GPU>\"] and [api]")
    site = _section(_table(raw.get("site", {}), "site", label), SITE_RULES, "site", label, require_sources)
    gpus: dict[str, dict[str, Figure]] = {}
    notes = []
    for name, entry in _table(raw.get("gpu", {}), "gpu", label).items():
        where = f'gpu."{name}"'
        known = catalog.resolve_gpu(name)
        if known is None:
            notes.append(f"{label}: prices for {name!r}, which is not in the GPU catalog ({', '.join(catalog.gpus())}); "
                         "they apply to data whose GPU is spelled that way")
        gpus[known.name if known else name] = _section(_table(entry, where, label), GPU_RULES, where, label,
                                                      require_sources)
    api_raw = dict(_table(raw.get("api", {}), "api", label))
    offerings_raw = _table(api_raw.pop("offerings", {}), "api.offerings", label)
    api = _section(api_raw, API_RULES, "api", label, require_sources)
    offerings = {}
    for name, entry in offerings_raw.items():
        where = f'api.offerings."{name}"'
        offerings[name] = _section(_table(entry, where, label), OFFERING_RULES, where, label, require_sources)
    return Prices(site, gpus, api, offerings, (label,), tuple(notes))


def merge(base: Prices, over: Prices) -> Prices:
    """Field by field: what the override gives replaces the base's figure, the rest stays."""
    site = {**base.site, **over.site}
    if "hosting_basis" not in over.site:
        given = [(b, f"hosting_usd_{b}") for b in HOSTING_BASES if f"hosting_usd_{b}" in over.site]
        if len(given) == 1:  # giving one hosting figure means hosting on that basis
            basis, key = given[0]
            site["hosting_basis"] = Figure(basis, f"implied by {key} in {over.files[0]}", over.site[key].as_of)
    gpus = {name: dict(entry) for name, entry in base.gpus.items()}
    for name, entry in over.gpus.items():
        gpus[name] = {**gpus.get(name, {}), **entry}
    offerings = {name: dict(entry) for name, entry in base.offerings.items()}
    for name, entry in over.offerings.items():
        offerings[name] = {**offerings.get(name, {}), **entry}
        missing = [k for k in OFFERING_RULES if k not in offerings[name]]
        if missing:
            raise SizerError(f'{over.files[0]}: [api.offerings."{name}"] needs {", ".join(missing)}')
    api = {**base.api, **over.api}
    if ("usd_per_m_input" in api) != ("usd_per_m_output" in api):
        raise SizerError(f"{over.files[0]}: [api] needs both usd_per_m_input and usd_per_m_output")
    return Prices(site, gpus, api, offerings, base.files + over.files, base.notes + over.notes)


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SizerError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SizerError(f"{path}: not valid TOML: {exc}") from None


def _table(value: object, where: str, label: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise SizerError(f"{label}: [{where}] must be a table of keys, got {value!r}")
    return value


def _section(raw: Mapping[str, object], rules: Mapping[str, _Rule], where: str, label: str,
             require_sources: bool) -> dict[str, Figure]:
    values = {k: v for k, v in raw.items() if k not in META}
    for key in values:
        if key not in rules:
            raise SizerError(f"{label}: unknown key {key!r} in [{where}]; expected one of {', '.join(rules)}, "
                             "source, as_of")
    meta = {m: _meta(raw.get(m), m, values, where, label) for m in META}
    out = {}
    for key, value in values.items():
        _check(value, rules[key], where, key, label)
        found = {m: meta[m](key) for m in META}
        if require_sources and not all(found.values()):
            lacking = " and ".join(m for m in META if not found[m])
            raise SizerError(f"{label}: [{where}] {key} has no {lacking}; every shipped price says where it comes from")
        kept = value if rules[key].kind == "text" else int(value) if rules[key] is WHOLE else float(value)  # type: ignore[arg-type]
        out[key] = Figure(kept,  # type: ignore[arg-type]
                          found["source"] or f"your prices file {label}", found["as_of"] or "as given")
    return out


def _meta(value: object, name: str, values: Mapping[str, object], where: str,
          label: str) -> Callable[[str], str | None]:
    """`source`/`as_of` as one text for the whole entry, or a table with one per key."""
    if value is None:
        return lambda key: None
    if isinstance(value, str):
        return lambda key: value
    if isinstance(value, Mapping):
        stray = [k for k in value if k not in values]
        if stray:
            raise SizerError(f"{label}: [{where}.{name}] has {stray[0]!r}, which [{where}] does not set")
        return lambda key: str(value[key]) if key in value else None
    raise SizerError(f"{label}: [{where}] {name} must be text or a table of texts, got {value!r}")


def _check(value: object, rule: _Rule, where: str, key: str, label: str) -> None:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if rule.kind == "number" and not (numeric and math.isfinite(float(value)) and rule.ok(value)):  # type: ignore[arg-type]
        raise SizerError(f"{label}: [{where}] {key} must be {rule.expected}; got {value!r}")
    if rule.kind == "text" and not (isinstance(value, str) and rule.ok(value)):
        raise SizerError(f"{label}: [{where}] {key} must be {rule.expected}; got {value!r}")


def usd_per_gpu_hour(prices: Prices, term: str = "on_demand") -> dict[str, float]:
    """Cloud prices under the catalog names and the data's spellings alike (the options' rental column)."""
    key = CLOUD_TERMS[term]
    out = {}
    for name, entry in prices.gpus.items():
        if key in entry:
            known = catalog.resolve_gpu(name)
            for spelling in (name, *(known.aliases if known else ())):
                out[spelling] = float(entry[key].value)  # type: ignore[arg-type]
    return out


# --- what a fleet costs --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostSettings:
    """How to cost: which prices, which basis ranks, and the choices the prices leave open."""

    prices: Prices
    basis: str = "onprem"
    include_power: bool = False       # power in on-prem TCO (NVIDIA's method leaves it to hosting)
    # cloud "hours actually needed": the peak fleet this long a day and, the rest of the day, the fleet for the day's
    # average rate (an upper bound: the off-peak rate is below the average)
    peak_hours_per_day: float = 24.0
    rent: str = "servers"             # cloud: whole 8-GPU servers, or only the GPUs the instances use
    cloud_term: str = "on_demand"
    api_offering: str | None = None

    def __post_init__(self) -> None:
        for name, value, allowed in (("cost basis", self.basis, BASES), ("rent", self.rent, RENT),
                                     ("cloud term", self.cloud_term, tuple(CLOUD_TERMS))):
            if value not in allowed:
                raise SizerError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        hours = self.peak_hours_per_day
        if not (isinstance(hours, (int, float)) and 0 < hours <= 24):
            raise SizerError(f"peak hours per day must be above 0 and at most 24; got {hours!r}")


@dataclass(frozen=True)
class Demand:
    """The traffic a fleet serves, as the cost needs it; yearly figures are None when only the peak is known."""

    model: str
    isl: int
    osl: int
    peak_req_per_s: float
    prompts_per_year: float | None = None
    calls_per_year: float | None = None
    avg_req_per_s: float | None = None

    @classmethod
    def from_traffic(cls, traffic: Traffic, model: str, isl: int, osl: int) -> Demand:
        calls = traffic.inputs.calls_per_year if traffic.inputs is not None else None
        return cls(model, int(isl), int(osl), traffic.peak_req_per_s, traffic.requests_per_year, calls,
                   traffic.avg_req_per_s)


@dataclass(frozen=True)
class ServerQuote:
    """The prices for one GPU's 8-GPU server, resolved once (None where the sheet has none), and what is missing."""

    gpu: str
    server_usd: float | None
    server_kw: float | None
    rack_units: int | None
    cloud_usd_per_gpu_hour: float | None
    licence_usd_per_gpu_year: float | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class FleetCost:
    """Yearly cost of one fleet on each basis (None where a price is missing: `missing` says which)."""

    servers: int
    gpus: int
    onprem_usd_per_year: float | None
    cloud_usd_per_year: float | None
    api_usd_per_year: float | None
    power_usd_per_year: float | None
    kw: float | None
    racks: int | None
    rack_units: int | None
    onprem_parts: Mapping[str, float] = field(default_factory=dict)
    cloud_gpu_hours_per_year: float | None = None
    api_offering: str | None = None
    missing: tuple[str, ...] = ()

    def usd_per_year(self, basis: str) -> float | None:
        return {"onprem": self.onprem_usd_per_year, "cloud": self.cloud_usd_per_year,
                "api": self.api_usd_per_year}[basis]


@dataclass(frozen=True)
class UnitCosts:
    """A yearly cost spread over what it buys. Per 1M input (output) tokens puts the whole cost on those tokens, as
    InferenceX reports it; None where the yearly traffic is not known."""

    usd_per_year: float | None
    usd_per_month: float | None
    usd_per_1k_prompts: float | None
    usd_per_call: float | None
    usd_per_m_tokens: float | None
    usd_per_m_input_tokens: float | None
    usd_per_m_output_tokens: float | None


def server_quote(prices: Prices, gpu: str, term: str = "on_demand") -> ServerQuote:
    found = prices.gpu_entry(gpu)
    entry = found[1] if found else {}
    name = found[0] if found else gpu

    def get(key: str, what: str, into: list[str]) -> float | None:
        if key in entry:
            return float(entry[key].value)  # type: ignore[arg-type]
        into.append(f"no {what} for {name} ({key}) in the price sheet")
        return None

    missing: list[str] = []
    server_usd = get("server_usd", "server price", missing)
    server_kw = get("server_kw", "server power", missing)
    units = get("rack_units", "rack units", missing)
    cloud = get(CLOUD_TERMS[term], f"{term.replace('_', '-')} cloud price", missing)
    licence = entry.get("licence_usd_per_gpu_year") or prices.site.get("licence_usd_per_gpu_year")
    return ServerQuote(name, server_usd, server_kw, int(units) if units is not None else None, cloud,
                       float(licence.value) if licence else None, tuple(missing))  # type: ignore[arg-type]


def fleet_cost(quote: ServerQuote, servers: int, node_gpus: int, settings: CostSettings, demand: Demand,
               gpus_in_use: int | None = None, off_peak: tuple[int, int] | None = None) -> FleetCost:
    """On-prem: servers × (price ÷ depreciation years + capital charge + hosting [+ power]) + GPUs × licence.
    Cloud: GPUs × $/GPU-hour × hours (the peak fleet `peak_hours_per_day`, the average fleet the rest of the day).
    API: prompts × (input tokens × $in + output tokens × $out) ÷ 1M."""
    site = {k: f.value for k, f in settings.prices.site.items()}
    missing = list(quote.missing)
    gpus = servers * node_gpus
    kw = servers * quote.server_kw * float(site.get("power_load", 1.0)) if quote.server_kw is not None else None
    power = _power(kw, site, missing)
    racks = _racks(servers, quote, site, missing)
    onprem, parts = _onprem(quote, servers, gpus, power if settings.include_power else 0.0, site, missing)
    if settings.include_power and power is None:
        onprem = None
    cloud, hours = _cloud(quote, servers, node_gpus, gpus_in_use, off_peak, settings, missing)
    api, offering = _api(settings, demand, missing)
    units = servers * quote.rack_units if quote.rack_units is not None else None
    return FleetCost(servers, gpus, onprem, cloud, api, power, kw, racks, units, parts, hours, offering,
                     tuple(dict.fromkeys(missing)))


def _power(kw: float | None, site: Mapping[str, object], missing: list[str]) -> float | None:
    needed = [k for k in ("pue", "electricity_usd_per_kwh") if k not in site]
    missing += [f"no {k} in [site]" for k in needed]
    if kw is None or needed:
        return None
    return kw * float(site["pue"]) * HOURS_PER_YEAR * float(site["electricity_usd_per_kwh"])  # type: ignore[arg-type]


def _racks(servers: int, quote: ServerQuote, site: Mapping[str, object], missing: list[str]) -> int | None:
    if quote.server_kw is None or "rack_kw_limit" not in site:
        if "rack_kw_limit" not in site:
            missing.append("no rack_kw_limit in [site]")
        return None
    per_rack = math.floor(float(site["rack_kw_limit"]) / quote.server_kw + EPS)  # type: ignore[arg-type]
    if "rack_units_per_rack" in site and quote.rack_units is not None:
        per_rack = min(per_rack, int(site["rack_units_per_rack"]) // quote.rack_units)  # type: ignore[call-overload]
    if per_rack < 1:
        missing.append(f"one {quote.gpu} server ({quote.server_kw:g} kW) does not fit a rack of "
                       f"{float(site['rack_kw_limit']):g} kW")  # type: ignore[arg-type]
        return None
    return math.ceil(servers / per_rack)


def _onprem(quote: ServerQuote, servers: int, gpus: int, power: float | None, site: Mapping[str, object],
            missing: list[str]) -> tuple[float | None, dict[str, float]]:
    if quote.server_usd is None or quote.licence_usd_per_gpu_year is None:
        if quote.licence_usd_per_gpu_year is None:
            missing.append("no licence_usd_per_gpu_year in [site]")
        return None, {}
    if "depreciation_years" not in site:
        missing.append("no depreciation_years in [site]")
        return None, {}
    years = float(site["depreciation_years"])  # type: ignore[arg-type]
    rate = float(site.get("cost_of_capital", 0.0))  # type: ignore[arg-type]
    # The capital recovery factor spreads price and interest into equal yearly payments; at rate 0 it is 1/years.
    recovery = rate / -math.expm1(-years * math.log1p(rate)) if rate > 0 else 1 / years  # 1 − (1+r)^−n, exactly
    hosting = _hosting(quote, site, missing)
    if hosting is None:
        return None, {}
    parts = {"depreciation": servers * quote.server_usd / years,
             "capital": servers * quote.server_usd * (recovery - 1 / years),
             "hosting": servers * hosting, "power": power or 0.0,
             "licence": gpus * quote.licence_usd_per_gpu_year}
    return sum(parts.values()), parts


def _hosting(quote: ServerQuote, site: Mapping[str, object], missing: list[str]) -> float | None:
    basis = str(site.get("hosting_basis", "per_server_year"))
    if basis == "per_server_year":
        if "hosting_usd_per_server_year" in site:
            return float(site["hosting_usd_per_server_year"])  # type: ignore[arg-type]
        missing.append("no hosting_usd_per_server_year in [site]")
        return None
    if "hosting_usd_per_kw_month" not in site or quote.server_kw is None:
        missing.append("hosting per kW-month needs hosting_usd_per_kw_month and the server's kW")
        return None
    return float(site["hosting_usd_per_kw_month"]) * quote.server_kw * 12  # type: ignore[arg-type]


def _cloud(quote: ServerQuote, servers: int, node_gpus: int, gpus_in_use: int | None, off_peak: tuple[int, int] | None,
           settings: CostSettings, missing: list[str]) -> tuple[float | None, float | None]:
    if quote.cloud_usd_per_gpu_hour is None:
        return None, None
    whole = settings.rent == "servers" or gpus_in_use is None
    peak = servers * node_gpus if whole else gpus_in_use
    hours_peak = settings.peak_hours_per_day
    if hours_peak >= 24:
        gpu_hours = peak * HOURS_PER_YEAR
    elif off_peak is None:
        missing.append("cloud hours actually needed need the average traffic (the call-centre assumptions)")
        return None, None
    else:
        off = off_peak[0] * node_gpus if whole else off_peak[1]
        gpu_hours = 365 * (hours_peak * peak + (24 - hours_peak) * off)
    return gpu_hours * quote.cloud_usd_per_gpu_hour, gpu_hours


def _api(settings: CostSettings, demand: Demand, missing: list[str]) -> tuple[float | None, str | None]:
    found = settings.prices.api_offering(demand.model, settings.api_offering)
    if found is None:
        missing.append(f"no API price for {demand.model}: name an offering or give [api] usd_per_m_input and "
                       "usd_per_m_output in a --prices file")
        return None, None
    name, entry = found
    if demand.prompts_per_year is None:
        missing.append("API cost needs prompts per year (the call-centre assumptions)")
        return None, name
    per_prompt = (demand.isl * float(entry["usd_per_m_input"].value)  # type: ignore[arg-type]
                  + demand.osl * float(entry["usd_per_m_output"].value)) / 1e6  # type: ignore[arg-type]
    return demand.prompts_per_year * per_prompt, name


def unit_costs(usd_per_year: float | None, demand: Demand) -> UnitCosts:
    if usd_per_year is None:
        return UnitCosts(None, None, None, None, None, None, None)
    prompts = demand.prompts_per_year

    def per(amount: float | None, scale: float) -> float | None:
        return usd_per_year / amount * scale if amount else None

    return UnitCosts(usd_per_year, usd_per_year / 12, per(prompts, 1e3), per(demand.calls_per_year, 1.0),
                     per(prompts and prompts * (demand.isl + demand.osl), 1e6), per(prompts and prompts * demand.isl, 1e6),
                     per(prompts and prompts * demand.osl, 1e6))


# --- the options frame: cost per ranked option, and ranking by it --------------------------------------------------------

def fleet_at(req_per_s_needed: float, req_per_s_per_instance: float, gpus_per_instance: int,
             node_gpus: int) -> tuple[int, int]:
    """(servers to buy, GPUs in use) for a request rate, packed as core.sizing packs instances."""
    instances = math.ceil(req_per_s_needed / req_per_s_per_instance - EPS)
    gpus = instances * gpus_per_instance
    per_server = node_gpus // gpus_per_instance
    servers = math.ceil(instances / per_server) if per_server >= 1 else math.ceil(gpus / node_gpus)
    return max(servers, 1), gpus


def add_costs(options: pd.DataFrame, settings: CostSettings, demand: Demand, utilisation: float = 1.0,
              rank: bool = False) -> pd.DataFrame:
    """The options with their yearly cost on every basis, unit costs on the chosen basis, kW and racks; sorted by
    the chosen basis when `rank`."""
    out = options.copy()
    records = [_option_cost(row, settings, demand, utilisation) for _, row in out.iterrows()]
    columns = list(COST_COLUMNS)
    for col in columns:
        values = [r[col] for r in records]
        if col == "racks":
            out[col] = pd.array(values, dtype="Int64")
        elif col in ("api_offering", "cost_missing"):
            out[col] = pd.Series(values, index=out.index, dtype="object")
        else:
            out[col] = np.array([np.nan if v is None else v for v in values], dtype="float64")
    if rank and not out.empty:
        out = out.sort_values([f"{settings.basis}_usd_per_year", "servers", "servers_exact"], kind="stable",
                              na_position="last").reset_index(drop=True)
    return out


# Yearly cost per basis; $/1k prompts per basis; per 1M tokens, per call and per month on the chosen basis; IT kW at the
# stated load; racks; output tokens/s at peak per kW; the API offering compared with; what is missing, "; "-joined.
COST_COLUMNS = ("onprem_usd_per_year", "cloud_usd_per_year", "api_usd_per_year", "power_usd_per_year",
                "onprem_usd_per_1k_prompts", "cloud_usd_per_1k_prompts", "api_usd_per_1k_prompts",
                "usd_per_m_tokens", "usd_per_m_input_tokens", "usd_per_m_output_tokens", "cost_usd_per_call",
                "cost_usd_per_month", "kw", "racks", "tok_per_s_per_kw", "api_offering", "cost_missing")


def option_fleet(row: pd.Series, settings: CostSettings, demand: Demand, utilisation: float) -> FleetCost:
    """One sized option's fleet cost, with its parts (what a quote explains line by line)."""
    node, gpi = int(row["node_gpus"]), int(row["gpus_per_instance"])
    off_peak = None
    if settings.peak_hours_per_day < 24 and demand.avg_req_per_s:
        off_peak = fleet_at(demand.avg_req_per_s / utilisation, float(row["req_per_s"]), gpi, node)
    quote = server_quote(settings.prices, str(row["gpu"]), settings.cloud_term)
    return fleet_cost(quote, int(row["servers_packed"]), node, settings, demand, int(row["gpus"]), off_peak)


def _option_cost(row: pd.Series, settings: CostSettings, demand: Demand, utilisation: float) -> dict[str, object]:
    fc = option_fleet(row, settings, demand, utilisation)
    chosen = unit_costs(fc.usd_per_year(settings.basis), demand)
    per_1k = {b: unit_costs(fc.usd_per_year(b), demand).usd_per_1k_prompts for b in BASES}
    return {"onprem_usd_per_year": fc.onprem_usd_per_year, "cloud_usd_per_year": fc.cloud_usd_per_year,
            "api_usd_per_year": fc.api_usd_per_year, "power_usd_per_year": fc.power_usd_per_year,
            **{f"{b}_usd_per_1k_prompts": v for b, v in per_1k.items()},
            "usd_per_m_tokens": chosen.usd_per_m_tokens, "usd_per_m_input_tokens": chosen.usd_per_m_input_tokens,
            "usd_per_m_output_tokens": chosen.usd_per_m_output_tokens, "cost_usd_per_call": chosen.usd_per_call,
            "cost_usd_per_month": chosen.usd_per_month, "kw": fc.kw, "racks": fc.racks,
            "tok_per_s_per_kw": demand.peak_req_per_s * demand.osl / fc.kw if fc.kw else None,
            "api_offering": fc.api_offering, "cost_missing": "; ".join(fc.missing)}


def cost_records(options: pd.DataFrame) -> list[dict[str, object]]:
    """Per option, the `cost` object of `size --json` (NaN becomes null)."""
    if "onprem_usd_per_year" not in options:
        return [{} for _ in range(len(options))]
    records = []
    for _, row in options.iterrows():
        rec: dict[str, object] = {}
        for col in COST_COLUMNS:
            key = col.removeprefix("cost_")
            value = row[col]
            if col == "cost_missing":
                rec["missing"] = [m for m in str(value).split("; ") if m]
            elif col == "api_offering":
                rec[key] = value if isinstance(value, str) else None
            else:
                number = finite_or_none(value)
                rec[key] = int(number) if col == "racks" and number is not None else number
        records.append(rec)
    return records


def used_figures(prices: Prices, gpus: Iterable[str], model: str, settings: CostSettings) -> list[dict[str, object]]:
    """Every price the options' costs rest on, with its source and date: what a quote must list."""
    basis = str(prices.site["hosting_basis"].value) if "hosting_basis" in prices.site else "per_server_year"
    unused = {f"hosting_usd_{b}" for b in HOSTING_BASES if b != basis}
    rows = [_row("site", k, f) for k, f in prices.site.items() if k not in unused]
    seen = set()
    for gpu in gpus:
        found = prices.gpu_entry(gpu)
        if found and found[0] not in seen:
            seen.add(found[0])
            rows += [_row(f'gpu."{found[0]}"', k, f) for k, f in found[1].items()]
    try:
        offering = prices.api_offering(model, settings.api_offering)
    except SizerError:
        offering = None
    if offering is not None:
        section = "api" if offering[1] is prices.api else f'api.offerings."{offering[0]}"'
        rows += [_row(section, k, f) for k, f in offering[1].items() if k != "offering"]
    return rows


# --- break-even against traffic ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crossover:
    """Where one basis becomes (and stays) cheaper than another as traffic grows; `calls_per_year` None: no crossing
    within the range looked at."""

    cheaper: str
    dearer: str
    calls_per_year: float | None
    text: str
    usd_per_year: float | None = None  # the cheaper basis's yearly cost there


@dataclass(frozen=True)
class BreakEven:
    """Yearly cost on each basis against calls per year for one configuration, the crossovers and the user's traffic."""

    curve: pd.DataFrame  # calls_per_year, basis, usd_per_year
    crossovers: tuple[Crossover, ...]
    calls_per_year: float
    label: str
    notes: tuple[str, ...] = ()

    def crossover_points(self) -> pd.DataFrame:
        """The crossovers that fall within the curve, for the chart."""
        rows = [{"calls_per_year": c.calls_per_year, "usd_per_year": c.usd_per_year, "text": c.text}
                for c in self.crossovers if c.calls_per_year is not None and c.usd_per_year is not None]
        return pd.DataFrame(rows, columns=["calls_per_year", "usd_per_year", "text"])

    def chart(self) -> object:
        from core import charts

        return charts.break_even(self.curve, self.calls_per_year, self.crossover_points(), self.label)


def yearly_costs(option: Mapping[str, object] | pd.Series, inputs: TrafficInputs, settings: CostSettings, model: str,
                 isl: int, osl: int, calls_per_year: float, utilisation: float = 1.0) -> dict[str, float | None]:
    """The configuration's yearly cost on each basis had the traffic been `calls_per_year` (all else as given)."""
    return _costs_at(_Config.of(option, settings), inputs, settings, model, isl, osl, calls_per_year, utilisation)[0]


@dataclass(frozen=True)
class _Config:
    quote: ServerQuote
    req_per_s: float
    gpus_per_instance: int
    node_gpus: int

    @classmethod
    def of(cls, option: Mapping[str, object] | pd.Series, settings: CostSettings) -> _Config:
        return cls(server_quote(settings.prices, str(option["gpu"]), settings.cloud_term), float(option["req_per_s"]),  # type: ignore[arg-type]
                   int(option["gpus_per_instance"]), int(option["node_gpus"]))  # type: ignore[arg-type]


def _costs_at(cfg: _Config, inputs: TrafficInputs, settings: CostSettings, model: str, isl: int, osl: int,
              calls: float, utilisation: float) -> tuple[dict[str, float | None], FleetCost]:
    per_call = inputs.minutes_per_call * inputs.rag_calls_per_minute * inputs.llm_requests_per_rag_call
    prompts = calls * per_call
    avg = prompts / SECONDS_PER_YEAR
    peak = avg * inputs.peak_factor
    servers, gpus = fleet_at(peak / utilisation, cfg.req_per_s, cfg.gpus_per_instance, cfg.node_gpus)
    off_peak = (fleet_at(avg / utilisation, cfg.req_per_s, cfg.gpus_per_instance, cfg.node_gpus)
                if settings.peak_hours_per_day < 24 else None)
    demand = Demand(model, isl, osl, peak, prompts, calls, avg)
    fc = fleet_cost(cfg.quote, servers, cfg.node_gpus, settings, demand, gpus, off_peak)
    return {b: fc.usd_per_year(b) for b in BASES}, fc


def break_even(option: Mapping[str, object] | pd.Series, traffic: Traffic, settings: CostSettings, model: str, isl: int,
               osl: int, utilisation: float = 1.0, span: float = 100.0, points: int = 241) -> BreakEven:
    """Cost on each basis from the user's calls per year ÷ span to × span, and where the cheapest basis changes.
    Owned and rented fleets grow in whole servers (steps), the API linearly; each crossover is found to 1e-9."""
    if traffic.inputs is None:
        raise SizerError("the break-even needs calls per year: give the call-centre assumptions, not only the peak")
    inputs, calls = traffic.inputs, traffic.inputs.calls_per_year
    cfg = _Config.of(option, settings)
    grid = np.geomspace(calls / span, calls * span, points)
    costs = [_costs_at(cfg, inputs, settings, model, isl, osl, float(c), utilisation) for c in grid]
    curve = pd.DataFrame([{"calls_per_year": float(c), "basis": b, "usd_per_year": y[b]}
                          for c, (y, _) in zip(grid, costs) for b in BASES if y[b] is not None],
                         columns=["calls_per_year", "basis", "usd_per_year"])
    crossovers = []
    for a, b in PAIRS:
        values = [(y[a], y[b]) for y, _ in costs]
        if all(va is not None and vb is not None for va, vb in values):
            crossovers.append(_crossover(a, b, grid, values, lambda c: _costs_at(
                cfg, inputs, settings, model, isl, osl, c, utilisation)[0]))
    label = f"{option['gpu']} · TP{int(option['tp'])} · {option['precision']}" if "tp" in option else str(option["gpu"])
    return BreakEven(curve, tuple(crossovers), float(calls), label, costs[0][1].missing)


def _crossover(a: str, b: str, grid: np.ndarray, values: list[tuple[float, float]],
               at: Callable[[float], dict[str, float | None]]) -> Crossover:
    signs = np.sign(np.array([va - vb for va, vb in values]))
    lo, hi = _calls(float(grid[0])), _calls(float(grid[-1]))
    if not signs.any():
        return Crossover(a, b, None, f"{_cap(BASIS_NAMES[a])} and {BASIS_NAMES[b]} cost the same from {lo} to "
                                     f"{hi} calls a year")
    final = float(signs[signs != 0][-1])  # a tie counts as "not dearer"
    cheaper, dearer = (a, b) if final < 0 else (b, a)
    against = np.flatnonzero(signs == -final)
    if against.size == 0:
        return Crossover(cheaper, dearer, None, f"{_cap(BASIS_NAMES[cheaper])} is never dearer than "
                                                f"{BASIS_NAMES[dearer]} from {lo} to {hi} calls a year (no "
                                                "break-even)")
    i = int(against[-1])
    lo_c, hi_c = float(grid[i]), float(grid[i + 1])

    def holds(c: float) -> bool:
        y = at(c)
        return np.sign(y[a] - y[b]) != -final  # type: ignore[operator]

    for _ in range(200):
        mid = (lo_c + hi_c) / 2
        lo_c, hi_c = (lo_c, mid) if holds(mid) else (mid, hi_c)
        if hi_c - lo_c <= 1e-9 * hi_c:
            break
    return Crossover(cheaper, dearer, hi_c, f"{_cap(BASIS_NAMES[cheaper])} is cheaper than {BASIS_NAMES[dearer]} "
                                            f"above {_calls(hi_c)} calls a year", at(hi_c)[cheaper])


def _calls(x: float) -> str:
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if x >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]



def describe(settings: CostSettings) -> str:
    """The costing choices in one line, for text output and quotes."""
    parts = [f"ranked on {BASIS_NAMES[settings.basis]}",
             "power included in on-prem" if settings.include_power else "power left out of on-prem (listed apart)",
             f"cloud {settings.cloud_term.replace('_', '-')}, renting "
             + ("whole servers" if settings.rent == "servers" else "only the GPUs in use")]
    if settings.peak_hours_per_day < 24:
        parts.append(f"peak fleet {settings.peak_hours_per_day:g} h a day, average fleet the rest")
    return "; ".join(parts)



# --- what one basis rests on, a per-token split, and edits written back as a prices file ------------------------------

ONPREM_KEYS = ("server_usd", "depreciation_years", "cost_of_capital", "hosting_usd_per_server_year",
               "hosting_usd_per_kw_month", "licence_usd_per_gpu_year")
POWER_KEYS = ("server_kw", "power_load", "pue", "electricity_usd_per_kwh")
API_KEYS = ("usd_per_m_input", "usd_per_m_output")


def basis_figures(prices: Prices, gpu: str, model: str, settings: CostSettings, basis: str) -> list[dict[str, object]]:
    """The prices one basis's cost of a `gpu` fleet rests on, with source and date (what a cost figure cites)."""
    if basis == "cloud":
        keys = {CLOUD_TERMS[settings.cloud_term]}
    elif basis == "api":
        keys = set(API_KEYS)
    else:
        keys = set(ONPREM_KEYS) | (set(POWER_KEYS) if settings.include_power else set())
        if "hosting_basis" in prices.site and prices.site["hosting_basis"].value == "per_kw_month":
            keys.add("server_kw")  # hosting is charged on the server's power
    return [row for row in used_figures(prices, [gpu], model, settings) if row["key"] in keys]


def token_split(usd_per_prompt: float, isl: int, osl: int, usd_per_m_input: float,
                usd_per_m_output: float) -> tuple[float, float] | None:
    """A cost per prompt as prices per 1M input and per 1M output tokens, in the API's ratio of the two, so that
    isl × input + osl × output gives the cost per prompt back: the NVIDIA DLI TCO notebook's comparison of on-prem
    with an API (at $1 in / $3 out, its $0.44 per 1k prompts on-prem is $0.17 in and $0.50 out). None when the API
    prices give no ratio."""
    if usd_per_m_input <= 0 or usd_per_m_output < 0:
        return None
    per_m_input = usd_per_prompt * 1e6 / (isl + osl * usd_per_m_output / usd_per_m_input)
    return per_m_input, per_m_input * usd_per_m_output / usd_per_m_input


def override_toml(raw: Mapping[str, object]) -> str:
    """An override mapping (as apply_override takes it) as a prices file the CLI's --prices reads back the same."""
    def value(v: object) -> str:
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        number = float(v)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)

    def table(header: str, entries: Mapping[str, object]) -> list[str]:
        plain = {k: v for k, v in entries.items() if not isinstance(v, Mapping)}
        return [header, *(f"{k} = {value(v)}" for k, v in plain.items()), ""] if plain else []

    lines: list[str] = []
    site = raw.get("site", {})
    lines += table("[site]", site)  # type: ignore[arg-type]
    for name, entry in raw.get("gpu", {}).items():  # type: ignore[union-attr]
        lines += table(f"[gpu.{json.dumps(name, ensure_ascii=False)}]", entry)
    api = dict(raw.get("api", {}))  # type: ignore[call-overload]
    offerings = api.pop("offerings", {})
    lines += table("[api]", api)
    for name, entry in offerings.items():
        lines += table(f"[api.offerings.{json.dumps(name, ensure_ascii=False)}]", entry)
    return "\n".join(lines)
