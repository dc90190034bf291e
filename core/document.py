"""What every quote document says, once: the text quote, the PDF and the workbook render these same facts, so that
they never disagree. Numbers are rounded to what their data supports (core.words); prices carry source and date."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from core import cost
from core.inputs import InputError, finite_or_none
from core.sizing import Sizing
from core.words import count, latency, spelled, usd

PUBLIC_URL_ENV = "SIZER_PUBLIC_URL"  # the app's public address (Community Cloud's URL); links elsewhere are left out
MAX_FIELD_CHARS = 120
TOP_OPTIONS = 5
PRIVATE_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home.arpa", ".corp",
                    ".test", ".invalid", ".example")
PRECISION_WORDS = {"fp4": "FP4 (4-bit floating point)", "fp8": "FP8 (8-bit floating point)",
                   "fp16": "FP16 (16-bit floating point)", "bf16": "BF16 (16-bit brain floating point)",
                   "int8": "INT8 (8-bit integer)", "int4": "INT4 (4-bit integer)"}
STAT_WORDS = {"avg": "average", "p50": "median", "p90": "90th percentile", "p95": "95th percentile",
              "p99": "99th percentile"}
POINT_WORDS = {"measured": "measured", "interpolated": "interpolated", "modeled": "modeled", "solved": "modeled"}
SHORT_BASIS = {"onprem": "on-prem", "cloud": "cloud", "api": "API"}
BASIS_TITLES = {"onprem": "On-prem (owned)", "cloud": "Cloud (rented)", "api": "API (per token)"}


@dataclass(frozen=True)
class QuoteInfo:
    """Who the quote is for and from, and when; the link is the scenario's address as the app knows it (it is kept
    only when it points at a public address, see public_link)."""

    customer: str = ""      # customer or project
    prepared_by: str = ""
    date: dt.date | None = None  # None: today
    link: str | None = None
    public_url: str | None = None  # None: $SIZER_PUBLIC_URL

    def checked(self) -> QuoteInfo:
        """The same, with names cleaned (one line, printable) and checked for length; the date filled in."""
        return replace(self, customer=_field("customer", self.customer), prepared_by=_field("prepared_by", self.prepared_by),
                       date=self.date or dt.date.today())

    def shown_link(self) -> str | None:
        return public_link(self.link, self.public_url)


def _field(name: str, value: object) -> str:
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text)
    text = " ".join(text.split())
    if len(text) > MAX_FIELD_CHARS:
        raise InputError(name, f"is too long: at most {MAX_FIELD_CHARS} characters; got {len(text)}")
    return text


def public_link(link: str | None, public_url: str | None = None) -> str | None:
    """The scenario link a customer can open: rebased on the configured public address when there is one
    (`public_url`, else $SIZER_PUBLIC_URL), else kept only when its own host is public; otherwise None (never a
    link to localhost or a private network)."""
    if not link:
        return None
    parts = urlsplit(link.strip())
    base = (os.environ.get(PUBLIC_URL_ENV, "") if public_url is None else public_url).strip()
    if base:
        b = urlsplit(base)
        if b.scheme in ("http", "https") and is_public_host(b.hostname):
            return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + (parts.path or "/"), parts.query, ""))
    if parts.scheme in ("http", "https") and is_public_host(parts.hostname):
        return urlunsplit(parts)
    return None


def is_public_host(host: str | None) -> bool:
    """A host others can reach: a global IP address, or a dotted name outside the private and reserved names."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    return "." in name and name != "localhost" and not name.endswith(PRIVATE_SUFFIXES)


# --- the answer ---------------------------------------------------------------------------------------------------------

def costed(result: Sizing) -> Sizing:
    """The result with cost columns: as sized when it was costed, else at the shipped prices (data/prices.toml)."""
    if result.costing is not None and "onprem_usd_per_year" in result.options:
        return result
    settings = cost.CostSettings(cost.load_prices())
    demand = cost.Demand.from_traffic(result.traffic, result.frontier.model, result.query.isl, result.query.osl)
    options = cost.add_costs(result.options, settings, demand, result.utilisation)
    return replace(result, options=options, costing=settings)


