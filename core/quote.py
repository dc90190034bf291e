"""What a sales engineer sends: the ranked options as records, CSV and JSON, and a quote in plain text."""

from __future__ import annotations

import json
import math

import pandas as pd

from core import planning
from core.sizing import Sizing

OPTION_COLUMNS = ("gpu", "tp", "precision", "concurrency", "ttft_ms", "e2e_ms", "itl_ms", "prompts_per_s_per_server",
                  "servers_exact", "servers", "servers_packed", "instances", "gpus", "usd_per_month", "point",
                  "provenance", "servers_low", "servers_high", "servers_exact_low", "servers_exact_high", "utilisation",
                  "p_wait", "servers_with_spares")


def options_records(result: Sizing) -> list[dict[str, object]]:
    """The ranked options, best first, with latencies at the statistic the limits use."""
    stat = result.query.limits.stat
    records = []
    for _, row in result.options.iterrows():
        records.append({
            "gpu": row["gpu"], "tp": int(row["tp"]), "precision": row["precision"],
            "concurrency": _clean(row["load"]), "ttft_ms": _clean(row[f"ttft_ms_{stat}"]),
            "e2e_ms": _clean(row[f"e2e_ms_{stat}"]), "itl_ms": _clean(row[f"itl_ms_{stat}"]),
            "prompts_per_s_per_server": _clean(row["prompts_per_s_per_server"]),
            "servers_exact": _clean(row["servers_exact"]), "servers": int(row["servers"]),
            "servers_packed": int(row["servers_packed"]), "instances": int(row["instances"]),
            "gpus": int(row["gpus"]), "usd_per_month": _clean(row["usd_per_month"]), "point": row["point"],
            "provenance": row["provenance"], **planning.option_fields(result, row),
        })
    return records


def to_json(result: Sizing) -> dict[str, object]:
    out: dict[str, object] = {
        "avg_rps": result.traffic.avg_req_per_s,
        "peak_rps": result.traffic.peak_req_per_s,
        "model": result.frontier.model,
        "isl": result.query.isl,
        "osl": result.query.osl,
        "limits": result.query.limits.describe(),
        "utilisation": result.utilisation,
        **planning.json_fields(result),
        "options": options_records(result),
    }
    if result.frontier.nearest_miss is not None:
        out["nearest_miss"] = result.frontier.nearest_miss.describe()
    return out


def to_json_text(result: Sizing) -> str:
    return json.dumps(to_json(result), indent=2) + "\n"


def to_csv_text(result: Sizing) -> str:
    return pd.DataFrame(options_records(result), columns=list(OPTION_COLUMNS)).to_csv(index=False)


def quote_text(result: Sizing, data_note: str, link: str | None = None) -> str:
    """A plain-text quote: the answer, every assumption, the alternatives and where the numbers come from."""
    q, t = result.query, result.traffic
    lines = ["LLM inference sizing", "=" * 20, ""]
    best = result.best
    if best is None:
        miss = result.frontier.nearest_miss
        lines.append("No configuration in the data meets the latency limits." + (f" {miss.describe()}." if miss else ""))
    else:
        lines.append(headline(result))
    lines += ["", "Assumptions", "-----------", f"Model: {result.frontier.model}",
              f"Request shape: {q.isl} input tokens, {q.osl} output tokens",
              f"Latency limit: {q.limits.describe()}", "Traffic:"]
    lines += [f"  {step}" for step in t.steps()]
    lines += [f"Servers of {int(best['node_gpus']) if best is not None else 8} GPUs; "
              "servers = peak req/s ÷ prompts/s per server (fractional, as the NVIDIA sizing course), rounded up; "
              "instances = peak req/s ÷ req/s per instance, rounded up",
              f"Planned utilisation: {result.utilisation:.0%} of the benchmarked throughput"
              + (" (as benchmarked, the course's method)" if result.utilisation == 1 else " (headroom for bursts)"),
              *planning.summary_lines(result),
              f"Operating points: {'measured, or interpolated between measured concurrencies' if q.interpolate else 'measured concurrencies only'}",
              f"Data: {data_note}", ""]
    if best is not None:
        lines += ["Options, best first", "-------------------",
                  pd.DataFrame(options_records(result))[["gpu", "tp", "precision", "concurrency", "ttft_ms", "e2e_ms",
                                                         "servers_exact", "servers", "gpus", "usd_per_month",
                                                         "provenance"]]
                  .to_string(index=False, float_format=lambda x: f"{x:,.2f}"), ""]
    if link:
        lines += [f"Scenario link: {link}", ""]
    return "\n".join(lines)


def headline(result: Sizing) -> str:
    """One sentence a business reader can repeat."""
    best = result.best
    if best is None:
        return "Nothing in the data meets the latency limits."
    q = result.query
    source = "model estimate" if best["provenance"] == "modeled" else "measured"
    servers = int(best["servers"])
    return (f"{servers} server{'s' if servers != 1 else ''} of {best['gpu']} ({int(best['gpus'])} GPUs, TP{int(best['tp'])}, "
            f"{best['precision']}) serve {result.traffic.peak_req_per_s:,.1f} peak req/s of {result.frontier.model} "
            f"within {q.limits.describe()} ({best['servers_exact']:.2f} servers exactly{_likely(best)}; {source}).")


def _likely(best: pd.Series) -> str:
    words = planning.likely(best)
    return f", {words}" if words else ""


def _clean(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
