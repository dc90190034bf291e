"""What a sales engineer sends: the ranked options as records, CSV and JSON, and a quote in plain text."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

import pandas as pd

from core import document, planning
from core.document import QuoteInfo
from core.exports import csv_text, safe_text
from core.inputs import finite_or_none
from core.sizing import Sizing
from core.words import count, latency, spelled

# gpu: the catalog's name (as the filters show it); gpu_in_data and source: where the row came from.
OPTION_COLUMNS = ("gpu", "tp", "precision", "concurrency", "ttft_ms", "e2e_ms", "itl_ms", "prompts_per_s_per_server",
                  "servers_exact", "servers", "servers_packed", "instances", "gpus", "usd_per_month", "point",
                  "provenance", "gpu_in_data", "source", "servers_low", "servers_high", "servers_exact_low",
                  "servers_exact_high", "utilisation", "p_wait", "servers_with_spares")


@dataclass(frozen=True)
class DataNote:
    """Which data the numbers came from. A share link or a quote carries the scenario, not the files: when the user
    uploaded some, the recipient must load the same ones to get the same numbers."""

    files: tuple[str, ...] = ()  # every file in the table the scenario was sized on
    uploads: tuple[str, ...] = ()  # those of them the user uploaded (not part of the app)

    def lines(self) -> list[str]:
        files, uploads = list(dict.fromkeys(self.files)), list(dict.fromkeys(self.uploads))
        out = [f"Data: {', '.join(files) or 'none loaded'}"]
        if uploads:
            names = ", ".join(uploads)
            out.append(f"Uploaded: {names}. The scenario link does not carry uploaded files: to get the same numbers, "
                       f"the recipient must load the same {'file' if len(uploads) == 1 else 'files'} ({names}) on the "
                       f"Data page, so send {'it' if len(uploads) == 1 else 'them'} along (or the combined table, a "
                       "download on the Data page).")
        return out


def options_records(result: Sizing) -> list[dict[str, object]]:
    """The ranked options, best first, with latencies at the statistic the limits use."""
    stat = result.query.limits.stat
    records = []
    for _, row in result.options.iterrows():
        records.append({
            "gpu": row.get("gpu_key", row["gpu"]), "tp": int(row["tp"]), "precision": row["precision"],
            "concurrency": finite_or_none(row["load"]), "ttft_ms": finite_or_none(row[f"ttft_ms_{stat}"]),
            "e2e_ms": finite_or_none(row[f"e2e_ms_{stat}"]), "itl_ms": finite_or_none(row[f"itl_ms_{stat}"]),
            "prompts_per_s_per_server": finite_or_none(row["prompts_per_s_per_server"]),
            "servers_exact": finite_or_none(row["servers_exact"]), "servers": int(row["servers"]),
            "servers_packed": int(row["servers_packed"]), "instances": int(row["instances"]),
            "gpus": int(row["gpus"]), "usd_per_month": finite_or_none(row["usd_per_month"]), "point": row["point"],
            "provenance": row["provenance"], "gpu_in_data": row["gpu"], "source": row.get("source"),
            **planning.option_fields(result, row),
        })
    return records


def to_json(result: Sizing) -> dict[str, object]:
    out: dict[str, object] = {
        "avg_rps": result.traffic.avg_req_per_s,
        "peak_rps": result.traffic.peak_req_per_s,
        "model": result.frontier.model,
        "model_in_data": result.frontier.model_in_data,
        "isl": result.query.isl,
        "osl": result.query.osl,
        "limits": result.query.limits.describe(),
        "utilisation": result.utilisation,
        "headline": headline(result),
        "details": details(result),
        "notes": list(result.frontier.notes),
        **planning.json_fields(result),
        "options": options_records(result),
    }
    if result.frontier.nearest_miss is not None:
        out["nearest_miss"] = result.frontier.nearest_miss.describe()
    return out


def to_json_text(result: Sizing) -> str:
    return json.dumps(to_json(result), indent=2) + "\n"


def to_csv_text(result: Sizing) -> str:
    """The options as CSV, safe to open in a spreadsheet (no cell starts a formula)."""
    return csv_text(pd.DataFrame(options_records(result), columns=list(OPTION_COLUMNS)))


def quote_text(result: Sizing, data_note: str | DataNote, link: str | None = None, info: QuoteInfo | None = None,
               top: int | None = document.TOP_OPTIONS) -> str:
    """A plain-text quote: the date and parties, the answer with its range, the configuration in words, every
    assumption, the top options with readable headers, the cost on each basis with every price (source and date),
    where the numbers come from and the method; the scenario link only when it is public (document.public_link).
    Safe to open in a spreadsheet."""
    info = replace(info or QuoteInfo(), **({"link": link} if link is not None else {})).checked()
    q = result.query
    result = document.costed(result)
    lines = [TITLE, "=" * len(TITLE), f"Date: {document.today(info)}"]
    lines += [f"Customer / project: {info.customer}"] if info.customer else []
    lines += [f"Prepared by: {info.prepared_by}"] if info.prepared_by else []
    best = result.best
    lines += ["", *_heading("Answer")]
    if best is None:
        miss = result.frontier.nearest_miss
        lines.append("No configuration in the data meets the latency limits."
                     + (f" {miss.describe()[:1].upper()}{miss.describe()[1:]}." if miss else ""))
    else:
        lines += [headline(result), f"Servers: {document.servers_line(best)}; {count(int(best['gpus']), 'GPU')}.",
                  "", document.configuration_words(result), "", details(result)]
    lines += [f"Note: {note}." for note in result.frontier.notes]
    in_data = result.frontier.model_in_data
    lines += ["", *_heading("Assumptions"),
              f"Model: {result.frontier.model}" + (f" (in the data: {in_data})" if in_data not in ("", result.frontier.model) else ""),
              f"Request shape: {q.isl} input tokens, {q.osl} output tokens",
              f"Latency limit: {q.limits.describe()}", "Traffic:"]
    lines += [f"  {step}" for step in document.traffic_lines(result)]
    lines += [f"Servers of {int(best['node_gpus']) if best is not None else 8} GPUs; "
              "servers = peak req/s ÷ prompts/s per server (fractional, as the NVIDIA sizing course), rounded up; "
              "instances = peak req/s ÷ req/s per instance, rounded up",
              f"Operating points: {_grid(result)}"]
    if best is not None:
        lines += ["", *_heading("Options, best first"),
                  document.options_table(result, top).to_string(index=False), ""]
        lines += [*_heading("Cost of the chosen option"), *document.cost_lines(result), "",
                  "Prices used (value · source · as of):"]
        lines += [f"  {p['item']}: {p['value']} · {p['source']} · {p['as_of']}" for p in document.price_rows(result, top)]
    lines += ["", *_heading("Data"), *document.data_lines(result, data_note)]
    lines += ["", *_heading("Method"), *document.method_lines(result)]
    shown = info.shown_link()
    if shown:
        lines += ["", f"Scenario link: {shown}"]
    return safe_text("\n".join(lines) + "\n")


TITLE = "LLM inference sizing quote"


def _heading(text: str) -> list[str]:
    return [text, "-" * len(text)]


def headline(result: Sizing) -> str:
    """One sentence a business reader can repeat: copies of the model, GPUs and servers in plain words."""
    best = result.best
    if best is None:
        return "Nothing in the data meets the latency limits."
    per_copy, copies, gpus = int(best["gpus_per_instance"]), int(best["instances"]), int(best["gpus"])
    servers, node = int(best["servers_packed"]), int(best["node_gpus"])
    free = servers * node - gpus
    placed = (f"1 copy of the model on {count(per_copy, 'GPU')}" if copies == 1 else
              f"{count(copies, 'copy', 'copies')} of the model on {count(per_copy, 'GPU')} each = {count(gpus, 'GPU')}")
    spare = "; ".join(x for x in (planning.likely(best), f"{count(free, 'GPU')} free" if free > 0 else "") if x)
    spare = f" ({spare})" if spare else ""
    return (f"{result.frontier.model} on {_gpu(best)}: {placed}, on {count(servers, spelled(node) + '-GPU server')}"
            f"{spare}, for "
            f"{count(f'{result.traffic.peak_req_per_s:,.1f}', 'request')} per second at peak with "
            f"{result.query.limits.in_words()}.")


def details(result: Sizing) -> str:
    """The same answer for a specialist: configuration, operating point, the course's formula and the source."""
    best = result.best
    if best is None:
        miss = result.frontier.nearest_miss
        return f"{miss.describe()[:1].upper()}{miss.describe()[1:]}." if miss else ""
    stat, gpu, in_data = result.query.limits.stat, _gpu(best), str(best["gpu"])
    pps, exact, servers = float(best["prompts_per_s_per_server"]), float(best["servers_exact"]), int(best["servers"])
    per = f"{pps:,.2f}" if result.utilisation == 1 else f"({pps:,.2f} × {result.utilisation:.0%} planned utilisation)"
    text = (f"{gpu}{f' ({in_data} in the data)' if in_data != gpu else ''}, TP{int(best['tp'])}, {best['precision']}, "
            f"concurrency {best['load']:.3g} per copy: {pps:,.2f} prompts/s per {int(best['node_gpus'])}-GPU server; "
            f"{result.traffic.peak_req_per_s:,.1f} peak req/s ÷ {per} = {count(f'{exact:,.2f}', 'server')} exactly, "
            f"{servers:,} rounded up (the NVIDIA sizing course's formula)")
    if int(best["servers_packed"]) != servers:
        text += f"; whole copies of the model fill {count(int(best['servers_packed']), 'server')}"
    modeled = document.is_modeled(best)  # an estimate to two significant figures, a measurement to 1 ms
    latencies = [f"{name} {latency(float(best[f'{col}_{stat}']), modeled)} ms" for name, col in
                 (("TTFT", "ttft_ms"), ("end-to-end", "e2e_ms"), ("inter-token", "itl_ms"))
                 if math.isfinite(float(best[f"{col}_{stat}"]))]
    if latencies:
        text += f"; {', '.join(latencies)} ({stat})"
    kind = {"interpolated": f"interpolated between two {best['provenance']} concurrencies",
            "solved": "solved to the limit by the performance model (an estimate)",
            "modeled": "modeled (performance model estimate)"}.get(str(best["point"]), str(best["provenance"]))
    source = str(best.get("source", "the data"))
    return f"{text}; {kind}, from {'the ' if source == 'performance model' else ''}{source}."


def _gpu(row: pd.Series) -> str:
    """The catalog's name of the row's GPU (the data's own spelling when the catalog does not know it)."""
    return str(row.get("gpu_key", row["gpu"]))


def _grid(result: Sizing) -> str:
    """Which concurrencies the operating points may sit at, in the words of the data actually used."""
    options = result.options
    if options.empty:
        return "benchmarked concurrencies only"
    solved = options["point"].eq("solved").to_numpy(dtype=bool)  # on the limit itself, between any grid's points
    kinds = sorted(set(options["provenance"][~solved]))
    parts = []
    if kinds:
        grid = f"{' or '.join(kinds)} concurrencies"
        parts.append(f"{grid}, or interpolated between them" if result.query.interpolate else f"{grid} only")
    if solved.any():
        parts.append("modeled points solved to the limit by the performance model")
    return "; ".join(parts)