def gpu_name(row: pd.Series) -> str:
    return str(row.get("gpu_key", row["gpu"]))


def configuration(row: pd.Series) -> str:
    """'H100 SXM · TP1 · FP8': the short name a table uses."""
    return f"{gpu_name(row)} · TP{int(row['tp'])} · {row['precision']}"


def is_modeled(row: pd.Series) -> bool:
    return str(row.get("provenance")) == "modeled" or str(row.get("point")) == "modeled"


def servers_line(row: pd.Series) -> str:
    """'5 servers (4.81 exactly; likely 3–5)': the whole count, the course's exact figure and the range."""
    whole, exact = int(row["servers"]), float(row["servers_exact"])
    parts = [f"{exact:,.2f} exactly"]
    low, high = row.get("servers_low"), row.get("servers_high")
    if low is not None and not pd.isna(low):
        parts.append(f"likely {int(low)}–{int(high)}" if high is not None and not pd.isna(high) and int(low) != int(high)
                     else f"likely {int(low)}" if high is not None and not pd.isna(high) else f"likely {int(low)} or more")
    packed = int(row["servers_packed"])
    text = f"{count(whole, 'server')} ({'; '.join(parts)})"
    if packed != whole:
        text += f"; whole copies of the model fill {count(packed, 'server')}"
    return text


def range_text(row: pd.Series) -> str:
    low, high = row.get("servers_low"), row.get("servers_high")
    if low is None or pd.isna(low):
        return "–"
    if high is None or pd.isna(high):
        return f"{int(low)} or more"
    return f"{int(low)}" if int(low) == int(high) else f"{int(low)}–{int(high)}"


def configuration_words(result: Sizing) -> str:
    """The chosen configuration as a buyer reads it: which GPU, how many per copy of the model, which precision, how
    many requests each copy serves at once, and how the copies fill the servers."""
    best = result.best
    if best is None:
        return ""
    gpi, node = int(best["gpus_per_instance"]), int(best["node_gpus"])
    precision = str(best["precision"]).lower()
    copies, gpus, servers = int(best["instances"]), int(best["gpus"]), int(best["servers_packed"])
    load = float(best["load"])
    at_once = f"{load:,.0f}" if abs(load - round(load)) < 0.05 else f"about {load:,.1f}"
    per_copy = ("one GPU per copy of the model" if gpi == 1 else
                f"{spelled(gpi)} GPUs per copy of the model, splitting it by tensor parallelism (TP{gpi})")
    how = {"measured": "as measured at that load", "interpolated": "interpolated between two measured loads to meet the "
           "limit", "modeled": "as estimated by the performance model",
           "solved": "as estimated by the performance model, " + _solved_how(best, result)}.get(str(best["point"]),
                                                                                             str(best["provenance"]))
    free = servers * node - gpus
    return (f"{result.frontier.model} on {gpu_name(best)} GPUs in {PRECISION_WORDS.get(precision, precision.upper())}, "
            f"{per_copy}; each copy serves {at_once} requests at a time ({how}). "
            f"{count(copies, 'copy', 'copies')} use {count(gpus, 'GPU')} in {count(servers, spelled(node) + '-GPU server')}"
            + (f", leaving {count(free, 'GPU')} free." if free > 0 else "."))


OPTION_HEADERS = ("#", "Configuration", "Concurrency per copy", "TTFT {stat} (ms)", "End-to-end {stat} (ms)",
                  "Prompts/s per server", "Servers (exact)", "Servers", "Likely range", "GPUs", "On-prem $/year",
                  "Cloud $/year", "Data")


