"""Scenarios side by side (the same traffic on H100 / H200 / B200, TTFT 300 vs 500 ms, this year vs in three): one
column per scenario, the rows a buyer compares, and which rows differ. A scenario the data cannot answer says why in
its column. The Compare page, the PDF's second page and the workbook's Scenarios sheet all show this frame."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core import document, planning
from core.errors import SizerError
from core.inputs import finite_or_none
from core.sizing import Sizing
from core.words import usd

MAX_SCENARIOS = 6
ROWS = ("Peak requests/s", "Sized for (req/s)", "Calls per year", "Model", "Request (tokens in / out)", "Latency limit",
        "Configuration", "Servers (likely range)", "Servers (exact)", "GPUs", "On-prem $/year", "Cloud $/year",
        "API $/year", "On-prem $ per 1,000 prompts", "Cloud $ per 1,000 prompts", "API $ per 1,000 prompts",
        "Power (kW)", "Data")
NONE = "–"

Scenario = tuple[str, "Sizing | str"]  # a name, and the sizing or why there is none


def check(scenarios: Sequence[Scenario]) -> list[tuple[str, Sizing | str]]:
    """At most MAX_SCENARIOS, each named once (a repeated name gets a number)."""
    if len(scenarios) > MAX_SCENARIOS:
        raise SizerError(f"compare at most {MAX_SCENARIOS} scenarios; got {len(scenarios)}")
    seen: dict[str, int] = {}
    out = []
    for given, result in scenarios:
        name = " ".join(str(given).split()) or "Scenario"
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name} ({seen[name]})", result))
    return out


def compare_frame(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Rows ROWS, one text column per scenario (readable numbers, whole dollars)."""
    columns = {name: _column(result) for name, result in check(scenarios)}
    return pd.DataFrame(columns, index=list(ROWS), dtype="object")


def differing(frame: pd.DataFrame) -> pd.Series:
    """Per row, whether the scenarios that have a value there disagree (what the Compare page and the PDF highlight);
    a scenario without an answer does not make every row differ."""
    return frame.apply(lambda row: row[row != NONE].nunique() > 1, axis=1)


def compare_points(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Numbers for a chart: per answered scenario, servers with their range and the yearly cost on each basis."""
    rows = []
    for name, given in check(scenarios):
        if isinstance(given, str) or given.best is None:
            continue
        best = document.costed(given).best
        assert best is not None
        base = {"scenario": name, "servers": int(best["servers_packed"]),
                "servers_exact": float(best["servers_exact"]),
                "servers_low": _int(best.get("servers_low")), "servers_high": _int(best.get("servers_high"))}
        for basis in ("onprem", "cloud", "api"):
            rows.append({**base, "basis": document.SHORT_BASIS[basis],
                         "usd_per_year": _float(best.get(f"{basis}_usd_per_year"))})
    return pd.DataFrame(rows, columns=["scenario", "servers", "servers_exact", "servers_low", "servers_high", "basis",
                                       "usd_per_year"])


def _column(result: Sizing | str) -> list[str]:
    if isinstance(result, str):
        return [NONE] * (ROWS.index("Configuration")) + [f"not answered: {result}"] + [NONE] * (
            len(ROWS) - ROWS.index("Configuration") - 1)
    result = document.costed(result)
    q, t = result.query, result.traffic
    head = [f"{t.peak_req_per_s:,.1f}",
            f"{result.design.design_req_per_s:,.1f}" if result.design is not None else f"{t.peak_req_per_s:,.1f}",
            f"{t.inputs.calls_per_year:,.0f}" if t.inputs is not None else NONE,
            result.frontier.model, f"{q.isl:,} / {q.osl:,}", q.limits.describe()]
    best = result.best
    if best is None:
        miss = result.frontier.nearest_miss
        why = "nothing in the data meets the limits" + (f"; {miss.describe()}" if miss else "")
        return [*head, why] + [NONE] * (len(ROWS) - len(head) - 1)
    kw = _float(best.get("kw"))
    return [*head, f"{document.configuration(best)} @ {float(best['load']):,.3g}",
            _servers(best), f"{float(best['servers_exact']):,.2f}",
            f"{int(best['gpus']):,}",
            *(usd(_float(best.get(f"{b}_usd_per_year"))) for b in ("onprem", "cloud", "api")),
            *(usd(_float(best.get(f"{b}_usd_per_1k_prompts"))) for b in ("onprem", "cloud", "api")),
            f"{kw:,.1f}" if kw is not None else NONE,
            f"{document.POINT_WORDS.get(str(best['point']), str(best['point']))} ({best.get('source', '?')})"]


def _servers(best: pd.Series) -> str:
    """'5 (likely 3–5)' as the headline says it; '1' alone when the range is that one count."""
    spread = planning.likely(best)
    return f"{int(best['servers_packed']):,}" + (f" ({spread})" if spread else "")


def _float(value: object) -> float | None:
    return finite_or_none(value)


def _int(value: object) -> int | None:
    number = finite_or_none(value)
    return None if number is None else int(number)