def options_table(result: Sizing, top: int | None = TOP_OPTIONS) -> pd.DataFrame:
    """The top options with readable headers, as text: latencies to the precision their data supports, whole dollars,
    exact servers to two decimals (the course's figure), and where each number comes from."""
    result = costed(result)
    stat = result.query.limits.stat
    rows = []
    for i, (_, r) in enumerate(result.options.head(top or len(result.options)).iterrows(), start=1):
        modeled = is_modeled(r)
        pps = float(r["prompts_per_s_per_server"])
        rows.append((str(i), configuration(r), _load(float(r["load"])), latency(float(r[f"ttft_ms_{stat}"]), modeled),
                     latency(float(r[f"e2e_ms_{stat}"]), modeled), f"{pps:,.3g}" if modeled else f"{pps:,.2f}",
                     f"{float(r['servers_exact']):,.2f}", f"{int(r['servers_packed']):,}", range_text(r),
                     f"{int(r['gpus']):,}", usd(finite_or_none(r.get("onprem_usd_per_year"))),
                     usd(finite_or_none(r.get("cloud_usd_per_year"))), POINT_WORDS.get(str(r["point"]), str(r["point"]))))
    return pd.DataFrame(rows, columns=[h.format(stat=stat) for h in OPTION_HEADERS])


def _load(load: float) -> str:
    return f"{load:,.0f}" if abs(load - round(load)) < 1e-9 else f"{load:,.1f}"



# --- cost ------------------------------------------------------------------------------------------------------------

def cost_lines(result: Sizing) -> list[str]:
    """The chosen option's yearly cost on each basis, each with its arithmetic, then per month and per 1,000 prompts;
    what a missing price leaves out is said."""
    result = costed(result)
    best, settings = result.best, result.costing
    if best is None or settings is None:
        return []
    q, t = result.query, result.traffic
    demand = cost.Demand.from_traffic(t, result.frontier.model, q.isl, q.osl)
    fc = cost.option_fleet(best, settings, demand, result.utilisation)
    quote = cost.server_quote(settings.prices, str(best["gpu"]), settings.cloud_term)
    site = {k: f.value for k, f in settings.prices.site.items()}
    lines = []
    if fc.onprem_usd_per_year is not None:
        p = fc.onprem_parts
        years = float(site["depreciation_years"])  # type: ignore[arg-type]
        pieces = [f"servers {usd(p['depreciation'])} ({fc.servers} × {usd(quote.server_usd)} ÷ {years:g} years)"]
        if p.get("capital"):
            pieces.append(f"capital {usd(p['capital'])} ({float(site['cost_of_capital']):.1%} a year)")  # type: ignore[arg-type]
        pieces.append(f"hosting {usd(p['hosting'])} ({fc.servers} × {usd(p['hosting'] / fc.servers)})")
        if settings.include_power:
            pieces.append(f"power {usd(p['power'])}")
        pieces.append(f"licences {usd(p['licence'])} ({fc.gpus} GPUs × {usd(quote.licence_usd_per_gpu_year)})")
        lines.append(f"{BASIS_TITLES['onprem']}: {usd(fc.onprem_usd_per_year)} a year = {' + '.join(pieces)}")
    if fc.power_usd_per_year is not None and not settings.include_power:
        lines.append(f"Power, not in the on-prem figure: {usd(fc.power_usd_per_year)} a year ({fc.kw:,.1f} kW × PUE "
                     f"{float(site['pue']):g} × 8,760 h × ${float(site['electricity_usd_per_kwh']):g} per kWh)")  # type: ignore[arg-type]
    if fc.cloud_usd_per_year is not None and fc.cloud_gpu_hours_per_year:
        term = settings.cloud_term.replace("_", "-")
        what = "whole servers" if settings.rent == "servers" else "only the GPUs in use"
        hours = ("around the clock" if settings.peak_hours_per_day >= 24 else
                 f"the peak fleet {settings.peak_hours_per_day:g} h a day, the average fleet the rest")
        lines.append(f"{BASIS_TITLES['cloud']}, {term}, {what}, {hours}: {usd(fc.cloud_usd_per_year)} a year = "
                     f"{fc.cloud_gpu_hours_per_year:,.0f} GPU-hours × {usd(quote.cloud_usd_per_gpu_hour)}")
    if fc.api_usd_per_year is not None:
        found = settings.prices.api_offering(result.frontier.model, settings.api_offering)
        if found is not None:
            entry = found[1]
            lines.append(f"{BASIS_TITLES['api']}, {fc.api_offering}: {usd(fc.api_usd_per_year)} a year = "
                         f"{_millions(demand.prompts_per_year)} prompts × ({q.isl:,} input tokens × "
                         f"${float(entry['usd_per_m_input'].value):g} + {q.osl:,} output tokens × "  # type: ignore[arg-type]
                         f"${float(entry['usd_per_m_output'].value):g}) per million tokens")  # type: ignore[arg-type]
    per = []
    for basis in cost.BASES:
        yearly = fc.usd_per_year(basis)
        if yearly is not None:
            unit = cost.unit_costs(yearly, demand)
            extra = f" and {usd(unit.usd_per_1k_prompts)}" if unit.usd_per_1k_prompts is not None else ""
            per.append(f"{SHORT_BASIS[basis]} {usd(unit.usd_per_month)}{extra}")
    if per:
        per_prompts = " and per 1,000 prompts" if demand.prompts_per_year else ""
        lines.append(f"Per month{per_prompts}: " + "; ".join(per))
    lines += [f"Not priced: {m}" for m in fc.missing]
    lines.append(f"Ranked on {cost.BASIS_NAMES[settings.basis]}; {cost.describe(settings).split('; ', 1)[1]}")
    return lines


def _millions(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value / 1e6:,.1f} M".replace(".0 M", " M") if value >= 1e6 else f"{value:,.0f}"


PRICE_NAMES = {
    "depreciation_years": "Depreciation period (years)", "cost_of_capital": "Cost of capital (a year)",
    "hosting_basis": "Hosting charged", "hosting_usd_per_server_year": "Hosting per server and year",
    "hosting_usd_per_kw_month": "Hosting per kW and month", "licence_usd_per_gpu_year": "Software licence per GPU and year",
    "electricity_usd_per_kwh": "Electricity per kWh", "pue": "Power usage effectiveness (PUE)",
    "power_load": "Average power draw (share of maximum)", "rack_kw_limit": "Power per rack (kW)",
    "rack_units_per_rack": "Rack units per rack", "server_usd": "server price (8 GPUs)", "server_kw": "server power (kW)",
    "rack_units": "server height (rack units)", "cloud_usd_per_gpu_hour": "cloud on-demand, per GPU-hour",
    "cloud_usd_per_gpu_hour_1yr": "cloud 1-year reserved, per GPU-hour",
    "cloud_usd_per_gpu_hour_3yr": "cloud 3-year reserved, per GPU-hour",
    "usd_per_m_input": "input tokens, per million", "usd_per_m_output": "output tokens, per million", "model": "model",
}
PERCENT_KEYS = ("cost_of_capital", "power_load")
# Not prices, or not in a quote's figures: which model an offering serves, the hosting basis (its figure says it), and
# the rack facts (racks are not quoted).
NOT_SHOWN = {"model", "hosting_basis", "rack_kw_limit", "rack_units", "rack_units_per_rack"}


def price_rows(result: Sizing, top: int | None = TOP_OPTIONS) -> list[dict[str, str]]:
    """Every price the costs of the options shown rest on: what (in words), value, source and date."""
    result = costed(result)
    settings = result.costing
    if settings is None:
        return []
    gpus = result.options.head(top or len(result.options)).get("gpu", [])
    out = []
    for row in cost.used_figures(settings.prices, gpus, result.frontier.model, settings):
        section, key, value = str(row["section"]), str(row["key"]), row["value"]
        if key in NOT_SHOWN or (key in cost.CLOUD_TERMS.values() and key != cost.CLOUD_TERMS[settings.cloud_term]):
            continue
        name = PRICE_NAMES.get(key, key)
        if section.startswith("gpu."):
            name = f"{section[4:].strip(chr(34))} {name}"
        elif section.startswith("api"):
            offering = section.split(".", 2)[2].strip('"') if section.startswith("api.offerings.") else "API"
            name = f"{offering}: {name}"
        out.append({"item": name, "value": price_value(key, value), "source": str(row["source"]),
                    "as_of": str(row["as_of"])})
    return out


def price_value(key: str, value: object) -> str:
    """A price as given (never rounded: $0.0895 per kWh stays so), with its unit."""
    if isinstance(value, str):
        return value.replace("_", " ")
    number = float(value)  # type: ignore[arg-type]
    if key in PERCENT_KEYS:
        return f"{number * 100:g} %"
    if "usd" in key:
        return f"${cost.show(number)}"
    return cost.show(number)


# --- traffic, data and method ----------------------------------------------------------------------------------------

def traffic_lines(result: Sizing) -> list[str]:
    """The derivation from business assumptions to the rate sized for, step by step, then the planning choices."""
    from core import planning

    lines = list(result.traffic.steps())
    if result.design is not None and result.design.burst is not None:
        lines += result.design.steps()
    lines.append(f"planned utilisation {result.utilisation:.0%} of the benchmarked throughput"
                 + (" (as benchmarked, the course's method)" if result.utilisation == 1 else " (headroom)"))
    lines += [line for line in planning.summary_lines(result) if not line.startswith("bursts:")]
    return lines


def data_lines(result: Sizing, note: object) -> list[str]:
    """Which files, which of the options are measured and which modeled, and the model's error where it is used."""
    from core.perfmodel import accuracy_note
    from core.quote import DataNote

    lines = note.lines() if isinstance(note, DataNote) else [f"Data: {note}"]
    options = result.options
    if options.empty:
        return lines
    best = result.best
    assert best is not None
    source = str(best.get("source", "the data"))
    modeled_from = "" if "model" in source.lower() else f" ({source})"
    kind = {"measured": f"measured benchmark runs ({source})",
            "interpolated": f"measured benchmark runs ({source}), interpolated between two loads",
            "modeled": f"the performance model's estimates{modeled_from}",
            "solved": f"the performance model's estimates{modeled_from}, {_solved_how(best, result)}"}.get(
                str(best["point"]), source)
    lines.append(f"The answer rests on {kind}.")
    for provenance, label in (("measured", "Measured"), ("modeled", "Modeled")):
        rows = options[options["provenance"] == provenance]
        if len(rows):
            files = ", ".join(sorted(set(rows["source"].astype(str))))
            lines.append(f"{label}: {count(len(rows), 'option')} of {len(options)}, from {files}.")
    if (options["provenance"] == "modeled").any():
        note_text = accuracy_note()
        lines.append(f"Modeled figures are {note_text}.")
    return lines


def method_lines(result: Sizing) -> list[str]:
    """The method in three sentences."""
    return [
        "Business traffic becomes requests per second: calls per year × requests per call ÷ seconds per year gives the "
        "average, and the peak factor the peak to size for (steps above).",
        f"For every GPU, tensor parallelism and precision, the benchmark curve of {result.frontier.model} at "
        f"{result.query.isl:,} input and {result.query.osl:,} output tokens gives the highest throughput whose "
        f"latency meets the limit; servers = peak requests per second ÷ prompts per second per 8-GPU server, "
        "rounded up (the NVIDIA sizing course's formula), with whole copies of the model packed onto servers.",
        "Cost is owned (purchase ÷ depreciation years + hosting + licences, NVIDIA's TCO method), rented (GPU-hours × "
        "the hourly price) or bought per token (tokens × the API's prices), and the range combines the named sources "
        "of spread (the next measured load, run-to-run spread, the model's error, the traffic ranges given).",
    ]


def today(info: QuoteInfo) -> str:
    return (info.date or dt.date.today()).isoformat()


def _solved_how(best: pd.Series, result: Sizing) -> str:
    """How a solved point was found: on the limit, or at the model's ceiling with the limit not reached."""
    from core.operating import limit_binds

    return ("solved to meet the limit" if limit_binds(best, result.query.limits) else
            "at the most one copy holds at once (the latency limit is not reached there)")
